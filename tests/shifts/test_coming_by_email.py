"""A parent who chose e-mail cannot answer JA or NEI: the night's page takes their "I'm coming",
and what we send them points there instead of asking for a reply."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Channel
from natteravn.clock import night_span
from natteravn.i18n import translations
from natteravn.roster import service as roster
from natteravn.shifts import messages, service
from natteravn.shifts.models import Invitation, Signup, SignupRole, SignupState
from natteravn.shifts.replies import reply_yes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue
from tests import factories

FRIDAY = date(2026, 11, 27)
ADDRESS = "kari@example.no"


def pending(db, **where) -> dict[Purpose, SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.state == MessageState.PENDING)
    for name, value in where.items():
        query = query.where(getattr(SmsMessage, name) == value)
    return {message.purpose: message for message in db.scalars(query)}


@pytest.fixture
def by_email(world, db):
    """The parent chose e-mail on their profile."""
    world.parent.email, world.parent.channel = ADDRESS, Channel.EMAIL
    db.commit()
    return world.parent


@pytest.fixture
def signed_up(world, db, clock, links):
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    db.commit()
    return signup


# --- Confirming, the service. ---


def test_confirming_a_place_makes_it_confirmed_and_the_reminder_asks_no_more(world, db, clock, links, signed_up):
    service.confirm_place(db, world.parent, signed_up.id, clock(), links)
    db.commit()

    assert signed_up.state == SignupState.CONFIRMED and signed_up.confirmed_at == clock()
    reminder = pending(db, signup_id=signed_up.id)[Purpose.REMINDER_BEFORE]
    assert "JA" not in reminder.body and "Reply NEI if you cannot come." in reminder.body
    service.confirm_place(db, world.parent, signed_up.id, clock(), links)  # twice is harmless
    assert signed_up.state == SignupState.CONFIRMED


def test_ja_by_sms_confirms_through_the_same_way(world, db, clock, links, signed_up):
    answer = reply_yes(db, world.parent.phone, clock(), links)
    assert signed_up.state == SignupState.CONFIRMED and "confirmed" in answer


def test_nobody_confirms_someone_elses_place(world, db, clock, links, signed_up):
    with pytest.raises(service.SignupRefused):
        service.confirm_place(db, world.other_parent, signed_up.id, clock(), links)
    assert signed_up.state == SignupState.SIGNED_UP


def test_a_waitlisted_or_begun_night_cannot_be_confirmed(world, db, clock, links, signed_up):
    night = world.night_on("Kjellmyra", FRIDAY)
    waiting = factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    with pytest.raises(service.SignupRefused, match="no longer be confirmed"):
        service.confirm_place(db, world.parent, waiting.id, clock(), links)
    clock.set(signed_up.shift.starts_at)
    with pytest.raises(service.SignupRefused, match="no longer be confirmed"):
        service.confirm_place(db, world.parent, signed_up.id, clock(), links)


# --- Confirming, the night's page. ---


def test_the_night_page_button_confirms_the_place(world, db, signed_up, login, client):
    login(world.parent)
    page = client.get(f"/nights/{signed_up.shift_id}")
    assert "I&#39;m coming" in page.text or "I'm coming" in page.text

    response = client.post(f"/signups/{signed_up.id}/confirm", follow_redirects=True)

    assert response.status_code == 200 and "You are confirmed for this night" in response.text
    assert "You have confirmed that you are coming." in response.text
    assert "I&#39;m coming" not in response.text
    db.expire_all()
    assert db.get(Signup, signed_up.id).state == SignupState.CONFIRMED


def test_someone_elses_place_cannot_be_confirmed_on_the_web(world, db, signed_up, login, client):
    login(world.other_parent)
    assert client.post(f"/signups/{signed_up.id}/confirm").status_code == 404
    assert client.post("/signups/999999/confirm").status_code == 404
    db.expire_all()
    assert db.get(Signup, signed_up.id).state == SignupState.SIGNED_UP


def test_the_button_needs_a_login(world, signed_up, client):
    response = client.post(f"/signups/{signed_up.id}/confirm")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_a_place_awaiting_confirmation_shows_the_button(world, db, clock, links, login, client):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)  # the waitlist
    db.commit()
    login(world.parent)
    page = client.get(f"/nights/{night.id}").text
    assert "waitlist" in page and "coming</button>" not in page


def test_a_late_tap_is_explained_not_a_crash(world, db, clock, signed_up, login, client):
    login(world.parent)
    clock.set(datetime(2026, 11, 27, 21, 30, tzinfo=UTC))  # the night has begun
    response = client.post(f"/signups/{signed_up.id}/confirm", follow_redirects=True)
    assert response.status_code == 200 and "can no longer be confirmed" in response.text


# --- The texts, by the person's channel. ---


def test_an_email_reminder_points_to_the_nights_page_instead_of_asking_for_ja(world, db, clock, links, by_email):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, by_email, night.id, SignupRole.WALKER, clock(), links)
    planned = pending(db, signup_id=signup.id)

    before, day = planned[Purpose.REMINDER_BEFORE], planned[Purpose.REMINDER_DAY]
    assert before.channel == Channel.EMAIL and day.channel == Channel.EMAIL
    for reminder in (before, day):
        assert "JA" not in reminder.body and "NEI" not in reminder.body and "Reply" not in reminder.body
    assert "confirm that you are coming on the night's page" in before.body and links.night(night.id) in before.body
    assert "Who walks, and what to do if you cannot come: " + links.night(night.id) in day.body

    service.confirm_place(db, by_email, signup.id, clock(), links)
    db.refresh(before)
    assert "If you cannot come, cancel on the night's page" in before.body and links.night(night.id) in before.body


def test_the_email_day_reminder_keeps_the_nights_link_whenever_the_group_leader_changes(
    world, db, clock, links, by_email, login, client
):
    night = world.night_on("Flisa sentrum", FRIDAY)
    mine = service.sign_up(db, by_email, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    day = pending(db, signup_id=mine.id)[Purpose.REMINDER_DAY]
    night_link = links.night(night.id)

    def reads(leader: str) -> None:
        db.expire_all()
        assert f"Group leader: {leader}. Who walks, and what to do if you cannot come: {night_link}" in day.body

    reads("no leader yet")
    leading = service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    db.commit()
    reads("Lise")

    login(world.leader)  # gives the night back on its page
    client.post(f"/signups/{leading.id}/cancel")
    reads("no leader yet")

    service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    db.commit()
    reads("Lise")
    client.post("/logout")
    login(world.coordinator)  # Lise is no group leader any more: she walks the night as a walker
    assert client.post(f"/coordinator/people/{world.leader.id}/leader/remove").status_code == 302
    reads("no leader yet")


def test_sms_reminders_keep_asking_for_ja(world, db, clock, links, signed_up):
    planned = pending(db, signup_id=signed_up.id)
    assert "Reply JA to confirm or NEI" in planned[Purpose.REMINDER_BEFORE].body
    assert "Reply NEI if you cannot come." in planned[Purpose.REMINDER_DAY].body


def test_the_waitlist_promises_a_message_by_email_and_an_sms_by_sms(world, db, clock, links, by_email):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    sms_parent = factories.person(db, world.asnes, "Siv Sms", clock())
    service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    by_mail = service.sign_up(db, by_email, night.id, SignupRole.WALKER, clock(), links)
    by_sms = service.sign_up(db, sms_parent, night.id, SignupRole.WALKER, clock(), links)

    assert "get a message if a place frees up" in pending(db, signup_id=by_mail.id)[Purpose.WAITLISTED].body
    assert "get an SMS if a place frees up" in pending(db, signup_id=by_sms.id)[Purpose.WAITLISTED].body


def test_a_moved_night_asks_for_no_nei_by_email(world, db, clock, links, by_email):
    night = world.night_on("Flisa sentrum", FRIDAY)
    signup = service.sign_up(db, by_email, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    starts_at, ends_at = night_span(date(2026, 11, 26), time(20, 0), time(23, 0))  # Thursday 20-23
    roster.move_night(db, night, starts_at, ends_at, clock(), links, world.coordinator)
    moved = pending(db, signup_id=signup.id)[Purpose.SHIFT_CHANGED]
    assert "NEI" not in moved.body and links.night(night.id) in moved.body


# --- Choosing another channel on the profile. ---


def reminders_of(db, signup) -> dict[Purpose, list[SmsMessage]]:
    """Every reminder the outbox holds for the sign-up, whatever its state, by purpose."""
    query = select(SmsMessage).where(SmsMessage.signup_id == signup.id).order_by(SmsMessage.id)
    found: dict[Purpose, list[SmsMessage]] = {}
    for message in db.scalars(query):
        found.setdefault(message.purpose, []).append(message)
    return found


def test_choosing_email_writes_the_waiting_reminders_again_for_email(world, db, clock, links, signed_up):
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    db.commit()

    planned = pending(db, signup_id=signed_up.id)
    before, day = planned[Purpose.REMINDER_BEFORE], planned[Purpose.REMINDER_DAY]
    assert before.channel == Channel.EMAIL and day.channel == Channel.EMAIL
    for reminder in (before, day):
        assert "JA" not in reminder.body and "NEI" not in reminder.body
    assert "confirm that you are coming on the night's page" in before.body
    assert links.night(signed_up.shift_id) in before.body
    assert links.night(signed_up.shift_id) in day.body
    outbox = reminders_of(db, signed_up)
    assert len(outbox[Purpose.REMINDER_BEFORE]) == 1 and len(outbox[Purpose.REMINDER_DAY]) == 1  # no second one


def test_choosing_sms_again_asks_for_ja_again(world, db, clock, links, signed_up):
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    accounts.choose_channel(db, world.parent, Channel.SMS, ADDRESS, links)
    db.commit()

    planned = pending(db, signup_id=signed_up.id)
    assert planned[Purpose.REMINDER_BEFORE].channel == Channel.SMS
    assert "Reply JA to confirm or NEI" in planned[Purpose.REMINDER_BEFORE].body
    assert "Reply NEI if you cannot come." in planned[Purpose.REMINDER_DAY].body


def test_a_confirmed_place_keeps_its_confirmed_reminder_in_either_channel(world, db, clock, links, signed_up):
    service.confirm_place(db, world.parent, signed_up.id, clock(), links)
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    before = pending(db, signup_id=signed_up.id)[Purpose.REMINDER_BEFORE]
    assert "If you cannot come, cancel on the night's page" in before.body and "confirm that" not in before.body

    accounts.choose_channel(db, world.parent, Channel.SMS, "", links)
    db.refresh(before)
    assert before.body.endswith("Reply NEI if you cannot come.") and "JA" not in before.body
    assert signed_up.state == SignupState.CONFIRMED


def test_a_reminder_already_sent_is_left_as_it_went(world, db, clock, links, signed_up):
    sent = pending(db, signup_id=signed_up.id)[Purpose.REMINDER_BEFORE]
    sent.state, text = MessageState.SENT, sent.body
    db.commit()
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    db.commit()
    db.refresh(sent)
    assert (sent.body, sent.channel, sent.state) == (text, Channel.SMS, MessageState.SENT)
    assert "what to do if you cannot come" in pending(db, signup_id=signed_up.id)[Purpose.REMINDER_DAY].body


def test_a_waiting_waitlist_message_promises_what_the_new_channel_brings(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    night.max_walkers = 1
    service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    waiting = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    assert "get a message if a place frees up" in pending(db, signup_id=waiting.id)[Purpose.WAITLISTED].body


def test_someone_elses_reminders_keep_their_wording(world, db, clock, links, signed_up):
    night = world.night_on("Flisa sentrum", FRIDAY)
    other = service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    accounts.choose_channel(db, world.parent, Channel.EMAIL, ADDRESS, links)
    assert "Reply JA to confirm or NEI" in pending(db, signup_id=other.id)[Purpose.REMINDER_BEFORE].body


def test_switching_on_the_profile_page_rewrites_the_reminder_and_back(world, db, links, signed_up, login, client):
    login(world.parent)
    form = {
        "name": world.parent.name,
        "municipality": str(world.parent.municipality_id),
        "locale": "en",
        "channel": "email",
        "email": ADDRESS,
    }
    assert client.post("/profile", data=form).status_code == 302
    db.expire_all()
    before = pending(db, signup_id=signed_up.id)[Purpose.REMINDER_BEFORE]
    assert before.channel == Channel.EMAIL and "JA" not in before.body
    assert "confirm that you are coming on the night's page" in before.body
    assert len(reminders_of(db, signed_up)[Purpose.REMINDER_BEFORE]) == 1

    assert client.post("/profile", data={**form, "channel": "sms"}).status_code == 302
    db.expire_all()
    assert before.channel == Channel.SMS and "Reply JA to confirm or NEI" in before.body
    assert len(reminders_of(db, signed_up)[Purpose.REMINDER_BEFORE]) == 1


# --- Another language: the same rewriting. ---


def test_choosing_another_language_writes_the_waiting_messages_again_in_it(world, db, clock, links, signed_up):
    planned = pending(db, signup_id=signed_up.id)
    english = {purpose: message.body for purpose, message in planned.items()}
    accounts.choose_language(db, world.parent, "nb", links)
    db.commit()
    db.expire_all()

    nb = translations("nb").gettext
    words = {**messages.night_words(signed_up.shift), "link": links.night(signed_up.shift_id)}
    rewritten = pending(db, signup_id=signed_up.id)
    assert rewritten[Purpose.REMINDER_BEFORE].body == messages.reminder_before_text(nb, words)
    assert rewritten[Purpose.REMINDER_DAY].subject == "Natteravn i kveld"
    for purpose in (Purpose.SIGNUP_CONFIRMATION, Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY):
        assert rewritten[purpose].id == planned[purpose].id and rewritten[purpose].body != english[purpose]
    assert links.night(signed_up.shift_id) in rewritten[Purpose.SIGNUP_CONFIRMATION].body


def test_the_language_chosen_on_the_profile_rewrites_the_waiting_reminders(world, db, login, client, signed_up):
    login(world.parent)
    form = {"name": world.parent.name, "municipality": world.parent.municipality_id, "locale": "nn", "channel": "sms"}
    assert client.post("/profile", data=form).status_code == 302
    db.expire_all()
    nn = translations("nn").gettext
    assert pending(db, signup_id=signed_up.id)[Purpose.REMINDER_DAY].subject == nn("Natteravn tonight")


def test_a_call_for_walkers_waiting_is_written_again_in_the_new_language(world, db, clock, links):
    night = world.night_on("Flisa sentrum", FRIDAY)
    db.add(Invitation(shift=night, person=world.parent, role=SignupRole.WALKER, created_at=clock()))
    call = enqueue(
        db,
        to=world.parent.phone,
        body="old words",
        purpose=Purpose.CALL_FOR_WALKERS,
        now=clock(),
        person_id=world.parent.id,
        shift_id=night.id,
        locale="en",
    )
    accounts.choose_language(db, world.parent, "nb", links)
    db.refresh(call)
    words = {**messages.night_words(night), "link": links.night(night.id)}
    assert call.body == messages.call_text(translations("nb").gettext, words, SignupRole.WALKER)
