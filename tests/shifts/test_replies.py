"""What a JA or NEI by SMS does to the sender's nights."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.roster import service as roster
from natteravn.shifts import calls, service
from natteravn.shifts.models import InvitationOutcome, SignupRole, SignupState
from natteravn.shifts.replies import reply_no, reply_yes
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories
from tests.conftest import last_sms_to

FRIDAY = date(2026, 11, 27)
NEXT_FRIDAY = date(2026, 12, 4)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def outbox(db, **where) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.state == MessageState.PENDING).order_by(SmsMessage.id)
    for name, value in where.items():
        query = query.where(getattr(SmsMessage, name) == value)
    return list(db.scalars(query))


def test_an_unknown_number_gets_no_answer_about_anyone(world, db, clock, links):
    assert reply_yes(db, "+4799999999", clock(), links) is None
    assert reply_no(db, "+4799999999", clock(), links) is None


def test_ja_confirms_the_senders_next_night(world, db, clock, links):
    later = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", NEXT_FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    sooner = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    db.commit()

    answer = reply_yes(db, world.parent.phone, clock(), links)
    db.commit()

    assert sooner.state == SignupState.CONFIRMED and sooner.confirmed_at == clock()
    assert later.state == SignupState.SIGNED_UP
    assert "confirmed" in answer and "Flisa sentrum" in answer and "27.11" in answer
    assert reply_yes(db, world.parent.phone, clock(), links) == answer  # a second JA changes nothing


def test_after_ja_the_reminder_asks_for_no_second_ja(world, db, clock, links):
    signup = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", NEXT_FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    (reminder,) = outbox(db, signup_id=signup.id, purpose=Purpose.REMINDER_BEFORE)
    assert "Reply JA to confirm" in reminder.body
    reply_yes(db, world.parent.phone, clock(), links)
    db.commit()
    db.refresh(reminder)
    assert "JA" not in reminder.body and "Reply NEI if you cannot come." in reminder.body


def test_ja_without_nights_points_to_the_nights(world, db, clock, links):
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert "no nights" in answer and links.url("/nights") in answer


def test_ja_on_the_waitlist_says_so_and_changes_nothing(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    service.sign_up(db, world.leader, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert waiting.state == SignupState.WAITLISTED
    assert "waitlist" in answer


def test_ja_confirms_the_night_held_not_a_sooner_one_only_waited_for(world, db, clock, links):
    full = world.night_on("Flisa sentrum", FRIDAY)
    full.max_walkers = 1
    service.sign_up(db, world.leader, full.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, full.id, SignupRole.WALKER, clock(), links)
    held = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", NEXT_FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert held.state == SignupState.CONFIRMED and waiting.state == SignupState.WAITLISTED
    assert "confirmed for Kjellmyra on 04.12" in answer


def test_ja_takes_an_offered_place(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    first = service.sign_up(db, world.leader, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    service.withdraw(db, first, clock(), links)
    assert waiting.state == SignupState.OFFERED

    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert waiting.state == SignupState.CONFIRMED
    assert "is yours" in answer


def asked(db, gateway, clock, moment: datetime) -> None:
    """The clock moves on to `moment` and the SMS due by then go out: the reminders have asked JA or NEI."""
    clock.set(moment)
    db.commit()
    sms.dispatch_due(db, gateway, clock())


def test_nei_before_the_cutoff_frees_the_place_for_the_waitlist(world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 2
    service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    mine = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    asked(db, gateway, clock, utc(2026, 11, 25, 17, 0))  # Wednesday 18:00: "Reply JA to confirm or NEI …"

    answer = reply_no(db, world.parent.phone, clock(), links, "Nei")
    db.commit()

    assert mine.state == SignupState.CANCELLED
    assert waiting.state == SignupState.OFFERED
    assert [m.purpose for m in outbox(db, signup_id=waiting.id)][-1] == Purpose.WAITLIST_PROMOTED
    assert outbox(db, signup_id=mine.id) == []
    assert outbox(db, person_id=world.leader.id, purpose=Purpose.SHIFT_CHANGED) == []  # in good time: no alarm
    assert "no longer on Flisa sentrum" in answer and "group leader" not in answer


def test_nei_after_the_cutoff_still_frees_the_place_and_warns_the_leader(world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    mine = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    asked(db, gateway, clock, utc(2026, 11, 27, 16, 0))  # Friday 17:00, the night starts at 22:00

    answer = reply_no(db, world.parent.phone, clock(), links)
    db.commit()

    assert mine.state == SignupState.CANCELLED
    [warning] = outbox(db, person_id=world.leader.id, purpose=Purpose.SHIFT_CHANGED)
    assert warning.to == world.leader.phone and warning.urgent  # about tonight
    assert "Kari cannot come" in warning.body and "now has 1 walker." in warning.body
    assert "group leader is told" in answer
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "signup.cancelled_by_sms"))
    assert event.details["late"] is True


def test_the_leaders_nei_to_a_dropout_warning_does_not_take_them_off(world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    clock.set(utc(2026, 11, 27, 16, 0))  # signed up on the day: no reminder has asked them anything
    theirs = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    clock.set(utc(2026, 11, 27, 17, 0))  # an hour on: counted on, no tap by mistake
    reply_no(db, world.parent.phone, clock(), links)  # unasked: the parent is asked which night
    reply_yes(db, world.parent.phone, clock(), links)  # and says yes, cancel it
    sms.dispatch_due(db, gateway, clock())
    assert "Kari cannot come" in last_sms_to(gateway, world.leader.phone)

    answer = reply_no(db, world.leader.phone, clock(), links, "Nei!")
    assert theirs.state == SignupState.SIGNED_UP
    assert "Answer JA to cancel it" in answer


def test_nei_to_a_reminder_of_a_night_three_days_ahead_asks_before_cancelling(world, db, clock, links, gateway):
    world.region.reminder_before_days = 3
    mine = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    asked(db, gateway, clock, utc(2026, 11, 24, 17, 0))  # Tuesday 18:00: "Reply JA to confirm or NEI …"

    answer = reply_no(db, world.parent.phone, clock(), links, "Nei")
    assert mine.state == SignupState.SIGNED_UP and "Answer JA to cancel it" in answer
    assert "no longer on" in reply_yes(db, world.parent.phone, clock(), links, "Ja")
    assert mine.state == SignupState.CANCELLED


def test_ja_naming_another_night_than_the_one_asked_about_cancels_nothing(world, db, clock, links):
    mine = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    assert "Answer JA to cancel it" in reply_no(db, world.parent.phone, clock(), links, "Nei takk")
    reply_yes(db, world.parent.phone, clock(), links, "Ja, 4.12")
    assert mine.state == SignupState.CONFIRMED


def test_nei_after_the_cutoff_without_a_leader_says_nothing_about_one(world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    asked(db, gateway, clock, utc(2026, 11, 27, 16, 0))
    answer = reply_no(db, world.parent.phone, clock(), links)
    assert "group leader" not in answer and "no longer on" in answer


def test_nei_on_the_waitlist_asks_and_then_leaves_it(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    service.sign_up(db, world.leader, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    answer = reply_no(db, world.parent.phone, clock(), links)
    assert waiting.state == SignupState.WAITLISTED
    assert "cancel Flisa sentrum on 27.11 at 22:00? Answer JA to cancel it" in answer
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert waiting.state == SignupState.CANCELLED
    assert "off the waitlist" in answer


def test_nei_to_an_offer_passes_the_place_on(world, db, clock, links, gateway):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    first = service.sign_up(db, world.leader, night.id, SignupRole.WALKER, clock(), links)
    offered = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    next_in_line = service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    clock.set(utc(2026, 11, 26, 9, 0))  # Thursday morning
    service.withdraw(db, first, clock(), links)
    asked(db, gateway, clock, clock())  # "Natteravn: a place is free … Answer JA, or tap the link, before …"

    answer = reply_no(db, world.parent.phone, clock(), links)
    assert offered.state == SignupState.CANCELLED
    assert next_in_line.state == SignupState.OFFERED
    assert "next on the list" in answer


def test_nei_without_nights_says_there_is_nothing_to_cancel(world, db, clock, links):
    assert "no nights" in reply_no(db, world.parent.phone, clock(), links)


def test_a_cancelled_night_is_not_what_a_reply_is_about(world, db, clock, links):
    cancelled = world.night_on("Flisa sentrum", FRIDAY)
    gone = service.sign_up(db, world.parent, cancelled.id, SignupRole.WALKER, clock(), links)
    later = service.sign_up(
        db, world.parent, world.night_on("Kjellmyra", NEXT_FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    roster.cancel_night(db, cancelled, "Storm.", clock(), links, world.coordinator)

    reply_yes(db, world.parent.phone, clock(), links)
    assert later.state == SignupState.CONFIRMED
    assert gone.state == SignupState.SIGNED_UP


def test_a_reply_answers_the_latest_question(world, db, clock, links):
    """Invited to a night on Tuesday, then reminded of their own night on Wednesday: JA confirms
    their own night. A JA right after the invitation takes the invited place."""
    own = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    clock.set(utc(2026, 11, 24, 16, 0))  # Tuesday 17:00: the call for the weekend
    calls.call_for_walkers(db, clock(), links)
    invited = calls.open_invitation(db, world.parent, clock())
    assert invited is not None and invited.shift.starts_at.date() == date(2026, 11, 28)

    clock.set(utc(2026, 11, 25, 17, 30))  # after Wednesday's 18:00 reminder of the Friday
    reply_yes(db, world.parent.phone, clock(), links)
    assert own.state == SignupState.CONFIRMED
    assert invited.outcome == InvitationOutcome.OPEN

    other = factories.person(db, world.asnes, "Nils Ny", clock())
    calls.call_for_walkers(db, clock(), links)
    invitation = calls.open_invitation(db, other, clock())
    assert "is yours" in reply_yes(db, other.phone, clock(), links)
    assert invitation.outcome == InvitationOutcome.TAKEN
