"""The night's logbook: who walked, who did not come, and who came without signing up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person
from natteravn.accounts.service import normalise_phone
from natteravn.audit import service as audit
from natteravn.i18n import N_
from natteravn.reports.access import ReportRefused, check_may_change, report_of
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState

#: What the audit log says about logbooks.
AUDIT = audit.Vocabulary(
    actions={
        "logbook.saved": N_("Kept the logbook of night %(object_id)s: %(attended)s came, %(no_show)s did not"),
        "logbook.walk_in": N_("Added %(walker)s to the logbook of night %(object_id)s"),
    }
)


def logbook(session: Session, shift: Shift) -> list[Signup]:
    """Everyone holding a place on the night, leaders first."""
    return list(
        session.scalars(
            select(Signup)
            .where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))
            .options(joinedload(Signup.person))
            .order_by(Signup.role.desc(), Signup.created_at, Signup.id)
        )
    )


def record_attendance(session: Session, person: Person, shift: Shift, present: set[int], now: datetime) -> None:
    """Those ticked walked; everyone else on the night did not come."""
    report = report_of(session, shift)
    check_may_change(person, report, now)
    lines = logbook(session, shift)
    for signup in lines:
        signup.state = SignupState.ATTENDED if signup.id in present else SignupState.NO_SHOW
    session.flush()
    if report is not None:
        report.walkers = walkers_on(session, shift)
    audit.record(
        session,
        actor_id=person.id,
        action="logbook.saved",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        attended=sum(1 for s in lines if s.id in present),
        no_show=sum(1 for s in lines if s.id not in present),
    )


def add_walk_in(
    session: Session, person: Person, shift: Shift, phone: str, name: str, adult: bool, now: datetime
) -> Signup:
    """Enter someone who came without signing up: an existing person by their number, or a new,
    minimal one. Walkers are adults; the leader confirms it."""
    check_may_change(person, report_of(session, shift), now)
    if not adult:
        raise ReportRefused(N_("Only adults (18 or older) can walk. Confirm that the walker is an adult."))
    number = normalise_phone(phone)
    walker = session.scalar(select(Person).where(Person.phone == number))
    if walker is not None and not walker.active:
        raise ReportRefused(N_("That number cannot be used. Ask the walker to contact the coordinator."))
    if walker is None:
        walker = _new_walker(session, shift, number, name, now)
    signup = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == walker.id, Signup.state.in_(LIVE))
    )
    if signup is None:
        signup = Signup(shift=shift, person=walker, role=SignupRole.WALKER, state=SignupState.ATTENDED, created_at=now)
        session.add(signup)
    else:
        signup.state = SignupState.ATTENDED
        signup.offer_expires_at = None
    session.flush()
    report = report_of(session, shift)
    if report is not None:
        report.walkers = walkers_on(session, shift)
    audit.record(
        session,
        actor_id=person.id,
        action="logbook.walk_in",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        walker_id=walker.id,
    )
    return signup


def _new_walker(session: Session, shift: Shift, phone: str, name: str, now: datetime) -> Person:
    name = " ".join((name or "").split())
    if not name:
        raise ReportRefused(N_("This number is new to us: write the walker's name too."))
    # Not onboarded: the walker confirms their age and the code of conduct themselves on first login.
    walker = Person(
        phone=phone,
        name=name,
        locale="nb",
        municipality_id=shift.route.municipality_id,
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(walker)
    session.flush()
    return walker


def walkers_on(session: Session, shift: Shift) -> int:
    attended = select(func.count()).where(Signup.shift_id == shift.id, Signup.state == SignupState.ATTENDED)
    return session.scalar(attended) or 0
