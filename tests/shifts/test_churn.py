"""Signing up and cancelling again and again is limited per person, through the pages: enough for
any parent, too little to read a region's nights one after another."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from natteravn.shifts.models import Signup, SignupState

FRIDAY = date(2026, 11, 20)
SATURDAY = date(2026, 11, 21)
REFUSED = "You have signed up and cancelled many times in a short while."


def sign_up_and_cancel(client, night) -> str:
    """One sign-up and one cancellation; the page after them."""
    client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    page = client.get(f"/nights/{night.id}").text
    mine = re.search(r'"/signups/(\d+)/cancel', page)  # the link to the page that cancels
    if mine:
        page = client.post(f"/signups/{mine.group(1)}/cancel", follow_redirects=True).text
    return page


def places_taken(db, person) -> int:
    db.expire_all()
    return len(
        db.scalars(select(Signup).where(Signup.person_id == person.id, Signup.state != SignupState.CANCELLED)).all()
    )


def test_four_rounds_in_an_hour_are_fine_and_the_fifth_sign_up_is_refused(world, db, client, login, clock):
    login(world.parent)
    nights = [n for n in world.nights if n.starts_at.date() == FRIDAY]
    for night in nights:
        assert REFUSED not in sign_up_and_cancel(client, night)
    refused = client.post(f"/nights/{nights[0].id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert REFUSED in refused.text
    assert places_taken(db, world.parent) == 0
    clock.advance(hours=1, seconds=1)
    assert (
        REFUSED
        not in client.post(f"/nights/{nights[0].id}/signup", data={"role": "walker"}, follow_redirects=True).text
    )
    assert places_taken(db, world.parent) == 1


def test_a_cancellation_past_the_limit_is_refused_and_the_place_kept(world, db, client, login, clock):
    login(world.parent)
    nights = [n for n in world.nights if n.starts_at.date() == FRIDAY]
    for night in nights[:3]:
        sign_up_and_cancel(client, night)
    saturday = world.night_on("Kirkenær", SATURDAY)
    for night in (nights[3], saturday):
        client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
        client.post(f"/nights/{night.id}/signup", data={"role": "walker"})  # a second tap counts nothing
    kept = db.scalar(select(Signup).where(Signup.person_id == world.parent.id, Signup.shift_id == saturday.id))
    assert REFUSED in client.post(f"/signups/{kept.id}/cancel", follow_redirects=True).text
    assert places_taken(db, world.parent) == 2


def test_a_day_allows_sixteen(world, db, client, login, clock):
    login(world.parent)
    nights = [n for n in world.nights if n.starts_at.date() == FRIDAY]
    for _hour in range(2):
        for night in nights:
            assert REFUSED not in sign_up_and_cancel(client, night)
        clock.advance(hours=1, seconds=1)
    assert REFUSED in client.post(f"/nights/{nights[0].id}/signup", data={"role": "walker"}, follow_redirects=True).text
    clock.advance(hours=22)
    assert (
        REFUSED
        not in client.post(f"/nights/{nights[0].id}/signup", data={"role": "walker"}, follow_redirects=True).text
    )


def test_the_limit_is_per_person(world, db, client, login, clock):
    login(world.parent)
    nights = [n for n in world.nights if n.starts_at.date() == FRIDAY]
    for night in nights:
        sign_up_and_cancel(client, night)
    client.post("/logout")
    login(world.other_parent)
    assert (
        REFUSED
        not in client.post(f"/nights/{nights[0].id}/signup", data={"role": "walker"}, follow_redirects=True).text
    )
    assert places_taken(db, world.other_parent) == 1


def test_a_coordinator_putting_a_parent_on_and_off_nights_leaves_the_parents_own_limit_alone(
    world, db, client, login, clock
):
    login(world.coordinator)
    nights = [n for n in world.nights if n.starts_at.date() == FRIDAY]
    for _round in range(3):
        for night in nights:
            client.post(f"/coordinator/nights/{night.id}/assign", data={"person_id": world.parent.id, "role": "walker"})
            db.expire_all()
            placed = db.scalar(
                select(Signup).where(
                    Signup.person_id == world.parent.id,
                    Signup.shift_id == night.id,
                    Signup.state == SignupState.SIGNED_UP,
                )
            )
            assert placed is not None
            client.post(f"/coordinator/nights/{night.id}/remove", data={"signup_id": placed.id, "confirmed": "1"})
    assert places_taken(db, world.parent) == 0
    client.post("/logout")
    login(world.parent)
    assert REFUSED not in sign_up_and_cancel(client, nights[0])
