"""Each person chooses on their profile whether reminders, news and login codes come by SMS or by
e-mail; the login page still asks for the phone number and the code goes where they chose."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from natteravn.accounts import service
from natteravn.privacy import service as privacy
from natteravn.roster import service as roster
from natteravn.sms.models import Channel, MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue
from tests import factories

ADDRESS = "mari@example.no"


def profile_form(world, person, **changes) -> dict:
    values = {
        "name": person.name,
        "municipality": str(person.municipality_id),
        "school_class": "0",
        "locale": person.locale,
        "channel": "sms",
        "email": "",
    }
    return {**values, **changes}


def reminder(db, now, person) -> SmsMessage:
    message = enqueue(
        db,
        to=person.phone,
        body="Natteravn: husk lørdag.",
        purpose=Purpose.REMINDER_DAY,
        now=now,
        person_id=person.id,
        locale=person.locale,
    )
    db.commit()
    return message


# --- The profile. ---


def test_the_profile_offers_sms_or_email(world, login, client):
    login(world.parent)
    page = client.get("/profile").text
    assert 'type="radio"' in page and 'value="email"' in page and 'checked id="channel-0"' in page
    assert 'type="email"' in page and "E-mail address" in page


def test_choosing_email_without_an_address_is_refused_on_the_address_field(world, db, login, client):
    login(world.parent)
    response = client.post("/profile", data=profile_form(world, world.parent, channel="email", name="Kari N."))
    assert response.status_code == 422
    assert 'id="email-error">Write your e-mail address to get messages by e-mail.' in response.text
    db.expire_all()
    assert (world.parent.channel, world.parent.name) == (Channel.SMS, "Kari Nordmann")  # nothing saved


def test_an_address_that_is_not_one_is_refused(world, login, client):
    login(world.parent)
    response = client.post("/profile", data=profile_form(world, world.parent, channel="email", email="kari@"))
    assert response.status_code == 422
    assert "That is not an e-mail address. Write it like kari@example.no." in response.text


def test_choosing_email_moves_the_waiting_messages_to_email_and_back(world, db, clock, login, client):
    waiting = reminder(db, clock(), world.parent)
    gone = reminder(db, clock(), world.parent)
    gone.state = MessageState.SENT
    db.commit()
    login(world.parent)
    form = profile_form(world, world.parent, channel="email", email=" Kari.Nordmann@Example.NO ")
    assert client.post("/profile", data=form).status_code == 302
    db.expire_all()
    assert (world.parent.channel, world.parent.email) == (Channel.EMAIL, "Kari.Nordmann@example.no")
    assert (waiting.channel, waiting.email) == (Channel.EMAIL, "Kari.Nordmann@example.no")
    assert waiting.subject == "Natteravn tonight"
    assert gone.channel == Channel.SMS

    assert client.post("/profile", data={**form, "channel": "sms"}).status_code == 302
    db.expire_all()
    assert (world.parent.channel, world.parent.email) == (Channel.SMS, "Kari.Nordmann@example.no")
    assert (waiting.channel, waiting.email) == (Channel.SMS, None)


def test_a_newly_planned_message_follows_the_choice(world, db, clock, links):
    night = world.nights[3]
    factories.signup(db, night, world.parent, clock())
    service.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    roster.cancel_night(db, night, "Storm", clock(), links, world.coordinator)
    db.commit()
    (news,) = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CANCELLED))
    assert (news.channel, news.email, news.subject) == (Channel.EMAIL, ADDRESS, "Natteravn: night cancelled")
    assert news.region_id == world.region.id


# --- Logging in. ---


@pytest.fixture
def mari(world, db, clock):
    person = factories.person(db, world.asnes, "Mari Epost", clock(), email=ADDRESS)
    db.commit()
    return person


def test_the_login_page_says_the_code_may_come_by_email(client):
    page = client.get("/login").text
    assert "Chose e-mail on your profile? Then the code comes by e-mail instead" in page


def test_someone_who_chose_email_gets_the_login_code_by_email(mari, client, gateway, smtp, smtp_mailer):
    response = client.post("/login", data={"phone": "+47 " + mari.phone[3:]})
    assert response.status_code == 302
    assert gateway.sent == []
    (received,) = smtp.to(ADDRESS)
    assert received["Subject"] == "Your Natteravn login code"
    code = re.search(r"\b(\d{6})\b", received.get_content()).group(1)
    page = client.get("/login/code").text
    assert "We sent a six-digit code by e-mail to m***@example.no, as you chose on your profile." in page
    assert ADDRESS not in page  # whoever typed the number learns no more than a hint
    assert "Code from the e-mail" in page
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get("/my").status_code == 200


def test_the_login_code_left_in_the_outbox_is_masked_once_sent(mari, db, client, smtp, smtp_mailer):
    client.post("/login", data={"phone": mari.phone})
    message = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.OTP)).one()
    assert message.channel == Channel.EMAIL and message.state == MessageState.SENT
    assert "******" in message.body


def test_an_email_login_code_that_cannot_be_sent_says_so(mari, client, smtp, smtp_mailer):
    smtp.refuse_next.append("550 5.1.1 No such user")
    response = client.post("/login", data={"phone": mari.phone})
    assert response.status_code == 422
    assert "We could not send the code to your e-mail address." in response.text


def test_a_number_nobody_has_gets_its_code_by_sms(world, client, gateway, mailer):
    client.post("/login", data={"phone": "+4792345678"})
    assert gateway.sent and mailer.sent == []


# --- Their own data. ---


def test_the_download_holds_the_address_and_deleting_forgets_it(mari, db, clock, links):
    message = reminder(db, clock(), mari)
    service.choose_channel(db, mari, Channel.EMAIL, ADDRESS, links)
    db.commit()
    profile = privacy.export(db, mari, clock())["profile"]
    assert (profile["email"], profile["messages_by"]) == (ADDRESS, "email")
    privacy.delete_person(db, mari, clock() + timedelta(minutes=1), links)
    db.commit()
    db.expire_all()
    assert mari.email == "" and message.email is None
