"""What goes wrong between us and Twilio, through the real `twilio` client and the local server:
which failures are simply tried again, which may have texted the person already and are looked up
first, and how an unanswerable lookup ends."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from twilio.rest import Client

from natteravn.sms.gateway import RedirectedHttpClient, TwilioGateway
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due, enqueue
from tests.twilio_server import ACCOUNT_SID, AUTH_TOKEN

PHONE = "+4791234567"
BODY = "Påminnelse: Flisa sentrum fredag 22:00."


def plan(db, now, to=PHONE, body=BODY) -> SmsMessage:
    message = enqueue(db, to=to, body=body, purpose=Purpose.REMINDER_DAY, now=now)
    db.commit()
    return message


def orphan(db, now, to=PHONE, body=BODY) -> SmsMessage:
    """A message claimed and committed as `sending`, whose process died: did it reach Twilio?"""
    message = plan(db, now, to=to, body=body)
    message.state, message.claimed_at, message.attempts = MessageState.SENDING, now, 1
    db.commit()
    return message


@pytest.fixture
def impatient(twilio):
    """The Twilio gateway with a short request timeout, so a stalled request gives up quickly."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=RedirectedHttpClient(twilio.url, timeout=0.5))
    return TwilioGateway(client, sender="+4759440000")


@pytest.fixture
def dispatch(app, db, twilio_gateway):
    def run(now, gateway=twilio_gateway) -> None:
        dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"])

    return run


# --- Looking up a send whose outcome is unknown. ---


@pytest.mark.parametrize("failure", [429, 500, 503, 502, "drop", "stall"])
def test_an_orphan_twilio_cannot_be_asked_about_waits_and_after_six_hours_fails_unsent(
    db, clock, twilio, dispatch, impatient, failure
):
    unknown = orphan(db, clock())
    other = plan(db, clock(), to="+4791111111", body="Du er med på lørdag.")
    twilio.fail_next(failure, times=2, on="list")

    dispatch(clock.advance(minutes=11), impatient)  # one bad answer does not stop the run
    db.refresh(unknown), db.refresh(other)
    assert unknown.state == MessageState.SENDING
    assert "could not check" in unknown.last_error
    assert other.state == MessageState.SENT

    dispatch(clock.advance(hours=7), impatient)
    db.refresh(unknown)
    assert unknown.state == MessageState.FAILED
    assert "outcome unknown, not resent" in unknown.last_error
    assert twilio.bodies_to(PHONE) == []


def test_an_orphan_is_settled_once_twilio_answers_the_lookup_again(db, clock, twilio, dispatch):
    unknown = orphan(db, clock())
    twilio.fail_next(503, on="list")
    dispatch(clock.advance(minutes=11))
    dispatch(clock.advance(minutes=11))
    db.refresh(unknown)
    assert (unknown.state, unknown.attempts) == (MessageState.SENT, 2)
    assert twilio.bodies_to(PHONE) == [BODY]


def test_a_lookup_reads_twilios_list_only_back_to_the_claim(db, clock, twilio, dispatch):
    # Last week's reminders, word for word the same: older than the claim, so not this message.
    for day in range(120):
        twilio.already_sent(PHONE, BODY, clock() - timedelta(days=7, minutes=day))
    unknown = orphan(db, clock())
    dispatch(clock.advance(minutes=11))
    db.refresh(unknown)
    assert unknown.state == MessageState.SENT
    assert len(twilio.lists()) == 1  # one page, not every page back to the 120th message
    assert len(twilio.creates()) == 1


def test_a_lookup_reads_on_to_the_next_page_while_messages_are_newer_than_the_claim(db, clock, twilio, dispatch):
    unknown = orphan(db, clock())
    sent = twilio.already_sent(PHONE, BODY, clock() + timedelta(seconds=1))
    for minute in range(60):
        twilio.already_sent(PHONE, f"Ny natt {minute}", clock() + timedelta(minutes=1 + minute))
    dispatch(clock.advance(hours=2))
    db.refresh(unknown)
    assert (unknown.state, unknown.provider_id) == (MessageState.SENT, sent.sid)
    assert twilio.creates() == []


# --- Sending: refused (try again) or perhaps taken (look it up). ---


@pytest.mark.parametrize("failure", [500, 503, 502])
def test_a_server_error_answering_a_send_is_looked_up_before_it_is_sent_again(db, clock, twilio, dispatch, failure):
    twilio.fail_next(failure)
    message = plan(db, clock())
    dispatch(clock())
    db.refresh(message)
    assert message.state == MessageState.SENDING
    assert "not resent" in message.last_error
    dispatch(clock.advance(minutes=1))
    assert len(twilio.creates()) == 1

    dispatch(clock.advance(minutes=10))  # Twilio has no such message: it never took it
    db.refresh(message)
    assert (message.state, message.attempts) == (MessageState.SENT, 2)
    assert twilio.bodies_to(PHONE) == [BODY]


def test_a_message_twilio_took_before_answering_500_is_not_sent_twice(db, clock, twilio, dispatch):
    twilio.fail_next("taken-then-500")
    message = plan(db, clock())
    dispatch(clock())
    dispatch(clock.advance(minutes=11))
    db.refresh(message)
    [stored] = twilio.messages
    assert (message.state, message.provider_id, message.attempts) == (MessageState.SENT, stored.sid, 1)
    assert len(twilio.creates()) == 1


def test_a_send_that_times_out_is_looked_up_not_sent_again(db, clock, twilio, dispatch, impatient):
    twilio.fail_next("stall")  # Twilio takes the message and the answer never comes in time
    message = plan(db, clock())
    dispatch(clock(), impatient)
    db.refresh(message)
    assert message.state == MessageState.SENDING
    dispatch(clock.advance(minutes=11), impatient)
    db.refresh(message)
    [stored] = twilio.messages
    assert (message.state, message.provider_id) == (MessageState.SENT, stored.sid)
    assert len(twilio.creates()) == 1


def test_a_send_that_keeps_failing_with_server_errors_is_given_up_after_the_last_attempt(
    app, db, clock, twilio, dispatch
):
    twilio.fail_next(500, times=20)
    message = plan(db, clock())
    for _ in range(10):
        dispatch(clock.advance(minutes=11))
        db.refresh(message)
        if message.state == MessageState.FAILED:
            break
    max_attempts = app.extensions["natteravn.sms_policy"].max_attempts
    assert message.attempts == max_attempts
    assert "gave up after" in message.last_error
    assert len(twilio.creates()) == max_attempts
    dispatch(clock.advance(days=1))
    assert len(twilio.creates()) == max_attempts


# --- What the Twilio client writes to the log. ---


def test_sending_and_looking_up_an_sms_logs_no_line_with_the_phone_number_at_info(db, clock, twilio, dispatch, caplog):
    caplog.set_level(logging.INFO)
    twilio.fail_next("drop")
    plan(db, clock())
    dispatch(clock())
    dispatch(clock.advance(minutes=11))  # the lookup asks Twilio for the messages To=<the number>
    assert len(twilio.lists()) == 1
    assert [r.getMessage() for r in caplog.records if "4791234567" in r.getMessage()] == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("twilio")] == []
