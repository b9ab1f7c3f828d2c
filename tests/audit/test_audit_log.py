"""The audit log page: the region's changes, newest first, in words, with who made them."""

from __future__ import annotations

from datetime import timedelta

from natteravn.audit.service import record
from tests import factories


def test_changes_made_on_the_coordinator_pages_appear_in_the_log_in_words(world, clock, login, client):
    login(world.coordinator)
    route = world.routes["Kjellmyra"]
    client.post(
        f"/coordinator/places/routes/{route.id}",
        data={"name": "Kjellmyra", "meeting_point": "Kjellmyra skole", "notes": ""},
    )
    clock.advance(minutes=5)
    client.post(f"/coordinator/places/routes/{route.id}/archive")
    clock.advance(minutes=5)
    client.post(f"/coordinator/people/{world.parent.id}/leader")
    page = client.get("/coordinator/audit")
    assert page.status_code == 200
    text = page.text
    made_leader = text.index("Made Kari Nordmann a group leader")
    archived = text.index("Archived the route Kjellmyra")
    changed = text.index("Changed the route Kjellmyra. meeting point: Kjellmyra butikk → Kjellmyra skole")
    assert made_leader < archived < changed  # newest first
    assert text.count("Siri Koordinator") >= 3
    assert '<th scope="col">' in text


def test_the_log_is_filtered_by_action_and_by_object(world, db, clock, login, client):
    for route in world.routes.values():
        record(
            db,
            actor_id=world.coordinator.id,
            action="route.archived",
            object_type="route",
            object_id=route.id,
            now=clock(),
            region_id=world.region.id,
            name=route.name,
        )
    record(
        db,
        actor_id=world.coordinator.id,
        action="shift.cancelled",
        object_type="shift",
        object_id=world.nights[0].id,
        now=clock(),
        region_id=world.region.id,
        reason="Storm",
    )
    db.commit()
    login(world.coordinator)
    cancelled = client.get("/coordinator/audit?action=shift.cancelled").text
    assert "<td>Cancelled night Flisa sentrum, Fri 20 Nov 22:00: Storm</td>" in cancelled
    assert "<td>Archived the route" not in cancelled
    assert '<option value="route.archived">Archived the route …</option>' in cancelled
    one_route = client.get(f"/coordinator/audit?object_type=route&object_id={world.routes['Kirkenær'].id}").text
    assert "<td>Archived the route Kirkenær</td>" in one_route and "Kjellmyra</td>" not in one_route
    assert client.get("/coordinator/audit?action=nonsense&object_id=x").status_code == 200


def test_the_log_is_paginated(world, db, clock, login, client):
    for n in range(55):
        record(
            db,
            actor_id=world.coordinator.id,
            action="municipality.created",
            object_type="municipality",
            object_id=n + 1000,
            now=clock() + timedelta(minutes=n),
            region_id=world.region.id,
            name=f"Kommune {n:02d}",
        )
    db.commit()
    login(world.coordinator)
    first = client.get("/coordinator/audit").text
    assert "Kommune 54" in first and "Kommune 04" not in first and "Page 1 of 2" in first
    second = client.get("/coordinator/audit?page=2").text
    assert "Kommune 04" in second and "Kommune 54" not in second


def test_the_log_names_nights_by_route_and_time_and_terms_by_name(world, db, clock, login, client):
    shift, target = world.nights[0], world.nights[-1]
    walking = factories.signup(db, shift, world.parent, clock())
    db.commit()
    login(world.coordinator)
    client.post(f"/coordinator/nights/{shift.id}/move-person", data={"signup_id": walking.id, "to_shift_id": target.id})
    client.post(
        f"/coordinator/nights/{shift.id}",
        data={
            "day": "2026-11-26",
            "starts_local": "21:00",
            "ends_local": "01:00",
            "min_walkers": "2",
            "max_walkers": "5",
        },
    )
    client.get(f"/coordinator/terms/{world.term.id}/roster.csv")
    text = client.get("/coordinator/audit").text
    # Nights are named as they are now, as the coordinator finds them on the roster.
    assert "Moved Kari Nordmann from night Flisa sentrum, Thu 26 Nov 21:00 to night Kjellmyra, Sat 19 Dec 22:00" in text
    assert "Moved night Flisa sentrum, Thu 26 Nov 21:00: from Fri 20 Nov 22:00 to Thu 26 Nov 21:00" in text
    assert f"Downloaded the roster of term {world.term.name}, with phone numbers" in text
    world.coordinator.locale = "nn"
    db.commit()
    nynorsk = client.get("/coordinator/audit").text
    assert "Flytta vakt Flisa sentrum, to. 26. nov. 21:00: frå fr. 20. nov. 22:00 til to. 26. nov. 21:00" in nynorsk


def test_a_night_since_deleted_is_named_by_its_number(world, db, clock, login, client):
    record(
        db,
        actor_id=world.coordinator.id,
        action="shift.note_changed",
        object_type="shift",
        object_id=9999,
        now=clock(),
        region_id=world.region.id,
    )
    db.commit()
    login(world.coordinator)
    assert "<td>Changed the note on night 9999</td>" in client.get("/coordinator/audit").text


def test_another_regions_events_are_not_shown(world, db, clock, login, client):
    region, hamar, coordinator, _leader = factories.other_region(db, clock())
    record(
        db,
        actor_id=coordinator.id,
        action="municipality.updated",
        object_type="municipality",
        object_id=hamar.id,
        now=clock(),
        region_id=region.id,
        name="Hamar",
    )
    db.commit()
    login(world.coordinator)
    assert "Hamar" not in client.get("/coordinator/audit").text


def test_unknown_actions_show_their_details_and_the_system_acts_without_a_name(world, db, clock, login, client):
    record(
        db,
        actor_id=None,
        action="term.published",
        object_type="term",
        object_id=world.term.id,
        now=clock(),
        region_id=world.region.id,
        messages=12,
    )
    db.commit()
    login(world.coordinator)
    text = client.get("/coordinator/audit").text
    assert "term.published (messages: 12)" in text
    assert "The system" in text


def test_a_parent_may_not_read_the_log(world, login, client):
    login(world.parent)
    assert client.get("/coordinator/audit").status_code == 403
