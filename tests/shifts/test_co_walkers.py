"""Who sees whose phone number: the people holding a place on a night see each other's, and only
from a few days before it (the region's `phones_visible_days`). Through HTTP, as a parent, or
someone posing as one, meets it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from natteravn.roster import service as roster
from natteravn.shifts import service
from natteravn.shifts.models import SignupRole, SignupState
from tests import factories
from tests.conftest import code_from

FRIDAY = date(2026, 11, 20)
SATURDAY = date(2026, 11, 21)
NEXT_FRIDAY = date(2026, 11, 27)
#: Monday 16 November 2026, 10:00 in Oslo: the first night of the term is four and a half days away.
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
STRANGER = "+4798765432"
TEL = re.compile(r'href="tel:([^"]+)"')


def numbers_on(page: str) -> set[str]:
    return set(TEL.findall(page))


@pytest.fixture
def volunteers(world, db, clock):
    """96 volunteers spread over the term's 40 nights, two or three on each."""
    people = [factories.person(db, world.asnes, f"Frivillig {i} Hansen", clock()) for i in range(96)]
    for i, someone in enumerate(people):
        factories.signup(db, world.nights[i % len(world.nights)], someone, clock())
    db.commit()
    return people


def register_as_stranger(client, gateway, world) -> None:
    """A number nobody knows, through the login and the welcome page, as anyone can."""
    client.post("/login", data={"phone": STRANGER})
    client.post("/login/code", data={"code": code_from(gateway, STRANGER)})
    welcome = {"name": "Ukjent", "municipality": world.asnes.id, "locale": "en", "adult": "y", "conduct": "y"}
    assert client.post("/welcome", data=welcome).status_code == 302


def harvest(client, db, world) -> set[str]:
    """Sign up for each night, read its page, cancel: what the issue did with 92 requests."""
    found: set[str] = set()
    for night in world.nights:
        client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
        page = client.get(f"/nights/{night.id}").text
        found |= numbers_on(page)
        mine = re.search(r'action="/signups/(\d+)/cancel"', page)
        if mine:
            client.post(f"/signups/{mine.group(1)}/cancel")
    return found


def test_signing_up_and_cancelling_across_a_term_yields_no_numbers(world, volunteers, client, gateway, db, clock):
    clock.set(MONDAY)
    register_as_stranger(client, gateway, world)
    assert harvest(client, db, world) == set()


def test_within_the_window_the_harvest_reaches_only_the_nights_a_few_days_away(
    world, volunteers, client, gateway, db, clock
):
    # Wednesday 10:00: Friday's nights (22:00) are within three days, Saturday's not yet.
    register_as_stranger(client, gateway, world)
    found = harvest(client, db, world)
    near = {
        s.person.phone
        for night in world.nights
        if night.starts_at.date() == FRIDAY
        for s in night.signups
        if s.state == SignupState.SIGNED_UP
    }
    assert found <= near and len(near) == 12


def test_those_on_a_night_see_first_names_until_a_few_days_before_and_then_numbers(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", NEXT_FRIDAY)
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    login(world.parent)
    early = client.get(f"/nights/{night.id}").text
    assert "Lise (group leader)" in early and numbers_on(early) == set()
    assert "Their phone numbers are shown here from Tue 24 Nov 22:00" in early
    clock.set(night.starts_at - timedelta(days=3))
    near = client.get(f"/nights/{night.id}").text
    assert numbers_on(near) == {world.leader.phone}
    assert "Their phone numbers are shown here" not in near


def test_my_nights_follow_the_same_rule(world, db, client, login, clock):
    near, far = world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kirkenær", NEXT_FRIDAY)
    for night, other in ((near, world.leader), (far, world.other_parent)):
        factories.signup(db, night, world.parent, clock())
        factories.signup(db, night, other, clock())
    db.commit()
    page = login(world.parent).get("/my").text
    assert numbers_on(page) == {world.leader.phone}
    assert "Lise" in page and "Ola" in page and world.other_parent.phone not in page


def test_the_region_chooses_how_many_days_before(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", NEXT_FRIDAY)
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock())
    world.region.phones_visible_days = 10
    db.commit()
    assert numbers_on(login(world.parent).get(f"/nights/{night.id}").text) == {world.leader.phone}


@pytest.mark.parametrize("state", [SignupState.WAITLISTED, SignupState.OFFERED, SignupState.CANCELLED])
def test_someone_waiting_offered_or_gone_sees_nobody_on_the_night(world, db, client, login, clock, state):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    mine = factories.signup(db, night, world.parent, clock(), state=state)
    mine.offer_expires_at = clock() + timedelta(hours=1) if state == SignupState.OFFERED else None
    db.commit()
    login(world.parent)
    for page in (client.get(f"/nights/{night.id}").text, client.get("/my").text):
        assert numbers_on(page) == set() and "Lise" not in page


@pytest.mark.parametrize("state", [SignupState.WAITLISTED, SignupState.OFFERED, SignupState.CANCELLED])
def test_someone_waiting_offered_or_gone_is_not_shown_to_those_on_the_night(world, db, client, login, clock, state):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.other_parent, clock(), state=state)
    db.commit()
    page = login(world.parent).get(f"/nights/{night.id}").text
    assert "Ola" not in page and world.other_parent.phone not in page


def test_a_walker_who_gives_the_place_back_no_longer_sees_the_numbers(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    login(world.parent)
    client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    assert numbers_on(client.get(f"/nights/{night.id}").text) == {world.leader.phone}
    mine = next(s for s in night.signups if s.person_id == world.parent.id)
    client.post(f"/signups/{mine.id}/cancel")
    assert numbers_on(client.get(f"/nights/{night.id}").text) == set()


# --- A night called off: nobody to walk with, and no numbers to share. ---


def test_nobody_on_a_cancelled_night_sees_the_others(world, db, clock, links):
    night = world.night_on("Flisa sentrum", NEXT_FRIDAY)
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    clock.set(night.starts_at - timedelta(days=1))  # the numbers would be shown by now
    assert service.co_walkers(db, world.parent, night, clock()).walkers
    roster.cancel_night(db, night, "Storm warning.", clock(), links, world.coordinator)
    assert service.co_walkers(db, world.parent, night, clock()) is None
    assert service.co_walkers_on(db, world.parent, [night.id], clock()) == {}


def test_a_cancelled_night_shows_its_people_why_and_when_not_its_places_names_or_numbers(
    world, db, client, login, clock, links
):
    night = world.night_on("Flisa sentrum", NEXT_FRIDAY)
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    roster.cancel_night(db, night, "Storm warning.", clock(), links, world.coordinator)
    db.commit()
    login(world.parent)
    for page in (client.get(f"/nights/{night.id}").text, client.get("/my").text):
        assert "Storm warning." in page and "Cancelled Wed 18 Nov 10:00." in page
        assert "Lise" not in page and "Walking with you" not in page
        assert "Their phone numbers are shown here" not in page and numbers_on(page) == set()
    page = client.get(f"/nights/{night.id}").text
    assert "This night is cancelled." in page
    assert "taken (at least" not in page and "Group leader</dt>" not in page
