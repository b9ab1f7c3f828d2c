"""The coordinator's outbox page: messages to people in their own region only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from natteravn.accounts.models import Role, RoleKind
from natteravn.places.models import Municipality, Region
from natteravn.sms.models import MessageState, Purpose
from natteravn.sms.service import enqueue
from tests import factories


@pytest.fixture
def elsewhere(world, db, clock):
    """A second region with its own coordinator and a parent who got a reminder."""
    region = Region(name="Glåmdal", slug="glamdal")
    kongsvinger = Municipality(region=region, name="Kongsvinger")
    db.add_all([region, kongsvinger])
    db.flush()
    coordinator = factories.person(db, kongsvinger, "Kari Annenregion", clock(), coordinator=True)
    parent = factories.person(db, kongsvinger, "Per Kongsvinger", clock())
    message(db, clock(), parent, "Påminnelse fra Kongsvinger")
    db.commit()
    return coordinator


def message(db, now, person, body, purpose=Purpose.REMINDER_DAY, **fields):
    return enqueue(db, to=person.phone, body=body, purpose=purpose, now=now, person_id=person.id, **fields)


def test_a_coordinator_sees_messages_to_people_in_their_region_only(world, elsewhere, db, clock, login, client):
    message(db, clock(), world.parent, "Påminnelse: Flisa sentrum fredag")
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox")
    assert page.status_code == 200
    assert "Påminnelse: Flisa sentrum fredag" in page.text
    assert "Kongsvinger" not in page.text


def test_the_other_regions_coordinator_sees_only_theirs(world, elsewhere, db, clock, login, client):
    message(db, clock(), world.parent, "Påminnelse: Flisa sentrum fredag")
    db.commit()
    login(elsewhere)
    page = client.get("/coordinator/outbox")
    assert "Påminnelse fra Kongsvinger" in page.text
    assert "Flisa sentrum" not in page.text


def test_what_a_region_sent_stays_with_it_when_the_person_moves(world, elsewhere, db, clock, login, client):
    message(db, clock(), world.parent, "Påminnelse: Flisa sentrum fredag", region_id=world.region.id)
    world.parent.municipality = db.get(Municipality, elsewhere.municipality_id)  # moved to Kongsvinger
    message(db, clock(), world.parent, "Velkommen til Glåmdal", region_id=elsewhere.municipality.region_id)
    db.commit()
    login(world.coordinator)
    solor = client.get("/coordinator/outbox").text
    assert "Påminnelse: Flisa sentrum fredag" in solor and "Velkommen til Glåmdal" not in solor
    client.post("/logout")
    login(elsewhere)
    glamdal = client.get("/coordinator/outbox").text
    assert "Velkommen til Glåmdal" in glamdal and "Flisa sentrum" not in glamdal


def test_a_municipalitys_coordinator_sees_what_their_region_sent_its_people(world, db, clock, login, client):
    message(db, clock(), world.parent, "Påminnelse: Flisa sentrum fredag", region_id=world.region.id)
    message(db, clock(), world.other_parent, "Påminnelse: Kirkenær lørdag", region_id=world.region.id)
    asnes_only = factories.person(db, world.asnes, "Åse Åsnes", clock())
    asnes_only.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality=world.asnes))
    db.commit()
    login(asnes_only)
    page = client.get("/coordinator/outbox").text
    assert "Flisa sentrum fredag" in page and "Kirkenær lørdag" not in page


def test_a_parent_may_not_see_the_outbox(world, login, client):
    login(world.parent)
    assert client.get("/coordinator/outbox").status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/coordinator/outbox")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_codes_are_never_shown(world, login, client):
    login(world.coordinator)  # sends the coordinator a login code
    page = client.get("/coordinator/outbox?purpose=otp")
    assert "login code hidden" in page.text
    assert "Your Natteravn code is" not in page.text


def test_messages_can_be_filtered_by_state_and_kind(world, db, clock, login, client):
    sent = message(db, clock(), world.parent, "Allerede sendt")
    sent.state = MessageState.SENT
    message(db, clock(), world.parent, "Venter fortsatt", due_at=clock() + timedelta(days=1))
    message(db, clock(), world.leader, "Skriv rapporten", purpose=Purpose.REPORT_REQUEST)
    db.commit()
    login(world.coordinator)
    waiting = client.get("/coordinator/outbox?state=pending&purpose=reminder_day").text
    assert "Venter fortsatt" in waiting
    assert "Allerede sendt" not in waiting and "Skriv rapporten" not in waiting
    reports = client.get("/coordinator/outbox?purpose=report_request").text
    assert "Skriv rapporten" in reports and "Venter fortsatt" not in reports


def test_a_filter_value_that_does_not_exist_is_explained_not_an_error(world, login, client):
    login(world.coordinator)
    page = client.get("/coordinator/outbox?state=exploded&page=banana")
    assert page.status_code == 200
    assert 'id="state-error"' in page.text


def test_the_outbox_is_paginated_newest_first(world, db, clock, login, client):
    for number in range(60):
        message(db, clock() + timedelta(minutes=number), world.parent, f"Melding nummer {number:02d}.")
    db.commit()
    login(world.coordinator)
    first = client.get("/coordinator/outbox?purpose=reminder_day").text
    assert "Melding nummer 59." in first and "Melding nummer 10." in first
    assert "Melding nummer 09." not in first
    second = client.get("/coordinator/outbox?purpose=reminder_day&page=2").text
    assert "Melding nummer 09." in second and "Melding nummer 00." in second
    assert "Melding nummer 10." not in second
    assert "Page 2 of 2" in second


def test_links_that_act_as_the_person_are_hidden_and_the_rest_of_the_text_is_shown(
    world, db, clock, login, client, links
):
    personal = {
        "invitation": links.invitation("a-token-that-logs-in"),
        "report": links.report(1, world.leader.id),
        "offer": links.offer(7),
        "calendar": links.calendar("feed-token"),
    }
    for kind, link in personal.items():
        message(db, clock(), world.parent, f"Natteravn {kind}: {link} (svar STOPP)", region_id=world.region.id)
    message(db, clock(), world.parent, f"Natteravn: se {links.night(3)}", region_id=world.region.id)
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox").text
    for kind, link in personal.items():
        assert link not in page
        assert f"Natteravn {kind}: (personal link hidden) (svar STOPP)" in page
    assert links.night(3) in page  # a night's page asks its reader to log in as themselves


def test_every_kind_of_message_has_a_name_to_filter_by():
    from natteravn.sms.forms import PURPOSE_NAMES

    assert set(PURPOSE_NAMES) == set(Purpose)


def test_every_note_a_message_may_carry_is_said_in_the_readers_language():
    from natteravn.sms import notes

    written = {value for value in vars(notes).values() if isinstance(value, notes.Note)}
    assert written == set(notes.NOTES)
