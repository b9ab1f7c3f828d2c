"""Giving a night away: instead of cancelling, a parent asks for a stand-in. They stay on the
night until someone answers the call and takes the place; then both are told."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.i18n import N_, Refusal
from natteravn.links import Links
from natteravn.shifts import calls, service
from natteravn.shifts.locks import lock_signup
from natteravn.shifts.models import Signup, SignupState


class StandinRefused(Refusal):
    pass


def _own_place(session: Session, person: Person, signup_id: int) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id:
        raise StandinRefused(N_("That sign-up does not exist."))
    lock_signup(session, signup)
    return signup


def request_standin(session: Session, person: Person, signup_id: int, now: datetime, links: Links) -> Signup:
    """Ask for someone to take the person's place. Asking twice asks nobody twice."""
    signup = _own_place(session, person, signup_id)
    shift = signup.shift
    if signup.state not in (SignupState.SIGNED_UP, SignupState.CONFIRMED):
        raise StandinRefused(N_("Only a place you hold can be given away."))
    if shift.cancelled_at is not None:
        raise StandinRefused(N_("This night is cancelled."))
    if shift.starts_at <= now:
        raise StandinRefused(N_("This night has already started."))
    if signup.standin_requested_at is not None:
        return signup
    signup.standin_requested_at = now
    asked = calls.call_for_standin(session, signup, now, links)
    audit.record(
        session,
        actor_id=person.id,
        action="signup.standin_requested",
        object_type="signup",
        object_id=signup.id,
        now=now,
        region_id=shift.term.region_id,
        asked=asked,
    )
    return signup


def what_cancelling_does(session: Session, person: Person, signup_id: int, now: datetime) -> service.Cancelling:
    """`service.what_cancelling_does`, and what it does to a stand-in asked for (`cancel_place`):
    the place goes to the waitlist, or the night needs nobody more, and the calls still to go out
    are withdrawn; or the night is short without the person, and they go out for a place that is
    there."""
    cancelling = service.what_cancelling_does(session, person, signup_id, now)
    signup = cancelling.signup
    if signup.standin_requested_at is None or signup.state not in (SignupState.SIGNED_UP, SignupState.CONFIRMED):
        return cancelling
    kept = not cancelling.waitlist and calls.still_wanted_without(session, signup)
    return replace(cancelling, standin_asked=True, standin_calls_kept=kept)


def cancel_place(session: Session, person: Person, signup_id: int, now: datetime, links: Links) -> Signup:
    """ "Cancel my place" (`service.cancel_signup`): a stand-in asked for it is no longer wanted."""
    signup = service.cancel_signup(session, person, signup_id, now, links)
    calls.withdraw_standin_calls(session, signup)
    return signup


def keep_place(session: Session, person: Person, signup_id: int, now: datetime) -> Signup:
    """The parent can come after all: the place is no longer up for grabs. The calls for a
    stand-in still to go out are withdrawn unless the night is short; those already asked who
    answer JA get a free place if there is one, else are told the night is full."""
    signup = _own_place(session, person, signup_id)
    if signup.standin_requested_at is None or signup.state not in (SignupState.SIGNED_UP, SignupState.CONFIRMED):
        return signup
    signup.standin_requested_at = None
    calls.withdraw_waiting_calls(session, signup.shift)
    audit.record(
        session,
        actor_id=person.id,
        action="signup.standin_withdrawn",
        object_type="signup",
        object_id=signup.id,
        now=now,
        region_id=signup.shift.term.region_id,
    )
    return signup
