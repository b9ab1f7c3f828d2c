"""Nights and sign-ups: every rule about who walks when lives here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, RoleKind
from natteravn.clock import local
from natteravn.db import locks_rows
from natteravn.i18n import N_, Refusal
from natteravn.links import Links
from natteravn.places.models import Municipality, Route
from natteravn.shifts import messages
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState, Term


class SignupRefused(Refusal):
    pass


@dataclass
class Night:
    """A night as a parent sees it in a list."""

    shift: Shift
    taken: int
    leaders: int
    mine: Signup | None = None

    @property
    def places_left(self) -> int:
        return max(self.shift.max_walkers - self.taken, 0)

    @property
    def has_leader(self) -> bool:
        return self.leaders > 0

    @property
    def full(self) -> bool:
        return self.places_left == 0


@dataclass
class Weekend:
    year: int
    week: int
    first_day: date
    last_day: date
    nights: list[Night] = field(default_factory=list)


def _published_nights(region_id: int):
    return (
        select(Shift)
        .join(Shift.term)
        .join(Shift.route)
        .join(Route.municipality)
        .where(Term.region_id == region_id, Term.published_at.is_not(None), Shift.cancelled_at.is_(None))
    )


def _counts(session: Session, shift_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(places taken, leaders on it) for each night, in one query."""
    ids = list(shift_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Signup.shift_id,
            func.count(),
            func.sum(case((Signup.role == SignupRole.LEADER, 1), else_=0)),
        )
        .where(Signup.shift_id.in_(ids), Signup.state.in_(HOLDING))
        .group_by(Signup.shift_id)
    )
    return {shift_id: (taken, leaders or 0) for shift_id, taken, leaders in rows}


def upcoming_weekends(session: Session, person: Person, now: datetime) -> list[Weekend]:
    """Published nights of the person's region that have not begun, the person's own
    municipality first within each weekend."""
    region_id = person.municipality.region_id
    shifts = session.scalars(
        _published_nights(region_id)
        .where(Shift.starts_at > now)
        .options(joinedload(Shift.route).joinedload(Route.municipality))
        .order_by(Shift.starts_at, Municipality.name, Route.name)
    ).all()
    counts = _counts(session, (s.id for s in shifts))
    mine = {
        s.shift_id: s
        for s in session.scalars(
            select(Signup).where(
                Signup.person_id == person.id,
                Signup.state.in_(LIVE),
                Signup.shift_id.in_([s.id for s in shifts]),
            )
        )
    }
    weekends: dict[tuple[int, int], Weekend] = {}
    for shift in shifts:
        day = local(shift.starts_at).date()
        year, week, _ = day.isocalendar()
        weekend = weekends.setdefault((year, week), Weekend(year, week, day, day))
        weekend.last_day = max(weekend.last_day, day)
        taken, leaders = counts.get(shift.id, (0, 0))
        weekend.nights.append(Night(shift, taken, leaders, mine.get(shift.id)))
    for weekend in weekends.values():
        weekend.nights.sort(key=lambda n: (n.shift.route.municipality_id != person.municipality_id, n.shift.starts_at))
    return list(weekends.values())


def night_for(session: Session, person: Person, shift_id: int) -> Night | None:
    """A published night of the person's region, or None: other regions' nights do not exist
    for them."""
    if person.municipality is None:
        return None
    shift = session.scalar(
        select(Shift)
        .join(Shift.term)
        .where(Shift.id == shift_id, Term.region_id == person.municipality.region_id, Term.published_at.is_not(None))
    )
    if shift is None:
        return None
    taken, leaders = _counts(session, [shift.id]).get(shift.id, (0, 0))
    mine = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    return Night(shift, taken, leaders, mine)


def co_walkers(session: Session, person: Person, shift: Shift) -> list[Signup]:
    """The others holding a place on a night — only for someone who holds one too."""
    holding = session.scalar(
        select(func.count()).where(
            Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(HOLDING)
        )
    )
    if not holding:
        return []
    return list(
        session.scalars(
            select(Signup)
            .where(Signup.shift_id == shift.id, Signup.person_id != person.id, Signup.state.in_(HOLDING))
            .options(joinedload(Signup.person))
            .order_by(Signup.role.desc(), Signup.created_at)
        )
    )


def _lock(session: Session, person_id: int, shift_id: int) -> tuple[Person, Shift | None]:
    """Row locks in one fixed order, person then night, so two requests never wait on each
    other in a circle. (SQLite has already serialised the whole transaction at BEGIN.)"""
    person_query = select(Person).where(Person.id == person_id)
    shift_query = select(Shift).where(Shift.id == shift_id)
    if locks_rows(session):
        person_query = person_query.with_for_update()
        shift_query = shift_query.with_for_update()
    person = session.execute(person_query).scalar_one()
    shift = session.execute(shift_query).scalar_one_or_none()
    return person, shift


def _taken(session: Session, shift: Shift) -> int:
    return session.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING)))


def sign_up(session: Session, person: Person, shift_id: int, role: SignupRole, now: datetime, links: Links) -> Signup:
    """Put the person on the night, or on its waitlist when it is full.

    Tapping twice gives the same sign-up back. Raises SignupRefused when a rule says no.
    """
    person, shift = _lock(session, person.id, shift_id)
    if shift is None or person.municipality is None:
        raise SignupRefused(N_("That night does not exist."))
    term = shift.term
    if term.region_id != person.municipality.region_id or term.published_at is None:
        raise SignupRefused(N_("That night does not exist."))
    existing = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    if existing is not None:
        return existing
    _check_may_sign_up(session, person, shift, role, now)
    expire_offers(session, now, links, shift=shift)
    full = _taken(session, shift) >= shift.max_walkers
    signup = Signup(
        shift=shift,
        person=person,
        role=role,
        state=SignupState.WAITLISTED if full else SignupState.SIGNED_UP,
        created_at=now,
        queued_at=now if full else None,
    )
    session.add(signup)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:  # the unique index caught a double tap from another worker
        raise SignupRefused(N_("You are already on this night.")) from error
    messages.signed_up(session, signup, now, links)
    return signup


def _check_may_sign_up(session: Session, person: Person, shift: Shift, role: SignupRole, now: datetime) -> None:
    term = shift.term
    if not person.onboarded:
        raise SignupRefused(N_("Finish your profile before signing up."))
    if shift.cancelled_at is not None:
        raise SignupRefused(N_("This night is cancelled."))
    if shift.starts_at <= now:
        raise SignupRefused(N_("This night has already started."))
    if now < term.signup_opens_at:
        raise SignupRefused(
            N_("Sign-up for this term opens %(when)s."), when=local(term.signup_opens_at).strftime("%d.%m.%Y %H:%M")
        )
    if term.signup_closes_at is not None and now >= term.signup_closes_at:
        raise SignupRefused(N_("Sign-up for this term has closed."))
    if role == SignupRole.LEADER and not person.holds(RoleKind.LEADER, term.region_id):
        raise SignupRefused(N_("Only group leaders can sign up as leader."))
    overlapping = session.scalar(
        select(func.count())
        .select_from(Signup)
        .join(Signup.shift)
        .where(
            Signup.person_id == person.id,
            Signup.state.in_(LIVE),
            Shift.cancelled_at.is_(None),
            and_(Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at),
        )
    )
    if overlapping:
        raise SignupRefused(N_("You are already on another night at that time."))
    in_term = session.scalar(
        select(func.count())
        .select_from(Signup)
        .join(Signup.shift)
        .where(
            Signup.person_id == person.id,
            Signup.state.in_(LIVE),
            Shift.term_id == term.id,
            Shift.cancelled_at.is_(None),
        )
    )
    if in_term >= term.cap:
        raise SignupRefused(N_("You already have %(cap)d nights this term, the most allowed."), cap=term.cap)


def cancel_signup(session: Session, person: Person, signup_id: int, now: datetime, links: Links) -> Signup:
    """Take the person off a night (or its waitlist) and offer the freed place onwards."""
    signup = session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id:
        raise SignupRefused(N_("That sign-up does not exist."))
    person, shift = _lock(session, person.id, signup.shift_id)
    session.refresh(signup)
    if signup.state not in LIVE:
        return signup
    if signup.state in HOLDING and now >= cancel_cutoff(shift):
        raise SignupRefused(N_("It is too late to cancel this night. Ask for a stand-in, or tell your group leader."))
    withdraw(session, signup, now, links)
    return signup


def cancel_cutoff(shift: Shift) -> datetime:
    return shift.starts_at - timedelta(hours=shift.term.region.cancel_cutoff_hours)


def withdraw(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """Cancel a sign-up without the parent's cut-off (the caller has checked what applies)."""
    held = signup.state in HOLDING
    signup.state = SignupState.CANCELLED
    signup.cancelled_at = now
    signup.offer_expires_at = None
    messages.withdrawn(session, signup, now)
    if held:
        promote_waitlist(session, signup.shift, now, links)


def promote_waitlist(session: Session, shift: Shift, now: datetime, links: Links) -> list[Signup]:
    """Offer free places to the waitlist in order. An offer holds the place until it is
    confirmed or expires, because a silent promotion is how people fail to turn up."""
    if shift.cancelled_at is not None or shift.starts_at <= now:
        return []
    free = shift.max_walkers - _taken(session, shift)
    if free <= 0:
        return []
    waiting = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id)
        .limit(free)
    ).all()
    window = timedelta(hours=shift.term.region.offer_hours)
    for signup in waiting:
        signup.state = SignupState.OFFERED
        signup.offer_expires_at = min(now + window, shift.starts_at)
        messages.offered(session, signup, now, links)
    return list(waiting)


def confirm_offer(session: Session, signup_id: int, now: datetime, links: Links) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise SignupRefused(N_("That offer does not exist."))
    _lock(session, signup.person_id, signup.shift_id)
    session.refresh(signup)
    if signup.state in (SignupState.SIGNED_UP, SignupState.CONFIRMED):
        return signup  # tapped twice
    if signup.state != SignupState.OFFERED or signup.offer_expires_at is None or signup.offer_expires_at <= now:
        raise SignupRefused(N_("The offer has expired and the place went to the next on the list."))
    signup.state = SignupState.CONFIRMED
    signup.confirmed_at = now
    signup.offer_expires_at = None
    messages.signed_up(session, signup, now, links)
    return signup


def decline_offer(session: Session, signup_id: int, now: datetime, links: Links) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise SignupRefused(N_("That offer does not exist."))
    _lock(session, signup.person_id, signup.shift_id)
    session.refresh(signup)
    if signup.state == SignupState.OFFERED:
        withdraw(session, signup, now, links)
    return signup


def expire_offers(session: Session, now: datetime, links: Links, shift: Shift | None = None) -> int:
    """Offers nobody confirmed in time go to the next on the list."""
    query = select(Signup).where(Signup.state == SignupState.OFFERED, Signup.offer_expires_at <= now)
    if shift is not None:
        query = query.where(Signup.shift_id == shift.id)
    expired = session.scalars(query.order_by(Signup.shift_id, Signup.id)).all()
    for signup in expired:
        withdraw(session, signup, now, links)
    return len(expired)


def my_nights(session: Session, person: Person, now: datetime) -> tuple[list[Signup], list[Signup]]:
    """(upcoming, past) sign-ups, the nearest first and the latest past first."""
    signups = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == person.id, Signup.state != SignupState.CANCELLED)
        .options(joinedload(Signup.shift).joinedload(Shift.route).joinedload(Route.municipality))
        .order_by(Shift.starts_at)
    ).all()
    upcoming = [s for s in signups if s.shift.ends_at > now]
    past = [s for s in reversed(signups) if s.shift.ends_at <= now]
    return upcoming, past


def calendar_nights(session: Session, person: Person) -> list[Signup]:
    """What belongs in the person's calendar: nights they hold a place on."""
    return list(
        session.scalars(
            select(Signup)
            .join(Signup.shift)
            .where(Signup.person_id == person.id, Signup.state.in_(HOLDING))
            .options(joinedload(Signup.shift).joinedload(Shift.route).joinedload(Route.municipality))
            .order_by(Shift.starts_at)
        )
    )
