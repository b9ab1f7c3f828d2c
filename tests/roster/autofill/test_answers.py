"""Who has said when they can walk in a term: the coordinator sees who has answered and who to
chase, and fills in the answer of someone who told them by phone or in person."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from natteravn.roster.autofill import asking
from natteravn.roster.autofill.models import Availability
from tests.roster.autofill.test_asking import municipal_coordinator
from tests.roster.autofill.test_autofill import FRIDAY, SATURDAY, say_available


def section(page: str, heading: str) -> str:
    """The part of the page from the heading to the next one."""
    start = page.index(heading)
    following = page.find("<h2", start)
    return page[start : following if following != -1 else len(page)]


def fill_in_link(world, person) -> str:
    return f"/coordinator/terms/{world.term.id}/availability/{person.id}"


# --- Through the service. ---


def test_the_roll_call_has_each_volunteer_with_what_they_said_and_when_they_were_asked(asked_world, db, clock, links):
    world = asked_world
    asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    clock.set(clock() + timedelta(days=1))
    say_available(db, world.leader, world.term, actor=world.coordinator)
    said = asking.roll_call(db, world.coordinator.coordinator_scope, world.term)
    assert [one.person.name for one in said] == ["Kari Nordmann", "Lise Leder", "Ola Hansen", "Siri Koordinator"]
    kari, lise, ola, _siri = said
    assert kari.availability is not None and not kari.filled_in_by_coordinator
    assert kari.asked_at is None  # she answered before anyone asked
    assert lise.availability is not None and lise.filled_in_by_coordinator
    assert ola.availability is None and ola.asked_at is not None
    # Nora (waiting for approval), Per (no longer active) and Hamar's people are nobody to chase.


def test_a_municipalitys_coordinator_sees_only_that_municipalitys_volunteers(asked_world, db, clock):
    gunn = municipal_coordinator(db, asked_world, clock, asked_world.grue)
    said = asking.roll_call(db, gunn.coordinator_scope, asked_world.term)
    assert [one.person.name for one in said] == ["Gunn Grue", "Ola Hansen"]


# --- Through the pages. ---


def test_the_coordinator_fills_in_for_someone_who_called(asked_world, db, login, client):
    world = asked_world
    login(world.coordinator)
    autofill = client.get(f"/coordinator/terms/{world.term.id}/autofill").text
    answers_url = f"/coordinator/terms/{world.term.id}/answers"
    assert answers_url in autofill
    page = client.get(answers_url).text
    waiting, answered = section(page, "Not answered yet (3)"), section(page, "Answered (1)")
    assert "Lise Leder" in waiting and "Not asked" in waiting and fill_in_link(world, world.leader) in waiting
    assert "Kari Nordmann" in answered and "Kari Nordmann" not in waiting
    assert "Nora Ny" not in page and "Per Passiv" not in page

    form = client.get(fill_in_link(world, world.leader)).text
    assert "When can Lise Leder walk?" in form and "Fill in what Lise Leder told you" in form
    assert "filled in to start from, not their answer" in form
    done = client.post(fill_in_link(world, world.leader), data={"weekdays": [str(FRIDAY)], "max_nights": "1"})
    assert done.headers["Location"].endswith(answers_url)
    after = client.get(answers_url).text
    assert "Saved when Lise Leder can walk." in after
    assert "Lise Leder" in section(after, "Answered (2)")
    assert "filled in by a coordinator" in section(after, "Answered (2)")
    saved = db.scalar(select(Availability).where(Availability.person_id == world.leader.id))
    assert saved.weekdays == [FRIDAY] and saved.max_nights == 1
    assert saved.updated_by_id == world.coordinator.id


def test_an_answer_filled_in_wrong_is_refused_and_nothing_is_saved(asked_world, db, login, client):
    world = asked_world
    login(world.coordinator)
    refused = client.post(fill_in_link(world, world.leader), data={"max_nights": "1"})
    assert refused.status_code == 422
    assert "Choose at least one weekday or date you can walk." in refused.text
    assert db.scalar(select(func.count()).where(Availability.person_id == world.leader.id)) == 0


def test_the_answer_someone_gave_is_there_to_change(asked_world, db, login, client):
    world = asked_world
    say_available(db, world.parent, world.term, weekdays=[SATURDAY], max_nights=1)
    db.commit()
    login(world.coordinator)
    form = client.get(fill_in_link(world, world.parent)).text
    ticked = set(re.findall(r'<input checked id="weekdays-\d" name="weekdays" type="checkbox" value="(\d)">', form))
    assert ticked == {str(SATURDAY)}
    assert "filled in to start from" not in form
    assert "912 34 567" in section(client.get(f"/coordinator/terms/{world.term.id}/answers").text, "Answered (1)")


def test_a_municipalitys_coordinator_fills_in_for_their_own_people_only(asked_world, db, login, client, clock):
    world = asked_world
    gunn = municipal_coordinator(db, world, clock, world.grue)
    login(gunn)
    assert f"/coordinator/terms/{world.term.id}/answers" in client.get(f"/coordinator/terms/{world.term.id}/grid").text
    page = client.get(f"/coordinator/terms/{world.term.id}/answers").text
    assert "Ola Hansen" in page and "Lise Leder" not in page and "Kari Nordmann" not in page
    ola = client.post(fill_in_link(world, world.other_parent), data={"weekdays": [str(FRIDAY)], "max_nights": "2"})
    assert ola.status_code == 302
    assert client.get(fill_in_link(world, world.leader)).status_code == 404
    lise = client.post(fill_in_link(world, world.leader), data={"weekdays": [str(FRIDAY)], "max_nights": "2"})
    assert lise.status_code == 404
    assert db.scalar(select(func.count()).where(Availability.person_id == world.leader.id)) == 0


def test_a_parent_may_not_see_or_fill_in_answers(asked_world, db, login, client):
    world = asked_world
    login(world.parent)
    assert client.get(f"/coordinator/terms/{world.term.id}/answers").status_code == 403
    assert client.get(fill_in_link(world, world.leader)).status_code == 403
    assert client.post(fill_in_link(world, world.leader), data={"weekdays": [str(FRIDAY)]}).status_code == 403
    assert db.scalar(select(func.count()).where(Availability.person_id == world.leader.id)) == 0


def test_another_regions_coordinator_finds_nothing(asked_world, db, login, client):
    world = asked_world
    _region, _hamar, hedda, _leader = world.extra["hamar"]
    login(hedda)
    assert client.get(f"/coordinator/terms/{world.term.id}/answers").status_code == 404
    assert client.get(fill_in_link(world, world.leader)).status_code == 404
    assert client.post(fill_in_link(world, world.leader), data={"weekdays": [str(FRIDAY)]}).status_code == 404
    assert db.scalar(select(func.count()).where(Availability.person_id == world.leader.id)) == 0


def test_a_person_of_another_region_is_not_found_on_this_terms_form(asked_world, db, login, client):
    world = asked_world
    _region, _hamar, _hedda, hamar_leader = world.extra["hamar"]
    login(world.coordinator)
    assert client.get(fill_in_link(world, hamar_leader)).status_code == 404


def test_an_answer_filled_in_by_the_coordinator_is_shown_on_my_nights_not_asked_again(asked_world, db, login, client):
    world = asked_world
    login(world.coordinator)
    client.post(fill_in_link(world, world.leader), data={"weekdays": [str(SATURDAY), str(FRIDAY)], "max_nights": "1"})
    client.post("/logout")
    page = login(world.leader).get("/my").text
    assert "Tell the coordinator when you can walk" not in page
    said = section(page, f"When you can walk in {world.term.name}")
    assert "Your coordinator filled this in for you on" in said
    assert "<dd>Friday, Saturday</dd>" in said and "<dd>1</dd>" in said
    assert f'href="/availability/{world.term.id}">See or change your answer' in said


def test_my_nights_asks_only_who_has_said_nothing_and_shows_ones_own_answer(asked_world, db, login, client):
    world = asked_world  # Kari has said when she can walk, Ola has not
    page = login(world.parent).get("/my").text
    said = section(page, f"When you can walk in {world.term.name}")
    assert "You answered on" in said and "coordinator filled" not in said
    assert "Tell the coordinator when you can walk" not in page
    ask = f'href="/availability/{world.term.id}">Tell the coordinator when you can walk in {world.term.name}'
    client.post("/logout")
    assert ask in login(world.other_parent).get("/my").text
