"""The waitlist: a freed place is offered to the first in line, who must say yes in time, or it
passes on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from natteravn.shifts import service
from natteravn.shifts.models import SignupRole, SignupState
from natteravn.shifts.service import SignupRefused
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.conftest import last_sms_to

FRIDAY = date(2026, 11, 20)


@pytest.fixture
def queue(world, db, clock, links):
    """Flisa sentrum on Friday with two places: Ola and the leader on it, Kari then Per waiting."""
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 2
    per = factories.person(db, world.asnes, "Per Pedersen", clock())
    on = [
        service.sign_up(db, p, night.id, SignupRole.WALKER, clock(), links) for p in (world.other_parent, world.leader)
    ]
    kari = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    clock.advance(minutes=1)
    pers = service.sign_up(db, per, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    return night, on, kari, pers


def offers_to(db, person) -> list[SmsMessage]:
    return list(
        db.scalars(
            select(SmsMessage)
            .where(SmsMessage.person_id == person.id, SmsMessage.purpose == Purpose.WAITLIST_PROMOTED)
            .order_by(SmsMessage.id)
        )
    )


def test_a_freed_place_is_offered_to_the_first_in_line_by_sms(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    assert kari.state == SignupState.OFFERED
    # Twelve hours from 10:01 is 22:01, in the quiet hours (21–08): the hour past 21:00 is given back after 08:00.
    assert kari.offer_expires_at == datetime(2026, 11, 19, 8, 1, tzinfo=UTC)  # 09:01 in Oslo
    assert pers.state == SignupState.WAITLISTED
    [offer] = offers_to(db, world.parent)
    assert links.offer(kari.id) in offer.body and "/offer/" in offer.body
    assert offer.due_at == clock() and offer.expires_at == kari.offer_expires_at
    assert not offer.urgent  # a night two days ahead: an offer made in quiet hours would wait for the morning


def test_the_offer_goes_out_through_the_gateway(world, db, clock, links, gateway, queue):
    night, (ola, _), kari, _ = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    db.commit()
    sms.dispatch_due(db, gateway, clock())
    assert links.offer(kari.id) in last_sms_to(gateway, world.parent.phone)


def test_an_offered_place_is_held_so_a_newcomer_joins_the_waitlist(world, db, clock, links, queue):
    night, (ola, _), kari, _ = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    newcomer = factories.person(db, world.valer, "Nina Ny", clock())
    assert service.sign_up(db, newcomer, night.id, SignupRole.WALKER, clock(), links).state == SignupState.WAITLISTED


def test_confirming_takes_the_place_and_plans_the_reminders(world, db, clock, links, queue):
    night, (ola, _), kari, _ = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    confirmed = service.confirm_offer(db, kari.id, clock(), links)
    assert confirmed.state == SignupState.CONFIRMED and confirmed.offer_expires_at is None
    purposes = {m.purpose for m in db.scalars(select(SmsMessage).where(SmsMessage.signup_id == kari.id))}
    assert {Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY} <= purposes


def test_confirming_twice_is_harmless(world, db, clock, links, queue):
    night, (ola, _), kari, _ = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    service.confirm_offer(db, kari.id, clock(), links)
    clock.advance(hours=1)
    again = service.confirm_offer(db, kari.id, clock(), links)
    assert again.state == SignupState.CONFIRMED and again.confirmed_at == clock() - timedelta(hours=1)
    reminders = db.scalars(
        select(SmsMessage).where(SmsMessage.signup_id == kari.id, SmsMessage.purpose == Purpose.REMINDER_DAY)
    ).all()
    assert len(reminders) == 1


def test_an_unanswered_offer_passes_to_the_next_in_line(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    clock.set(kari.offer_expires_at - timedelta(seconds=1))
    assert service.expire_offers(db, clock(), links) == 0
    clock.advance(seconds=1)
    assert service.expire_offers(db, clock(), links) == 1
    assert kari.state == SignupState.CANCELLED
    assert pers.state == SignupState.OFFERED
    assert len(offers_to(db, pers.person)) == 1


def test_an_expired_offer_cannot_be_confirmed_and_passes_on(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    clock.set(kari.offer_expires_at)
    with pytest.raises(SignupRefused) as caught:
        service.confirm_offer(db, kari.id, clock(), links)
    assert caught.value.msgid == "The offer has expired and the place went to the next on the list."
    assert kari.state == SignupState.CANCELLED and pers.state == SignupState.OFFERED


def test_a_sign_up_after_an_offer_expired_does_not_jump_the_queue(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    clock.set(kari.offer_expires_at)
    newcomer = factories.person(db, world.valer, "Nina Ny", clock())
    late = service.sign_up(db, newcomer, night.id, SignupRole.WALKER, clock(), links)
    assert late.state == SignupState.WAITLISTED
    assert pers.state == SignupState.OFFERED


def test_declining_passes_the_place_on(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    service.decline_offer(db, kari.id, clock(), links)
    assert kari.state == SignupState.CANCELLED and pers.state == SignupState.OFFERED
    assert service.decline_offer(db, kari.id, clock(), links).state == SignupState.CANCELLED


def test_an_offer_can_be_turned_down_even_after_the_cut_off(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    clock.set(night.starts_at - timedelta(hours=3))
    service.withdraw(db, ola, clock(), links)  # a leader took Ola off late
    assert kari.offer_expires_at == night.starts_at  # never an offer that outlives the night
    service.cancel_signup(db, world.parent, kari.id, clock(), links)
    assert pers.state == SignupState.OFFERED


def test_the_place_is_not_offered_on_a_cancelled_night(world, db, clock, links, queue):
    night, (ola, _), kari, _ = queue
    night.cancelled_at = clock()
    service.withdraw(db, ola, clock(), links)
    assert kari.state == SignupState.WAITLISTED


def test_someone_who_took_another_night_at_that_time_is_passed_over(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.sign_up(db, world.parent, world.night_on("Kjellmyra", FRIDAY).id, SignupRole.WALKER, clock(), links)
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    assert kari.state == SignupState.WAITLISTED
    assert pers.state == SignupState.OFFERED


def test_an_offer_cannot_be_taken_on_top_of_a_night_at_the_same_time(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    service.sign_up(db, world.parent, world.night_on("Kjellmyra", FRIDAY).id, SignupRole.WALKER, clock(), links)
    with pytest.raises(SignupRefused) as caught:
        service.confirm_offer(db, kari.id, clock(), links)
    assert caught.value.msgid == "You are already on another night at that time."
    assert kari.state == SignupState.CANCELLED and pers.state == SignupState.OFFERED


def test_two_freed_places_go_to_the_first_two_in_line(world, db, clock, links, queue):
    night, on, kari, pers = queue
    night.max_walkers = 4
    service.promote_waitlist(db, night, clock(), links)
    assert kari.state == pers.state == SignupState.OFFERED


def test_an_offered_leader_is_not_yet_the_nights_leader_but_holds_the_place(world, db, clock, links, queue):
    night, (ola, _), kari, pers = queue
    kari.role = SignupRole.LEADER  # she queued to lead
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    seen = service.night_for(db, world.other_parent, night.id, clock())
    assert seen.full and not seen.has_leader
    service.confirm_offer(db, kari.id, clock(), links)
    assert service.night_for(db, world.other_parent, night.id, clock()).has_leader
