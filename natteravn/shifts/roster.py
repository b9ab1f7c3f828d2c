"""The coordinator's roster: the grid of a term's nights, the people on a night, and the
changes a coordinator makes to them (assign, remove, move, capacity)."""

from __future__ import annotations

import csv
import enum
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import display_phone
from natteravn.audit import service as audit
from natteravn.clock import OSLO, local, weekend_of
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.places.models import Municipality, Route
from natteravn.shifts import changes, messages
from natteravn.shifts.locks import lock_night, lock_person_and_nights
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState, Term
from natteravn.shifts.service import promote_waitlist, withdraw
from natteravn.sms.models import Purpose


class RosterRefused(Refusal):
    pass


class CellState(enum.StrEnum):
    """What a night most needs, most urgent first."""

    CANCELLED = "cancelled"
    EMPTY = "empty"
    SHORT = "short"
    NO_LEADER = "no_leader"
    FULL = "full"
    OK = "ok"


@dataclass
class Cell:
    shift: Shift
    taken: int
    leaders: int
    waiting: int = 0

    @property
    def has_leader(self) -> bool:
        return self.leaders > 0

    @property
    def state(self) -> CellState:
        if self.shift.cancelled_at is not None:
            return CellState.CANCELLED
        if self.taken == 0:
            return CellState.EMPTY
        if self.taken < self.shift.min_walkers:
            return CellState.SHORT
        if self.shift.needs_leader and not self.has_leader:
            return CellState.NO_LEADER
        if self.taken >= self.shift.max_walkers:
            return CellState.FULL
        return CellState.OK


@dataclass
class GridWeekend:
    key: tuple[int, int]
    first_day: date
    last_day: date
    cells: dict[int, list[Cell]] = field(default_factory=dict)  # by route id


@dataclass
class Grid:
    routes: list[Route]
    weekends: list[GridWeekend]

    def by_municipality(self) -> list[tuple[Municipality, int]]:
        """Column groups: each municipality with how many routes it spans."""
        groups: list[tuple[Municipality, int]] = []
        for route in self.routes:
            if groups and groups[-1][0].id == route.municipality_id:
                groups[-1] = (groups[-1][0], groups[-1][1] + 1)
            else:
                groups.append((route.municipality, 1))
        return groups


def _counts(session: Session, shift_filter) -> dict[int, tuple[int, int, int]]:
    """(places taken, leaders, waiting) per night, in one grouped query."""
    holding = Signup.state.in_(HOLDING)
    rows = session.execute(
        select(
            Signup.shift_id,
            func.count().filter(holding),
            func.count().filter(and_(holding, Signup.role == SignupRole.LEADER)),
            func.count().filter(Signup.state == SignupState.WAITLISTED),
        )
        .where(Signup.shift_id.in_(shift_filter))
        .group_by(Signup.shift_id)
    )
    return {shift_id: (taken, leaders, waiting) for shift_id, taken, leaders, waiting in rows}


def grid(session: Session, term: Term, municipality_id: int | None = None) -> Grid:
    """Weekends down, routes across. A fixed number of queries whatever the number of nights: the
    region's routes first, so each night finds its route in the session instead of asking again."""
    routes = select(Route).join(Route.municipality).where(Municipality.region_id == term.region_id)
    nights = select(Shift).join(Shift.route).where(Shift.term_id == term.id)
    if municipality_id is not None:
        routes = routes.where(Route.municipality_id == municipality_id)
        nights = nights.where(Route.municipality_id == municipality_id)
    known = {r.id: r for r in session.scalars(routes.options(joinedload(Route.municipality)))}
    shifts = session.scalars(nights.order_by(Shift.starts_at)).all()
    counts = _counts(session, nights.with_only_columns(Shift.id))
    tz = ZoneInfo(term.region.timezone)
    weekends: dict[tuple[int, int], GridWeekend] = {}
    used: set[int] = set()
    for shift in shifts:
        day = local(shift.starts_at, tz).date()
        key = weekend_of(day)
        weekend = weekends.setdefault(key, GridWeekend(key, day, day))
        weekend.last_day = max(weekend.last_day, day)
        weekend.cells.setdefault(shift.route_id, []).append(Cell(shift, *counts.get(shift.id, (0, 0, 0))))
        used.add(shift.route_id)
    ordered = sorted((known[i] for i in used), key=lambda r: (r.municipality.name, r.name, r.id))
    return Grid(ordered, list(weekends.values()))


def term_municipalities(session: Session, term: Term) -> list[Municipality]:
    return list(
        session.scalars(
            select(Municipality)
            .where(Municipality.region_id == term.region_id, Municipality.archived.is_(False))
            .order_by(Municipality.name)
        )
    )


# --- One night. ---


@dataclass
class NightRoster:
    shift: Shift
    on_it: list[Signup]
    waiting: list[Signup]

    @property
    def cell(self) -> Cell:
        leaders = sum(s.role == SignupRole.LEADER for s in self.on_it)
        return Cell(self.shift, len(self.on_it), leaders, len(self.waiting))


def night_roster(session: Session, shift: Shift) -> NightRoster:
    signups = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state.in_(LIVE))
        .options(joinedload(Signup.person))
        .order_by(Signup.created_at, Signup.id)
    ).all()
    waiting = sorted((s for s in signups if s.state == SignupState.WAITLISTED), key=lambda s: (s.queued_at, s.id))
    return NightRoster(shift, [s for s in signups if s.state in HOLDING], waiting)


def search_people(session: Session, region_id: int, query: str, limit: int = 20) -> list[Person]:
    """Active volunteers of the region whose name or phone number matches."""
    words = query.strip()
    if not words:
        return []
    digits = "".join(ch for ch in words if ch.isdigit())
    matches = [func.lower(Person.name).contains(words.lower(), autoescape=True)]
    if len(digits) >= 3:
        matches.append(Person.phone.contains(digits, autoescape=True))
    return list(
        session.scalars(
            select(Person)
            .join(Person.municipality)
            .where(Municipality.region_id == region_id, Person.active.is_(True), or_(*matches))
            .options(joinedload(Person.municipality), joinedload(Person.roles))
            .order_by(Person.name, Person.id)
            .limit(limit)
        ).unique()
    )


def other_nights(session: Session, shift: Shift, now: datetime) -> list[Shift]:
    """Nights of the same term, still ahead, that a person could be moved to."""
    return list(
        session.scalars(
            select(Shift)
            .where(
                Shift.term_id == shift.term_id,
                Shift.id != shift.id,
                Shift.cancelled_at.is_(None),
                Shift.starts_at > now,
            )
            .options(joinedload(Shift.route))
            .order_by(Shift.starts_at, Shift.route_id)
        )
    )


# --- Changes. Locks are taken person first, then night, as signing up does. ---


def _taken(session: Session, shift: Shift) -> int:
    return session.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING)))


def _check_assignable(
    session: Session, person: Person, shift: Shift, role: SignupRole, now: datetime, leaving: Signup | None = None
) -> None:
    """The rules a coordinator cannot bypass: the night's capacity, one night at a time, the term's
    cap, and who may lead. The sign-up window is the parents' and does not apply here."""
    term = shift.term
    if person.municipality is None or person.municipality.region_id != term.region_id or not person.active:
        raise RosterRefused(N_("That person is not a volunteer in this region."))
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    if shift.starts_at <= now:
        raise RosterRefused(N_("This night has already started."))
    if role == SignupRole.LEADER and not person.holds(RoleKind.LEADER, term.region_id):
        raise RosterRefused(N_("Only group leaders can be put on a night as leader."))
    if _taken(session, shift) >= shift.max_walkers:
        raise RosterRefused(N_("This night is full. Raise its maximum first if more may walk."))
    others = select(func.count()).select_from(Signup).join(Signup.shift)
    others = others.where(
        Signup.person_id == person.id,
        Signup.state.in_(LIVE),
        Shift.cancelled_at.is_(None),
        Shift.id != shift.id,
    )
    if leaving is not None:
        others = others.where(Signup.id != leaving.id)
    if session.scalar(others.where(Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at)):
        raise RosterRefused(N_("%(name)s is already on another night at that time."), name=person.name)
    if session.scalar(others.where(Shift.term_id == term.id)) >= term.cap:
        raise RosterRefused(N_("%(name)s already has %(cap)d nights this term."), name=person.name, cap=term.cap)


def assign(
    session: Session, shift: Shift, person: Person, role: SignupRole, now: datetime, links: Links, actor: Person
) -> Signup:
    """Put a person on a night. Someone on its waitlist takes a free place; someone already on it
    is refused. People on a published term's night are told at once; a draft's are told when it
    is published."""
    person, (shift,) = lock_person_and_nights(session, person.id, shift.id)
    if shift is None:
        raise RosterRefused(N_("That night does not exist."))
    existing = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    if existing is not None and existing.state != SignupState.WAITLISTED:
        raise RosterRefused(N_("%(name)s is already on this night."), name=person.name)
    _check_assignable(session, person, shift, role, now, leaving=existing)
    if existing is not None:
        existing.state, existing.role, existing.queued_at = SignupState.SIGNED_UP, role, None
        signup = existing
    else:
        signup = Signup(shift=shift, person=person, role=role, state=SignupState.SIGNED_UP, created_at=now)
        session.add(signup)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as error:  # the person signed up themselves a moment ago
            raise RosterRefused(N_("%(name)s is already on this night."), name=person.name) from error
    if shift.term.published_at is not None:
        messages.signed_up(session, signup, now, links)
    _record(session, actor, "signup.assigned", shift, now, signup_id=signup.id, person_id=person.id, role=role.value)
    return signup


def remove(session: Session, signup: Signup, now: datetime, links: Links, actor: Person) -> Signup:
    """Take someone off a night (or its waitlist); the freed place is offered onwards."""
    _person, (shift,) = lock_person_and_nights(session, signup.person_id, signup.shift_id)
    session.refresh(signup)
    if signup.state not in LIVE:
        return signup
    if shift.ends_at <= now:
        raise RosterRefused(N_("This night is over; mark attendance in its log instead."))
    withdraw(session, signup, now, links)
    if shift.term.published_at is not None:
        _tell_removed(session, signup, now)
    _record(session, actor, "signup.removed", shift, now, signup_id=signup.id, person_id=signup.person_id)
    return signup


def _tell_removed(session: Session, signup: Signup, now: datetime) -> None:
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    messages.plan_news(
        session,
        signup,
        key=f"removed:{signup.id}",
        body=_("Natteravn: the coordinator has taken you off %(route)s on %(date)s at %(time)s.")
        % messages.night_words(shift),
        purpose=Purpose.SHIFT_CHANGED,
        now=now,
    )


def move_night(
    session: Session, shift: Shift, starts_at: datetime, ends_at: datetime, now: datetime, links: Links, actor: Person
) -> None:
    """New times for a night. A published night's people are told (shifts.changes); a draft's
    nobody has heard of yet, so it just moves."""
    if (starts_at, ends_at) == (shift.starts_at, shift.ends_at):
        return
    if shift.term.published_at is not None:
        changes.move_night(session, shift, starts_at, ends_at, now, links, actor)
        return
    if ends_at <= starts_at:
        raise RosterRefused(N_("The night must end after it starts."))
    if starts_at <= now:
        raise RosterRefused(N_("A night cannot be moved to a time that has passed."))
    old_starts_at = shift.starts_at
    shift.starts_at, shift.ends_at = starts_at, ends_at
    _record(
        session,
        actor,
        "shift.moved",
        shift,
        now,
        old_starts_at=old_starts_at.isoformat(),
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )


def cancel_night(session: Session, shift: Shift, reason: str, now: datetime, links: Links, actor: Person) -> None:
    """Call a night off. A published night's people are told (shifts.changes); a draft's are not."""
    if shift.term.published_at is not None:
        changes.cancel_night(session, shift, reason, now, links, actor)
        return
    if shift.cancelled_at is not None:
        return
    shift.cancelled_at = now
    shift.cancel_reason = " ".join((reason or "").split())
    _record(session, actor, "shift.cancelled", shift, now, reason=shift.cancel_reason)


def move_person(
    session: Session, signup: Signup, to_shift_id: int, now: datetime, links: Links, actor: Person
) -> Signup:
    """Move someone from one night to another of the same term, with the same role."""
    person, (source, target) = lock_person_and_nights(session, signup.person_id, signup.shift_id, to_shift_id)
    session.refresh(signup)
    if target is None or target.term_id != source.term_id:
        raise RosterRefused(N_("That night does not exist."))
    if signup.state not in HOLDING or source.starts_at <= now:
        raise RosterRefused(N_("Only someone on a night that has not begun can be moved."))
    on_target = session.scalar(
        select(Signup).where(Signup.shift_id == target.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    if on_target is not None:
        raise RosterRefused(N_("%(name)s is already on this night."), name=person.name)
    _check_assignable(session, person, target, signup.role, now, leaving=signup)
    withdraw(session, signup, now, links)
    moved = Signup(shift=target, person=person, role=signup.role, state=SignupState.SIGNED_UP, created_at=now)
    session.add(moved)
    session.flush()
    if target.term.published_at is not None:
        messages.signed_up(session, moved, now, links)
    _record(
        session,
        actor,
        "signup.moved",
        source,
        now,
        signup_id=signup.id,
        new_signup_id=moved.id,
        person_id=person.id,
        to_shift_id=target.id,
    )
    return moved


def set_capacity(
    session: Session,
    shift: Shift,
    min_walkers: int,
    max_walkers: int,
    needs_leader: bool,
    now: datetime,
    links: Links,
    actor: Person,
) -> list[Signup]:
    """Change how many may walk a night. Lowering the maximum below those on it keeps the earliest
    sign-ups; the rest go to the top of the waitlist, in their order, and are told. Raising it
    offers the new places to the waitlist. Returns who was moved to the waitlist."""
    if not 1 <= min_walkers <= max_walkers:
        raise RosterRefused(N_("The minimum must be at least 1 and no more than the maximum."))
    lock_night(session, shift.id)
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    before = (shift.min_walkers, shift.max_walkers, shift.needs_leader)
    if before == (min_walkers, max_walkers, needs_leader):
        return []
    shift.min_walkers, shift.max_walkers, shift.needs_leader = min_walkers, max_walkers, needs_leader
    bumped = _bump_to_waitlist(session, shift, now)
    if shift.term.published_at is not None:
        for signup in bumped:
            _tell_bumped(session, signup, now)
        if shift.max_walkers > before[1]:
            promote_waitlist(session, shift, now, links)
    _record(
        session,
        actor,
        "shift.capacity_changed",
        shift,
        now,
        before={"min": before[0], "max": before[1], "needs_leader": before[2]},
        after={"min": min_walkers, "max": max_walkers, "needs_leader": needs_leader},
        to_waitlist=[s.person_id for s in bumped],
    )
    return bumped


def _bump_to_waitlist(session: Session, shift: Shift, now: datetime) -> list[Signup]:
    holding = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))
        .order_by(Signup.created_at, Signup.id)
    ).all()
    bumped = list(holding[shift.max_walkers :])
    if not bumped:
        return []
    first_waiting = session.scalar(
        select(func.min(Signup.queued_at)).where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
    )
    # Ahead of everyone already waiting, in the order they signed up.
    head = min([s.created_at for s in bumped] + ([first_waiting] if first_waiting else []))
    for place, signup in enumerate(bumped):
        signup.state = SignupState.WAITLISTED
        signup.queued_at = min(signup.created_at, head - timedelta(seconds=len(bumped) - place))
        signup.offer_expires_at = None
        messages.withdrawn(session, signup, now)
    return bumped


def _tell_bumped(session: Session, signup: Signup, now: datetime) -> None:
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    messages.plan_news(
        session,
        signup,
        key=f"bumped:{signup.id}:{shift.max_walkers}",
        body=_(
            "Natteravn: %(route)s on %(date)s now takes fewer walkers. You are first on the waitlist "
            "and get an SMS if a place frees up."
        )
        % messages.night_words(shift),
        purpose=Purpose.SHIFT_CHANGED,
        now=now,
    )


def update_note(session: Session, shift: Shift, note: str, now: datetime, actor: Person) -> None:
    note = note.strip()
    if note != shift.note:
        shift.note = note
        _record(session, actor, "shift.note_changed", shift, now, note=note)


def _record(session: Session, actor: Person, action: str, shift: Shift, now: datetime, **details) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        **details,
    )


# --- Exports and the dashboard. ---


def standing_nights(session: Session, term: Term, *, after: datetime | None = None) -> list[Shift]:
    """The term's nights that are not called off (those starting after `after`, if given), in
    time order, with their routes and municipalities loaded."""
    query = select(Shift).where(Shift.term_id == term.id, Shift.cancelled_at.is_(None))
    if after is not None:
        query = query.where(Shift.starts_at > after)
    return list(
        session.scalars(
            query.options(joinedload(Shift.route).joinedload(Route.municipality)).order_by(Shift.starts_at)
        ).all()
    )


def roster_csv(session: Session, term: Term, header: list[str], role_names: dict[SignupRole, str], locale: str) -> str:
    """The term's roster for Excel: UTF-8 with a byte order mark, semicolons, one row per person on
    a night and one row for a night nobody is on yet."""
    tz = ZoneInfo(term.region.timezone)
    shifts = standing_nights(session, term)
    people = _people_by_night(session, term)
    out = io.StringIO()
    writer = _SpreadsheetWriter(out)
    writer.writerow(header)
    for shift in sorted(shifts, key=lambda s: (s.starts_at, s.route.municipality.name, s.route.name)):
        start, end = local(shift.starts_at, tz), local(shift.ends_at, tz)
        night = [
            start.date().isoformat(),
            format_date(start.date(), "EEE", locale=locale),
            start.strftime("%H:%M"),
            end.strftime("%H:%M"),
            shift.route.municipality.name,
            shift.route.name,
            shift.route.meeting_point,
        ]
        on_it = people.get(shift.id, [])
        for signup in on_it:
            person = signup.person
            writer.writerow([*night, role_names[signup.role], person.name, display_phone(person.phone)])
        if not on_it:
            writer.writerow([*night, "", "", ""])
    return "\ufeff" + out.getvalue()


class _SpreadsheetWriter:
    """Semicolons (Excel's separator where the decimal mark is a comma) and no cell that Excel would
    run as a formula: text starting with = + - or @ gets an apostrophe in front (OWASP's advice)."""

    def __init__(self, out: io.StringIO):
        self._writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def writerow(self, cells: list[str]) -> None:
        self._writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in cells])


def _people_by_night(session: Session, term: Term) -> dict[int, list[Signup]]:
    signups = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Shift.term_id == term.id, Signup.state.in_(HOLDING))
        .options(joinedload(Signup.person))
        .order_by(case((Signup.role == SignupRole.LEADER, 0), else_=1), Signup.created_at, Signup.id)
    ).all()
    found: dict[int, list[Signup]] = defaultdict(list)
    for signup in signups:
        found[signup.shift_id].append(signup)
    return found


@dataclass
class PrintNight:
    shift: Shift
    people: list[Signup]


def printable(session: Session, term: Term, municipality_id: int) -> list[PrintNight]:
    """A municipality's nights with who walks them, for the notice board."""
    shifts = session.scalars(
        select(Shift)
        .join(Shift.route)
        .where(Shift.term_id == term.id, Shift.cancelled_at.is_(None), Route.municipality_id == municipality_id)
        .options(joinedload(Shift.route))
        .order_by(Shift.starts_at, Route.name)
    ).all()
    people = _people_by_night(session, term)
    return [PrintNight(shift, people.get(shift.id, [])) for shift in shifts]


def coming_weekend(now: datetime, tz: ZoneInfo = OSLO) -> tuple[datetime, datetime]:
    """From Friday 00:00 to Monday 00:00 of this weekend, or the next one on a weekday."""
    today = local(now, tz).date()
    friday = today + timedelta(days=4 - today.weekday())  # back to Friday on Saturday and Sunday
    start = datetime.combine(friday, time(0), tz)
    return start, datetime.combine(friday + timedelta(days=3), time(0), tz)


@dataclass
class Dashboard:
    since: datetime
    until: datetime
    cells: list[Cell]

    @property
    def last_day(self) -> datetime:
        return self.until - timedelta(days=1)

    def count(self, state: CellState) -> int:
        return sum(cell.state == state for cell in self.cells)

    @property
    def without_leader(self) -> int:
        return sum(c.shift.needs_leader and not c.has_leader for c in self.cells if c.state != CellState.CANCELLED)

    @property
    def short(self) -> int:
        return self.count(CellState.EMPTY) + self.count(CellState.SHORT)


def dashboard(session: Session, region_ids: set[int], now: datetime) -> Dashboard:
    """The coming weekend's nights in the coordinator's regions, at a glance."""
    since, until = coming_weekend(now)
    since = max(since, now - timedelta(hours=12))  # tonight's night still shows after it has begun
    in_weekend = (
        select(Shift.id)
        .join(Shift.term)
        .where(Term.region_id.in_(region_ids), Shift.starts_at >= since, Shift.starts_at < until)
    )
    shifts = session.scalars(
        select(Shift)
        .where(Shift.id.in_(in_weekend))
        .options(joinedload(Shift.route).joinedload(Route.municipality), joinedload(Shift.term))
        .order_by(Shift.starts_at, Shift.route_id)
    ).all()
    counts = _counts(session, in_weekend)
    return Dashboard(since, until, [Cell(s, *counts.get(s.id, (0, 0, 0))) for s in shifts])
