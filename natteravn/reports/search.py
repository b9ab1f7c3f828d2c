"""Finding reports: the coordinator's list of the regions' reports, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from natteravn.accounts.models import Scope
from natteravn.places.models import Route
from natteravn.reports.models import Incident, IncidentCategory, ShiftReport
from natteravn.shifts.models import Shift


@dataclass
class ReportFilter:
    scope: Scope
    municipality_id: int | None = None
    route_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    category: IncidentCategory | None = None
    contacted: str = ""  # "police", "child_welfare", or "" for either way


def find_reports(session: Session, wanted: ReportFilter, *, limit: int = 100, offset: int = 0) -> list[ShiftReport]:
    query = (
        select(ShiftReport)
        .where(wanted.scope.where(ShiftReport.region_id, ShiftReport.municipality_id))
        .options(
            joinedload(ShiftReport.shift).joinedload(Shift.route).joinedload(Route.municipality),
            selectinload(ShiftReport.incidents),
        )
        .order_by(ShiftReport.flagged.desc(), ShiftReport.night_on.desc(), ShiftReport.id.desc())
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


def report_in_scope(session: Session, report_id: int, scope: Scope) -> ShiftReport | None:
    report = session.get(ShiftReport, report_id)
    return report if report is not None and scope.covers(report.region_id, report.municipality_id) else None
