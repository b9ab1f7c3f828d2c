"""Reports that are missing: the nights walked without one once their leader has been asked for it
(the morning after), for the coordinator with whom to ask, and one SMS to the night's leader when
it is a day late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, Scope
from natteravn.clock import at_local, local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.places.models import Region, Route
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.reports.stats import walked_night
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage
from natteravn.sms.quiet import after_quiet_hours

#: A night without a submitted report this long after it ended gets a reminder to its leader.
MISSING_AFTER = timedelta(hours=24)
#: Older nights are not chased by SMS (the coordinator still sees them as missing).
REMIND_WITHIN = timedelta(days=14)
#: The last moment after a night's end that a reminder about it may go out: one planned on the last
#: day may wait out that night's quiet hours; one held back longer (a spent SMS budget) is dropped
#: rather than sent late. The report link outlasts it (see reports.access).
LAST_REMINDER_AFTER = MISSING_AFTER + REMIND_WITHIN + timedelta(days=1)


def _without_submitted_report():
    return ~exists().where(ShiftReport.shift_id == Shift.id, ShiftReport.state == ReportState.SUBMITTED)


def asked_for_before(region: Region, now: datetime) -> datetime:
    """The nights starting before this have had their leader asked for the report by `now`: the
    request goes out the day after the night, at the region's `report_request_at`
    (shifts.messages.reminder_times), so on Sunday at 10:00 Saturday's nights are asked for."""
    tz = ZoneInfo(region.timezone)
    today = local(now, tz).date()
    asked_today = at_local(today, region.report_request_at, tz) <= now
    return at_local(today if asked_today else today - timedelta(days=1), time(0), tz)


def _asked_for(session: Session, scope: Scope, now: datetime) -> ColumnElement[bool]:
    """The nights whose leader has been asked for the report, in each region of the scope."""
    regions = session.scalars(select(Region).where(Region.id.in_(scope.touched)))
    asked = [and_(Term.region_id == r.id, Shift.starts_at < asked_for_before(r, now)) for r in regions]
    return and_(Shift.ends_at <= now, or_(false(), *asked))


#: A group leader still on the night (not marked as not come): whom to ask for its report.
LEADING = (SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.ATTENDED)


@dataclass(frozen=True)
class Missing:
    """A night walked without its report, and its group leaders (none: only a coordinator can file it)."""

    night: Shift
    leaders: list[Person]


def missing_reports(session: Session, scope: Scope, now: datetime, *, limit: int = 200) -> list[Missing]:
    """The coordinator's nights walked (as the statistics count them) that have no submitted report
    once their leader has been asked for it, the morning after, latest first, each with whom to ask."""
    nights = list(
        session.scalars(
            select(Shift)
            .join(Shift.term)
            .join(Shift.route)
            .where(
                scope.where(Term.region_id, Route.municipality_id),
                Term.published_at.is_not(None),
                Shift.cancelled_at.is_(None),
                _asked_for(session, scope, now),
                walked_night(now),
                _without_submitted_report(),
            )
            .options(joinedload(Shift.route).joinedload(Route.municipality))
            .order_by(Shift.starts_at.desc())
            .limit(limit)
        )
    )
    leaders = _leaders_of(session, [night.id for night in nights])
    return [Missing(night, leaders.get(night.id, [])) for night in nights]


def _leaders_of(session: Session, shift_ids: list[int]) -> dict[int, list[Person]]:
    """Each night's group leaders, in one statement for all the nights (none too: as many
    statements whatever the list holds)."""
    found: dict[int, list[Person]] = {}
    rows = session.execute(
        select(Signup.shift_id, Person)
        .join(Person, Person.id == Signup.person_id)
        .where(Signup.shift_id.in_(shift_ids), Signup.role == SignupRole.LEADER, Signup.state.in_(LEADING))
        .order_by(Signup.shift_id, Signup.created_at, Signup.id)
    )
    for shift_id, person in rows:
        found.setdefault(shift_id, []).append(person)
    return found


def remind_missing_reports(session: Session, now: datetime, links: Links) -> int:
    """One SMS per night to its leader when the report is a day late (they were asked for it the
    morning after). The dedupe key makes running this every few minutes, in several processes,
    send it once. A night whose leader holds their place was walked (stats.walked_night)."""
    rows = session.execute(
        select(Shift, Signup)
        .join(Shift.term)
        .join(Signup, and_(Signup.shift_id == Shift.id, Signup.role == SignupRole.LEADER))
        .where(
            Term.published_at.is_not(None),
            Shift.cancelled_at.is_(None),
            Shift.ends_at <= now - MISSING_AFTER,
            Shift.ends_at > now - MISSING_AFTER - REMIND_WITHIN,
            Signup.state.in_(LEADING),
            _without_submitted_report(),
        )
        .order_by(Shift.id, Signup.created_at, Signup.id)
    ).all()
    sent = 0
    for shift, signup in rows:
        key = f"report_missing:{shift.id}"
        if session.scalar(select(func.count()).where(SmsMessage.dedupe_key == key)):
            continue
        leader = signup.person
        if not leader.active:
            continue
        try:
            with session.begin_nested():
                _remind(session, shift, leader, key, now, links)
        except IntegrityError:  # another scheduler process planned it a moment ago
            continue
        sent += 1
    return sent


def remind_now(session: Session, missing: Missing, now: datetime, links: Links) -> int:
    """The coordinator chases a missing report: its group leaders get the reminder with their own
    link (after the quiet hours), at most once a day however often it is asked for. How many were
    reminded now."""
    day = local(now).date().isoformat()
    reminded = 0
    for leader in missing.leaders:
        key = f"report_missing:{missing.night.id}:{leader.id}:{day}"
        if not leader.active or session.scalar(select(func.count()).where(SmsMessage.dedupe_key == key)):
            continue
        _remind(session, missing.night, leader, key, now, links)
        reminded += 1
    return reminded


def missing_report_of(session: Session, scope: Scope, shift_id: int, now: datetime) -> Missing | None:
    """One night of `missing_reports`, if it is one."""
    return next((missing for missing in missing_reports(session, scope, now) if missing.night.id == shift_id), None)


def _remind(session: Session, shift: Shift, leader: Person, key: str, now: datetime, links: Links) -> None:
    region = shift.term.region
    _ = translations(leader.locale).gettext
    sms.enqueue(
        session,
        to=leader.phone,
        body=_("Natteravn: the report for %(route)s on %(date)s is missing. Please file it here: %(link)s")
        % {
            "route": shift.route.name,
            "date": local(shift.starts_at).strftime("%d.%m"),
            "link": links.report(shift.id, leader.id),
        },
        purpose=Purpose.REPORT_REQUEST,
        now=now,
        due_at=after_quiet_hours(now, region.quiet_from, region.quiet_until),
        person_id=leader.id,
        shift_id=shift.id,
        region_id=region.id,
        expires_at=shift.ends_at + LAST_REMINDER_AFTER,
        dedupe_key=key,
        email=leader.mail_to,
        locale=leader.locale,
    )
