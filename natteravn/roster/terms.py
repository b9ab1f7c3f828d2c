"""Terms: their dates and sign-up window, nights generated in bulk from a pattern, school
classes given weekends (klassevakt), and publishing the roster."""

from __future__ import annotations

import enum
import re
from collections import Counter, defaultdict
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person, person_class
from natteravn.audit import service as audit
from natteravn.clock import at_local, local, night_span
from natteravn.db import locks_rows
from natteravn.i18n import N_, Refusal, days_written, translations
from natteravn.links import Links
from natteravn.places.breaks import DaysOff, days_off, public_holidays
from natteravn.places.models import Municipality, Region, Route, School, SchoolBreak, SchoolClass
from natteravn.roster import broadcasts, removal
from natteravn.roster.autofill.models import Availability, RosterDraft
from natteravn.roster.models import NightPattern
from natteravn.roster.service import NewNight, add_night
from natteravn.shifts import messages
from natteravn.shifts.models import HOLDING, ClassWeekend, Shift, Signup, SignupState, Term
from natteravn.sms.mail import subject_for
from natteravn.sms.models import MessageState, Purpose, SmsMessage


def term_names(session: Session, ids: set[int], _written: audit.Written) -> dict[int, str]:
    """Terms as the audit log names them: by their names."""
    return {term_id: name for term_id, name in session.execute(select(Term.id, Term.name).where(Term.id.in_(ids)))}


#: What the audit log says about terms.
AUDIT = audit.Vocabulary(
    actions={
        "term.created": N_("Created the term %(name)s"),
        "term.updated": N_("Changed the term %(name)s"),
        "term.nights_removed": N_(
            "Took %(removed)s nights that nobody was on off term %(object)s: they were outside its new dates"
        ),
        "term.deleted": N_("Deleted the draft term %(name)s and its %(nights)s nights"),
        "term.pattern_saved": N_("Saved a pattern of nights for term %(object)s"),
        "term.pattern_deleted": N_(
            "Deleted a pattern of nights from term %(object)s: %(removed)s of its nights went, "
            "%(kept)s with people on them stay"
        ),
        "term.nights_generated": N_(
            "Made %(made)s nights for term %(object)s (%(holidays)s left out for holidays and school breaks)"
        ),
        "term.class_weekend_given": N_("Gave the weekend of %(weekend_on)s to %(school_class)s"),
        "term.class_weekend_taken": N_("Took the weekend of %(weekend_on)s from %(school_class)s"),
        "term.published": N_("Published term %(object)s (%(told)s people told)"),
        "term.copied": N_("Made the term %(object)s as a copy of %(source)s"),
    },
    objects={"term": N_("Term")},
    namers={"term": term_names},
)


class TermRefused(Refusal):
    pass


@dataclass
class TermInput:
    name: str
    starts_on: date
    ends_on: date
    signup_opens_at: datetime
    signup_closes_at: datetime | None = None
    nights_cap: int | None = None  # None: the region's cap


@dataclass
class PatternInput:
    weekdays: list[int]
    starts_local: time
    ends_local: time
    route_ids: list[int]
    min_walkers: int = 3
    max_walkers: int = 6
    needs_leader: bool = True
    skip_dates: list[date] = field(default_factory=list)
    skip_holidays: bool = True
    skip_breaks: bool = True


@dataclass
class Generated:
    made: list[Shift]
    already_there: int  # route and date had a night: left as it was
    skipped: int  # nights left out: a public holiday, the municipality's school break, or a date typed in
    # Of those already there, how many belong to another term (by its name): overlapping terms.
    in_other_terms: dict[str, int] = field(default_factory=dict)


#: A term's nights named in a refusal; more are counted, not listed.
NIGHTS_NAMED = 10


# --- Terms. ---


def _twelve_months_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _check_term(data: TermInput) -> None:
    if not data.name.strip():
        raise TermRefused(N_("Give the term a name."), field="name")
    if data.ends_on < data.starts_on:
        raise TermRefused(N_("The term must end on or after the day it starts."))
    if data.ends_on >= _twelve_months_after(data.starts_on):
        # A school term is about half a year: a longer one is a year typed wrong, and makes thousands of nights.
        raise TermRefused(
            N_("A term is at most 12 months long, and %(first)s to %(last)s is longer. Check the years."),
            field="ends_on",
            first=data.starts_on.strftime("%d.%m.%Y"),
            last=data.ends_on.strftime("%d.%m.%Y"),
        )
    if data.signup_closes_at is not None and data.signup_closes_at <= data.signup_opens_at:
        raise TermRefused(N_("Sign-up must close after it opens."))
    if data.nights_cap is not None and data.nights_cap < 1:
        raise TermRefused(N_("The most nights per person must be at least 1."))


def _tidy(name: str) -> str:
    return " ".join(name.split())


def _compared(name: str) -> str:
    return _tidy(name).casefold()


def _names_taken(session: Session, region_id: int, keep: Term | None = None) -> set[str]:
    """The region's term names as `_compared` reads them."""
    others = select(Term.name).where(Term.region_id == region_id)
    if keep is not None:
        others = others.where(Term.id != keep.id)
    # Compared in Python: SQLite's lower() leaves Æ, Ø and Å alone.
    return {_compared(other) for other in session.scalars(others)}


def _check_name_free(session: Session, region_id: int, name: str, keep: Term | None = None) -> None:
    """One term of a name in a region: a form sent twice (a double click, Back and send again) would
    otherwise make the term twice."""
    if _compared(name) in _names_taken(session, region_id, keep):
        raise TermRefused(N_("The region already has a term called %(name)s."), field="name", name=_tidy(name))


def _lock_region(session: Session, region_id: int) -> None:
    """Two forms sent at once wait for each other, so the second sees the first's term."""
    if locks_rows(session):
        session.execute(select(Region.id).where(Region.id == region_id).with_for_update())


def overlapping_terms(
    session: Session, region_id: int, first: date, last: date, keep: Term | None = None
) -> list[Term]:
    """The region's other terms with a day in common with `first` to `last`. A route has one night a
    day, so nights one of them already has on a day are not made again in the other."""
    found = select(Term).where(Term.region_id == region_id, Term.starts_on <= last, Term.ends_on >= first)
    if keep is not None:
        found = found.where(Term.id != keep.id)
    return list(session.scalars(found.order_by(Term.starts_on, Term.id)))


def create_term(session: Session, region: Region, data: TermInput, now: datetime, actor: Person) -> Term:
    _check_term(data)
    _lock_region(session, region.id)
    _check_name_free(session, region.id, data.name)
    term = Term(
        region=region,
        name=_tidy(data.name),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        signup_opens_at=data.signup_opens_at,
        signup_closes_at=data.signup_closes_at,
        nights_cap=data.nights_cap,
    )
    session.add(term)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="term.created",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        name=term.name,
    )
    return term


def update_term(session: Session, term: Term, data: TermInput, now: datetime, actor: Person) -> int:
    """Change a term's name, dates, window or cap. The term's nights that the new dates leave out
    go with the change when nobody is on them; if anyone is on one of them, or it was walked,
    nothing changes and the refusal names those nights. Returns how many nights went."""
    _check_term(data)
    _lock_region(session, term.region_id)
    _check_name_free(session, term.region_id, data.name, keep=term)
    _lock_term(session, term)
    outside = _nights_outside(term, data.starts_on, data.ends_on)
    removal.lock(session, outside)
    _refuse_if_people_on(session, term, outside.where(removal.has_people()))
    term.name = _tidy(data.name)
    term.starts_on, term.ends_on = data.starts_on, data.ends_on
    opening_moved = term.signup_opens_at != data.signup_opens_at
    term.signup_opens_at, term.signup_closes_at = data.signup_opens_at, data.signup_closes_at
    term.nights_cap = data.nights_cap
    if opening_moved:
        _replan_class_invitations(session, term, now)
    audit.record(
        session,
        actor_id=actor.id,
        action="term.updated",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        name=term.name,
        starts_on=term.starts_on.isoformat(),
        ends_on=term.ends_on.isoformat(),
        signup_opens_at=term.signup_opens_at.isoformat(),
        signup_closes_at=term.signup_closes_at.isoformat() if term.signup_closes_at else None,
        nights_cap=term.nights_cap,
    )
    removed = removal.remove(session, outside)
    if removed:
        audit.record(
            session,
            actor_id=actor.id,
            action="term.nights_removed",
            object_type="term",
            object_id=term.id,
            now=now,
            region_id=term.region_id,
            removed=removed,
        )
    return removed


def _nights_outside(term: Term, first: date, last: date) -> Select:
    """The term's nights whose evening (local date of the start) is not from `first` to `last`."""
    tz = ZoneInfo(term.region.timezone)
    since, until = at_local(first, time(0), tz), at_local(last + timedelta(days=1), time(0), tz)
    return select(Shift).where(Shift.term_id == term.id, or_(Shift.starts_at < since, Shift.starts_at >= until))


def _refuse_if_people_on(session: Session, term: Term, nights: Select) -> None:
    found = removal.named(session, nights, ZoneInfo(term.region.timezone))
    if not found:
        return
    listed = ", ".join(f"{route} {day.strftime('%d.%m.%Y')}" for route, day in found[:NIGHTS_NAMED])
    if len(found) > NIGHTS_NAMED:
        raise TermRefused(
            N_(
                "These nights are outside the new dates but have people on them or have been walked: "
                "%(nights)s and %(more)d more. Nothing is changed: keep dates that include them, or take "
                "the people off them first."
            ),
            nights=listed,
            more=len(found) - NIGHTS_NAMED,
        )
    raise TermRefused(
        N_(
            "These nights are outside the new dates but have people on them or have been walked: %(nights)s. "
            "Nothing is changed: keep dates that include them, or take the people off them first."
        ),
        nights=listed,
    )


@dataclass
class TermDeletion:
    """What deleting a draft term takes with it."""

    nights: int
    patterns: int
    class_weekends: int
    places: int  # people the coordinator put on its nights: as it is a draft, none of them was told
    availabilities: int  # volunteers' answers to when they can walk it


def term_deletion(session: Session, term: Term) -> TermDeletion:
    """What deleting the term would take, or why it cannot be deleted: a published term's nights have
    been seen by parents (cancelling them tells those on them), and walked nights are a record."""
    if term.published_at is not None:
        raise TermRefused(
            N_(
                "A published term cannot be deleted: parents have seen its nights and may be on them. "
                "Cancel the nights it should not have instead; those on them are told."
            )
        )
    nights = select(Shift.id).where(Shift.term_id == term.id)
    if removal.count(session, nights.where(removal.walked())):
        raise TermRefused(N_("Some of this term's nights have been walked, and their record stays."))

    def counted(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return TermDeletion(
        nights=removal.count(session, nights),
        patterns=counted(NightPattern, NightPattern.term_id == term.id),
        class_weekends=counted(ClassWeekend, ClassWeekend.term_id == term.id),
        places=counted(Signup, Signup.shift_id.in_(nights.scalar_subquery()), Signup.state.in_(HOLDING)),
        availabilities=counted(Availability, Availability.term_id == term.id),
    )


def delete_term(session: Session, term: Term, now: datetime, actor: Person) -> TermDeletion:
    """Delete a draft term with its nights, patterns, class weekends, auto-fill drafts and the
    availability given for it. Nobody is told: nobody has heard of a draft's nights."""
    _lock_term(session, term)
    session.refresh(term)
    removal.lock(session, select(Shift).where(Shift.term_id == term.id))
    gone = term_deletion(session, term)
    term_id, name, region_id = term.id, term.name, term.region_id
    audit.record(
        session,
        actor_id=actor.id,
        action="term.deleted",
        object_type="term",
        object_id=term_id,
        now=now,
        region_id=region_id,
        name=name,
        starts_on=term.starts_on.isoformat(),
        ends_on=term.ends_on.isoformat(),
        **vars(gone),
    )
    removal.remove(session, select(Shift).where(Shift.term_id == term_id))
    for model in (ClassWeekend, NightPattern, Availability, RosterDraft):
        session.execute(delete(model).where(model.term_id == term_id).execution_options(synchronize_session=False))
    session.execute(delete(Term).where(Term.id == term_id).execution_options(synchronize_session=False))
    session.expire_all()
    return gone


def terms_of(session: Session, region_ids: set[int]) -> list[Term]:
    return list(
        session.scalars(
            select(Term)
            .where(Term.region_id.in_(region_ids))
            .options(joinedload(Term.region))
            .order_by(Term.starts_on.desc(), Term.id.desc())
        )
    )


def open_terms(session: Session, region_id: int, today: date) -> list[Term]:
    """The region's terms that have not ended: the ones worth telling when you can walk."""
    return list(
        session.scalars(select(Term).where(Term.region_id == region_id, Term.ends_on >= today).order_by(Term.starts_on))
    )


def region_routes(session: Session, region_id: int) -> list[Route]:
    return list(
        session.scalars(
            select(Route)
            .join(Route.municipality)
            .where(Municipality.region_id == region_id, Route.archived.is_(False), Municipality.archived.is_(False))
            .options(joinedload(Route.municipality))
            .order_by(Municipality.name, Route.name)
        )
    )


# --- Patterns and bulk generation. ---


def _check_pattern(session: Session, term: Term, data: PatternInput) -> None:
    if not data.weekdays or any(d not in range(7) for d in data.weekdays):
        raise TermRefused(N_("Choose at least one weekday."))
    if not data.route_ids:
        raise TermRefused(N_("Choose at least one route."))
    if data.starts_local == data.ends_local:
        raise TermRefused(N_("A night must end at another time than it starts."))
    if not 1 <= data.min_walkers <= data.max_walkers:
        raise TermRefused(N_("The minimum must be at least 1 and no more than the maximum."))
    allowed = {route.id for route in region_routes(session, term.region_id)}
    if not set(data.route_ids) <= allowed:
        raise TermRefused(N_("That route is not in this region."))


def save_pattern(
    session: Session,
    term: Term,
    data: PatternInput,
    now: datetime,
    actor: Person,
    pattern: NightPattern | None = None,
) -> NightPattern:
    """A new pattern, or changes to one; generating from it again adds only what is missing."""
    _check_pattern(session, term, data)
    if pattern is None:
        pattern = NightPattern(term=term)
        session.add(pattern)
    pattern.weekdays = sorted(set(data.weekdays))
    pattern.starts_local, pattern.ends_local = data.starts_local, data.ends_local
    pattern.route_ids = sorted(set(data.route_ids))
    pattern.min_walkers, pattern.max_walkers = data.min_walkers, data.max_walkers
    pattern.needs_leader = data.needs_leader
    pattern.skip_dates = sorted({d.isoformat() for d in data.skip_dates})
    pattern.skip_holidays, pattern.skip_breaks = data.skip_holidays, data.skip_breaks
    pattern.updated_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="term.pattern_saved",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        pattern_id=pattern.id,
        weekdays=pattern.weekdays,
        starts=pattern.starts_local.strftime("%H:%M"),
        ends=pattern.ends_local.strftime("%H:%M"),
        route_ids=pattern.route_ids,
        min_walkers=pattern.min_walkers,
        max_walkers=pattern.max_walkers,
        needs_leader=pattern.needs_leader,
        skip_dates=pattern.skip_dates,
        skip_holidays=pattern.skip_holidays,
        skip_breaks=pattern.skip_breaks,
    )
    return pattern


@dataclass
class Refitted:
    changed: int  # the pattern's nights ahead that nobody is on: they take its new times and numbers
    kept: int  # its nights ahead with people on them: they keep theirs, to be changed one by one
    removed: int = 0  # its nights ahead that it now leaves out and nobody is on: they go
    left_out_kept: int = 0  # of `kept`, those it now leaves out: they stay until cancelled one by one


def refit_nights(session: Session, pattern: NightPattern, now: datetime) -> Refitted:
    """After a pattern is changed, or a school break added, the nights it made that are still ahead
    and that nobody is on follow it: those it now leaves out (a weekday or route taken off it, a date,
    holiday or school break to skip) go, the others take its new times, numbers and need of a
    leader. Nobody has been told of them. Nights with people on them keep theirs; changing or
    cancelling one is a change for those people, made night by night and told."""
    term = pattern.term
    tz = ZoneInfo(term.region.timezone)
    ahead = select(Shift).where(Shift.pattern_id == pattern.id, Shift.starts_at > now, Shift.cancelled_at.is_(None))
    removal.lock(session, ahead)
    wanted = _still_wanted(session, term, pattern)
    changed, gone = 0, []
    for night in session.scalars(ahead.where(~removal.has_people())):
        day = local(night.starts_at, tz).date()
        if (night.route_id, day) not in wanted:
            gone.append(night.id)
            continue
        starts_at, ends_at = night_span(day, pattern.starts_local, pattern.ends_local, tz)
        new = (starts_at, ends_at, pattern.min_walkers, pattern.max_walkers, pattern.needs_leader)
        if new != (night.starts_at, night.ends_at, night.min_walkers, night.max_walkers, night.needs_leader):
            night.starts_at, night.ends_at, night.min_walkers, night.max_walkers, night.needs_leader = new
            changed += 1
    removed = removal.remove(session, select(Shift).where(Shift.id.in_(gone))) if gone else 0
    with_people = session.execute(ahead.with_only_columns(Shift.route_id, Shift.starts_at).where(removal.has_people()))
    kept = left_out_kept = 0
    for route_id, starts_at in with_people:
        kept += 1
        left_out_kept += (route_id, local(starts_at, tz).date()) not in wanted
    return Refitted(changed, kept, removed, left_out_kept)


def _still_wanted(session: Session, term: Term, pattern: NightPattern) -> set[tuple[int, date]]:
    """The (route, day) nights the pattern makes in the term as it now stands."""
    routes = [r for r in region_routes(session, term.region_id) if r.id in set(pattern.route_ids)]
    off = term_days_off(session, term)
    return {
        (route.id, day)
        for day in pattern_days(term, pattern)
        for route in routes
        if not left_out(pattern, off, route, day)
    }


def refit_term(session: Session, term: Term, now: datetime) -> Refitted:
    """Every pattern of the term refitted, as after a school break is added: the empty nights a
    pattern that skips breaks made in it go."""
    refitted = [refit_nights(session, pattern, now) for pattern in patterns_of(session, term)]
    return Refitted(
        changed=sum(r.changed for r in refitted),
        kept=sum(r.kept for r in refitted),
        removed=sum(r.removed for r in refitted),
        left_out_kept=sum(r.left_out_kept for r in refitted),
    )


@dataclass
class PatternDeletion:
    removed: int  # the pattern's nights that nobody was on: they go with it
    kept: int  # its nights with people on them, or walked: they stay in the term


def pattern_deletion(session: Session, pattern: NightPattern) -> PatternDeletion:
    """What deleting the pattern would do to the nights it made."""
    made = select(Shift.id).where(Shift.pattern_id == pattern.id)
    return PatternDeletion(
        removed=removal.count(session, made.where(~removal.has_people())),
        kept=removal.count(session, made.where(removal.has_people())),
    )


def delete_pattern(session: Session, pattern: NightPattern, now: datetime, actor: Person) -> PatternDeletion:
    """Delete a pattern and the nights it made that nobody is on; nights with people stay in the term.
    Nights made before patterns were noted on them are not the pattern's, and stay too."""
    term = pattern.term
    _lock_term(session, term)
    removal.lock(session, select(Shift).where(Shift.pattern_id == pattern.id))
    found = pattern_deletion(session, pattern)
    audit.record(
        session,
        actor_id=actor.id,
        action="term.pattern_deleted",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        pattern_id=pattern.id,
        weekdays=pattern.weekdays,
        starts=pattern.starts_local.strftime("%H:%M"),
        route_ids=pattern.route_ids,
        removed=found.removed,
        kept=found.kept,
    )
    pattern_id = pattern.id
    removal.remove(session, select(Shift).where(Shift.pattern_id == pattern_id, ~removal.has_people()))
    session.execute(
        update(Shift)
        .where(Shift.pattern_id == pattern_id)
        .values(pattern_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(NightPattern).where(NightPattern.id == pattern_id))
    session.expire_all()
    return found


def patterns_of(session: Session, term: Term) -> list[NightPattern]:
    return list(session.scalars(select(NightPattern).where(NightPattern.term_id == term.id).order_by(NightPattern.id)))


def pattern_days(term: Term, pattern: NightPattern) -> list[date]:
    """The term's days on the pattern's weekdays."""
    days, day = [], term.starts_on
    while day <= term.ends_on:
        if day.weekday() in pattern.weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def left_out(pattern: NightPattern, days_off: DaysOff, route: Route, day: date) -> bool:
    """Whether the pattern leaves a route's night out on a day: a date typed in, or (as the pattern
    says) a public holiday or a school break in the route's municipality."""
    return (
        day.isoformat() in pattern.skip_dates
        or (pattern.skip_holidays and day in days_off.holidays)
        or (pattern.skip_breaks and days_off.school_break(route.municipality_id, day) is not None)
    )


def before_day_reminder(term: Term) -> time | None:
    """The earliest start, on the region's clock, of the term's nights that start before their
    reminder on the day is due (`messages.reminder_times`): those get none, as a reminder is never
    planned for after its night has begun. None when every night starts after it."""
    tz = ZoneInfo(term.region.timezone)
    early = [
        local(shift.starts_at, tz).time()
        for shift in term.shifts
        if shift.cancelled_at is None and messages.reminder_times(shift)[Purpose.REMINDER_DAY] >= shift.starts_at
    ]
    return min(early, default=None)


def term_days_off(session: Session, term: Term, locale: str = "nb") -> DaysOff:
    """The term's public holidays and its region's school breaks."""
    municipality_ids = [m.id for m in term.region.municipalities]
    return days_off(session, municipality_ids, term.starts_on, term.ends_on, locale)


def _lock_term(session: Session, term: Term) -> None:
    """Two coordinators generating at once wait for each other rather than both adding a night."""
    if locks_rows(session):
        session.execute(select(Term.id).where(Term.id == term.id).with_for_update())


def _nights_by_route_and_day(
    session: Session, route_ids: list[int], first: date, last: date, tz: ZoneInfo
) -> dict[tuple[int, date], int]:
    """Which (route, local date) already have a night, in any term, cancelled ones included (a
    night the coordinator called off is not brought back by generating again), and whose term it is."""
    since = datetime.combine(first - timedelta(days=1), time(0), tz)
    until = datetime.combine(last + timedelta(days=2), time(0), tz)
    rows = session.execute(
        select(Shift.route_id, Shift.starts_at, Shift.term_id).where(
            Shift.route_id.in_(route_ids), Shift.starts_at >= since, Shift.starts_at < until
        )
    )
    return {(route_id, local(starts_at, tz).date()): term_id for route_id, starts_at, term_id in rows}


@dataclass
class Planned:
    nights: list[tuple[Route, date]]  # to make
    already_there: int
    skipped: int
    in_other_terms: Counter[int] = field(default_factory=Counter)  # of those already there, by their term's id


def planned_nights(session: Session, term: Term, pattern: NightPattern) -> Planned:
    """Which (route, day) the pattern would add to the term, read only: what generating makes,
    and what copying a term shows before anything is made."""
    tz = ZoneInfo(term.region.timezone)
    routes = [r for r in region_routes(session, term.region_id) if r.id in set(pattern.route_ids)]
    existing = _nights_by_route_and_day(session, [r.id for r in routes], term.starts_on, term.ends_on, tz)
    off = term_days_off(session, term)
    planned = Planned([], 0, 0)
    for day in pattern_days(term, pattern):
        for route in routes:
            if left_out(pattern, off, route, day):
                planned.skipped += 1
            elif (route.id, day) in existing:
                planned.already_there += 1
                if existing[(route.id, day)] != term.id:
                    planned.in_other_terms[existing[(route.id, day)]] += 1
            else:
                planned.nights.append((route, day))
    return planned


def generate_nights(session: Session, term: Term, pattern: NightPattern, now: datetime, actor: Person) -> Generated:
    """Make the pattern's nights that do not exist yet. Idempotent on route and local date, so
    generating again, or after changing the pattern, never gives a route two nights on one day.
    Times are the region's wall clock: 22:00 stays 22:00 on both sides of a daylight-saving change."""
    _lock_term(session, term)
    tz = ZoneInfo(term.region.timezone)
    planned = planned_nights(session, term, pattern)
    already_there, skipped = planned.already_there, planned.skipped
    made = []
    for route, day in planned.nights:
        starts_at, ends_at = night_span(day, pattern.starts_local, pattern.ends_local, tz)
        made.append(
            Shift(
                term=term,
                route=route,
                pattern_id=pattern.id,
                starts_at=starts_at,
                ends_at=ends_at,
                min_walkers=pattern.min_walkers,
                max_walkers=pattern.max_walkers,
                needs_leader=pattern.needs_leader,
                note="",
                cancel_reason="",
            )
        )
    session.add_all(made)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="term.nights_generated",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        pattern_id=pattern.id,
        made=len(made),
        already_there=already_there,
        holidays=skipped,
    )
    others = session.execute(select(Term.id, Term.name).where(Term.id.in_(planned.in_other_terms)))
    in_other_terms = {name: planned.in_other_terms[term_id] for term_id, name in others}
    return Generated(made, already_there, skipped, in_other_terms)


# --- Class weekends (klassevakt). ---


def friday_of(day: date) -> date:
    """The Friday of the weekend a day belongs to (Monday–Sunday week)."""
    return day + timedelta(days=4 - day.weekday())


def term_weekends(term: Term) -> list[date]:
    """The Fridays of the weekends (Friday to Sunday) that have a day in the term."""
    fridays, friday = [], friday_of(term.starts_on)
    while friday <= term.ends_on:
        fridays.append(friday)
        friday += timedelta(days=7)
    return fridays


def _walked_days(friday: date) -> tuple[date, date]:
    """The days of a weekend's nights: Friday and Saturday."""
    return friday, friday + timedelta(days=1)


def weekend_breaks(session: Session, term: Term) -> dict[date, list[SchoolBreak]]:
    """The school breaks, by weekend, that a night of the weekend falls in (in some municipality)."""
    off = term_days_off(session, term)
    found: dict[date, list[SchoolBreak]] = {}
    for friday in term_weekends(term):
        for municipality_id in off.breaks:
            school_break = next(
                filter(None, (off.school_break(municipality_id, d) for d in _walked_days(friday))), None
            )
            if school_break is not None:
                found.setdefault(friday, []).append(school_break)
    return found


def weekend_holidays(term: Term, locale: str = "nb") -> dict[date, dict[date, str]]:
    """The public holidays, by weekend, on a day of the weekend's nights (Good Friday, 1 May on a
    Saturday): a pattern that leaves holidays out has no nights then, so a class given the weekend
    gets fewer."""
    fridays = term_weekends(term)
    if not fridays:
        return {}
    named = public_holidays(fridays[0], fridays[-1] + timedelta(days=1), locale)
    found: dict[date, dict[date, str]] = {}
    for friday in fridays:
        for day in _walked_days(friday):
            if day in named:
                found.setdefault(friday, {})[day] = named[day]
    return found


def region_classes(session: Session, region_id: int) -> list[SchoolClass]:
    """The region's open classes by school, in the order a person counts them (9B before 10A)."""
    found = session.scalars(
        select(SchoolClass)
        .join(SchoolClass.school)
        .join(School.municipality)
        .where(Municipality.region_id == region_id, SchoolClass.archived.is_(False), School.archived.is_(False))
        .options(joinedload(SchoolClass.school))
    )
    return sorted(found, key=lambda c: (c.school.name, c.sort_key))


def class_weekends_of(session: Session, term: Term) -> list[ClassWeekend]:
    return list(
        session.scalars(
            select(ClassWeekend)
            .where(ClassWeekend.term_id == term.id)
            .options(joinedload(ClassWeekend.school_class).joinedload(SchoolClass.school))
            .order_by(ClassWeekend.weekend_on, ClassWeekend.id)
        )
    )


def give_weekend(
    session: Session, term: Term, school_class_id: int, weekend_on: date, now: datetime, links: Links, actor: Person
) -> ClassWeekend:
    """Give a school class a weekend of the term. If the term is already out, the class's parents
    are invited now (or when sign-up opens)."""
    school_class = session.get(SchoolClass, school_class_id)
    if school_class is None or school_class.school.municipality.region_id != term.region_id:
        raise TermRefused(N_("That school class is not in this region."))
    weekend_on = friday_of(weekend_on)
    if weekend_on not in term_weekends(term):
        raise TermRefused(N_("That weekend is not in the term."))
    has_nights = session.scalar(select(Shift.id).where(Shift.term_id == term.id).limit(1)) is not None
    municipality = school_class.school.municipality
    in_break = next(
        (b for b in weekend_breaks(session, term).get(weekend_on, []) if b.municipality_id == municipality.id), None
    )
    if in_break is not None:
        raise TermRefused(
            N_("The weekend of %(date)s is in %(name)s in %(municipality)s: give the class another weekend."),
            date=weekend_on.strftime("%d.%m.%Y"),
            name=in_break.name,
            municipality=municipality.name,
        )
    if has_nights and not _nights_of_weekend(session, term, weekend_on, municipality.id):
        # A school break, or nights called off: the class would be asked to fill nothing.
        raise TermRefused(
            N_("The term has no nights in %(municipality)s that weekend."), municipality=municipality.name
        )
    existing = session.scalar(
        select(ClassWeekend).where(
            ClassWeekend.term_id == term.id,
            ClassWeekend.school_class_id == school_class.id,
            ClassWeekend.weekend_on == weekend_on,
        )
    )
    if existing is not None:
        return existing
    given = ClassWeekend(term=term, school_class=school_class, weekend_on=weekend_on, created_at=now)
    session.add(given)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="term.class_weekend_given",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        class_weekend_id=given.id,
        school_class=school_class.label,
        weekend_on=weekend_on.isoformat(),
    )
    if term.published_at is not None:
        invite_class(session, given, now, links)
    return given


def take_weekend(session: Session, given: ClassWeekend, now: datetime, actor: Person) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action="term.class_weekend_taken",
        object_type="term",
        object_id=given.term.id,
        now=now,
        region_id=given.term.region_id,
        class_weekend_id=given.id,
        school_class=given.school_class.label,
        weekend_on=given.weekend_on.isoformat(),
    )
    session.delete(given)


def _weekend_nights(session: Session, given: ClassWeekend) -> list[Shift]:
    return _nights_of_weekend(session, given.term, given.weekend_on, given.school_class.school.municipality_id)


def _nights_of_weekend(session: Session, term: Term, friday: date, municipality_id: int) -> list[Shift]:
    """The weekend's nights in a municipality: those a class of its schools walks."""
    tz = ZoneInfo(term.region.timezone)
    since = datetime.combine(friday, time(0), tz)
    until = datetime.combine(friday + timedelta(days=3), time(0), tz)
    return list(
        session.scalars(
            select(Shift)
            .join(Shift.route)
            .where(
                Shift.term_id == term.id,
                Route.municipality_id == municipality_id,
                Shift.cancelled_at.is_(None),
                Shift.starts_at >= since,
                Shift.starts_at < until,
            )
            .order_by(Shift.starts_at)
        )
    )


def invite_class(session: Session, given: ClassWeekend, now: datetime, links: Links) -> int:
    """One invitation per parent of the class for its weekend, due when the weekend opens: now if
    sign-up is open, else the moment it opens (the outbox holds it until then). A parent who has
    not answered the first-time questions is invited to join in the same SMS, with their own link:
    their invitation to join, if it would go out no sooner, follows later unless they join
    (`accounts.service.invitations_follow`)."""
    planned = _class_invitations(session, given, now, links)
    invited_before = messages.planned_before(session, [invitation.key for invitation in planned])
    messages.plan_all(session, planned, now)
    newcomers = [invitation.person.id for invitation in planned if not invitation.person.onboarded]
    if newcomers:
        accounts.invitations_follow(session, newcomers, max(now, given.term.signup_opens_at), now)
    return len(planned) - len(invited_before)


def _class_invitations(session: Session, given: ClassWeekend, now: datetime, links: Links) -> list[messages.Planned]:
    """The invitations to a class's weekend, each parent's in their language: none once the
    weekend's nights have begun or sign-up has closed."""
    term = given.term
    nights = _weekend_nights(session, given)
    if not nights or nights[-1].starts_at <= now:
        return []
    if term.signup_closes_at is not None and term.signup_closes_at <= now:
        return []
    parents = session.scalars(
        select(Person)
        .join(person_class, person_class.c.person_id == Person.id)
        .where(person_class.c.school_class_id == given.school_class_id, Person.active.is_(True))
    ).all()
    return [
        messages.Planned(
            key=f"class_weekend:{given.id}:{parent.id}",
            body=_class_invitation_text(parent, given, nights, links),
            purpose=Purpose.CLASS_INVITATION,
            person=parent,
            shift=nights[0],
            due_at=max(now, term.signup_opens_at),
            expires_at=nights[-1].starts_at,
        )
        for parent in parents
    ]


def _class_invitation_text(parent: Person, given: ClassWeekend, nights: list[Shift], links: Links) -> str:
    """The invitation, naming the weekend's nights by weekday and date as the parent reads them
    ("fre. 12. og lør. 13. mars"): a date alone leaves them to work out which weekend it is."""
    _ = translations(parent.locale).gettext
    tz = ZoneInfo(given.term.region.timezone)
    words = {
        "class": given.school_class.label,
        "date": days_written(sorted({local(night.starts_at, tz).date() for night in nights}), parent.locale),
        "link": links.url("/nights"),
    }
    if not parent.onboarded:
        # The plain link would send them to log in by SMS code; their own link logs them in to
        # answer the first-time questions, and on to the nights. It lasts as long as the message.
        words["link"] = accounts.invitation_link_until(parent, links, nights[-1].starts_at)
        words["municipality"] = given.school_class.school.municipality.name
        return (
            _(
                "Natteravn %(municipality)s: you are invited to walk with us. The weekend of %(date)s is the class"
                " weekend of %(class)s. Get started and sign up for a night here: %(link)s"
            )
            % words
        )
    return (
        _("Natteravn: the weekend of %(date)s is the class weekend of %(class)s. Sign up for a night: %(link)s") % words
    )


def reword_class_invitations(person: Person, *, session: Session, links: Links) -> None:
    """The person chose another language, or answered the first-time questions
    (`accounts.service.wording_changed`): the invitations to their class's weekend still waiting
    for sign-up to open are written again, in their language, with the link that suits them now."""
    for message_id, key, _planned_at in messages.waiting_to(session, person, Purpose.CLASS_INVITATION):
        given = session.get(ClassWeekend, int(key.split(":")[1])) if key else None
        if given is None:  # the weekend was taken from the class since: the message keeps its words
            continue
        nights = _weekend_nights(session, given)
        if not nights:  # its nights were called off: the message (void now) keeps its words
            continue
        body = _class_invitation_text(person, given, nights, links)
        subject = subject_for(Purpose.CLASS_INVITATION, person.locale)
        messages.reword(session, body, SmsMessage.id == message_id, subject=subject)


def _replan_class_invitations(session: Session, term: Term, now: datetime) -> None:
    """Sign-up opens at another time: the class invitations waiting for it go out then (at once,
    when it is open already), not at the time it was set to open before."""
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.purpose == Purpose.CLASS_INVITATION,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.shift_id.in_(select(Shift.id).where(Shift.term_id == term.id)),
        )
        .values(due_at=max(now, term.signup_opens_at), held_until=None)
        .execution_options(synchronize_session=False)
    )


# --- Copying last term. ---


def previous_term(session: Session, region_id: int) -> Term | None:
    """The region's latest term: the one a new term is most often copied from."""
    return session.scalar(
        select(Term).where(Term.region_id == region_id).order_by(Term.starts_on.desc(), Term.id.desc()).limit(1)
    )


def a_year_on(day: date) -> date:
    """The same weekday of the same ISO week a year later (the last week, when that year has no 53rd)."""
    year, week, weekday = day.isocalendar()
    try:
        return date.fromisocalendar(year + 1, week, weekday)
    except ValueError:
        return date.fromisocalendar(year + 1, 52, weekday)


#: A year in a term's name, with the second year of a term across New Year: "2026", "2026/27",
#: "2026/2027", "2026-27".
_YEARS = re.compile(r"(?<!\d)(\d{4})(?:([/–-])(\d{4}|\d{2}))?(?!\d)")


def named_a_year_on(name: str) -> str:
    """The name of the same term a year on: "Vinter 2026/27" becomes "Vinter 2027/28", a short
    second year after 99 going on to 00."""

    def moved(found: re.Match) -> str:
        first, between, second = found.groups()
        if second is None:
            return str(int(first) + 1)
        later = int(second) + 1
        return (
            f"{int(first) + 1}{between}{later % 100:02d}" if len(second) == 2 else f"{int(first) + 1}{between}{later}"
        )

    return _YEARS.sub(moved, name)


def free_term_name(session: Session, region_id: int, source: Term, starts_on: date) -> str:
    """A name for the copy of `source` starting on `starts_on` that no term of the region has:
    every year in the old name moved on ("Vår 2027" from "Vår 2026"), or the new year added to a
    name without one ("Ekstra 2027"), numbered when even that is taken ("Vår 2027 (2)")."""
    moved = named_a_year_on(_tidy(source.name))
    name = moved if moved != _tidy(source.name) else f"{moved} {starts_on.year}"
    taken = _names_taken(session, region_id)
    free, number = name, 2
    while _compared(free) in taken:
        free, number = f"{name} ({number})", number + 1
    return free


def _moved_on_the_wall_clock(moment: datetime, days: timedelta, tz: ZoneInfo) -> datetime:
    """`moment` so many days on at the same local time, a daylight-saving change between or not."""
    wall = local(moment, tz)
    return at_local(wall.date() + days, wall.time(), tz)


def on_a_whole_hour(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment if it is on the hour, else the next whole hour: a copied opening at 13:47 (when
    the old term happened to be made) opens at 14:00. Kept to its day, so an opening in the last
    hour of a day goes back to 23:00 rather than on to the next day."""
    wall = local(moment, tz)
    if (wall.minute, wall.second, wall.microsecond) == (0, 0, 0):
        return moment
    return at_local(wall.date(), time(min(wall.hour + 1, 23)), tz)


def suggested_copy(session: Session, source: Term) -> TermInput:
    """The same term a year on: its weekdays and ISO weeks kept, sign-up opening on a whole hour
    as many days before the term as it did, and a name no term of the region has."""
    moved = a_year_on(source.starts_on) - source.starts_on
    tz = ZoneInfo(source.region.timezone)
    closes = source.signup_closes_at
    return TermInput(
        name=free_term_name(session, source.region_id, source, source.starts_on + moved),
        starts_on=source.starts_on + moved,
        ends_on=a_year_on(source.ends_on),
        signup_opens_at=on_a_whole_hour(_moved_on_the_wall_clock(source.signup_opens_at, moved, tz), tz),
        signup_closes_at=_moved_on_the_wall_clock(closes, moved, tz) if closes else None,
        nights_cap=source.nights_cap,
    )


@dataclass
class CopiedPattern:
    pattern: NightPattern  # the source term's
    planned: Planned  # what it makes in the new term

    @property
    def dropped(self) -> list[date]:
        """The dates typed in for the source term, which are not carried over."""
        return sorted(date.fromisoformat(day) for day in self.pattern.skip_dates)

    @property
    def dropped_dates(self) -> int:
        return len(self.pattern.skip_dates)


@dataclass
class MovedWeekend:
    given: ClassWeekend  # the source term's
    weekend_on: date | None  # the Friday of the same ISO week in the new term; None when it has none
    in_break: SchoolBreak | None = None  # the class's own school break that weekend: not moved there


class NotCopied(enum.StrEnum):
    NO_SUCH_DATE = "no_such_date"  # the new term does not have the date
    NIGHT_THERE = "night_there"  # the route has its night that day already, or a pattern makes it
    ROUTE_CLOSED = "route_closed"


@dataclass
class CopiedNight:
    """A night beside the source term's patterns, such as the eve of 17 May: kept to its date
    rather than its week, as the days that need more walkers are."""

    night: Shift  # the source term's
    new: NewNight | None  # on the same date in the new term, or not copied, and why
    not_copied: NotCopied | None = None
    chosen: bool = False  # ticked by the coordinator: only those are copied


@dataclass
class CopyPlan:
    """What copying a term would make, shown before anything is made."""

    source: Term
    term: Term  # not stored: the new term as it would be
    patterns: list[CopiedPattern]
    weekends: list[MovedWeekend]
    days_off: DaysOff
    nights_beside: list[CopiedNight] = field(default_factory=list)
    overlapping: list[Term] = field(default_factory=list)  # the region's terms with days in common

    def nights_in(self, other: Term) -> int:
        """The nights the patterns would make that are already there in an overlapping term."""
        return sum(copied.planned.in_other_terms[other.id] for copied in self.patterns)

    @property
    def nights_copied(self) -> list[NewNight]:
        return [copied.new for copied in self.nights_beside if copied.new is not None and copied.chosen]

    @property
    def nights(self) -> int:
        return sum(len(p.planned.nights) for p in self.patterns)

    @property
    def left_out(self) -> int:
        return sum(p.planned.skipped for p in self.patterns)

    @property
    def weekends_moved(self) -> list[MovedWeekend]:
        return [w for w in self.weekends if w.weekend_on is not None and w.in_break is None]

    @property
    def weekends_lost(self) -> list[MovedWeekend]:
        return [w for w in self.weekends if w.weekend_on is None or w.in_break is not None]


def _same_week(friday: date, fridays: list[date]) -> date | None:
    week = friday.isocalendar().week
    return next((f for f in fridays if f.isocalendar().week == week), None)


def plan_copy(
    session: Session, source: Term, data: TermInput, locale: str = "nb", nights_beside: Collection[int] = ()
) -> CopyPlan:
    """A new term from `source`: its patterns (their typed dates aside: those were the old term's),
    its school classes' weekends moved to the same ISO weeks, the nights beside its patterns chosen
    (by id, from `nights_beside_patterns`) on their dates, and its cap. Auto-fill's weights are
    the region's and stay as they are. Nothing is stored.

    The nights beside the patterns are chosen one by one, as a night no pattern made is a peak
    night kept to its date only by the coordinator's word: nights made before patterns were noted
    on them, or kept when their pattern went, are pattern-less too, and belong to a weekday."""
    _check_term(data)
    _check_name_free(session, source.region_id, data.name)
    term = Term(
        region=source.region,
        region_id=source.region_id,
        name=data.name.strip(),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        signup_opens_at=data.signup_opens_at,
        signup_closes_at=data.signup_closes_at,
        nights_cap=data.nights_cap,
    )
    patterns = []
    for pattern in patterns_of(session, source):
        copy = _pattern_copy(pattern, term)
        patterns.append(CopiedPattern(pattern, planned_nights(session, term, copy)))
    fridays, in_breaks = term_weekends(term), weekend_breaks(session, term)
    weekends = []
    for given in class_weekends_of(session, source):
        friday = _same_week(given.weekend_on, fridays)
        municipality_id = given.school_class.school.municipality_id
        in_break = (
            next((b for b in in_breaks.get(friday, []) if b.municipality_id == municipality_id), None)
            if friday
            else None
        )
        weekends.append(MovedWeekend(given, friday, in_break))
    nights = nights_beside_patterns(session, source)
    tz = ZoneInfo(term.region.timezone)
    taken = set(_nights_by_route_and_day(session, [n.route_id for n in nights], term.starts_on, term.ends_on, tz))
    taken |= {(route.id, day) for copied in patterns for route, day in copied.planned.nights}
    beside = [_night_copy(night, term, taken, night.id in nights_beside) for night in nights]
    overlapping = overlapping_terms(session, source.region_id, term.starts_on, term.ends_on)
    return CopyPlan(source, term, patterns, weekends, term_days_off(session, term, locale), beside, overlapping)


def nights_beside_patterns(session: Session, term: Term) -> list[Shift]:
    """The term's nights no pattern made and nobody called off: peak nights, and nights added on
    days no pattern covers."""
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.term_id == term.id, Shift.pattern_id.is_(None), Shift.cancelled_at.is_(None))
            .options(joinedload(Shift.route))
            .order_by(Shift.starts_at, Shift.route_id)
        )
    )


def _night_copy(night: Shift, term: Term, taken: set[tuple[int, date]], chosen: bool) -> CopiedNight:
    tz = ZoneInfo(term.region.timezone)
    starts, ends = local(night.starts_at, tz), local(night.ends_at, tz)
    day = _same_date(starts.date(), term)
    if day is None:
        return CopiedNight(night, None, NotCopied.NO_SUCH_DATE)
    if night.route.archived:
        return CopiedNight(night, None, NotCopied.ROUTE_CLOSED)
    if (night.route_id, day) in taken:
        return CopiedNight(night, None, NotCopied.NIGHT_THERE)
    new = NewNight(
        route_id=night.route_id,
        day=day,
        starts_local=starts.time(),
        ends_local=ends.time(),
        min_walkers=night.min_walkers,
        max_walkers=night.max_walkers,
        needs_leader=night.needs_leader,
        note=night.note,
    )
    return CopiedNight(night, new, chosen=chosen)


def _same_date(day: date, term: Term) -> date | None:
    """The day and month in the term, in whichever of its years has them (29 February may not)."""
    for year in range(term.starts_on.year, term.ends_on.year + 1):
        with suppress(ValueError):
            if term.starts_on <= (moved := day.replace(year=year)) <= term.ends_on:
                return moved
    return None


def _pattern_copy(pattern: NightPattern, term: Term) -> NightPattern:
    return NightPattern(
        term=term,
        weekdays=list(pattern.weekdays),
        starts_local=pattern.starts_local,
        ends_local=pattern.ends_local,
        route_ids=list(pattern.route_ids),
        min_walkers=pattern.min_walkers,
        max_walkers=pattern.max_walkers,
        needs_leader=pattern.needs_leader,
        skip_dates=[],
        skip_holidays=pattern.skip_holidays,
        skip_breaks=pattern.skip_breaks,
    )


def copy_term(
    session: Session,
    source: Term,
    data: TermInput,
    now: datetime,
    links: Links,
    actor: Person,
    nights_beside: Collection[int] = (),
) -> Term:
    """Make the term `plan_copy` shows: the term, its patterns and nights, the nights beside them
    on their dates, its class weekends."""
    plan = plan_copy(session, source, data, nights_beside=nights_beside)
    term = create_term(session, source.region, data, now, actor)
    open_routes = {route.id for route in region_routes(session, term.region_id)}
    for copied in plan.patterns:
        old = copied.pattern
        saved = save_pattern(
            session,
            term,
            PatternInput(
                weekdays=list(old.weekdays),
                starts_local=old.starts_local,
                ends_local=old.ends_local,
                route_ids=[r for r in old.route_ids if r in open_routes],
                min_walkers=old.min_walkers,
                max_walkers=old.max_walkers,
                needs_leader=old.needs_leader,
                skip_holidays=old.skip_holidays,
                skip_breaks=old.skip_breaks,
            ),
            now,
            actor,
        )
        generate_nights(session, term, saved, now, actor)
    for new in plan.nights_copied:
        add_night(session, term, new, now, actor)
    for moved in plan.weekends_moved:
        assert moved.weekend_on is not None
        give_weekend(session, term, moved.given.school_class_id, moved.weekend_on, now, links, actor)
    audit.record(
        session,
        actor_id=actor.id,
        action="term.copied",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        source_id=source.id,
        source=source.name,
    )
    return term


# --- Publishing. ---


@dataclass
class Published:
    told: int  # people sent their summary
    invited: int  # parents invited to their class's weekend


def publish(session: Session, term: Term, now: datetime, links: Links, actor: Person) -> Published:
    """Make the term's nights visible to parents. Everyone already on a night gets one SMS listing
    their nights, and their reminders are planned; school classes are invited to their weekends."""
    _lock_term(session, term)
    session.refresh(term)
    if term.published_at is not None:
        raise TermRefused(N_("This term is already published."))
    term.published_at = now
    by_person = _coming_places(session, term, now)
    places = [signup for signups in by_person.values() for signup in signups]
    planned = messages.reminders(session, places, now, links)
    planned += [_summary(term, signups, links) for signups in by_person.values()]
    messages.plan_all(session, planned, now)
    invited = sum(invite_class(session, given, now, links) for given in class_weekends_of(session, term))
    audit.record(
        session,
        actor_id=actor.id,
        action="term.published",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        told=len(by_person),
        invited=invited,
    )
    return Published(len(by_person), invited)


@dataclass
class PublishPreview:
    """What publishing would send, shown before it is done: publishing cannot be undone."""

    told: broadcasts.Reach  # everyone on a night ahead: one SMS listing their nights
    invited: broadcasts.Reach  # each parent of a class with a weekend, for each of their classes
    invitations_due: datetime  # when the invitations go: now, or when sign-up opens

    @property
    def segments(self) -> int:
        return self.told.segments + self.invited.segments

    @property
    def cost(self) -> Decimal:
        return self.told.cost + self.invited.cost


def publish_preview(session: Session, term: Term, now: datetime, links: Links, price: Decimal) -> PublishPreview:
    """The people `publish` would tell, the parents it would invite, and what their SMS cost.
    Nothing is planned."""
    if term.published_at is not None:
        raise TermRefused(N_("This term is already published."))
    summaries = (
        (signups[0].person, _summary(term, signups, links).body)
        for signups in _coming_places(session, term, now).values()
    )
    invitations = [
        i for given in class_weekends_of(session, term) for i in _class_invitations(session, given, now, links)
    ]
    invited_before = messages.planned_before(session, [invitation.key for invitation in invitations])
    return PublishPreview(
        told=broadcasts.reach(summaries, price),
        invited=broadcasts.reach(((i.person, i.body) for i in invitations if i.key not in invited_before), price),
        invitations_due=max(now, term.signup_opens_at),
    )


def _coming_places(session: Session, term: Term, now: datetime, *, of: Person | None = None) -> dict[int, list[Signup]]:
    """Everyone's places on the term's nights still to come (or only those of `of`), by person."""
    query = (
        select(Signup)
        .join(Signup.shift)
        .where(
            Shift.term_id == term.id,
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
            Signup.state.in_(HOLDING),
            Signup.state != SignupState.NO_SHOW,
        )
        .options(joinedload(Signup.person), joinedload(Signup.shift).joinedload(Shift.route))
        .order_by(Signup.person_id, Shift.starts_at)
    )
    signups = session.scalars(query.where(Signup.person_id == of.id) if of is not None else query).all()
    by_person: dict[int, list[Signup]] = defaultdict(list)
    for signup in signups:
        by_person[signup.person_id].append(signup)
    return by_person


def _summary(term: Term, signups: list[Signup], links: Links) -> messages.Planned:
    """One SMS listing a person's nights of the term: about the term, not one of its nights, so
    that a place given back or a night called off (each told of on its own) does not withdraw
    the list of the others."""
    person = signups[0].person
    _ = translations(person.locale).gettext
    nights = ", ".join(_night_in_list(signup.shift) for signup in signups)
    return messages.Planned(
        key=f"roster_published:{term.id}:{person.id}",
        body=_("Natteravn: the roster for %(term)s is out. Your nights: %(nights)s. See them here: %(link)s")
        % {"term": term.name, "nights": nights, "link": links.url("/my")},
        purpose=Purpose.ROSTER_PUBLISHED,
        person=person,
        shift=None,
        region_id=term.region_id,
    )


def reword_published_rosters(person: Person, *, session: Session, links: Links) -> None:
    """The person chose another language (`accounts.service.wording_changed`): the list of their
    nights still waiting to go out since a term was published is written again in it, naming the
    places they still hold of those it named."""
    for message_id, key, planned_at in messages.waiting_to(session, person, Purpose.ROSTER_PUBLISHED):
        term = session.get(Term, int(key.split(":")[1])) if key else None
        places = _coming_places(session, term, planned_at, of=person).get(person.id) if term else None
        if term is None or not places:  # none left of those it named: the message keeps its words
            continue
        subject = subject_for(Purpose.ROSTER_PUBLISHED, person.locale)
        messages.reword(session, _summary(term, places, links).body, SmsMessage.id == message_id, subject=subject)


def _night_in_list(shift: Shift) -> str:
    words = messages.night_words(shift)
    return f"{words['route']} {words['date']} {words['time']}"
