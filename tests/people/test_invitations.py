"""Parents a coordinator imports get one SMS inviting them in: its link logs them in for this visit
only, straight to the first-time questions, and stops logging anyone in once they have answered,
after two weeks, or when altered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person
from natteravn.people import importing
from natteravn.people import service as people
from natteravn.places.models import Municipality, Region
from natteravn.sms import notes
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState, Purpose, SmsMessage

FILE = "name;phone;municipality\nPer Persen;922 22 222;Åsnes\nKari Nordmann;912 34 567;Åsnes\n"
PER = "+4792222222"
LATE_EVENING = datetime(2026, 11, 18, 22, 30, tzinfo=UTC)  # 23:30 in Oslo
NEXT_MORNING = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)  # 08:00 in Oslo
ANSWERS = {"name": "Per Persen", "adult": True, "accepts_conduct": True, "locale": "nb", "school_class_ids": []}


def invitations(db) -> list[SmsMessage]:
    return list(db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.INVITATION)))


def link_path(message: SmsMessage) -> str:
    return re.search(r"http://natteravn\.test(/i/\S+)", message.body).group(1)


@pytest.fixture
def imported(world, db, clock, links) -> SmsMessage:
    """Per Persen is new; Kari Nordmann was registered already."""
    importing.apply_import(db, {world.region.id}, FILE, world.coordinator, clock(), links)
    db.commit()
    (message,) = invitations(db)
    return message


def test_each_new_person_gets_one_invitation_and_a_second_import_sends_none(world, db, clock, links, imported):
    assert imported.to == PER and imported.state == MessageState.PENDING
    assert imported.body.startswith("Natteravn Åsnes: Du er invitert")  # in the language of a new person
    assert imported.segments == 1
    importing.apply_import(db, {world.region.id}, FILE, world.coordinator, clock(), links)
    assert invitations(db) == [imported]


def test_an_invitation_waits_for_the_end_of_the_quiet_hours(app, world, db, clock, links, gateway):
    clock.set(LATE_EVENING)
    importing.apply_import(db, {world.region.id}, FILE, world.coordinator, clock(), links)
    db.commit()
    (message,) = invitations(db)
    assert message.due_at == NEXT_MORNING
    policy = app.extensions["natteravn.sms_policy"]
    assert sms.dispatch_due(db, gateway, clock(), policy=policy).sent == 0
    assert sms.dispatch_due(db, gateway, NEXT_MORNING, policy=policy).sent == 1
    assert gateway.sent == [(PER, message.body)]


def test_the_link_logs_in_for_this_visit_only_and_opens_the_first_questions(client, imported):
    response = client.get(link_path(imported))
    assert response.status_code == 302 and response.headers["Location"] == "/welcome"
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(cookie.startswith("remember_token=") for cookie in cookies)
    session_cookie = next(cookie for cookie in cookies if cookie.startswith("session="))
    assert "Expires" not in session_cookie  # gone when the browser closes
    page = client.get("/welcome")
    assert page.status_code == 200 and 'value="Per Persen"' in page.text


def test_someone_who_has_answered_is_sent_to_log_in_as_usual(world, db, client, clock, imported):
    per = db.scalar(select(Person).where(Person.phone == PER))
    per.adult_confirmed_at = per.conduct_accepted_at = clock()
    db.commit()
    response = client.get(link_path(imported), follow_redirects=True)
    assert response.request.path == "/login"
    assert "You have already joined" in response.text
    assert client.get("/nights").status_code == 302  # not logged in


@pytest.mark.parametrize("spoil", [lambda path: path[:-3] + "abc", lambda path: "/i/nonsense"])
def test_an_altered_link_is_a_clear_404(client, imported, spoil):
    response = client.get(spoil(link_path(imported)))
    assert response.status_code == 404
    assert "This invitation no longer works" in response.text
    assert "Log in with your mobile number instead" in response.text


def test_the_link_expires_after_two_weeks(app, client, clock, imported):
    clock.advance(days=13)
    assert app.test_client().get(link_path(imported)).status_code == 302
    clock.advance(days=1)
    response = client.get(link_path(imported))
    assert response.status_code == 404 and "This invitation no longer works" in response.text


def test_a_deactivated_persons_link_logs_nobody_in(world, db, client, clock, links, imported):
    per = db.scalar(select(Person).where(Person.phone == PER))
    people.deactivate(db, per, world.region.id, world.coordinator, clock(), links)
    db.commit()
    assert client.get(link_path(imported)).status_code == 404


def test_a_link_for_another_purpose_does_not_log_in(world, client, links):
    offer_like = links.sign("offer", [world.parent.id, 1, int((datetime.now(UTC) + timedelta(days=1)).timestamp())])
    assert client.get(f"/i/{offer_like}").status_code == 404


# --- Once they have answered, or chosen another language. ---


def per_of(db) -> Person:
    return db.scalar(select(Person).where(Person.phone == PER))


def test_answering_the_first_questions_withdraws_the_invitation_still_waiting(world, db, clock, links, imported):
    accounts.complete_profile(db, per_of(db), **ANSWERS, municipality_id=world.asnes.id, now=clock(), links=links)
    db.commit()
    db.refresh(imported)
    assert imported.state == MessageState.CANCELLED
    assert notes.shown(imported.last_error, lambda msgid: msgid) == (
        "Not sent: they had logged in and answered the first-time questions before it went out."
    )


def test_an_invitation_to_move_to_another_region_stays_when_they_answer(world, db, clock, links, imported):
    per = per_of(db)
    hamar = Municipality(region=Region(name="Hamar", slug="hamar"), name="Hamar")
    db.add(hamar)
    db.flush()
    moving = accounts.plan_move_invitation(db, per, hamar, links, clock())
    accounts.complete_profile(db, per, **ANSWERS, municipality_id=world.asnes.id, now=clock(), links=links)
    db.commit()
    db.expire_all()
    assert (moving.state, imported.state) == (MessageState.PENDING, MessageState.CANCELLED)


def test_the_outbox_shows_the_invitation_withdrawn_once_they_have_answered(app, world, client, login, imported):
    per = app.test_client()
    assert per.get(link_path(imported)).status_code == 302
    answers = {"name": "Per Persen", "municipality": world.asnes.id, "locale": "nb", "adult": "y", "conduct": "y"}
    assert per.post("/welcome", data=answers).status_code == 302
    login(world.coordinator)
    outbox = client.get("/coordinator/outbox?purpose=invitation").text
    assert "Not sent: they had logged in and answered the first-time questions before it went out." in outbox


def test_choosing_a_language_writes_the_waiting_invitation_again_with_the_same_link(world, db, clock, links, imported):
    link = link_path(imported)
    clock.advance(days=2)
    accounts.choose_language(db, per_of(db), "en", links)
    db.commit()
    db.refresh(imported)
    assert imported.body.startswith("Natteravn Åsnes: you are invited to walk with us.")
    assert imported.subject == "Natteravn: you are invited to walk"
    assert link_path(imported) == link  # it lasts from when it was planned, not from the change


def test_the_language_picked_on_a_page_rewrites_the_waiting_invitation(client, db, imported):
    assert client.get(link_path(imported)).status_code == 302
    assert client.post("/language", data={"lang": "en"}).status_code == 302
    db.refresh(imported)
    assert imported.body.startswith("Natteravn Åsnes: you are invited")
