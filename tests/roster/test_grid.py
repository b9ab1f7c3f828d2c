"""The roster grid and one night's page: states in words, a fixed number of queries, and the
coordinator putting people on nights, taking them off, moving them, and changing a night."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.db import make_engine, make_session_factory
from natteravn.i18n import Refusal
from natteravn.roster import grid
from natteravn.roster import service as roster
from natteravn.shifts import service
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, SignupState
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories
from tests.databases import POSTGRES_URL


@contextmanager
def counting_statements(engine):
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _volunteers(db, world, count: int, now):
    return [factories.person(db, world.asnes, f"Frivillig {i}", now) for i in range(count)]


def _fill(db, shift, people, now, leader=None):
    for i, person in enumerate(people):
        factories.signup(db, shift, person, now + timedelta(minutes=i))
    if leader is not None:
        factories.signup(db, shift, leader, now + timedelta(minutes=len(people)), role=SignupRole.LEADER)


# --- The grid. ---


def test_each_night_in_the_grid_says_how_full_it_is_and_whether_a_leader_is_on_it(db, world, clock):
    now = clock()
    people = _volunteers(db, world, 6, now)
    nights = {route: world.night_on(route, datetime(2026, 11, 20).date()) for route in world.routes}
    _fill(db, nights["Flisa sentrum"], people[:2], now)  # short
    _fill(db, nights["Kirkenær"], people[2:5], now)  # enough, no leader
    _fill(db, nights["Kjellmyra"], people[:5], now, leader=world.leader)  # full (6 of 6) with leader

    found = grid.grid(db, world.term)

    assert [r.name for r in found.routes] == ["Kirkenær", "Våler sentrum", "Flisa sentrum", "Kjellmyra"]
    assert [(m.name, span) for m, span in found.by_municipality()] == [("Grue", 1), ("Våler", 1), ("Åsnes", 2)]
    assert len(found.weekends) == 5
    first = found.weekends[0]
    cells = {route.name: first.cells[route.id][0] for route in found.routes}
    assert cells["Flisa sentrum"].state == grid.CellState.SHORT
    assert cells["Kirkenær"].state == grid.CellState.NO_LEADER
    assert cells["Kjellmyra"].state == grid.CellState.FULL
    assert (cells["Kjellmyra"].taken, cells["Kjellmyra"].has_leader) == (6, True)
    assert cells["Våler sentrum"].state == grid.CellState.EMPTY
    assert len(first.cells[world.routes["Flisa sentrum"].id]) == 2  # Friday and Saturday


def test_the_grid_page_shows_states_in_words_and_filters_by_municipality(db, world, login, clock):
    _fill(db, world.nights[0], _volunteers(db, world, 2, clock()), clock())
    db.commit()
    client = login(world.coordinator)

    page = client.get(f"/coordinator/terms/{world.term.id}/grid").text
    assert "Short" in page and "Empty" in page
    assert "2 of min 3 / max 6" in page
    assert "Leader: none" in page
    assert "Kirkenær" in page

    only_asnes = client.get(f"/coordinator/terms/{world.term.id}/grid?municipality={world.asnes.id}").text
    assert "Flisa sentrum" in only_asnes and "Kjellmyra" in only_asnes
    assert "Kirkenær stasjon" not in only_asnes and ">Kirkenær<" not in only_asnes
    assert client.get(f"/coordinator/terms/{world.term.id}/grid?municipality=nonsense").status_code == 200


def test_the_grid_page_takes_the_same_number_of_queries_however_many_nights(db, world, login, app, clock):
    client = login(world.coordinator)
    engine = app.extensions["natteravn.engine"]
    url = f"/coordinator/terms/{world.term.id}/grid"
    client.get(url)  # warm up

    with counting_statements(engine) as few:
        assert client.get(url).status_code == 200

    people = _volunteers(db, world, 12, clock())
    for shift in world.nights:
        _fill(db, shift, people[: 1 + shift.id % 6], clock())
    for week in range(6):  # six more weekends of nights on every route
        day = datetime(2027, 1, 8).date() + timedelta(days=7 * week)
        for route in world.routes.values():
            factories.night(db, world.term, route, day)
    db.commit()

    with counting_statements(engine) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 12


def _reached_or_not(db, world, now):
    """Friday's Flisa sentrum night with four people: Anne confirmed, Bjørn has not answered, Cecilie
    texted STOP, and Dag's last SMS could not be delivered (an earlier one had failed for Anne too)."""
    night = world.night_on("Flisa sentrum", datetime(2026, 11, 20).date())
    anne, bjorn, cecilie, dag = (factories.person(db, world.asnes, n, now) for n in ("Anne", "Bjørn", "Cecilie", "Dag"))
    factories.signup(db, night, anne, now, state=SignupState.CONFIRMED)
    for someone in (bjorn, cecilie, dag):
        factories.signup(db, night, someone, now)
    cecilie.sms_opted_out_at = now
    for someone, states in ((anne, ("failed", "delivered")), (dag, ("delivered", "undelivered", "cancelled"))):
        for state in states:
            db.add(
                SmsMessage(
                    to=someone.phone,
                    body="Påminnelse",
                    purpose=Purpose.REMINDER_BEFORE,
                    person_id=someone.id,
                    due_at=now,
                    state=MessageState(state),
                    created_at=now,
                )
            )
    db.commit()
    return night


def test_the_night_page_says_who_confirmed_who_has_not_answered_and_whom_sms_does_not_reach(db, world, login, clock):
    night = _reached_or_not(db, world, clock())
    page = login(world.coordinator).get(f"/coordinator/nights/{night.id}").text
    rows = {
        name: page[page.index(f"<td>{name}</td>") :].split("</tr>")[0] for name in ("Anne", "Bjørn", "Cecilie", "Dag")
    }
    assert "Confirmed (answered JA)" in rows["Anne"] and "Not reached" not in rows["Anne"]
    assert "Not answered" in rows["Bjørn"] and "Opted out" not in rows["Bjørn"]
    assert "Not answered" in rows["Cecilie"] and "Opted out (STOP): gets no SMS" in rows["Cecilie"]
    assert "Not answered" in rows["Dag"] and "Not reached: the last SMS failed" in rows["Dag"]
    assert "1 confirmed, 3 not answered" in page and "1 opted out of SMS" in page and "1 not reached by SMS" in page


def test_each_grid_cell_counts_the_answers_and_those_sms_do_not_reach(db, world, login, clock):
    _reached_or_not(db, world, clock())
    page = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/grid").text
    assert "1 confirmed, 3 not answered" in page
    assert "1 opted out of SMS" in page
    assert "1 not reached by SMS" in page


# --- Putting people on nights. ---


def test_a_coordinator_puts_a_person_on_a_night_before_sign_up_opens_for_parents(db, world, clock, links):
    world.term.signup_opens_at = clock() + timedelta(days=7)
    shift = world.nights[0]

    signup = roster.assign(db, shift, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)

    assert (signup.state, signup.role) == (SignupState.SIGNED_UP, SignupRole.WALKER)
    confirmation = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.SIGNUP_CONFIRMATION))
    assert confirmation.to == world.parent.phone
    event_ = db.scalar(select(AuditEvent).where(AuditEvent.action == "signup.assigned"))
    assert (event_.actor_id, event_.object_id, event_.details["person_id"]) == (
        world.coordinator.id,
        shift.id,
        world.parent.id,
    )


def test_a_coordinator_cannot_put_anyone_on_a_full_night(db, world, clock, links):
    shift = world.nights[0]
    _fill(db, shift, _volunteers(db, world, 6, clock()), clock())
    with pytest.raises(roster.RosterRefused) as refused:
        roster.assign(db, shift, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)
    assert "full" in refused.value.msgid


def test_the_rules_a_coordinator_cannot_bypass(db, world, clock, links):
    friday = world.nights[0]
    same_time = next(n for n in world.nights if n.starts_at == friday.starts_at and n.id != friday.id)
    roster.assign(db, friday, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)

    with pytest.raises(roster.RosterRefused, match="already on this night"):
        roster.assign(db, friday, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)
    with pytest.raises(roster.RosterRefused, match="another night at that time"):
        roster.assign(db, same_time, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)
    with pytest.raises(roster.RosterRefused, match="Only group leaders"):
        roster.assign(db, friday, world.other_parent, SignupRole.LEADER, clock(), links, world.coordinator)
    _, _, _, hamar_leader = factories.other_region(db, clock())
    with pytest.raises(roster.RosterRefused, match="not a volunteer in this region"):
        roster.assign(db, friday, hamar_leader, SignupRole.WALKER, clock(), links, world.coordinator)

    world.term.nights_cap = 1
    later = world.nights[-1]
    with pytest.raises(roster.RosterRefused, match="nights as walker this term"):
        roster.assign(db, later, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)


def test_a_coordinator_puts_a_leader_at_the_cap_on_a_night_as_leader_not_as_walker(db, world, clock, links):
    world.term.nights_cap = 1
    first, later = world.nights[0], world.nights[-1]
    roster.assign(db, first, world.leader, SignupRole.WALKER, clock(), links, world.coordinator)
    with pytest.raises(roster.RosterRefused, match="nights as walker this term"):
        roster.assign(db, later, world.leader, SignupRole.WALKER, clock(), links, world.coordinator)
    led = roster.assign(db, later, world.leader, SignupRole.LEADER, clock(), links, world.coordinator)
    assert led.role == SignupRole.LEADER


def test_someone_on_the_waitlist_put_on_the_night_takes_a_free_place(db, world, clock, links):
    shift = world.nights[0]
    waiting = factories.signup(db, shift, world.parent, clock(), state=SignupState.WAITLISTED)
    waiting.queued_at = clock()

    signup = roster.assign(db, shift, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)

    assert signup.id == waiting.id
    assert (signup.state, signup.queued_at) == (SignupState.SIGNED_UP, None)


def test_a_draft_terms_assignments_send_nothing_until_published(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    roster.assign(db, draft.nights[0], draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    assert db.scalars(select(SmsMessage)).all() == []


def test_removing_someone_offers_the_place_to_the_first_on_the_waitlist(db, world, clock, links):
    shift = world.nights[0]
    people = _volunteers(db, world, 7, clock())
    _fill(db, shift, people[:6], clock())
    waiting = factories.signup(db, shift, people[6], clock(), state=SignupState.WAITLISTED)
    waiting.queued_at = clock()
    first = db.scalar(select(Signup).where(Signup.person_id == people[0].id))

    roster.remove(db, first, clock(), links, world.coordinator)

    assert first.state == SignupState.CANCELLED
    assert waiting.state == SignupState.OFFERED
    told = db.scalar(select(SmsMessage).where(SmsMessage.to == people[0].phone))
    assert told.purpose == Purpose.SHIFT_CHANGED
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "signup.removed"))


def test_the_night_page_shows_a_place_offered_from_the_waitlist_as_not_taken_yet(db, world, clock, links, login):
    shift = world.nights[0]
    people = _volunteers(db, world, 7, clock())
    _fill(db, shift, people[:6], clock())
    waiting = factories.signup(db, shift, people[6], clock(), state=SignupState.WAITLISTED)
    waiting.queued_at = clock()
    first = db.scalar(select(Signup).where(Signup.person_id == people[0].id))
    roster.remove(db, first, clock(), links, world.coordinator)
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/nights/{shift.id}").text
    row = page[page.index(f"<td>{people[6].name}</td>") :].split("</tr>")[0]
    assert "Offered the place from the waitlist, not taken yet (until " in row


def test_a_draft_nights_people_hear_nothing_when_it_moves_or_is_cancelled(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    first, second = draft.nights[0], draft.nights[1]
    roster.assign(db, first, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, second, draft.other_parent, SignupRole.WALKER, clock(), links, draft.coordinator)

    roster.move_night(db, first, first.starts_at - timedelta(hours=1), first.ends_at, clock(), links, draft.coordinator)
    roster.cancel_night(db, second, "Storm", clock(), links, draft.coordinator)

    assert first.starts_at == datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    assert second.cancelled_at == clock()
    assert db.scalars(select(SmsMessage)).all() == []
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"shift.moved", "shift.cancelled"} <= actions


def test_moving_a_person_to_another_night_keeps_their_role(db, world, clock, links):
    source, target = world.nights[0], world.nights[-1]
    signup = roster.assign(db, source, world.leader, SignupRole.LEADER, clock(), links, world.coordinator)

    moved = roster.move_person(db, signup, target.id, clock(), links, world.coordinator)

    assert signup.state == SignupState.CANCELLED
    assert (moved.shift_id, moved.role, moved.state) == (target.id, SignupRole.LEADER, SignupState.SIGNED_UP)


def test_a_person_cannot_be_moved_to_a_full_night(db, world, clock, links):
    source, target = world.nights[0], world.nights[-1]
    _fill(db, target, _volunteers(db, world, 6, clock()), clock())
    signup = roster.assign(db, source, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)
    with pytest.raises(roster.RosterRefused):
        roster.move_person(db, signup, target.id, clock(), links, world.coordinator)
    assert signup.state == SignupState.SIGNED_UP


# --- Capacity. ---


def test_lowering_the_maximum_keeps_the_earliest_and_puts_the_rest_first_on_the_waitlist(db, world, clock, links):
    shift = world.nights[0]
    now = clock()
    people = _volunteers(db, world, 7, now)
    _fill(db, shift, people[:6], now - timedelta(days=3))
    already_waiting = factories.signup(db, shift, people[6], now - timedelta(days=3), state=SignupState.WAITLISTED)
    already_waiting.queued_at = now - timedelta(days=4)  # queued before the last ones even signed up

    bumped = roster.set_capacity(db, shift, 3, 4, True, now, links, world.coordinator)

    assert [s.person.name for s in bumped] == ["Frivillig 4", "Frivillig 5"]
    holding = db.scalars(select(Signup).where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))).all()
    assert sorted(s.person.name for s in holding) == ["Frivillig 0", "Frivillig 1", "Frivillig 2", "Frivillig 3"]
    queue = db.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id)
    ).all()
    assert [s.person.name for s in queue] == ["Frivillig 4", "Frivillig 5", "Frivillig 6"]
    told = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CHANGED)).all()
    assert sorted(m.to for m in told) == sorted([people[4].phone, people[5].phone])
    assert "Flisa sentrum on 20.11" in told[0].body
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "shift.capacity_changed"))["after"] == {
        "min": 3,
        "max": 4,
        "needs_leader": True,
    }

    # Raising it again offers the places back, to the ones moved off first.
    roster.set_capacity(db, shift, 3, 5, True, now, links, world.coordinator)
    assert bumped[0].state == SignupState.OFFERED
    assert bumped[1].state == SignupState.WAITLISTED


def test_a_minimum_above_the_maximum_is_refused(db, world, clock, links):
    with pytest.raises(roster.RosterRefused):
        roster.set_capacity(db, world.nights[0], 5, 4, True, clock(), links, world.coordinator)


# --- Through the night's page. ---


def test_a_coordinator_finds_a_person_by_name_or_phone_and_adds_them(db, world, login):
    client = login(world.coordinator)
    shift = world.nights[0]

    by_name = client.get(f"/coordinator/nights/{shift.id}?q=kari").text
    assert "Kari Nordmann" in by_name
    by_phone = client.get(f"/coordinator/nights/{shift.id}?q=912 34").text
    assert "Kari Nordmann" in by_phone
    assert "Nobody in the region matches" in client.get(f"/coordinator/nights/{shift.id}?q=zzz").text

    response = client.post(
        f"/coordinator/nights/{shift.id}/assign", data={"person_id": world.parent.id, "role": "walker"}
    )
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Kari Nordmann is on the night" in page
    assert "+4791234567" in page

    again = client.post(f"/coordinator/nights/{shift.id}/assign", data={"person_id": world.parent.id, "role": "walker"})
    assert "already on this night" in client.get(again.location).text


def test_another_regions_person_cannot_be_found_or_added(db, world, login, clock):
    _, _, _, hamar_leader = factories.other_region(db, clock())
    db.commit()
    client = login(world.coordinator)
    shift = world.nights[0]
    assert "Hans Hamar" not in client.get(f"/coordinator/nights/{shift.id}?q=Hans").text
    form = {"person_id": hamar_leader.id, "role": "walker"}
    response = client.post(f"/coordinator/nights/{shift.id}/assign", data=form)
    assert "not a volunteer in this region" in client.get(response.location).text
    assert db.scalar(select(Signup).where(Signup.person_id == hamar_leader.id)) is None


def test_taking_someone_off_a_night_asks_first_and_shows_what_they_are_told(db, world, login, clock):
    shift = world.nights[0]
    placed = factories.signup(db, shift, world.parent, clock())
    db.commit()
    client = login(world.coordinator)
    asked = client.post(f"/coordinator/nights/{shift.id}/remove", data={"signup_id": placed.id})
    assert asked.status_code == 200
    assert "Take Kari Nordmann off the night?" in asked.text
    assert "Natteravn: the coordinator has taken you off Flisa sentrum on 20.11 at 22:00." in asked.text
    db.expire_all()
    assert db.get(Signup, placed.id).state == SignupState.SIGNED_UP  # nothing done yet
    assert not db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CHANGED)).all()
    done = client.post(
        f"/coordinator/nights/{shift.id}/remove", data={"signup_id": placed.id, "confirmed": "1"}, follow_redirects=True
    )
    assert "Kari Nordmann is off the night." in done.text
    db.expire_all()
    assert db.get(Signup, placed.id).state == SignupState.CANCELLED


def test_a_night_that_is_over_offers_its_logbook_and_report_not_changes(db, world, login, clock):
    shift = world.nights[0]
    factories.signup(db, shift, world.parent, clock())
    db.commit()
    clock.set(shift.ends_at + timedelta(hours=9))  # the morning after
    client = login(world.coordinator)
    page = client.get(f"/coordinator/nights/{shift.id}").text
    assert "The night is over." in page
    assert f"/nights/{shift.id}/logbook" in page and f"/nights/{shift.id}/report" in page
    for gone in (
        "Remove Kari Nordmann",
        "Move Kari Nordmann to",
        "Add a person",
        "Change the night",
        "Cancel the night",
    ):
        assert gone not in page
    assert client.get(f"/nights/{shift.id}/logbook").status_code == 200
    assert client.get(f"/nights/{shift.id}/report").status_code == 200


def test_a_coordinator_removes_and_moves_people_through_the_page(db, world, login, clock):
    shift, target = world.nights[0], world.nights[-1]
    first = factories.signup(db, shift, world.parent, clock())
    second = factories.signup(db, shift, world.other_parent, clock())
    db.commit()
    client = login(world.coordinator)

    client.post(f"/coordinator/nights/{shift.id}/remove", data={"signup_id": first.id, "confirmed": "1"})
    response = client.post(
        f"/coordinator/nights/{shift.id}/move-person", data={"signup_id": second.id, "to_shift_id": target.id}
    )
    assert response.location.endswith(f"/coordinator/nights/{target.id}")
    twice = client.post(
        f"/coordinator/nights/{shift.id}/move-person",
        data={"signup_id": second.id, "to_shift_id": target.id},
        follow_redirects=True,
    )
    assert "Ola Hansen is no longer on this night." in twice.text

    db.expire_all()
    assert db.get(Signup, first.id).state == SignupState.CANCELLED
    assert (
        db.scalar(select(Signup.shift_id).where(Signup.person_id == world.other_parent.id, Signup.state.in_(HOLDING)))
        == target.id
    )
    assert client.post(f"/coordinator/nights/{target.id}/remove", data={"signup_id": first.id}).status_code == 404


def test_the_move_list_names_each_nights_day_and_state_and_chooses_none_by_itself(db, world, login, clock):
    shift = world.nights[0]
    factories.signup(db, shift, world.parent, clock())
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/nights/{shift.id}").text
    moves = page[page.index('name="to_shift_id"') :]
    moves = moves[: moves.index("</select>")]
    assert moves.index("Choose a night…") < moves.index('<option value="' + str(world.nights[1].id))
    assert ">Sat 21 Nov 22:00 Flisa sentrum: Empty</option>" in moves


def test_the_people_of_a_cancelled_night_are_moved_to_another(db, world, clock, links):
    shift, target = world.nights[0], world.nights[2]
    walking = factories.signup(db, shift, world.parent, clock())
    roster.cancel_night(db, shift, "Storm", clock(), links, world.coordinator)
    db.commit()

    moved = roster.move_person(db, walking, target.id, clock(), links, world.coordinator)
    db.commit()

    assert (moved.shift_id, moved.state, walking.state) == (target.id, SignupState.SIGNED_UP, SignupState.CANCELLED)
    told = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CHANGED))
    assert told.person_id == world.parent.id and target.route.name in told.body
    assert f"Natteravn: {shift.route.name} on " in told.body and " is cancelled. You are moved to " in told.body
    withdrawn = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CANCELLED))
    assert withdrawn.state == MessageState.CANCELLED and withdrawn.last_error == notes.PERSON_MOVED.text()
    assert db.get(Shift, shift.id).cancelled_at is not None  # still cancelled, nobody offered its place


def test_a_cancelled_nights_page_moves_its_people_and_stays_for_the_others(db, world, login, clock, links):
    shift, target = world.nights[0], world.nights[2]
    first = factories.signup(db, shift, world.parent, clock())
    factories.signup(db, shift, world.other_parent, clock())
    roster.cancel_night(db, shift, "Storm", clock(), links, world.coordinator)
    db.commit()
    client = login(world.coordinator)

    page = client.get(f"/coordinator/nights/{shift.id}").text
    assert "Those on it can be moved to another night" in page
    assert "Move Kari Nordmann to" in page and "Remove Kari Nordmann" not in page
    moved = client.post(
        f"/coordinator/nights/{shift.id}/move-person",
        data={"signup_id": first.id, "to_shift_id": target.id},
        follow_redirects=True,
    )
    assert moved.request.path == f"/coordinator/nights/{shift.id}"  # back where Ola waits for a new night
    assert "Kari Nordmann is moved to Våler sentrum, Fri 20 Nov 22:00." in moved.text
    assert "Move Kari Nordmann to" not in moved.text and "Move Ola Hansen to" in moved.text
    db.expire_all()
    assert (
        db.scalar(select(Signup.shift_id).where(Signup.person_id == world.parent.id, Signup.state.in_(HOLDING)))
        == target.id
    )


def test_moving_a_nights_only_leader_away_says_the_night_now_has_none(db, world, login, clock):
    shift, target = world.nights[0], world.nights[-1]
    leading = factories.signup(db, shift, world.leader, clock(), role=SignupRole.LEADER)
    walking = factories.signup(db, shift, world.parent, clock())
    db.commit()
    client = login(world.coordinator)
    moved = client.post(
        f"/coordinator/nights/{shift.id}/move-person",
        data={"signup_id": leading.id, "to_shift_id": target.id},
        follow_redirects=True,
    ).text
    assert "Lise Leder is moved." in moved
    assert f"{shift.route.name}, Friday 20 November, now has no group leader." in moved
    taken_off = client.post(
        f"/coordinator/nights/{shift.id}/remove",
        data={"signup_id": walking.id, "confirmed": "1"},
        follow_redirects=True,
    ).text
    assert "now has no group leader" not in taken_off  # a walker leaves no night without its leader


def test_cancelling_a_night_tells_everyone_on_it(db, world, login, clock):
    shift = world.nights[0]
    factories.signup(db, shift, world.parent, clock())
    db.commit()
    client = login(world.coordinator)

    preview = client.post(f"/coordinator/nights/{shift.id}/cancel", data={"reason": "Storm", "preview": "x"}).text
    previewed = re.search(r'name="previewed" type="hidden" value="([^"]*)"', preview).group(1)
    response = client.post(
        f"/coordinator/nights/{shift.id}/cancel", data={"reason": "Storm", "previewed": previewed, "submit": "x"}
    )

    assert "The night is cancelled" in client.get(response.location).text
    db.expire_all()
    assert db.get(Shift, shift.id).cancelled_at == clock()
    told = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CANCELLED))
    assert (told.to, told.state) == (world.parent.phone, MessageState.PENDING)
    assert "Storm" in told.body
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "shift.cancelled"))


def test_moving_a_night_and_lowering_its_maximum_through_the_page(db, world, login, clock):
    shift = world.nights[0]
    people = _volunteers(db, world, 4, clock())
    _fill(db, shift, people, clock())
    db.commit()
    client = login(world.coordinator)

    response = client.post(
        f"/coordinator/nights/{shift.id}",
        data={
            "day": "2026-11-20",
            "starts_local": "21:00",
            "ends_local": "00:30",
            "min_walkers": "2",
            "max_walkers": "3",
            "needs_leader": "y",
            "note": "Ta med refleksvest",
        },
    )

    assert response.status_code == 302
    assert "first on the waitlist" in client.get(response.location).text
    db.expire_all()
    moved = db.get(Shift, shift.id)
    assert (moved.starts_at, moved.ends_at) == (
        datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
    )
    assert (moved.max_walkers, moved.note) == (3, "Ta med refleksvest")
    purposes = set(db.scalars(select(SmsMessage.purpose)))
    assert {Purpose.SHIFT_CHANGED} <= purposes
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"shift.moved", "shift.capacity_changed", "shift.note_changed"} <= actions
    bumped = db.scalars(select(SmsMessage.body).where(SmsMessage.person_id == people[-1].id)).all()
    # The one who no longer fits waits for a place: nothing tells them to answer NEI.
    assert len(bumped) == 2 and not any("NEI" in body for body in bumped)
    assert any("now takes fewer walkers. You are first on the waitlist" in body for body in bumped)
    assert any("which you are waiting for, is moved to 20.11 at 21:00-00:30" in body for body in bumped)
    told = select(SmsMessage.body).where(SmsMessage.person_id == people[0].id)
    (going,) = db.scalars(told.where(SmsMessage.purpose == Purpose.SHIFT_CHANGED)).all()
    assert "Reply NEI if you cannot come then." in going


@pytest.mark.parametrize("written", ["24:00", "2400", "24.00"])
def test_a_night_may_end_at_24_as_norwegians_write_midnight(db, world, login, written):
    client = login(world.coordinator)
    shift = world.nights[0]
    edit = {"day": "2026-11-20", "starts_local": "20:00", "min_walkers": "2", "max_walkers": "5"}
    assert client.post(f"/coordinator/nights/{shift.id}", data={**edit, "ends_local": written}).status_code == 302
    db.expire_all()
    assert db.get(Shift, shift.id).ends_at == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 24:00 in Oslo
    starting = client.post(
        f"/coordinator/nights/{shift.id}", data={**edit, "starts_local": "24:00", "ends_local": "02:00"}
    )
    assert starting.status_code == 422 and "Write the time on the 24-hour clock, like 22:00." in starting.text


def test_a_night_edit_with_a_minimum_over_the_maximum_is_a_message_not_an_error(db, world, login):
    client = login(world.coordinator)
    shift = world.nights[0]
    response = client.post(
        f"/coordinator/nights/{shift.id}",
        data={
            "day": "2026-11-20",
            "starts_local": "22:00",
            "ends_local": "01:00",
            "min_walkers": "5",
            "max_walkers": "4",
        },
    )
    assert response.status_code == 422
    assert "no more than the maximum" in response.text


def test_a_night_moved_out_of_its_term_through_the_page_is_refused_and_left_as_it_was(db, world, login):
    client = login(world.coordinator)
    shift = world.nights[0]
    before = (shift.starts_at, shift.ends_at, shift.max_walkers)
    response = client.post(
        f"/coordinator/nights/{shift.id}",
        data={
            "day": "2030-01-01",
            "starts_local": "22:00",
            "ends_local": "01:00",
            "min_walkers": "2",
            "max_walkers": "5",
        },
    )
    assert response.status_code == 422
    assert "A night of this term must be between 20.11.2026 and 19.12.2026." in response.text
    db.expire_all()
    moved = db.get(Shift, shift.id)
    assert (moved.starts_at, moved.ends_at, moved.max_walkers) == before
    assert Purpose.SHIFT_CHANGED not in db.scalars(select(SmsMessage.purpose)).all()


# --- Real row locks (PostgreSQL). ---


@pytest.mark.skipif(not POSTGRES_URL, reason="real row locks need PostgreSQL")
def test_a_coordinator_and_a_parent_taking_the_last_place_at_once_never_overfill_it(
    db, world, clock, links, database_url
):
    shift = world.night_on("Flisa sentrum", datetime(2026, 11, 20).date())
    shift.max_walkers = 3
    _fill(db, shift, _volunteers(db, world, 2, clock()), clock())
    db.commit()
    engine = make_engine(database_url, pool_size=4, max_overflow=0)
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def coordinator_assigns(session):
        night, person = session.get(Shift, shift.id), session.get(Person, world.other_parent.id)
        return roster.assign(session, night, person, SignupRole.WALKER, clock(), links, world.coordinator).state

    def parent_signs_up(session):
        person = session.get(Person, world.parent.id)
        return service.sign_up(session, person, shift.id, SignupRole.WALKER, clock(), links).state

    def run(job):
        with sessions() as session:
            barrier.wait()
            try:
                outcomes.append(job(session))
                session.commit()
            except Refusal as refusal:
                session.rollback()
                outcomes.append(refusal.msgid)

    threads = [threading.Thread(target=run, args=(job,)) for job in (coordinator_assigns, parent_signs_up)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()

    assert len(outcomes) == 2
    db.expire_all()
    assert db.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))) == 3
