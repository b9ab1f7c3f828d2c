"""Figures for a period and a choice of municipalities, from SQL aggregates over the nights'
logbooks, the submitted reports and their incidents. Only counts leave this module.

Two sources, each for what only it knows. The logbooks say what was walked: every night walked, its
walkers, their hours and who did not come, whether or not the night's report has come. The reports
say what was met: young people, incidents, the police called. So a night walked without a report
yet counts in the first and not in the second, and the figures say how many such nights there are
(`unreported`) instead of leaving them out of everything."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, distinct, exists, extract, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from natteravn.clock import at_local
from natteravn.db import minutes_between
from natteravn.places.models import Municipality, Route
from natteravn.reports.models import AGE_BANDS, Incident, ReportState, ShiftReport, WalkIn
from natteravn.shifts.models import Shift, Signup, SignupState, Term


@dataclass
class Figures:
    # From the logbooks, every night walked.
    nights: int = 0  # nights walked: someone walked by the logbook, or the report has come
    walker_minutes: int = 0  # each walker (walk-ins kept by first name too) times the night's length
    attended: int = 0  # sign-ups the logbook marked as come
    no_shows: int = 0  # sign-ups the logbook marked as not come
    # From the submitted reports.
    reported: int = 0  # nights walked whose report has come
    youths: Counter = field(default_factory=Counter)  # by age band
    incidents: Counter = field(default_factory=Counter)  # by category
    by_month: Counter = field(default_factory=Counter)  # by (year, month)
    police_nights: int = 0

    @property
    def walker_hours(self) -> float:
        return self.walker_minutes / 60

    @property
    def unreported(self) -> int:
        """Nights walked whose report has not come: what was met on them is not counted."""
        return self.nights - self.reported

    @property
    def youths_total(self) -> int:
        return sum(self.youths.values())

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())

    @property
    def police_share(self) -> float | None:
        """Share of the nights reported on which the police were contacted: a night without a
        report cannot say whether they were."""
        return self.police_nights / self.reported if self.reported else None

    @property
    def no_show_rate(self) -> float | None:
        """Share of the logged sign-ups that did not come."""
        logged = self.attended + self.no_shows
        return self.no_shows / logged if logged else None

    def add(self, other: Figures) -> None:
        self.nights += other.nights
        self.walker_minutes += other.walker_minutes
        self.attended += other.attended
        self.no_shows += other.no_shows
        self.reported += other.reported
        self.youths.update(other.youths)
        self.incidents.update(other.incidents)
        self.by_month.update(other.by_month)
        self.police_nights += other.police_nights


@dataclass
class Statistics:
    first_day: date
    last_day: date
    municipalities: list[Municipality]
    by_municipality: dict[int, Figures]
    total: Figures

    @property
    def months(self) -> list[tuple[int, int]]:
        """Every month of the period, so a month without incidents shows as zero."""
        months = []
        year, month = self.first_day.year, self.first_day.month
        while (year, month) <= (self.last_day.year, self.last_day.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def terms_of_region(session: Session, region_id: int) -> list[Term]:
    """The region's terms, the latest first: a period the coordinator picks instead of typing its days."""
    return list(session.scalars(select(Term).where(Term.region_id == region_id).order_by(Term.starts_on.desc())))


def statistics(
    session: Session,
    region_id: int,
    first_day: date,
    last_day: date,
    now: datetime,
    municipality_ids: list[int] | None = None,
) -> Statistics:
    municipalities = list(
        session.scalars(
            select(Municipality)
            .where(Municipality.region_id == region_id)
            .where(Municipality.id.in_(municipality_ids) if municipality_ids else true())
            .order_by(Municipality.name)
        )
    )
    chosen = [m.id for m in municipalities]
    figures = {m.id: Figures() for m in municipalities}
    for (municipality_id, _route_id), walked in walking(session, region_id, chosen, first_day, last_day, now).items():
        figures[municipality_id].add(walked)
    reports = submitted_reports(region_id, chosen, first_day, last_day)
    for municipality_id, youths in youths_met(session, reports).items():
        figures[municipality_id].youths.update(youths)
    for municipality_id, nights in police_nights(session, reports).items():
        figures[municipality_id].police_nights = nights
    _incidents(session, reports, figures)
    total = Figures()
    for one in figures.values():
        total.add(one)
    return Statistics(first_day, last_day, municipalities, figures, total)


# --- What the logbooks say. ---


def walked_signup(now: datetime, signup=Signup) -> ColumnElement[bool]:
    """A sign-up that counts as a night walked, as on the people page and My nights: marked as come
    in the logbook, or still holding its place on a night that is over and kept no logbook (its
    leader never ticked anyone). Never on a night called off. For a statement that joins Shift;
    `signup` is Signup or an alias of it."""
    return and_(
        Shift.cancelled_at.is_(None),
        or_(
            signup.state == SignupState.ATTENDED,
            and_(signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED)), Shift.ends_at <= now),
        ),
    )


def walked_night(now: datetime) -> ColumnElement[bool]:
    """A night its logbook says was walked: someone walked it (`walked_signup`) or a walk-in is
    entered. A night whose only sign-up did not come was not walked. The statistics count these
    and the nights with a submitted report; the coordinator's missing reports are these without one.
    For a statement about Shift."""
    walker = aliased(Signup)  # the statement may join the night's sign-ups for something else
    return or_(
        exists().where(walker.shift_id == Shift.id, walked_signup(now, walker)),
        exists().where(WalkIn.shift_id == Shift.id),
    )


def _nights_in(region_id: int, municipality_ids: list[int], first_day: date, last_day: date) -> tuple:
    """The nights that started on the period's local days on these municipalities' routes, not called off."""
    return (
        Term.region_id == region_id,
        Route.municipality_id.in_(municipality_ids),
        Shift.cancelled_at.is_(None),
        Shift.starts_at >= at_local(first_day, time(0)),
        Shift.starts_at < at_local(last_day + timedelta(days=1), time(0)),
    )


def walking(
    session: Session, region_id: int, municipality_ids: list[int], first_day: date, last_day: date, now: datetime
) -> dict[tuple[int, int], Figures]:
    """The logbooks' figures by (municipality, route), in one statement: nights walked,
    walker-minutes, who came and who did not, and how many of the nights walked have a report.

    A walker's minutes are the night's length: as its submitted report gives it, or else as planned.
    A night with a submitted report counts as walked even if its logbook shows nobody."""
    nights = _nights_in(region_id, municipality_ids, first_day, last_day)

    def per_night(*where: ColumnElement[bool]):
        # Counted night by night through the index on the night's sign-ups: a grouped subquery
        # joined to the nights lets the planner rescan it for every night.
        return select(func.count()).where(Signup.shift_id == Shift.id, *where).scalar_subquery()

    guests = select(func.count()).where(WalkIn.shift_id == Shift.id).scalar_subquery()
    length = case(
        (ShiftReport.duration_minutes > 0, ShiftReport.duration_minutes),
        else_=minutes_between(Shift.starts_at, Shift.ends_at),
    )
    night = (
        select(
            Route.municipality_id,
            Shift.route_id,
            (per_night(walked_signup(now)) + guests).label("walkers"),
            walked_night(now).label("walked"),
            per_night(Signup.state == SignupState.ATTENDED).label("attended"),
            per_night(Signup.state == SignupState.NO_SHOW).label("no_shows"),
            ShiftReport.id.is_not(None).label("reported"),
            length.label("length"),
        )
        .select_from(Shift)
        .join(Term, Term.id == Shift.term_id)
        .join(Route, Route.id == Shift.route_id)
        .outerjoin(ShiftReport, and_(ShiftReport.shift_id == Shift.id, ShiftReport.state == ReportState.SUBMITTED))
        .where(*nights)
        .subquery()
    )
    rows = session.execute(
        select(
            night.c.municipality_id,
            night.c.route_id,
            func.sum(case((or_(night.c.walked, night.c.reported), 1), else_=0)),
            func.sum(night.c.walkers * night.c.length),
            func.sum(night.c.attended),
            func.sum(night.c.no_shows),
            func.sum(case((night.c.reported, 1), else_=0)),
        ).group_by(night.c.municipality_id, night.c.route_id)
    )
    return {
        (municipality_id, route_id): Figures(
            nights=int(walked),
            walker_minutes=int(minutes),
            attended=int(attended),
            no_shows=int(no_shows),
            reported=int(reported_nights),
        )
        for municipality_id, route_id, walked, minutes, attended, no_shows, reported_nights in rows
    }


# --- What the reports say. ---


def submitted_reports(region_id: int, municipality_ids: list[int], first_day: date, last_day: date) -> tuple:
    """The submitted reports of the nights of the period (the night's local date, copied into the
    report) on these municipalities' routes."""
    return (
        ShiftReport.region_id == region_id,
        ShiftReport.state == ReportState.SUBMITTED,
        ShiftReport.night_on.between(first_day, last_day),
        ShiftReport.municipality_id.in_(municipality_ids),
    )


def youths_met(session: Session, reports: tuple) -> dict[int, Counter]:
    """Per municipality, the young people the reports met, by age band."""
    rows = session.execute(
        select(
            ShiftReport.municipality_id,
            *(func.coalesce(func.sum(getattr(ShiftReport, band)), 0) for band in AGE_BANDS),
        )
        .where(*reports)
        .group_by(ShiftReport.municipality_id)
    )
    return {
        municipality_id: Counter(dict(zip(AGE_BANDS, (int(y) for y in youths), strict=True)))
        for municipality_id, *youths in rows
    }


def _incidents(session: Session, reports: tuple, figures: dict[int, Figures]) -> None:
    year = extract("year", ShiftReport.night_on)
    month = extract("month", ShiftReport.night_on)
    rows = session.execute(
        select(ShiftReport.municipality_id, year, month, Incident.category, func.count())
        .join(Incident, Incident.report_id == ShiftReport.id)
        .where(*reports, Incident.category.is_not(None))
        .group_by(ShiftReport.municipality_id, year, month, Incident.category)
    )
    for municipality_id, in_year, in_month, category, count in rows:
        one = figures[municipality_id]
        one.incidents[category] += count
        one.by_month[(int(in_year), int(in_month))] += count


def police_nights(session: Session, reports: tuple) -> dict[int, int]:
    """Per municipality, the reported nights on which the police were contacted."""
    rows = session.execute(
        select(ShiftReport.municipality_id, func.count(distinct(ShiftReport.id)))
        .join(Incident, Incident.report_id == ShiftReport.id)
        .where(*reports, Incident.police_contacted.is_(True))
        .group_by(ShiftReport.municipality_id)
    )
    return {municipality_id: nights for municipality_id, nights in rows}


# --- Who comes back. ---

#: A volunteer of a term: on at least one of its nights that was not called off (signed up,
#: confirmed, offered a place or marked as come); not someone only waiting, cancelled or a no-show.
VOLUNTEERED = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.OFFERED, SignupState.ATTENDED)


@dataclass
class TermRetention:
    term: Term
    volunteers: int
    returning: int | None  # of them, volunteers of the term before too; None for the region's first term
    lost: int | None  # volunteers of the term before who are not volunteers of this one


def retention(
    session: Session,
    region_terms: list[Term],
    today: date,
    municipality_ids: list[int] | None = None,
    terms: int = 4,
) -> list[TermRetention]:
    """The latest of a region's terms (`terms_of_region`), newest first, each with its volunteers
    and how many came back from, or were lost since, the term before (counting nights in these
    municipalities only). A term not begun yet, or a draft, is left out: nobody is lost to nights
    that have not come."""
    begun = (term for term in region_terms if term.published_at is not None and term.starts_on <= today)
    ordered = sorted(begun, key=lambda term: (term.starts_on, term.id))
    # The terms shown and the one before the first of them: years of older terms are not read.
    ordered = ordered[-(terms + 1) :]
    rows = session.execute(
        select(Shift.term_id, Signup.person_id)
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Route, Route.id == Shift.route_id)
        .where(
            Shift.term_id.in_([term.id for term in ordered]),
            Shift.cancelled_at.is_(None),
            Signup.state.in_(VOLUNTEERED),
            Route.municipality_id.in_(municipality_ids) if municipality_ids else true(),
        )
        .distinct()
    )
    people: dict[int, set[int]] = {term.id: set() for term in ordered}
    for term_id, person_id in rows:
        people[term_id].add(person_id)
    found = []
    for before, term in zip([None, *ordered], ordered, strict=False):
        these = people[term.id]
        then = people[before.id] if before is not None else None
        found.append(
            TermRetention(
                term=term,
                volunteers=len(these),
                returning=len(these & then) if then is not None else None,
                lost=len(then - these) if then is not None else None,
            )
        )
    return found[::-1][:terms]
