"""Figures for a period and a choice of municipalities, from SQL aggregates over submitted
reports, their incidents and the nights' logbooks. Only counts leave this module."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import distinct, extract, func, select, true
from sqlalchemy.orm import Session

from natteravn.clock import at_local
from natteravn.places.models import Municipality, Route
from natteravn.reports.models import AGE_BANDS, Incident, ReportState, ShiftReport
from natteravn.shifts.models import Shift, Signup, SignupState, Term


@dataclass
class Figures:
    nights: int = 0
    walker_minutes: int = 0
    youths: Counter = field(default_factory=Counter)  # by age band
    incidents: Counter = field(default_factory=Counter)  # by category
    by_month: Counter = field(default_factory=Counter)  # by (year, month)
    police_nights: int = 0
    attended: int = 0
    no_shows: int = 0

    @property
    def walker_hours(self) -> float:
        return self.walker_minutes / 60

    @property
    def youths_total(self) -> int:
        return sum(self.youths.values())

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())

    @property
    def police_share(self) -> float | None:
        """Share of nights walked on which the police were contacted."""
        return self.police_nights / self.nights if self.nights else None

    @property
    def no_show_rate(self) -> float | None:
        """Share of the logged sign-ups that did not come."""
        logged = self.attended + self.no_shows
        return self.no_shows / logged if logged else None

    def add(self, other: Figures) -> None:
        self.nights += other.nights
        self.walker_minutes += other.walker_minutes
        self.youths.update(other.youths)
        self.incidents.update(other.incidents)
        self.by_month.update(other.by_month)
        self.police_nights += other.police_nights
        self.attended += other.attended
        self.no_shows += other.no_shows


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


def statistics(
    session: Session, region_id: int, first_day: date, last_day: date, municipality_ids: list[int] | None = None
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
    reports = (
        ShiftReport.region_id == region_id,
        ShiftReport.state == ReportState.SUBMITTED,
        ShiftReport.night_on.between(first_day, last_day),
        ShiftReport.municipality_id.in_(chosen),
    )
    _nights(session, reports, figures)
    _incidents(session, reports, figures)
    _police(session, reports, figures)
    _logbooks(session, region_id, chosen, first_day, last_day, figures)
    total = Figures()
    for one in figures.values():
        total.add(one)
    return Statistics(first_day, last_day, municipalities, figures, total)


def _nights(session: Session, reports, figures: dict[int, Figures]) -> None:
    rows = session.execute(
        select(
            ShiftReport.municipality_id,
            func.count(),
            func.coalesce(func.sum(ShiftReport.walkers * ShiftReport.duration_minutes), 0),
            *(func.coalesce(func.sum(getattr(ShiftReport, band)), 0) for band in AGE_BANDS),
        )
        .where(*reports)
        .group_by(ShiftReport.municipality_id)
    )
    for municipality_id, nights, minutes, *youths in rows:
        one = figures[municipality_id]
        one.nights, one.walker_minutes = nights, int(minutes)
        one.youths.update(dict(zip(AGE_BANDS, (int(y) for y in youths), strict=True)))


def _incidents(session: Session, reports, figures: dict[int, Figures]) -> None:
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


def _police(session: Session, reports, figures: dict[int, Figures]) -> None:
    rows = session.execute(
        select(ShiftReport.municipality_id, func.count(distinct(ShiftReport.id)))
        .join(Incident, Incident.report_id == ShiftReport.id)
        .where(*reports, Incident.police_contacted.is_(True))
        .group_by(ShiftReport.municipality_id)
    )
    for municipality_id, nights in rows:
        figures[municipality_id].police_nights = nights


def _logbooks(
    session: Session, region_id: int, chosen: list[int], first_day: date, last_day: date, figures: dict[int, Figures]
) -> None:
    """Attendance from the logbooks of nights that started in the period (local days)."""
    rows = session.execute(
        select(Route.municipality_id, Signup.state, func.count())
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Term, Term.id == Shift.term_id)
        .join(Route, Route.id == Shift.route_id)
        .where(
            Term.region_id == region_id,
            Route.municipality_id.in_(chosen),
            Shift.starts_at >= at_local(first_day, time(0)),
            Shift.starts_at < at_local(last_day + timedelta(days=1), time(0)),
            Signup.state.in_((SignupState.ATTENDED, SignupState.NO_SHOW)),
        )
        .group_by(Route.municipality_id, Signup.state)
    )
    for municipality_id, state, count in rows:
        if SignupState(state) == SignupState.ATTENDED:
            figures[municipality_id].attended = count
        else:
            figures[municipality_id].no_shows = count


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
    session: Session, region_id: int, today: date, municipality_ids: list[int] | None = None, terms: int = 4
) -> list[TermRetention]:
    """The region's latest terms, newest first, each with its volunteers and how many came back
    from, or were lost since, the term before (counting nights in these municipalities only). A
    term not begun yet, or a draft, is left out: nobody is lost to nights that have not come."""
    ordered = list(
        session.scalars(
            select(Term)
            .where(Term.region_id == region_id, Term.published_at.is_not(None), Term.starts_on <= today)
            .order_by(Term.starts_on, Term.id)
        )
    )
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
