"""Signing up for a night, through the service: who may, when, how many, and what a parent sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Role, RoleKind
from natteravn.places.models import Route
from natteravn.shifts import service
from natteravn.shifts.models import Signup, SignupRole, SignupState, Term
from natteravn.shifts.service import SignupRefused
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories

FRIDAY = date(2026, 11, 20)
SATURDAY = date(2026, 11, 21)
NEXT_FRIDAY = date(2026, 11, 27)


@pytest.fixture
def sign(db, clock, links):
    def _sign(person, night, role=SignupRole.WALKER):
        return service.sign_up(db, person, night.id, role, clock(), links)

    return _sign


def refused(call, *args) -> str:
    with pytest.raises(SignupRefused) as caught:
        call(*args)
    return caught.value.msgid


def live_signups(db, person) -> int:
    return db.scalar(select(func.count()).where(Signup.person_id == person.id, Signup.state != SignupState.CANCELLED))


def parents(db, world, clock, count: int) -> list:
    return [factories.person(db, world.asnes, f"Forelder {i}", clock()) for i in range(count)]


# --- Signing up ---


def test_a_parent_takes_a_place_and_gets_a_confirmation_sms(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    mine = sign(world.parent, night)
    assert mine.state == SignupState.SIGNED_UP and mine.role == SignupRole.WALKER
    assert service.night_for(db, world.parent, night.id, clock()).places_left == night.max_walkers - 1
    texts = db.scalars(select(SmsMessage).where(SmsMessage.signup_id == mine.id)).all()
    assert Purpose.SIGNUP_CONFIRMATION in {t.purpose for t in texts}
    assert all(t.to == world.parent.phone for t in texts)


def test_tapping_twice_gives_one_sign_up(world, db, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    first = sign(world.parent, night)
    second = sign(world.parent, night)
    assert first.id == second.id
    assert live_signups(db, world.parent) == 1


def test_only_a_group_leader_of_the_region_signs_up_as_leader(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    assert refused(sign, world.parent, night, SignupRole.LEADER) == "Only group leaders can sign up as leader."
    hamar_region, *_ = factories.other_region(db, clock())
    leader_elsewhere = factories.person(db, world.asnes, "Leder Annensteds", clock())
    leader_elsewhere.roles.append(Role(kind=RoleKind.LEADER, region_id=hamar_region.id))
    db.flush()
    assert refused(sign, leader_elsewhere, night, SignupRole.LEADER) == "Only group leaders can sign up as leader."
    assert sign(world.leader, night, SignupRole.LEADER).role == SignupRole.LEADER
    assert service.night_for(db, world.parent, night.id, clock()).has_leader


def test_a_leader_may_walk_as_an_ordinary_walker(world, sign):
    assert sign(world.leader, world.night_on("Kirkenær", FRIDAY)).role == SignupRole.WALKER


def test_no_sign_up_before_the_window_opens_or_after_it_closes(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    world.term.signup_opens_at = clock() + timedelta(days=1)
    assert refused(sign, world.parent, night) == "Sign-up for this term opens %(when)s."
    world.term.signup_opens_at = clock() - timedelta(days=7)
    world.term.signup_closes_at = clock()
    assert refused(sign, world.parent, night) == "Sign-up for this term has closed."
    world.term.signup_closes_at = clock() + timedelta(minutes=1)
    assert sign(world.parent, night).state == SignupState.SIGNED_UP


def test_the_opening_time_is_told_in_oslo_time(world, clock, sign):
    world.term.signup_opens_at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    with pytest.raises(SignupRefused) as caught:
        sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    assert caught.value.params == {"when": "19.11.2026 18:00"}


def test_no_sign_up_on_a_cancelled_night_or_one_that_has_started(world, clock, sign):
    cancelled = world.night_on("Kirkenær", FRIDAY)
    cancelled.cancelled_at = clock()
    assert refused(sign, world.parent, cancelled) == "This night is cancelled."
    started = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(started.starts_at)
    assert refused(sign, world.parent, started) == "This night has already started."


def test_drafts_and_other_regions_nights_do_not_exist_for_a_parent(world, db, clock, sign):
    draft = Term(
        region=world.region,
        name="Vår 2027",
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 6, 19),
        signup_opens_at=clock() - timedelta(days=1),
    )
    db.add(draft)
    draft_night = factories.night(db, draft, world.routes["Flisa sentrum"], date(2027, 1, 8))
    _, hamar, _, hamar_leader = factories.other_region(db, clock())
    hamar_term = Term(
        region=hamar.region,
        name="Høst 2026",
        starts_on=FRIDAY,
        ends_on=date(2026, 12, 19),
        signup_opens_at=clock() - timedelta(days=1),
        published_at=clock() - timedelta(days=1),
    )
    route = Route(municipality=hamar, name="Hamar sentrum", meeting_point="Stortorget")
    db.add_all([hamar_term, route])
    hamar_night = factories.night(db, hamar_term, route, FRIDAY)
    for night in (draft_night, hamar_night):
        assert refused(sign, world.parent, night) == "That night does not exist."
        assert service.night_for(db, world.parent, night.id, clock()) is None
    assert service.night_for(db, hamar_leader, hamar_night.id, clock()) is not None


def test_a_full_night_puts_the_parent_on_the_waitlist(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 2
    for parent in parents(db, world, clock, 2):
        sign(parent, night)
    waiting = sign(world.parent, night)
    assert waiting.state == SignupState.WAITLISTED and waiting.queued_at == clock()
    assert service.night_for(db, world.parent, night.id, clock()).full


# --- Overlap and the term's cap ---


def test_two_nights_at_the_same_time_cannot_both_be_held(world, sign):
    sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    assert (
        refused(sign, world.parent, world.night_on("Kjellmyra", FRIDAY))
        == "You are already on another night at that time."
    )


def test_a_night_that_only_touches_another_does_not_overlap(world, db, sign):
    early = factories.night(db, world.term, world.routes["Kjellmyra"], FRIDAY, start=time(18, 0), end=time(22, 0))
    sign(world.parent, early)
    assert sign(world.parent, world.night_on("Flisa sentrum", FRIDAY)).state == SignupState.SIGNED_UP


def test_a_waitlist_place_does_not_block_a_free_night_at_the_same_time(world, db, clock, sign):
    """A parent waiting for Flisa may walk Kjellmyra instead; the waitlist is a hope, not a night."""
    flisa = world.night_on("Flisa sentrum", FRIDAY)
    flisa.max_walkers = 1
    sign(world.other_parent, flisa)
    assert sign(world.parent, flisa).state == SignupState.WAITLISTED
    assert sign(world.parent, world.night_on("Kjellmyra", FRIDAY)).state == SignupState.SIGNED_UP


def test_no_waitlist_for_a_night_the_parent_could_never_take(world, sign):
    kjellmyra = world.night_on("Kjellmyra", FRIDAY)
    kjellmyra.max_walkers = 1
    sign(world.other_parent, kjellmyra)
    sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    assert refused(sign, world.parent, kjellmyra) == "You are already on another night at that time."


def test_a_cancelled_sign_up_frees_the_time_again(world, db, clock, links, sign):
    flisa = sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    service.cancel_signup(db, world.parent, flisa.id, clock(), links)
    assert sign(world.parent, world.night_on("Kjellmyra", FRIDAY)).state == SignupState.SIGNED_UP


def test_the_regions_cap_is_two_nights_a_term(world, sign):
    sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    sign(world.parent, world.night_on("Flisa sentrum", SATURDAY))
    third = world.night_on("Flisa sentrum", NEXT_FRIDAY)
    assert (
        refused(sign, world.parent, third) == "You already have %(cap)d nights as walker this term, the most allowed."
    )


def test_a_group_leader_at_the_cap_still_leads_a_night_that_has_no_leader(world, db, clock, sign):
    sign(world.leader, world.night_on("Flisa sentrum", FRIDAY))
    sign(world.leader, world.night_on("Flisa sentrum", SATURDAY))
    leaderless = world.night_on("Kirkenær", NEXT_FRIDAY)
    assert sign(world.leader, leaderless, SignupRole.LEADER).state == SignupState.SIGNED_UP
    assert service.night_for(db, world.parent, leaderless.id, clock()).has_leader


def test_a_group_leader_at_the_cap_does_not_walk_a_third_night_as_walker(world, sign):
    sign(world.leader, world.night_on("Flisa sentrum", FRIDAY))
    sign(world.leader, world.night_on("Flisa sentrum", SATURDAY))
    assert (
        refused(sign, world.leader, world.night_on("Kirkenær", NEXT_FRIDAY))
        == "You already have %(cap)d nights as walker this term, the most allowed."
    )


def test_nights_led_do_not_count_against_the_cap(world, sign):
    sign(world.leader, world.night_on("Flisa sentrum", FRIDAY), SignupRole.LEADER)
    sign(world.leader, world.night_on("Flisa sentrum", SATURDAY), SignupRole.LEADER)
    sign(world.leader, world.night_on("Flisa sentrum", NEXT_FRIDAY), SignupRole.LEADER)
    assert sign(world.leader, world.night_on("Kirkenær", date(2026, 12, 4))).state == SignupState.SIGNED_UP


def test_at_the_cap_the_same_time_rule_still_holds_for_a_leader(world, sign):
    sign(world.leader, world.night_on("Flisa sentrum", FRIDAY))
    sign(world.leader, world.night_on("Flisa sentrum", SATURDAY))
    same_time = world.night_on("Kirkenær", SATURDAY)
    assert refused(sign, world.leader, same_time, SignupRole.LEADER) == "You are already on another night at that time."


def test_a_term_can_allow_more_nights_than_the_region(world, sign):
    world.term.nights_cap = 3
    for day in (FRIDAY, SATURDAY, NEXT_FRIDAY):
        assert sign(world.parent, world.night_on("Flisa sentrum", day)).state == SignupState.SIGNED_UP


def test_waitlist_places_do_not_count_against_the_cap(world, db, clock, sign):
    full = [world.night_on("Kirkenær", FRIDAY), world.night_on("Kirkenær", SATURDAY)]
    for night in full:
        night.max_walkers = 1
        sign(world.other_parent, night)
        assert sign(world.parent, night).state == SignupState.WAITLISTED
    sign(world.parent, world.night_on("Flisa sentrum", NEXT_FRIDAY))
    assert sign(world.parent, world.night_on("Flisa sentrum", date(2026, 12, 4))).state == SignupState.SIGNED_UP


def test_at_the_cap_a_parent_cannot_join_a_waitlist(world, sign):
    sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    sign(world.parent, world.night_on("Flisa sentrum", SATURDAY))
    full = world.night_on("Kirkenær", NEXT_FRIDAY)
    full.max_walkers = 1
    sign(world.other_parent, full)
    assert refused(sign, world.parent, full) == "You already have %(cap)d nights as walker this term, the most allowed."


def test_a_cancelled_night_does_not_count_against_the_cap(world, clock, sign):
    first = world.night_on("Flisa sentrum", FRIDAY)
    sign(world.parent, first)
    sign(world.parent, world.night_on("Flisa sentrum", SATURDAY))
    first.cancelled_at = clock()
    assert sign(world.parent, world.night_on("Flisa sentrum", NEXT_FRIDAY)).state == SignupState.SIGNED_UP


# --- Cancelling ---


def test_a_parent_cancels_until_the_regions_cut_off(world, db, clock, links, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    mine = sign(world.parent, night)
    clock.set(night.starts_at - timedelta(hours=world.region.cancel_cutoff_hours, seconds=1))
    assert service.cancel_signup(db, world.parent, mine.id, clock(), links).state == SignupState.CANCELLED


def test_after_the_cut_off_cancelling_is_refused_with_a_reason(world, db, clock, links, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    world.region.cancel_cutoff_hours = 6
    mine = sign(world.parent, night)
    clock.set(night.starts_at - timedelta(hours=6))
    message = refused(service.cancel_signup, db, world.parent, mine.id, clock(), links)
    assert message.startswith("It is too late to cancel this night online. You can still answer NEI to our SMS")
    assert mine.state == SignupState.SIGNED_UP


def test_a_place_taken_after_the_cut_off_can_be_given_back_for_a_quarter_of_an_hour(world, db, clock, links, sign):
    """A tap by mistake on tonight's night is undone at once, not walked or explained to the leader."""
    night = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(night.starts_at - timedelta(hours=5))  # past the cut-off: tonight
    by_mistake = sign(world.parent, night)
    clock.set(clock() + timedelta(minutes=10))
    assert service.cancel_signup(db, world.parent, by_mistake.id, clock(), links).state == SignupState.CANCELLED
    meant = sign(world.other_parent, night)
    clock.set(clock() + timedelta(minutes=16))
    assert refused(service.cancel_signup, db, world.other_parent, meant.id, clock(), links).startswith(
        "It is too late to cancel this night online."
    )


def test_a_place_given_back_a_moment_after_it_was_taken_tells_no_group_leader(world, db, clock, links, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    sign(world.leader, night, SignupRole.LEADER)
    clock.set(clock() + timedelta(minutes=30))
    by_mistake = sign(world.parent, night)
    clock.set(clock() + timedelta(minutes=2))
    assert not service.what_cancelling_does(db, world.parent, by_mistake.id, clock()).leader_told
    service.cancel_signup(db, world.parent, by_mistake.id, clock(), links)
    told = db.scalars(
        select(SmsMessage).where(SmsMessage.person_id == world.leader.id, SmsMessage.purpose == Purpose.SHIFT_CHANGED)
    )
    assert told.all() == []


def test_the_waitlist_can_be_left_at_any_time(world, db, clock, links, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    sign(world.other_parent, night)
    waiting = sign(world.parent, night)
    clock.set(night.starts_at - timedelta(hours=1))
    assert service.cancel_signup(db, world.parent, waiting.id, clock(), links).state == SignupState.CANCELLED


def test_nobody_cancels_anothers_sign_up(world, db, clock, links, sign):
    theirs = sign(world.other_parent, world.night_on("Kirkenær", FRIDAY))
    assert refused(service.cancel_signup, db, world.parent, theirs.id, clock(), links) == (
        "That sign-up does not exist."
    )
    assert theirs.state == SignupState.SIGNED_UP


def test_cancelling_twice_is_harmless(world, db, clock, links, sign):
    mine = sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    service.cancel_signup(db, world.parent, mine.id, clock(), links)
    assert service.cancel_signup(db, world.parent, mine.id, clock(), links).state == SignupState.CANCELLED


# --- What a parent sees ---


def test_upcoming_nights_are_grouped_by_weekend_and_evening_with_the_parents_municipality_first(world, db, clock):
    weekends = service.upcoming_nights(db, world.other_parent, clock()).weekends  # Ola lives in Grue
    assert [(w.first_day, w.last_day) for w in weekends][:2] == [(FRIDAY, SATURDAY), (NEXT_FRIDAY, date(2026, 11, 28))]
    first = weekends[0]
    assert [evening.day for evening in first.evenings] == [FRIDAY, SATURDAY]
    assert len(first.nights) == 8
    for evening in first.evenings:
        assert evening.nights[0].shift.route.name == "Kirkenær"
        assert {n.shift.route.municipality.name for n in evening.nights[1:]} == {"Åsnes", "Våler"}


def test_a_step_of_the_list_holds_the_weekends_asked_for_and_says_when_the_next_begins(world, db, clock):
    every = service.upcoming_nights(db, world.parent, clock()).weekends
    step = service.upcoming_nights(db, world.parent, clock(), skip=1, weekends=1)
    assert [w.first_day for w in step.weekends] == [every[1].first_day]
    assert [n.shift.id for n in step.weekends[0].nights] == [n.shift.id for n in every[1].nights]
    assert step.count == len(every) and step.later == every[2].first_day
    assert step.routes and step.weekdays == [4, 5]  # the filters still offer every route and day
    last = service.upcoming_nights(db, world.parent, clock(), skip=len(every) - 1, weekends=2)
    assert last.later is None and len(last.weekends) == 1


def test_the_nights_can_be_narrowed_to_a_municipality_a_route_a_day_and_those_without_a_leader(world, db, clock, sign):
    asnes_fridays = service.NightsFilter(municipality_id=world.asnes.id, weekday=4)
    found = service.upcoming_nights(db, world.parent, clock(), asnes_fridays)
    assert found.weekdays == [4, 5]  # the days left to choose among
    nights = [n for w in found.weekends for n in w.nights]
    assert {n.shift.route.name for n in nights} == {"Flisa sentrum", "Kjellmyra"}
    assert {n.shift.starts_at.date().weekday() for n in nights} == {4}
    assert [w.first_day for w in found.weekends] == sorted(w.first_day for w in found.weekends)

    sign(world.leader, world.night_on("Kirkenær", FRIDAY), SignupRole.LEADER)
    kirkenaer = service.NightsFilter(route_id=world.routes["Kirkenær"].id, without_leader=True)
    nights = [n for w in service.upcoming_nights(db, world.parent, clock(), kirkenaer).weekends for n in w.nights]
    assert nights and all(n.shift.route.name == "Kirkenær" and not n.has_leader for n in nights)
    assert world.night_on("Kirkenær", FRIDAY).id not in {n.shift.id for n in nights}


def test_the_list_shows_places_left_and_whether_a_leader_is_on(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    sign(world.leader, night, SignupRole.LEADER)
    sign(world.parent, night)
    listed = {n.shift.id: n for w in service.upcoming_nights(db, world.parent, clock()).weekends for n in w.nights}
    assert listed[night.id].places_left == night.max_walkers - 2
    assert listed[night.id].has_leader and listed[night.id].mine.person_id == world.parent.id
    other = listed[world.night_on("Kirkenær", FRIDAY).id]
    assert not other.has_leader and other.places_left == other.shift.max_walkers and other.mine is None


def test_cancelled_started_and_draft_nights_are_not_listed(world, db, clock):
    cancelled = world.night_on("Kirkenær", SATURDAY)
    cancelled.cancelled_at = clock()
    clock.set(world.night_on("Flisa sentrum", FRIDAY).starts_at)
    listed = {n.shift.id for w in service.upcoming_nights(db, world.parent, clock()).weekends for n in w.nights}
    assert cancelled.id not in listed
    assert not any(n.id in listed for n in world.nights if n.starts_at.date() == FRIDAY)
    world.term.published_at = None
    assert service.upcoming_nights(db, world.parent, clock()).weekends == []


def test_co_walkers_are_shown_only_to_those_who_took_a_place_on_the_night(world, db, clock, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 3
    sign(factories.person(db, world.asnes, "Tor Tidlig", clock()), night)
    clock.advance(minutes=1)
    sign(world.leader, night, SignupRole.LEADER)
    sign(world.parent, night)
    waiting = factories.person(db, world.asnes, "Vera Venter", clock())
    assert sign(waiting, night).state == SignupState.WAITLISTED
    elsewhere = factories.person(db, world.asnes, "Anne Annen", clock())
    sign(elsewhere, world.night_on("Kirkenær", FRIDAY))
    seen = service.co_walkers(db, world.parent, night, clock()).walkers
    # The group leader first, then the walkers in the order they signed up.
    assert [(s.first_name, s.role) for s in seen] == [("Lise", SignupRole.LEADER), ("Tor", SignupRole.WALKER)]
    assert service.co_walkers(db, waiting, night, clock()) is None
    assert service.co_walkers(db, elsewhere, night, clock()) is None
    assert service.co_walkers(db, world.other_parent, night, clock()) is None


def test_my_nights_are_split_into_upcoming_and_past(world, db, clock, sign):
    first = sign(world.parent, world.night_on("Flisa sentrum", FRIDAY))
    second = sign(world.parent, world.night_on("Flisa sentrum", NEXT_FRIDAY))
    clock.set(world.night_on("Flisa sentrum", FRIDAY).ends_at)
    upcoming, past = service.my_nights(db, world.parent, clock())
    assert [s.id for s in upcoming] == [second.id]
    assert [s.id for s in past] == [first.id]


def test_a_parent_who_cancelled_can_take_the_same_night_again(world, db, clock, links, sign):
    night = world.night_on("Flisa sentrum", FRIDAY)
    first = sign(world.parent, night)
    service.cancel_signup(db, world.parent, first.id, clock(), links)
    again = sign(world.parent, night)
    assert again.id != first.id and again.state == SignupState.SIGNED_UP
