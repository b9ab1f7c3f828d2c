"""Recording what people did. Rows are only ever added."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from natteravn.audit.models import AuditEvent


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    region_id: int | None = None,
    **details,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        region_id=region_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    session.add(event)
    return event
