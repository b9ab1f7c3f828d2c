"""SMS people send us: Twilio's signed webhook, keywords however they are typed, and answers in
the sender's language (TwiML), each kept in the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from natteravn.shifts import service
from natteravn.shifts.models import SignupRole, SignupState
from natteravn.sms.keywords import keyword_of
from natteravn.sms.models import InboundSms, MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due, enqueue
from tests.twilio_server import post_with

BASE = "http://natteravn.test"


@pytest.fixture
def texts(client, twilio, twilio_gateway):
    """`texts(phone, body)` delivers an SMS to the app as Twilio would and returns the response."""
    post = post_with(client)

    def send(phone: str, body: str, **options):
        return post(*twilio.inbound(BASE, phone, body, **options))

    return send


def answer_of(response) -> str:
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/xml"
    return response.text


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("JA", "YES"),
        ("ja", "YES"),
        (" Ja! ", "YES"),
        ("Jaa", "YES"),
        ("jå", "YES"),
        ("Ja, jeg kommer", "YES"),
        ("yes", "YES"),
        ("Y", "YES"),
        ("NEI", "NO"),
        ("nei.", "NO"),
        ("No", "NO"),
        ("n", "NO"),
        ("STOPP", "STOP"),
        ("Stop", "STOP"),
        ("start", "START"),
        ("HJELP", "HELP"),
        ("help?", "HELP"),
        ("Hei, hva skjer?", "UNKNOWN"),
        ("", "UNKNOWN"),
    ],
)
def test_keywords_are_read_whatever_the_case_spacing_punctuation_or_accents(body, keyword):
    assert keyword_of(body) == keyword


def test_an_unsigned_or_forged_webhook_is_refused(world, db, texts):
    assert texts(world.parent.phone, "STOPP", sign=False).status_code == 403
    db.refresh(world.parent)
    assert world.parent.sms_opted_out_at is None
    assert db.scalar(select(func.count()).select_from(InboundSms)) == 0


def test_without_a_twilio_auth_token_no_webhook_is_let_in(world, client, twilio):
    # The console set-up has no token: nothing can prove a request came from Twilio.
    response = post_with(client)(*twilio.inbound(BASE, world.parent.phone, "STOPP"))
    assert response.status_code == 403


def test_stopp_opts_out_cancels_what_is_planned_and_answers(world, db, clock, texts):
    parent = world.parent
    reminder = enqueue(
        db, to=parent.phone, body="Påminnelse", purpose=Purpose.REMINDER_DAY, now=clock(), person_id=parent.id
    )
    db.commit()
    answer = answer_of(texts(parent.phone, "Stopp"))
    assert "<Response><Message>" in answer
    db.refresh(parent), db.refresh(reminder)
    assert parent.sms_opted_out_at == clock()
    assert reminder.state == MessageState.CANCELLED
    [inbound] = db.scalars(select(InboundSms)).all()
    assert (inbound.sender, inbound.keyword, inbound.person_id) == (parent.phone, "STOP", parent.id)
    reply = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.REPLY))
    assert (reply.to, reply.state, reply.person_id) == (parent.phone, MessageState.SENT, parent.id)
    assert reply.body in answer


def test_start_opts_back_in(world, db, clock, texts):
    texts(world.parent.phone, "STOPP")
    answer_of(texts(world.parent.phone, "START"))
    db.refresh(world.parent)
    assert world.parent.sms_opted_out_at is None


def test_help_answers_in_the_senders_language(world, db, texts):
    world.parent.locale = "en"
    db.commit()
    answer = answer_of(texts(world.parent.phone, "hjelp"))
    assert "answer YES to confirm your next night" in answer


def test_text_nobody_understands_gets_a_short_help(world, db, texts):
    world.parent.locale = "en"
    db.commit()
    answer = answer_of(texts(world.parent.phone, "Hei, hva skjer?"))
    assert "did not understand" in answer


def test_an_unknown_number_gets_a_polite_answer_with_no_data(world, db, texts):
    answer = answer_of(texts("+4799999999", "JA"))
    assert "Natteravn" in answer
    assert "Flisa" not in answer and world.parent.name not in answer
    inbound = db.scalar(select(InboundSms))
    assert (inbound.person_id, inbound.keyword) == (None, "YES")


def test_an_unknown_number_texting_stop_gets_no_sms_back(world, db, texts):
    answer = answer_of(texts("+4799999999", "STOP"))
    assert "<Message>" not in answer  # an empty TwiML response: Twilio sends nothing
    inbound = db.scalar(select(InboundSms))
    assert (inbound.person_id, inbound.keyword, inbound.answer) == (None, "STOP", "")
    assert db.scalar(select(func.count()).select_from(SmsMessage)) == 0
    assert db.scalar(select(func.count()).where(Person.sms_opted_out_at.is_not(None))) == 0


def test_ja_goes_to_the_shift_replies(world, texts):
    answer = answer_of(texts(world.parent.phone, "JA"))
    assert "/nights" in answer  # no nights yet: a link to find one


def test_a_webhook_delivered_twice_acts_once_and_answers_the_same(world, db, texts):
    first = answer_of(texts(world.parent.phone, "STOPP", sid="SM" + "1" * 32))
    again = answer_of(texts(world.parent.phone, "STOPP", sid="SM" + "1" * 32))
    assert first == again
    assert db.scalar(select(func.count()).select_from(InboundSms)) == 1
    assert db.scalar(select(func.count()).where(SmsMessage.purpose == Purpose.REPLY)) == 1


def test_a_no_that_means_yes_keeps_the_night_and_asks_for_a_plain_answer(
    world, db, clock, links, texts, twilio_gateway
):
    world.parent.locale = "en"
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", date(2026, 11, 27)).id, SignupRole.WALKER, clock(), links
    )
    clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # Wednesday's reminder asks JA or NEI
    db.commit()
    dispatch_due(db, twilio_gateway, clock())
    answer = answer_of(texts(world.parent.phone, "Nei, jeg kommer likevel"))
    db.refresh(signup)
    assert signup.state == SignupState.SIGNED_UP
    assert "did not understand" in answer

    answer_of(texts(world.parent.phone, "Kan dessverre ikke likevel, beklager"))
    db.refresh(signup)
    assert signup.state == SignupState.CANCELLED


# --- A NEI that does not say which night. ---


def nights_of_kari(world, db, clock, links):
    """Kari walks Flisa sentrum on Friday 27.11 and Kjellmyra on Friday 4.12."""
    world.parent.locale = "en"
    first = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", date(2026, 11, 27)).id, SignupRole.WALKER, clock(), links
    )
    second = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", date(2026, 12, 4)).id, SignupRole.WALKER, clock(), links
    )
    db.commit()
    return first, second


def test_an_unprompted_nei_takk_keeps_the_night_and_asks_which(world, db, clock, links, texts):
    first, second = nights_of_kari(world, db, clock, links)
    clock.set(datetime(2026, 11, 19, 9, 0, tzinfo=UTC))  # eight days before the first night

    answer = answer_of(texts(world.parent.phone, "Nei takk"))
    db.refresh(first), db.refresh(second)
    assert first.state == second.state == SignupState.SIGNED_UP
    assert "which night can you not come to? 1) Flisa sentrum 27.11, 2) Kjellmyra 04.12" in answer
    assert "NEI 2" in answer and "Without an answer you stay on" in answer

    answer = answer_of(texts(world.parent.phone, "Nei 2"))
    db.refresh(first), db.refresh(second)
    assert (first.state, second.state) == (SignupState.SIGNED_UP, SignupState.CANCELLED)
    assert "no longer on Kjellmyra on 04.12" in answer


def test_the_second_answer_may_name_the_night_by_its_date(world, db, clock, links, texts):
    first, second = nights_of_kari(world, db, clock, links)
    answer_of(texts(world.parent.phone, "Nei, jeg kan ikke"))
    answer = answer_of(texts(world.parent.phone, "27.11"))
    db.refresh(first), db.refresh(second)
    assert (first.state, second.state) == (SignupState.CANCELLED, SignupState.SIGNED_UP)
    assert "no longer on Flisa sentrum on 27.11" in answer


def test_with_one_night_ja_confirms_the_cancellation_and_silence_keeps_it(world, db, clock, links, texts):
    world.parent.locale = "en"
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", date(2026, 11, 27)).id, SignupRole.WALKER, clock(), links
    )
    db.commit()
    answer = answer_of(texts(world.parent.phone, "nei"))
    assert "do you want to cancel Flisa sentrum on 27.11 at 22:00? Answer JA to cancel it" in answer

    clock.advance(hours=3)  # no answer for a while: the question is closed, the night kept
    answer = answer_of(texts(world.parent.phone, "Ja"))
    db.refresh(signup)
    assert signup.state == SignupState.CONFIRMED and "confirmed for Flisa sentrum" in answer

    answer_of(texts(world.parent.phone, "Nei"))
    answer_of(texts(world.parent.phone, "Ja takk"))
    db.refresh(signup)
    assert signup.state == SignupState.CANCELLED


def test_a_reminder_sent_after_the_question_closes_it(world, db, clock, links, texts, twilio_gateway):
    world.parent.locale = "en"
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", date(2026, 11, 27)).id, SignupRole.WALKER, clock(), links
    )
    clock.set(datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    db.commit()
    answer_of(texts(world.parent.phone, "Nei"))  # before Wednesday's reminder: asked which night
    clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    dispatch_due(db, twilio_gateway, clock())  # "Reply JA to confirm or NEI if you cannot come."
    clock.advance(minutes=5)

    answer_of(texts(world.parent.phone, "JA"))  # answers the reminder, not the old question
    db.refresh(signup)
    assert signup.state == SignupState.CONFIRMED


def test_a_nei_naming_another_date_than_the_reminded_night_asks(world, db, clock, links, texts, twilio_gateway):
    first, second = nights_of_kari(world, db, clock, links)
    clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    db.commit()
    dispatch_due(db, twilio_gateway, clock())  # the reminder of Friday 27.11

    answer = answer_of(texts(world.parent.phone, "Nei, kan ikke 4.12"))
    db.refresh(first), db.refresh(second)
    assert first.state == second.state == SignupState.SIGNED_UP
    assert "which night" in answer
    answer_of(texts(world.parent.phone, "NEI 04.12"))
    db.refresh(first), db.refresh(second)
    assert (first.state, second.state) == (SignupState.SIGNED_UP, SignupState.CANCELLED)


# --- STOP and START. ---


def test_start_brings_back_the_reminders_still_ahead_for_nights_still_held(world, db, clock, links, texts):
    kept, left = nights_of_kari(world, db, clock, links)
    answer_of(texts(world.parent.phone, "STOPP"))
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday: Wednesday's reminder is past
    service.cancel_signup(db, world.parent, left.id, clock(), links)
    db.commit()

    answer = answer_of(texts(world.parent.phone, "START"))
    assert "welcome back" in answer
    pending = db.scalars(
        select(SmsMessage).where(SmsMessage.person_id == world.parent.id, SmsMessage.state == MessageState.PENDING)
    ).all()
    assert [(m.purpose, m.signup_id, m.due_at) for m in pending] == [
        (Purpose.REMINDER_DAY, kept.id, datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    ]
    answer_of(texts(world.parent.phone, "START"))  # a second START plans nothing twice
    assert db.scalar(select(func.count()).where(SmsMessage.state == MessageState.PENDING)) == 1
