"""A night that needs a group leader and has none keeps its last place for one, until the region's
number of days before the night: a walker asking for it waits, a leader gets it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from natteravn.shifts import service
from natteravn.shifts.models import SignupRole, SignupState
from tests import factories

FRIDAY = date(2026, 11, 27)  # nine days after the tests' Wednesday


@pytest.fixture
def almost_full(world, db, clock):
    """Flisa sentrum on Friday 27th with three places, two of them taken by walkers; the region keeps
    a leader's place until three days before."""
    world.region.leader_place_days = 3
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 3
    for name in ("Per Pedersen", "Pål Pålsen"):
        factories.signup(db, night, factories.person(db, world.asnes, name, clock()), clock())
    db.commit()
    return night


def test_a_walker_asking_for_the_last_place_waits_and_a_leader_gets_it(world, db, clock, links, almost_full):
    walker = service.sign_up(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    assert walker.state == SignupState.WAITLISTED
    leader = service.sign_up(db, world.leader, almost_full.id, SignupRole.LEADER, clock(), links)
    assert leader.state == SignupState.SIGNED_UP


def test_a_walker_is_told_the_place_is_kept_for_a_leader_at_the_tap_and_at_a_second_tap(
    world, db, clock, links, almost_full
):
    first = service.join(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    again = service.join(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    assert (first.signup.state, first.kept_for_leader) == (SignupState.WAITLISTED, True)
    assert (again.signup, again.kept_for_leader) == (first.signup, True)


def test_a_walker_waiting_on_a_full_night_is_not_told_of_a_kept_place_once_a_leader_is_on_it(
    world, db, clock, links, almost_full
):
    factories.signup(db, almost_full, world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    joined = service.join(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    assert (joined.signup.state, joined.kept_for_leader) == (SignupState.WAITLISTED, False)


def test_the_place_is_free_for_walkers_from_the_regions_day(world, db, clock, links, almost_full):
    clock.set(almost_full.starts_at - timedelta(days=3))
    assert service.sign_up(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links).state == (
        SignupState.SIGNED_UP
    )


@pytest.mark.parametrize("reason", ["a leader is on it", "it needs no leader", "the region keeps none"])
def test_no_place_is_kept_when_there_is_no_need(world, db, clock, links, almost_full, reason):
    if reason == "a leader is on it":
        almost_full.max_walkers = 4
        factories.signup(db, almost_full, world.leader, clock(), role=SignupRole.LEADER)
    elif reason == "it needs no leader":
        almost_full.needs_leader = False
    else:
        world.region.leader_place_days = 0
    db.commit()
    signup = service.sign_up(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    assert signup.state == SignupState.SIGNED_UP


def test_a_freed_last_place_goes_to_a_leader_on_the_waitlist_before_walkers(world, db, clock, links, almost_full):
    ola = service.sign_up(db, world.other_parent, almost_full.id, SignupRole.WALKER, clock(), links)
    first = factories.signup(db, almost_full, world.parent, clock())  # the night is full now
    clock.advance(minutes=1)
    leader = service.sign_up(db, world.leader, almost_full.id, SignupRole.LEADER, clock(), links)
    assert (ola.state, leader.state) == (SignupState.WAITLISTED, SignupState.WAITLISTED)

    service.cancel_signup(db, world.parent, first.id, clock(), links)

    assert (ola.state, leader.state) == (SignupState.WAITLISTED, SignupState.OFFERED)


def test_a_walker_waiting_is_offered_the_place_once_it_is_no_longer_kept(world, db, clock, links, almost_full):
    walker = service.sign_up(db, world.parent, almost_full.id, SignupRole.WALKER, clock(), links)
    assert service.offer_released_places(db, clock(), links) == 0
    assert walker.state == SignupState.WAITLISTED

    clock.set(almost_full.starts_at - timedelta(days=3))
    assert service.offer_released_places(db, clock(), links) == 1
    assert walker.state == SignupState.OFFERED


def test_the_pages_say_the_last_place_is_kept_for_a_leader(world, db, clock, login, client, almost_full):
    client = login(world.parent)
    night_page = client.get(f"/nights/{almost_full.id}").text
    assert "The last place is kept for a group leader" in night_page
    response = client.post(f"/nights/{almost_full.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "The last place is kept for a group leader until Tue 24 Nov 22:00." in response.text
    assert "You are on the waitlist" in response.text
