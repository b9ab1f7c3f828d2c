"""Sending through the real `twilio` client to a local server that speaks Twilio's Messages API:
the create and status-callback flow, Twilio's error codes, retries, and recovery after a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from natteravn.cli import cli as natteravn_commands
from natteravn.sms.gateway import make_gateway
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due, enqueue
from tests.twilio_server import API_KEY_SECRET, API_KEY_SID, post_with


def plan(db, now, to="+4791234567", body="Påminnelse: Flisa sentrum fredag 22:00.", **fields) -> SmsMessage:
    message = enqueue(db, to=to, body=body, purpose=fields.pop("purpose", Purpose.REMINDER_DAY), now=now, **fields)
    db.commit()
    return message


@pytest.fixture
def dispatch(app, db, twilio_gateway):
    def run(now) -> None:
        dispatch_due(db, twilio_gateway, now, policy=app.extensions["natteravn.sms_policy"])

    return run


def test_the_twilio_gateway_refuses_to_start_without_credentials_and_names_them():
    with pytest.raises(RuntimeError) as refused:
        make_gateway({"SMS_GATEWAY": "twilio", "BASE_URL": "https://natteravn.example"})
    assert "NATTERAVN_TWILIO_ACCOUNT_SID" in str(refused.value)
    assert "NATTERAVN_TWILIO_AUTH_TOKEN" in str(refused.value)
    assert "NATTERAVN_TWILIO_FROM or NATTERAVN_TWILIO_MESSAGING_SERVICE_SID" in str(refused.value)
    with pytest.raises(RuntimeError, match="NATTERAVN_TWILIO_API_KEY_SECRET"):
        make_gateway(
            {
                "SMS_GATEWAY": "twilio",
                "TWILIO_ACCOUNT_SID": "AC1",
                "TWILIO_API_KEY_SID": "SK1",
                "TWILIO_FROM": "+4759440000",
                "BASE_URL": "https://natteravn.example",
            }
        )


def test_a_message_goes_to_twilio_and_status_callbacks_follow_it_to_delivered(app, db, client, clock, twilio, dispatch):
    message = plan(db, clock())
    dispatch(clock())
    db.refresh(message)
    [stored] = twilio.messages
    assert (stored.to, stored.body, stored.sender) == ("+4791234567", message.body, "+4759440000")
    assert stored.status_callback == f"http://natteravn.test/sms/status?ref={message.id}"
    assert (message.state, message.provider_id, message.attempts) == (MessageState.SENT, stored.sid, 1)

    post = post_with(client)
    assert post(*twilio.status_callback(stored.sid, "sent")).status_code == 204
    assert post(*twilio.status_callback(stored.sid, "delivered")).status_code == 204
    db.refresh(message)
    assert message.state == MessageState.DELIVERED
    # Callbacks can arrive out of order: a late "sent" does not undo "delivered".
    assert post(*twilio.status_callback(stored.sid, "sent")).status_code == 204
    db.refresh(message)
    assert message.state == MessageState.DELIVERED


def test_an_undelivered_callback_records_the_carriers_error(db, client, clock, twilio, dispatch):
    message = plan(db, clock())
    dispatch(clock())
    response = post_with(client)(*twilio.status_callback(twilio.messages[0].sid, "undelivered", error_code=30003))
    assert response.status_code == 204
    db.refresh(message)
    assert (message.state, message.error_code) == (MessageState.UNDELIVERED, 30003)


def test_unsigned_forged_and_unknown_status_callbacks_are_refused(db, client, clock, twilio, dispatch):
    message = plan(db, clock())
    dispatch(clock())
    sid = twilio.messages[0].sid
    post = post_with(client)
    url, form, _ = twilio.status_callback(sid, "failed")
    assert post(url, form, {}).status_code == 403
    assert post(url, form, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code == 403
    tampered = {**form, "MessageStatus": "delivered"}
    assert post(url, tampered, twilio.signed_headers(url, form)).status_code == 403
    unknown = {**form, "MessageSid": "SM" + "0" * 32}
    assert post(url, unknown, twilio.signed_headers(url, unknown)).status_code == 404
    db.refresh(message)
    assert message.state == MessageState.SENT


def test_callbacks_are_refused_when_no_auth_token_is_configured(app, client, db, clock, twilio, dispatch):
    plan(db, clock())
    dispatch(clock())
    app.config["TWILIO_AUTH_TOKEN"] = None
    assert post_with(client)(*twilio.status_callback(twilio.messages[0].sid, "delivered")).status_code == 403


def test_an_invalid_number_fails_at_once_without_retries(db, clock, twilio, dispatch):
    twilio.state.invalid_numbers.add("+4791234567")
    message = plan(db, clock())
    dispatch(clock())
    dispatch(clock.advance(hours=1))
    db.refresh(message)
    assert (message.state, message.error_code, message.attempts) == (MessageState.FAILED, 21211, 1)
    assert len(twilio.creates()) == 1


def test_a_number_twilio_knows_as_opted_out_fails_and_the_person_is_opted_out(world, db, clock, twilio, dispatch):
    parent = world.parent
    twilio.state.opted_out_numbers.add(parent.phone)
    first = plan(db, clock(), to=parent.phone, person_id=parent.id)
    second = plan(db, clock(), to=parent.phone, person_id=parent.id, due_at=clock() + timedelta(days=1))
    dispatch(clock())
    db.refresh(first), db.refresh(second), db.refresh(parent)
    assert (first.state, first.error_code) == (MessageState.FAILED, 21610)
    assert parent.sms_opted_out_at == clock()
    assert second.state == MessageState.CANCELLED


def test_too_many_requests_is_retried_after_a_pause(db, clock, twilio, dispatch):
    twilio.fail_next(429)
    message = plan(db, clock())
    dispatch(clock())
    db.refresh(message)
    assert (message.state, message.error_code) == (MessageState.PENDING, 20429)
    assert message.held_until == clock() + timedelta(seconds=30)
    dispatch(clock.advance(seconds=29))
    assert twilio.messages == []
    dispatch(clock.advance(seconds=1))
    db.refresh(message)
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 2, "")
    assert len(twilio.messages) == 1


def test_refusals_are_retried_with_growing_pauses_and_then_given_up(db, clock, twilio, dispatch):
    twilio.fail_next(429, times=10)
    message = plan(db, clock())
    pauses = []
    for _ in range(5):
        dispatch(clock())
        db.refresh(message)
        if message.state != MessageState.PENDING:
            break
        pauses.append(message.held_until - clock())
        clock.set(message.held_until)
    assert pauses == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert (message.state, message.attempts) == (MessageState.FAILED, 5)
    assert "gave up after 5 attempts" in message.last_error
    dispatch(clock.advance(days=1))
    assert len(twilio.creates()) == 5


def test_an_api_key_and_a_messaging_service_work_instead_of_token_and_sender(app, db, clock, twilio):
    app.config.update(
        twilio.config(
            TWILIO_AUTH_TOKEN=None,
            TWILIO_API_KEY_SID=API_KEY_SID,
            TWILIO_API_KEY_SECRET=API_KEY_SECRET,
            TWILIO_FROM=None,
            TWILIO_MESSAGING_SERVICE_SID="MG" + "a" * 32,
        )
    )
    message = plan(db, clock())
    dispatch_due(db, make_gateway(app.config), clock())
    db.refresh(message)
    [stored] = twilio.messages
    assert (stored.messaging_service_sid, stored.sender, stored.status) == ("MG" + "a" * 32, None, "accepted")
    assert message.state == MessageState.SENT


def test_a_send_whose_answer_was_lost_is_looked_up_at_twilio_not_sent_again(db, clock, twilio, dispatch):
    twilio.fail_next("drop")  # Twilio takes the message; the connection dies before the answer
    message = plan(db, clock())
    dispatch(clock())
    db.refresh(message)
    assert message.state == MessageState.SENDING
    assert "not resent" in message.last_error
    dispatch(clock.advance(minutes=11))
    db.refresh(message)
    [stored] = twilio.messages
    assert (message.state, message.provider_id) == (MessageState.SENT, stored.sid)
    assert len(twilio.creates()) == 1


def test_a_status_callback_settles_a_send_whose_answer_was_lost(db, client, clock, twilio, dispatch):
    twilio.fail_next("drop")
    message = plan(db, clock())
    dispatch(clock())
    response = post_with(client)(*twilio.status_callback(twilio.messages[0].sid, "delivered"))
    assert response.status_code == 204
    db.refresh(message)
    assert (message.state, message.provider_id) == (MessageState.DELIVERED, twilio.messages[0].sid)
    dispatch(clock.advance(minutes=11))
    assert len(twilio.creates()) == 1


def test_a_claim_that_died_before_reaching_twilio_is_sent_once_after_the_check(db, clock, twilio, dispatch):
    message = plan(db, clock())
    message.state, message.claimed_at, message.attempts = MessageState.SENDING, clock(), 1
    db.commit()  # claimed and committed, then the process was killed before calling Twilio
    dispatch(clock.advance(minutes=11))
    dispatch(clock.advance(minutes=11))
    db.refresh(message)
    assert twilio.bodies_to("+4791234567") == [message.body]
    assert (message.state, message.attempts) == (MessageState.SENT, 2)


def test_an_orphan_stays_unresolved_while_twilio_cannot_be_asked_and_is_given_up_later(app, db, clock, twilio):
    message = plan(db, clock())
    message.state, message.claimed_at, message.attempts = MessageState.SENDING, clock(), 1
    db.commit()
    app.config.update(twilio.config(TWILIO_API_BASE="http://127.0.0.1:9"))  # nothing listens there
    unreachable = make_gateway(app.config)
    dispatch_due(db, unreachable, clock.advance(minutes=11))
    db.refresh(message)
    assert message.state == MessageState.SENDING
    assert "could not check" in message.last_error
    dispatch_due(db, unreachable, clock.advance(hours=7))
    db.refresh(message)
    assert message.state == MessageState.FAILED
    assert "outcome unknown, not resent" in message.last_error
    assert twilio.messages == []


def test_the_sms_test_command_prints_twilios_answer(app, twilio_gateway, twilio):
    result = app.test_cli_runner().invoke(natteravn_commands, ["sms", "test", "912 34 567"])
    assert result.exit_code == 0, result.output
    [stored] = twilio.messages
    assert f"provider_id={stored.sid}" in result.output
    assert "to=+4791234567" in result.output


def test_the_sms_test_command_shows_twilios_refusal(app, twilio_gateway, twilio):
    twilio.state.invalid_numbers.add("+4791234567")
    result = app.test_cli_runner().invoke(natteravn_commands, ["sms", "test", "912 34 567"])
    assert result.exit_code == 1
    assert "21211" in result.output


def test_when_twilio_cannot_be_reached_the_message_waits_and_is_tried_again(app, db, clock, twilio):
    app.config.update(twilio.config(TWILIO_API_BASE="http://127.0.0.1:9"))  # refused: nothing was sent
    message = plan(db, clock())
    dispatch_due(db, make_gateway(app.config), clock())
    db.refresh(message)
    assert (message.state, message.held_until) == (MessageState.PENDING, clock() + timedelta(seconds=30))
    assert "could not be reached" in message.last_error
