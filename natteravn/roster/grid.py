"""The coordinator's roster, read: the grid of a term's nights, the people on one night, the
coming weekend at a glance, and the exports (CSV, print)."""

from __future__ import annotations

import enum
from calendar import SUNDAY
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import Select, and_, case, func, select, true
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, Role, RoleKind, Scope
from natteravn.accounts.service import display_phone, found_by
from natteravn.clock import OSLO, local, weekend_of
from natteravn.db import in_norwegian_order
from natteravn.places.models import Municipality, Route, School, SchoolClass
from natteravn.roster.autofill.models import Availability
from natteravn.shifts.models import HOLDING, LIVE, ClassWeekend, Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms.models import MessageState, SmsMessage
from natteravn.spreadsheets import csv_text


class CellState(enum.StrEnum):
    """What a night most needs, most urgent first."""

    CANCELLED = "cancelled"
    EMPTY = "empty"
    SHORT = "short"
    NO_LEADER = "no_leader"
    FULL = "full"
    OK = "ok"


class Contact(enum.StrEnum):
    """What the coordinator knows of one person on a night: whether they answered, and whether an
    SMS reaches them at all."""

    CONFIRMED = "confirmed"  # answered JA (or took the place by answering)
    NOT_ANSWERED = "not_answered"
    OFFERED = "offered"  # offered a place freed from the waitlist: it is theirs only once they take it
    OPTED_OUT = "opted_out"  # texted STOP: stays on the night, gets no SMS
    UNREACHABLE = "unreachable"  # the last SMS tried failed or was not delivered


#: Sign-ups still waiting for the person's JA: a place taken or offered.
UNANSWERED = (SignupState.SIGNED_UP, SignupState.OFFERED)
#: Messages the provider was asked to send: the last of these tells whether a person can be reached.
TRIED = (MessageState.SENT, MessageState.DELIVERED, MessageState.FAILED, MessageState.UNDELIVERED)
NOT_REACHED = (MessageState.FAILED, MessageState.UNDELIVERED)


@dataclass
class Cell:
    shift: Shift
    taken: int
    leaders: int
    waiting: int = 0
    confirmed: int = 0
    not_answered: int = 0
    opted_out: int = 0
    unreachable: int = 0

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


#: What a night still needs: people, or a leader.
GAPS = (CellState.EMPTY, CellState.SHORT, CellState.NO_LEADER)


@dataclass
class Grid:
    routes: list[Route]
    weekends: list[GridWeekend]

    def gaps_only(self) -> Grid:
        """The nights that still need people or a leader; weekends without any are left out, routes stay."""
        weekends = []
        for weekend in self.weekends:
            cells = {r: [c for c in cs if c.state in GAPS] for r, cs in weekend.cells.items()}
            cells = {r: cs for r, cs in cells.items() if cs}
            if cells:
                weekends.append(GridWeekend(weekend.key, weekend.first_day, weekend.last_day, cells))
        return Grid(self.routes, weekends)

    def by_municipality(self) -> list[tuple[Municipality, int]]:
        """Column groups: each municipality with how many routes it spans."""
        groups: list[tuple[Municipality, int]] = []
        for route in self.routes:
            if groups and groups[-1][0].id == route.municipality_id:
                groups[-1] = (groups[-1][0], groups[-1][1] + 1)
            else:
                groups.append((route.municipality, 1))
        return groups


def unreachable_among(people) -> Select:
    """Those of `people` (a query of person ids) whose last SMS tried failed or was not delivered."""
    last_tried = (
        select(func.max(SmsMessage.id))
        .where(SmsMessage.person_id.in_(people), SmsMessage.state.in_(TRIED))
        .group_by(SmsMessage.person_id)
    )
    return select(SmsMessage.person_id).where(SmsMessage.id.in_(last_tried), SmsMessage.state.in_(NOT_REACHED))


def _counts(session: Session, shift_filter) -> dict[int, tuple[int, ...]]:
    """Each night's `Cell` figures after the night itself, in one grouped query: places taken,
    leaders, waiting, confirmed, not answered, opted out, unreachable."""
    holding = Signup.state.in_(HOLDING)
    on_nights = select(Signup.person_id).where(Signup.shift_id.in_(shift_filter), holding)
    opted_out = and_(holding, Person.sms_opted_out_at.is_not(None))
    rows = session.execute(
        select(
            Signup.shift_id,
            func.count().filter(holding),
            func.count().filter(and_(holding, Signup.role == SignupRole.LEADER)),
            func.count().filter(Signup.state == SignupState.WAITLISTED),
            func.count().filter(Signup.state == SignupState.CONFIRMED),
            func.count().filter(Signup.state.in_(UNANSWERED)),
            func.count().filter(opted_out),
            func.count().filter(
                and_(holding, Person.sms_opted_out_at.is_(None), Signup.person_id.in_(unreachable_among(on_nights)))
            ),
        )
        .join(Person, Person.id == Signup.person_id)
        .where(Signup.shift_id.in_(shift_filter))
        .group_by(Signup.shift_id)
    )
    return {shift_id: tuple(figures) for shift_id, *figures in rows}


def grid(session: Session, term: Term, municipality_ids: Collection[int] | None = None) -> Grid:
    """Weekends down, routes across, for the term's whole region or only these municipalities. A
    fixed number of queries whatever the number of nights: the routes first, so each night finds
    its route in the session instead of asking again."""
    routes = select(Route).join(Route.municipality).where(Municipality.region_id == term.region_id)
    nights = select(Shift).join(Shift.route).where(Shift.term_id == term.id)
    if municipality_ids is not None:
        routes = routes.where(Route.municipality_id.in_(municipality_ids))
        nights = nights.where(Route.municipality_id.in_(municipality_ids))
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
        weekend.cells.setdefault(shift.route_id, []).append(Cell(shift, *counts.get(shift.id, (0, 0))))
        used.add(shift.route_id)
    ordered = sorted((known[i] for i in used), key=lambda r: (r.municipality.name, r.name, r.id))
    return Grid(ordered, list(weekends.values()))


def term_municipalities(session: Session, term: Term, scope: Scope) -> list[Municipality]:
    """The municipalities of the term's region that the coordinator may plan."""
    return list(
        session.scalars(
            select(Municipality)
            .where(
                Municipality.region_id == term.region_id,
                Municipality.archived.is_(False),
                scope.where(Municipality.region_id, Municipality.id),
            )
            .order_by(Municipality.name)
        )
    )


@dataclass(frozen=True)
class ClassWeekends:
    """The school classes given each weekend of the term, named by school and class ("Flisa skole
    9A": two schools may each have a 9A), by the municipality of their school: a class walks its
    own municipality's nights that weekend."""

    labels: dict[tuple[tuple[int, int], int], list[str]]  # (weekend, municipality id) → labels

    def of_night(self, weekend: tuple[int, int], municipality_id: int) -> list[str]:
        return self.labels.get((weekend, municipality_id), [])

    def of_weekend(self, weekend: tuple[int, int], municipality_ids: Iterable[int]) -> list[str]:
        return [label for m in sorted(set(municipality_ids)) for label in self.of_night(weekend, m)]


def class_weekends(session: Session, term: Term, scope: Scope) -> ClassWeekends:
    """The term's class weekends in the coordinator's municipalities."""
    mine = true() if term.region_id in scope.regions else School.municipality_id.in_(scope.municipalities)
    given = session.execute(
        select(ClassWeekend.weekend_on, School.municipality_id, School.name, SchoolClass.name)
        .join(ClassWeekend.school_class)
        .join(SchoolClass.school)
        .where(ClassWeekend.term_id == term.id, mine)
        .order_by(ClassWeekend.weekend_on, School.name, SchoolClass.name)
    )
    labels: dict[tuple[tuple[int, int], int], list[str]] = defaultdict(list)
    for weekend_on, municipality_id, school, name in given:
        labels[(weekend_of(weekend_on), municipality_id)].append(f"{school} {name}")
    return ClassWeekends(dict(labels))


# --- One night. ---


@dataclass
class NightRoster:
    shift: Shift
    on_it: list[Signup]
    waiting: list[Signup]
    #: Person ids whose last SMS failed or was not delivered.
    unreachable: set[int] = field(default_factory=set)
    #: Person ids of the group leaders walking the night as walkers: each can be made its leader.
    could_lead: set[int] = field(default_factory=set)

    def may_lead(self, signup: Signup, now: datetime) -> bool:
        """A walker going on a night still ahead who is a group leader: made its leader in place."""
        return (
            signup.person_id in self.could_lead
            and signup.state in (SignupState.SIGNED_UP, SignupState.CONFIRMED)
            and self.shift.cancelled_at is None
            and self.shift.starts_at > now
        )

    def contact(self, signup: Signup) -> list[Contact]:
        """Whether the person answered, and whether SMS reach them (nothing to say: they do)."""
        said = []
        if signup.state == SignupState.CONFIRMED:
            said.append(Contact.CONFIRMED)
        elif signup.state == SignupState.OFFERED:
            said.append(Contact.OFFERED)
        elif signup.state in UNANSWERED:
            said.append(Contact.NOT_ANSWERED)
        if signup.person.sms_opted_out_at is not None:
            said.append(Contact.OPTED_OUT)
        elif signup.person_id in self.unreachable:
            said.append(Contact.UNREACHABLE)
        return said

    def wants_a_leader(self, now: datetime) -> bool:
        """A night still ahead that needs a group leader and has none."""
        shift = self.shift
        if shift.cancelled_at is not None or shift.starts_at <= now or not shift.needs_leader:
            return False
        return not any(s.role == SignupRole.LEADER for s in self.on_it)

    @property
    def cell(self) -> Cell:
        leaders = sum(s.role == SignupRole.LEADER for s in self.on_it)
        said = [contact for signup in self.on_it for contact in self.contact(signup)]
        return Cell(
            self.shift,
            len(self.on_it),
            leaders,
            len(self.waiting),
            confirmed=said.count(Contact.CONFIRMED),
            not_answered=said.count(Contact.NOT_ANSWERED) + said.count(Contact.OFFERED),
            opted_out=said.count(Contact.OPTED_OUT),
            unreachable=said.count(Contact.UNREACHABLE),
        )


def night_roster(session: Session, shift: Shift) -> NightRoster:
    signups = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state.in_(LIVE))
        .options(joinedload(Signup.person))
        .order_by(Signup.created_at, Signup.id)
    ).all()
    waiting = sorted((s for s in signups if s.state == SignupState.WAITLISTED), key=lambda s: (s.queued_at, s.id))
    on_it = [s for s in signups if s.state in HOLDING]
    unreachable = set(session.scalars(unreachable_among([s.person_id for s in on_it]))) if on_it else set()
    walkers = [s.person_id for s in on_it if s.role == SignupRole.WALKER]
    could_lead = set(session.scalars(_leaders_among(walkers, shift.term.region_id))) if walkers else set()
    return NightRoster(shift, on_it, waiting, unreachable, could_lead)


def _leaders_among(person_ids: list[int], region_id: int) -> Select[int]:
    return select(Role.person_id).where(
        Role.person_id.in_(person_ids), Role.kind == RoleKind.LEADER, Role.region_id == region_id
    )


def search_people(session: Session, region_id: int, scope: Scope, query: str, limit: int = 20) -> list[Person]:
    """Active volunteers of the region, in the coordinator's part of it, whose name or phone number matches."""
    if not query.strip():
        return []
    return list(
        session.scalars(
            select(Person)
            .join(Person.municipality)
            .where(
                Municipality.region_id == region_id,
                scope.where(Municipality.region_id, Municipality.id),
                Person.active.is_(True),
                found_by(query),
            )
            .options(joinedload(Person.municipality), joinedload(Person.roles))
            .order_by(in_norwegian_order(Person.name), Person.id)
            .limit(limit)
        ).unique()
    )


@dataclass(frozen=True)
class FreeLeader:
    """A group leader who could lead a night, and what they said about it when asked when they
    can walk (nothing, if not asked or not answered)."""

    person: Person
    nights: int  # the places they hold in the night's term
    offered: bool = False  # said they can lead that day, and have nights left of those they offered
    unavailable: bool = False  # said they cannot walk that day
    full: bool = False  # hold all the nights they offered

    @property
    def said_no(self) -> bool:
        return self.unavailable or self.full


def free_leaders(session: Session, shift: Shift, scope: Scope, limit: int = 8) -> list[FreeLeader]:
    """The region's group leaders, in the coordinator's part of it, who could lead the night: not
    on it, nor on another night at the same time. Those who said they can lead that day first,
    then those of the night's own municipality, then those with the fewest nights this term; last
    those who said they cannot that day or hold all the nights they offered. The automatic call
    asks only the night's municipality, and a coordinator should not have to know the rest by heart."""
    region_id = shift.term.region_id
    busy = (
        select(Signup.person_id)
        .join(Signup.shift)
        .where(
            Signup.state.in_(LIVE),
            Shift.cancelled_at.is_(None),
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    )
    leads = select(Role.person_id).where(Role.kind == RoleKind.LEADER, Role.region_id == region_id)
    nights = (
        select(func.count())
        .select_from(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == Person.id, Shift.term_id == shift.term_id, Signup.state.in_(HOLDING))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Person, nights)
        .join(Person.municipality)
        .where(
            Municipality.region_id == region_id,
            scope.where(Municipality.region_id, Municipality.id),
            Person.active.is_(True),
            ~Person.awaiting_approval,
            Person.id.in_(leads),
            Person.id.not_in(busy),
        )
        .options(joinedload(Person.municipality))
        .order_by(
            (Person.municipality_id == shift.route.municipality_id).desc(),
            nights,
            in_norwegian_order(Person.name),
            Person.id,
        )
        .limit(limit * 5)  # room for those who said no, sorted after the rest
    ).all()
    said = {
        availability.person_id: availability
        for availability in session.scalars(
            select(Availability).where(
                Availability.term_id == shift.term_id, Availability.person_id.in_([person.id for person, _ in rows])
            )
        )
    }
    day = local(shift.starts_at, ZoneInfo(shift.term.region.timezone)).date()
    found = [_as_free(person, count, said.get(person.id), day) for person, count in rows]
    found.sort(key=lambda free: (free.said_no, not free.offered))  # stable: the rest keeps the query's order
    return found[:limit]


def _as_free(person: Person, nights: int, said: Availability | None, day: date) -> FreeLeader:
    if said is None:
        return FreeLeader(person, nights)
    full = nights >= said.max_nights
    can = said.covers(day)
    return FreeLeader(person, nights, offered=can and said.wants_to_lead and not full, unavailable=not can, full=full)


def other_nights(session: Session, shift: Shift, scope: Scope, now: datetime) -> list[Cell]:
    """Nights of the same term, still ahead and in the coordinator's part, that a person could be
    moved to, each with how full it is and whether it has a leader."""
    others = (
        select(Shift.id)
        .join(Shift.route)
        .join(Route.municipality)
        .where(
            Shift.term_id == shift.term_id,
            scope.where(Municipality.region_id, Municipality.id),
            Shift.id != shift.id,
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
        )
    )
    shifts = session.scalars(
        select(Shift)
        .where(Shift.id.in_(others))
        .options(joinedload(Shift.route))
        .order_by(Shift.starts_at, Shift.route_id)
    ).all()
    counts = _counts(session, others)
    return [Cell(s, *counts.get(s.id, (0, 0))) for s in shifts]


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


def roster_csv(
    session: Session, term: Term, scope: Scope, header: list[str], role_names: dict[SignupRole, str], locale: str
) -> str:
    """The term's roster (the coordinator's part of it) for Excel: one row per person on a night and
    one row for a night nobody is on yet."""
    tz = ZoneInfo(term.region.timezone)
    shifts = [s for s in standing_nights(session, term) if scope.covers(term.region_id, s.route.municipality_id)]
    people = _people_by_night(session, term)
    classes = class_weekends(session, term, scope)
    rows: list[list[str]] = [header]
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
        class_weekend = ", ".join(classes.of_night(weekend_of(start.date()), shift.route.municipality_id))
        on_it = people.get(shift.id, [])
        for signup in on_it:
            person = signup.person
            rows.append([*night, role_names[signup.role], person.name, display_phone(person.phone), class_weekend])
        if not on_it:
            rows.append([*night, "", "", "", class_weekend])
    return csv_text(rows)


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


def dashboard(session: Session, scope: Scope, now: datetime) -> Dashboard:
    """The coming weekend's nights in the coordinator's regions or municipalities, at a glance; once
    this weekend has none left (on a Sunday, say), the next weekend that has nights."""
    since, until = coming_weekend(now)
    since = max(since, now - timedelta(hours=12))  # tonight's night still shows after it has begun
    in_scope = (
        select(Shift.id).join(Shift.term).join(Shift.route).where(scope.where(Term.region_id, Route.municipality_id))
    )
    # The first night not yet over: once Saturday's has ended (at 01:00, say), the weekend is past.
    first = session.scalar(
        select(func.min(Shift.starts_at)).where(
            Shift.id.in_(in_scope), Shift.cancelled_at.is_(None), Shift.starts_at >= since, Shift.ends_at > now
        )
    )
    if first is not None and first >= until:
        since, until = coming_weekend(first)
    elif first is None and local(now).weekday() == SUNDAY:  # nothing ahead to walk: on Sunday one plans the next
        since, until = coming_weekend(until)
    in_weekend = in_scope.where(Shift.starts_at >= since, Shift.starts_at < until)
    shifts = session.scalars(
        select(Shift)
        .where(Shift.id.in_(in_weekend))
        .options(joinedload(Shift.route).joinedload(Route.municipality), joinedload(Shift.term))
        .order_by(Shift.starts_at, Shift.route_id)
    ).all()
    counts = _counts(session, in_weekend)
    return Dashboard(since, until, [Cell(s, *counts.get(s.id, (0, 0))) for s in shifts])
