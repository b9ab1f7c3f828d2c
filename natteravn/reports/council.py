"""The report a coordinator takes to the police council (politiråd): a period beside the one before
it (the term before, when the period is one of the region's terms) and the same period a year
earlier, per municipality and route; young people met by age band; incidents by category and by
hour of the night; what the volunteers gave; and the coordinator's own assessment. It can be sent
to the council's members as a link that shows this report only and stops working on a set day.

Small numbers: a count of 1 or 2 is shown as "<3" in the report and its CSV, so that an incident
in a small place cannot be tied to a young person. Totals are exact (they count everything,
including what is shown as "<3"), and the report says so: a council needs the true total of
nights and incidents, and a "<3" within a total only says the rest is small. Where parts add up
to a total shown (young people by age band, incidents by category and by hour), a "<3" could be
worked out as the total minus the other parts, so another part is kept back too (":"), as
Statistics Norway does with its complementary suppression; see `shown_parts`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from math import inf
from typing import TypeVar

from sqlalchemy import extract, func, select, true
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.clock import at_local
from natteravn.i18n import N_, Refusal
from natteravn.links import Links
from natteravn.places.models import Municipality, Region, Route
from natteravn.reports import redaction, stats
from natteravn.reports.models import AGE_BANDS, Assessment, Incident, IncidentCategory, ShiftReport
from natteravn.reports.stats import Figures, walked_signup
from natteravn.shifts.models import Shift, Signup, Term

#: What the audit log says about the council report.
AUDIT = audit.Vocabulary(
    actions={
        "council_report.assessed": N_(
            "Wrote the assessment for the police-council report of %(first_day)s to %(last_day)s"
        ),
        "council_report.link_made": N_("Made a link to the police-council report of %(first_day)s to %(last_day)s"),
        "council_report.link_opened": N_(
            "The police-council report of %(first_day)s to %(last_day)s was opened by link"
        ),
    },
    objects={"council_report": N_("Police-council report")},
)

#: Counts below this are shown as "<3".
SMALLEST_SHOWN = 3
HIDDEN = "<3"
#: A part kept back so that a "<3" beside it cannot be worked out from the total: the mark Statistics
#: Norway's tables use for a figure not shown for confidentiality.
KEPT_BACK = ":"
#: The hours of a night walk, in the order they come: incidents are counted by the hour they began.
NIGHT_HOURS = (18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5)
#: How long a link to the report may work, in days.
LINK_DAYS = (7, 14, 30, 90)
LINK_PURPOSE = "council-report"
#: The longest period figures are counted for: ten years (and a leap day or two) is more than any
#: council compares, and each report reads the period before it and a year earlier too.
LONGEST_PERIOD = timedelta(days=366 * 10)
#: The assessment's length: it shares the report's first printed page with the key figures.
ASSESSMENT_LIMIT = 4000


class CouncilRefused(Refusal):
    pass


class AssessmentUnchecked(CouncilRefused):
    """The assessment holds passages that may identify someone, neither rewritten nor confirmed to
    identify nobody: it is not saved, so it can be neither printed nor shared."""

    def __init__(self, unchecked: list[str], confirmed: list[str]):
        super().__init__(
            N_("Check the marked parts first: rewrite each, or confirm that it identifies nobody."), field="text"
        )
        self.unchecked = unchecked
        self.confirmed = confirmed


def shown(count: int) -> str:
    """A count as the report prints it: 1 and 2 become "<3"; 0 stays 0, which names nobody."""
    return HIDDEN if 0 < count < SMALLEST_SHOWN else str(count)


Part = TypeVar("Part")


def shown_parts(parts: Mapping[Part, int]) -> dict[Part, str]:
    """The parts of a total, as the report shows them beside that total (shown as `shown` shows it).

    A 1 or 2 is "<3". A reader who knows that a "<3" is 1 or 2 and a ":" is 3 or more could still
    subtract the parts shown from the total and pin a hidden part down; while one can be, the
    smallest part still shown (never a 0: a 0 names nobody) is kept back as ":" too. Should every
    part above 0 be hidden and one still be pinned down ("<3" beside a 3 in a total of 4), all of
    them become ":", which says only that they are not 0. One case is left that no hiding of parts
    can help: when every part above 0 is 1 (three incidents of three kinds), the total tells it."""
    hidden = {key for key, count in parts.items() if 0 < count < SMALLEST_SHOWN}
    bounds: dict[Part, tuple[int, float]] = {key: (1, SMALLEST_SHOWN - 1) for key in hidden}
    while _pinned_down(parts, bounds):
        still_shown = [key for key, count in parts.items() if count and key not in bounds]
        if not still_shown:
            bounds = dict.fromkeys(bounds, (1, inf))
            break
        bounds[min(still_shown, key=lambda key: parts[key])] = (SMALLEST_SHOWN, inf)
    return {
        key: HIDDEN if bounds.get(key) == (1, SMALLEST_SHOWN - 1) else KEPT_BACK if key in bounds else str(count)
        for key, count in parts.items()
    }


def _pinned_down(parts: Mapping, bounds: dict) -> bool:
    """Whether a reader can tell the exact count of a part hidden within `bounds` (lowest, highest),
    from the total as shown and the parts not hidden."""
    total = sum(parts.values())
    rest = total - sum(count for key, count in parts.items() if key not in bounds)
    # A total of 1 or 2 is itself "<3": the reader knows it only to be one of them.
    lowest, highest = (1, SMALLEST_SHOWN - 1) if shown(total) == HIDDEN else (rest, rest)
    for key, (low, high) in bounds.items():
        others_low = sum(b[0] for k, b in bounds.items() if k != key)
        others_high = sum(b[1] for k, b in bounds.items() if k != key)
        if max(low, lowest - others_high) >= min(high, highest - others_low):
            return True
    return False


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @classmethod
    def checked(cls, first_day: date, last_day: date) -> Period:
        """The period from `first_day` to `last_day`, both included, if figures can be counted for it."""
        if last_day < first_day:
            raise CouncilRefused(N_("The last day must be after the first."), field="last_day")
        if last_day - first_day > LONGEST_PERIOD:
            raise CouncilRefused(N_("Choose a period of ten years or less."), field="last_day")
        return cls(first_day, last_day)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def months(self) -> int:
        """How many whole calendar months the period is (a year is 12), or 0 if it is not whole months."""
        if self.first_day.day != 1 or (self.last_day + timedelta(days=1)).day != 1:
            return 0
        return (self.last_day.year - self.first_day.year) * 12 + self.last_day.month - self.first_day.month + 1

    def before(self) -> Period:
        """The period just before this one: the months before for whole months (a calendar year
        compares with the year before, whatever a leap day does to its length), else the days."""
        if self.months:
            return Period(_months_earlier(self.first_day, self.months), self.first_day - timedelta(days=1))
        return Period(self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1))

    def a_year_earlier(self) -> Period:
        """The same dates a year before; whole months stay whole (February to its last day)."""
        if self.months:
            return Period(
                _months_earlier(self.first_day, 12),
                _months_earlier(self.last_day + timedelta(days=1), 12) - timedelta(days=1),
            )
        return Period(_year_earlier(self.first_day), _year_earlier(self.last_day))


def _months_earlier(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Selection:
    """Which report: a region's period, for all its municipalities or some of them."""

    region_id: int
    period: Period
    municipality_ids: tuple[int, ...] = ()  # empty: the whole region

    @property
    def key(self) -> str:
        return ",".join(str(i) for i in sorted(self.municipality_ids))

    def signed(self) -> list:
        return [self.region_id, self.period.first_day.isoformat(), self.period.last_day.isoformat(), self.key]

    @classmethod
    def from_signed(cls, value: list) -> Selection:
        region_id, first, last, key = value
        ids = tuple(int(i) for i in key.split(",") if i)
        return cls(int(region_id), Period(date.fromisoformat(first), date.fromisoformat(last)), ids)


@dataclass(frozen=True)
class TermCompared:
    """The chosen period is one of the region's terms, and is compared with the term before it."""

    chosen: Term
    before: Term

    @property
    def period_before(self) -> Period:
        return Period(self.before.starts_on, self.before.ends_on)


def term_compared(session: Session, region_id: int, period: Period) -> TermCompared | None:
    """When the period is exactly one of the region's terms and a published term began before it,
    the two terms: a council asks how this term went beside the last, and terms differ in length
    (autumn is longer than spring), so as many days before would cut across both. A draft is
    passed over: no night of it was walked."""
    chosen = session.scalar(
        select(Term)
        .where(Term.region_id == region_id, Term.starts_on == period.first_day, Term.ends_on == period.last_day)
        .order_by(Term.id)
        .limit(1)
    )
    if chosen is None:
        return None
    before = session.scalar(
        select(Term)
        .where(Term.region_id == region_id, Term.published_at.is_not(None), Term.starts_on < chosen.starts_on)
        .order_by(Term.starts_on.desc(), Term.id.desc())
        .limit(1)
    )
    return TermCompared(chosen, before) if before is not None else None


@dataclass
class Effort:
    nights: int = 0  # nights walked, by the logbooks
    walker_minutes: int = 0
    people: int = 0  # different people who walked
    new_people: int = 0  # of them, walking for the first time in the region

    @property
    def walker_hours(self) -> float:
        return self.walker_minutes / 60


@dataclass
class PeriodFigures:
    period: Period
    figures: Figures  # all the chosen municipalities together
    by_municipality: dict[int, Figures]
    by_route: dict[int, Counter] = field(default_factory=dict)  # route id -> {"nights": n, "incidents": n}
    by_hour: Counter = field(default_factory=Counter)  # hour of NIGHT_HOURS (None: another or none) -> incidents
    effort: Effort = field(default_factory=Effort)
    effort_by_municipality: dict[int, Effort] = field(default_factory=dict)

    @property
    def walked(self) -> bool:
        """Whether the service holds a night walked in the period: without one, its zeros would be
        read as figures (a period before the group used the service), so it is shown as no data."""
        return self.figures.nights > 0

    # The groups of figures that add up to a total the report shows, as it shows them. The splits
    # by municipality and route are not among them yet: a route is part of its municipality as
    # well as of the region, and hiding in one of those sums can be undone through the other.
    @cached_property
    def youths_shown(self) -> dict[str, str]:
        return shown_parts({band: self.figures.youths.get(band, 0) for band in AGE_BANDS})

    @cached_property
    def incidents_shown(self) -> dict[IncidentCategory, str]:
        return shown_parts({category: self.figures.incidents.get(category, 0) for category in IncidentCategory})

    @cached_property
    def hours_shown(self) -> dict[int | None, str]:
        return shown_parts({hour: self.by_hour.get(hour, 0) for hour in (*NIGHT_HOURS, None)})

    @property
    def keeps_back(self) -> bool:
        """Whether a part is kept back (":") so that a small count cannot be worked out."""
        groups = (self.youths_shown, self.incidents_shown, self.hours_shown)
        return self.walked and any(KEPT_BACK in group.values() for group in groups)


@dataclass
class CouncilReport:
    region: Region
    selection: Selection
    municipalities: list[Municipality]
    routes: list[Route]
    chosen: PeriodFigures
    previous: PeriodFigures
    last_year: PeriodFigures
    assessment: Assessment | None
    terms: TermCompared | None = None  # None: compared with the days (or whole months) just before
    # Passages of the saved assessment the check flags and the coordinator has not confirmed (one
    # written before the check, or flagged by rules made stricter since): while there are any, the
    # assessment is neither printed nor shown by a link.
    unchecked: list[str] = field(default_factory=list)

    @property
    def periods(self) -> list[PeriodFigures]:
        return [self.chosen, self.previous, self.last_year]

    @property
    def keeps_back(self) -> bool:
        return any(p.keeps_back for p in self.periods)

    @property
    def printed_assessment(self) -> str:
        """The assessment as the report prints and shares it: nothing while a passage is unchecked."""
        if self.assessment is None or self.unchecked:
            return ""
        return self.assessment.text


def council_report(session: Session, selection: Selection, now: datetime) -> CouncilReport:
    region = session.get(Region, selection.region_id)
    assert region is not None, "a selection is made from a region that exists"
    municipalities = list(
        session.scalars(
            select(Municipality)
            .where(Municipality.region_id == region.id)
            .where(Municipality.id.in_(selection.municipality_ids) if selection.municipality_ids else true())
            .order_by(Municipality.name)
        )
    )
    chosen = [m.id for m in municipalities]
    routes = list(
        session.scalars(
            select(Route).where(Route.municipality_id.in_(chosen)).order_by(Route.municipality_id, Route.name)
        )
    )
    by_name = {m.id: m.name for m in municipalities}
    routes.sort(key=lambda r: (by_name[r.municipality_id], r.name))
    terms = term_compared(session, region.id, selection.period)
    before = terms.period_before if terms else selection.period.before()
    periods = [selection.period, before, selection.period.a_year_earlier()]
    figures = [_period_figures(session, region.id, chosen, period, now) for period in periods]
    walks = _walks(session, region.id, chosen, periods, now)
    for found in figures:
        _effort(found, walks)
    assessment = assessment_for(session, selection)
    return CouncilReport(
        region=region,
        selection=selection,
        municipalities=municipalities,
        routes=routes,
        chosen=figures[0],
        previous=figures[1],
        last_year=figures[2],
        assessment=assessment,
        terms=terms,
        unchecked=unchecked_passages(session, assessment) if assessment else [],
    )


def _period_figures(
    session: Session, region_id: int, municipality_ids: list[int], period: Period, now: datetime
) -> PeriodFigures:
    """The period's figures in a few grouped queries: what was walked from the logbooks, what was
    met from the reports, each by municipality and route at once, the totals added up here (the
    report shows no months, so it asks for none)."""
    by_municipality = {m: Figures() for m in municipality_ids}
    found = PeriodFigures(period, Figures(), by_municipality)
    walked = stats.walking(session, region_id, municipality_ids, period.first_day, period.last_day, now)
    for (municipality_id, route_id), figures in walked.items():
        by_municipality[municipality_id].add(figures)
        found.by_route.setdefault(route_id, Counter())["nights"] += figures.nights
    reports = stats.submitted_reports(region_id, municipality_ids, period.first_day, period.last_day)
    for municipality_id, youths in stats.youths_met(session, reports).items():
        by_municipality[municipality_id].youths.update(youths)
    for municipality_id, nights in stats.police_nights(session, reports).items():
        by_municipality[municipality_id].police_nights = nights
    _incidents(session, reports, found)
    for figures in by_municipality.values():
        found.figures.add(figures)
    return found


def _incidents(session: Session, reports: tuple, found: PeriodFigures) -> None:
    hour = extract("hour", Incident.around)
    rows = session.execute(
        select(ShiftReport.municipality_id, ShiftReport.route_id, Incident.category, hour, func.count())
        .join(Incident, Incident.report_id == ShiftReport.id)
        .where(*reports, Incident.category.is_not(None))
        .group_by(ShiftReport.municipality_id, ShiftReport.route_id, Incident.category, hour)
    )
    for municipality_id, route_id, category, at, count in rows:
        found.by_municipality[municipality_id].incidents[category] += count
        found.by_route.setdefault(route_id, Counter())["incidents"] += count
        found.by_hour[int(at) if at is not None and int(at) in NIGHT_HOURS else None] += count


@dataclass
class _Walks:
    """Who walked where and when over all the periods at once, and when each first walked in the region."""

    nights: list[tuple[int, int, datetime]]  # (municipality id, person id, the night's start)
    first: dict[int, datetime]  # person id -> the start of their first night walked in the region


def _walks(
    session: Session, region_id: int, municipality_ids: list[int], periods: list[Period], now: datetime
) -> _Walks:
    since = at_local(min(p.first_day for p in periods), time(0))
    until = at_local(max(p.last_day for p in periods) + timedelta(days=1), time(0))
    nights = session.execute(
        select(Route.municipality_id, Signup.person_id, Shift.starts_at)
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Term, Term.id == Shift.term_id)
        .join(Route, Route.id == Shift.route_id)
        .where(
            Term.region_id == region_id,
            walked_signup(now),
            Route.municipality_id.in_(municipality_ids),
            Shift.starts_at >= since,
            Shift.starts_at < until,
        )
    )
    first = session.execute(
        select(Signup.person_id, func.min(Shift.starts_at))
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Term, Term.id == Shift.term_id)
        .where(Term.region_id == region_id, walked_signup(now))
        .group_by(Signup.person_id)
    )
    return _Walks([(m, p, at) for m, p, at in nights], {person: at for person, at in first})


def _effort(found: PeriodFigures, walks: _Walks) -> None:
    """Nights, hours and people, all from the logbooks: who walked in the period, and which of them
    walked for the first time in the region then."""
    for municipality_id, figures in found.by_municipality.items():
        found.effort_by_municipality[municipality_id] = Effort(figures.nights, figures.walker_minutes)
    found.effort = Effort(found.figures.nights, found.figures.walker_minutes)
    since = at_local(found.period.first_day, time(0))
    until = at_local(found.period.last_day + timedelta(days=1), time(0))
    walked = {(m, person) for m, person, at in walks.nights if since <= at < until}
    new = {person for _, person in walked if walks.first[person] >= since}
    for municipality_id, person_id in walked:
        effort = found.effort_by_municipality[municipality_id]
        effort.people += 1
        effort.new_people += person_id in new
    # Someone who walked in two municipalities is one person in the total.
    found.effort.people, found.effort.new_people = len({person for _, person in walked}), len(new)


# --- The coordinator's assessment. ---


def assessment_for(session: Session, selection: Selection) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(
            Assessment.region_id == selection.region_id,
            Assessment.first_day == selection.period.first_day,
            Assessment.last_day == selection.period.last_day,
            Assessment.municipalities == selection.key,
        )
    )


def save_assessment(
    session: Session, selection: Selection, text: str, now: datetime, actor: Person, confirmed: Collection[str] = ()
) -> Assessment:
    """Keeps the coordinator's words with the report, paragraphs apart by a blank line. The text goes
    to the council and out by link, so it is checked as a leader's report is (names, ages, phone
    numbers ...): each passage flagged must be rewritten or be among those `confirmed` to identify
    nobody. Too long a text, or one with a passage unchecked, is refused, and the assessment saved
    before stays as it was."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > ASSESSMENT_LIMIT:
        raise CouncilRefused(N_("Shorten this to %(max)d characters."), field="text", max=ASSESSMENT_LIMIT)
    flagged = redaction.passages(text, redaction.allowed_words(session, selection.region_id))
    unchecked = [passage for passage in flagged if passage not in confirmed]
    if unchecked:
        raise AssessmentUnchecked(unchecked, [passage for passage in flagged if passage in confirmed])
    written = assessment_for(session, selection) or Assessment(
        region_id=selection.region_id,
        first_day=selection.period.first_day,
        last_day=selection.period.last_day,
        municipalities=selection.key,
    )
    written.text = text
    written.confirmed_flags = flagged  # each one confirmed: only what the text still says is kept
    written.updated_at, written.updated_by_id = now, actor.id
    session.add(written)
    session.flush()
    _record(session, "council_report.assessed", selection, now, actor.id, assessment_id=written.id)
    return written


def unchecked_passages(session: Session, assessment: Assessment) -> list[str]:
    """The passages of a saved assessment today's check flags that were never confirmed."""
    confirmed = set(assessment.confirmed_flags or [])
    found = redaction.passages(assessment.text, redaction.allowed_words(session, assessment.region_id))
    return [passage for passage in found if passage not in confirmed]


# --- A link for the council's members. ---


def link_for(selection: Selection, expires_on: date, links: Links) -> str:
    return links.url(f"/council/{links.sign(LINK_PURPOSE, [*selection.signed(), expires_on.isoformat()])}")


def make_link(
    session: Session, selection: Selection, days: int, now: datetime, links: Links, actor: Person, today: date
) -> tuple[str, date]:
    """A link that opens this report, read only and without logging in, until the end of the day it
    expires. It is signed, so it cannot be changed into a link to another report."""
    expires_on = today + timedelta(days=days)
    _record(session, "council_report.link_made", selection, now, actor.id, expires_on=expires_on.isoformat())
    return link_for(selection, expires_on, links), expires_on


def selection_from_link(token: str, links: Links, today: date) -> Selection | None:
    """The report a link shows, or None for a link that was altered or has expired."""
    value = links.unsign(LINK_PURPOSE, token)
    if not isinstance(value, list) or len(value) != 5:
        return None
    if date.fromisoformat(value[4]) < today:
        return None
    return Selection.from_signed(value[:4])


def link_opened(session: Session, selection: Selection, now: datetime) -> None:
    _record(session, "council_report.link_opened", selection, now, None)


def _record(
    session: Session, action: str, selection: Selection, now: datetime, actor_id: int | None, **details
) -> None:
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        object_type="council_report",
        object_id=None,
        now=now,
        region_id=selection.region_id,
        first_day=selection.period.first_day.isoformat(),
        last_day=selection.period.last_day.isoformat(),
        municipalities=selection.key,
        **details,
    )
