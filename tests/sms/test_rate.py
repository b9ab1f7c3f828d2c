"""The provider's rate (`SMS_RATE_PER_SECOND`): however many dispatchers run, Twilio receives no more
SMS in any second than the rate, counted where they arrive, by the second of arrival."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from natteravn.config import ConfigError
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import DispatchPolicy, dispatch_due, enqueue, rate_per_second
from tests.twilio_server import TwilioServer


def plan(db, now, count: int, *, body: str = "Natteravn i kveld: Flisa sentrum kl 22:00. Melding {number}") -> None:
    for number in range(count):
        enqueue(db, to=f"+4790{number:06d}", body=body.format(number=number), purpose=Purpose.REMINDER_DAY, now=now)
    db.commit()


def per_second(twilio: TwilioServer) -> Counter[int]:
    """How many SMS segments reached Twilio in each second of its clock."""
    return Counter(int(message.received.timestamp()) for message in twilio.messages)


def dispatch_with(app, gateway, now, dispatchers: int, rate: int) -> None:
    """`dispatchers` dispatchers at once, each with its own session, as scheduler processes have."""
    sessions = app.extensions["natteravn.sessions"]
    policy = DispatchPolicy(rate_per_second=rate, batch_size=5)
    start = threading.Barrier(dispatchers)

    def dispatcher() -> None:
        with sessions() as session:
            start.wait()
            dispatch_due(session, gateway, now, policy=policy)

    threads = [threading.Thread(target=dispatcher) for _ in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("dispatchers", [1, 2], ids=["one dispatcher", "two dispatchers"])
def test_twilio_receives_no_more_sms_in_any_second_than_the_rate(app, db, clock, twilio, twilio_gateway, dispatchers):
    plan(db, clock(), 24)

    dispatch_with(app, twilio_gateway, clock(), dispatchers, rate=6)

    counts = per_second(twilio)
    assert sum(counts.values()) == 24
    assert max(counts.values()) <= 6, counts
    assert len(counts) >= 4  # 24 at 6 a second need four seconds at least
    assert len({message.to for message in twilio.messages}) == 24  # each once
    sent = db.scalar(select(func.count()).where(SmsMessage.state == MessageState.SENT, SmsMessage.attempts == 1))
    assert sent == 24


def test_a_message_of_two_segments_counts_twice_as_twilio_counts_it(app, db, clock, twilio, twilio_gateway):
    two_segments = "Natteravn i kveld: Flisa sentrum kl 22:00, oppmøte Flisa skysstasjon. " * 3 + "{number}"
    plan(db, clock(), 6, body=two_segments)
    assert set(db.scalars(select(SmsMessage.segments))) == {2}

    dispatch_with(app, twilio_gateway, clock(), 2, rate=4)

    counts = per_second(twilio)
    assert sum(counts.values()) == 6
    assert max(counts.values()) <= 2, counts  # four segments a second: two such messages


def test_a_dispatcher_asked_to_stop_while_waiting_for_the_next_second_hands_its_claims_back(
    db, clock, twilio, twilio_gateway
):
    plan(db, clock(), 3)
    stop = threading.Event()

    class StopAfterFirstSend:
        name = "twilio"

        def send(self, to, body, *, reference=None):
            sent = twilio_gateway.send(to, body, reference=reference)
            stop.set()
            return sent

        def lookup(self, *args):
            return twilio_gateway.lookup(*args)

    result = dispatch_due(db, StopAfterFirstSend(), clock(), policy=DispatchPolicy(rate_per_second=1), stop=stop)

    assert (result.sent, result.released) == (1, 2)
    assert len(twilio.messages) == 1
    pending = db.scalars(select(SmsMessage).where(SmsMessage.state == MessageState.PENDING)).all()
    assert [message.attempts for message in pending] == [0, 0]


def test_the_rate_defaults_to_what_the_sender_is_sure_to_manage():
    assert rate_per_second({"SMS_GATEWAY": "console"}) == 0
    assert rate_per_second({"SMS_GATEWAY": "twilio", "TWILIO_FROM": "+4759440000"}) == 1
    assert rate_per_second({"SMS_GATEWAY": "twilio", "TWILIO_MESSAGING_SERVICE_SID": "MG1"}) == 10
    assert rate_per_second({"SMS_GATEWAY": "twilio", "TWILIO_FROM": "+4759440000", "SMS_RATE_PER_SECOND": 150}) == 150
    assert rate_per_second({"SMS_GATEWAY": "twilio", "TWILIO_FROM": "+4759440000", "SMS_RATE_PER_SECOND": 0}) == 0


def test_a_rate_that_is_not_a_whole_number_of_sms_refuses_to_start(monkeypatch):
    from natteravn import create_app

    monkeypatch.setenv("NATTERAVN_SMS_RATE_PER_SECOND", "150")
    assert create_app({"TESTING": True}).extensions["natteravn.sms_policy"].rate_per_second == 150
    monkeypatch.setenv("NATTERAVN_SMS_RATE_PER_SECOND", "-1")
    with pytest.raises(ConfigError, match="SMS_RATE_PER_SECOND"):
        create_app({"TESTING": True})
