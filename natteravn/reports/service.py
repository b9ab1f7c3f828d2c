"""Night reports: the logbook, drafts, submission and corrections, incidents, follow-up, the
reminder for a missing report, and who may read what. Every read and change is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import normalise_phone
from natteravn.audit.service import record
from natteravn.clock import at_local, local
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.places.models import Municipality, Route
from natteravn.reports import redaction
from natteravn.reports.models import Incident, IncidentCategory, ReportState, ReportVersion, ShiftReport
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage
from natteravn.sms.quiet import after_quiet_hours

#: How long the link in a report SMS logs the leader in.
#: How long after the night its report link still logs the leader in.
REPORT_LINK_VALID_AFTER = timedelta(days=7)
#: How long after submitting the leader may still correct the report; after that, the coordinator.
CORRECTION_WINDOW = timedelta(hours=48)
#: A night without a submitted report this long after it ended is missing.
MISSING_AFTER = timedelta(hours=24)
#: Older nights are not chased by SMS (the coordinator still sees them as missing).
REMIND_WITHIN = timedelta(days=14)
#: A time written as "00:30" for a night that starts 22:00 means after midnight.
_EARLIEST_BEFORE_START = timedelta(hours=6)

TEXT_FIELDS = ("places_visited", "weather", "atmosphere")
INCIDENT_TEXT_FIELDS = ("place", "description")
AGE_BANDS = ("youths_under_13", "youths_13_15", "youths_16_17", "youths_18_plus")


class ReportRefused(Refusal):
    pass


@dataclass
class ReportInput:
    """What the leader typed. None for a count or time means "not given (yet)"."""

    started: time | None = None
    ended: time | None = None
    places_visited: str = ""
    weather: str = ""
    atmosphere: str = ""
    youths: dict[str, int | None] = field(default_factory=dict)


@dataclass
class IncidentInput:
    category: IncidentCategory
    around: time | None = None
    place: str = ""
    police_contacted: bool = False
    health_contacted: bool = False
    child_welfare_contacted: bool = False
    description: str = ""


@dataclass
class Saved:
    report: ShiftReport
    # Set when submitting was asked for but the report is not complete; the draft is saved anyway.
    not_submitted: ReportRefused | None = None


# Who may see and change a night's report ---------------------------------------------------


def coordinates(person: Person, region_id: int) -> bool:
    return person.holds(RoleKind.COORDINATOR, region_id)


def leads(session: Session, person_id: int, shift_id: int) -> bool:
    """The person is (or was, if the logbook says they did not come) a group leader of the night."""
    return bool(
        session.scalar(
            select(func.count()).where(
                Signup.shift_id == shift_id,
                Signup.person_id == person_id,
                Signup.role == SignupRole.LEADER,
                Signup.state.in_(HOLDING),
            )
        )
    )


def night_for(session: Session, person: Person, shift_id: int, now: datetime) -> Shift | None:
    """The night whose logbook and report the person may open, or None when they may not see it
    at all: its leaders and the region's coordinators, from the start of the night (before that
    this refuses, saying when)."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.cancelled_at is not None or not person.active:
        return None
    if not (coordinates(person, shift.term.region_id) or leads(session, person.id, shift.id)):
        return None
    if now < shift.starts_at:
        raise ReportRefused(
            N_("The logbook and report open when the night starts, %(when)s."),
            when=local(shift.starts_at).strftime("%d.%m %H:%M"),
        )
    return shift


def report_of(session: Session, shift: Shift) -> ShiftReport | None:
    return session.scalar(select(ShiftReport).where(ShiftReport.shift_id == shift.id))


def read_report(session: Session, person: Person, shift: Shift, now: datetime) -> ShiftReport | None:
    """The night's report as shown to someone `night_for` let in; the read is audited."""
    report = report_of(session, shift)
    if report is not None:
        _audit(session, person, report, "report.read", now)
    return report


def may_change(person: Person, report: ShiftReport | None, now: datetime) -> bool:
    if report is None:
        return True
    if report.purged_at is not None:
        return False
    if coordinates(person, report.region_id):
        return True
    return report.state == ReportState.DRAFT or now <= correction_deadline(report)


def correction_deadline(report: ShiftReport) -> datetime | None:
    return report.submitted_at + CORRECTION_WINDOW if report.submitted_at else None


def _check_may_change(person: Person, report: ShiftReport | None, now: datetime) -> None:
    if report is not None and report.purged_at is not None:
        raise ReportRefused(N_("This report is past its retention period; its text has been erased."))
    if not may_change(person, report, now):
        raise ReportRefused(N_("The 48 hours for corrections have passed. Ask your coordinator to change the report."))


def _audit(session: Session, person: Person | None, report: ShiftReport, action: str, now: datetime, **details):
    record(
        session,
        actor_id=person.id if person else None,
        action=action,
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
        **details,
    )


# The logbook --------------------------------------------------------------------------------


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


def record_attendance(session: Session, person: Person, shift: Shift, present: set[int], now: datetime) -> None:
    """Those ticked walked; everyone else on the night did not come."""
    report = report_of(session, shift)
    _check_may_change(person, report, now)
    lines = logbook(session, shift)
    for signup in lines:
        signup.state = SignupState.ATTENDED if signup.id in present else SignupState.NO_SHOW
    session.flush()
    if report is not None:
        report.walkers = _walkers(session, shift)
    record(
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
    session: Session, person: Person, shift: Shift, phone: str, name: str, adult: bool, now: datetime
) -> Signup:
    """Enter someone who came without signing up: an existing person by their number, or a new,
    minimal one. Walkers are adults; the leader confirms it."""
    _check_may_change(person, report_of(session, shift), now)
    if not adult:
        raise ReportRefused(N_("Only adults (18 or older) can walk. Confirm that the walker is an adult."))
    number = normalise_phone(phone)
    walker = session.scalar(select(Person).where(Person.phone == number))
    if walker is not None and not walker.active:
        raise ReportRefused(N_("That number cannot be used. Ask the walker to contact the coordinator."))
    if walker is None:
        walker = _new_walker(session, shift, number, name, now)
    signup = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == walker.id, Signup.state.in_(LIVE))
    )
    if signup is None:
        signup = Signup(shift=shift, person=walker, role=SignupRole.WALKER, state=SignupState.ATTENDED, created_at=now)
        session.add(signup)
    else:
        signup.state = SignupState.ATTENDED
        signup.offer_expires_at = None
    session.flush()
    report = report_of(session, shift)
    if report is not None:
        report.walkers = _walkers(session, shift)
    record(
        session,
        actor_id=person.id,
        action="logbook.walk_in",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        walker_id=walker.id,
    )
    return signup


def _new_walker(session: Session, shift: Shift, phone: str, name: str, now: datetime) -> Person:
    name = " ".join((name or "").split())
    if not name:
        raise ReportRefused(N_("This number is new to us: write the walker's name too."))
    # Not onboarded: the walker confirms their age and the code of conduct themselves on first login.
    walker = Person(
        phone=phone,
        name=name[:120],
        locale="nb",
        municipality_id=shift.route.municipality_id,
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(walker)
    session.flush()
    return walker


def _walkers(session: Session, shift: Shift) -> int:
    return session.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state == SignupState.ATTENDED))


def no_show_counts(session: Session, region_id: int) -> dict[int, int]:
    """How many nights each person of the region did not come to, by person id."""
    rows = session.execute(
        select(Signup.person_id, func.count())
        .join(Signup.shift)
        .join(Shift.term)
        .where(Term.region_id == region_id, Signup.state == SignupState.NO_SHOW)
        .group_by(Signup.person_id)
    )
    return {person_id: count for person_id, count in rows}


# Writing the report -------------------------------------------------------------------------


def save_report(
    session: Session,
    person: Person,
    shift: Shift,
    data: ReportInput,
    now: datetime,
    *,
    submit: bool = False,
    incident: IncidentInput | None = None,
    remove_incident_id: int | None = None,
) -> Saved:
    """Keep what was typed (every save is a version), optionally add or remove one incident,
    and submit when asked and complete. An incomplete report is saved as a draft all the same."""
    report = report_of(session, shift)
    _check_may_change(person, report, now)
    if report is None:
        report = _new_report(session, person, shift, now)
    _apply(report, shift, data)
    report.walkers = _walkers(session, shift)
    if incident is not None:
        _add_incident(report, incident)
    if remove_incident_id is not None:
        report.incidents[:] = [i for i in report.incidents if i.id != remove_incident_id]
    refused = None
    reason = "correction" if report.state == ReportState.SUBMITTED else "draft"
    if submit and report.state == ReportState.DRAFT:
        refused = _incomplete(report)
        if refused is None:
            report.state = ReportState.SUBMITTED
            report.submitted_at = now
            reason = "submit"
    _keep_version(session, person, report, reason, now)
    _audit(session, person, report, f"report.{reason}", now)
    return Saved(report, refused)


def save_incident(
    session: Session, person: Person, shift: Shift, incident_id: int, data: IncidentInput, now: datetime
) -> ShiftReport:
    report = report_of(session, shift)
    incident = next((i for i in report.incidents if i.id == incident_id), None) if report else None
    if incident is None:
        raise ReportRefused(N_("That incident does not exist."))
    _check_may_change(person, report, now)
    _fill_incident(incident, data)
    reason = "correction" if report.state == ReportState.SUBMITTED else "draft"
    _keep_version(session, person, report, reason, now)
    _audit(session, person, report, f"report.{reason}", now, incident_id=incident.id)
    return report


def _new_report(session: Session, person: Person, shift: Shift, now: datetime) -> ShiftReport:
    report = ShiftReport(
        shift=shift,
        region_id=shift.term.region_id,
        municipality_id=shift.route.municipality_id,
        route_id=shift.route_id,
        night_on=local(shift.starts_at).date(),
        leader_id=person.id if leads(session, person.id, shift.id) else None,
        state=ReportState.DRAFT,
        created_at=now,
        updated_at=now,
        places_visited="",
        weather="",
        atmosphere="",
        follow_up_note="",
        **dict.fromkeys(AGE_BANDS, 0),
    )
    session.add(report)
    return report


def _apply(report: ShiftReport, shift: Shift, data: ReportInput) -> None:
    if data.started is not None:
        report.started_at = _moment(shift, data.started)
    if data.ended is not None:
        report.ended_at = _moment(shift, data.ended)
        if report.started_at is not None and report.ended_at <= report.started_at:
            report.ended_at = at_local(local(report.ended_at).date() + timedelta(days=1), data.ended)
    report.duration_minutes = _minutes(report.started_at, report.ended_at)
    for name in TEXT_FIELDS:
        setattr(report, name, getattr(data, name).strip())
    for band in AGE_BANDS:
        if data.youths.get(band) is not None:
            setattr(report, band, max(0, data.youths[band]))


def _moment(shift: Shift, wall: time) -> datetime:
    """A wall-clock time on the night: on its first day, or after midnight when that is closer."""
    first_day = local(shift.starts_at).date()
    moment = at_local(first_day, wall)
    if moment < shift.starts_at - _EARLIEST_BEFORE_START:
        moment = at_local(first_day + timedelta(days=1), wall)
    return moment


def _minutes(started: datetime | None, ended: datetime | None) -> int:
    if started is None or ended is None:
        return 0
    return max(0, int((ended - started).total_seconds() // 60))


def _add_incident(report: ShiftReport, data: IncidentInput) -> Incident:
    incident = Incident(position=len(report.incidents) + 1)
    _fill_incident(incident, data)
    report.incidents.append(incident)
    return incident


def _fill_incident(incident: Incident, data: IncidentInput) -> None:
    incident.category = data.category
    incident.around = data.around
    incident.place = data.place.strip()[:200]
    incident.police_contacted = data.police_contacted
    incident.health_contacted = data.health_contacted
    incident.child_welfare_contacted = data.child_welfare_contacted
    incident.description = data.description.strip()


def _incomplete(report: ShiftReport) -> ReportRefused | None:
    if report.started_at is None or report.ended_at is None:
        return ReportRefused(N_("Write when the walk actually started and ended before submitting."))
    return None


def _keep_version(session: Session, person: Person | None, report: ShiftReport, reason: str, now: datetime) -> None:
    report.updated_at = now
    report.flagged = bool(flags_in(session, report))
    number = report.versions[-1].number + 1 if report.versions else 1
    report.versions.append(
        ReportVersion(
            number=number,
            saved_at=now,
            saved_by_id=person.id if person else None,
            reason=reason,
            snapshot=snapshot(report),
        )
    )
    session.flush()


def snapshot(report: ShiftReport) -> dict:
    return {
        "state": report.state.value,
        "started_at": report.started_at.isoformat() if report.started_at else None,
        "ended_at": report.ended_at.isoformat() if report.ended_at else None,
        "walkers": report.walkers,
        **{name: getattr(report, name) for name in TEXT_FIELDS},
        **{band: getattr(report, band) for band in AGE_BANDS},
        "incidents": [
            {
                "category": i.category.value,
                "around": i.around.strftime("%H:%M") if i.around else None,
                "police_contacted": i.police_contacted,
                "health_contacted": i.health_contacted,
                "child_welfare_contacted": i.child_welfare_contacted,
                **{name: getattr(i, name) for name in INCIDENT_TEXT_FIELDS},
            }
            for i in report.incidents
        ],
    }


# What may identify someone, and taking it out -------------------------------------------------


@dataclass(frozen=True)
class FlaggedText:
    where: str  # a field name, or "incident:<id>:<field>"
    text: str
    flags: list[redaction.Flag]


def allowed_words(session: Session, region_id: int) -> frozenset[str]:
    """The region's own place names are not names of people."""
    names = session.execute(
        select(Municipality.name, Route.name, Route.meeting_point)
        .select_from(Route)
        .join(Route.municipality)
        .where(Municipality.region_id == region_id)
    ).all()
    return redaction.known_words(part for row in names for part in row)


def flags_in(session: Session, report: ShiftReport) -> list[FlaggedText]:
    allowed = allowed_words(session, report.region_id)
    found = []
    for where, text in _texts(report):
        hits = redaction.flags(text, allowed)
        if hits:
            found.append(FlaggedText(where, text, hits))
    return found


def _texts(report: ShiftReport):
    for name in TEXT_FIELDS:
        yield name, getattr(report, name)
    for incident in report.incidents:
        for name in INCIDENT_TEXT_FIELDS:
            yield f"incident:{incident.id}:{name}", getattr(incident, name)


def redact_flagged(session: Session, coordinator: Person, report: ShiftReport, now: datetime) -> int:
    """Replace every flagged part of the report, in the report and in every earlier version, so
    what was taken out cannot be read back from the history."""
    if not coordinates(coordinator, report.region_id):
        raise ReportRefused(N_("Only the region's coordinators can redact a report."))
    allowed = allowed_words(session, report.region_id)
    removed = 0
    for name in TEXT_FIELDS:
        removed += _redact_attribute(report, name, allowed)
    for incident in report.incidents:
        for name in INCIDENT_TEXT_FIELDS:
            removed += _redact_attribute(incident, name, allowed)
    for version in report.versions:
        version.snapshot = _redacted_snapshot(version.snapshot, allowed)
    _keep_version(session, coordinator, report, "redaction", now)
    _audit(session, coordinator, report, "report.redacted", now, parts=removed)
    return removed


def _redact_attribute(obj, name: str, allowed: frozenset[str]) -> int:
    text = getattr(obj, name)
    count = len(redaction.flags(text, allowed))
    if count:
        setattr(obj, name, redaction.redact(text, allowed))
    return count


def _redacted_snapshot(snap: dict, allowed: frozenset[str]) -> dict:
    return rewrite_snapshot(snap, lambda text: redaction.redact(text or "", allowed))


def rewrite_snapshot(snap: dict, rewrite) -> dict:
    changed = dict(snap)
    for name in TEXT_FIELDS:
        changed[name] = rewrite(snap.get(name))
    changed["incidents"] = [
        {**i, **{name: rewrite(i.get(name)) for name in INCIDENT_TEXT_FIELDS}} for i in snap.get("incidents", [])
    ]
    return changed


# The coordinator's side -----------------------------------------------------------------------


def follow_up(session: Session, coordinator: Person, report: ShiftReport, note: str, now: datetime) -> None:
    if not coordinates(coordinator, report.region_id):
        raise ReportRefused(N_("Only the region's coordinators can follow up a report."))
    report.followed_up_at = now
    report.followed_up_by_id = coordinator.id
    report.follow_up_note = (note or "").strip()
    _audit(session, coordinator, report, "report.followed_up", now)


@dataclass
class ReportFilter:
    region_ids: set[int]
    municipality_id: int | None = None
    route_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    category: IncidentCategory | None = None
    contacted: str = ""  # "police", "child_welfare", or "" for either way


def find_reports(session: Session, wanted: ReportFilter, *, limit: int = 100, offset: int = 0) -> list[ShiftReport]:
    query = (
        select(ShiftReport)
        .where(ShiftReport.region_id.in_(wanted.region_ids))
        .options(
            joinedload(ShiftReport.shift).joinedload(Shift.route).joinedload(Route.municipality),
            selectinload(ShiftReport.incidents),
        )
        .order_by(ShiftReport.night_on.desc(), ShiftReport.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if wanted.municipality_id:
        query = query.where(ShiftReport.municipality_id == wanted.municipality_id)
    if wanted.route_id:
        query = query.where(ShiftReport.route_id == wanted.route_id)
    if wanted.first_day:
        query = query.where(ShiftReport.night_on >= wanted.first_day)
    if wanted.last_day:
        query = query.where(ShiftReport.night_on <= wanted.last_day)
    incident = select(Incident.id).where(Incident.report_id == ShiftReport.id)
    if wanted.category:
        incident = incident.where(Incident.category == wanted.category)
    if wanted.contacted == "police":
        incident = incident.where(Incident.police_contacted.is_(True))
    elif wanted.contacted == "child_welfare":
        incident = incident.where(Incident.child_welfare_contacted.is_(True))
    if wanted.category or wanted.contacted:
        query = query.where(incident.exists())
    return list(session.scalars(query).unique())


def report_in_regions(session: Session, report_id: int, region_ids: set[int]) -> ShiftReport | None:
    report = session.get(ShiftReport, report_id)
    return report if report is not None and report.region_id in region_ids else None


def _without_submitted_report():
    return ~exists().where(ShiftReport.shift_id == Shift.id, ShiftReport.state == ReportState.SUBMITTED)


def _walked():
    """Someone held a place: a night nobody was on was not walked and has no report to miss."""
    return exists().where(Signup.shift_id == Shift.id, Signup.state.in_(HOLDING))


def missing_reports(session: Session, region_ids: set[int], now: datetime, *, limit: int = 200) -> list[Shift]:
    """Nights that ended more than a day ago and still have no submitted report, latest first."""
    return list(
        session.scalars(
            select(Shift)
            .join(Shift.term)
            .where(
                Term.region_id.in_(region_ids),
                Term.published_at.is_not(None),
                Shift.cancelled_at.is_(None),
                Shift.ends_at <= now - MISSING_AFTER,
                _walked(),
                _without_submitted_report(),
            )
            .options(joinedload(Shift.route).joinedload(Route.municipality))
            .order_by(Shift.starts_at.desc())
            .limit(limit)
        )
    )


def remind_missing_reports(session: Session, now: datetime, links: Links) -> int:
    """One SMS per night to its leader when the report is a day late. The dedupe key makes
    running this every few minutes, in several processes, send it once."""
    rows = session.execute(
        select(Shift, Signup)
        .join(Shift.term)
        .join(Signup, and_(Signup.shift_id == Shift.id, Signup.role == SignupRole.LEADER))
        .where(
            Term.published_at.is_not(None),
            Shift.cancelled_at.is_(None),
            Shift.ends_at <= now - MISSING_AFTER,
            Shift.ends_at > now - MISSING_AFTER - REMIND_WITHIN,
            Signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.ATTENDED)),
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


def _remind(session: Session, shift: Shift, leader: Person, key: str, now: datetime, links: Links) -> None:
    region = shift.term.region
    _ = translations(leader.locale).gettext
    sms.enqueue(
        session,
        to=leader.phone,
        body=_("The report for %(route)s on %(date)s is missing. Please file it here: %(link)s")
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
        dedupe_key=key,
    )


def person_for_link(session: Session, token_value, now: datetime) -> tuple[Person, Shift] | None:
    """The leader and night a report link was made for, while they still lead it."""
    if not (isinstance(token_value, list) and len(token_value) == 2 and all(isinstance(v, int) for v in token_value)):
        return None
    shift_id, person_id = token_value
    person = session.get(Person, person_id)
    shift = session.get(Shift, shift_id)
    if person is None or shift is None or not person.active or shift.cancelled_at is not None:
        return None
    if not leads(session, person.id, shift.id) or not shift.starts_at <= now <= shift.ends_at + REPORT_LINK_VALID_AFTER:
        return None
    return person, shift
