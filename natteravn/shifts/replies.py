"""What a JA or NEI by SMS means for the sender's nights. The SMS inbound webhook calls these
and sends back the text they return (None: the number belongs to nobody we know).

A reply answers the latest question we asked: an invitation to take a place (a call for walkers
or a stand-in), unless a message about the person's next night went out after it. Then JA
confirms that next night and NEI takes the person off it.

NEI works up to the night's start, also after the cut-off for cancelling on the web: someone
who will not come is better off the list than a no-show, and their place can still go to the
waitlist. After the cut-off, or when nobody waits for the place, the night's group leader is told at
once by SMS (`service.give_back`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.shifts import calls, messages, service
from natteravn.shifts.locks import lock_signup
from natteravn.shifts.models import HOLDING, Invitation, InvitationOutcome, Shift, Signup, SignupState
from natteravn.sms.models import MessageState, Purpose, SmsMessage

#: Sign-ups a JA or NEI can be about.
ANSWERABLE = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.OFFERED, SignupState.WAITLISTED)
#: Messages about a sign-up that a person may be answering.
ASKING = (*messages.PLANNED, Purpose.WAITLIST_PROMOTED, Purpose.SHIFT_CHANGED)


def reply_yes(session: Session, phone: str, now: datetime, links: Links) -> str | None:
    person = _sender(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    question = _question(session, person, now)
    if isinstance(question, Invitation):
        return _take(session, question, now, links, _)
    if question is None:
        return _("You have no nights coming up. Find one at %(link)s") % {"link": links.url("/nights")}
    return _confirm(session, question, now, links, _)


def reply_no(session: Session, phone: str, now: datetime, links: Links) -> str | None:
    person = _sender(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    question = _question(session, person, now)
    if isinstance(question, Invitation):
        calls.decline(question, now)
        return _("Thank you for answering. We will not ask you about %(route)s on %(date)s again.") % _words(
            question.shift
        )
    if question is None:
        return _("You have no nights coming up to cancel.")
    return _cancel(session, question, now, links, _)


def _sender(session: Session, phone: str) -> Person | None:
    return session.scalar(select(Person).where(Person.phone == phone, Person.active.is_(True)))


def _words(shift: Shift) -> dict[str, str]:
    return messages.night_words(shift)


def next_signup(session: Session, person: Person, now: datetime) -> Signup | None:
    return session.scalar(
        select(Signup)
        .join(Signup.shift)
        .where(
            Signup.person_id == person.id,
            Signup.state.in_(ANSWERABLE),
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Signup.id)
        .limit(1)
    )


def _question(session: Session, person: Person, now: datetime) -> Invitation | Signup | None:
    signup = next_signup(session, person, now)
    invitation = calls.open_invitation(session, person, now)
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


def _take(session: Session, invitation: Invitation, now: datetime, links: Links, _) -> str:
    answer = calls.take_place(session, invitation, now, links)
    words = _words(invitation.shift)
    if answer.outcome == InvitationOutcome.TAKEN:
        return _("Thank you! The place on %(route)s on %(date)s at %(time)s is yours. Meet at %(place)s.") % words
    if answer.outcome == InvitationOutcome.REFUSED and answer.refusal is not None:
        return answer.refusal.translated(_)
    return _("Thank you! The place on %(route)s on %(date)s is already taken. Someone was quicker this time.") % words


def _confirm(session: Session, signup: Signup, now: datetime, links: Links, _) -> str:
    words = _words(signup.shift)
    if signup.state == SignupState.WAITLISTED:
        return _("You are on the waitlist for %(route)s on %(date)s. We send an SMS if a place frees up.") % words
    if signup.state == SignupState.OFFERED:
        try:
            service.confirm_offer(session, signup.id, now, links)
        except service.SignupRefused as refusal:
            return refusal.translated(_)
        return _("Thank you! The place on %(route)s on %(date)s at %(time)s is yours. Meet at %(place)s.") % words
    lock_signup(session, signup)
    if signup.state == SignupState.SIGNED_UP:
        signup.state = SignupState.CONFIRMED
        signup.confirmed_at = now
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
