"""Giving a night away: the parent stays on it until someone answers JA and takes the place."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Channel
from natteravn.audit.models import AuditEvent
from natteravn.shifts import calls, service, standin
from natteravn.shifts.models import Invitation, InvitationOutcome, Signup, SignupRole, SignupState
from natteravn.shifts.replies import reply_no, reply_yes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due
from tests import factories

FRIDAY = date(2026, 11, 27)


def texts(db, purpose, **where) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.purpose == purpose).order_by(SmsMessage.id)
    for name, value in where.items():
        query = query.where(getattr(SmsMessage, name) == value)
    return list(db.scalars(query))


def test_asking_for_a_stand_in_keeps_the_parent_on_the_night_and_calls_for_walkers(world, db, clock, links, full_night):
    night, mine = full_night
    free = factories.person(db, world.asnes, "Frida Fri", clock())
    grue = factories.person(db, world.grue, "Gunnar Grue", clock())

    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()

    assert mine.state == SignupState.SIGNED_UP and mine.standin_requested_at == clock()
    asked = {i.person_id for i in db.scalars(select(Invitation).where(Invitation.shift_id == night.id))}
    assert asked == {free.id}  # the others of Åsnes are on the night; Grue is another municipality
    assert grue.id not in asked
    [call] = texts(db, Purpose.CALL_FOR_WALKERS, to=free.phone)
    assert "needs a stand-in" in call.body and "Reply JA" in call.body and call.segments == 1
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "signup.standin_requested")).object_id == mine.id


def test_asking_twice_texts_nobody_twice(world, db, clock, links, full_night):
    _, mine = full_night
    factories.person(db, world.asnes, "Frida Fri", clock())
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    assert len(texts(db, Purpose.CALL_FOR_WALKERS)) == 1


def test_the_first_ja_takes_the_place_and_both_are_told(world, db, clock, links, full_night, gateway):
    night, mine = full_night
    waiting = factories.person(db, world.asnes, "Per Venter", clock())
    taker = factories.person(db, world.asnes, "Frida Fri", clock())
    late = factories.person(db, world.asnes, "Sindre Sen", clock())
    in_line = service.sign_up(db, waiting, night.id, SignupRole.WALKER, clock(), links)
    assert in_line.state == SignupState.WAITLISTED
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    dispatch_due(db, gateway, clock())

    clock.advance(minutes=5)
    answer = reply_yes(db, taker.phone, clock(), links)
    db.commit()

    assert "is yours" in answer
    assert mine.state == SignupState.CANCELLED
    theirs = db.scalar(select(Signup).where(Signup.person_id == taker.id))
    assert theirs.state == SignupState.CONFIRMED and theirs.shift_id == night.id
    [found] = texts(db, Purpose.STANDIN_FOUND, signup_id=mine.id)
    assert found.to == world.parent.phone and "Frida takes your place" in found.body
    assert not found.urgent  # news about next week's night waits for the morning in quiet hours
    assert not [m for m in texts(db, Purpose.REMINDER_DAY, signup_id=mine.id) if m.state == MessageState.PENDING]
    # The place went to the one who answered, not to the waitlist.
    assert in_line.state == SignupState.WAITLISTED
    assert texts(db, Purpose.WAITLIST_PROMOTED) == []
    assert service.night_for(db, taker, night.id, clock()).taken == 3

    assert "already taken" in reply_yes(db, late.phone, clock(), links)
    assert service.night_for(db, taker, night.id, clock()).taken == 3


def test_someone_on_the_waitlist_may_take_the_place(world, db, clock, links, full_night):
    night, mine = full_night
    waiting = factories.person(db, world.asnes, "Per Venter", clock())
    in_line = service.sign_up(db, waiting, night.id, SignupRole.WALKER, clock(), links)
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    assert db.scalar(select(Invitation).where(Invitation.person_id == waiting.id)).shift_id == night.id

    reply_yes(db, waiting.phone, clock(), links)
    assert in_line.state == SignupState.CONFIRMED
    assert mine.state == SignupState.CANCELLED
    assert service.night_for(db, waiting, night.id, clock()).taken == 3


def test_a_taker_who_breaks_a_rule_leaves_the_parent_on_the_night(world, db, clock, links, full_night):
    night, mine = full_night
    taker = factories.person(db, world.asnes, "Frida Fri", clock())
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    elsewhere = world.night_on("Kirkenær", FRIDAY)
    service.sign_up(db, taker, elsewhere.id, SignupRole.WALKER, clock(), links)

    answer = reply_yes(db, taker.phone, clock(), links)
    assert "already on another night at that time" in answer
    assert mine.state == SignupState.SIGNED_UP and mine.standin_requested_at is not None
    assert db.scalar(select(Invitation.outcome).where(Invitation.person_id == taker.id)) == InvitationOutcome.REFUSED


def test_a_group_leaders_place_is_offered_to_group_leaders(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    mine = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    other_leader = factories.person(db, world.asnes, "Lars Leder", clock(), leader=True)

    standin.request_standin(db, world.leader, mine.id, clock(), links)
    asked = db.scalars(select(Invitation).where(Invitation.shift_id == night.id)).all()
    assert [(i.person_id, i.role) for i in asked] == [(other_leader.id, SignupRole.LEADER)]

    reply_yes(db, other_leader.phone, clock(), links)
    assert mine.state == SignupState.CANCELLED
    assert service.night_for(db, other_leader, night.id, clock()).mine.role == SignupRole.LEADER


def test_keeping_the_place_after_all_stops_the_swap(world, db, clock, links, full_night):
    _, mine = full_night
    taker = factories.person(db, world.asnes, "Frida Fri", clock())
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    standin.keep_place(db, world.parent, mine.id, clock())

    answer = reply_yes(db, taker.phone, clock(), links)
    assert "already taken" in answer
    assert mine.state == SignupState.SIGNED_UP and mine.standin_requested_at is None


def test_only_a_held_place_of_ones_own_ahead_of_the_night_can_be_given_away(world, db, clock, links, full_night):
    night, mine = full_night
    with pytest.raises(standin.StandinRefused):
        standin.request_standin(db, world.other_parent, mine.id, clock(), links)
    with pytest.raises(standin.StandinRefused):
        standin.request_standin(db, world.parent, 999999, clock(), links)
    clock.set(night.starts_at)
    with pytest.raises(standin.StandinRefused) as refused:
        standin.request_standin(db, world.parent, mine.id, clock(), links)
    assert refused.value.msgid == "This night has already started."


# --- The night page. ---


def test_the_night_page_offers_a_stand_in_and_the_button_asks_for_one(
    world, db, clock, links, full_night, login, client
):
    night, mine = full_night
    factories.person(db, world.asnes, "Frida Fri", clock())
    db.commit()
    login(world.parent)

    page = client.get(f"/nights/{night.id}")
    assert "Find a stand-in" in page.text

    response = client.post(f"/signups/{mine.id}/standin")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/nights/{night.id}")
    db.expire_all()
    assert db.get(Signup, mine.id).standin_requested_at is not None
    db.rollback()  # SQLite: the test's read must not hold the write lock the next request needs
    page = client.get(f"/nights/{night.id}")
    assert "You asked for a stand-in" in page.text and "I can come after all" in page.text

    client.post(f"/signups/{mine.id}/keep")
    db.expire_all()
    assert db.get(Signup, mine.id).standin_requested_at is None


def test_someone_elses_sign_up_cannot_be_given_away(world, db, clock, links, full_night, login, client):
    _, mine = full_night
    login(world.other_parent)
    assert client.post(f"/signups/{mine.id}/standin").status_code == 404
    assert client.post(f"/signups/{mine.id}/keep").status_code == 404
    assert client.post("/signups/999999/standin").status_code == 404
    db.expire_all()
    assert db.get(Signup, mine.id).standin_requested_at is None


def test_the_stand_in_button_needs_a_login(client, world, full_night):
    _, mine = full_night
    response = client.post(f"/signups/{mine.id}/standin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_refused_request_is_explained_not_a_crash(world, db, clock, links, full_night, login, client):
    night, mine = full_night
    login(world.parent)
    clock.set(datetime(2026, 11, 27, 21, 30, tzinfo=UTC))  # the night has begun
    response = client.post(f"/signups/{mine.id}/standin", follow_redirects=True)
    assert response.status_code == 200 and "already started" in response.text


def test_the_call_job_does_not_ask_again_those_asked_for_a_stand_in(world, db, clock, links, full_night):
    night, mine = full_night
    free = factories.person(db, world.asnes, "Frida Fri", clock())
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    clock.set(datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    calls.call_for_walkers(db, clock(), links)
    assert len(texts(db, Purpose.CALL_FOR_WALKERS, to=free.phone)) == 1


# --- Giving up a place a stand-in was asked for: the calls must not ask for a place that is not there. ---


def pending_calls(db) -> list[SmsMessage]:
    return [m for m in texts(db, Purpose.CALL_FOR_WALKERS) if m.state == MessageState.PENDING]


@pytest.fixture
def asked_in_the_night(world, db, clock, links, full_night):
    """The parent asks for a stand-in at 22:00, in the quiet hours: the call to Frida waits for
    the morning. The night does not need its third walker (two are enough)."""
    night, mine = full_night
    night.min_walkers = 2
    factories.person(db, world.asnes, "Frida Fri", clock())
    clock.set(datetime(2026, 11, 18, 21, 0, tzinfo=UTC))
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    assert len(pending_calls(db)) == 1
    return night, mine


def test_cancelling_instead_withdraws_the_calls_not_yet_sent(world, db, clock, links, asked_in_the_night):
    night, mine = asked_in_the_night
    cancelling = standin.what_cancelling_does(db, world.parent, mine.id, clock())
    assert cancelling.standin_asked and not cancelling.standin_calls_kept

    standin.cancel_place(db, world.parent, mine.id, clock(), links)

    assert mine.state == SignupState.CANCELLED
    assert pending_calls(db) == []
    [call] = texts(db, Purpose.CALL_FOR_WALKERS)
    assert call.state == MessageState.CANCELLED


def test_a_place_that_goes_to_the_waitlist_withdraws_the_calls_too(world, db, clock, links, asked_in_the_night):
    night, mine = asked_in_the_night
    night.min_walkers = 3
    waiting = factories.person(db, world.asnes, "Per Venter", clock())
    queued = service.sign_up(db, waiting, night.id, SignupRole.WALKER, clock(), links)
    assert standin.what_cancelling_does(db, world.parent, mine.id, clock()).standin_calls_kept is False

    standin.cancel_place(db, world.parent, mine.id, clock(), links)

    assert queued.state == SignupState.OFFERED
    assert [m.to for m in pending_calls(db)] == []


def test_a_night_short_without_the_parent_keeps_its_calls_for_the_free_place(
    world, db, clock, links, asked_in_the_night
):
    night, mine = asked_in_the_night
    night.min_walkers = 3
    cancelling = standin.what_cancelling_does(db, world.parent, mine.id, clock())
    assert cancelling.standin_asked and cancelling.standin_calls_kept

    standin.cancel_place(db, world.parent, mine.id, clock(), links)
    db.commit()

    [call] = pending_calls(db)
    clock.set(datetime(2026, 11, 19, 8, 0, tzinfo=UTC))
    frida = db.scalar(select(Invitation).where(Invitation.person_id == call.person_id)).person
    assert "is yours" in reply_yes(db, frida.phone, clock(), links)  # the place is there to take


def test_a_nei_by_sms_withdraws_the_calls_as_cancelling_does(world, db, clock, links, full_night, gateway):
    night, mine = full_night
    night.min_walkers = 2
    factories.person(db, world.asnes, "Frida Fri", clock())
    clock.set(datetime(2026, 11, 25, 17, 1, tzinfo=UTC))  # Wednesday's reminder asks JA or NEI
    dispatch_due(db, gateway, clock())
    clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    assert len(pending_calls(db)) == 1  # for the morning

    reply_no(db, world.parent.phone, clock(), links, "NEI")

    assert mine.state == SignupState.CANCELLED
    assert pending_calls(db) == []


def test_coming_after_all_withdraws_the_calls_not_yet_sent(world, db, clock, links, asked_in_the_night):
    _, mine = asked_in_the_night
    standin.keep_place(db, world.parent, mine.id, clock())
    assert pending_calls(db) == []


# --- What the pages say about it. ---


def test_the_cancel_page_offers_a_stand_in_with_one_tap(world, db, full_night, login, client):
    night, mine = full_night
    login(world.parent)
    page = client.get(f"/signups/{mine.id}/cancel?next=/my").text
    assert "Ask for a stand-in instead" in page
    assert f'action="/signups/{mine.id}/standin"' in page and "Find a stand-in</button>" in page
    response = client.post(f"/signups/{mine.id}/standin")
    assert response.headers["Location"].endswith(f"/nights/{night.id}")
    db.expire_all()
    assert db.get(Signup, mine.id).standin_requested_at is not None


def test_the_cancel_page_says_what_cancelling_does_to_a_stand_in_asked_for(
    world, db, clock, links, asked_in_the_night, login, client
):
    night, mine = asked_in_the_night
    login(world.parent)
    page = client.get(f"/signups/{mine.id}/cancel").text
    assert "Your request for a stand-in ends: those not asked yet are not asked." in page
    assert "Find a stand-in" not in page
    night.min_walkers = 3
    db.commit()
    page = client.get(f"/signups/{mine.id}/cancel").text
    assert "The night is short without you, so those asked to stand in for you can still take the free place." in page


def test_asking_for_a_stand_in_takes_im_coming_off_the_night_page(world, db, clock, links, full_night, login, client):
    night, mine = full_night
    login(world.parent)
    assert "I'm coming</button>" in client.get(f"/nights/{night.id}").text
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    page = client.get(f"/nights/{night.id}").text
    assert "I'm coming</button>" not in page and "I can come after all" in page


def test_the_stand_in_promise_speaks_of_the_parents_own_channel(world, db, clock, links, full_night, login, client):
    night, mine = full_night
    standin.request_standin(db, world.parent, mine.id, clock(), links)
    db.commit()
    login(world.parent)
    assert "we send you an SMS when they do" in client.get(f"/nights/{night.id}").text
    world.parent.email, world.parent.channel = "kari@example.no", Channel.EMAIL
    db.commit()
    page = client.get(f"/nights/{night.id}").text
    assert "we e-mail you when they do" in page and "SMS" not in page.split("<main", 1)[1].split("</main>")[0]
