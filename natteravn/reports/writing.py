"""Writing the night's report: drafts, submission and corrections, incidents, the coordinator's
follow-up and redaction. Every save keeps a version; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.clock import at_local, local
from natteravn.i18n import N_
from natteravn.reports import redaction
from natteravn.reports.access import ReportRefused, check_may_change, coordinates, leads, report_of
from natteravn.reports.logbook import walkers_on
from natteravn.reports.models import (
    AGE_BANDS,
    INCIDENT_TEXT_FIELDS,
    TEXT_FIELDS,
    Incident,
    IncidentCategory,
    ReportState,
    ReportVersion,
    ShiftReport,
)
from natteravn.shifts.models import Shift

#: A time written as "00:30" for a night that starts 22:00 means after midnight.
_EARLIEST_BEFORE_START = timedelta(hours=6)


#: What the audit log says about writing reports.
AUDIT = audit.Vocabulary(
    actions={
        "report.draft": N_("Saved a draft of the report of night %(shift_id)s"),
        "report.submit": N_("Sent the report of night %(shift_id)s"),
        "report.correction": N_("Corrected the report of night %(shift_id)s"),
        "report.redacted": N_("Removed text from the report of night %(shift_id)s"),
        "report.followed_up": N_("Marked the report of night %(shift_id)s as followed up"),
    }
)


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
    check_may_change(person, report, now)
    if report is None:
        report = _new_report(session, person, shift, now)
    _apply(report, shift, data)
    report.walkers = walkers_on(session, shift)
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
    keep_version(session, person, report, reason, now)
    audit.record(
        session,
        actor_id=person.id,
        action=f"report.{reason}",
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
    )
    return Saved(report, refused)


def save_incident(
    session: Session, person: Person, shift: Shift, incident_id: int, data: IncidentInput, now: datetime
) -> ShiftReport:
    report = report_of(session, shift)
    incident = next((i for i in report.incidents if i.id == incident_id), None) if report else None
    if report is None or incident is None:
        raise ReportRefused(N_("That incident does not exist."))
    check_may_change(person, report, now)
    _fill_incident(incident, data)
    reason = "correction" if report.state == ReportState.SUBMITTED else "draft"
    keep_version(session, person, report, reason, now)
    audit.record(
        session,
        actor_id=person.id,
        action=f"report.{reason}",
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
        incident_id=incident.id,
    )
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
        count = data.youths.get(band)
        if count is not None:
            setattr(report, band, max(0, count))


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
    incident.place = data.place.strip()
    incident.police_contacted = data.police_contacted
    incident.health_contacted = data.health_contacted
    incident.child_welfare_contacted = data.child_welfare_contacted
    incident.description = data.description.strip()


def _incomplete(report: ShiftReport) -> ReportRefused | None:
    if report.started_at is None or report.ended_at is None:
        return ReportRefused(N_("Write when the walk actually started and ended before submitting."))
    return None


def keep_version(session: Session, person: Person | None, report: ShiftReport, reason: str, now: datetime) -> None:
    report.updated_at = now
    report.flagged = bool(redaction.flags_in(session, report))
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


def redact_flagged(session: Session, coordinator: Person, report: ShiftReport, now: datetime) -> int:
    """Replace every flagged part of the report, in the report and in every earlier version, so
    what was taken out cannot be read back from the history."""
    if not coordinates(coordinator, report.region_id):
        raise ReportRefused(N_("Only the region's coordinators can redact a report."))
    allowed = redaction.allowed_words(session, report.region_id)
    removed = 0
    for name in TEXT_FIELDS:
        removed += redaction.redact_attribute(report, name, allowed)
    for incident in report.incidents:
        for name in INCIDENT_TEXT_FIELDS:
            removed += redaction.redact_attribute(incident, name, allowed)
    for version in report.versions:
        version.snapshot = redaction.redacted_snapshot(version.snapshot, allowed)
    keep_version(session, coordinator, report, "redaction", now)
    audit.record(
        session,
        actor_id=coordinator.id,
        action="report.redacted",
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
        parts=removed,
    )
    return removed


def follow_up(session: Session, coordinator: Person, report: ShiftReport, note: str, now: datetime) -> None:
    if not coordinates(coordinator, report.region_id):
        raise ReportRefused(N_("Only the region's coordinators can follow up a report."))
    report.followed_up_at = now
    report.followed_up_by_id = coordinator.id
    report.follow_up_note = (note or "").strip()
    audit.record(
        session,
        actor_id=coordinator.id,
        action="report.followed_up",
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
    )
