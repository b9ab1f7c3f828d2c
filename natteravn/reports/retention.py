"""Erasing a report's free text once it is older than the retention period. Counts,
categories, times and who was contacted stay for the statistics."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from natteravn.audit import service as audit
from natteravn.clock import local
from natteravn.i18n import N_
from natteravn.places.models import Region
from natteravn.reports.models import INCIDENT_TEXT_FIELDS, TEXT_FIELDS, Incident, ReportVersion, ShiftReport, WalkIn
from natteravn.reports.redaction import rewrite_snapshot

log = logging.getLogger("natteravn.reports.retention")

#: What the audit log says about the retention purge.
AUDIT = audit.Vocabulary(actions={"reports.purged": N_("Erased the free text of %(reports)s old reports")})

DEFAULT_MONTHS = 12


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day (31 March - 1 month: 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def purge_expired(
    session: Session,
    now: datetime,
    *,
    default_months: int = DEFAULT_MONTHS,
    months_by_region: Mapping[str, int] | None = None,
) -> int:
    """Erase the free text of every report whose night is older than its region's retention
    period (by region slug, else the default). Running it again erases nothing more."""
    erased = 0
    for region in session.scalars(select(Region).order_by(Region.id)):
        months = months_for(region, default_months=default_months, months_by_region=months_by_region)
        erased += _purge_region(session, region, months_before(local(now).date(), months), now)
    return erased


def months_for(
    region: Region, *, default_months: int = DEFAULT_MONTHS, months_by_region: Mapping[str, int] | None = None
) -> int:
    """How many months the region's reports keep their free text (see `configured`)."""
    return int((months_by_region or {}).get(region.slug, default_months))


def _purge_region(session: Session, region: Region, before: date, now: datetime) -> int:
    expired = select(ShiftReport.id).where(
        ShiftReport.region_id == region.id, ShiftReport.purged_at.is_(None), ShiftReport.night_on < before
    )
    report_ids = list(session.scalars(expired))
    if not report_ids:
        return 0
    for chunk in _chunks(report_ids, 500):
        session.execute(
            update(Incident)
            .where(Incident.report_id.in_(chunk))
            .values(dict.fromkeys(INCIDENT_TEXT_FIELDS, ""))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(ShiftReport)
            .where(ShiftReport.id.in_(chunk))
            .values(**dict.fromkeys(TEXT_FIELDS, ""), follow_up_note="", flagged=False, purged_at=now)
            .execution_options(synchronize_session=False)
        )
        walked = select(ShiftReport.shift_id).where(ShiftReport.id.in_(chunk))
        session.execute(
            update(WalkIn)
            .where(WalkIn.shift_id.in_(walked))
            .values(first_name="")
            .execution_options(synchronize_session=False)
        )
        for version in session.scalars(select(ReportVersion).where(ReportVersion.report_id.in_(chunk))):
            version.snapshot = rewrite_snapshot(version.snapshot, lambda _text: "")
    session.flush()
    session.expire_all()
    audit.record(
        session,
        actor_id=None,
        action="reports.purged",
        object_type="region",
        object_id=region.id,
        now=now,
        region_id=region.id,
        reports=len(report_ids),
        nights_before=before.isoformat(),
    )
    log.info("Erased the free text of %d reports in %s (nights before %s)", len(report_ids), region.slug, before)
    return len(report_ids)


def _chunks(items: list[int], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def configured(config: Mapping) -> dict:
    """Retention settings from the app's configuration: REPORT_RETENTION_MONTHS (default 12) and
    REPORT_RETENTION_MONTHS_BY_REGION, a mapping of region slug to months (JSON in the environment)."""
    by_region = config.get("REPORT_RETENTION_MONTHS_BY_REGION") or {}
    return {
        "default_months": int(config.get("REPORT_RETENTION_MONTHS") or DEFAULT_MONTHS),
        "months_by_region": {slug: int(months) for slug, months in dict(by_region).items()},
    }
