"""One night beside the patterns: the eve of 17 May needs more walkers, and no pattern makes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.places.models import Route
from natteravn.roster import service as roster
from natteravn.shifts.models import Shift
from tests import factories


def _peak(world, **changes) -> roster.NewNight:
    flisa = world.routes["Flisa sentrum"]
    given = {
        "route_id": flisa.id,
        "day": date(2026, 12, 16),  # a Wednesday: no pattern makes it
        "starts_local": time(20, 0),
        "ends_local": time(0, 0),
        "min_walkers": 6,
        "max_walkers": 10,
    }
    return roster.NewNight(**{**given, **changes})


def test_a_coordinator_adds_a_peak_night_with_more_walkers(db, world, clock):
    night = roster.add_night(db, world.term, _peak(world, note="Ta med refleksvest"), clock(), world.coordinator)
    assert (night.starts_at, night.ends_at) == (
        datetime(2026, 12, 16, 19, 0, tzinfo=UTC),
        datetime(2026, 12, 16, 23, 0, tzinfo=UTC),
    )
    assert (night.min_walkers, night.max_walkers, night.needs_leader, night.note) == (6, 10, True, "Ta med refleksvest")
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "shift.added"))
    assert event.object_id == night.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day": date(2027, 5, 16)}, "A night of this term must be between 20.11.2026 and 19.12.2026."),
        ({"day": date(2026, 11, 20)}, "Flisa sentrum already has a night that day."),
        ({"day": date(2026, 11, 17)}, "A night cannot be added at a time that has passed."),
        ({"ends_local": time(20, 0)}, "A night must end at another time than it starts."),
        ({"min_walkers": 11}, "The minimum must be at least 1 and no more than the maximum."),
        ({"route_id": 999_999}, "That route is not in this region."),
    ],
)
def test_a_night_that_breaks_the_rules_of_every_night_is_refused(db, world, clock, changes, message):
    with pytest.raises(roster.RosterRefused) as refused:
        roster.add_night(db, world.term, _peak(world, **changes), clock(), world.coordinator)
    assert refused.value.translated(lambda msgid: msgid) == message


def test_another_regions_route_is_refused(db, world, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    elsewhere = Route(municipality=hamar, name="Stortorget", meeting_point="Stortorget")
    db.add(elsewhere)
    db.flush()
    with pytest.raises(roster.RosterRefused):
        roster.add_night(db, world.term, _peak(world, route_id=elsewhere.id), clock(), world.coordinator)


def test_the_night_is_added_on_the_term_page_and_parents_see_it(db, world, login):
    client = login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}").text
    assert "Add one night" in page and "Flisa sentrum" in page
    form = {
        "night-route_id": str(world.routes["Flisa sentrum"].id),
        "night-day": "2026-12-16",
        "night-starts_local": "20:00",
        "night-ends_local": "24:00",
        "night-min_walkers": "6",
        "night-max_walkers": "10",
        "night-needs_leader": "y",
    }
    added = client.post(f"/coordinator/terms/{world.term.id}/nights", data=form)
    assert added.status_code == 302
    assert "The night is added." in client.get(added.location).text
    night = db.scalar(select(Shift).where(Shift.max_walkers == 10))
    assert added.location.endswith(f"/coordinator/nights/{night.id}")
    client.post("/logout")
    seen = login(world.parent).get(f"/nights/{night.id}")
    assert seen.status_code == 200 and "Sign up" in seen.text

    client.post("/logout")
    login(world.coordinator)
    again = client.post(f"/coordinator/terms/{world.term.id}/nights", data=form)
    assert again.status_code == 422 and "Flisa sentrum already has a night that day." in again.text
    no_route = client.post(f"/coordinator/terms/{world.term.id}/nights", data={**form, "night-route_id": ""})
    assert no_route.status_code == 422 and "Choose a route." in no_route.text


def test_only_the_regions_coordinator_adds_nights(db, world, clock, login, client):
    _region, _hamar, other_coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    form = {"night-route_id": str(world.routes["Flisa sentrum"].id), "night-day": "2026-12-16"}
    login(world.parent)
    assert client.post(f"/coordinator/terms/{world.term.id}/nights", data=form).status_code == 403
    client.post("/logout")
    login(other_coordinator)
    assert client.post(f"/coordinator/terms/{world.term.id}/nights", data=form).status_code == 404
    wednesday = datetime(2026, 12, 16, tzinfo=UTC), datetime(2026, 12, 17, tzinfo=UTC)
    assert db.scalar(select(Shift).where(Shift.starts_at.between(*wednesday))) is None
