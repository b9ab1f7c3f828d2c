"""A dispatcher asked to stop (the scheduler got SIGTERM) finishes the message in flight and hands
back what it had claimed but not tried, as if it had never claimed it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select

from natteravn.sms.gateway import ConsoleGateway
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import DispatchResult, dispatch_due, enqueue


@dataclass
class StopArrivesDuringFirstSend(ConsoleGateway):
    """The console gateway, during whose first send the process is asked to stop."""

    stop: threading.Event = field(default_factory=threading.Event)

    def send(self, to, body, *, reference=None):
        self.stop.set()
        return super().send(to, body, reference=reference)


def plan(db, now, count: int) -> list[SmsMessage]:
    """Due now, claimed in the order planned."""
    messages = [
        enqueue(db, to=f"+479100000{n}", body=f"Melding {n}", purpose=Purpose.REMINDER_DAY, now=now)
        for n in range(count)
    ]
    db.commit()
    return messages


def test_a_stop_during_a_send_finishes_it_and_hands_back_the_untried_rest(db, clock):
    now = clock()
    first, *rest = plan(db, now, 5)
    rest[0].attempts = 2  # tried twice before, and due again
    db.commit()
    gateway = StopArrivesDuringFirstSend()

    result = dispatch_due(db, gateway, now, stop=gateway.stop)

    assert gateway.sent == [(first.to, first.body)]
    assert (result.sent, result.released) == (1, 4)
    db.expire_all()
    assert first.state == MessageState.SENT
    assert [(m.state, m.attempts) for m in rest] == [(MessageState.PENDING, 2)] + [(MessageState.PENDING, 0)] * 3
    assert not db.scalars(select(SmsMessage).where(SmsMessage.state == MessageState.SENDING)).all()


def test_released_messages_go_out_on_the_next_run(db, clock):
    now = clock()
    plan(db, now, 3)
    gateway = StopArrivesDuringFirstSend()
    dispatch_due(db, gateway, now, stop=gateway.stop)
    dispatch_due(db, gateway, now)
    assert len(gateway.sent) == 3
    db.expire_all()
    assert [m.attempts for m in db.scalars(select(SmsMessage))] == [1, 1, 1]


def test_a_dispatcher_stopped_before_it_starts_claims_nothing(db, gateway, clock):
    now = clock()
    plan(db, now, 2)
    stop = threading.Event()
    stop.set()
    assert dispatch_due(db, gateway, now, stop=stop) == DispatchResult()
    assert gateway.sent == []
    assert {m.state for m in db.scalars(select(SmsMessage))} == {MessageState.PENDING}
