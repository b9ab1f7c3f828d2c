"""Real concurrency on PostgreSQL: threads with their own sessions and connections, lined up on
a barrier so their requests hit the database at the same moment. No overbooking, no double
booking, no deadlock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from natteravn.db import make_engine, make_session_factory
from natteravn.shifts import service
from natteravn.shifts.models import HOLDING, Signup, SignupRole, SignupState
from natteravn.shifts.service import SignupRefused
from tests import factories
from tests.databases import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="real row locks need PostgreSQL")

FRIDAY = date(2026, 11, 20)


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url, pool_size=20, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def race(sessions, jobs: list[Callable]) -> tuple[list, list[BaseException]]:
    """Run each job(session) in its own thread and transaction, all released at once. A refusal
    is an answer; any other exception (a deadlock, an integrity error) is a failure."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable) -> None:
        with sessions() as session:
            barrier.wait()
            try:
                results[index] = job(session)
                session.commit()
            except SignupRefused as refusal:
                session.rollback()
                results[index] = refusal
            except BaseException as error:  # noqa: BLE001 - reported to the test below
                session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results, errors


def signing_up(person_id: int, shift_id: int, clock, links, role=SignupRole.WALKER) -> Callable:
    def job(session):
        from natteravn.accounts.models import Person

        made = service.sign_up(session, session.get(Person, person_id), shift_id, role, clock(), links)
        return made.state

    return job


def holding(db, shift_id: int) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).where(Signup.shift_id == shift_id, Signup.state.in_(HOLDING)))


def test_two_parents_taking_the_last_place_leave_one_on_the_night_and_one_waiting(world, db, clock, links, sessions):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 3
    for name in ("Anne", "Berit"):
        factories.signup(db, night, factories.person(db, world.asnes, name, clock()), clock())
    db.commit()
    states, errors = race(
        sessions,
        [signing_up(p.id, night.id, clock, links) for p in (world.parent, world.other_parent)],
    )
    assert errors == []
    assert sorted(states) == sorted([SignupState.SIGNED_UP, SignupState.WAITLISTED])
    assert holding(db, night.id) == 3


def test_a_parent_tapping_four_times_at_once_gets_one_sign_up(world, db, clock, links, sessions):
    night = world.night_on("Flisa sentrum", FRIDAY)
    states, errors = race(sessions, [signing_up(world.parent.id, night.id, clock, links) for _ in range(4)])
    assert errors == []
    assert states == [SignupState.SIGNED_UP] * 4
    db.expire_all()
    assert db.scalar(select(func.count()).where(Signup.person_id == world.parent.id)) == 1


def test_many_parents_racing_for_four_places_never_overbook(world, db, clock, links, sessions):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 4
    parents = [factories.person(db, world.asnes, f"Forelder {i}", clock()) for i in range(12)]
    db.commit()
    states, errors = race(sessions, [signing_up(p.id, night.id, clock, links) for p in parents])
    assert errors == []
    assert states.count(SignupState.SIGNED_UP) == 4 and states.count(SignupState.WAITLISTED) == 8
    assert holding(db, night.id) == 4


def test_one_parent_racing_for_two_nights_at_the_same_time_gets_one(world, db, clock, links, sessions):
    nights = [world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kjellmyra", FRIDAY)]
    states, errors = race(sessions, [signing_up(world.parent.id, n.id, clock, links) for n in nights])
    assert errors == []
    assert sum(s == SignupState.SIGNED_UP for s in states) == 1
    assert [s.msgid for s in states if isinstance(s, SignupRefused)] == [
        "You are already on another night at that time."
    ]


def test_cancelling_confirming_expiring_and_signing_up_together_do_not_deadlock(world, db, clock, links, sessions):
    """Every path that changes sign-ups at once, on two full nights: parents give places up,
    offered parents confirm or decline, newcomers sign up and the scheduler expires offers."""
    nights = [world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kirkenær", FRIDAY)]
    taken, offers = [], []
    for n, night in enumerate(nights):
        night.max_walkers = 3
        on = [factories.person(db, world.asnes, f"På {n}{i}", clock()) for i in range(3)]
        taken += [factories.signup(db, night, p, clock()) for p in on]
        for i in range(2):
            waiting = factories.person(db, world.asnes, f"Venter {n}{i}", clock())
            offers.append(
                factories.signup(db, night, waiting, clock(), state=SignupState.WAITLISTED),
            )
    for signup in offers:
        signup.queued_at = clock()
    db.commit()
    # Give one place on each night away, so the first in line holds an offer.
    for signup in (taken[0], taken[3]):
        service.cancel_signup(db, signup.person, signup.id, clock(), links)
    db.commit()
    offered = [s for s in offers if s.state == SignupState.OFFERED]
    assert len(offered) == 2
    offered[1].offer_expires_at = clock()  # the scheduler and a NEI race to pass this one on
    newcomers = [factories.person(db, world.valer, f"Ny {i}", clock()) for i in range(4)]
    db.commit()

    def cancelling(signup_id, person_id):
        def job(session):
            from natteravn.accounts.models import Person

            return service.cancel_signup(session, session.get(Person, person_id), signup_id, clock(), links).state

        return job

    jobs = [cancelling(s.id, s.person_id) for s in (taken[1], taken[4])]
    jobs.append(lambda session: service.confirm_offer(session, offered[0].id, clock(), links).state)
    jobs.append(lambda session: service.decline_offer(session, offered[1].id, clock(), links).state)
    jobs.append(lambda session: service.expire_offers(session, clock(), links))
    jobs += [signing_up(p.id, nights[i % 2].id, clock, links) for i, p in enumerate(newcomers)]
    for _ in range(3):  # several rounds, so the interleavings differ
        _, errors = race(sessions, jobs)
        assert errors == []
    for night in nights:
        assert holding(db, night.id) <= night.max_walkers


def test_an_offer_confirmed_as_the_scheduler_expires_it_ends_one_way_only(world, db, clock, links, sessions):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    ola = factories.signup(db, night, world.other_parent, clock())
    kari = factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    per = factories.signup(
        db, night, factories.person(db, world.asnes, "Per", clock()), clock(), state=SignupState.WAITLISTED
    )
    kari.queued_at, per.queued_at = clock(), clock() + timedelta(minutes=1)
    db.commit()
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    db.commit()
    assert kari.state == SignupState.OFFERED
    clock.set(kari.offer_expires_at - timedelta(microseconds=1))
    kari_id = kari.id

    def confirming(session):
        return service.confirm_offer(session, kari_id, clock(), links).state

    def expiring(session):
        return service.expire_offers(session, kari.offer_expires_at, links)

    results, errors = race(sessions, [confirming, expiring])
    assert errors == []
    db.expire_all()
    states = sorted([db.get(Signup, kari_id).state, db.get(Signup, per.id).state])
    assert states in (
        sorted([SignupState.CONFIRMED, SignupState.WAITLISTED]),
        sorted([SignupState.CANCELLED, SignupState.OFFERED]),
    )
    told_confirmed = results[0] == SignupState.CONFIRMED
    assert (db.get(Signup, kari_id).state == SignupState.CONFIRMED) == told_confirmed  # what Kari was told holds
    assert holding(db, night.id) == 1
