"""Coordinators and administrators are appointed by number: a new number is registered with the
name given, a known one keeps its own; granting twice or revoking what is not held changes
nothing; every change is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import InvalidPhone
from natteravn.audit.models import AuditEvent
from natteravn.i18n import translations
from natteravn.people import service as people
from natteravn.people.service import RoleChange
from natteravn.sms.models import Channel, Purpose, SmsMessage
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


def test_a_coordinator_of_the_whole_region_is_granted_once(world, db, clock, links):
    person = world.parent
    assert people.grant_coordinator(db, person, world.region, None, None, clock(), links=links) == RoleChange.GRANTED
    assert people.grant_coordinator(db, person, world.region, None, None, clock(), links=links) == RoleChange.HELD
    assert (
        people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links) == RoleChange.COVERED
    )
    assert person.coordinator_scope.regions == {world.region.id}
    (event,) = events(db, "person.coordinator_granted")
    assert (event.actor_id, event.region_id, event.object_id) == (None, world.region.id, person.id)
    assert (event.details["place"], event.details["municipality_id"]) == ("Solør", None)


def test_a_coordinator_of_one_municipality_sees_that_municipality_only(world, db, clock, links):
    person = world.other_parent
    assert (
        people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links) == RoleChange.GRANTED
    )
    assert people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links) == RoleChange.HELD
    scope = person.coordinator_scope
    assert (scope.regions, scope.municipalities) == (frozenset(), {world.grue.id})
    (event,) = events(db, "person.coordinator_granted")
    assert (event.details["place"], event.details["municipality_id"]) == ("Grue", world.grue.id)


def test_the_whole_region_takes_the_place_of_its_municipalities(world, db, clock, links):
    person = world.other_parent
    people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links)
    people.grant_coordinator(db, person, world.region, world.valer, None, clock(), links=links)
    people.grant_coordinator(db, person, world.region, None, None, clock(), links=links)
    db.flush()
    roles = db.scalars(select(Role).where(Role.person_id == person.id)).all()
    assert [(r.region_id, r.municipality_id) for r in roles] == [(world.region.id, None)]


def test_a_municipality_of_another_region_or_a_deactivated_person_is_refused(world, db, clock, links):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    with pytest.raises(people.PeopleRefused, match="Hamar is not in Solør.") as refused:
        people.grant_coordinator(db, world.parent, world.region, hamar, None, clock(), links=links)
    assert refused.value.field == "municipality"
    world.parent.active = False
    with pytest.raises(people.PeopleRefused, match="Kari Nordmann is deactivated"):
        people.grant_coordinator(db, world.parent, world.region, None, None, clock(), links=links)


def test_revoking_takes_exactly_the_role_named_and_twice_changes_nothing(world, db, clock, links):
    person = world.other_parent
    people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links)
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


# --- The new coordinator is told. ---


def notices(db, person) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.person_id == person.id, SmsMessage.purpose == Purpose.COORDINATOR)
    return list(db.scalars(query))


def test_a_new_coordinator_is_told_once_where_to_log_in_in_their_language(world, db, clock, links):
    person, _new = people.register(db, "900 00 021", "Nora Ny", None, clock())
    person.locale = "en"
    people.grant_coordinator(db, person, world.region, None, None, clock(), links=links)
    people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links)  # covered already
    (notice,) = notices(db, person)
    assert notice.body == (
        "Natteravn: you are now coordinator of Solør. Log in with this mobile number: http://natteravn.test/login"
    )
    assert (notice.to, notice.channel, notice.region_id) == (person.phone, Channel.SMS, world.region.id)
    assert notice.subject == "Natteravn: you are a coordinator"


def test_a_coordinator_of_one_municipality_is_told_which_and_by_their_channel(world, db, clock, links):
    person = world.other_parent
    person.email, person.channel = "per@example.no", Channel.EMAIL
    people.grant_coordinator(db, person, world.region, world.grue, None, clock(), links=links)
    (notice,) = notices(db, person)
    assert notice.body.startswith("Natteravn: you are now coordinator of Grue in Solør.")
    assert (notice.channel, notice.email) == (Channel.EMAIL, "per@example.no")


def test_the_notice_waits_for_the_end_of_the_quiet_hours(world, db, clock, links):
    clock.set(datetime(2026, 11, 18, 22, 30, tzinfo=UTC))  # 23:30 in Oslo
    people.grant_coordinator(db, world.other_parent, world.region, None, None, clock(), links=links)
    (notice,) = notices(db, world.other_parent)
    assert notice.due_at == datetime(2026, 11, 19, 7, 0, tzinfo=UTC)


def test_a_waiting_notice_is_written_again_in_the_language_they_choose(world, db, clock, links):
    people.grant_coordinator(db, world.other_parent, world.region, world.grue, None, clock(), links=links)
    accounts.choose_language(db, world.other_parent, "nn", links)
    (notice,) = notices(db, world.other_parent)
    db.refresh(notice)
    nn = translations("nn").gettext
    expected = nn(
        "Natteravn: you are now coordinator of %(municipality)s in %(region)s. Log in with this mobile number: %(link)s"
    ) % {"municipality": "Grue", "region": "Solør", "link": "http://natteravn.test/login"}
    assert notice.body == expected and notice.subject == nn("Natteravn: you are a coordinator")
