"""Taking nights off the roster again (a draft term deleted, a term's dates narrowed, a pattern
deleted). A night someone is on, or that was walked, is never taken: what goes with a night is only
what means nothing without it."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from natteravn.clock import local
from natteravn.db import locks_rows
from natteravn.places.models import Route
from natteravn.reports.models import KeptReportInput, ShiftReport, WalkIn
from natteravn.roster.autofill.models import DraftAssignment, RosterLock
from natteravn.shifts import messages
from natteravn.shifts.models import LIVE, Invitation, NightChoice, Shift, Signup, SignupState
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage

#: What a message still planned for a removed night asks of its person: with the night gone it is
#: not sent. News already planned (someone taken off, a class's weekend, the coordinator's own
#: words) still goes out.
ABOUT_THE_NIGHT = (*messages.PLANNED, Purpose.CALL_FOR_WALKERS, Purpose.INVITATION)


def walked() -> ColumnElement[bool]:
    """The night has a report, a logbook entry, or someone marked as having come (or not)."""
    return or_(
        exists().where(ShiftReport.shift_id == Shift.id),
        exists().where(WalkIn.shift_id == Shift.id),
        exists().where(Signup.shift_id == Shift.id, Signup.state.in_((SignupState.ATTENDED, SignupState.NO_SHOW))),
    )


def has_people() -> ColumnElement[bool]:
    """Someone is on the night or waiting for it, or it was walked."""
    return or_(exists().where(Signup.shift_id == Shift.id, Signup.state.in_(LIVE)), walked())


def lock(session: Session, nights: Select) -> None:
    """Hold the nights while deciding whether they may go: nobody signs up for one meanwhile."""
    if locks_rows(session):
        session.execute(nights.with_only_columns(Shift.id).with_for_update())


def count(session: Session, nights: Select) -> int:
    return session.scalar(select(func.count()).select_from(nights.subquery())) or 0


def named(session: Session, nights: Select, tz: ZoneInfo) -> list[tuple[str, date]]:
    """The nights by route and local date, the earliest first, as a coordinator names them."""
    chosen = nights.with_only_columns(Shift.id).scalar_subquery()
    rows = session.execute(
        select(Route.name, Shift.starts_at)
        .select_from(Shift)
        .join(Shift.route)
        .where(Shift.id.in_(chosen))
        .order_by(Shift.starts_at, Route.name)
    )
    return [(route, local(starts_at, tz).date()) for route, starts_at in rows]


def remove(session: Session, nights: Select) -> int:
    """Delete the nights `nights` selects, with their sign-ups, calls for walkers and auto-fill cells.
    Messages about them stay in the outbox, no longer tied to them; those still planned that ask
    something of the night are not sent. Returns how many nights went."""
    session.flush()
    gone = count(session, nights)
    if not gone:
        return 0
    shift_ids = nights.with_only_columns(Shift.id).scalar_subquery()
    signup_ids = select(Signup.id).where(Signup.shift_id.in_(shift_ids)).scalar_subquery()
    about = or_(SmsMessage.shift_id.in_(shift_ids), SmsMessage.signup_id.in_(signup_ids))
    session.execute(
        update(SmsMessage)
        .where(about, SmsMessage.state == MessageState.PENDING, SmsMessage.purpose.in_(ABOUT_THE_NIGHT))
        .values(state=MessageState.CANCELLED, last_error=notes.NIGHT_REMOVED.text())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SmsMessage)
        .where(about)
        .values(shift_id=None, signup_id=None)
        .execution_options(synchronize_session=False)
    )
    for dependent in (
        delete(NightChoice).where(NightChoice.signup_id.in_(signup_ids)),
        delete(Signup).where(Signup.shift_id.in_(shift_ids)),
        delete(Invitation).where(Invitation.shift_id.in_(shift_ids)),
        delete(RosterLock).where(RosterLock.shift_id.in_(shift_ids)),
        delete(DraftAssignment).where(DraftAssignment.shift_id.in_(shift_ids)),
        delete(KeptReportInput).where(KeptReportInput.shift_id.in_(shift_ids)),
        # Last: what chose the nights is unchanged by the deletes above, so it chooses them still.
        delete(Shift).where(Shift.id.in_(shift_ids)),
    ):
        session.execute(dependent.execution_options(synchronize_session=False))
    session.expire_all()
    return gone
