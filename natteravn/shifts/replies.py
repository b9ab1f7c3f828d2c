"""What a JA or NEI by SMS means for the sender's nights. The SMS inbound webhook calls these
and sends back the text they return (None: the number belongs to nobody we know).

A reply answers the latest question we asked: an invitation to take a place (a call for walkers
or a stand-in), unless a message about the person's next night went out after it. Then JA
confirms that next night and NEI takes the person off it.

A NEI cancels at once only when it answers a question we asked about the night (a reminder, a
moved night, an offered place) and the night is at most two days ahead: an unprompted "Nei takk",
or one about a night next week, may mean anything. Then the answer asks which night, listing the
person's coming nights by number, and a second answer names one ("NEI 2", or its date, or JA when
only one night was named). The question stays open for a while, and only until another message
asking about their nights goes out.

NEI works up to the night's start, also after the cut-off for cancelling on the web: someone
who will not come is better off the list than a no-show, and their place can still go to the
waitlist. After the cut-off, or when nobody waits for the place, the night's group leader is told at
once by SMS (`service.give_back`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from natteravn.accounts import replies as account_replies
from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.clock import local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.shifts import calls, messages, service
from natteravn.shifts.locks import lock_signup
from natteravn.shifts.models import (
    HOLDING,
    Invitation,
    NightChoice,
    Shift,
    Signup,
    SignupState,
)
from natteravn.sms.models import MessageState, Purpose, SmsMessage

#: Sign-ups a JA or NEI can be about.
ANSWERABLE = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.OFFERED, SignupState.WAITLISTED)
#: Places we ask about (reminders, offers): a bare JA or NEI is about the nearest of these. A night
#: only waited for is asked about nothing, so it is what a reply is about only when there is no other.
ASKED_ABOUT = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.OFFERED)
#: Messages about a sign-up that a person may be answering.
ASKING = (*messages.PLANNED, Purpose.WAITLIST_PROMOTED, Purpose.SHIFT_CHANGED)
#: Messages that ask JA or NEI about one of the person's nights: a NEI after one answers it.
QUESTIONS = (Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY, Purpose.SHIFT_CHANGED, Purpose.WAITLIST_PROMOTED)
#: A NEI alone cancels a night at most this many days ahead (on the calendar); a later one is asked about.
NEAR_DAYS = 2
#: How long the answer to "which night?" is waited for.
CHOICE_OPEN = timedelta(hours=2)
#: At most this many coming nights are listed, to keep the question one or two SMS long.
LISTED = 5

_DATE = re.compile(r"\b(\d{1,2})\s*[./]\s*(\d{1,2})\b(?:[./]\d{2,4}\b)?")
_NUMBER = re.compile(r"\b\d{1,2}\b")


def reply_yes(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _sender(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    choices = _open_choices(session, person, now)
    only = next(iter(choices.values())) if len(choices) == 1 and not _names_a_night(body) else None
    chosen = _chosen(choices, body) or only
    if chosen is not None:  # JA to "do you want to cancel …?"
        return _cancel_chosen(session, person, chosen, now, links, _)
    question = _question(session, person, now)
    if isinstance(question, Invitation):
        return _take(session, question, now, links, _)
    if question is None:
        return _("You have no nights coming up. Find one at %(link)s") % {"link": links.url("/nights")}
    return _confirm(session, question, now, links, _)


def reply_no(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _sender(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    chosen = _chosen(_open_choices(session, person, now), body)
    if chosen is not None:
        return _cancel_chosen(session, person, chosen, now, links, _)
    question = _question(session, person, now)
    if isinstance(question, Invitation):
        calls.decline(question, now)
        return _("Thank you for answering. We will not ask you about %(route)s on %(date)s again.") % _words(
            question.shift
        )
    if question is None:
        return _("You have no nights coming up to cancel.")
    if _answers_question(session, question, body, now):
        return _cancel(session, question, now, links, _)
    return _ask_which_night(session, person, now, _)


def reply_other(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    """Neither yes nor no: a number or date answering "which night?" cancels that night; anything
    else gets the short help."""
    person = _sender(session, phone)
    if person is not None:
        chosen = _chosen(_open_choices(session, person, now), body)
        if chosen is not None:
            return _cancel_chosen(session, person, chosen, now, links, translations(person.locale).gettext)
    return account_replies.reply_unknown(session, phone, now, links, body)


def reply_start(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    """START: SMS again, and the reminders STOP cancelled come back for the nights still held."""
    answer = account_replies.reply_start(session, phone, now, links, body)
    person = _sender(session, phone)
    if person is not None:
        messages.resume_reminders(session, person, now, links)
    return answer


def _sender(session: Session, phone: str) -> Person | None:
    return session.scalar(select(Person).where(Person.phone == phone, Person.active.is_(True)))


def _words(shift: Shift) -> dict[str, str]:
    return messages.night_words(shift)


def _coming(
    session: Session, person: Person, now: datetime, limit: int, states: tuple[SignupState, ...] = ANSWERABLE
) -> list[Signup]:
    """The person's nights still ahead that a JA or NEI can be about, the nearest first."""
    return list(
        session.scalars(
            select(Signup)
            .join(Signup.shift)
            .where(
                Signup.person_id == person.id,
                Signup.state.in_(states),
                Shift.cancelled_at.is_(None),
                Shift.starts_at > now,
            )
            .order_by(Shift.starts_at, Signup.id)
            .limit(limit)
        )
    )


def _question(session: Session, person: Person, now: datetime) -> Invitation | Signup | None:
    nearest = _coming(session, person, now, 1, ASKED_ABOUT) or _coming(session, person, now, 1)
    signup = next(iter(nearest), None)
    # A call for a night cancelled since is still the question they answer: a JA to it must not
    # confirm another night instead.
    invitation = calls.open_invitation(session, person, now, called_off_too=True)
    if invitation is None or signup is None:
        return invitation or signup
    asked_since = session.scalar(
        select(func.count()).where(
            SmsMessage.signup_id == signup.id,
            SmsMessage.purpose.in_(ASKING),
            SmsMessage.due_at > invitation.created_at,
            SmsMessage.due_at <= now,
            SmsMessage.state.not_in((MessageState.CANCELLED, MessageState.FAILED)),
        )
    )
    return signup if asked_since else invitation


# --- Which night a NEI is about. ---


def _answers_question(session: Session, signup: Signup, body: str, now: datetime) -> bool:
    """The NEI answers a question we asked about this night, which is near, and names no other."""
    shift = signup.shift
    tz = messages.zone(shift)
    day = local(shift.starts_at, tz).date()
    if (day - local(now, tz).date()).days > NEAR_DAYS:
        return False
    named = _dates(body)
    if named and (day.day, day.month) not in named:
        return False
    asked = session.scalar(
        select(func.count()).where(
            SmsMessage.signup_id == signup.id,
            SmsMessage.purpose.in_(QUESTIONS),
            SmsMessage.sent_at.is_not(None),
            SmsMessage.sent_at <= now,
        )
    )
    return bool(asked)


def _ask_which_night(session: Session, person: Person, now: datetime, _) -> str:
    """List the person's coming nights by number and keep the list for their next answer."""
    session.execute(delete(NightChoice).where(NightChoice.person_id == person.id))
    nights = _coming(session, person, now, LISTED)
    for number, signup in enumerate(nights, start=1):
        session.add(NightChoice(person_id=person.id, signup_id=signup.id, number=number, asked_at=now))
    if len(nights) == 1:
        return _(
            "Natteravn: do you want to cancel %(route)s on %(date)s at %(time)s? "
            "Answer JA to cancel it. Without an answer you stay on."
        ) % _words(nights[0].shift)
    listed = ", ".join(
        f"{number}) {words['route']} {words['date']}"
        for number, words in enumerate((_words(signup.shift) for signup in nights), start=1)
    )
    return _(
        "Natteravn: which night can you not come to? %(nights)s. Answer NEI and its number, "
        "for example NEI %(example)d. Without an answer you stay on."
    ) % {"nights": listed, "example": len(nights)}


def _open_choices(session: Session, person: Person, now: datetime) -> dict[int, Signup]:
    """The nights listed in the person's open "which night?" question, by number: none once it is
    old, or once another question about their nights has gone out since."""
    rows = session.execute(
        select(NightChoice.number, NightChoice.asked_at, Signup)
        .join(NightChoice.signup)
        .join(Signup.shift)
        .where(
            NightChoice.person_id == person.id,
            NightChoice.asked_at > now - CHOICE_OPEN,
            Signup.state.in_(ANSWERABLE),
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
        )
        .order_by(NightChoice.number)
    ).all()
    if not rows:
        return {}
    asked_since = session.scalar(
        select(func.count()).where(
            SmsMessage.person_id == person.id,
            SmsMessage.purpose.in_(QUESTIONS),
            SmsMessage.sent_at > rows[0].asked_at,
            SmsMessage.sent_at <= now,
        )
    )
    return {} if asked_since else {number: signup for number, _asked_at, signup in rows}


def _chosen(choices: dict[int, Signup], body: str) -> Signup | None:
    """The one listed night the answer names, by date ("27.11") or by number ("NEI 2")."""
    if not choices:
        return None
    named = _dates(body)
    if named:
        on_day = [s for s in choices.values() if _day_month(s.shift) in named]
        return on_day[0] if len(on_day) == 1 else None
    numbers = {int(n) for n in _NUMBER.findall(body)}
    return choices.get(numbers.pop()) if len(numbers) == 1 else None


def _names_a_night(body: str) -> bool:
    return bool(_DATE.search(body) or _NUMBER.search(body))


def _dates(body: str) -> set[tuple[int, int]]:
    return {(int(day), int(month)) for day, month in _DATE.findall(body)}


def _day_month(shift: Shift) -> tuple[int, int]:
    day = local(shift.starts_at, messages.zone(shift)).date()
    return day.day, day.month


def _cancel_chosen(session: Session, person: Person, signup: Signup, now: datetime, links: Links, _) -> str:
    session.execute(delete(NightChoice).where(NightChoice.person_id == person.id))
    return _cancel(session, signup, now, links, _)


# --- Acting on the answer. ---


def _take(session: Session, invitation: Invitation, now: datetime, links: Links, _) -> str:
    answer = calls.take_place(session, invitation, now, links)
    return calls.answer_text(_, answer, invitation.shift, now)


def _confirm(session: Session, signup: Signup, now: datetime, links: Links, _) -> str:
    words = _words(signup.shift)
    if signup.state == SignupState.WAITLISTED:
        return _("You are on the waitlist for %(route)s on %(date)s. We send an SMS if a place frees up.") % words
    if signup.state == SignupState.OFFERED:
        try:
            service.confirm_offer(session, signup.id, now, links)
        except service.SignupRefused as refusal:
            return refusal.translated(_)
        messages.confirmed(session, signup, links, by_reply=True)
        return _("Thank you! The place on %(route)s on %(date)s at %(time)s is yours. Meet at %(place)s.") % words
    try:
        service.confirm_place(session, signup.person, signup.id, now, links)
    except service.SignupRefused as refusal:
        return refusal.translated(_)
    return _("Thank you! You are confirmed for %(route)s on %(date)s at %(time)s.") % words


def _cancel(session: Session, signup: Signup, now: datetime, links: Links, _) -> str:
    words = _words(signup.shift)
    if signup.state == SignupState.OFFERED:
        service.decline_offer(session, signup.id, now, links)
        return _("Thank you. The place on %(route)s on %(date)s goes to the next on the list.") % words
    person, shift = lock_signup(session, signup)
    if signup.state == SignupState.WAITLISTED:
        service.withdraw(session, signup, now, links)
        return _("You are off the waitlist for %(route)s on %(date)s.") % words
    if signup.state not in HOLDING:
        return _("You are no longer on %(route)s on %(date)s.") % words
    late = now >= service.cancel_cutoff(shift)
    told = service.give_back(session, signup, now, links, late=late)
    calls.withdraw_standin_calls(session, signup)
    audit.record(
        session,
        actor_id=person.id,
        action="signup.cancelled_by_sms",
        object_type="signup",
        object_id=signup.id,
        now=now,
        region_id=shift.term.region_id,
        late=late,
    )
    if not told:
        return _("You are no longer on %(route)s on %(date)s. Thank you for telling us.") % words
    return _("You are no longer on %(route)s on %(date)s. Thank you for telling us; the group leader is told.") % words
