"""Nights in the phone's calendar: a single night's .ics and the personal feed, read back with
`icalendar` as a calendar app would, in Oslo time across the daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from natteravn.accounts.service import calendar_token, revoke_calendar
from natteravn.clock import OSLO
from natteravn.shifts.models import SignupRole, SignupState, Term
from tests import factories

FRIDAY = date(2026, 11, 20)


def parsed(response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def real_hours(event) -> float:
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


def wall_hours(event) -> float:
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    return (end.replace(tzinfo=None) - start.replace(tzinfo=None)) / timedelta(hours=1)


def assert_in_oslo_time(calendar: Calendar, event) -> None:
    assert event["dtstart"].params["TZID"] == "Europe/Oslo"
    assert event["dtend"].params["TZID"] == "Europe/Oslo"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]


def feed_path(links, person) -> str:
    return links.calendar(calendar_token(person, links)).removeprefix(links.base_url)


@pytest.fixture
def season(world, db, clock):
    """A published term around both daylight-saving changes of 2026, with Flisa nights on them."""
    term = Term(
        region=world.region,
        name="2026",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 10, 31),
        signup_opens_at=clock() - timedelta(days=300),
        published_at=clock() - timedelta(days=300),
        nights_cap=10,
    )
    db.add(term)
    route = world.routes["Flisa sentrum"]
    nights = {
        "autumn": factories.night(db, term, route, date(2026, 10, 24)),
        "autumn_late": factories.night(db, term, route, date(2026, 10, 24), start=time(23, 0), end=time(4, 0)),
        "spring": factories.night(db, term, route, date(2026, 3, 28)),
        "spring_late": factories.night(db, term, route, date(2026, 3, 28), start=time(23, 0), end=time(4, 0)),
    }
    return nights


def test_a_single_night_downloads_as_one_event_at_the_meeting_point(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.parent, clock())
    db.commit()
    calendar = parsed(login(world.parent).get(f"/nights/{night.id}.ics"))
    [event] = events(calendar)
    assert_in_oslo_time(calendar, event)
    assert event.decoded("dtstart") == datetime(2026, 11, 20, 22, 0, tzinfo=OSLO)
    assert event.decoded("dtend") == datetime(2026, 11, 21, 1, 0, tzinfo=OSLO)
    assert "Flisa skysstasjon" in str(event["location"])
    assert "Flisa sentrum" in str(event["summary"])
    assert str(event["status"]) == "CONFIRMED"


def test_the_feed_holds_the_nights_the_person_took_and_those_they_wait_for_as_tentative(
    world, db, client, clock, links
):
    walking = world.night_on("Flisa sentrum", FRIDAY)
    leading = world.night_on("Kirkenær", date(2026, 11, 21))
    waiting = world.night_on("Våler sentrum", date(2026, 11, 27))
    cancelled_signup = world.night_on("Kjellmyra", date(2026, 11, 28))
    world.leader.locale = "en"
    factories.signup(db, walking, world.leader, clock())
    factories.signup(db, leading, world.leader, clock(), role=SignupRole.LEADER)
    factories.signup(db, waiting, world.leader, clock(), state=SignupState.WAITLISTED)
    factories.signup(db, cancelled_signup, world.leader, clock(), state=SignupState.CANCELLED)
    factories.signup(db, world.night_on("Flisa sentrum", date(2026, 12, 4)), world.parent, clock())
    db.commit()
    calendar = parsed(client.get(feed_path(links, world.leader)))  # no login: the token is the key
    found = events(calendar)
    places = ["Flisa skysstasjon", "Kirkenær stasjon", "Våler kulturhus"]
    assert [str(e["location"]).split(",")[0] for e in found] == places
    assert "group leader" in str(found[1]["summary"])
    assert [str(e["status"]) for e in found] == ["CONFIRMED", "CONFIRMED", "TENTATIVE"]
    assert str(found[2]["summary"]) == "Night walk: Våler sentrum (waitlist)"
    assert len({str(e["uid"]) for e in found}) == 3
    for event in found:
        assert_in_oslo_time(calendar, event)


def test_a_night_waited_for_downloads_as_tentative_with_the_waitlist_in_its_title(world, db, login, clock):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    world.parent.locale = "nb"
    db.commit()
    client = login(world.parent)
    [event] = events(parsed(client.get(f"/nights/{night.id}.ics")))
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["summary"]).endswith("Flisa sentrum (venteliste)")
    assert f"/nights/{night.id}.ics" not in client.get(f"/nights/{night.id}").text  # no calendar link offered


def test_a_night_the_parent_is_not_on_has_no_calendar_file(world, login):
    night = world.night_on("Flisa sentrum", FRIDAY)
    assert login(world.parent).get(f"/nights/{night.id}.ics").status_code == 404


def test_a_cancelled_night_stays_in_the_feed_marked_cancelled(world, db, client, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.parent, clock())
    night.cancelled_at = clock()
    db.commit()
    [event] = events(parsed(client.get(feed_path(links, world.parent))))
    assert str(event["status"]) == "CANCELLED"


def test_a_revoked_or_forged_feed_address_is_not_found(world, db, client, links):
    old = feed_path(links, world.parent)
    assert client.get(old).status_code == 200
    revoke_calendar(world.parent)
    db.commit()
    assert client.get(old).status_code == 404
    assert client.get(feed_path(links, world.parent)).status_code == 200
    assert client.get("/calendar/forged.ics").status_code == 404
    forged = links.sign("offer", [world.parent.id, world.parent.calendar_version])
    assert client.get(f"/calendar/{forged}.ics").status_code == 404


def test_the_autumn_change_night_keeps_its_local_times(world, season, db, client, clock, links):
    """Clocks go back at 03:00 on Sunday 25 October 2026. A 22:00–01:00 walk ends before that:
    three hours on the clock and three real hours, all in summer time."""
    factories.signup(db, season["autumn"], world.parent, clock())
    db.commit()
    calendar = parsed(client.get(feed_path(links, world.parent)))
    [event] = events(calendar)
    assert_in_oslo_time(calendar, event)
    assert event["dtstart"].to_ical() == b"20261024T220000"
    assert event["dtend"].to_ical() == b"20261025T010000"
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert wall_hours(event) == real_hours(event) == 3


def test_a_walk_through_the_autumn_change_is_an_hour_longer_than_the_clock_says(
    world, season, db, client, clock, links
):
    """23:00–04:00 across the change: five hours on the clock, six real hours."""
    factories.signup(db, season["autumn_late"], world.parent, clock())
    db.commit()
    calendar = parsed(client.get(feed_path(links, world.parent)))
    [event] = events(calendar)
    assert_in_oslo_time(calendar, event)
    assert event["dtstart"].to_ical() == b"20261024T230000"
    assert event["dtend"].to_ical() == b"20261025T040000"
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert event.decoded("dtend").utcoffset() == timedelta(hours=1)
    assert (wall_hours(event), real_hours(event)) == (5, 6)


def test_the_spring_change_nights_keep_their_local_times(world, season, db, client, clock, links):
    """Clocks go forward at 02:00 on Sunday 29 March 2026: 22:00–01:00 on Saturday 28 March is
    three ordinary winter hours; a 23:00–04:00 walk that night is five on the clock but four real."""
    factories.signup(db, season["spring"], world.parent, clock())
    factories.signup(db, season["spring_late"], world.other_parent, clock())
    db.commit()
    calendar = parsed(client.get(feed_path(links, world.parent)))
    [event] = events(calendar)
    assert_in_oslo_time(calendar, event)
    assert event["dtstart"].to_ical() == b"20260328T220000"
    assert event["dtend"].to_ical() == b"20260329T010000"
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=1)
    assert wall_hours(event) == real_hours(event) == 3
    [event] = events(parsed(client.get(feed_path(links, world.other_parent))))
    assert event["dtstart"].to_ical() == b"20260328T230000"
    assert event["dtend"].to_ical() == b"20260329T040000"
    assert event.decoded("dtend").utcoffset() == timedelta(hours=2)
    assert (wall_hours(event), real_hours(event)) == (5, 4)


def test_the_night_span_is_stored_in_utc_across_the_changes(season):
    assert season["autumn"].starts_at == datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    assert season["autumn"].ends_at == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert season["spring"].starts_at == datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    assert season["spring"].ends_at == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
