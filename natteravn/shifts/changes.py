"""A coordinator moves or cancels a night: what was planned for it is planned again or
withdrawn, and everyone on it is told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.shifts import messages
from natteravn.shifts.models import LIVE, Shift, Signup, SignupState
from natteravn.sms.models import Purpose


class ChangeRefused(Refusal):
    pass


def _live_signups(session: Session, shift: Shift) -> list[Signup]:
    return list(
        session.scalars(select(Signup).where(Signup.shift_id == shift.id, Signup.state.in_(LIVE)).order_by(Signup.id))
    )


def move_night(
    session: Session, shift: Shift, starts_at: datetime, ends_at: datetime, now: datetime, links: Links, actor: Person
) -> Shift:
    """Give a night new times. Its sign-ups keep their places; their reminders are planned again
    for the new times and each person is told (and may answer NEI)."""
    if shift.cancelled_at is not None:
        raise ChangeRefused(N_("This night is cancelled."))
    if ends_at <= starts_at:
        raise ChangeRefused(N_("The night must end after it starts."))
    if starts_at <= now:
        raise ChangeRefused(N_("A night cannot be moved to a time that has passed."))
    if (starts_at, ends_at) == (shift.starts_at, shift.ends_at):
        return shift
    old_words = messages.night_words(shift)
    old_starts_at = shift.starts_at
    shift.starts_at, shift.ends_at = starts_at, ends_at
    messages.cancel_pending(
        session, shift_id=shift.id, purposes=messages.PLANNED, reason="night moved", release_keys=True
    )
    for signup in _live_signups(session, shift):
        if signup.state in (SignupState.SIGNED_UP, SignupState.CONFIRMED):
            messages.plan_reminders(session, signup, now, links)
        _tell_moved(session, signup, old_words["date"], now, links)
    audit.record(
        session,
        actor_id=actor.id,
        action="shift.moved",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        old_starts_at=old_starts_at.isoformat(),
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    return shift


def _tell_moved(session: Session, signup: Signup, old_date: str, now: datetime, links: Links) -> None:
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    words = {**messages.night_words(shift), "old": old_date, "link": links.night(shift.id)}
    messages.plan_news(
        session,
        signup,
        key=f"shift_changed:{signup.id}:{int(shift.starts_at.timestamp())}",
        body=messages.moved_text(_, words),
        purpose=Purpose.SHIFT_CHANGED,
        now=now,
    )


def cancel_night(session: Session, shift: Shift, reason: str, now: datetime, links: Links, actor: Person) -> Shift:
    """Call a night off. Nothing planned for it is sent; everyone on it or waiting for it gets
    one SMS saying so. Their sign-ups stay, so My nights and calendars show the night as cancelled."""
    if shift.cancelled_at is not None:
        return shift
    if shift.ends_at <= now:
        raise ChangeRefused(N_("A night that is over cannot be cancelled."))
    shift.cancelled_at = now
    shift.cancel_reason = " ".join((reason or "").split())
    messages.cancel_pending(session, shift_id=shift.id, reason="night cancelled")
    for signup in _live_signups(session, shift):
        _tell_cancelled(session, signup, now)
    audit.record(
        session,
        actor_id=actor.id,
        action="shift.cancelled",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        reason=shift.cancel_reason,
    )
    return shift


def _tell_cancelled(session: Session, signup: Signup, now: datetime) -> None:
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    messages.plan_news(
        session,
        signup,
        key=f"shift_cancelled:{signup.id}",
        body=messages.cancelled_text(_, {**messages.night_words(shift), "reason": shift.cancel_reason}),
        purpose=Purpose.SHIFT_CANCELLED,
        now=now,
        until=shift.ends_at,
    )
