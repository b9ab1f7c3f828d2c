"""E-mail as a second channel through the same outbox, sent to a real SMTP server on localhost: the
message arrives with its subject, text and sender, a dispatcher run twice sends it once, and a
failure is told apart as the SMS gateway's are (tried again, failed for good, or an unknown outcome
never sent again)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from natteravn import scheduler
from natteravn.accounts import service as accounts
from natteravn.shifts import service as shifts
from natteravn.shifts.models import SignupRole
from natteravn.sms.mail import SmtpMailer
from natteravn.sms.models import Channel, MessageState, Purpose, SmsMessage
from natteravn.sms.service import DispatchPolicy, dispatch_due, enqueue
from tests import factories
from tests.databases import POSTGRES_URL
from tests.smtp_server import SmtpServer

FRIDAY = date(2026, 11, 27)
ADDRESS = "mari@example.no"


@pytest.fixture
def mari(world, db, clock):
    """A parent in Åsnes who chose e-mail."""
    person = factories.person(db, world.asnes, "Mari Epost", clock(), email=ADDRESS)
    db.commit()
    return person


@pytest.fixture
def dispatch(app, db, smtp_mailer, gateway):
    def run(now, mailer=smtp_mailer):
        return dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"], mailer=mailer)

    return run


def reminder(db, now, person, body="Natteravn: Flisa sentrum on 27.11 at 22:00.") -> SmsMessage:
    message = enqueue(
        db,
        to=person.phone,
        body=body,
        purpose=Purpose.REMINDER_DAY,
        now=now,
        person_id=person.id,
        email=person.mail_to,
        locale=person.locale,
    )
    db.commit()
    return message


def test_signing_up_by_email_sends_the_confirmation_as_an_email(world, mari, db, clock, links, smtp, dispatch, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    shifts.sign_up(db, mari, night.id, SignupRole.WALKER, clock(), links)
    db.commit()

    dispatch(clock())

    (received,) = smtp.to(ADDRESS)
    assert received["Subject"] == "Natteravn: your night"
    assert received["From"] == "Natteravn Solør <natteravn@solor.example>"
    assert "you walk Flisa sentrum on 27.11 at 22:00" in received.get_content()
    assert links.night(night.id) in received.get_content()
    assert gateway.sent == []  # no SMS besides
    confirmation = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.SIGNUP_CONFIRMATION)).one()
    db.refresh(confirmation)
    assert confirmation.channel == Channel.EMAIL and confirmation.email == ADDRESS
    assert confirmation.state == MessageState.SENT
    assert received["Message-ID"] == f"<{confirmation.provider_id}@solor.example>"


def test_the_subject_is_in_the_persons_language(world, db, clock, smtp, dispatch):
    kari = factories.person(db, world.asnes, "Kari Bokmål", clock(), email="kari@example.no", locale="nb")
    db.commit()
    reminder(db, clock(), kari)
    dispatch(clock())
    (received,) = smtp.to("kari@example.no")
    assert received["Subject"] == "Natteravn i kveld"


def test_a_dispatcher_run_twice_sends_an_email_once(mari, db, clock, smtp, dispatch):
    reminder(db, clock(), mari)
    first = dispatch(clock())
    second = dispatch(clock() + timedelta(minutes=1))
    assert (first.sent, second.sent) == (1, 0)
    assert len(smtp.to(ADDRESS)) == 1


def test_a_dispatcher_without_a_mailer_leaves_emails_to_one_that_has_it(mari, world, db, clock, smtp, app, gateway):
    message = reminder(db, clock(), mari)
    sms = reminder(db, clock(), world.parent)
    dispatch_due(db, gateway, clock(), policy=app.extensions["natteravn.sms_policy"])
    db.refresh(message), db.refresh(sms)
    assert (message.state, sms.state) == (MessageState.PENDING, MessageState.SENT)
    assert smtp.received == []


def test_an_address_the_server_refuses_fails_at_once(mari, db, clock, smtp, dispatch):
    message = reminder(db, clock(), mari)
    smtp.refuse_next.append("550 5.1.1 No such user here")
    result = dispatch(clock())
    db.refresh(message)
    assert result.failed == 1
    assert message.state == MessageState.FAILED and message.error_code == 550
    assert "No such user" in message.last_error
    dispatch(clock() + timedelta(hours=1))
    assert smtp.received == []


def test_a_temporary_refusal_is_tried_again_after_a_pause(mari, db, clock, smtp, dispatch):
    message = reminder(db, clock(), mari)
    smtp.refuse_next.append("451 4.7.1 Greylisted, try again later")
    assert dispatch(clock()).retrying == 1
    db.refresh(message)
    assert message.state == MessageState.PENDING and message.held_until > clock()
    assert dispatch(clock() + timedelta(seconds=5)).sent == 0  # not before the pause is over
    assert dispatch(clock() + timedelta(minutes=1)).sent == 1
    assert len(smtp.to(ADDRESS)) == 1


def test_an_unreachable_mail_server_is_tried_again(mari, db, clock, smtp, dispatch):
    message = reminder(db, clock(), mari)
    closed = SmtpMailer(host="127.0.0.1", port=_closed_port(), sender="natteravn@solor.example", starttls=False)
    assert dispatch(clock(), mailer=closed).retrying == 1
    db.refresh(message)
    assert message.state == MessageState.PENDING and "could not be reached" in message.last_error
    assert dispatch(clock() + timedelta(minutes=1)).sent == 1


def test_a_server_that_stops_answering_while_taking_the_email_is_never_sent_it_again(mari, db, clock, smtp, dispatch):
    """It took the message but answered only after we had given up: it may be in the person's
    inbox, and a mail server keeps no record to ask."""
    message = reminder(db, clock(), mari)
    smtp.answer_late.append(1.5)
    impatient = SmtpMailer(host="127.0.0.1", port=smtp.port, sender="natteravn@solor.example", starttls=False)
    impatient.timeout = 0.5
    result = dispatch(clock(), mailer=impatient)
    db.refresh(message)
    assert result.failed == 1
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("outcome unknown, not resent")
    dispatch(clock() + timedelta(hours=7))
    assert len(smtp.to(ADDRESS)) == 1


def test_an_email_left_sending_by_a_crash_is_given_up_not_resent(mari, db, clock, smtp, dispatch):
    message = reminder(db, clock(), mari)
    message.state, message.claimed_at, message.attempts = MessageState.SENDING, clock(), 1
    db.commit()
    dispatch(clock() + timedelta(minutes=5))
    db.refresh(message)
    assert message.state == MessageState.SENDING  # it may still be on its way
    dispatch(clock() + timedelta(minutes=11))
    db.refresh(message)
    assert message.state == MessageState.FAILED and "outcome unknown, not resent" in message.last_error
    assert smtp.received == []


def test_the_mailer_logs_in_when_a_user_is_set(app, mari, db, clock):
    from natteravn.sms.mail import make_mailer

    with SmtpServer(login=True) as server:
        mailer = make_mailer(server.config())
        reminder(db, clock(), mari)
        dispatch_due(db, app.extensions["natteravn.gateway"], clock(), mailer=mailer)
        assert server.logins == ["natteravn"]
        assert len(server.to(ADDRESS)) == 1


def test_the_scheduler_sends_email_through_the_configured_server(app, mari, db, clock, smtp, smtp_mailer):
    reminder(db, clock(), mari)
    scheduler.dispatch_sms(scheduler.context_from(app))
    assert len(smtp.to(ADDRESS)) == 1


def test_stop_ends_sms_but_not_email(world, mari, db, clock, smtp, dispatch, gateway):
    mari.sms_opted_out_at = clock()
    accounts.opt_out(db, world.parent, clock())
    db.commit()
    by_email, by_sms = reminder(db, clock(), mari), reminder(db, clock(), world.parent)
    dispatch(clock())
    db.refresh(by_email), db.refresh(by_sms)
    assert by_email.state == MessageState.SENT and len(smtp.to(ADDRESS)) == 1
    assert by_sms.state == MessageState.CANCELLED and gateway.sent == []


def test_an_email_costs_no_sms_segments_in_the_outbox(mari, db, clock, login, world, smtp, dispatch, client):
    reminder(db, clock(), mari)
    dispatch(clock())
    login(world.coordinator)
    page = client.get("/coordinator/outbox?purpose=reminder_day").text
    assert ADDRESS in page and "E-mail" in page


def _closed_port() -> int:
    from tests.smtp_server import _free_port

    return _free_port()


@pytest.mark.skipif(not POSTGRES_URL, reason="row locks need PostgreSQL")
def test_two_dispatchers_in_parallel_send_each_email_once(app, db, clock, smtp, smtp_mailer, gateway):
    for number in range(200):
        address = f"walker{number}@example.no"
        enqueue(
            db, to=f"+4790{number:06d}", body=f"Melding {number}", purpose=Purpose.BROADCAST, now=clock(), email=address
        )
    db.commit()
    sessions = app.extensions["natteravn.sessions"]
    start = threading.Barrier(2)

    def dispatcher() -> None:
        with sessions() as session:
            start.wait()
            dispatch_due(session, gateway, clock(), policy=DispatchPolicy(batch_size=10), mailer=smtp_mailer)

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = sorted(message["To"] for message in smtp.received)
    assert received == sorted(f"walker{number}@example.no" for number in range(200))


@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_kind_of_message_has_an_e_mail_subject_in_the_persons_language(db, clock, purpose):
    message = enqueue(
        db, to="+4791234567", body="Hei", purpose=purpose, now=clock(), email="kari@example.no", locale="nb"
    )
    assert message.subject.startswith(("Natteravn", "Innloggingskoden"))
