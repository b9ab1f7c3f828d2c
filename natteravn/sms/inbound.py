"""What comes back from the provider: answers people text us, and the fate of what we sent.

What an answer *means* belongs to the feature it concerns; the app factory hands this module a
registry of handlers by keyword, so `sms` imports no feature."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from natteravn.db import CONTROL_CHARACTERS, as_id, locks_rows
from natteravn.i18n import N_, translations
from natteravn.links import Links
from natteravn.sms import keywords, notes
from natteravn.sms.models import InboundSms, MessageState, SmsMessage
from natteravn.sms.service import PROVIDER_STATES, RANK, DispatchPolicy, record_reply

#: (session, phone, now, links, the message's text) -> the answer in the sender's language, "" for
#: no answer, or None when the number belongs to nobody the feature knows.
ReplyHandler = Callable[[Session, str, datetime, Links, str], "str | None"]

UNKNOWN_NUMBER = N_("This is Natteravn. We do not know this number, so there is nothing to answer. See %(link)s")


@dataclass(frozen=True)
class Sender:
    person_id: int
    locale: str


#: (session, phone) -> who texted, or None for a number nobody has.
SenderLookup = Callable[[Session, str], "Sender | None"]


def receive(
    session: Session,
    *,
    sid: str,
    sender: str,
    body: str,
    now: datetime,
    links: Links,
    handlers: Mapping[str, ReplyHandler],
    identify: SenderLookup,
) -> str:
    """Record an incoming SMS, let its keyword's handler act, and return the answer to text back
    ("" for none). Twilio may deliver the same webhook twice, even at once: the message's id is
    claimed first, so the second delivery waits for the first and gets its answer. A number nobody
    has gets a short note, except for STOP: someone who asks for no SMS gets none."""
    body = CONTROL_CHARACTERS.sub("", body)  # nothing a phone sends needs them, and a NUL cannot be stored
    keyword = keywords.keyword_of(body)
    received = InboundSms(provider_id=sid, sender=sender, body=body, keyword=keyword, answer="", received_at=now)
    try:
        with session.begin_nested():
            session.add(received)
            session.flush()
    except IntegrityError:
        earlier = session.scalar(select(InboundSms).where(InboundSms.provider_id == sid))
        return earlier.answer if earlier is not None else ""
    who = identify(session, sender)
    handler = handlers.get(keyword) or handlers.get(keywords.UNKNOWN)
    answer = handler(session, sender, now, links, body) if handler else None
    if answer is None and keyword == keywords.STOP:
        answer = ""
    elif answer is None:
        locale = "en" if keywords.written_in_english(body) else (who.locale if who else "nb")
        answer = translations(locale).gettext(UNKNOWN_NUMBER) % {"link": links.url("/")}
    received.answer = answer
    received.person_id = who.person_id if who else None
    if answer:
        record_reply(session, to=sender, body=answer, now=now, person_id=who.person_id if who else None)
    session.flush()
    return answer


def record_status(
    session: Session,
    *,
    sid: str,
    status: str,
    error_code: int | None,
    reference: str | None,
    now: datetime,
    policy: DispatchPolicy | None = None,
) -> bool:
    """Apply a provider status callback. False when no message of ours has this id."""
    message = _message_for(session, sid, reference)
    if message is None:
        return False
    new = PROVIDER_STATES.get(status)
    if new is None:
        return True  # a status we do not track (receiving, partially_delivered …)
    message.provider_id = message.provider_id or sid
    message.status_at = now
    if RANK.get(message.state, 3) < RANK[new]:
        message.state = new
        message.sent_at = message.sent_at or now
    if error_code:
        message.error_code = error_code
        message.last_error = notes.PROVIDER_REPORTED.text(status=status, code=error_code)
    policy = policy or DispatchPolicy()
    if error_code == 21610 and policy.on_opted_out is not None:
        policy.on_opted_out(session, message.to, now)
    return True


def _message_for(session: Session, sid: str, reference: str | None) -> SmsMessage | None:
    query = select(SmsMessage).where(SmsMessage.provider_id == sid)
    if locks_rows(session):
        query = query.with_for_update()
    message = session.scalar(query)
    reference_id = as_id(reference)
    if message is not None or reference_id is None:
        return message
    # The create answer was lost (a crash, a cut connection), but the callback carries our id.
    query = select(SmsMessage).where(SmsMessage.id == reference_id, SmsMessage.provider_id.is_(None))
    if locks_rows(session):
        query = query.with_for_update()
    message = session.scalar(query)
    if message is None or message.state not in (MessageState.SENDING, MessageState.PENDING):
        return None
    return message
