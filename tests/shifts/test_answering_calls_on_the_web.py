"""Someone who chose e-mail cannot reply JA to a call for walkers or for a stand-in: the call points
to the night's page, whose button takes the place the same way a JA does."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Channel
from natteravn.accounts.service import choose_channel
from natteravn.roster import service as roster
from natteravn.shifts import calls, service, standin
from natteravn.shifts.models import Invitation, InvitationOutcome, Signup, SignupRole, SignupState
from natteravn.shifts.replies import reply_no
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due
from tests import factories
from tests.accessibility import fits_the_screen
from tests.conftest import PHONE, chromium

FRIDAY = date(2026, 11, 27)
TUESDAY_CALL = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 17:00 in Oslo


@pytest.fixture
def mari(world, db, clock):
    """A volunteer of Åsnes, free on Friday, who chose e-mail."""
    person = factories.person(db, world.asnes, "Mari Epost", clock(), email="mari@example.no")
    db.commit()
    return person


@pytest.fixture
def log_in_by_email(client, mailer):
    """Log in through the pages with the code that comes by e-mail."""

    def _log_in(person):
        client.post("/login", data={"phone": person.phone})
        [body] = [body for to, _subject, body in mailer.sent if to == person.email][-1:]
        response = client.post("/login/code", data={"code": re.search(r"\b(\d{6})\b", body).group(1)})
        assert response.status_code == 302, response.text
        return client

    return _log_in


def calls_to(db, person) -> list[SmsMessage]:
    return list(
        db.scalars(
            select(SmsMessage).where(SmsMessage.person_id == person.id, SmsMessage.purpose == Purpose.CALL_FOR_WALKERS)
        )
    )


def call_to(db, person) -> SmsMessage:
    [call] = calls_to(db, person)
    return call


def place_of(db, person, night) -> Signup | None:
    db.expire_all()
    return db.scalar(select(Signup).where(Signup.person_id == person.id, Signup.shift_id == night.id))


# --- The call's wording, by the person's channel. ---


def test_a_stand_in_call_by_email_points_to_the_nights_page_and_by_sms_asks_for_ja(
    world, db, clock, links, full_night, mari
):
    night, mine = full_night
    by_sms = factories.person(db, world.asnes, "Siv Sms", clock())

    standin.request_standin(db, world.parent, mine.id, clock(), links)

    by_email = call_to(db, mari)
    assert "needs a stand-in for one walker" in by_email.body
    assert "JA" not in by_email.body and "Reply" not in by_email.body
    assert "Take the place on the night's page" in by_email.body and links.night(night.id) in by_email.body
    assert "Reply JA to take the place." in call_to(db, by_sms).body


def test_a_call_for_a_group_leader_by_email_points_to_the_nights_page(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    for n in range(3):
        walker = factories.person(db, world.asnes, f"Fyll {n}", clock())
        service.sign_up(db, walker, friday.id, SignupRole.WALKER, clock(), links)
    world.leader.email, world.leader.channel = "lars@example.no", Channel.EMAIL
    db.commit()
    clock.set(TUESDAY_CALL)

    calls.call_for_walkers(db, clock(), links)

    [call] = [m for m in calls_to(db, world.leader) if m.shift_id == friday.id]
    assert "needs a group leader" in call.body and "JA" not in call.body
    assert "Take it on the night's page" in call.body and links.night(friday.id) in call.body


# --- Taking the place on the night's page. ---


def test_an_email_user_asked_for_a_stand_in_takes_the_place_on_the_nights_page(
    world, db, clock, links, full_night, mari, log_in_by_email
):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    client = log_in_by_email(mari)

    page = client.get(f"/nights/{night.id}").text
    assert "This night needs a stand-in for one walker." in page and "Yes, I take the place" in page

    response = client.post(f"/nights/{night.id}/take", follow_redirects=True)

    assert response.status_code == 200 and 'role="status">Thank you! The place on Flisa sentrum' in response.text
    assert "is yours" in response.text
    assert "You are signed up as walker." in response.text and "Yes, I take the place" not in response.text
    assert place_of(db, mari, night).state == SignupState.CONFIRMED
    assert place_of(db, world.parent, night).state == SignupState.CANCELLED
    [found] = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.STANDIN_FOUND))
    assert found.person_id == world.parent.id and "Mari takes your place" in found.body
    assert service.night_for(db, mari, night.id, clock()).taken == 3


def test_someone_arriving_later_is_told_the_place_is_taken(
    world, db, clock, links, full_night, mari, client, log_in_by_email, gateway, mailer
):
    night, mine = full_night
    later = factories.person(db, world.asnes, "Sindre Sen", clock(), email="sindre@example.no")
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    dispatch_due(db, gateway, clock(), mailer=mailer)  # the calls went out: Sindre read his
    calls.take_place(db, calls.open_invitation(db, mari, clock()), clock(), links)
    db.commit()

    log_in_by_email(later)
    response = client.post(f"/nights/{night.id}/take", follow_redirects=True)

    assert 'role="alert">Thank you! The place on Flisa sentrum on 27.11 is already taken.' in response.text
    assert place_of(db, later, night) is None
    assert service.night_for(db, later, night.id, clock()).taken == 3
    assert db.scalar(select(Invitation.outcome).where(Invitation.person_id == later.id)) == InvitationOutcome.FULL


def test_an_email_user_called_for_a_short_night_takes_a_walkers_place(world, db, clock, links, mari, log_in_by_email):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    db.commit()
    client = log_in_by_email(mari)

    assert "This night needs a walker." in client.get(f"/nights/{friday.id}").text
    client.post(f"/nights/{friday.id}/take")

    assert place_of(db, mari, friday).role == SignupRole.WALKER
    assert place_of(db, mari, friday).state == SignupState.CONFIRMED


def test_a_night_called_off_since_the_call_is_said_to_be_cancelled(
    world, db, clock, links, full_night, mari, log_in_by_email
):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    roster.cancel_night(db, night, "Storm", clock(), links, world.coordinator)
    db.commit()
    client = log_in_by_email(mari)

    assert "Yes, I take the place" not in client.get(f"/nights/{night.id}").text
    response = client.post(f"/nights/{night.id}/take", follow_redirects=True)

    assert response.status_code == 200 and "is cancelled, so there is no place to take" in response.text
    assert place_of(db, mari, night) is None


def test_a_night_that_has_begun_is_said_to_have_begun(world, db, clock, links, full_night, mari, log_in_by_email):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    client = log_in_by_email(mari)
    clock.set(night.starts_at)

    response = client.post(f"/nights/{night.id}/take", follow_redirects=True)

    assert 'role="alert">This night has already started.</p>' in response.text
    assert place_of(db, mari, night) is None and place_of(db, world.parent, night).state == SignupState.SIGNED_UP


# --- Only those asked. ---


def test_someone_not_asked_cannot_take_the_place(world, db, clock, links, full_night, mari, login, client):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    login(world.other_parent)  # of Grue: never asked about a night in Åsnes

    assert "Yes, I take the place" not in client.get(f"/nights/{night.id}").text
    assert client.post(f"/nights/{night.id}/take").status_code == 404
    assert client.post("/nights/999999/take").status_code == 404
    assert place_of(db, world.other_parent, night) is None
    assert place_of(db, world.parent, night).state == SignupState.SIGNED_UP


def test_someone_who_said_nei_is_no_longer_asked(world, db, clock, links, full_night, mari, log_in_by_email):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    reply_no(db, mari.phone, clock(), links)  # a text from their phone answers all the same
    db.commit()
    client = log_in_by_email(mari)

    assert "Yes, I take the place" not in client.get(f"/nights/{night.id}").text
    assert client.post(f"/nights/{night.id}/take").status_code == 404


def test_the_button_needs_a_login(world, db, clock, links, full_night, mari, client):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    response = client.post(f"/nights/{night.id}/take")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_button_without_its_form_token_takes_nothing(
    app, world, db, clock, links, full_night, mari, log_in_by_email
):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    client = log_in_by_email(mari)
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post(f"/nights/{night.id}/take").status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(f"/nights/{night.id}").text)
    assert client.post(f"/nights/{night.id}/take", data={"csrf_token": token.group(1)}).status_code == 302
    assert place_of(db, mari, night).state == SignupState.CONFIRMED


@pytest.mark.browser
def test_on_a_phone_without_javascript_the_place_is_one_tap(
    world, db, clock, links, full_night, mari, mailer, live_server
):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    with chromium(java_script_enabled=False, **PHONE) as phone:
        phone.goto(live_server + "/login")
        phone.locator("#phone").fill(mari.phone)
        phone.locator("main form [type=submit]").click()
        code = re.search(r"\b(\d{6})\b", mailer.sent[-1][2]).group(1)
        phone.locator("#code").fill(code)
        phone.locator("form:has(#code) [type=submit]").click()
        phone.goto(links.night(night.id).replace(links.base_url, live_server))

        assert "This night needs a stand-in for one walker." in phone.locator("main").inner_text()
        assert fits_the_screen(phone)
        phone.get_by_role("button", name="Yes, I take the place").click()

        assert "is yours" in phone.locator(".flashes").inner_text()
        assert fits_the_screen(phone)
    assert place_of(db, mari, night).state == SignupState.CONFIRMED


# --- Calls still waiting once the place is taken. ---


def test_once_the_stand_in_is_found_the_calls_still_waiting_are_not_sent(world, db, clock, links, full_night, mari):
    night, mine = full_night
    siv = factories.person(db, world.asnes, "Siv Sms", clock())
    standin.request_standin(db, world.parent, mine.id, clock(), links)  # asked at night: held until morning

    answer = calls.take_place(db, calls.open_invitation(db, mari, clock()), clock(), links)

    assert answer.outcome == InvitationOutcome.TAKEN
    db.expire_all()
    assert call_to(db, siv).state == call_to(db, mari).state == MessageState.CANCELLED
    assert notes.shown(call_to(db, siv).last_error, lambda s: s) == "Not sent: the night needed nobody more by then."


def test_while_the_night_still_needs_walkers_only_the_takers_own_call_is_withdrawn(world, db, clock, links, mari):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    friday.min_walkers = 5  # empty, and short by more than one
    siv = factories.person(db, world.asnes, "Siv Sms", clock())
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)

    calls.take_place(db, calls.open_invitation(db, mari, clock()), clock(), links)

    db.expire_all()
    [mine] = [m for m in calls_to(db, mari) if m.shift_id == friday.id]
    [sivs] = [m for m in calls_to(db, siv) if m.shift_id == friday.id]
    assert (mine.state, sivs.state) == (MessageState.CANCELLED, MessageState.PENDING)


def test_the_page_of_someone_asked_offers_only_the_button_that_answers(
    world, db, clock, links, full_night, mari, log_in_by_email
):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()

    page = log_in_by_email(mari).get(f"/nights/{night.id}").text

    assert "Yes, I take the place" in page
    assert "Sign up as walker" not in page and "Join waitlist" not in page  # would leave the parent on the night


def test_a_call_waiting_for_someone_who_switches_to_sms_asks_for_ja(world, db, clock, links, full_night, mari):
    _night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    assert "Take the place on the night's page" in call_to(db, mari).body

    choose_channel(db, mari, Channel.SMS, "", links)

    db.expire_all()
    assert "Reply JA to take the place." in call_to(db, mari).body
    choose_channel(db, mari, Channel.EMAIL, "mari@example.no", links)
    db.expire_all()
    assert "JA" not in call_to(db, mari).body


def test_once_filled_the_night_no_longer_offers_the_place_to_those_asked(
    world, db, clock, links, full_night, mari, log_in_by_email
):
    night, mine = full_night
    later = factories.person(db, world.asnes, "Sindre Sen", clock(), email="sindre@example.no")
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    calls.take_place(db, calls.open_invitation(db, mari, clock()), clock(), links)
    db.commit()

    page = log_in_by_email(later).get(f"/nights/{night.id}").text

    assert "needs a stand-in" not in page and "Yes, I take the place" not in page
