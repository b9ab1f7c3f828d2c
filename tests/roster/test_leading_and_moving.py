"""The coordinator making a walker on a night its group leader in place, a moved group leader told
they lead the new night, and the waitlist of a cancelled night moved to other nights, with the
cancelled night's page saying who went where."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.i18n import translations
from natteravn.roster import service as roster
from natteravn.shifts import messages
from natteravn.shifts.models import Signup, SignupRole, SignupState
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories


def _pending(db, signup: Signup, purpose: Purpose) -> list[SmsMessage]:
    return list(
        db.scalars(
            select(SmsMessage).where(
                SmsMessage.signup_id == signup.id,
                SmsMessage.purpose == purpose,
                SmsMessage.state == MessageState.PENDING,
            )
        )
    )


# --- A walker made the night's group leader. ---


def test_a_group_leader_walking_a_night_is_made_its_leader_and_told_so_in_their_language(db, world, clock, links):
    night = world.nights[0]
    world.leader.locale = "nb"
    walking = factories.signup(db, night, world.leader, clock())
    kari = factories.signup(db, night, world.parent, clock())
    messages.plan_reminders(db, walking, clock(), links)
    messages.plan_reminders(db, kari, clock(), links)

    led = roster.make_leader(db, walking, clock(), links, world.coordinator)

    assert (led.id, led.role, led.state) == (walking.id, SignupRole.LEADER, SignupState.SIGNED_UP)
    [told] = _pending(db, walking, Purpose.SHIFT_CHANGED)
    words = {**messages.night_words(night), "link": links.night(night.id)}
    assert told.body == messages.now_leading_text(translations("nb").gettext, words)
    in_english = messages.now_leading_text(lambda s: s, words)
    assert "you are now the group leader of Flisa sentrum on 20.11 at 22:00" in in_english
    # Their own reminders are a leader's now, the report request among them; Kari's name Lise.
    assert "du leder Flisa sentrum" in _pending(db, walking, Purpose.REMINDER_DAY)[0].body
    assert _pending(db, walking, Purpose.REPORT_REQUEST)
    assert "Group leader: Lise" in _pending(db, kari, Purpose.REMINDER_DAY)[0].body
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "signup.made_leader"))
    assert (event.object_id, event.details["person_id"]) == (night.id, world.leader.id)


def test_a_confirmation_not_yet_sent_says_they_lead_and_no_second_message_goes(db, world, clock, links):
    night = world.nights[0]
    walking = roster.assign(db, night, world.leader, SignupRole.WALKER, clock(), links, world.coordinator)

    roster.make_leader(db, walking, clock(), links, world.coordinator)

    [confirmation] = _pending(db, walking, Purpose.SIGNUP_CONFIRMATION)
    assert "you lead Flisa sentrum" in confirmation.body
    assert _pending(db, walking, Purpose.SHIFT_CHANGED) == []


def test_the_place_kept_for_a_leader_goes_to_the_waitlist_once_a_walker_leads(db, world, clock, links):
    world.region.leader_place_days = 3
    night = world.nights[0]
    night.max_walkers = 3
    walking = factories.signup(db, night, world.leader, clock())
    factories.signup(db, night, factories.person(db, world.asnes, "Per Pedersen", clock()), clock())
    waiting = factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)

    roster.make_leader(db, walking, clock(), links, world.coordinator)

    assert waiting.state == SignupState.OFFERED
    assert _pending(db, waiting, Purpose.WAITLIST_PROMOTED)


def test_a_draft_nights_new_leader_hears_nothing_until_it_is_published(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    walking = factories.signup(db, draft.nights[0], draft.leader, clock())
    roster.make_leader(db, walking, clock(), links, draft.coordinator)
    assert walking.role == SignupRole.LEADER
    assert db.scalars(select(SmsMessage)).all() == []


@pytest.mark.parametrize("case", ["not a group leader", "waiting", "cancelled night", "night begun"])
def test_who_cannot_be_made_a_nights_leader(db, world, clock, links, case):
    night = world.nights[0]
    someone = world.parent if case == "not a group leader" else world.leader
    state = SignupState.WAITLISTED if case == "waiting" else SignupState.SIGNED_UP
    signup = factories.signup(db, night, someone, clock(), state=state)
    if case == "cancelled night":
        roster.cancel_night(db, night, "Storm", clock(), links, world.coordinator)
    if case == "night begun":
        clock.set(night.starts_at + timedelta(minutes=5))

    with pytest.raises(roster.RosterRefused):
        roster.make_leader(db, signup, clock(), links, world.coordinator)
    assert signup.role == SignupRole.WALKER


def test_the_coordinator_makes_a_walker_the_leader_from_the_nights_page(db, world, login, clock):
    night = world.nights[0]
    walking = factories.signup(db, night, world.leader, clock())
    factories.signup(db, night, world.parent, clock())
    db.commit()
    client = login(world.coordinator)

    page = client.get(f"/coordinator/nights/{night.id}").text
    assert "Make Lise Leder group leader" in page
    assert "Make Kari Nordmann group leader" not in page  # Kari cannot lead
    done = client.post(
        f"/coordinator/nights/{night.id}/make-leader", data={"signup_id": walking.id}, follow_redirects=True
    )
    assert "Lise Leder leads the night now." in done.text
    assert "Make Lise Leder group leader" not in done.text
    assert "Group leaders free that night" not in done.text  # the night has its leader
    again = client.post(
        f"/coordinator/nights/{night.id}/make-leader", data={"signup_id": walking.id}, follow_redirects=True
    )
    assert again.status_code == 200
    db.expire_all()
    assert db.get(Signup, walking.id).role == SignupRole.LEADER
    assert len(db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.SHIFT_CHANGED)).all()) == 1


def test_making_a_parent_the_leader_by_a_forged_form_is_refused_in_words(db, world, login, clock):
    night = world.nights[0]
    walking = factories.signup(db, night, world.parent, clock())
    db.commit()
    client = login(world.coordinator)
    refused = client.post(
        f"/coordinator/nights/{night.id}/make-leader", data={"signup_id": walking.id}, follow_redirects=True
    )
    assert "Only group leaders can be put on a night as leader." in refused.text
    other = world.nights[1]
    assert client.post(f"/coordinator/nights/{other.id}/make-leader", data={"signup_id": walking.id}).status_code == 404
    assert client.post(f"/coordinator/nights/{night.id}/make-leader", data={}).status_code == 400


# --- A moved group leader. ---


@pytest.mark.parametrize("cancelled", [False, True])
def test_a_moved_group_leader_is_told_they_lead_the_new_night(db, world, clock, links, cancelled):
    source = world.night_on("Flisa sentrum", date(2026, 11, 20))
    target = world.night_on("Kjellmyra", date(2026, 11, 28))
    leading = roster.assign(db, source, world.leader, SignupRole.LEADER, clock(), links, world.coordinator)
    if cancelled:
        roster.cancel_night(db, source, "Storm", clock(), links, world.coordinator)

    moved = roster.move_person(db, leading, target.id, clock(), links, world.coordinator)

    [told] = _pending(db, moved, Purpose.SHIFT_CHANGED)
    if cancelled:
        assert "Flisa sentrum on 20.11 is cancelled. You are moved to lead Kjellmyra on 28.11 at 22:00" in told.body
    else:
        assert "moved from Flisa sentrum on 20.11 to lead Kjellmyra on 28.11 at 22:00" in told.body
    assert _pending(db, moved, Purpose.REPORT_REQUEST)


def test_a_cancelled_nights_page_says_who_went_to_lead(db, world, clock, links, login):
    source = world.night_on("Flisa sentrum", date(2026, 11, 20))
    target = world.night_on("Kjellmyra", date(2026, 11, 28))
    leading = roster.assign(db, source, world.leader, SignupRole.LEADER, clock(), links, world.coordinator)
    roster.cancel_night(db, source, "Storm", clock(), links, world.coordinator)
    roster.move_person(db, leading, target.id, clock(), links, world.coordinator)
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/nights/{source.id}").text
    assert "Moved to Kjellmyra, Sat 28 Nov</a> (group leader)</li>" in page


def test_a_moved_walker_is_not_told_they_lead(db, world, clock, links):
    source, target = world.nights[0], world.nights[-1]
    walking = roster.assign(db, source, world.leader, SignupRole.WALKER, clock(), links, world.coordinator)
    moved = roster.move_person(db, walking, target.id, clock(), links, world.coordinator)
    [told] = _pending(db, moved, Purpose.SHIFT_CHANGED)
    assert "to lead" not in told.body and "you are moved from" in told.body


# --- A cancelled night's waitlist moved. ---


def _cancelled_with_waitlist(db, world, clock, links):
    night = world.nights[0]
    night.max_walkers = 1
    factories.signup(db, night, world.other_parent, clock())
    waiting = factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    roster.cancel_night(db, night, "Storm", clock(), links, world.coordinator)
    return night, waiting


def test_someone_waiting_on_a_cancelled_night_is_moved_to_a_free_place(db, world, clock, links):
    _night, waiting = _cancelled_with_waitlist(db, world, clock, links)
    target = world.nights[2]

    moved = roster.move_person(db, waiting, target.id, clock(), links, world.coordinator)

    assert (moved.shift_id, moved.state, waiting.state) == (target.id, SignupState.SIGNED_UP, SignupState.CANCELLED)
    [told] = _pending(db, moved, Purpose.SHIFT_CHANGED)
    assert " is cancelled. You are moved to Våler sentrum on 20.11" in told.body
    assert _pending(db, moved, Purpose.REMINDER_DAY)


def test_someone_waiting_on_a_cancelled_night_waits_on_a_full_night_they_are_moved_to(db, world, clock, links):
    _night, waiting = _cancelled_with_waitlist(db, world, clock, links)
    target = world.nights[2]
    target.max_walkers = 1
    factories.signup(db, target, world.leader, clock())

    moved = roster.move_person(db, waiting, target.id, clock(), links, world.coordinator)

    assert (moved.state, moved.queued_at) == (SignupState.WAITLISTED, clock())
    [told] = _pending(db, moved, Purpose.SHIFT_CHANGED)
    assert "You are on the waitlist for Våler sentrum on 20.11 at 22:00 instead." in told.body
    assert _pending(db, moved, Purpose.REMINDER_DAY) == []  # nothing to remind of without a place


def test_someone_waiting_on_a_night_that_is_on_is_not_moved(db, world, clock, links):
    night = world.nights[0]
    night.max_walkers = 1
    factories.signup(db, night, world.other_parent, clock())
    waiting = factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    with pytest.raises(roster.RosterRefused):
        roster.move_person(db, waiting, world.nights[2].id, clock(), links, world.coordinator)
    assert waiting.state == SignupState.WAITLISTED


def test_a_cancelled_nights_page_moves_its_waitlist_and_says_who_went_where(db, world, login, clock, links):
    night, waiting = _cancelled_with_waitlist(db, world, clock, links)
    target, full = world.nights[2], world.nights[3]
    full.max_walkers = 1
    factories.signup(db, full, world.leader, clock())
    db.commit()
    client = login(world.coordinator)

    page = client.get(f"/coordinator/nights/{night.id}").text
    assert "Those waiting can be moved too" in page and "Move Kari Nordmann to" in page
    assert "Remove Kari Nordmann" not in page  # as for those with places: moved, not taken off
    assert "Moved to other nights" not in page
    kari = client.post(
        f"/coordinator/nights/{night.id}/move-person",
        data={"signup_id": waiting.id, "to_shift_id": full.id},
        follow_redirects=True,
    )
    assert "Kari Nordmann is moved to the waitlist of Kjellmyra, Fri 20 Nov 22:00." in kari.text
    ola = db.scalar(select(Signup).where(Signup.shift_id == night.id, Signup.person_id == world.other_parent.id))
    moved = client.post(
        f"/coordinator/nights/{night.id}/move-person",
        data={"signup_id": ola.id, "to_shift_id": target.id},
        follow_redirects=True,
    ).text

    assert "Moved to other nights" in moved
    assert "Kari Nordmann: <a href" in moved and "Moved to Kjellmyra, Fri 20 Nov</a> (on the waitlist)" in moved
    assert f'href="/coordinator/nights/{target.id}">Moved to Våler sentrum, Fri 20 Nov</a></li>' in moved
    assert "Move Kari Nordmann to" not in moved and "Move Ola Hansen to" not in moved
