"""Writing the night's report: drafts, submission and corrections, incidents, the coordinator's
follow-up and redaction. Every save keeps a version; every change is audited."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.clock import at_local, local
from natteravn.i18n import N_, Refusal, Refusals
from natteravn.reports import redaction
from natteravn.reports.access import ReportRefused, check_may_change, coordinates, leads, may_change, report_of
from natteravn.reports.logbook import logbook_kept, walkers_on
from natteravn.reports.models import (
    AGE_BANDS,
    INCIDENT_TEXT_FIELDS,
    TEXT_FIELDS,
    Incident,
    IncidentCategory,
    KeptReportInput,
    ReportState,
    ReportVersion,
    ShiftReport,
)
from natteravn.shifts.locks import lock_night
from natteravn.shifts.models import Shift

#: A time written as "00:30" for a night that starts 22:00 means after midnight.
_EARLIEST_BEFORE_START = timedelta(hours=6)


#: What the audit log says about writing reports.
AUDIT = audit.Vocabulary(
    actions={
        "report.draft": N_("Saved a draft of the report of night %(shift)s"),
        "report.submit": N_("Sent the report of night %(shift)s"),
        "report.correction": N_("Corrected the report of night %(shift)s"),
        "report.redacted": N_("Removed text from the report of night %(shift)s"),
        "report.followed_up": N_("Marked the report of night %(shift)s as followed up"),
        "report.request": N_("Asked for a late correction of the report of night %(shift)s"),
        "report.request_accepted": N_("Accepted the late correction of the report of night %(shift)s"),
        "report.request_dismissed": N_("Did not take the late correction of the report of night %(shift)s"),
    }
)


@dataclass
class ReportInput:
    """What the leader typed. None for a count or time means "not given (yet)"; None for a text,
    that what was typed could not be taken (too long), so what is saved stays. An empty text
    empties the field."""

    started: time | None = None
    ended: time | None = None
    places_visited: str | None = ""
    weather: str | None = ""
    atmosphere: str | None = ""
    youths: dict[str, int | None] = field(default_factory=dict)


@dataclass
class IncidentInput:
    category: IncidentCategory | None  # None: not chosen yet; kept with a draft, needed to submit
    around: time | None = None
    place: str = ""
    police_contacted: bool = False
    health_contacted: bool = False
    child_welfare_contacted: bool = False
    description: str = ""
    # The form it was typed in, once per form shown: sent twice (a second tap, Back and the button
    # again), it is added once. Two incidents that read the same are two when typed twice.
    entry: str | None = None


@dataclass
class Saved:
    report: ShiftReport
    # Set when submitting was asked for but the report is not complete; the draft is saved anyway.
    # Every reason at once (`Refusals`); read as one, it is the first.
    not_submitted: Refusal | None = None
    # The correction came after the window closed: it is kept for the coordinator to accept.
    requested: bool = False
    # The incident to add was in the report already (a second tap, or Back and the button again).
    already_there: bool = False
    # What this save changed: the names in a version's snapshot ("weather", "incidents", ...).
    changed: frozenset[str] = frozenset()
    # The incident typed reads the same as this one (its number) and was not added: the browser
    # may have filled the form again on Back. The writer says whether it is another.
    same_as: int | None = None


class StaleCopy(ReportRefused):
    """Someone else saved the report since this copy was opened: nothing is overwritten; both are
    shown, and the writer decides."""

    def __init__(self, latest: ReportVersion):
        super().__init__(
            N_("Someone else saved this report at %(when)s, after you opened it. Compare, then save again."),
            when=local(latest.saved_at).strftime("%H:%M"),
        )
        self.latest = latest


def save_report(
    session: Session,
    person: Person,
    shift: Shift,
    data: ReportInput,
    now: datetime,
    *,
    submit: bool = False,
    incident: IncidentInput | None = None,
    confirmed: Collection[str] = (),
    based_on: int | None = None,
    by_link: bool = False,
    another: bool = False,
) -> Saved:
    """Keep what was typed (every save is a version), optionally add one incident, and submit
    when asked and complete. An incomplete report is saved as a draft all the same.

    `confirmed` are flagged passages the writer says identify nobody; `based_on` is the version
    the writer's copy was opened at: a newer one saved by someone else is never overwritten
    (StaleCopy). A leader's correction after the window is kept as a request, not refused. An
    incident whose form was sent before (its `entry`) is not added twice, and one that reads the same
    as an incident in the report is added only when the writer says it is `another`."""
    lock_night(session, shift.id)  # one save of the night's report at a time: a double tap waits
    report = report_of(session, shift)
    if report is not None and _late(person, report, now, by_link):
        return _request_correction(session, person, shift, report, data, incident, now)
    check_may_change(person, report, now, by_link=by_link)
    if report is None:
        report = _new_report(session, person, shift, now)
    else:
        _refuse_stale(report, person, based_on)
    before = snapshot(report)
    _apply(report, shift, data)
    report.walkers = walkers_on(session, shift)
    already_there = incident is not None and _entered_before(report, incident)
    # Only a form's incident is asked about: the browser restores fields; a caller with no form means what it sends.
    asked = incident is not None and incident.entry is not None and not already_there and not another
    same_as = _same_as(report, incident) if asked and incident is not None else None
    if incident is not None and not already_there and same_as is None:
        _add_incident(report, incident)
    unconfirmed = _note_confirmations(session, report, confirmed)
    refused = None
    reason = "correction" if report.state == ReportState.SUBMITTED else "draft"
    if submit and report.state == ReportState.DRAFT:
        refused = _incomplete(report, unconfirmed, logbook_kept(session, shift), same_as)
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
    changed = _changed(before, snapshot(report))
    return Saved(report, refused, already_there=already_there, changed=changed, same_as=same_as)


def untouched(shift: Shift, data: ReportInput) -> bool:
    """The form of a report not started yet as it was shown: the planned times (or none) and
    nothing written or counted."""
    planned = (local(shift.starts_at).time(), local(shift.ends_at).time())
    times = (data.started, data.ended)
    written = any(text and text.strip() for text in _texts(data).values())
    counted = any(count is not None for count in data.youths.values())
    return times in (planned, (None, None)) and not written and not counted


def _changed(before: dict, after: dict) -> frozenset[str]:
    return frozenset(name for name, value in after.items() if before.get(name) != value)


def save_incident(
    session: Session,
    person: Person,
    shift: Shift,
    incident_id: int,
    data: IncidentInput,
    now: datetime,
    *,
    by_link: bool = False,
) -> ShiftReport:
    lock_night(session, shift.id)  # as save_report
    report, incident = _incident_to_change(session, person, shift, incident_id, now, by_link)
    _fill_incident(incident, data)
    _keep_incident_change(session, person, report, incident.id, now)
    return report


def remove_incident(
    session: Session,
    person: Person,
    shift: Shift,
    incident_id: int,
    now: datetime,
    *,
    by_link: bool = False,
) -> ShiftReport:
    """Take one incident out of the report. The versions before keep it, scrubbed of anything that
    may identify someone like all history (keep_version)."""
    lock_night(session, shift.id)  # as save_report: a second tap waits, then finds it gone
    report, incident = _incident_to_change(session, person, shift, incident_id, now, by_link)
    report.incidents.remove(incident)
    for position, kept in enumerate(report.incidents, start=1):
        kept.position = position  # the next incident added goes last, not beside another
    _keep_incident_change(session, person, report, incident_id, now)
    return report


def _incident_to_change(
    session: Session, person: Person, shift: Shift, incident_id: int, now: datetime, by_link: bool
) -> tuple[ShiftReport, Incident]:
    report = report_of(session, shift)
    incident = next((i for i in report.incidents if i.id == incident_id), None) if report else None
    if report is None or incident is None:
        raise ReportRefused(N_("That incident does not exist."))
    check_may_change(person, report, now, by_link=by_link)
    return report, incident


def _keep_incident_change(
    session: Session, person: Person, report: ShiftReport, incident_id: int, now: datetime
) -> None:
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
        incident_id=incident_id,
    )


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
        confirmed_flags=[],
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
    for name, text in _texts(data).items():
        setattr(report, name, text)
    for band in AGE_BANDS:
        count = data.youths.get(band)
        if count is not None:
            setattr(report, band, max(0, count))


def _texts(data: ReportInput) -> dict[str, str]:
    """The texts to write, tidied; those that could not be taken are left out."""
    return {name: text.strip() for name in TEXT_FIELDS if (text := getattr(data, name)) is not None}


def _moment(shift: Shift, wall: time) -> datetime:
    """A wall-clock time on the night: on its first day, or after midnight when that is closer."""
    first_day = local(shift.starts_at).date()
    moment = at_local(first_day, wall)
    if moment < shift.starts_at - _EARLIEST_BEFORE_START:
        moment = at_local(first_day + timedelta(days=1), wall)
    return moment


#: No walk lasts longer: a longer one is an end typed before its start by mistake ("21:00" to
#: "20:00" is 23 hours), which would swell the walker-hours the police council is given.
LONGEST_WALK = timedelta(hours=12)


def walk_length(started: time, ended: time) -> timedelta:
    """From a start to an end on the clock; an end before the start is the next morning."""
    minutes = (ended.hour * 60 + ended.minute - started.hour * 60 - started.minute) % (24 * 60)
    return timedelta(minutes=minutes)


def _minutes(started: datetime | None, ended: datetime | None) -> int:
    if started is None or ended is None:
        return 0
    return max(0, int((ended - started).total_seconds() // 60))


def _entered_before(report: ShiftReport, data: IncidentInput) -> bool:
    return data.entry is not None and any(held.entry == data.entry for held in report.incidents)


def _same_as(report: ShiftReport, data: IncidentInput) -> int | None:
    """The number of an incident in the report that reads exactly as the one typed, if any."""
    typed = _incident_snapshot(_filled(Incident(), data))
    return next((n for n, held in enumerate(report.incidents, start=1) if _incident_snapshot(held) == typed), None)


def _add_incident(report: ShiftReport, data: IncidentInput) -> Incident:
    incident = _filled(Incident(position=len(report.incidents) + 1, entry=data.entry), data)
    report.incidents.append(incident)
    return incident


def _filled(incident: Incident, data: IncidentInput) -> Incident:
    _fill_incident(incident, data)
    return incident


def _fill_incident(incident: Incident, data: IncidentInput) -> None:
    incident.category = data.category
    incident.around = data.around
    incident.place = data.place.strip()
    incident.police_contacted = data.police_contacted
    incident.health_contacted = data.health_contacted
    incident.child_welfare_contacted = data.child_welfare_contacted
    incident.description = data.description.strip()


def _incomplete(
    report: ShiftReport, unconfirmed: set[str], logbook_kept: bool, same_as: int | None = None
) -> Refusal | None:
    """Every reason the report cannot be submitted yet, each with the field (or the page's part) it
    is about, in page order: a tired leader puts all of them right in one go, not one per try."""
    reasons: list[Refusal] = []
    # Without the logbook every sign-up stays "signed up": the night would count nobody as walked
    # and nobody as not come, in the statistics and in the police council's figures.
    if not logbook_kept:
        reasons.append(ReportRefused(N_("Keep the logbook first: tick who walked the night."), field="logbook"))
    if report.started_at is None or report.ended_at is None:
        field = "started" if report.started_at is None else "ended"
        reasons.append(
            ReportRefused(N_("Write when the walk actually started and ended before submitting."), field=field)
        )
    if report.uncounted:
        reasons.append(
            ReportRefused(
                N_("Write how many young people you met of each age (0 is an answer) before submitting."),
                field=report.uncounted[0],
            )
        )
    if same_as is not None:
        reasons.append(
            ReportRefused(
                N_("The incident typed reads the same as incident %(num)d: add it as another, or empty its fields."),
                field="same-incident",
                num=same_as,
            )
        )
    if any(incident.category is None for incident in report.incidents):
        reasons.append(ReportRefused(N_("Choose a category for every incident before submitting."), field="incidents"))
    if unconfirmed:
        reasons.append(
            ReportRefused(
                N_("Check the marked parts first: rewrite each, or confirm that it identifies nobody."),
                field="passages",
            )
        )
    if not reasons:
        return None
    return reasons[0] if len(reasons) == 1 else Refusals(reasons)


def flagged_passages(session: Session, report: ShiftReport) -> list[str]:
    """Each passage of the report that may identify someone, once, in the order they appear."""
    return list(passage_places(session, report))


def passage_places(session: Session, report: ShiftReport) -> dict[str, str]:
    """Each flagged passage, once, in the order they appear, with where it first stands: a field's
    name, or "incident:<id>"."""
    places: dict[str, str] = {}
    for text in redaction.flags_in(session, report):
        where = text.where.rsplit(":", 1)[0] if text.where.startswith("incident:") else text.where
        for flag in text.flags:
            places.setdefault(flag.text, where)
    return places


def _note_confirmations(session: Session, report: ShiftReport, confirmed: Collection[str]) -> set[str]:
    """Remember the flagged passages the writer confirmed (a passage rewritten needs no confirming,
    and one that reappears changed needs it again); the ones still unconfirmed."""
    passages = flagged_passages(session, report)
    kept = set(report.confirmed_flags or []) | set(confirmed)
    report.confirmed_flags = [passage for passage in passages if passage in kept]
    return set(passages) - kept


def _refuse_stale(report: ShiftReport, person: Person, based_on: int | None) -> None:
    if based_on is None or not report.versions:
        return
    newer = [v for v in report.versions if v.number > based_on]
    if any(v.saved_by_id != person.id for v in newer):
        raise StaleCopy(report.versions[-1])


# --- What was typed after the session ended. ---

#: Kept this long at most, and this many per night, so nobody can fill the table.
KEPT_FOR = timedelta(days=7)
KEPT_PER_NIGHT = 20


def keep_typed(session: Session, shift_id: int, pairs: list[tuple[str, str]], now: datetime) -> str:
    """Keep what was posted to a night's report without a session; the token finds it again."""
    session.execute(delete(KeptReportInput).where(KeptReportInput.created_at < now - KEPT_FOR))
    older = select(KeptReportInput.id).where(KeptReportInput.shift_id == shift_id)
    stale = list(session.scalars(older.order_by(KeptReportInput.id.desc()).offset(KEPT_PER_NIGHT - 1)))
    if stale:
        session.execute(delete(KeptReportInput).where(KeptReportInput.id.in_(stale)))
    token = secrets.token_urlsafe(32)
    kept = [[name, value] for name, value in pairs if name != "csrf_token"]
    session.add(KeptReportInput(token=token, shift_id=shift_id, form=kept, created_at=now))
    return token


def take_kept(session: Session, token: str | None, shift_id: int) -> list[tuple[str, str]] | None:
    """What was kept under the token for this night, once: it is forgotten as it is handed back."""
    if not token:
        return None
    kept = session.scalar(
        select(KeptReportInput).where(KeptReportInput.token == token, KeptReportInput.shift_id == shift_id)
    )
    if kept is None:
        return None
    session.delete(kept)
    return [(name, value) for name, value in kept.form]


# --- A correction after the window: a request the coordinator accepts or not. ---


def _late(person: Person, report: ShiftReport, now: datetime, by_link: bool) -> bool:
    """The leader writes after the correction window closed (a coordinator never is late)."""
    return (
        report.state == ReportState.SUBMITTED
        and report.purged_at is None
        and not may_change(person, report, now, by_link=by_link)
    )


def _request_correction(
    session: Session,
    person: Person,
    shift: Shift,
    report: ShiftReport,
    data: ReportInput,
    incident: IncidentInput | None,
    now: datetime,
) -> Saved:
    proposed = _proposal(report, shift, data, incident)
    number = report.versions[-1].number + 1 if report.versions else 1
    report.versions.append(
        ReportVersion(number=number, saved_at=now, saved_by_id=person.id, reason="request", snapshot=proposed)
    )
    session.flush()
    _record(session, person, report, "report.request", now)
    return Saved(report, requested=True)


def _proposal(report: ShiftReport, shift: Shift, data: ReportInput, incident: IncidentInput | None) -> dict:
    """The report as the late correction would leave it, written as a version's snapshot."""
    proposed = snapshot(report)
    started = _moment(shift, data.started) if data.started else report.started_at
    ended = _moment(shift, data.ended) if data.ended else report.ended_at
    if started and ended and ended <= started:
        ended += timedelta(days=1)
    proposed.update(
        started_at=started.isoformat() if started else None,
        ended_at=ended.isoformat() if ended else None,
        **_texts(data),
        **{band: data.youths[band] for band in AGE_BANDS if data.youths.get(band) is not None},
    )
    if incident is not None:
        proposed["incidents"] = [*proposed["incidents"], _incident_snapshot(_filled(Incident(), incident))]
    return proposed


def pending_request(report: ShiftReport) -> ReportVersion | None:
    """The late correction waiting for the coordinator, if any."""
    for version in reversed(report.versions):
        if version.reason == "request":
            return version
        if version.reason in ("request_accepted", "request_dismissed"):
            return None
    return None


def answer_request(session: Session, coordinator: Person, report: ShiftReport, accept: bool, now: datetime) -> None:
    """Take the leader's late correction into the report, or leave the report as it was; either
    way the request is answered and kept in the history."""
    if not coordinates(coordinator, report.region_id):
        raise ReportRefused(N_("Only the region's coordinators can answer a correction."))
    request = pending_request(report)
    if request is None:
        raise ReportRefused(N_("There is no correction waiting."))
    if accept:
        _restore(report, request.snapshot)
    reason = "request_accepted" if accept else "request_dismissed"
    keep_version(session, coordinator, report, reason, now)
    _record(session, coordinator, report, f"report.{reason}", now)


def _restore(report: ShiftReport, snap: dict) -> None:
    report.started_at = datetime.fromisoformat(snap["started_at"]) if snap.get("started_at") else None
    report.ended_at = datetime.fromisoformat(snap["ended_at"]) if snap.get("ended_at") else None
    report.duration_minutes = _minutes(report.started_at, report.ended_at)
    for name in (*TEXT_FIELDS, *AGE_BANDS):
        setattr(report, name, snap.get(name))
    report.incidents[:] = [
        Incident(
            position=position,
            category=IncidentCategory(i["category"]) if i.get("category") else None,
            around=time.fromisoformat(i["around"]) if i.get("around") else None,
            police_contacted=i.get("police_contacted", False),
            health_contacted=i.get("health_contacted", False),
            child_welfare_contacted=i.get("child_welfare_contacted", False),
            **{name: i.get(name) or "" for name in INCIDENT_TEXT_FIELDS},
        )
        for position, i in enumerate(snap.get("incidents", []), start=1)
    ]


def _record(session: Session, person: Person, report: ShiftReport, action: str, now: datetime) -> None:
    audit.record(
        session,
        actor_id=person.id,
        action=action,
        object_type="shift_report",
        object_id=report.id,
        now=now,
        region_id=report.region_id,
        shift_id=report.shift_id,
    )


def keep_version(session: Session, person: Person | None, report: ShiftReport, reason: str, now: datetime) -> None:
    """Keep the report as it is now. Earlier versions keep nothing that may identify someone: a
    name the leader typed and then rewrote must not stay readable in the history. Only the newest
    version holds what the report itself still says, until it is rewritten or ticked as harmless."""
    report.updated_at = now
    report.flagged = bool(redaction.flags_in(session, report))
    _scrub_history(session, report)
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


def _scrub_history(session: Session, report: ShiftReport) -> None:
    allowed = redaction.allowed_words(session, report.region_id)
    for version in report.versions:
        scrubbed = redaction.redacted_snapshot(version.snapshot, allowed)
        if scrubbed != version.snapshot:
            version.snapshot = scrubbed


def snapshot(report: ShiftReport) -> dict:
    return {
        "state": report.state.value,
        "started_at": report.started_at.isoformat() if report.started_at else None,
        "ended_at": report.ended_at.isoformat() if report.ended_at else None,
        "walkers": report.walkers,
        **{name: getattr(report, name) for name in TEXT_FIELDS},
        **{band: getattr(report, band) for band in AGE_BANDS},
        "incidents": [_incident_snapshot(i) for i in report.incidents],
    }


def _incident_snapshot(incident: Incident) -> dict:
    return {
        "category": incident.category.value if incident.category else None,
        "around": incident.around.strftime("%H:%M") if incident.around else None,
        "police_contacted": incident.police_contacted,
        "health_contacted": incident.health_contacted,
        "child_welfare_contacted": incident.child_welfare_contacted,
        **{name: getattr(incident, name) for name in INCIDENT_TEXT_FIELDS},
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
