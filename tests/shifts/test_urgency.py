"""What may wake a person: in quiet hours only a login code, the answer to what they did just now,
and news about tonight go out. The coordinator's night work and offers for later nights wait for
the morning, and an offer's time to answer starts when its SMS goes out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from natteravn.roster import service as roster
from natteravn.roster.autofill import service as autofill
from natteravn.roster.autofill.models import DraftAssignment, DraftState, RosterDraft
from natteravn.shifts import service
from natteravn.shifts.models import SignupRole, SignupState
from natteravn.sms.models import Channel, MessageState, Purpose, SmsMessage
from natteravn.sms.service import dispatch_due
from tests import factories
from tests.conftest import last_sms_to

FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def dispatch(app, db, gateway, now: datetime) -> None:
    db.commit()
    dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"])


def sent_to(gateway, person) -> list[str]:
    return [body for number, body in gateway.sent if number == person.phone]


def test_an_auto_fill_accepted_at_00_42_texts_nobody_until_the_morning(app, world, db, clock, links, gateway):
    people = [factories.person(db, world.asnes, f"Frivillig {n}", clock()) for n in range(6)]
    draft = RosterDraft(
        term=world.term,
        created_at=clock(),
        state=DraftState.DRAFT,
        objective=0,
        bound=0,
        gap=0.0,
        optimal=True,
        seconds=0.1,
    )
    nights = [world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kjellmyra", SATURDAY)]
    draft.assignments = [
        DraftAssignment(shift=nights[n % 2], person=person, role=SignupRole.WALKER) for n, person in enumerate(people)
    ]
    db.add(draft)
    db.commit()

    night_owl = utc(2026, 11, 20, 23, 42)  # Saturday 00:42 in Oslo
    assert autofill.accept_draft(db, draft, world.coordinator, night_owl, links).made == 6
    dispatch(app, db, gateway, night_owl)
    assert gateway.sent == []

    dispatch(app, db, gateway, utc(2026, 11, 21, 7, 0))  # 08:00
    assert {number for number, _ in gateway.sent} == {person.phone for person in people}


def test_a_coordinator_putting_or_moving_someone_at_night_texts_them_in_the_morning(
    app, world, db, clock, links, gateway
):
    late = utc(2026, 11, 18, 22, 15)  # Wednesday 23:15
    friday, saturday = world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kjellmyra", SATURDAY)
    roster.assign(db, friday, world.parent, SignupRole.WALKER, late, links, world.coordinator)
    placed = roster.assign(db, friday, world.other_parent, SignupRole.WALKER, late, links, world.coordinator)
    roster.move_person(db, placed, saturday.id, late, links, world.coordinator)
    dispatch(app, db, gateway, late)
    assert gateway.sent == []

    dispatch(app, db, gateway, utc(2026, 11, 19, 7, 0))
    assert "Flisa sentrum on 27.11" in sent_to(gateway, world.parent)[0]
    assert any("Kjellmyra on 28.11" in body for body in sent_to(gateway, world.other_parent))


def test_a_parent_signing_up_at_night_gets_the_confirmation_at_once(app, world, db, links, gateway):
    late = utc(2026, 11, 18, 22, 15)
    service.sign_up(db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, late, links)
    dispatch(app, db, gateway, late)
    assert "you walk Flisa sentrum on 27.11" in last_sms_to(gateway, world.parent.phone)


def test_news_about_tonight_goes_out_in_quiet_hours(app, world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    dispatch(app, db, gateway, clock())
    evening = utc(2026, 11, 27, 20, 30)  # Friday 21:30, the night starts at 22:00
    roster.cancel_night(db, night, "Storm.", evening, links, world.coordinator)
    dispatch(app, db, gateway, evening)
    assert last_sms_to(gateway, world.parent.phone).endswith("is cancelled. Storm.")


def full_night_with_a_queue(world, db, clock, links, day: date):
    """The night of `day` on Flisa sentrum with one place: Ola on it, Kari waiting."""
    night = world.night_on("Flisa sentrum", day)
    night.max_walkers = 1
    ola = service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    kari = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    return night, ola, kari


def offer_sms(db, signup) -> SmsMessage:
    return db.scalar(
        select(SmsMessage).where(SmsMessage.signup_id == signup.id, SmsMessage.purpose == Purpose.WAITLIST_PROMOTED)
    )


def test_an_offer_by_e_mail_asks_for_no_sms_answer(world, db, clock, links):
    night, ola, kari = full_night_with_a_queue(world, db, clock, links, FRIDAY)
    world.parent.email, world.parent.channel = "kari@example.no", Channel.EMAIL
    service.withdraw(db, ola, clock(), links)
    body = offer_sms(db, kari).body
    assert body.startswith("Natteravn: a place is free on Flisa sentrum ")
    assert "Take it before" in body and "JA" not in body


def test_a_place_freed_at_02_30_for_next_week_is_offered_at_8_with_the_whole_window(
    app, world, db, clock, links, gateway
):
    night, ola, kari = full_night_with_a_queue(world, db, clock, links, SATURDAY)
    dispatch(app, db, gateway, clock())  # the sign-ups' own confirmations
    before = len(sent_to(gateway, world.parent))
    small_hours = utc(2026, 11, 21, 1, 30)  # Saturday 02:30, seven days before the night
    service.cancel_signup(db, world.other_parent, ola.id, small_hours, links)
    morning = utc(2026, 11, 21, 7, 0)  # 08:00, when the region's quiet hours end
    assert kari.state == SignupState.OFFERED
    assert kari.offer_expires_at == morning + timedelta(hours=world.region.offer_hours)  # 20:00, not 14:30
    offer = offer_sms(db, kari)
    assert (offer.due_at, offer.expires_at, offer.urgent) == (morning, kari.offer_expires_at, False)
    assert "before 21.11 20:00" in offer.body

    dispatch(app, db, gateway, small_hours)
    assert len(sent_to(gateway, world.parent)) == before
    dispatch(app, db, gateway, morning)
    assert sent_to(gateway, world.parent)[before:] == [offer.body]

    assert service.expire_offers(db, utc(2026, 11, 21, 18, 59), links) == 0  # 19:59: still Kari's
    assert kari.state == SignupState.OFFERED


def test_an_offer_waits_for_the_end_of_the_regions_own_quiet_hours(world, db, clock, links):
    world.region.quiet_until = time(9, 30)
    night, ola, kari = full_night_with_a_queue(world, db, clock, links, SATURDAY)
    service.cancel_signup(db, world.other_parent, ola.id, utc(2026, 11, 21, 1, 30), links)
    assert offer_sms(db, kari).due_at == utc(2026, 11, 21, 8, 30)
    # 12 hours from 09:30 is 21:30, after the quiet hours begin: the half hour asleep comes after 09:30.
    assert kari.offer_expires_at == utc(2026, 11, 22, 9, 0)


def test_a_place_on_tonights_night_is_offered_at_once_until_the_night_starts(app, world, db, clock, links, gateway):
    night, ola, kari = full_night_with_a_queue(world, db, clock, links, FRIDAY)
    evening = utc(2026, 11, 27, 20, 30)  # Friday 21:30
    service.withdraw(db, ola, evening, links)  # past the cut-off for the web: the coordinator took Ola off
    assert kari.offer_expires_at == night.starts_at
    dispatch(app, db, gateway, evening)
    offer = last_sms_to(gateway, world.parent.phone)
    assert offer.startswith("Natteravn: a place is free on ")
    assert "Answer JA, or tap the link, before 27.11 22:00 to take it" in offer


def test_an_offer_nobody_answers_goes_on_and_the_person_is_told(app, world, db, clock, links, gateway):
    night, ola, kari = full_night_with_a_queue(world, db, clock, links, SATURDAY)
    per = factories.person(db, world.asnes, "Per Pedersen", clock())
    pers = service.sign_up(db, per, night.id, SignupRole.WALKER, clock(), links)
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    deadline = kari.offer_expires_at
    # Twelve hours from 10:00 is 22:00, when Kari may sleep: the hour after 21:00 comes after 08:00.
    assert deadline == utc(2026, 11, 19, 8, 0)
    dispatch(app, db, gateway, clock())

    assert service.expire_offers(db, deadline, links) == 1
    assert kari.state == SignupState.CANCELLED and pers.state == SignupState.OFFERED
    dispatch(app, db, gateway, deadline)
    told = last_sms_to(gateway, world.parent.phone)
    assert "the place on Flisa sentrum on 28.11 was held for you until 09:00" in told
    assert "you are off the waitlist" in told
    told_again = db.scalars(
        select(SmsMessage).where(SmsMessage.person_id == world.parent.id, SmsMessage.purpose == Purpose.OFFER_EXPIRED)
    ).all()
    assert [m.state for m in told_again] == [MessageState.SENT]
    assert service.expire_offers(db, deadline, links) == 0  # running the job again tells nobody twice
