"""The coordinator's audit log page, read: the region's entries, filtered and a page at a time,
with the names of the people they mention. The only part of `audit` that knows people: the log
names who did what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.audit.service import PERSON_DETAILS
from natteravn.db import Page, paginate

PAGE_SIZE = 50


@dataclass(frozen=True)
class LogFilter:
    action: str = ""
    object_type: str = ""
    object_id: int | None = None


def present_values(session: Session, region_ids: set[int]) -> tuple[list[str], list[str]]:
    """The actions and kinds of thing that occur in the regions' log, so a filter offers nothing
    that finds nothing."""
    in_regions = AuditEvent.region_id.in_(region_ids)
    actions = session.scalars(select(AuditEvent.action).where(in_regions).distinct())
    objects = session.scalars(select(AuditEvent.object_type).where(in_regions).distinct())
    return list(actions), list(objects)


def log_page(session: Session, region_ids: set[int], wanted: LogFilter, number: int) -> Page:
    query = select(AuditEvent).where(AuditEvent.region_id.in_(region_ids))
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.object_type:
        query = query.where(AuditEvent.object_type == wanted.object_type)
    if wanted.object_id:
        query = query.where(AuditEvent.object_id == wanted.object_id)
    return paginate(session, query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), number, PAGE_SIZE)


def person_names(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    """Names of every person the events mention, in one query."""
    ids = {e.actor_id for e in events if e.actor_id}
    for event in events:
        if event.object_type == "person" and event.object_id:
            ids.add(event.object_id)
        ids.update(v for k, v in (event.details or {}).items() if k in PERSON_DETAILS and isinstance(v, int))
    if not ids:
        return {}
    return {
        pid: name or phone
        for pid, name, phone in session.execute(select(Person.id, Person.name, Person.phone).where(Person.id.in_(ids)))
    }
