"""What signing up, cancelling, moving and cancelling a night plan into the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Channel
from natteravn.audit.models import AuditEvent
from natteravn.clock import night_span
from natteravn.roster import service as roster
from natteravn.shifts import messages, service
from natteravn.shifts.models import SignupRole, SignupState, Term
from natteravn.sms.inbound import receive
from natteravn.sms.keywords import NO, YES, keyword_of
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.segments import count_segments
from tests import factories

FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pending(db, **where) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.state == MessageState.PENDING).order_by(SmsMessage.due_at)
    for name, value in where.items():
        query = query.where(getattr(SmsMessage, name) == value)
    return list(db.scalars(query))


def by_purpose(messages_: list[SmsMessage]) -> dict[Purpose, SmsMessage]:
    return {m.purpose: m for m in messages_}


def test_signing_up_plans_a_confirmation_now_and_two_reminders_at_local_hours(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()

    planned = by_purpose(pending(db, signup_id=signup.id))
    assert set(planned) == {Purpose.SIGNUP_CONFIRMATION, Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY}
    confirmation = planned[Purpose.SIGNUP_CONFIRMATION]
    assert confirmation.due_at == clock() and confirmation.urgent
    assert "Flisa sentrum" in confirmation.body and links.night(night.id) in confirmation.body
    # Wednesday 25 November 18:00 and Friday 27 November 12:00 in Oslo (UTC+1 in winter).
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 11, 25, 17, 0)
    assert planned[Purpose.REMINDER_DAY].due_at == utc(2026, 11, 27, 11, 0)
    for reminder in (planned[Purpose.REMINDER_BEFORE], planned[Purpose.REMINDER_DAY]):
        assert reminder.expires_at == night.starts_at
        assert reminder.to == world.parent.phone
        assert reminder.shift_id == night.id
        assert reminder.region_id == world.region.id
    # Only the day's reminder is about tonight, so only it could go out in quiet hours.
    assert not planned[Purpose.REMINDER_BEFORE].urgent and planned[Purpose.REMINDER_DAY].urgent
    assert "Flisa skysstasjon" in planned[Purpose.REMINDER_DAY].body
    assert "no leader yet" in planned[Purpose.REMINDER_DAY].body
    assert "JA" in planned[Purpose.REMINDER_BEFORE].body


def test_a_leader_also_gets_a_report_request_the_morning_after(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)

    planned = by_purpose(pending(db, signup_id=signup.id))
    report = planned[Purpose.REPORT_REQUEST]
    assert report.due_at == utc(2026, 11, 28, 9, 0)  # Saturday 10:00 in Oslo
    # Held back past a day, it is dropped: the missing-report reminders take over, links that work.
    assert report.expires_at == utc(2026, 11, 29, 9, 0)
    assert links.report(night.id, world.leader.id) in report.body  # logs the leader straight into the report
    assert "you lead" in planned[Purpose.REMINDER_DAY].body
    assert planned[Purpose.REMINDER_BEFORE].body.startswith("Natteravn: you lead Flisa sentrum on 27.11")


def test_a_leader_who_confirms_is_reminded_that_they_lead_without_being_asked_again(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    messages.confirmed(db, signup, links)
    db.commit()

    reminder = pending(db, signup_id=signup.id, purpose=Purpose.REMINDER_BEFORE)[0]
    assert reminder.body.startswith("Natteravn: you lead Flisa sentrum")
    assert "JA" not in reminder.body and "NEI" in reminder.body


def test_the_day_reminder_of_a_walker_who_signs_up_after_the_leader_names_the_leader(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    walker = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    day_reminder = pending(db, signup_id=walker.id, purpose=Purpose.REMINDER_DAY)[0]
    assert "Group leader: Lise." in day_reminder.body


def test_the_day_reminder_names_the_leader_even_when_the_leader_signs_up_later(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    walker = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    leader = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    db.commit()
    day_reminder = pending(db, signup_id=walker.id, purpose=Purpose.REMINDER_DAY)[0]
    assert "Group leader: Lise." in day_reminder.body

    service.withdraw(db, leader, clock(), links)
    db.commit()
    db.refresh(day_reminder)
    assert "no leader yet" in day_reminder.body


def test_reminders_whose_moment_has_passed_are_not_planned(world, db, clock, links):
    clock.set(utc(2026, 11, 27, 12, 0))  # Friday 13:00: the day reminder's 12:00 has passed
    tonight = world.night_on("Flisa sentrum", FRIDAY)
    tomorrow = world.night_on("Kjellmyra", date(2026, 11, 28))

    first = service.sign_up(db, world.parent, tonight.id, SignupRole.WALKER, clock(), links)
    second = service.sign_up(db, world.leader, tomorrow.id, SignupRole.WALKER, clock(), links)

    assert {m.purpose for m in pending(db, signup_id=first.id)} == {Purpose.SIGNUP_CONFIRMATION}
    assert {m.purpose for m in pending(db, signup_id=second.id)} == {
        Purpose.SIGNUP_CONFIRMATION,
        Purpose.REMINDER_DAY,
    }


def test_the_waitlist_gets_only_a_waitlist_confirmation_until_a_place_is_taken(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    first = service.sign_up(db, world.leader, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    assert waiting.state == SignupState.WAITLISTED
    [only] = pending(db, signup_id=waiting.id)
    assert only.purpose == Purpose.WAITLISTED and "waitlist" in only.body

    service.withdraw(db, first, clock(), links)
    service.confirm_offer(db, waiting.id, clock(), links)
    purposes = [m.purpose for m in pending(db, signup_id=waiting.id)]
    assert purposes.count(Purpose.REMINDER_BEFORE) == 1 and purposes.count(Purpose.REMINDER_DAY) == 1
    assert pending(db, signup_id=first.id) == []


def test_nothing_is_planned_twice(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    again = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    messages.signed_up(db, signup, clock(), links, own_action=True)
    assert again.id == signup.id
    assert len(pending(db, signup_id=signup.id)) == 3


def test_cancelling_a_sign_up_cancels_its_pending_messages(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    service.cancel_signup(db, world.parent, signup.id, clock(), links)
    db.commit()
    assert pending(db, signup_id=signup.id) == []
    states = db.scalars(select(SmsMessage.state).where(SmsMessage.signup_id == signup.id)).all()
    assert set(states) == {MessageState.CANCELLED}


def test_the_region_sets_the_reminder_hours(world, db, clock, links):
    region = world.region
    region.reminder_before_days = 3
    region.reminder_before_at = time(19, 30)
    region.reminder_day_at = time(9, 0)
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    planned = by_purpose(pending(db, signup_id=signup.id))
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 11, 24, 18, 30)
    assert planned[Purpose.REMINDER_DAY].due_at == utc(2026, 11, 27, 8, 0)


# --- Daylight saving: the last weekends of March and October 2026. ---


@pytest.fixture
def dst_nights(world, db, clock):
    clock.set(utc(2026, 3, 1, 12, 0))
    term = Term(
        region=world.region,
        name="Vår og høst 2026",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 10, 31),
        signup_opens_at=clock() - timedelta(days=1),
        published_at=clock() - timedelta(days=1),
    )
    db.add(term)
    route = world.routes["Flisa sentrum"]
    march = factories.night(db, term, route, date(2026, 3, 28))
    october = factories.night(db, term, route, date(2026, 10, 24))
    db.commit()
    return march, october


def test_reminders_keep_local_hours_across_the_spring_change(world, db, clock, links, dst_nights):
    march, _ = dst_nights
    assert march.starts_at == utc(2026, 3, 28, 21, 0)  # 22:00 CET
    signup = service.sign_up(db, world.leader, march.id, SignupRole.LEADER, clock(), links)
    planned = by_purpose(pending(db, signup_id=signup.id))
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 3, 26, 17, 0)  # Thu 18:00 CET
    assert planned[Purpose.REMINDER_DAY].due_at == utc(2026, 3, 28, 11, 0)  # Sat 12:00 CET
    assert planned[Purpose.REPORT_REQUEST].due_at == utc(2026, 3, 29, 8, 0)  # Sun 10:00 CEST, clocks gone forward


def test_reminders_keep_local_hours_across_the_autumn_change(world, db, clock, links, dst_nights):
    _, october = dst_nights
    assert october.starts_at == utc(2026, 10, 24, 20, 0)  # 22:00 CEST
    signup = service.sign_up(db, world.leader, october.id, SignupRole.LEADER, clock(), links)
    planned = by_purpose(pending(db, signup_id=signup.id))
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 10, 22, 16, 0)  # Thu 18:00 CEST
    assert planned[Purpose.REMINDER_DAY].due_at == utc(2026, 10, 24, 10, 0)  # Sat 12:00 CEST
    assert planned[Purpose.REPORT_REQUEST].due_at == utc(2026, 10, 25, 9, 0)  # Sun 10:00 CET, clocks gone back


# --- One segment in every language. ---

NB = {
    (
        "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. "
        "Reply JA to confirm or NEI if you cannot come."
    ): (
        "Natteravn: du leder %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. "
        "Svar JA for å bekrefte eller NEI hvis du ikke kan."
    ),
    "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s": (
        "Natteravn: du går %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. Detaljer: %(link)s"
    ),
    "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s": (
        "Natteravn: du er gruppeleder på %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. %(link)s"
    ),
    "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
    "Reply JA to confirm or NEI if you cannot come.": (
        "Natteravn: du går %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. "
        "Svar JA for å bekrefte eller NEI hvis du ikke kan."
    ),
    "Natteravn tonight: %(route)s at %(time)s, meet at %(place)s. Group leader: %(leader)s. "
    "Reply NEI if you cannot come.": (
        "Natteravn i kveld: %(route)s kl. %(time)s, oppmøte %(place)s. Gruppeleder: %(leader)s. "
        "Svar NEI hvis du ikke kan."
    ),
    "no leader yet": "ingen ennå",
    "Natteravn tonight: you lead %(route)s at %(time)s, meet at %(place)s. Who walks: %(link)s": (
        "Natteravn i kveld: du leder %(route)s kl. %(time)s, oppmøte %(place)s. Hvem går: %(link)s"
    ),
    "Natteravn: thank you for leading %(route)s last night. Please write the night's report: %(link)s": (
        "Natteravn: takk for at du ledet %(route)s i går. Skriv rapporten fra kvelden her: %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs walkers. Can you come? Reply JA to take the place. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s mangler natteravner. Kan du? Svar JA for å ta plassen. %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs a group leader. Can you lead? Reply JA to take it. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s mangler gruppeleder. Kan du lede? Svar JA for å ta det. %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs a stand-in for one walker. "
    "Reply JA to take the place. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s trenger en avløser. Svar JA for å ta plassen. %(link)s"
    ),
}
NN = {
    (
        "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. "
        "Reply JA to confirm or NEI if you cannot come."
    ): (
        "Natteravn: du leiar %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. "
        "Svar JA for å stadfeste eller NEI om du ikkje kan."
    ),
    "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s": (
        "Natteravn: du går %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. Detaljar: %(link)s"
    ),
    "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s": (
        "Natteravn: du er gruppeleiar på %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. %(link)s"
    ),
    "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
    "Reply JA to confirm or NEI if you cannot come.": (
        "Natteravn: du går %(route)s %(date)s kl. %(time)s, oppmøte %(place)s. "
        "Svar JA for å stadfeste eller NEI om du ikkje kan."
    ),
    "Natteravn tonight: %(route)s at %(time)s, meet at %(place)s. Group leader: %(leader)s. "
    "Reply NEI if you cannot come.": (
        "Natteravn i kveld: %(route)s kl. %(time)s, oppmøte %(place)s. Gruppeleiar: %(leader)s. "
        "Svar NEI om du ikkje kan."
    ),
    "no leader yet": "ingen enno",
    "Natteravn tonight: you lead %(route)s at %(time)s, meet at %(place)s. Who walks: %(link)s": (
        "Natteravn i kveld: du leiar %(route)s kl. %(time)s, oppmøte %(place)s. Kven går: %(link)s"
    ),
    "Natteravn: thank you for leading %(route)s last night. Please write the night's report: %(link)s": (
        "Natteravn: takk for at du leidde %(route)s i går. Skriv rapporten frå kvelden her: %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs walkers. Can you come? Reply JA to take the place. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s manglar natteravnar. Kan du? Svar JA for å ta plassen. %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs a group leader. Can you lead? Reply JA to take it. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s manglar gruppeleiar. Kan du leie? Svar JA for å ta det. %(link)s"
    ),
    "Natteravn: %(route)s on %(date)s at %(time)s needs a stand-in for one walker. "
    "Reply JA to take the place. %(link)s": (
        "Natteravn: %(route)s %(date)s kl. %(time)s treng ein avløysar. Svar JA for å ta plassen. %(link)s"
    ),
}
# Longer than any route or meeting point in Solør, with a production-length link.
LONG_WORDS = {
    "route": "Kirkenær sentrum øst",
    "place": "Svullrya samfunnshus, inngang",
    "date": "20.11",
    "time": "22:00",
    "end": "01:00",
    "link": "https://natteravn.asnes.kommune.no/nights/12345",
}


def standard_texts(_) -> list[str]:
    return [
        messages.confirmation_text(_, LONG_WORDS, SignupRole.WALKER),
        messages.confirmation_text(_, LONG_WORDS, SignupRole.LEADER),
        messages.reminder_before_text(_, LONG_WORDS),
        messages.reminder_before_text(_, LONG_WORDS, role=SignupRole.LEADER),
        messages.reminder_day_text(_, LONG_WORDS, SignupRole.WALKER, "Marit-Helene"),
        messages.reminder_day_text(_, LONG_WORDS, SignupRole.WALKER, None),
        messages.reminder_day_text(_, LONG_WORDS, SignupRole.LEADER, None),
        messages.report_request_text(_, LONG_WORDS),
        messages.call_text(_, LONG_WORDS, SignupRole.WALKER),
        messages.call_text(_, LONG_WORDS, SignupRole.LEADER),
        messages.standin_call_text(_, LONG_WORDS),
    ]


@pytest.mark.parametrize("language", ["en", "nb", "nn"])
def test_the_standard_reminders_and_calls_fit_one_sms_in_each_language(language):
    gettext = {"en": lambda msgid: msgid, "nb": NB.__getitem__, "nn": NN.__getitem__}[language]
    for text in standard_texts(gettext):
        assert count_segments(text) == ("GSM-7", 1), (len(text), text)


def test_planned_reminders_for_solor_fit_one_sms(world, db, clock, links):
    night = world.night_on("Kirkenær", FRIDAY)
    signup = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    for message in pending(db, signup_id=signup.id):
        assert (message.encoding, message.segments) == ("GSM-7", 1), message.body


# --- Moving and cancelling a night. ---


def test_moving_a_night_plans_its_reminders_again_and_tells_everyone(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    walker = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(
        db, factories.person(db, world.asnes, "Per Venter", clock()), night.id, SignupRole.WALKER, clock(), links
    )
    db.commit()

    starts_at, ends_at = night_span(date(2026, 11, 26), time(20, 0), time(23, 0))  # Thursday 20-23
    roster.move_night(db, night, starts_at, ends_at, clock(), links, world.coordinator)
    db.commit()

    planned = by_purpose(pending(db, signup_id=walker.id))
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 11, 24, 17, 0)
    assert planned[Purpose.REMINDER_DAY].due_at == utc(2026, 11, 26, 11, 0)
    assert planned[Purpose.REMINDER_DAY].expires_at == starts_at
    moved = planned[Purpose.SHIFT_CHANGED]
    assert "27.11" in moved.body and "26.11" in moved.body and "20:00-23:00" in moved.body
    # The waitlist confirmation still waiting to go out named the old date: the notice replaces it.
    assert {m.purpose for m in pending(db, signup_id=waiting.id)} == {Purpose.SHIFT_CHANGED}
    old = db.scalars(
        select(SmsMessage).where(SmsMessage.signup_id == walker.id, SmsMessage.state == MessageState.CANCELLED)
    ).all()
    assert {m.purpose for m in old} == {Purpose.SIGNUP_CONFIRMATION, Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "shift.moved")).object_id == night.id


def test_a_reminder_already_sent_is_sent_again_for_the_new_date(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    for message in pending(db, signup_id=signup.id):
        message.state = MessageState.SENT  # as the dispatcher leaves them
    clock.set(utc(2026, 11, 25, 18, 0))
    starts_at, ends_at = night_span(date(2026, 12, 3), time(22, 0), time(1, 0))
    roster.move_night(db, night, starts_at, ends_at, clock(), links, world.coordinator)
    planned = by_purpose(pending(db, signup_id=signup.id))
    assert planned[Purpose.REMINDER_BEFORE].due_at == utc(2026, 12, 1, 17, 0)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (utc(2026, 11, 27, 21, 0), utc(2026, 11, 27, 21, 0), "The night must end after it starts."),
        (utc(2026, 11, 17, 21, 0), utc(2026, 11, 17, 23, 0), "A night cannot be moved to a time that has passed."),
    ],
)
def test_a_night_cannot_be_moved_to_nonsense(world, db, clock, links, start, end, message):
    night = world.night_on("Flisa sentrum", FRIDAY)
    with pytest.raises(roster.RosterRefused) as refused:
        roster.move_night(db, night, start, end, clock(), links, world.coordinator)
    assert refused.value.msgid == message


@pytest.mark.parametrize(
    ("day", "start", "end", "says"),
    [
        (date(2026, 11, 26), time(22, 0), time(22, 0), "A night must end at another time than it starts."),
        (date(2027, 1, 8), time(22, 0), time(1, 0), "A night of this term must be between 20.11.2026 and 19.12.2026."),
        (date(2026, 11, 28), time(20, 0), time(23, 0), "Flisa sentrum already has a night that day."),
    ],
)
def test_a_night_keeps_to_its_term_and_its_route_when_moved(world, db, clock, links, day, start, end, says):
    night = world.night_on("Flisa sentrum", FRIDAY)
    walker = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    starts_at, ends_at = night_span(day, start, end)
    with pytest.raises(roster.RosterRefused) as refused:
        roster.move_night(db, night, starts_at, ends_at, clock(), links, world.coordinator)
    assert str(refused.value) == says
    db.rollback()
    assert (night.starts_at, walker.state) == (utc(2026, 11, 27, 21, 0), SignupState.SIGNED_UP)
    assert pending(db, purpose=Purpose.SHIFT_CHANGED) == []


def test_a_night_is_not_moved_onto_another_night_of_someone_on_it(world, db, clock, links):
    friday, saturday = world.night_on("Flisa sentrum", FRIDAY), world.night_on("Flisa sentrum", SATURDAY)
    roster.cancel_night(db, saturday, "", clock(), links, world.coordinator)  # the route is free on Saturday
    service.sign_up(db, world.parent, friday.id, SignupRole.WALKER, clock(), links)
    service.sign_up(db, world.parent, world.night_on("Kirkenær", SATURDAY).id, SignupRole.WALKER, clock(), links)
    db.commit()
    starts_at, ends_at = night_span(date(2026, 11, 28), time(21, 0), time(0, 0))
    with pytest.raises(roster.RosterRefused) as refused:
        roster.move_night(db, friday, starts_at, ends_at, clock(), links, world.coordinator)
    assert str(refused.value) == f"This would put {world.parent.name} on two nights at the same time."


def test_cancelling_a_night_withdraws_its_messages_and_tells_everyone_once(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    walker = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    leader = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    db.commit()

    roster.cancel_night(db, night, "Snowstorm warning.", clock(), links, world.coordinator)
    roster.cancel_night(db, night, "Snowstorm warning.", clock(), links, world.coordinator)
    db.commit()

    for signup in (walker, leader):
        [notice] = pending(db, signup_id=signup.id)
        assert notice.purpose == Purpose.SHIFT_CANCELLED
        assert "cancelled" in notice.body and "Snowstorm warning." in notice.body
        assert not notice.urgent  # nine days ahead: quiet hours apply
        assert signup.state != SignupState.CANCELLED  # My nights still shows it, as cancelled
    assert night.cancelled_at == clock()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "shift.cancelled")).all()
    assert len(events) == 1


def test_a_night_cancelled_on_the_day_is_texted_even_in_quiet_hours(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    clock.set(utc(2026, 11, 27, 15, 0))
    roster.cancel_night(db, night, "", clock(), links, world.coordinator)
    [notice] = pending(db, signup_id=signup.id)
    assert notice.urgent and notice.body.endswith("is cancelled.")


# --- What the night's page tells someone holding a place about their reminders. ---


def test_the_reminders_ahead_are_those_planned(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    planned = sorted(m.due_at for m in pending(db, signup_id=signup.id) if m.purpose in messages.REMINDERS)
    reminding = service.reminding(world.parent, signup, clock())
    assert reminding is not None and not reminding.by_email
    assert reminding.at == planned == [utc(2026, 11, 25, 17, 0), utc(2026, 11, 27, 11, 0)]
    clock.set(utc(2026, 11, 26, 9, 0))
    assert service.reminding(world.parent, signup, clock()).at == [utc(2026, 11, 27, 11, 0)]
    clock.set(utc(2026, 11, 27, 12, 0))
    assert service.reminding(world.parent, signup, clock()) is None  # none left before the night


def test_someone_who_answered_stop_is_promised_no_reminders(world, db, clock, links):
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    world.parent.sms_opted_out_at = clock()
    assert service.reminding(world.parent, signup, clock()) is None
    world.parent.email, world.parent.channel = "kari@example.no", Channel.EMAIL
    assert service.reminding(world.parent, signup, clock()).by_email


def test_the_night_page_says_when_the_reminders_come_and_how_to_answer(world, db, clock, links, login, client):
    night = world.night_on("Flisa sentrum", FRIDAY)
    login(world.parent)
    response = client.post(f"/nights/{night.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "You are signed up." in response.text
    assert "We remind you by SMS on Wed 25 Nov 18:00 and on Fri 27 Nov 12:00." in response.text
    assert "Reply JA (yes) if you are coming, or NEI (no) if you cannot come; YES and NO work too." in response.text
    world.parent.email, world.parent.channel = "kari@example.no", Channel.EMAIL
    db.commit()
    page = client.get(f"/nights/{night.id}").text
    assert "We remind you by e-mail on Wed 25 Nov 18:00 and on Fri 27 Nov 12:00." in page
    assert "Reply JA" not in page


def test_the_answers_the_page_promises_are_the_answers_read(app, world, db, clock, links):
    for yes in ("JA", "YES", "yes"):
        assert keyword_of(yes) == YES
    for no in ("NEI", "NO", "no"):
        assert keyword_of(no) == NO
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    answer = receive(
        db,
        sid="SM-yes",
        sender=world.parent.phone,
        body="YES",
        now=clock(),
        links=links,
        handlers=app.extensions["natteravn.replies"],
        identify=app.extensions["natteravn.sms_senders"],
    )
    assert "confirmed" in answer
    assert signup.state == SignupState.CONFIRMED
