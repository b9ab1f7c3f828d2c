"""The night's logbook: who walked, who did not come, and who came without signing up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person
from natteravn.accounts.service import normalise_phone
from natteravn.audit import service as audit
from natteravn.i18n import N_
from natteravn.places.models import Municipality
from natteravn.reports.access import ReportRefused, check_may_change, report_of
from natteravn.reports.models import WalkIn
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState

#: What the audit log says about logbooks.
AUDIT = audit.Vocabulary(
    actions={
        "logbook.saved": N_("Kept the logbook of night %(object)s: %(attended)s came, %(no_show)s did not"),
        "logbook.walk_in": N_("Added a walk-in to the logbook of night %(object)s"),
        "logbook.walk_in_removed": N_("Took a walk-in out of the logbook of night %(object)s"),
    }
)


#: A night is tonight's from this long before it starts until this long after it ends: the report
#: written at 03:00 is about tonight; the one opened the next afternoon is about a night past.
TONIGHT_BEFORE, TONIGHT_AFTER = timedelta(hours=12), timedelta(hours=6)


def is_tonight(shift: Shift, now: datetime) -> bool:
    return shift.starts_at - TONIGHT_BEFORE <= now < shift.ends_at + TONIGHT_AFTER


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


def record_attendance(
    session: Session, person: Person, shift: Shift, present: set[int], now: datetime, *, by_link: bool = False
) -> None:
    """Those ticked walked; everyone else on the night did not come, except someone the logbook
    itself entered as a walk-in: unticked, they are taken out again (a wrong number, say), with no
    "did not come" on the record of a night they never signed up for."""
    report = report_of(session, shift)
    check_may_change(person, report, now, by_link=by_link)
    lines = logbook(session, shift)
    for signup in lines:
        if signup.id in present:
            signup.state = SignupState.ATTENDED
        else:
            signup.state = SignupState.CANCELLED if _entered_as_walk_in(signup) else SignupState.NO_SHOW
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
    session: Session,
    person: Person,
    shift: Shift,
    phone: str | None,
    name: str,
    adult: bool,
    now: datetime,
    *,
    by_link: bool = False,
) -> int | None:
    """Enter someone who came without signing up. A volunteer of the night's region is found by
    their number and marked as walked; anyone else, or someone who gives no number, is kept by the
    first name the leader wrote, as is a volunteer whose number it is but who holds a place on
    another night at the same time (a digit wrong, most likely). The
    answer, and what the logbook shows, is the same either way: a number tells nothing about whether,
    or where, its owner is registered. Returns the sign-up marked as walked, if any: the logbook
    page ticks it, or the next Save would mark them as not come."""
    check_may_change(person, report_of(session, shift), now, by_link=by_link)
    if not adult:
        raise ReportRefused(N_("Only adults (18 or older) can walk. Confirm that the walker is an adult."))
    first_name = _kept_name(name)
    if not first_name:
        raise ReportRefused(N_("Write the walker's first name."))
    given = (phone or "").strip()
    walker = _volunteer_of_region(session, normalise_phone(given), shift.term.region_id) if given else None
    if walker is not None and _on_another_night_then(session, walker, shift):
        walker = None  # a mistyped number, most likely: their own night's logbook speaks for them
    walked = None
    if walker is None:
        _refuse_if_just_added(session, shift, first_name, now)
        session.add(WalkIn(shift_id=shift.id, first_name=first_name, added_by_id=person.id, created_at=now))
    else:
        walked = _mark_walked(session, shift, walker, now).id
    _walkers_changed(session, person, shift, "logbook.walk_in", now)
    return walked


def _entered_as_walk_in(signup: Signup) -> bool:
    """The logbook made this sign-up for a volunteer found by their number (`_mark_walked`)."""
    return signup.walked_in_at is not None and signup.walked_in_at == signup.created_at


def _kept_name(name: str) -> str:
    """The first name, and the initial that follows it when one does ("Bjørn H."): two walkers of
    one first name are told apart so, and nothing more of a name is kept."""
    words = (name or "").split()
    initial = words[1] if len(words) > 1 and len(words[1].rstrip(".")) == 1 else ""
    return " ".join([*words[:1], *([initial.rstrip(".") + "."] if initial else [])])


#: A walk-in of the same first name added this recently is the same tap sent twice (a double tap,
#: or Back and the button again): walk-ins are kept by first name only, so nothing else tells.
SAME_TAP = timedelta(minutes=2)


def _refuse_if_just_added(session: Session, shift: Shift, first_name: str, now: datetime) -> None:
    just_added = select(WalkIn.id).where(
        WalkIn.shift_id == shift.id, WalkIn.first_name == first_name, WalkIn.created_at > now - SAME_TAP
    )
    if session.scalar(just_added.limit(1)) is not None:
        raise ReportRefused(
            N_(
                "%(name)s was added a moment ago. If this is someone else with the same name, add them "
                "with the first letter of their surname, such as %(name)s H."
            ),
            name=first_name,
        )


def remove_walk_in(
    session: Session, person: Person, shift: Shift, walk_in_id: int, now: datetime, *, by_link: bool = False
) -> WalkIn:
    """Take out a walk-in kept by first name: entered twice, or by mistake."""
    check_may_change(person, report_of(session, shift), now, by_link=by_link)
    walk_in = session.scalar(select(WalkIn).where(WalkIn.id == walk_in_id, WalkIn.shift_id == shift.id))
    if walk_in is None:
        raise ReportRefused(N_("That walker is not in this night's logbook."))
    session.delete(walk_in)
    _walkers_changed(session, person, shift, "logbook.walk_in_removed", now)
    return walk_in


def _walkers_changed(session: Session, person: Person, shift: Shift, action: str, now: datetime) -> None:
    """The report counts the night's walkers again, and the audit log keeps who changed them."""
    session.flush()
    report = report_of(session, shift)
    if report is not None:
        report.walkers = walkers_on(session, shift)
    audit.record(
        session,
        actor_id=person.id,
        action=action,
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
    )


def _volunteer_of_region(session: Session, phone: str, region_id: int) -> Person | None:
    return session.scalar(
        select(Person)
        .join(Person.municipality)
        .where(Person.phone == phone, Person.active.is_(True), Municipality.region_id == region_id)
    )


def _on_another_night_then(session: Session, walker: Person, shift: Shift) -> bool:
    other = (
        select(Signup.id)
        .join(Signup.shift)
        .where(
            Signup.person_id == walker.id,
            Signup.shift_id != shift.id,
            Signup.state.in_(HOLDING),
            Shift.cancelled_at.is_(None),
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    )
    return session.scalar(other.limit(1)) is not None


def _mark_walked(session: Session, shift: Shift, walker: Person, now: datetime) -> Signup:
    signup = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == walker.id, Signup.state.in_(LIVE))
    )
    if signup is None:
        signup = Signup(shift=shift, person=walker, role=SignupRole.WALKER, created_at=now, walked_in_at=now)
        session.add(signup)
    elif signup.state not in HOLDING:
        signup.walked_in_at = now  # on the waitlist: not someone the leader saw on the night's list
    signup.state = SignupState.ATTENDED
    signup.offer_expires_at = None
    session.flush()  # its id, for the logbook page to tick
    return signup


def walk_ins(session: Session, shift: Shift) -> list[WalkIn]:
    return list(session.scalars(select(WalkIn).where(WalkIn.shift_id == shift.id).order_by(WalkIn.id)))


def logbook_kept(session: Session, shift: Shift) -> bool:
    """The logbook of the night was saved at least once: someone on it is marked as walked or as
    not come, or a walk-in was entered (which marks who walked too)."""
    kept = select(Signup.id).where(
        Signup.shift_id == shift.id, Signup.state.in_((SignupState.ATTENDED, SignupState.NO_SHOW))
    )
    walked_in = select(WalkIn.id).where(WalkIn.shift_id == shift.id)
    return session.scalar(kept.limit(1)) is not None or session.scalar(walked_in.limit(1)) is not None


def walkers_on(session: Session, shift: Shift) -> int:
    """Everyone who walked the night: those the logbook marked as walked, and the walk-ins kept by name."""
    attended = select(func.count()).where(Signup.shift_id == shift.id, Signup.state == SignupState.ATTENDED)
    guests = select(func.count()).where(WalkIn.shift_id == shift.id)
    return (session.scalar(attended) or 0) + (session.scalar(guests) or 0)
