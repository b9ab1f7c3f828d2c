"""Nights and sign-ups: every rule about who walks when lives here.

Locks: every path that changes sign-ups locks the person's row first and then the night's row
(`shifts.locks`), so two requests never wait on each other in a circle. Paths that touch several people
or nights at once (the scheduler's `expire_offers`) lock all the people first and then all the
nights, each in id order. A sign-up row is only written while its night's row is locked.

Which sign-ups count: the overlap rule and the term's cap count the places a person has *taken*
(`TAKEN`: signed up, confirmed, attended, no-show). A place on a waitlist does not count: a parent
may queue for two routes on the same Friday, or for more nights than the cap, hoping for one of
them, and is not refused a free night because of a queue. The rules are checked again at the
moment a queued place is taken (confirming an offer), with the person's row locked, so the
outcome never breaks them either.

The cap is on walkers' places (`caps`): it spreads them among the parents. A place taken as group
leader neither counts against it nor is refused by it: leaders are few, and a night without one
cannot go out, so a leader who has walked their nights may still lead another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload

from natteravn.accounts.models import Person, RoleKind, first_name, told_apart
from natteravn.accounts.service import TooManyRequests, enforce_limits
from natteravn.audit import service as audit
from natteravn.clock import local, weekend_of
from natteravn.db import locks_rows
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.places import service as places
from natteravn.places.models import Municipality, Region, Route
from natteravn.shifts import messages
from natteravn.shifts.locks import lock_night, lock_person_and_nights, lock_signup
from natteravn.shifts.models import (
    HOLDING,
    LIVE,
    ClassWeekend,
    Shift,
    Signup,
    SignupRole,
    SignupState,
    Term,
    state_in,
)
from natteravn.sms.models import Purpose

#: Places a person has taken, as opposed to one offered to them or waited for. Only these count
#: against the overlap rule and the cap.
TAKEN = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.ATTENDED, SignupState.NO_SHOW)
#: Those on a night who see each other (`co_walkers`): not someone waiting, offered a place, gone
#: or marked as not having come.
WALKING = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.ATTENDED)


#: A night's logbook (and report) opens this long before the night starts: walkers are entered
#: before they leave the meeting point, and they gather there a little before the hour.
LOGBOOK_OPENS_BEFORE = timedelta(minutes=30)


def logbook_opens_at(shift: Shift) -> datetime:
    return shift.starts_at - LOGBOOK_OPENS_BEFORE


#: Sign-ups and cancellations a person makes on the web, counted together: (what is counted, how
#: many, per how long). A parent takes a night or two a term (the region's cap), may join a waitlist
#: or two and change their mind once; even a keen volunteer filling a generous cap in one sitting
#: stays below eight in an hour. Reading who walks each night by signing up and cancelling costs
#: two a night, so the limits keep that to a few nights a day.
CHURN_LIMITS = (("person", 8, timedelta(hours=1)), ("person", 16, timedelta(days=1)))
CHURN_REFUSED = N_(
    "You have signed up and cancelled many times in a short while. Try again in an hour, or ask your coordinator."
)


def night_names(session: Session, ids: set[int], written: audit.Written) -> dict[int, str]:
    """Nights as the audit log names them: "Flisa sentrum, fre. 11. des. 22:00"."""
    rows = session.execute(select(Shift.id, Route.name, Shift.starts_at).join(Shift.route).where(Shift.id.in_(ids)))
    return {night_id: f"{route}, {written(starts_at, 'when')}" for night_id, route, starts_at in rows}


def signup_night_names(session: Session, ids: set[int], written: audit.Written) -> dict[int, str]:
    """Sign-ups by the night they are for, as `night_names` names it."""
    nights = {
        signup_id: night_id
        for signup_id, night_id in session.execute(select(Signup.id, Signup.shift_id).where(Signup.id.in_(ids)))
    }
    named = night_names(session, set(nights.values()), written)
    return {signup_id: named[night_id] for signup_id, night_id in nights.items() if night_id in named}


#: What the audit log says about what volunteers do with their own nights; other features' entries
#: name nights by these namers too.
AUDIT = audit.Vocabulary(
    actions={
        "signup.cancelled_by_sms": N_("Cancelled their place on night %(object)s by SMS"),
        "signup.standin_requested": N_("Asked for a stand-in for night %(object)s (%(asked)s people asked)"),
        "signup.standin_withdrawn": N_("Took back the request for a stand-in for night %(object)s"),
        "signup.standin_taken": N_("Took a place on night %(object)s as stand-in"),
    },
    objects={"shift": N_("Night"), "signup": N_("Sign-up")},
    namers={"shift": night_names, "signup": signup_night_names},
    refers={"shift_id": "shift", "to_shift_id": "shift"},
)


class SignupRefused(Refusal):
    pass


@dataclass
class Night:
    """A night as a parent sees it in a list."""

    shift: Shift
    taken: int
    leaders: int
    mine: Signup | None = None
    #: Its last place waits for a group leader (`keeps_leader_place`).
    kept_for_leader: bool = False
    #: The person holds as many walker's places in its term as the term allows: a sign-up as
    #: walker would be refused (one as group leader would not, see `caps`).
    term_full: bool = False
    #: Another night at the same time on which the person has taken a place: a sign-up here, or a
    #: place on its waitlist, would be refused (the overlap rule, `_refuse_unless_free`).
    busy_with: Shift | None = None

    @property
    def places_left(self) -> int:
        """Places a walker can take."""
        return max(self.shift.max_walkers - self.taken - self.kept_for_leader, 0)

    @property
    def has_leader(self) -> bool:
        return self.leaders > 0

    @property
    def full(self) -> bool:
        """Full for a walker: a group leader may still have the kept place."""
        return self.places_left == 0

    @property
    def full_for_leader(self) -> bool:
        return self.taken >= self.shift.max_walkers

    @property
    def wants_leader(self) -> bool:
        """Needs a group leader and has none: a leader at the term's cap may still take it."""
        return self.shift.needs_leader and not self.has_leader


def keeps_leader_place(shift: Shift, leaders_holding: int, now: datetime) -> bool:
    """A night that needs a group leader and has none keeps its last place for one until the
    region's number of days before the night (none at 0): a night of walkers alone cannot go out."""
    days = shift.term.region.leader_place_days
    return bool(days and shift.needs_leader and not leaders_holding and now < leader_place_until(shift))


def leader_place_until(shift: Shift) -> datetime:
    return shift.starts_at - timedelta(days=shift.term.region.leader_place_days)


@dataclass
class Evening:
    """The nights of one day, the person's own municipality first."""

    day: date
    nights: list[Night] = field(default_factory=list)


@dataclass
class Weekend:
    year: int
    week: int
    first_day: date
    last_day: date
    evenings: list[Evening] = field(default_factory=list)
    #: Given to one of the person's school classes (klassevakt): the weekend their class is asked to fill.
    for_your_class: bool = False

    @property
    def nights(self) -> list[Night]:
        return [night for evening in self.evenings for night in evening.nights]


@dataclass(frozen=True)
class NightsFilter:
    """What a parent narrowed the list to; None is any."""

    municipality_id: int | None = None
    route_id: int | None = None
    weekday: int | None = None  # Python's numbering: Friday is 4
    without_leader: bool = False

    def keeps(self, night: _Outline) -> bool:
        return (
            (self.municipality_id is None or night.municipality_id == self.municipality_id)
            and (self.route_id is None or night.route_id == self.route_id)
            and not (self.without_leader and night.leaders)
        )


@dataclass(frozen=True)
class _Outline:
    """Where and when a coming night is, and whether a group leader is on it: enough to filter the
    list and find its weekends without loading every night of the term."""

    id: int
    starts_at: datetime
    term_id: int
    route_id: int
    municipality_id: int
    leaders: int

    @property
    def weekend(self) -> tuple[int, int]:
        return weekend_of(local(self.starts_at).date())


@dataclass(frozen=True)
class WeekendPlace:
    """A weekend of the list not asked for: the number of weekends before it, and its days."""

    skip: int
    year: int
    week: int
    first_day: date
    last_day: date


@dataclass
class Nights:
    #: The weekends asked for, in date order.
    weekends: list[Weekend]
    #: The weekdays nights fall on, whichever day was chosen: the days a parent can pick.
    weekdays: list[int]
    #: Every route with nights coming, whatever was chosen, the person's own municipality first.
    routes: list[Route]
    #: How many weekends there are in all.
    count: int = 0
    #: The first day of the weekend after those asked for, when there is one.
    later: date | None = None
    #: The person's school class's weekends among the others.
    class_weekends_elsewhere: list[WeekendPlace] = field(default_factory=list)

    @property
    def municipalities(self) -> list[Municipality]:
        return list({route.municipality_id: route.municipality for route in self.routes}.values())


@dataclass(frozen=True)
class _Count:
    held: int = 0  # places held
    leaders: int = 0  # group leaders who took a place
    leaders_holding: int = 0  # group leaders holding a place, an offered one included
    lapsed_offers: int = 0  # offers whose time to answer is over (`expire_offers` passes them on)


def _counts(session: Session, shift_ids: list[int] | Select[int], now: datetime) -> dict[int, _Count]:
    """What each night's places hold, in one query; `shift_ids` may be a query of them."""
    if not isinstance(shift_ids, Select) and not shift_ids:
        return {}
    rows = session.execute(
        select(Signup.shift_id, *_count_columns())
        .where(Signup.shift_id.in_(shift_ids), Signup.state.in_(HOLDING))
        .group_by(Signup.shift_id),
        {"now": now},
    )
    return {shift_id: _counted(*counts) for shift_id, *counts in rows}


def _count_columns() -> tuple:
    """`_Count`'s figures over a night's held places, as of the parameter `now`. An offered place
    is held (nobody else can take it) but its leader is not on the night until they say yes."""
    leader = Signup.role == SignupRole.LEADER
    leader_on_it = and_(leader, state_in(TAKEN))
    lapsed = and_(Signup.state == SignupState.OFFERED, Signup.offer_expires_at <= bindparam("now"))
    return (
        func.count(),
        func.sum(case((leader_on_it, 1), else_=0)),
        func.sum(case((leader, 1), else_=0)),
        func.sum(case((lapsed, 1), else_=0)),
    )


def _counted(held: int, leaders: int | None, holding: int | None, lapsed: int | None) -> _Count:
    return _Count(held, leaders or 0, holding or 0, lapsed or 0)


def _night(
    shift: Shift,
    count: _Count,
    mine: Signup | None,
    now: datetime,
    term_full: bool = False,
    busy_with: Shift | None = None,
) -> Night:
    kept = keeps_leader_place(shift, count.leaders_holding, now)
    return Night(shift, count.held, count.leaders, mine, kept, term_full, busy_with)


def caps(role: SignupRole) -> bool:
    """Whether a place in this role counts against the term's cap, and is refused by it: a
    walker's does; a group leader's does not (see the module docstring). The one rule wherever
    the cap is kept: sign-up, waitlist offers, calls for walkers, the coordinator's roster."""
    return role == SignupRole.WALKER


def capped() -> ColumnElement[bool]:
    """`caps` in SQL: the sign-ups the term's cap counts."""
    return Signup.role == SignupRole.WALKER


def _place_taken() -> ColumnElement[bool]:
    """A place the person has taken on a night that is on: what the overlap rule counts
    (`_standing`)."""
    return and_(state_in(TAKEN), Shift.cancelled_at.is_(None))


def _walker_place_taken() -> ColumnElement[bool]:
    """What the term's cap counts (`_standing`), and what says a term is full for them (`_terms_at_cap`)."""
    return and_(_place_taken(), capped())


def _terms_at_cap(session: Session, person: Person, terms: Iterable[Term]) -> set[int]:
    """The terms of which the person holds as many walker's places as the term allows (its
    `cap`), counted as a sign-up counts them (`_refuse_unless_free`)."""
    by_id = {term.id: term for term in terms}
    if not by_id:
        return set()
    held = session.execute(
        select(Shift.term_id, func.count())
        .select_from(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == person.id, _walker_place_taken(), Shift.term_id.in_(by_id))
        .group_by(Shift.term_id)
    )
    return {term_id for term_id, places in held if places >= by_id[term_id].cap}


def _own_places(
    session: Session, person: Person, shifts: Sequence[Shift]
) -> tuple[dict[int, Signup], dict[int, Shift]]:
    """In one query: the person's sign-ups on these nights (waitlist and offers included), by night;
    and for each night, another at the same time on which they have taken a place (`_place_taken`,
    as the overlap rule counts), which a sign-up here would be refused for."""
    if not shifts:
        return {}, {}
    ids = [shift.id for shift in shifts]
    at_the_time = and_(
        _place_taken(),
        Shift.starts_at < max(shift.ends_at for shift in shifts),
        Shift.ends_at > min(shift.starts_at for shift in shifts),
    )
    found = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == person.id, or_(and_(Signup.shift_id.in_(ids), state_in(LIVE)), at_the_time))
        .options(contains_eager(Signup.shift).joinedload(Shift.route))
    ).all()
    mine = {signup.shift_id: signup for signup in found if signup.shift_id in ids and signup.state in LIVE}
    taken = [signup.shift for signup in found if signup.state in TAKEN and signup.shift.cancelled_at is None]
    busy = {
        shift.id: other
        for shift in shifts
        for other in taken
        if other.id != shift.id and other.starts_at < shift.ends_at and other.ends_at > shift.starts_at
    }
    return mine, busy


def upcoming_nights(
    session: Session,
    person: Person,
    now: datetime,
    chosen: NightsFilter = NightsFilter(),
    *,
    skip: int = 0,
    weekends: int | None = None,
) -> Nights:
    """Published, not cancelled nights of the person's region that have not begun, as `chosen`
    narrows them, grouped by weekend and day in date order, the person's own municipality first
    each evening: `weekends` of the weekends after the first `skip` (all when None). A region's
    term has hundreds of nights and a page shows two weekends of them, so only those are loaded
    whole. Seven queries however many nights there are."""
    if person.municipality is None:
        return Nights([], [], [])
    coming = (
        select(Shift.id)
        .join(Shift.term)
        .where(
            Term.region_id == person.municipality.region_id,
            Term.published_at.is_not(None),
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
        )
    )
    counts = _counts(session, coming, now)
    outline = [
        _Outline(shift_id, starts_at, term_id, route_id, municipality_id, counts.get(shift_id, _Count()).leaders)
        for shift_id, starts_at, term_id, route_id, municipality_id in session.execute(
            coming.add_columns(Shift.starts_at, Shift.term_id, Shift.route_id, Route.municipality_id)
            .join(Shift.route)
            .order_by(Shift.starts_at)
        )
    ]
    routes = _routes_first_own(session, person, {night.route_id for night in outline})
    kept = [night for night in outline if chosen.keeps(night)]
    weekdays = sorted({local(night.starts_at).weekday() for night in kept})
    if chosen.weekday is not None:
        kept = [night for night in kept if local(night.starts_at).weekday() == chosen.weekday]
    by_weekend: dict[tuple[int, int], list[_Outline]] = defaultdict(list)
    for night in kept:
        by_weekend[night.weekend].append(night)
    in_order = list(by_weekend)
    last = len(in_order) if weekends is None else skip + weekends
    shown = in_order[skip:last]
    ours = class_weekends_for(session, person, list({night.term_id for night in outline}))

    def place(index: int) -> WeekendPlace:
        days = [local(night.starts_at).date() for night in by_weekend[in_order[index]]]
        return WeekendPlace(index, *in_order[index], days[0], days[-1])

    nights = _shown_nights(session, person, [night.id for key in shown for night in by_weekend[key]], counts, now)
    return Nights(
        _by_weekend(nights, person, ours),
        weekdays,
        routes,
        count=len(in_order),
        later=place(last).first_day if last < len(in_order) else None,
        class_weekends_elsewhere=[place(i) for i, key in enumerate(in_order) if key in ours and key not in shown],
    )


def _shown_nights(
    session: Session, person: Person, shift_ids: list[int], counts: dict[int, _Count], now: datetime
) -> list[Night]:
    """The nights a page shows, loaded whole, in time order and then by municipality and route."""
    if not shift_ids:
        return []
    shifts = session.scalars(
        select(Shift)
        .join(Shift.term)
        .join(Shift.route)
        .join(Route.municipality)
        .where(Shift.id.in_(shift_ids))
        .options(contains_eager(Shift.term), contains_eager(Shift.route).contains_eager(Route.municipality))
        .order_by(Shift.starts_at, Municipality.name, Route.name)
    ).all()
    mine, busy = _own_places(session, person, shifts)
    full = _terms_at_cap(session, person, {s.term for s in shifts})
    return [
        _night(s, counts.get(s.id, _Count()), mine.get(s.id), now, s.term_id in full, busy.get(s.id)) for s in shifts
    ]


def _routes_first_own(session: Session, person: Person, route_ids: set[int]) -> list[Route]:
    if not route_ids:
        return []
    routes = session.scalars(select(Route).where(Route.id.in_(route_ids)).options(joinedload(Route.municipality)))
    own = person.municipality_id
    return sorted(routes, key=lambda r: (r.municipality_id != own, r.municipality.name, r.name))


def _by_weekend(nights: list[Night], person: Person, ours: set[tuple[int, int]]) -> list[Weekend]:
    weekends: dict[tuple[int, int], Weekend] = {}
    for night in nights:
        day = local(night.shift.starts_at).date()
        key = weekend_of(day)
        weekend = weekends.setdefault(key, Weekend(*key, day, day, for_your_class=key in ours))
        weekend.last_day = day
        if not weekend.evenings or weekend.evenings[-1].day != day:
            weekend.evenings.append(Evening(day))
        weekend.evenings[-1].nights.append(night)

    def own_first(night: Night) -> tuple[bool, datetime]:
        return night.shift.route.municipality_id != person.municipality_id, night.shift.starts_at

    for weekend in weekends.values():
        for evening in weekend.evenings:
            evening.nights.sort(key=own_first)
    return list(weekends.values())


def class_weekends_for(session: Session, person: Person, term_ids: list[int]) -> set[tuple[int, int]]:
    """The weekends, as (ISO year, ISO week), given to any of the person's school classes in these terms."""
    class_ids = person.school_class_ids
    if not class_ids or not term_ids:
        return set()
    fridays = session.scalars(
        select(ClassWeekend.weekend_on).where(
            ClassWeekend.school_class_id.in_(class_ids), ClassWeekend.term_id.in_(term_ids)
        )
    )
    return {weekend_of(friday) for friday in fridays}


def waitlist_place(session: Session, signup: Signup) -> int:
    """Where a waiting sign-up stands in its night's queue: 1 is next for a freed place."""
    ahead = select(func.count()).where(
        Signup.shift_id == signup.shift_id,
        Signup.state == SignupState.WAITLISTED,
        (Signup.queued_at < signup.queued_at) | ((Signup.queued_at == signup.queued_at) & (Signup.id < signup.id)),
    )
    return (session.scalar(ahead) or 0) + 1


def night_for(session: Session, person: Person, shift_id: int, now: datetime) -> Night | None:
    """A published night of the person's region, or None: other regions' nights and drafts do
    not exist for them. A cancelled night is shown, so those who were on it can see why."""
    if person.municipality is None:
        return None
    shift = session.scalar(
        select(Shift)
        .join(Shift.term)
        .where(Shift.id == shift_id, Term.region_id == person.municipality.region_id, Term.published_at.is_not(None))
        .options(contains_eager(Shift.term).joinedload(Term.region), joinedload(Shift.route))
    )
    if shift is None:
        return None
    count = _count(session, shift, now)
    mine, busy = _own_places(session, person, [shift])
    full = shift.term_id in _terms_at_cap(session, person, [shift.term])
    return _night(shift, count, mine.get(shift.id), now, full, busy.get(shift.id))


@dataclass(frozen=True)
class CoWalker:
    """Someone else on a night, as one of its walkers sees them: a first name, and a phone number
    only while the numbers are shown (`Company.phones_shown`)."""

    first_name: str
    role: SignupRole
    phone: str | None


@dataclass(frozen=True)
class Company:
    """Who else walks a night, for someone walking it too."""

    walkers: list[CoWalker]
    #: From this moment those on the night see each other's numbers (the region's `phones_visible_days`).
    phones_from: datetime
    phones_shown: bool


def co_walkers(session: Session, person: Person, shift: Shift, now: datetime) -> Company | None:
    """The others walking a night, for someone who walks it too; None (nobody shown) for anyone
    else. Their phone numbers only from a few days before the night: a place taken weeks ahead,
    and given back a minute later, must not be a way to collect a region's numbers."""
    return co_walkers_on(session, person, [shift.id], now).get(shift.id)


_leaders_first = case((Signup.role == SignupRole.LEADER, 0), else_=1)


def co_walkers_on(session: Session, person: Person, shift_ids: Iterable[int], now: datetime) -> dict[int, Company]:
    """`co_walkers` for several nights at once (My nights), in two queries. Someone a coordinator
    has yet to approve sees nobody: their names and numbers are for walkers the region accepted.
    Nor does anyone on a cancelled night."""
    ids = list(shift_ids)
    if not ids or person.awaiting_approval:
        return {}
    phones_from = {
        shift_id: starts_at - timedelta(days=days)
        for shift_id, starts_at, days in session.execute(
            select(Signup.shift_id, Shift.starts_at, Region.phones_visible_days)
            .join(Signup.shift)
            .join(Shift.term)
            .join(Term.region)
            .where(
                Signup.person_id == person.id,
                Signup.shift_id.in_(ids),
                Signup.state.in_(WALKING),
                # A night called off has nobody to walk with: no names, and no numbers to share.
                Shift.cancelled_at.is_(None),
            )
        )
    }
    if not phones_from:
        return {}
    on_night: dict[int, list[Signup]] = defaultdict(list)
    for signup in session.scalars(
        select(Signup)
        .where(Signup.shift_id.in_(phones_from), Signup.person_id != person.id, Signup.state.in_(WALKING))
        .options(joinedload(Signup.person))
        .order_by(Signup.shift_id, _leaders_first, Signup.created_at, Signup.id)
    ):
        on_night[signup.shift_id].append(signup)
    others = {
        shift_id: [
            CoWalker(name, signup.role, signup.person.phone if now >= phones_from[shift_id] else None)
            for signup, name in zip(signups, told_apart([s.person.name for s in signups]), strict=True)
        ]
        for shift_id, signups in on_night.items()
    }
    return {
        shift_id: Company(others.get(shift_id, []), moment, now >= moment) for shift_id, moment in phones_from.items()
    }


def _count(session: Session, shift: Shift, now: datetime) -> _Count:
    return _counts(session, [shift.id], now).get(shift.id, _Count())


def _free_for(role: SignupRole, shift: Shift, count: _Count, now: datetime) -> int:
    """Places the role can take: a walker leaves the place kept for a group leader."""
    kept = role == SignupRole.WALKER and keeps_leader_place(shift, count.leaders_holding, now)
    return shift.max_walkers - count.held - kept


def free_places(session: Session, shift: Shift, role: SignupRole, now: datetime) -> int:
    """What someone in `role` can take on the night now, by any way in (a tap, a JA to a call)."""
    return _free_for(role, shift, _count(session, shift, now), now)


@dataclass(frozen=True)
class Joined:
    """What a tap on a night did: the sign-up, and whether the night keeps its last place for a
    group leader (`keeps_leader_place`), which is why a walker may be on its waitlist."""

    signup: Signup
    kept_for_leader: bool


def sign_up(session: Session, person: Person, shift_id: int, role: SignupRole, now: datetime, links: Links) -> Signup:
    """Put the person on the night, or on its waitlist when it is full (see `join`)."""
    return join(session, person, shift_id, role, now, links).signup


def join(session: Session, person: Person, shift_id: int, role: SignupRole, now: datetime, links: Links) -> Joined:
    """Put the person on the night, or on its waitlist when it is full.

    Tapping twice gives the same sign-up back. Raises SignupRefused when a rule says no. Everything
    after the night's lock is written to be few statements: taps on a popular night queue for it.
    """
    person, (shift,) = lock_person_and_nights(session, person.id, shift_id)
    if shift is None or person.municipality is None:
        raise SignupRefused(N_("That night does not exist."))
    term = shift.term
    if term.region_id != person.municipality.region_id or term.published_at is None:
        raise SignupRefused(N_("That night does not exist."))
    standing, count, leaders = _standing_and_count(session, person, shift, now)
    if standing.live_signup_id is not None:
        existing = session.get_one(Signup, standing.live_signup_id)
        return Joined(existing, keeps_leader_place(shift, count.leaders_holding, now))
    _check_night_open(person, shift, role, now)
    _refuse_unless_free(standing, shift, role)
    _count_churn(session, person, now)
    if count.lapsed_offers:  # a stale offer must not keep the place from them
        expire_offers(session, now, links, shift=shift)
        count = _count(session, shift, now)
    full = _free_for(role, shift, count, now) <= 0
    values = {
        "shift_id": shift.id,
        "person_id": person.id,
        "role": role,
        "state": SignupState.WAITLISTED if full else SignupState.SIGNED_UP,
        "created_at": now,
        "queued_at": now if full else None,
    }
    try:  # one insert, without a savepoint: a refusal is rolled back whole by the caller
        signup = session.scalars(insert(Signup).returning(Signup), [values]).one()
    except IntegrityError as error:  # the unique index caught a double tap the locks did not see
        raise SignupRefused(N_("You are already on this night.")) from error
    messages.signed_up(session, signup, now, links, own_action=True, leaders=leaders)
    return Joined(signup, keeps_leader_place(shift, count.leaders_holding, now))


def _check_night_open(person: Person, shift: Shift, role: SignupRole, now: datetime) -> None:
    term = shift.term
    if not person.onboarded:
        raise SignupRefused(N_("Finish your profile before signing up."))
    if person.awaiting_approval:
        raise SignupRefused(
            N_("A coordinator must approve you before you can sign up. Until then you can see the nights.")
        )
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


_TAKEN_OR_LIVE = tuple(dict.fromkeys((*TAKEN, *LIVE)))


@dataclass(frozen=True)
class _Standing:
    """Where a person stands towards a night, by their sign-ups (see the module docstring)."""

    live_signup_id: int | None  # their sign-up on this very night, waitlist and offers included
    overlapping: int  # places taken on nights at the same time
    this_term: int  # walker's places taken in the night's term (what the cap counts)


def _standing(session: Session, person: Person, shift: Shift, *, besides: Signup | None = None) -> _Standing:
    """One query over the person's sign-ups. `besides` is the sign-up being decided, left out of
    the places taken."""
    return _stood(*session.execute(_STANDING, _standing_params(person, shift, besides)).one())


def _standing_and_count(
    session: Session, person: Person, shift: Shift, now: datetime
) -> tuple[_Standing, _Count, messages.Leaders]:
    """`_standing`, `_count` and the night's group leaders (see `messages.leaders_of`: the first
    one, whom the reminders name) in one round trip: taps on a popular night queue for its lock
    meanwhile."""
    params = {**_standing_params(person, shift), "now": now}
    # Straight to the connection: the ORM's setup of a statement cost more than the statement.
    live_signup_id, overlapping, this_term, *counts, leader_id, leader_name = (
        session.connection().execute(_STANDING_AND_COUNT, params).one()
    )
    leaders = {shift.id: [(leader_id, first_name(leader_name))]} if leader_id else {}
    return _stood(live_signup_id, overlapping, this_term), _counted(*counts), leaders


def _standing_query() -> Select:
    """`_Standing`'s figures; its parameters are `_standing_params`."""
    taken = and_(_place_taken(), Signup.id != bindparam("besides_id"))
    overlapping = and_(taken, Shift.starts_at < bindparam("ends_at"), Shift.ends_at > bindparam("starts_at"))
    this_term = and_(taken, capped(), Shift.term_id == bindparam("term_id"))
    live_here = and_(Signup.shift_id == bindparam("shift_id"), state_in(LIVE))
    return (
        select(
            func.max(case((live_here, Signup.id))),
            func.sum(case((overlapping, 1), else_=0)),
            func.sum(case((this_term, 1), else_=0)),
        )
        .select_from(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == bindparam("person_id"), state_in(_TAKEN_OR_LIVE))
    )


def _standing_params(person: Person, shift: Shift, besides: Signup | None = None) -> dict:
    return {
        "person_id": person.id,
        "shift_id": shift.id,
        "term_id": shift.term_id,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "besides_id": besides.id if besides is not None else 0,  # ids start at 1: leaves none out
    }


def _stood(live_signup_id: int | None, overlapping: int | None, this_term: int | None) -> _Standing:
    return _Standing(live_signup_id, overlapping or 0, this_term or 0)


def _standing_and_count_query() -> Select:
    person_side = _standing_query().subquery()
    night_side = select(*_count_columns()).where(Signup.shift_id == bindparam("shift_id"), state_in(HOLDING)).subquery()
    first_leader = (
        select(Signup.id, Person.name)
        .join(Signup.person)
        .where(Signup.shift_id == bindparam("shift_id"), Signup.role == SignupRole.LEADER, state_in(HOLDING))
        .order_by(Signup.created_at, Signup.id)
        .limit(1)
        .subquery()
    )
    both = person_side.join(night_side, true()).outerjoin(first_leader, true())  # a row each, or none
    return select(person_side, night_side, first_leader).select_from(both)


# Built once: a sign-up runs them while taps on the same night wait for its lock.
_STANDING = _standing_query()
_STANDING_AND_COUNT = _standing_and_count_query()


def _check_free_for(
    session: Session, person: Person, shift: Shift, role: SignupRole, *, besides: Signup | None = None
) -> None:
    """The overlap rule and, for a walker, the term's cap, over the places the person has taken
    (see the module docstring). Joining a waitlist is checked too: a place the person could never
    take is no use to wait for. `besides` is the sign-up being decided, left out of the count."""
    _refuse_unless_free(_standing(session, person, shift, besides=besides), shift, role)


def _refuse_unless_free(standing: _Standing, shift: Shift, role: SignupRole) -> None:
    if standing.overlapping:
        raise SignupRefused(N_("You are already on another night at that time."))
    cap = shift.term.cap
    if caps(role) and standing.this_term >= cap:
        raise SignupRefused(N_("You already have %(cap)d nights as walker this term, the most allowed."), cap=cap)


def _own_signup(session: Session, person: Person, signup_id: int) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id:
        raise SignupRefused(N_("That sign-up does not exist."))
    return signup


TOO_LATE = N_("It is too late to cancel this night. Ask for a stand-in, or tell your group leader.")
#: A NEI by SMS still gives the place back until the night starts (`replies`).
TOO_LATE_BY_SMS = N_(
    "It is too late to cancel this night online. You can still answer NEI to our SMS until the night starts, "
    "or ask for a stand-in."
)


def cancel_signup(session: Session, person: Person, signup_id: int, now: datetime, links: Links) -> Signup:
    """Take the person off a night, its waitlist or an offered place, and offer a freed place
    onwards. A taken place can be given back until the region's cut-off; a queue or an offer
    can be left at any time."""
    signup = _own_signup(session, person, signup_id)
    person, shift = lock_signup(session, signup)
    if signup.state not in LIVE:
        return signup
    if signup.state in TAKEN and now >= cancel_until(signup):
        raise SignupRefused(TOO_LATE_BY_SMS if messages.answers_by_sms(person) else TOO_LATE)
    _count_churn(session, person, now)
    give_back(session, signup, now, links)
    return signup


def confirm_place(session: Session, person: Person, signup_id: int, now: datetime, links: Links) -> Signup:
    """The person says they are coming to a place they hold: a JA to a reminder, or "I'm coming"
    on the night's page. The night's group leader and coordinator then count on them. Confirming
    twice is harmless."""
    signup = _own_signup(session, person, signup_id)
    person, shift = lock_signup(session, signup)
    if signup.state == SignupState.CONFIRMED:
        return signup
    if signup.state != SignupState.SIGNED_UP or shift.cancelled_at is not None or shift.starts_at <= now:
        raise SignupRefused(N_("This place can no longer be confirmed."))
    signup.state = SignupState.CONFIRMED
    signup.confirmed_at = now
    messages.confirmed(session, signup, links)
    return signup


def _count_churn(session: Session, person: Person, now: datetime) -> None:
    """Count a sign-up or cancellation, or refuse it past `CHURN_LIMITS`. Only what goes through
    counts: the caller rolls back a refusal, and the count with it. Both callers hold the person's
    row lock, which serialises the person's count."""
    try:
        keys = {"person": str(person.id)}
        enforce_limits(session, CHURN_LIMITS, "churn", keys, now, CHURN_REFUSED, serialised=True)
    except TooManyRequests as refusal:
        raise SignupRefused(refusal.msgid) from refusal


@dataclass(frozen=True)
class Cancelling:
    """What giving back a place does, said before it is done."""

    signup: Signup
    too_late: bool
    waitlist: bool  # someone waits for the place and is offered it
    leader_told: bool  # no one waits: the night's group leader hears of it
    leaves_without_leader: bool  # the person is the night's only group leader
    #: The person asked for a stand-in for the place (`standin`): cancelling ends the request.
    standin_asked: bool = False
    #: ... and the calls for one still to go out go out all the same: the night is short without them.
    standin_calls_kept: bool = False


def what_cancelling_does(session: Session, person: Person, signup_id: int, now: datetime) -> Cancelling:
    signup = _own_signup(session, person, signup_id)
    shift = signup.shift
    taken = signup.state in TAKEN
    waiting = session.scalar(
        select(func.count()).where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
    )
    others_leading = _leaders_besides(session, signup)
    return Cancelling(
        signup=signup,
        too_late=taken and now >= cancel_until(signup),
        waitlist=taken and bool(waiting),
        leader_told=taken and not waiting and bool(others_leading) and not just_taken(signup, now),
        leaves_without_leader=taken and signup.role == SignupRole.LEADER and not others_leading,
    )


@dataclass(frozen=True)
class Reminding:
    """How someone holding a place is reminded of its night, for its page to say."""

    by_email: bool  # else by SMS, where a JA or NEI answers
    at: list[datetime]


def reminding(person: Person, signup: Signup, now: datetime) -> Reminding | None:
    """The reminders still ahead of a place held (as `messages.reminders` plans them), or None when
    none are: the night is near, or the person answered STOP and chose no e-mail."""
    shift = signup.shift
    if signup.state not in (SignupState.SIGNED_UP, SignupState.CONFIRMED) or shift.cancelled_at is not None:
        return None
    by_email = messages.wants_email(person)
    if not by_email and person.sms_opted_out_at is not None:
        return None
    due = messages.reminder_times(shift)
    ahead = [due[p] for p in (Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY) if now < due[p] < shift.starts_at]
    return Reminding(by_email, ahead) if ahead else None


def cancel_cutoff(shift: Shift) -> datetime:
    return shift.starts_at - timedelta(hours=shift.term.region.cancel_cutoff_hours)


#: How long a place taken after the cut-off can still be given back online: a tap by mistake on
#: tonight's night is undone, not walked or explained to the group leader.
UNDO_WINDOW = timedelta(minutes=15)


def cancel_until(signup: Signup) -> datetime:
    """Until when the person can give back their place online: the region's cut-off before the
    night, or a little after they took it (`UNDO_WINDOW`), never after the night starts."""
    shift = signup.shift
    return max(cancel_cutoff(shift), min(signup.created_at + UNDO_WINDOW, shift.starts_at))


def give_back(session: Session, signup: Signup, now: datetime, links: Links, *, late: bool = False) -> int:
    """A person gives back their place (the caller holds the locks and checked the cut-off): it is
    offered to the waitlist. A place nobody waits for, or one given back after the cut-off, leaves
    the group short: the night's (other) group leaders are told by SMS, unless it was taken a moment
    ago. Returns how many were told."""
    taken = signup.state in TAKEN
    offered = withdraw(session, signup, now, links)
    if not taken or (offered and not late) or just_taken(signup, now):
        return 0
    return _tell_leaders_of_dropout(session, signup, now)


def just_taken(signup: Signup, now: datetime) -> bool:
    """Taken a moment ago (`UNDO_WINDOW`): given back now, it was a tap by mistake, and nobody had
    counted on it."""
    return now < signup.created_at + UNDO_WINDOW


def _tell_leaders_of_dropout(session: Session, dropout: Signup, now: datetime) -> int:
    shift = dropout.shift
    held = _count(session, shift, now).held
    leaders = _leaders_besides(session, dropout)
    for leader in leaders:
        ngettext = translations(leader.person.locale).ngettext
        words = {**messages.night_words(shift), "name": dropout.person.first_name, "count": held}
        messages.plan_news(
            session,
            None,  # news about the night, not a question about the leader's own place
            person=leader.person,
            shift=shift,
            key=f"dropout:{dropout.id}:{leader.id}",
            body=messages.dropout_text(ngettext, words),
            purpose=Purpose.SHIFT_CHANGED,
            now=now,
        )
    return len(leaders)


def _leaders_besides(session: Session, signup: Signup) -> list[Signup]:
    return list(
        session.scalars(
            select(Signup).where(
                Signup.shift_id == signup.shift_id,
                Signup.role == SignupRole.LEADER,
                Signup.state.in_(HOLDING),
                Signup.id != signup.id,
            )
        )
    )


def withdraw(session: Session, signup: Signup, now: datetime, links: Links) -> list[Signup]:
    """Cancel a sign-up without the parent's cut-off (the caller has checked what applies) and
    offer the place it held to the waitlist; returns those offered it."""
    held = signup.state in HOLDING
    signup.state = SignupState.CANCELLED
    signup.cancelled_at = now
    signup.offer_expires_at = None
    messages.withdrawn(session, signup, now, links)
    if held:
        return promote_waitlist(session, signup.shift, now, links)
    return []


def promote_waitlist(session: Session, shift: Shift, now: datetime, links: Links) -> list[Signup]:
    """Offer free places to the waitlist in order. An offer holds the place until it is
    confirmed or expires, because a silent promotion is how people fail to turn up. The time to
    answer runs from when the offer's SMS goes out: in the morning, when a place on a night that
    is not tonight frees up in the region's quiet hours.

    Someone who has since taken a night at the same time, or reached the cap, is passed over
    (and stays on the list, in case that changes); `confirm_offer` checks again under their lock.
    So is a walker while the last place is kept for a group leader: a leader further down the
    list gets it.
    """
    shift = lock_night(session, shift.id)  # callers without the lock (GDPR erasure) are safe too
    if shift.cancelled_at is not None or shift.starts_at <= now:
        return []
    count = _count(session, shift, now)
    free = shift.max_walkers - count.held
    if free <= 0:
        return []
    waiting = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
        .options(joinedload(Signup.person))
        .order_by(Signup.queued_at, Signup.id)
    ).all()
    goes_out = messages.goes_out_at(shift, Purpose.WAITLIST_PROMOTED, now)
    awake = places.quiet_hours(shift.term.region).awake_after(goes_out, timedelta(hours=shift.term.region.offer_hours))
    deadline = min(awake, shift.starts_at)
    offered: list[Signup] = []
    leaders_holding = count.leaders_holding
    for signup in waiting:
        if len(offered) == free:
            break
        kept = signup.role == SignupRole.WALKER and keeps_leader_place(shift, leaders_holding, now)
        if kept and free - len(offered) <= 1:
            continue
        try:
            _check_free_for(session, signup.person, shift, signup.role)
        except SignupRefused:
            continue
        leaders_holding += signup.role == SignupRole.LEADER
        signup.state = SignupState.OFFERED
        signup.offer_expires_at = deadline
        messages.offered(session, signup, now, links, goes_out=goes_out)
        offered.append(signup)
    return offered


def offer_released_places(session: Session, now: datetime, links: Links) -> int:
    """When the days a place was kept for a group leader are over, the place is the waitlist's:
    offer what is free on nights people wait for (the scheduler runs this with the expiry of offers)."""
    waited_for = session.scalars(
        select(Shift.id)
        .join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.state == SignupState.WAITLISTED, Shift.starts_at > now, Shift.cancelled_at.is_(None))
        .distinct()
        .order_by(Shift.id)
    ).all()
    return sum(len(promote_waitlist(session, session.get_one(Shift, shift_id), now, links)) for shift_id in waited_for)


def confirm_offer(session: Session, signup_id: int, now: datetime, links: Links) -> Signup:
    """Take an offered place. Confirming twice is harmless.

    Raises SignupRefused when the place can no longer be taken (the offer expired, the night was
    cancelled or began, or the person took another night at that time or reached the cap). The
    offer has then been passed on to the next on the list in this transaction: the caller
    commits either way.
    """
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise SignupRefused(N_("That offer does not exist."))
    person, shift = lock_signup(session, signup)
    if signup.state in TAKEN:
        return signup  # tapped twice
    if signup.state != SignupState.OFFERED:
        raise SignupRefused(N_("This offer is no longer open."))
    if signup.offer_expires_at is None or signup.offer_expires_at <= now or shift.starts_at <= now:
        withdraw(session, signup, now, links)
        raise SignupRefused(N_("The offer has expired and the place went to the next on the list."))
    if shift.cancelled_at is not None:
        raise SignupRefused(N_("This night is cancelled."))
    try:
        _check_free_for(session, person, shift, signup.role, besides=signup)
    except SignupRefused:
        withdraw(session, signup, now, links)
        raise
    signup.state = SignupState.CONFIRMED
    signup.confirmed_at = now
    signup.offer_expires_at = None
    messages.signed_up(session, signup, now, links, own_action=True)
    return signup


def decline_offer(session: Session, signup_id: int, now: datetime, links: Links) -> Signup:
    """Say no to an offered place: it goes to the next on the list. Declining twice is harmless."""
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise SignupRefused(N_("That offer does not exist."))
    lock_signup(session, signup)
    if signup.state == SignupState.OFFERED:
        withdraw(session, signup, now, links)
    return signup


def expire_offers(session: Session, now: datetime, links: Links, shift: Shift | None = None) -> int:
    """Offers nobody confirmed in time go to the next on the list. The person leaves the waitlist
    (someone who let an offer lapse is not offered the same place again at once) and is told so.

    With a night, the caller holds that night's lock (signing up). Without one (the scheduler),
    the people and nights concerned are locked here: all the people, then all the nights, each in
    id order, so this cannot deadlock with a request holding one person and one night.
    """
    query = select(Signup).where(Signup.state == SignupState.OFFERED, Signup.offer_expires_at <= now)
    if shift is not None:
        query = query.where(Signup.shift_id == shift.id)
    expired = session.scalars(query.order_by(Signup.shift_id, Signup.id)).all()
    if shift is None and expired and locks_rows(session):
        for person_id in sorted({s.person_id for s in expired}):
            session.execute(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))
        for shift_id in sorted({s.shift_id for s in expired}):
            lock_night(session, shift_id)
    count = 0
    for signup in expired:
        session.refresh(signup)  # another request may have answered while we waited for the locks
        if (
            signup.state == SignupState.OFFERED
            and signup.offer_expires_at is not None
            and signup.offer_expires_at <= now
        ):
            deadline = signup.offer_expires_at
            withdraw(session, signup, now, links)
            if signup.shift.starts_at > now:
                messages.offer_expired(session, signup, deadline, now, links)
            count += 1
    return count


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


#: Nights walked in all at which a parent is thanked on My nights.
MILESTONES = (1, 5, 10, 25, 50, 100, 200)


@dataclass
class History:
    """A parent's own nights walked: this term, this year, where, and in all."""

    term: Term | None
    this_term: int
    this_year: int
    routes: list[tuple[Route, int]]  # walked this year, the most walked first
    total: int
    #: The past sign-ups counted as walked: their line says so, as the count does.
    walked: set[int] = field(default_factory=set)

    @property
    def milestone(self) -> int | None:
        return self.total if self.total in MILESTONES else None


def walked(signup: Signup, now: datetime) -> bool:
    """Came, by the logbook; or held a place on a night that is over and kept no logbook."""
    if signup.state == SignupState.ATTENDED:
        return True
    over = signup.shift.ends_at <= now and signup.shift.cancelled_at is None
    return over and signup.state in (SignupState.SIGNED_UP, SignupState.CONFIRMED)


def my_history(session: Session, person: Person, past: list[Signup], now: datetime) -> History:
    """From My nights' past sign-ups (`my_nights`), and the region's term under way (or the last one)."""
    nights = [s for s in past if walked(s, now)]
    term = None
    if person.municipality is not None:
        term = session.scalar(
            select(Term)
            .where(
                Term.region_id == person.municipality.region_id,
                Term.published_at.is_not(None),
                Term.starts_on <= local(now).date(),
            )
            .order_by(Term.starts_on.desc())
            .limit(1)
        )
    year = [s for s in nights if local(s.shift.starts_at).year == local(now).year]
    routes: dict[int, tuple[Route, int]] = {}
    for signup in year:
        route = signup.shift.route
        routes[route.id] = (route, routes.get(route.id, (route, 0))[1] + 1)
    return History(
        term=term,
        this_term=sum(1 for s in nights if term is not None and s.shift.term_id == term.id),
        this_year=len(year),
        routes=sorted(routes.values(), key=lambda pair: (-pair[1], pair[0].name)),
        total=len(nights),
        walked={s.id for s in nights},
    )


def calendar_nights(session: Session, person: Person) -> list[Signup]:
    """What belongs in the person's calendar: nights they took a place on, and those they wait for
    (shown as tentative). A cancelled night stays, marked cancelled, so the phone's calendar shows
    it is off."""
    return list(
        session.scalars(
            select(Signup)
            .join(Signup.shift)
            .where(Signup.person_id == person.id, Signup.state.in_(LIVE))
            .options(joinedload(Signup.shift).joinedload(Shift.route).joinedload(Route.municipality))
            .order_by(Shift.starts_at)
        )
    )
