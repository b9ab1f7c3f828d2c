"""The coordinator decides who walks: people who joined by themselves wait at the top of the
people page until approved or declined, the dashboard counts them, and importing them or putting
them on a night approves them too. Every decision is in the audit log."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import choose_channel
from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.people import importing
from natteravn.people import service as people
from natteravn.roster import service as roster
from natteravn.roster.autofill.models import Availability
from natteravn.roster.autofill.service import build_problem
from natteravn.shifts.models import SignupRole
from natteravn.sms.models import Channel, Purpose, SmsMessage
from tests import factories
from tests.conftest import code_from

FRIDAY = date(2026, 11, 27)


@pytest.fixture
def nora(world, db, clock):
    someone = factories.person(db, world.grue, "Nora Ny", clock(), approved=False)
    db.commit()
    return someone


def audit_of(db, action: str) -> AuditEvent:
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


# --- Through the service. ---


def test_those_waiting_are_listed_longest_waiting_first(world, db, clock, nora):
    clock.advance(hours=1)
    later = factories.person(db, world.valer, "Emil Aas", clock(), approved=False)
    waiting = people.waiting_for_approval(db, world.coordinator.coordinator_scope)
    assert waiting == [nora, later]
    assert people.count_waiting(db, world.coordinator.coordinator_scope) == 2


def test_a_municipalitys_coordinator_sees_only_those_waiting_in_it(world, db, clock, nora):
    factories.person(db, world.valer, "Emil Aas", clock(), approved=False)
    coordinator = factories.person(db, world.grue, "Gunn Grue", clock())
    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.flush()
    assert people.waiting_for_approval(db, coordinator.coordinator_scope) == [nora]


def test_another_regions_coordinator_sees_nobody_waiting_here(world, db, clock, nora):
    _region, _hamar, stranger, _leader = factories.other_region(db, clock())
    assert people.waiting_for_approval(db, stranger.coordinator_scope) == []


def approval_notices(db) -> list[SmsMessage]:
    return list(db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.APPROVED)))


def test_approving_is_logged_and_lets_them_walk(world, db, clock, links, nora):
    people.approve(db, nora, world.region.id, world.coordinator, clock(), links)
    assert not nora.awaiting_approval and nora.approved_at == clock()
    event = audit_of(db, "person.approved")
    assert (event.object_id, event.actor_id, event.region_id) == (nora.id, world.coordinator.id, world.region.id)


def test_approving_tells_them_they_can_sign_up_once_in_their_language(world, db, clock, links, nora):
    nora.locale = "nn"
    people.approve(db, nora, world.region.id, world.coordinator, clock(), links)
    people.approve(db, nora, world.region.id, world.coordinator, clock(), links)  # a second tap
    [notice] = approval_notices(db)
    assert (notice.to, notice.person_id, notice.region_id) == (nora.phone, nora.id, world.region.id)
    assert notice.body.startswith("Natteravn Solør: du er godkjend og kan melde deg på vakter no: ")
    assert notice.body.endswith("/nights") and notice.due_at == clock()


def test_approved_in_the_night_they_are_told_in_the_morning(world, db, clock, links, nora):
    clock.set(datetime(2026, 11, 18, 22, 30, tzinfo=UTC))  # 23:30 in Oslo
    people.approve(db, nora, world.region.id, world.coordinator, clock(), links)
    [notice] = approval_notices(db)
    assert local(notice.due_at).hour == 8 and local(notice.due_at).date() == date(2026, 11, 19)


def test_those_who_chose_e_mail_are_told_by_e_mail(world, db, clock, links, nora):
    choose_channel(db, nora, Channel.EMAIL, "nora@example.no", links)
    people.approve(db, nora, world.region.id, world.coordinator, clock(), links)
    [notice] = approval_notices(db)
    assert (notice.channel, notice.email) == (Channel.EMAIL, "nora@example.no")


def test_declining_deactivates_with_the_reason_in_the_audit_log(world, db, clock, links, nora):
    people.decline(db, nora, world.region.id, "  Not a parent  here ", world.coordinator, clock(), links)
    assert not nora.active
    event = audit_of(db, "person.declined")
    assert event.details["reason"] == "Not a parent here" and event.object_id == nora.id
    assert people.waiting_for_approval(db, world.coordinator.coordinator_scope) == []


def test_declining_needs_a_reason_and_someone_waiting(world, db, clock, links, nora):
    with pytest.raises(people.PeopleRefused, match="Write why"):
        people.decline(db, nora, world.region.id, "   ", world.coordinator, clock(), links)
    with pytest.raises(people.PeopleRefused, match="not waiting"):
        people.decline(db, world.parent, world.region.id, "No", world.coordinator, clock(), links)
    assert nora.active and world.parent.active


def test_putting_them_on_a_night_approves_them(world, db, clock, links, nora):
    night = world.night_on("Kirkenær", FRIDAY)
    roster.assign(db, night, nora, SignupRole.WALKER, clock(), links, world.coordinator)
    assert not nora.awaiting_approval
    assert audit_of(db, "signup.assigned").details["approved"] is True


def test_importing_them_approves_them_and_tells_them(world, db, clock, links, nora):
    text = f"name;phone;municipality\nNora Ny;{nora.phone};Grue\nPer Ny;+4791234999;Grue\n"
    assert importing.preview_import(db, {world.region.id}, text).rows[0].person == nora
    importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert not nora.awaiting_approval
    new = db.scalars(select(Person).where(Person.name == "Per Ny")).one()
    assert audit_of(db, "people.imported").details["approved_ids"] == [nora.id, new.id]
    assert [notice.person_id for notice in approval_notices(db)] == [nora.id]  # the new one is invited instead


def test_auto_fill_leaves_them_to_the_coordinator(world, db, clock, nora):
    for someone in (nora, world.other_parent):
        db.add(Availability(person=someone, term=world.term, weekdays=[4, 5], max_nights=2, updated_at=clock()))
    db.flush()
    considered = {volunteer.id for volunteer in build_problem(db, world.term, clock()).volunteers}
    assert world.other_parent.id in considered and nora.id not in considered


# --- Through the pages. ---


def test_the_people_page_shows_those_waiting_first_with_both_buttons(world, login, client, nora):
    page = login(world.coordinator).get("/coordinator/people").text
    waiting = page.index("1 person waiting for approval")
    assert waiting < page.index("Everyone") < page.index("Kari Nordmann")
    assert "Nora Ny" in page[waiting : page.index("Everyone")]
    assert f'action="/coordinator/people/{nora.id}/approve"' in page
    assert f'action="/coordinator/people/{nora.id}/decline"' in page


def test_the_dashboard_counts_those_waiting(world, login, client, nora):
    page = login(world.coordinator).get("/coordinator").text
    assert "1 person waiting for approval" in page


def test_approving_from_the_people_page(world, db, login, client, nora):
    login(world.coordinator)
    response = client.post(f"/coordinator/people/{nora.id}/approve", data={"from": "list"})
    assert response.status_code == 302 and response.headers["Location"] == "/coordinator/people"
    assert "Nora Ny is approved and can sign up for nights. They get a message saying so." in html.unescape(
        client.get("/coordinator/people").text
    )
    db.expire_all()
    assert not nora.awaiting_approval
    assert [notice.person_id for notice in approval_notices(db)] == [nora.id]


def test_declining_from_the_persons_page_logs_them_out_for_good(world, db, login, client, gateway, nora):
    login(world.coordinator)
    response = client.post(f"/coordinator/people/{nora.id}/decline", data={"reason": "Unknown to the school"})
    assert response.headers["Location"] == f"/coordinator/people/{nora.id}"
    assert "Nora Ny is declined" in client.get(response.headers["Location"]).text
    db.expire_all()
    assert not nora.active
    her_phone = client.application.test_client()
    her_phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    her_phone.post("/login", data={"phone": nora.phone})
    page = her_phone.post("/login/code", data={"code": code_from(gateway, nora.phone)})
    assert page.status_code == 422 and "This profile is closed" in page.text


def test_declining_without_a_reason_is_explained_and_changes_nothing(world, db, login, client, nora):
    login(world.coordinator)
    response = client.post(f"/coordinator/people/{nora.id}/decline", data={"reason": " "}, follow_redirects=True)
    assert "Write why you decline" in response.text
    db.expire_all()
    assert nora.active and nora.awaiting_approval


def test_a_coordinator_of_another_municipality_cannot_decide_on_them(world, db, clock, login, client, nora):
    coordinator = factories.person(db, world.valer, "Vera Våler", clock())
    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.valer.id))
    db.commit()
    login(coordinator)
    assert client.post(f"/coordinator/people/{nora.id}/approve").status_code == 404
    assert client.post(f"/coordinator/people/{nora.id}/decline", data={"reason": "x"}).status_code == 404
    assert "Nora Ny" not in client.get("/coordinator/people").text
    db.expire_all()
    assert nora.active and nora.awaiting_approval
    assert approval_notices(db) == []


def test_someone_given_a_coordinators_or_administrators_role_waits_in_no_queue(world, db, clock, nora, links):
    _region, hamar, _stranger, _leader = factories.other_region(db, clock())  # approves each new person
    admin = factories.person(db, hamar, "Anne Administrator", clock(), approved=False)
    people.grant_admin(db, admin, None, clock())
    people.grant_coordinator(db, nora, world.region, world.grue, None, clock(), links=links)
    assert not admin.awaiting_approval and not nora.awaiting_approval
    assert people.waiting_for_approval(db, world.coordinator.coordinator_scope) == []


def test_one_regions_coordinator_cannot_shut_out_an_administrator_or_a_coordinator(world, db, clock, links, nora):
    other, _hamar, _stranger, _leader = factories.other_region(db, clock())
    admin = factories.person(db, world.grue, "Anne Administrator", clock())
    people.grant_admin(db, admin, None, clock())
    people.grant_coordinator(db, nora, other, None, None, clock(), links=links)  # Hamar's coordinator, living in Grue
    for person in (admin, nora):
        with pytest.raises(people.PeopleRefused, match="That role must be taken away first"):
            people.deactivate(db, person, world.region.id, world.coordinator, clock(), links)
        assert person.active
    people.revoke_coordinator(db, nora, other, None, None, clock())
    people.deactivate(db, nora, world.region.id, world.coordinator, clock(), links)
    assert not nora.active
