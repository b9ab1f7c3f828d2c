"""A night without a group leader: its page lists the region's group leaders free that night (not
on another night at the same time), those who said they can lead that day first, then those of the
night's own municipality, each added as leader in one tap."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Role, RoleKind
from natteravn.roster import grid
from natteravn.shifts.models import Signup, SignupRole, SignupState
from tests import factories
from tests.roster.autofill.test_autofill import FRIDAY as FRIDAY_WEEKDAY
from tests.roster.autofill.test_autofill import say_available

FRIDAY = date(2026, 11, 20)


@pytest.fixture
def leaders(world, db, clock):
    """Gro leads in Grue, Lise in Åsnes; Pål, a Grue leader, waits for approval; Hans leads in
    another region; Ola (Grue) walks but does not lead."""
    gro = factories.person(db, world.grue, "Gro Grue", clock(), leader=True)
    factories.person(db, world.grue, "Pål Ventende", clock(), leader=True, approved=False)
    *_rest, hans = factories.other_region(db, clock())
    db.commit()
    return {"gro": gro, "lise": world.leader, "hans": hans}


def names(found: list[grid.FreeLeader]) -> list[str]:
    return [free.person.name for free in found]


def test_the_nights_own_municipalitys_leaders_come_first_then_the_regions(world, db, leaders):
    kirkenaer = world.night_on("Kirkenær", FRIDAY)
    found = grid.free_leaders(db, kirkenaer, world.coordinator.coordinator_scope)
    assert names(found) == ["Gro Grue", "Lise Leder"]  # not Pål (waiting), Hans (elsewhere) or Ola (no leader)
    assert [free.nights for free in found] == [0, 0] and not any(free.offered for free in found)


def test_a_leader_on_another_night_at_the_same_time_is_not_free(world, db, clock, leaders):
    factories.signup(db, world.night_on("Flisa sentrum", FRIDAY), world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    found = grid.free_leaders(db, world.night_on("Kirkenær", FRIDAY), world.coordinator.coordinator_scope)
    assert names(found) == ["Gro Grue"]


def test_a_leader_who_said_they_can_lead_that_day_comes_first(world, db, clock, leaders):
    say_available(db, world.leader, world.term, weekdays=[FRIDAY_WEEKDAY], wants_to_lead=True)
    factories.signup(db, world.night_on("Kirkenær", date(2026, 11, 21)), world.leader, clock())
    db.commit()
    found = grid.free_leaders(db, world.night_on("Kirkenær", FRIDAY), world.coordinator.coordinator_scope)
    assert names(found) == ["Lise Leder", "Gro Grue"]
    assert found[0].offered and found[0].nights == 1


def test_a_leader_who_holds_the_nights_they_offered_or_cannot_that_day_comes_last_and_says_so(
    world, db, clock, leaders
):
    say_available(db, world.leader, world.term, weekdays=[FRIDAY_WEEKDAY], wants_to_lead=True, max_nights=1)
    factories.signup(db, world.night_on("Kirkenær", date(2026, 11, 21)), world.leader, clock())
    say_available(db, leaders["gro"], world.term, weekdays=[5], wants_to_lead=True)  # Saturdays only
    factories.person(db, world.valer, "Vidar Våler", clock(), leader=True)  # said nothing
    db.commit()
    night = world.night_on("Kirkenær", FRIDAY)
    found = grid.free_leaders(db, night, world.coordinator.coordinator_scope)
    assert names(found) == ["Vidar Våler", "Gro Grue", "Lise Leder"]  # those who said no come last
    by_name = {free.person.name: free for free in found}
    assert by_name["Lise Leder"].full and not by_name["Lise Leder"].offered
    assert by_name["Gro Grue"].unavailable


def test_the_coordinator_adds_a_free_leader_from_the_nights_page(world, db, login, leaders):
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.coordinator)
    page = client.get(f"/coordinator/nights/{night.id}").text
    assert "Group leaders free that night" in page
    assert "Add Gro Grue as group leader" in page and "Add Lise Leder as group leader" in page
    added = client.post(
        f"/coordinator/nights/{night.id}/assign", data={"person_id": leaders["gro"].id, "role": "leader"}
    )
    assert added.status_code == 302
    placed = db.scalar(select(Signup).where(Signup.shift_id == night.id, Signup.person_id == leaders["gro"].id))
    assert placed.role == SignupRole.LEADER and placed.state == SignupState.SIGNED_UP
    assert "Group leaders free that night" not in client.get(f"/coordinator/nights/{night.id}").text


def test_a_municipalitys_coordinator_is_offered_only_their_own_leaders(world, db, clock, login, leaders):
    gunn = factories.person(db, world.grue, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    page = login(gunn).get(f"/coordinator/nights/{world.night_on('Kirkenær', FRIDAY).id}").text
    assert "Add Gro Grue as group leader" in page and "Lise Leder" not in page


def test_a_night_with_its_leader_lists_none_and_one_nobody_can_lead_says_so(world, db, clock, login, leaders):
    led = world.night_on("Kirkenær", FRIDAY)
    factories.signup(db, led, leaders["gro"], clock(), role=SignupRole.LEADER)
    db.commit()
    client = login(world.coordinator)
    assert "Group leaders free that night" not in client.get(f"/coordinator/nights/{led.id}").text
    none_free = world.night_on("Våler sentrum", FRIDAY)
    factories.signup(db, world.night_on("Flisa sentrum", FRIDAY), world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    page = client.get(f"/coordinator/nights/{none_free.id}").text
    assert "No group leader in your part of the region is free that night." in page
