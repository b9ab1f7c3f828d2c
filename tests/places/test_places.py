"""The coordinator keeps the region's settings and places: create, edit and archive, with clear
refusals, everything in the audit log, and other regions out of reach."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.places import service
from natteravn.places.models import Municipality, Registration, Route, SchoolClass
from natteravn.shifts.models import Shift
from tests import factories


def events(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def settings(region, **changes):
    return service.RegionSettings(**{**vars(service.RegionSettings.of(region)), **changes})


# --- Services. ---


def test_a_coordinator_changes_the_regions_settings_and_the_change_is_logged(world, db, clock):
    service.update_region(
        db,
        world.region,
        settings(world.region, nights_per_term_cap=3, quiet_from=time(22, 0), name="Solør-regionen"),
        world.coordinator,
        clock(),
    )
    assert (world.region.nights_per_term_cap, world.region.quiet_from) == (3, time(22, 0))
    (event,) = events(db, "region.updated")
    assert event.actor_id == world.coordinator.id and event.region_id == world.region.id
    assert event.details["changed"] == {
        "name": ["Solør", "Solør-regionen"],
        "nights_per_term_cap": [2, 3],
        "quiet_from": ["21:00", "22:00"],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "Write the region's name."),
        ({"nights_per_term_cap": 0}, "Nights per person and term must be between 1 and 50."),
        ({"cancel_cutoff_hours": 500}, "The cancel cut-off must be between 0 and 168 hours."),
        ({"quiet_from": time(8, 0), "quiet_until": time(8, 0)}, "Quiet hours must start and end at different times."),
        (
            {"quiet_from": time(0, 0), "quiet_until": time(23, 59)},
            "Quiet hours may last at most 16 hours: SMS need the rest of the day.",
        ),
        (
            {"quiet_from": time(17, 0), "quiet_until": time(10, 0)},  # 17 hours, across midnight
            "Quiet hours may last at most 16 hours: SMS need the rest of the day.",
        ),
        (
            {"reminder_day_at": time(23, 30)},  # the quiet hours are 21:00–08:00
            "The reminder on the day falls in the quiet hours. Choose a time outside them.",
        ),
    ],
)
def test_region_settings_that_make_no_sense_are_refused(world, db, clock, changes, message):
    with pytest.raises(service.PlaceRefused) as refused:
        service.update_region(db, world.region, settings(world.region, **changes), world.coordinator, clock())
    assert str(refused.value) == message


def test_saving_unchanged_settings_logs_nothing(world, db, clock):
    service.update_region(db, world.region, settings(world.region), world.coordinator, clock())
    assert events(db, "region.updated") == []


def test_municipality_names_are_unique_in_the_region_whatever_the_case(world, db, clock):
    with pytest.raises(service.PlaceRefused, match="already has a municipality called ÅSNES"):
        service.add_municipality(db, world.region, " ÅSNES ", world.coordinator, clock())
    with pytest.raises(service.PlaceRefused, match="Write the municipality's name"):
        service.add_municipality(db, world.region, "   ", world.coordinator, clock())
    added = service.add_municipality(db, world.region, "Nord-Odal", world.coordinator, clock())
    assert added.region_id == world.region.id and not added.archived
    assert events(db, "municipality.created")[0].details == {"name": "Nord-Odal"}


def test_a_municipality_is_one_name_never_a_list_of_them(world, db, clock):
    """Stored, "Grue, Kongsvinger" would be one municipality that reads like two and cannot be split."""
    with pytest.raises(service.SeveralMunicipalities) as refused:
        service.add_municipality(db, world.region, "Eidskog, Kongsvinger; Nord-Odal", world.coordinator, clock())
    assert str(refused.value) == (
        "One municipality at a time: Eidskog, Kongsvinger and Nord-Odal are 3 municipalities."
    )
    assert (refused.value.field, refused.value.names) == ("name", ["Eidskog", "Kongsvinger", "Nord-Odal"])
    with pytest.raises(service.PlaceRefused, match="One municipality at a time: Åsnes and Kongsvinger are 2"):
        service.rename_municipality(db, world.asnes, "Åsnes,Kongsvinger", world.coordinator, clock())
    with pytest.raises(service.PlaceRefused, match="A municipality's name has no comma or semicolon."):
        service.add_municipality(db, world.region, "Eidskog;", world.coordinator, clock())
    assert world.asnes.name == "Åsnes"
    assert events(db, "municipality.created") == []


def test_another_region_may_use_the_same_municipality_name(world, db, clock):
    region, _hamar, coordinator, _leader = factories.other_region(db, clock())
    assert service.add_municipality(db, region, "Åsnes", coordinator, clock()).name == "Åsnes"


def test_routes_need_a_name_and_a_meeting_point_and_a_name_of_their_own(world, db, clock):
    add = dict(actor=world.coordinator, now=clock(), notes="")
    with pytest.raises(service.PlaceRefused, match="Write where the walkers meet"):
        service.add_route(db, world.asnes, name="Flisa nord", meeting_point=" ", **add)
    with pytest.raises(service.PlaceRefused, match="Åsnes already has a route called flisa sentrum"):
        service.add_route(db, world.asnes, name="flisa sentrum", meeting_point="Torget", **add)
    # The same name in a neighbouring municipality is a different route.
    route = service.add_route(db, world.grue, name="Flisa sentrum", meeting_point="Torget", **add)
    assert route.municipality_id == world.grue.id


def test_editing_a_route_logs_what_changed(world, db, clock):
    route = world.routes["Kjellmyra"]
    service.edit_route(
        db,
        route,
        name="Kjellmyra",
        meeting_point="Kjellmyra skole",
        notes="Ta med refleks",
        actor=world.coordinator,
        now=clock(),
    )
    (event,) = events(db, "route.updated")
    assert event.object_id == route.id
    assert event.details["changed"] == {
        "meeting_point": ["Kjellmyra butikk", "Kjellmyra skole"],
        "notes": ["", "Ta med refleks"],
    }


def test_a_route_cannot_be_renamed_to_a_name_already_in_use(world, db, clock):
    with pytest.raises(service.PlaceRefused, match="already has a route called Flisa sentrum"):
        service.edit_route(
            db,
            world.routes["Kjellmyra"],
            name="Flisa sentrum",
            meeting_point="X",
            notes="",
            actor=world.coordinator,
            now=clock(),
        )


def test_an_archived_route_keeps_its_nights_and_can_be_restored(world, db, clock):
    route = world.routes["Kjellmyra"]
    nights = db.scalars(select(Shift).where(Shift.route_id == route.id)).all()
    service.set_archived(db, route, True, world.coordinator, clock())
    db.commit()
    assert route.archived
    assert {n.route_id for n in db.scalars(select(Shift).where(Shift.id.in_([n.id for n in nights])))} == {route.id}
    service.set_archived(db, route, False, world.coordinator, clock())
    assert not route.archived
    assert [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "route.archived",
        "route.restored",
    ]


def test_schools_and_classes_have_names_of_their_own(world, db, clock):
    school = world.school_class.school
    with pytest.raises(service.PlaceRefused, match="Flisa skole already has a class called 9a"):
        service.add_class(db, school, "9a", world.coordinator, clock())
    with pytest.raises(service.PlaceRefused, match="Åsnes already has a school called Flisa skole"):
        service.add_school(db, world.asnes, "Flisa skole", world.coordinator, clock())
    added = service.add_class(db, school, "10B", world.coordinator, clock())
    assert events(db, "school_class.created")[0].details == {"name": "Flisa skole 10B"}
    service.rename_class(db, added, "10C", world.coordinator, clock())
    assert added.name == "10C"


def test_a_class_is_one_name_never_a_list_of_them(world, db, clock):
    """Saved as one, "8A, 8B, 9A" would be one checkbox for parents and one weekend for three classes."""
    school = world.school_class.school
    with pytest.raises(service.SeveralNames) as refused:
        service.add_class(db, school, "8A, 8B; 9B", world.coordinator, clock())
    assert str(refused.value) == "One class at a time: 8A, 8B and 9B are 3 classes."
    assert (refused.value.field, refused.value.names) == ("name", ["8A", "8B", "9B"])
    with pytest.raises(service.PlaceRefused, match="One class at a time: 9A and 9B are 2 classes."):
        service.rename_class(db, world.school_class, "9A,9B", world.coordinator, clock())
    with pytest.raises(service.PlaceRefused, match="A class's name has no comma or semicolon."):
        service.add_class(db, school, "10A,", world.coordinator, clock())
    assert world.school_class.name == "9A"
    assert events(db, "school_class.created") == []


def test_places_of_another_region_are_not_found(world, db, clock):
    region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    assert service.place_in(db, Municipality, world.asnes.id, {region.id}) is None
    assert service.place_in(db, SchoolClass, world.school_class.id, {region.id}) is None
    assert service.place_in(db, Municipality, hamar.id, {region.id}) == hamar


# --- Pages. ---


def test_the_places_page_lists_the_region_with_routes_schools_and_classes(world, login, client):
    login(world.coordinator)
    page = client.get("/coordinator/places")
    assert page.status_code == 200
    for text in ("Solør", "Åsnes", "Kjellmyra butikk", "Flisa skole", "9A"):
        assert text in page.text
    assert '<th scope="col">' in page.text


def test_a_coordinator_adds_a_route_through_the_form(world, db, login, client):
    login(world.coordinator)
    response = client.post(
        f"/coordinator/places/municipalities/{world.valer.id}/routes/new",
        data={"name": "Braskereidfoss", "meeting_point": "Butikken", "notes": ""},
    )
    assert response.status_code == 302
    route = db.scalar(select(Route).where(Route.name == "Braskereidfoss"))
    assert (route.municipality_id, route.meeting_point) == (world.valer.id, "Butikken")
    assert "Braskereidfoss" in client.get("/coordinator/places").text


def test_each_new_place_is_confirmed_by_name_and_where_it_was_added(world, db, login, client):
    login(world.coordinator)
    school = world.school_class.school
    added = [
        (
            f"/coordinator/places/regions/{world.region.id}/municipalities/new",
            {"name": "Eidskog"},
            "The municipality Eidskog is added to Solør.",
        ),
        (
            f"/coordinator/places/municipalities/{world.valer.id}/routes/new",
            {"name": "Braskereidfoss", "meeting_point": "Butikken", "notes": ""},
            "The route Braskereidfoss is added to Våler.",
        ),
        (
            f"/coordinator/places/municipalities/{world.valer.id}/schools/new",
            {"name": "Våler ungdomsskole"},
            "The school Våler ungdomsskole is added to Våler.",
        ),
        (
            f"/coordinator/places/schools/{school.id}/classes/new",
            {"name": " 8A "},
            "The class 8A is added to Flisa skole.",
        ),
    ]
    for url, data, said in added:
        page = client.post(url, data=data, follow_redirects=True)
        assert page.status_code == 200 and said in page.text
    changed = client.post(
        f"/coordinator/places/classes/{world.school_class.id}", data={"name": "9C"}, follow_redirects=True
    )
    assert "Saved." in changed.text


def test_classes_typed_together_are_refused_by_name_on_the_form(world, db, login, client):
    login(world.coordinator)
    page = client.post(
        f"/coordinator/places/schools/{world.school_class.school.id}/classes/new", data={"name": "8A, 8B, 9B"}
    )
    assert page.status_code == 422
    assert "One class at a time: 8A, 8B and 9B are 3 classes." in page.text
    assert 'aria-describedby="name-error"' in page.text  # beside the field, not only above the form
    assert db.scalar(select(SchoolClass).where(SchoolClass.name.like("8A%"))) is None


def test_a_duplicate_name_is_explained_on_the_form(world, login, client):
    login(world.coordinator)
    page = client.post(
        f"/coordinator/places/municipalities/{world.asnes.id}/routes/new",
        data={"name": "Kjellmyra", "meeting_point": "Et sted", "notes": ""},
    )
    assert page.status_code == 422
    assert "Åsnes already has a route called Kjellmyra." in page.text


def test_an_empty_field_is_explained_on_the_form(world, login, client):
    login(world.coordinator)
    page = client.post(f"/coordinator/places/schools/{world.school_class.school.id}/classes/new", data={"name": ""})
    assert page.status_code == 422
    assert "Write a name." in page.text


def test_the_region_settings_form_saves_and_refuses_nonsense(world, db, login, client):
    login(world.coordinator)
    url = f"/coordinator/places/regions/{world.region.id}"
    form = client.get(url)
    assert 'for="quiet_from"' in form.text
    data = {
        "name": "Solør",
        "nights_per_term_cap": "4",
        "cancel_cutoff_hours": "12",
        "offer_hours": "6",
        "phones_visible_days": "5",
        "leader_place_days": "5",
        "reminder_before_days": "2",
        "reminder_before_at": "18:00",
        "reminder_day_at": "12:00",
        "report_request_at": "10:00",
        "quiet_from": "21:30",
        "quiet_until": "08:00",
        "call_weekday": "1",
        "call_at": "17:00",
    }
    assert client.post(url, data={**data, "cancel_cutoff_hours": "abc"}).status_code == 422
    assert client.post(url, data=data).status_code == 302
    db.expire_all()
    assert (world.region.nights_per_term_cap, world.region.quiet_from) == (4, time(21, 30))
    assert world.region.phones_visible_days == 5
    assert client.post(url, data={**data, "phones_visible_days": "0"}).status_code == 422
    assert world.region.leader_place_days == 5
    assert client.post(url, data={**data, "leader_place_days": "61"}).status_code == 422
    [changed] = [e for e in events(db, "region.updated") if "leader_place_days" in e.details["changed"]]
    assert changed.details["changed"]["leader_place_days"] == [0, 5]


def test_a_region_chooses_who_may_join_and_the_audit_log_says_so_in_words(world, db, login, client):
    login(world.coordinator)
    url = f"/coordinator/places/regions/{world.region.id}"
    form = client.get(url).text
    assert 'for="registration"' in form and "A coordinator approves each new person" in form
    settings_now = vars(service.RegionSettings.of(world.region))
    data = {k: v.strftime("%H:%M") if isinstance(v, time) else v for k, v in settings_now.items()}
    assert client.post(url, data={**data, "registration": "everyone"}).status_code == 422
    assert client.post(url, data={**data, "registration": "open"}).status_code == 302
    db.expire_all()
    assert world.region.registration == Registration.OPEN
    (event,) = events(db, "region.updated")
    assert event.details["changed"] == {"registration": ["approval", "open"]}
    assert "who may join: approval → open" in client.get("/coordinator/audit").text
    assert (
        "Anyone who logs in and accepts the code of conduct can sign up at once"
        in client.get("/coordinator/places").text
    )


def test_times_are_typed_on_the_24_hour_clock_the_norwegian_way_too(world, db, login, client):
    login(world.coordinator)
    url = f"/coordinator/places/regions/{world.region.id}"
    form = client.get(url).text
    assert 'id="quiet_from" inputmode="numeric"' in form and 'type="text"' in form and 'value="21:00"' in form
    assert 'type="time"' not in form  # the browser's picker shows 12-hour times in some languages
    data = dict(vars(service.RegionSettings.of(world.region)))
    data = {k: v.strftime("%H:%M") if hasattr(v, "strftime") else v for k, v in data.items()}
    assert client.post(url, data={**data, "quiet_from": "21.30", "call_at": "1715"}).status_code == 302
    db.expire_all()
    assert (world.region.quiet_from, world.region.call_at) == (time(21, 30), time(17, 15))
    refused = client.post(url, data={**data, "quiet_from": "9:30 PM"})
    assert refused.status_code == 422 and "Write the time on the 24-hour clock, like 22:00." in refused.text


def test_an_archived_class_and_municipality_leave_the_parents_choices(world, db, clock, login, client):
    other_class = service.add_class(db, world.school_class.school, "9B", world.coordinator, clock())
    db.commit()
    login(world.coordinator)
    client.post(f"/coordinator/places/classes/{other_class.id}/archive")
    client.post(f"/coordinator/places/municipalities/{world.valer.id}/archive")
    client.post("/logout")
    login(world.parent)
    profile = client.get("/profile").text
    classes = profile[
        profile.index("<legend>Flisa skole</legend>") : profile.index("</fieldset>", profile.index("Flisa skole"))
    ]
    assert "9A</label>" in classes
    assert "9B</label>" not in classes
    assert "Våler" not in profile


def test_archiving_can_be_undone_from_the_page(world, db, login, client):
    login(world.coordinator)
    route = world.routes["Kirkenær"]
    client.post(f"/coordinator/places/routes/{route.id}/archive")
    db.expire_all()
    assert db.get(Route, route.id).archived
    assert "Restore Kirkenær" in client.get("/coordinator/places").text
    client.post(f"/coordinator/places/routes/{route.id}/restore")
    db.expire_all()
    assert not db.get(Route, route.id).archived


def test_another_regions_coordinator_cannot_touch_these_places(world, db, clock, login, client):
    _region, _hamar, coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    login(coordinator)
    assert client.get(f"/coordinator/places/routes/{world.routes['Kirkenær'].id}").status_code == 404
    assert client.post(f"/coordinator/places/routes/{world.routes['Kirkenær'].id}/archive").status_code == 404
    assert client.get(f"/coordinator/places/regions/{world.region.id}").status_code == 404
    assert "Kirkenær" not in client.get("/coordinator/places").text
    db.expire_all()
    assert not db.get(Route, world.routes["Kirkenær"].id).archived
