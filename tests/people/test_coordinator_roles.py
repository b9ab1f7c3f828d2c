"""Coordinators and administrators are appointed by number: a new number is registered with the
name given, a known one keeps its own; granting twice or revoking what is not held changes
nothing; every change is in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import InvalidPhone
from natteravn.audit.models import AuditEvent
from natteravn.people import service as people
from natteravn.people.service import RoleChange
from tests import factories


def events(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_a_new_number_is_registered_to_answer_the_first_time_questions_at_first_login(db, clock):
    person, new = people.register(db, "900 00 001", "  Siri   Koordinator ", None, clock())
    assert new and (person.phone, person.name, person.onboarded) == ("+4790000001", "Siri Koordinator", False)
    (event,) = events(db, "person.registered")
    assert (event.actor_id, event.object_id) == (None, person.id)


def test_a_known_number_keeps_its_own_name(world, db, clock):
    person, new = people.register(db, world.parent.phone, "Someone Else", None, clock())
    assert (person, new, person.name) == (world.parent, False, "Kari Nordmann")
    assert events(db, "person.registered") == []


def test_a_new_number_needs_a_name_and_a_bad_number_is_refused(db, clock):
    with pytest.raises(people.PeopleRefused, match="Nobody has this number yet: write their name.") as refused:
        people.register(db, "+4790000001", " ", None, clock())
    assert refused.value.field == "name"
    with pytest.raises(InvalidPhone) as refused:
        people.register(db, "12", "Siri", None, clock())
    assert refused.value.field == "phone"


def test_a_coordinator_of_the_whole_region_is_granted_once(world, db, clock):
    person = world.parent
    assert people.grant_coordinator(db, person, world.region, None, None, clock()) == RoleChange.GRANTED
    assert people.grant_coordinator(db, person, world.region, None, None, clock()) == RoleChange.HELD
    assert people.grant_coordinator(db, person, world.region, world.grue, None, clock()) == RoleChange.COVERED
    assert person.coordinator_scope.regions == {world.region.id}
    (event,) = events(db, "person.coordinator_granted")
    assert (event.actor_id, event.region_id, event.object_id) == (None, world.region.id, person.id)
    assert (event.details["place"], event.details["municipality_id"]) == ("Solør", None)


def test_a_coordinator_of_one_municipality_sees_that_municipality_only(world, db, clock):
    person = world.other_parent
    assert people.grant_coordinator(db, person, world.region, world.grue, None, clock()) == RoleChange.GRANTED
    assert people.grant_coordinator(db, person, world.region, world.grue, None, clock()) == RoleChange.HELD
    scope = person.coordinator_scope
    assert (scope.regions, scope.municipalities) == (frozenset(), {world.grue.id})
    (event,) = events(db, "person.coordinator_granted")
    assert (event.details["place"], event.details["municipality_id"]) == ("Grue", world.grue.id)


def test_the_whole_region_takes_the_place_of_its_municipalities(world, db, clock):
    person = world.other_parent
    people.grant_coordinator(db, person, world.region, world.grue, None, clock())
    people.grant_coordinator(db, person, world.region, world.valer, None, clock())
    people.grant_coordinator(db, person, world.region, None, None, clock())
    db.flush()
    roles = db.scalars(select(Role).where(Role.person_id == person.id)).all()
    assert [(r.region_id, r.municipality_id) for r in roles] == [(world.region.id, None)]


def test_a_municipality_of_another_region_or_a_deactivated_person_is_refused(world, db, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    with pytest.raises(people.PeopleRefused, match="Hamar is not in Solør.") as refused:
        people.grant_coordinator(db, world.parent, world.region, hamar, None, clock())
    assert refused.value.field == "municipality"
    world.parent.active = False
    with pytest.raises(people.PeopleRefused, match="Kari Nordmann is deactivated"):
        people.grant_coordinator(db, world.parent, world.region, None, None, clock())


def test_revoking_takes_exactly_the_role_named_and_twice_changes_nothing(world, db, clock):
    person = world.other_parent
    people.grant_coordinator(db, person, world.region, world.grue, None, clock())
    assert people.revoke_coordinator(db, person, world.region, None, None, clock()) == RoleChange.NOT_HELD
    assert people.revoke_coordinator(db, person, world.region, world.grue, None, clock()) == RoleChange.REVOKED
    assert people.revoke_coordinator(db, person, world.region, world.grue, None, clock()) == RoleChange.NOT_HELD
    assert not person.coordinator_scope
    (event,) = events(db, "person.coordinator_revoked")
    assert (event.details["place"], event.region_id) == ("Grue", world.region.id)
    coordinator = world.coordinator
    assert people.revoke_coordinator(db, coordinator, world.region, None, coordinator, clock()) == RoleChange.REVOKED
    assert events(db, "person.coordinator_revoked")[-1].actor_id == coordinator.id


def test_an_administrator_stands_above_the_regions_and_coordinates_none(world, db, clock):
    person, _new = people.register(db, "+4790000003", "Anne Admin", None, clock())
    assert people.grant_admin(db, person, None, clock()) == RoleChange.GRANTED
    assert people.grant_admin(db, person, None, clock()) == RoleChange.HELD
    db.commit()
    assert person.is_admin and not person.coordinator_scope
    (role,) = person.roles
    assert (role.kind, role.region_id) == (RoleKind.ADMIN, None)
    assert people.revoke_admin(db, person, None, clock()) == RoleChange.REVOKED
    assert people.revoke_admin(db, person, None, clock()) == RoleChange.NOT_HELD
    assert not person.is_admin
    assert [len(events(db, a)) for a in ("person.admin_granted", "person.admin_revoked")] == [1, 1]


def test_the_database_keeps_every_role_but_the_administrators_in_a_region(world, db, clock):
    db.add(Role(person=world.parent, kind=RoleKind.COORDINATOR, region_id=None))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    db.add(Role(person=db.get(Person, world.parent.id), kind=RoleKind.ADMIN, region_id=world.region.id))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_revoking_needs_someone_registered_with_the_number(db):
    with pytest.raises(people.PeopleRefused, match=r"Nobody is registered with the number \+4790000009."):
        people.registered(db, "900 00 009")
