"""The SMS a night's sign-ups cause, planned into the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from natteravn.clock import local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.shifts.models import Signup
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState, Purpose, SmsMessage


def _night_words(signup: Signup) -> dict[str, str]:
    shift = signup.shift
    start = local(shift.starts_at)
    return {
        "route": shift.route.name,
        "date": start.strftime("%d.%m"),
        "time": start.strftime("%H:%M"),
        "place": shift.route.meeting_point,
    }


def signed_up(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """A person took a place (or joined the waitlist)."""


def withdrawn(session: Session, signup: Signup, now: datetime) -> None:
    """Nothing still planned for a sign-up that ended is sent."""
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.signup_id == signup.id, SmsMessage.state == MessageState.PENDING)
        .values(state=MessageState.CANCELLED, last_error="sign-up cancelled")
        .execution_options(synchronize_session=False)
    )


def offered(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    person = signup.person
    _ = translations(person.locale).gettext
    words = _night_words(signup)
    words["expires"] = local(signup.offer_expires_at).strftime("%d.%m %H:%M")
    sms.enqueue(
        session,
        to=person.phone,
        body=_("A place is free on %(route)s %(date)s at %(time)s. Tap to take it before %(expires)s: %(link)s")
        % {**words, "link": links.offer(signup.id)},
        purpose=Purpose.WAITLIST_PROMOTED,
        now=now,
        person_id=person.id,
        signup_id=signup.id,
        shift_id=signup.shift_id,
        urgent=True,
        expires_at=signup.offer_expires_at,
        dedupe_key=f"offer:{signup.id}:{int(signup.offer_expires_at.timestamp())}",
    )
