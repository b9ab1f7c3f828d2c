"""Someone waiting for a coordinator's approval sees the nights but not who walks them, and
cannot sign up: the pages say so in their language, and the service refuses whatever the page
shows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from natteravn.accounts.service import calendar_token
from natteravn.people import service as people
from natteravn.shifts import calls, service
from natteravn.shifts.models import Signup, SignupRole
from tests import factories

FRIDAY = date(2026, 11, 27)


@pytest.fixture
def waiting(world, db, clock):
    """Joined Solør (which approves each new person) by themselves, speaking Bokmål."""
    someone = factories.person(db, world.asnes, "Nora Ny", clock(), locale="nb", approved=False)
    db.commit()
    return someone


@pytest.fixture
def walked_with(world, db, clock, waiting):
    """A night Nora is on already (as when someone approved moves here from another region), with Kari."""
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, waiting, clock())
    factories.signup(db, night, world.parent, clock())
    db.commit()
    return night


def signups_of(db, person) -> int:
    return db.scalar(select(func.count()).select_from(Signup).where(Signup.person_id == person.id))


def test_the_service_refuses_them_a_place(world, db, clock, links, waiting):
    with pytest.raises(service.SignupRefused, match="approve"):
        service.sign_up(db, waiting, world.nights[0].id, SignupRole.WALKER, clock(), links)
    assert signups_of(db, waiting) == 0


def test_the_nights_show_but_without_sign_up_buttons(world, login, client, waiting):
    page = login(waiting).get("/nights")
    assert page.status_code == 200
    assert "Flisa sentrum" in page.text
    assert "/signup" not in page.text
    assert "En koordinator godkjenner nye natteravner" in page.text


def test_the_night_page_says_why_instead_of_offering_a_button(world, login, client, waiting):
    night = world.nights[0]
    page = login(waiting).get(f"/nights/{night.id}")
    assert page.status_code == 200
    assert f"/nights/{night.id}/signup" not in page.text
    assert "En koordinator godkjenner nye natteravner" in page.text


def test_a_sign_up_posted_anyway_is_refused_on_the_night_page_in_their_language(world, db, login, client, waiting):
    night = world.nights[0]
    response = login(waiting).post(f"/nights/{night.id}/signup", data={"role": "walker"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "En koordinator må godkjenne deg før du kan melde deg på" in page.text
    assert signups_of(db, waiting) == 0


def test_they_see_nobody_on_the_night_page_nor_my_nights(world, login, client, waiting, walked_with):
    login(waiting)
    night_page = client.get(f"/nights/{walked_with.id}").text
    my_nights = client.get("/my").text
    for page in (night_page, my_nights):
        assert world.parent.phone not in page and "Kari" not in page
    assert "Flisa sentrum" in my_nights


def test_their_calendars_name_nobody(world, db, login, client, links, waiting, walked_with):
    single = login(waiting).get(f"/nights/{walked_with.id}.ics")
    feed = client.get(links.calendar(calendar_token(waiting, links)).removeprefix(links.base_url))
    for calendar in (single, feed):
        assert calendar.status_code == 200 and b"BEGIN:VEVENT" in calendar.data
        assert world.parent.phone.encode() not in calendar.data and b"Kari" not in calendar.data


def test_once_approved_they_sign_up_and_see_who_walks(world, db, clock, links, login, client, waiting, walked_with):
    people.approve(db, waiting, world.region.id, world.coordinator, clock(), links)
    db.commit()
    response = login(waiting).post(f"/nights/{world.nights[0].id}/signup", data={"role": "walker"})
    assert "Du er påmeldt" in client.get(response.headers["Location"]).text
    clock.set(datetime(2026, 11, 26, 12, tzinfo=UTC))  # the day before their night: its walkers' numbers show
    assert world.parent.phone in client.get(f"/nights/{walked_with.id}").text


def test_a_call_for_walkers_asks_nobody_who_is_waiting(world, db, clock, waiting):
    night = world.night_on("Flisa sentrum", FRIDAY)
    asked = calls.free_volunteers(db, night, clock())
    assert waiting not in asked and world.parent in asked
