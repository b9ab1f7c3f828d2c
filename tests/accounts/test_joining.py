"""Joining is a decision: in a region that approves each new person, answering the first-time
questions makes someone wait for a coordinator; in an open region it is enough. Moving to another
region by oneself is joining it. Someone given a role in a region was vouched for then, and never
waits there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from natteravn.accounts import service
from natteravn.accounts.models import Person
from natteravn.links import Links
from natteravn.people import service as people
from natteravn.places.models import Municipality, Region, Registration
from natteravn.shifts.models import SignupRole
from natteravn.shifts.service import SignupRefused, sign_up
from tests import factories
from tests.conftest import code_from

NEWCOMER = "+4792345678"
#: The links the waiting messages would carry, were any written again in another language.
LINKS = Links("http://natteravn.test", "test")


def newcomer(db, clock) -> Person:
    someone = Person(phone=NEWCOMER, created_at=clock(), session_version=1, calendar_version=1, active=True)
    db.add(someone)
    return someone


def answer(db, clock, someone: Person, municipality: Municipality) -> None:
    service.complete_profile(
        db,
        someone,
        name="Nora Ny",
        adult=True,
        accepts_conduct=True,
        municipality_id=municipality.id,
        locale="en",
        school_class_ids=[],
        now=clock(),
        links=LINKS,
    )


def move(db, clock, someone: Person, municipality: Municipality) -> None:
    service.update_profile(
        db,
        someone,
        name=someone.name,
        municipality_id=municipality.id,
        locale="en",
        school_class_ids=[],
        now=clock(),
        links=LINKS,
    )


@pytest.fixture
def hamar(db) -> Municipality:
    """A municipality of another region, which approves each new person."""
    region = Region(name="Hamar", slug="hamar", registration=Registration.APPROVAL)
    municipality = Municipality(region=region, name="Hamar")
    db.add_all([region, municipality])
    db.flush()
    return municipality


def test_a_new_region_approves_each_new_person_unless_its_coordinator_opens_it(db):
    region = Region(name="Odal", slug="odal")
    db.add(region)
    db.flush()
    assert region.registration == Registration.APPROVAL


def test_in_an_open_region_answering_the_first_questions_is_enough(world, db, clock, links):
    world.region.registration = Registration.OPEN
    someone = newcomer(db, clock)
    answer(db, clock, someone, world.asnes)
    assert not someone.awaiting_approval and someone.approved_at == clock()
    assert sign_up(db, someone, world.nights[0].id, SignupRole.WALKER, clock(), links).id


def test_in_a_region_that_approves_a_newcomer_waits_and_cannot_sign_up(world, db, clock, links):
    assert world.region.registration == Registration.APPROVAL
    someone = newcomer(db, clock)
    answer(db, clock, someone, world.asnes)
    assert someone.onboarded and someone.awaiting_approval
    with pytest.raises(SignupRefused, match="approve"):
        sign_up(db, someone, world.nights[0].id, SignupRole.WALKER, clock(), links)


def test_opening_a_region_lets_those_waiting_in_it_walk(world, db, clock):
    someone = newcomer(db, clock)
    answer(db, clock, someone, world.asnes)
    world.region.registration = Registration.OPEN
    assert not someone.awaiting_approval


def test_the_same_question_in_sql_finds_the_same_people(world, db, clock):
    someone = newcomer(db, clock)
    answer(db, clock, someone, world.asnes)
    db.flush()
    waiting = set(db.scalars(select(Person.id).where(Person.awaiting_approval)))
    walking = set(db.scalars(select(Person.id).where(~Person.awaiting_approval)))
    assert waiting == {someone.id}
    assert world.parent.id in walking and someone.id not in walking


def test_moving_by_oneself_to_a_region_that_approves_needs_approval_again(world, db, clock, hamar):
    move(db, clock, world.parent, world.grue)  # another municipality of the same region
    assert not world.parent.awaiting_approval
    move(db, clock, world.parent, hamar)
    assert world.parent.awaiting_approval


def test_moving_to_an_open_region_is_joining_it_at_once(world, db, clock, hamar):
    someone = newcomer(db, clock)
    answer(db, clock, someone, hamar)
    assert someone.awaiting_approval
    world.region.registration = Registration.OPEN
    move(db, clock, someone, world.valer)
    assert not someone.awaiting_approval


def test_the_sign_up_link_of_a_public_page_chooses_the_municipality_after_logging_in(world, client, gateway):
    response = client.get(f"/sign-up/{world.valer.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/welcome"
    client.post(response.headers["Location"], data={"phone": NEWCOMER})
    answered = client.post("/login/code?next=/welcome", data={"code": code_from(gateway, NEWCOMER)})
    welcome = client.get(answered.headers["Location"])
    assert f'<option selected value="{world.valer.id}">Våler</option>' in welcome.text


def test_a_visitor_who_already_walks_goes_from_the_sign_up_link_to_the_nights(world, login, client):
    login(world.parent)
    response = client.get(f"/sign-up/{world.valer.id}", follow_redirects=True)
    assert response.request.path == "/nights"


# --- Someone the region gave a role. ---


def test_a_coordinator_the_administrator_made_does_not_wait_for_themselves(world, db, clock, links):
    someone = newcomer(db, clock)
    people.grant_coordinator(db, someone, world.region, None, None, clock(), links=links)
    answer(db, clock, someone, world.asnes)
    assert someone.onboarded and not someone.awaiting_approval
    assert people.count_waiting(db, someone.coordinator_scope) == 0
    assert sign_up(db, someone, world.nights[0].id, SignupRole.WALKER, clock(), links).id


def test_a_coordinator_of_one_municipality_living_in_another_of_the_region_does_not_wait(world, db, clock, links):
    someone = newcomer(db, clock)
    people.grant_coordinator(db, someone, world.region, world.grue, None, clock(), links=links)
    answer(db, clock, someone, world.asnes)
    assert not someone.awaiting_approval


def test_a_group_leader_moving_into_the_region_that_made_them_one_does_not_wait(world, db, clock, hamar):
    someone = factories.person(db, hamar, "Hanne Hamar", clock())
    people.make_leader(db, someone, world.region.id, world.coordinator, clock())
    move(db, clock, someone, world.valer)
    assert not someone.awaiting_approval


def test_a_coordinator_moving_to_a_region_they_hold_no_role_in_waits_like_anyone(world, db, clock, hamar):
    move(db, clock, world.coordinator, hamar)
    assert world.coordinator.awaiting_approval


def test_coming_from_a_public_page_the_login_says_it_is_a_way_in_for_a_new_number(world, client):
    page = client.get(f"/sign-up/{world.asnes.id}", follow_redirects=True).text
    assert "<h1>Join Natteravn in Åsnes</h1>" in page
    assert "A new number is fine" in page and "we send you a code" in page
    assert "Log in to see this page." not in page


def test_a_login_not_from_a_public_page_is_a_plain_login(world, client):
    page = client.get("/welcome", follow_redirects=True).text
    assert "<h1>Log in</h1>" in page and "Join Natteravn" not in page


def test_an_unknown_or_archived_municipality_leaves_a_plain_login(world, db, client):
    assert "<h1>Log in</h1>" in client.get("/sign-up/999999", follow_redirects=True).text
    world.valer.archived = True
    db.commit()
    assert "<h1>Log in</h1>" in client.get(f"/sign-up/{world.valer.id}", follow_redirects=True).text
