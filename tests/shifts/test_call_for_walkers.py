"""Calling free volunteers when a night of the coming weekend is short, and the JA race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from natteravn.roster import service as roster
from natteravn.scheduler import add_jobs, context_from
from natteravn.shifts import calls, service
from natteravn.shifts.models import Invitation, InvitationOutcome, SignupRole, SignupState
from natteravn.shifts.replies import reply_no, reply_yes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due
from tests import factories
from tests.databases import POSTGRES_URL

FRIDAY = date(2026, 11, 27)
TUESDAY_CALL = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 17:00 in Oslo


def invitations(db, shift=None) -> list[Invitation]:
    query = select(Invitation).order_by(Invitation.id)
    if shift is not None:
        query = query.where(Invitation.shift_id == shift.id)
    return list(db.scalars(query))


def calls_to(db, person) -> list[SmsMessage]:
    return list(
        db.scalars(
            select(SmsMessage).where(SmsMessage.to == person.phone, SmsMessage.purpose == Purpose.CALL_FOR_WALKERS)
        )
    )


def fill(db, shift, count, now, links, *, with_leader=True):
    """Put `count` volunteers of the night's municipality on it (the first as leader)."""
    people = []
    for i in range(count):
        lead = with_leader and i == 0
        person = factories.person(db, shift.route.municipality, f"Fyll {shift.id}-{i}", now, leader=lead)
        role = SignupRole.LEADER if lead else SignupRole.WALKER
        service.sign_up(db, person, shift.id, role, now, links)
        people.append(person)
    return people


def test_nothing_is_called_before_the_regions_call_moment(world, db, clock, links):
    clock.set(TUESDAY_CALL.replace(minute=0, hour=15))  # Tuesday 16:00
    assert calls.call_for_walkers(db, clock(), links) == 0
    assert invitations(db) == []


def test_the_tuesday_call_texts_free_volunteers_of_the_municipality(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    busy = factories.person(db, world.asnes, "Bente Opptatt", clock())
    service.sign_up(db, busy, world.night_on("Kjellmyra", FRIDAY).id, SignupRole.WALKER, clock(), links)
    opted_out = factories.person(db, world.asnes, "Ola Stopp", clock())
    opted_out.sms_opted_out_at = clock()
    inactive = factories.person(db, world.asnes, "Ivar Borte", clock())
    inactive.active = False
    not_onboarded = factories.person(db, world.asnes, "Nina Ny", clock())
    not_onboarded.conduct_accepted_at = None
    at_cap = factories.person(db, world.asnes, "Kaia Full", clock())
    for day in (date(2026, 12, 4), date(2026, 12, 11)):
        service.sign_up(db, at_cap, world.night_on("Kjellmyra", day).id, SignupRole.WALKER, clock(), links)
    db.commit()

    clock.set(TUESDAY_CALL)
    asked = calls.call_for_walkers(db, clock(), links)
    db.commit()

    invited = {i.person_id for i in invitations(db, friday)}
    assert invited == {world.parent.id, world.leader.id, world.coordinator.id}
    assert world.other_parent.id in {i.person_id for i in invitations(db)}  # for a night in Grue
    assert asked == len(invitations(db))
    [text] = calls_to(db, world.parent)  # one question at a time, the first short night
    assert text.shift_id == friday.id and text.expires_at == friday.starts_at and not text.urgent
    assert "Flisa sentrum" in text.body and "Reply JA" in text.body and text.segments == 1
    [invitation] = [i for i in invitations(db) if i.person_id == world.parent.id]
    assert invitation.role == SignupRole.WALKER and invitation.outcome == InvitationOutcome.OPEN


def test_a_group_leader_at_the_cap_is_asked_to_lead_a_night_without_one(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    for day in (date(2026, 12, 4), date(2026, 12, 11)):
        service.sign_up(db, world.leader, world.night_on("Kjellmyra", day).id, SignupRole.WALKER, clock(), links)
    db.commit()

    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    db.commit()

    [invitation] = [i for i in invitations(db, friday) if i.person_id == world.leader.id]
    assert invitation.role == SignupRole.LEADER


def test_each_volunteer_is_texted_once_per_night_and_the_job_can_run_again(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    db.commit()
    texts = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.CALL_FOR_WALKERS)).all()
    for invitation in invitations(db, friday):
        assert [m.shift_id for m in texts if m.person_id == invitation.person_id].count(friday.id) == 1

    clock.advance(minutes=10)
    assert calls.call_for_walkers(db, clock(), links) == 0
    db.commit()
    assert len(db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.CALL_FOR_WALKERS)).all()) == len(texts)


def test_a_night_with_enough_walkers_and_a_leader_is_not_called_for(world, db, clock, links):
    friday = world.night_on("Kirkenær", FRIDAY)
    fill(db, friday, 3, clock(), links)
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    assert invitations(db, friday) == []


def test_a_night_short_only_of_a_leader_asks_only_leaders(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    fill(db, friday, 3, clock(), links, with_leader=False)
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)

    [invitation] = invitations(db, friday)
    assert invitation.person_id == world.leader.id and invitation.role == SignupRole.LEADER
    [text] = [m for m in calls_to(db, world.leader) if m.shift_id == friday.id]
    assert "needs a group leader" in text.body

    reply_yes(db, world.leader.phone, clock(), links)
    mine = service.night_for(db, world.leader, friday.id, clock()).mine
    assert mine.role == SignupRole.LEADER and mine.state == SignupState.CONFIRMED


def test_nights_beyond_the_coming_weekend_wait_for_their_own_tuesday(world, db, clock, links):
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    assert all(i.shift.starts_at.date() <= date(2026, 11, 29) for i in invitations(db))


def test_the_first_replies_take_the_places_and_later_ones_hear_it_is_full(world, db, clock, links, gateway):
    friday = world.night_on("Våler sentrum", FRIDAY)
    friday.max_walkers = 4
    fill(db, friday, 2, clock(), links)
    volunteers = [factories.person(db, world.valer, f"Frivillig {n}", clock()) for n in range(4)]
    db.commit()
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    db.commit()
    dispatch_due(db, gateway, clock())

    answers = []
    for volunteer in volunteers:
        clock.advance(minutes=1)
        answers.append(reply_yes(db, volunteer.phone, clock(), links))
        db.commit()

    assert ["is yours" in a for a in answers] == [True, True, False, False]
    assert "already taken" in answers[2]
    night = service.night_for(db, volunteers[0], friday.id, clock())
    assert night.taken == 4 == friday.max_walkers
    outcomes = [db.scalar(select(Invitation.outcome).where(Invitation.person_id == v.id)) for v in volunteers]
    assert outcomes == [InvitationOutcome.TAKEN] * 2 + [InvitationOutcome.FULL] * 2
    # The takers get their reminders; the answer to their JA was their confirmation, and the
    # reminder does not ask them to confirm again.
    taker = night.shift.signups[-1]
    planned = {
        m.purpose: m
        for m in db.scalars(
            select(SmsMessage).where(SmsMessage.signup_id == taker.id, SmsMessage.state == MessageState.PENDING)
        )
    }
    assert Purpose.SIGNUP_CONFIRMATION not in planned and Purpose.REMINDER_DAY in planned
    assert "Reply NEI if you cannot come." in planned[Purpose.REMINDER_BEFORE].body
    assert "JA" not in planned[Purpose.REMINDER_BEFORE].body


def test_a_ja_that_breaks_a_sign_up_rule_is_refused_with_the_reason(world, db, clock, links):
    friday = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    invitation = calls.open_invitation(db, world.parent, clock())
    # Since the call the parent signed up for another night at the same time.
    other = next(n for n in world.nights if n.starts_at == invitation.shift.starts_at and n.id != invitation.shift_id)
    service.sign_up(db, world.parent, other.id, SignupRole.WALKER, clock(), links)

    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert "already on another night at that time" in answer
    assert invitation.outcome == InvitationOutcome.REFUSED
    assert friday.id  # the night itself is untouched


def test_a_ja_to_a_call_for_a_night_cancelled_since_is_told_so_and_confirms_no_other_night(world, db, clock, links):
    own = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", date(2026, 12, 4)).id, SignupRole.WALKER, clock(), links
    )
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    invitation = calls.open_invitation(db, world.parent, clock())
    roster.cancel_night(db, invitation.shift, "Storm", clock(), links, world.coordinator)
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert "is cancelled, so there is no place to take" in answer
    assert own.state == SignupState.SIGNED_UP  # not taken as a JA to its reminder
    assert invitation.outcome == InvitationOutcome.FULL


def test_nei_to_an_invitation_declines_it(world, db, clock, links):
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    invitation = calls.open_invitation(db, world.parent, clock())
    answer = reply_no(db, world.parent.phone, clock(), links)
    assert invitation.outcome == InvitationOutcome.DECLINED
    assert "will not ask you" in answer


def test_a_ja_after_the_night_started_takes_nothing(world, db, clock, links):
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    clock.set(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert "no nights" in answer


def test_the_call_runs_as_a_scheduler_job(app):
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, context_from(app))
    assert scheduler.get_job("call_for_walkers") is not None


def test_the_region_chooses_the_call_day(world, db, clock, links):
    world.region.call_weekday = 3  # Thursday
    friday = world.night_on("Flisa sentrum", FRIDAY)
    assert calls.call_moment(friday) == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    clock.set(TUESDAY_CALL)
    assert calls.call_for_walkers(db, clock(), links) == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="real row locks need PostgreSQL")
def test_simultaneous_replies_for_the_last_place_never_overfill_the_night(app, world, db, clock, links):
    friday = world.night_on("Våler sentrum", FRIDAY)
    friday.max_walkers = 3
    fill(db, friday, 2, clock(), links)
    volunteers = [factories.person(db, world.valer, f"Samtidig {n}", clock()) for n in range(6)]
    clock.set(TUESDAY_CALL)
    calls.call_for_walkers(db, clock(), links)
    db.commit()
    sessions = app.extensions["natteravn.sessions"]
    start = threading.Barrier(len(volunteers))

    def answer(phone: str) -> str:
        with sessions() as session:
            start.wait()
            text = reply_yes(session, phone, clock(), links)
            session.commit()
            return text

    with ThreadPoolExecutor(len(volunteers)) as pool:
        answers = list(pool.map(answer, [v.phone for v in volunteers]))

    assert sum("is yours" in a for a in answers) == 1
    assert sum("already taken" in a for a in answers) == 5
    db.expire_all()
    assert service.night_for(db, volunteers[0], friday.id, clock()).taken == 3


def test_a_walkers_ja_leaves_the_place_kept_for_a_leader_and_a_leaders_ja_takes_it(world, db, clock, links):
    world.region.leader_place_days = 3
    friday = world.night_on("Våler sentrum", FRIDAY)
    friday.max_walkers = 4
    fill(db, friday, 2, clock(), links, with_leader=False)
    walkers = [factories.person(db, world.valer, f"Frivillig {n}", clock()) for n in range(2)]
    leader = factories.person(db, world.valer, "Leder Lise", clock(), leader=True)
    db.commit()
    clock.set(TUESDAY_CALL)  # three days and five hours before the night: the last place is kept
    calls.call_for_walkers(db, clock(), links)
    db.commit()

    answers = [reply_yes(db, person.phone, clock(), links) for person in (*walkers, leader)]
    db.commit()

    assert ["is yours" in a for a in answers] == [True, False, True]
    night = service.night_for(db, leader, friday.id, clock())
    assert (night.taken, night.leaders) == (4, 1)
