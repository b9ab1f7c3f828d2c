"""The outbox: planning messages and handing due ones to the gateway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.db import locks_rows
from natteravn.sms.gateway import Gateway, GatewayError
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.segments import count_segments


def enqueue(
    session: Session,
    *,
    to: str,
    body: str,
    purpose: Purpose,
    now: datetime,
    due_at: datetime | None = None,
    person_id: int | None = None,
    signup_id: int | None = None,
    shift_id: int | None = None,
    urgent: bool = False,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> SmsMessage:
    encoding, segments = count_segments(body)
    message = SmsMessage(
        to=to,
        body=body,
        purpose=purpose,
        person_id=person_id,
        signup_id=signup_id,
        shift_id=shift_id,
        due_at=due_at or now,
        expires_at=expires_at,
        urgent=urgent,
        state=MessageState.PENDING,
        encoding=encoding,
        segments=segments,
        dedupe_key=dedupe_key,
        created_at=now,
        attempts=0,
        last_error="",
    )
    session.add(message)
    session.flush()
    return message


def send_one(session: Session, gateway: Gateway, message_id: int, now: datetime) -> SmsMessage | None:
    """Send one pending message at once (a login code must not wait for the next tick)."""
    query = select(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.state == MessageState.PENDING)
    if locks_rows(session):
        query = query.with_for_update(skip_locked=True)
    message = session.scalars(query).one_or_none()
    if message is None:
        return None
    _deliver(message, gateway, now)
    return message


def _deliver(message: SmsMessage, gateway: Gateway, now: datetime) -> None:
    message.attempts += 1
    message.claimed_at = now
    try:
        sent = gateway.send(message.to, message.body)
    except GatewayError as error:
        message.last_error = str(error)
        message.state = MessageState.PENDING if error.temporary else MessageState.FAILED
        return
    message.provider_id = sent.provider_id
    message.state = MessageState.SENT
    message.sent_at = now
