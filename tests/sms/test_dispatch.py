"""The outbox dispatcher with the console gateway: what goes out when, and what never does."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from natteravn.accounts.service import opt_out
from natteravn.sms.gateway import ConsoleGateway
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import DispatchPolicy, dispatch_due, enqueue
from tests.databases import POSTGRES_URL

PHONE = "+4791234567"


def plan(db, now, body="Påminnelse: Flisa sentrum fredag 22:00.", **fields) -> SmsMessage:
    fields.setdefault("purpose", Purpose.REMINDER_BEFORE)
    message = enqueue(db, to=fields.pop("to", PHONE), body=body, now=now, **fields)
    db.commit()
    return message


def dispatch(db, gateway, now, **policy) -> None:
    dispatch_due(db, gateway, now, policy=DispatchPolicy(**policy))


def test_due_messages_go_out_once_and_later_ones_wait(db, gateway, clock):
    now = clock()
    due = plan(db, now, body="Nå")
    later = plan(db, now, body="Senere", due_at=now + timedelta(hours=2))
    dispatch(db, gateway, now)
    dispatch(db, gateway, now)
    assert gateway.sent == [(PHONE, "Nå")]
    db.refresh(due), db.refresh(later)
    assert (due.state, due.attempts, due.sent_at) == (MessageState.SENT, 1, now)
    assert due.provider_id.startswith("console-")
    assert later.state == MessageState.PENDING
    dispatch(db, gateway, clock.advance(hours=2))
    assert [body for _, body in gateway.sent] == ["Nå", "Senere"]


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(db, gateway):
    evening = datetime(2026, 11, 18, 21, 30, tzinfo=UTC)  # 22:30 in Oslo
    message = plan(db, evening)
    dispatch(db, gateway, evening)
    db.refresh(message)
    assert gateway.sent == []
    assert message.state == MessageState.PENDING
    assert message.held_until == datetime(2026, 11, 19, 7, 0, tzinfo=UTC)  # 08:00 in Oslo
    dispatch(db, gateway, datetime(2026, 11, 19, 6, 59, tzinfo=UTC))
    assert gateway.sent == []
    dispatch(db, gateway, datetime(2026, 11, 19, 7, 0, tzinfo=UTC))
    assert len(gateway.sent) == 1


def test_a_message_about_tonight_goes_out_in_quiet_hours(db, gateway):
    late = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)
    tonight = (datetime(2026, 11, 20, 21, 0, tzinfo=UTC), datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    plan(db, late, body="Ny plass i kveld", purpose=Purpose.WAITLIST_PROMOTED, night=tonight)
    dispatch(db, gateway, late)
    assert gateway.sent == [(PHONE, "Ny plass i kveld")]


@pytest.mark.parametrize(
    ("planned", "morning"),
    [
        # Saturday 28 March 2026, 21:30 CET; clocks jump to summer time in the night: 08:00 CEST.
        (datetime(2026, 3, 28, 20, 30, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # In the small hours after the jump, 03:30 CEST.
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # Saturday 24 October 2026, 22:00 CEST; clocks fall back in the night: 08:00 CET.
        (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        # 02:30 CET, the second time the clocks show 02:30 that night.
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end_at_eight_local_time_across_daylight_saving_changes(db, gateway, planned, morning):
    message = plan(db, planned)
    dispatch(db, gateway, planned)
    db.refresh(message)
    assert message.held_until == morning
    dispatch(db, gateway, morning - timedelta(minutes=1))
    assert gateway.sent == []
    dispatch(db, gateway, morning)
    assert len(gateway.sent) == 1


def test_a_message_past_its_moment_is_cancelled_with_a_reason_not_sent_late(db, gateway, clock):
    now = clock()
    message = plan(db, now - timedelta(days=1), due_at=now - timedelta(days=1), expires_at=now - timedelta(hours=1))
    dispatch(db, gateway, now)
    db.refresh(message)
    assert gateway.sent == []
    assert message.state == MessageState.CANCELLED
    assert "expired" in message.last_error


def test_a_message_that_could_only_go_out_after_it_expires_is_cancelled(db, gateway):
    evening = datetime(2026, 11, 18, 21, 30, tzinfo=UTC)
    message = plan(db, evening, expires_at=evening + timedelta(hours=3))
    dispatch(db, gateway, evening)
    db.refresh(message)
    assert message.state == MessageState.CANCELLED
    assert "quiet hours" in message.last_error


def test_an_opted_out_person_gets_their_login_code_and_nothing_else(app, world, db, gateway, clock):
    now = clock()
    parent = world.parent
    reminder = plan(db, now, person_id=parent.id, to=parent.phone)
    opt_out(db, parent, now)
    later = plan(db, now, body="Planlagt etter STOPP", person_id=parent.id, to=parent.phone)
    plan(db, now, body="Koden din er 123456", purpose=Purpose.OTP, person_id=parent.id, to=parent.phone)
    dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"])
    db.refresh(reminder), db.refresh(later)
    assert gateway.sent == [(parent.phone, "Koden din er 123456")]
    assert reminder.state == later.state == MessageState.CANCELLED
    assert "opted out" in later.last_error


def test_a_send_interrupted_by_a_crash_is_never_resent_when_the_gateway_cannot_tell(db, gateway, clock):
    now = clock()
    message = plan(db, now)
    message.state, message.claimed_at, message.attempts = MessageState.SENDING, now, 1
    db.commit()  # the process died after committing its claim
    dispatch(db, gateway, clock.advance(minutes=1))
    db.refresh(message)
    assert message.state == MessageState.SENDING  # too recent: its sender may still be working
    dispatch(db, gateway, clock.advance(minutes=10))
    db.refresh(message)
    assert gateway.sent == []
    assert message.state == MessageState.FAILED
    assert "outcome unknown, not resent" in message.last_error


@pytest.mark.skipif(not POSTGRES_URL, reason="row locks need PostgreSQL")
def test_two_dispatchers_in_parallel_send_each_of_2000_messages_exactly_once(app, db, clock):
    now = clock()
    for number in range(2000):
        enqueue(db, to=f"+4790{number:06d}", body=f"Melding {number}", purpose=Purpose.REMINDER_DAY, now=now)
    db.commit()
    gateway = ConsoleGateway()
    sessions = app.extensions["natteravn.sessions"]
    start = threading.Barrier(2)

    def dispatcher() -> None:
        with sessions() as session:
            start.wait()
            dispatch_due(session, gateway, now, policy=DispatchPolicy(batch_size=25))

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = [body for _, body in gateway.sent]
    assert len(bodies) == 2000
    assert len(set(bodies)) == 2000
    sent = db.scalar(select(func.count()).where(SmsMessage.state == MessageState.SENT, SmsMessage.attempts == 1))
    assert sent == 2000
