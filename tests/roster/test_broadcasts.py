"""Reaching many people at once: a weekend's nights called off in one action with one message per
person, and a message in the coordinator's own words to a night, a municipality or the region,
each previewed (people, SMS, cost) before it is sent, within the coordinator's own part."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Role, RoleKind
from natteravn.audit.models import AuditEvent
from natteravn.roster import broadcasts
from natteravn.roster import service as roster
from natteravn.roster.broadcasts import Kind
from natteravn.shifts.models import SignupRole, SignupState, Term
from natteravn.sms.models import Channel, MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue
from tests import factories

FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)
KARIS_NOTICE = "Natteravn: your nights are cancelled: Flisa sentrum 27.11 22:00, Kjellmyra 28.11 22:00. Storm"


def messages_of(db, purpose: Purpose) -> list[SmsMessage]:
    return list(db.scalars(select(SmsMessage).where(SmsMessage.purpose == purpose).order_by(SmsMessage.id)))


def to(db, person, purpose: Purpose) -> list[SmsMessage]:
    return [m for m in messages_of(db, purpose) if m.person_id == person.id]


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


@pytest.fixture
def stormy(world, db, clock):
    """The weekend of 27 November: Kari on Friday in Flisa and Saturday in Kjellmyra, Ola on
    Saturday in Kirkenær, Lise waiting for Friday in Flisa (full), and Kari's reminders planned."""
    flisa = world.night_on("Flisa sentrum", FRIDAY)
    flisa.max_walkers = 1
    factories.signup(db, flisa, world.parent, clock())
    factories.signup(db, world.night_on("Kjellmyra", SATURDAY), world.parent, clock())
    factories.signup(db, world.night_on("Kirkenær", SATURDAY), world.other_parent, clock())
    factories.signup(db, flisa, world.leader, clock(), role=SignupRole.LEADER, state=SignupState.WAITLISTED)
    enqueue(
        db,
        to=world.parent.phone,
        body="Natteravn: husk fredag.",
        purpose=Purpose.REMINDER_DAY,
        now=clock(),
        due_at=flisa.starts_at,
        person_id=world.parent.id,
        shift_id=flisa.id,
    )
    db.commit()
    return world


# --- Calling off a weekend, through the service. ---


def test_a_weekends_nights_are_called_off_with_one_message_per_person(stormy, db, clock):
    world = stormy
    nights = broadcasts.weekend_nights(db, world.coordinator.coordinator_scope, FRIDAY, None, clock())
    assert len(nights) == 8  # four routes, Friday and Saturday

    notices = roster.cancel_nights(db, nights, "  Storm   warning ", clock(), world.coordinator)
    db.commit()

    assert all(night.cancelled_at == clock() and night.cancel_reason == "Storm warning" for night in nights)
    assert len(notices) == 3
    (karis,) = to(db, world.parent, Purpose.SHIFT_CANCELLED)
    assert karis.body == (
        "Natteravn: your nights are cancelled: Flisa sentrum 27.11 22:00, Kjellmyra 28.11 22:00. Storm warning"
    )
    assert karis.expires_at == world.night_on("Kjellmyra", SATURDAY).ends_at
    (olas,) = to(db, world.other_parent, Purpose.SHIFT_CANCELLED)
    assert olas.body == "Natteravn: Kirkenær on 28.11 at 22:00 is cancelled. Storm warning"
    assert len(to(db, world.leader, Purpose.SHIFT_CANCELLED)) == 1  # waiting for Friday: told too
    (reminder,) = to(db, world.parent, Purpose.REMINDER_DAY)
    assert reminder.state == MessageState.CANCELLED
    cancelled = db.scalars(select(AuditEvent).where(AuditEvent.action == "shift.cancelled")).all()
    assert sorted(event.object_id for event in cancelled) == sorted(night.id for night in nights)


def test_one_municipalitys_nights_that_weekend(stormy, db, clock):
    world = stormy
    nights = broadcasts.weekend_nights(db, world.coordinator.coordinator_scope, FRIDAY, world.grue.id, clock())
    assert {night.route.name for night in nights} == {"Kirkenær"} and len(nights) == 2
    roster.cancel_nights(db, nights, "", clock(), world.coordinator)
    assert len(messages_of(db, Purpose.SHIFT_CANCELLED)) == 1  # Ola only
    assert world.night_on("Flisa sentrum", FRIDAY).cancelled_at is None


def test_the_people_of_a_draft_are_not_told(world, db, clock):
    draft = Term(region=world.region, name="Utkast", starts_on=FRIDAY, ends_on=SATURDAY, signup_opens_at=clock())
    db.add(draft)
    night = factories.night(db, draft, world.routes["Kjellmyra"], FRIDAY)
    factories.signup(db, night, world.parent, clock())
    roster.cancel_nights(db, [night], "Storm", clock(), world.coordinator)
    assert night.cancelled_at is not None
    assert messages_of(db, Purpose.SHIFT_CANCELLED) == []


def test_a_night_already_called_off_is_left_as_it_was(stormy, db, clock):
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    roster.cancel_nights(db, [night], "Snø", clock(), world.coordinator)
    roster.cancel_nights(db, [night], "Storm", clock(), world.coordinator)
    assert night.cancel_reason == "Snø"
    assert len(messages_of(db, Purpose.SHIFT_CANCELLED)) == 1


def test_the_preview_of_a_call_off_shows_the_longest_message_and_counts_it(stormy, db, clock):
    world = stormy
    nights = broadcasts.weekend_nights(db, world.coordinator.coordinator_scope, FRIDAY, None, clock())
    preview = broadcasts.preview_cancellation(db, nights, "Storm", Decimal("0.45"))
    assert preview.sample == KARIS_NOTICE  # Kari's names two nights; Ola's and Lise's one
    assert (preview.longest.characters, preview.longest.segments) == (93, 1)


def test_of_texts_that_each_fit_one_sms_the_longest_is_reported(world):
    texts = [(world.parent, "Natteravn: kort."), (world.leader, "Natteravn: litt lengre."), (world.other_parent, "x")]
    preview = broadcasts.reach(texts, Decimal("0.45"))
    assert preview.sample == "Natteravn: litt lengre."
    assert (preview.longest.characters, preview.longest.segments, preview.segments) == (23, 1, 3)


def test_the_text_costing_most_sms_is_reported_even_when_another_has_more_characters(world):
    dear = "Natteravn: storm – " + "ø" * 60  # 79 UCS-2 characters: two SMS
    cheap = "Natteravn: " + "a" * 140  # 151 GSM characters: one SMS
    preview = broadcasts.reach([(world.parent, cheap), (world.leader, dear)], Decimal("0.45"))
    assert preview.sample == dear and preview.longest.segments == 2 and preview.longest.forcing == "–"


def test_nobody_to_reach_shows_no_text(world):
    preview = broadcasts.reach([], Decimal("0.45"))
    assert (preview.people, preview.sample, preview.longest.characters) == (0, "", 0)


# --- Calling off a weekend, through the page. ---


def test_the_weekend_is_previewed_then_cancelled(stormy, db, clock, login, client):
    world = stormy
    login(world.coordinator)
    page = client.get("/coordinator/nights/cancel")
    assert page.status_code == 200
    assert '<option selected value="2026-11-20">Weekend of 20.11.2026</option>' in page.text
    form = {"weekend": "2026-11-27", "municipality": "0", "reason": "Storm", "preview": "Preview"}
    preview = client.post("/coordinator/nights/cancel", data=form)
    assert preview.status_code == 200
    assert "8 nights are called off:" in preview.text
    assert "3 people: 3 by SMS, 0 by e-mail." in preview.text
    assert "In all 3 SMS, about 1.35 kr." in preview.text
    assert "Each SMS: 93 characters, 1 SMS per person (GSM-7)." in preview.text
    assert f'<blockquote class="sms-body">{KARIS_NOTICE}</blockquote>' in preview.text
    assert world.night_on("Kirkenær", SATURDAY).cancelled_at is None  # nothing yet

    done = client.post(
        "/coordinator/nights/cancel",
        data={**form, "preview": "", "submit": "Cancel these nights", "previewed": hidden(preview.text, "previewed")},
    )
    assert done.status_code == 302
    db.expire_all()
    assert world.night_on("Kirkenær", SATURDAY).cancelled_at is not None
    assert "8 nights are cancelled. 3 people get a message." in client.get(done.headers["Location"]).text


def test_cancelling_without_the_preview_shows_the_preview_first(stormy, db, login, client):
    world = stormy
    login(world.coordinator)
    form = {"weekend": "2026-11-27", "municipality": "0", "reason": "Storm", "submit": "Cancel these nights"}
    response = client.post("/coordinator/nights/cancel", data=form)
    assert response.status_code == 200 and "Before you cancel" in response.text
    stale = client.post(
        "/coordinator/nights/cancel",
        data={**form, "reason": "Another reason", "previewed": hidden(response.text, "previewed")},
    )
    assert "Before you cancel" in stale.text  # a changed form is previewed again
    db.expire_all()
    assert stormy.night_on("Kirkenær", SATURDAY).cancelled_at is None
    done = client.post("/coordinator/nights/cancel", data={**form, "previewed": hidden(response.text, "previewed")})
    assert done.status_code == 302


def test_a_weekend_is_not_called_off_without_a_reason(stormy, db, login, client):
    login(stormy.coordinator)
    form = {"weekend": "2026-11-27", "municipality": "0", "reason": " ", "submit": "Cancel these nights"}
    refused = client.post("/coordinator/nights/cancel", data=form)
    assert refused.status_code == 422
    assert "Write why the nights are cancelled: the reason is sent to the people on them." in refused.text
    db.expire_all()
    assert stormy.night_on("Kirkenær", SATURDAY).cancelled_at is None


def test_a_municipalitys_coordinator_calls_off_only_their_nights(stormy, db, clock, login, client):
    world = stormy
    gunn = factories.person(db, world.grue, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    login(gunn)
    page = client.get("/coordinator/nights/cancel").text
    assert f'value="{world.asnes.id}"' not in page
    refused = client.post(
        "/coordinator/nights/cancel", data={"weekend": "2026-11-27", "municipality": str(world.asnes.id)}
    )
    assert refused.status_code == 422
    form = {"weekend": "2026-11-27", "municipality": "0", "reason": "Storm", "preview": "Preview"}
    preview = client.post("/coordinator/nights/cancel", data=form).text
    assert "2 nights are called off:" in preview and "Kjellmyra" not in preview
    client.post(
        "/coordinator/nights/cancel",
        data={**form, "preview": "", "submit": "x", "previewed": hidden(preview, "previewed")},
    )
    db.expire_all()
    assert world.night_on("Kirkenær", FRIDAY).cancelled_at is not None
    assert world.night_on("Flisa sentrum", FRIDAY).cancelled_at is None


# --- The cancel reason on a night's page: counted, and a costly one shown first. ---


def test_the_night_page_counts_the_cancel_message(stormy, login, client):
    world = stormy
    login(world.coordinator)
    page = client.get(f"/coordinator/nights/{world.night_on('Kirkenær', SATURDAY).id}").text
    assert "The SMS: 51 characters, 1 SMS per person." in page  # "Natteravn: Kirkenær on 28.11 at 22:00 is cancelled."
    assert 'data-sms-counter="reason"' in page and "sms-counter.js" in page
    assert 'aria-describedby="reason-count"' in page


def cancel(client, night, **form):
    return client.post(f"/coordinator/nights/{night.id}/cancel", data={"submit": "Cancel the night", **form})


def test_a_night_is_cancelled_only_after_its_preview_is_confirmed(stormy, db, login, client):
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    login(world.coordinator)
    page = client.get(f"/coordinator/nights/{night.id}").text
    assert "Nothing is cancelled and nobody is told until you have seen the message and confirmed." in page
    assert ">Cancel the night</button>" not in page and 'value="Cancel the night"' not in page  # only the preview

    first = cancel(client, night, reason="Storm")  # the button pressed without a preview: it previews
    assert first.status_code == 200
    assert "1 person: 1 by SMS, 0 by e-mail." in first.text and "In all 1 SMS, about 0.45 kr." in first.text
    assert '<blockquote class="sms-body">Natteravn: Kirkenær on 28.11 at 22:00 is cancelled. Storm</blockquote>' in (
        first.text
    )
    assert "A cancelled night cannot be opened again. Check that it is Kirkenær, Saturday 28 November." in first.text
    db.expire_all()
    assert night.cancelled_at is None and messages_of(db, Purpose.SHIFT_CANCELLED) == []

    done = cancel(client, night, reason="Storm", previewed=hidden(first.text, "previewed"))
    assert done.status_code == 302
    assert "The night is cancelled." in client.get(done.headers["Location"]).text
    db.expire_all()
    assert night.cancelled_at is not None and night.cancel_reason == "Storm"
    assert len(messages_of(db, Purpose.SHIFT_CANCELLED)) == 1


def test_the_confirm_pressed_twice_cancels_and_tells_once(stormy, db, login, client):
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    login(world.coordinator)
    previewed = hidden(cancel(client, night, reason="Storm").text, "previewed")
    assert cancel(client, night, reason="Storm", previewed=previewed).status_code == 302
    again = cancel(client, night, reason="Storm", previewed=previewed)
    assert again.status_code == 302
    assert "The night is cancelled." in client.get(again.headers["Location"]).text
    assert len(messages_of(db, Purpose.SHIFT_CANCELLED)) == 1
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "shift.cancelled")).all()) == 1


def test_a_changed_reason_or_another_nights_preview_is_previewed_again(stormy, db, login, client):
    world = stormy
    night, other = world.night_on("Kirkenær", SATURDAY), world.night_on("Kirkenær", FRIDAY)
    login(world.coordinator)
    previewed = hidden(cancel(client, night, reason="Storm").text, "previewed")
    changed = cancel(client, night, reason="Snøstorm", previewed=previewed)
    assert changed.status_code == 200 and "is cancelled. Snøstorm</blockquote>" in changed.text
    elsewhere = cancel(client, other, reason="Storm", previewed=previewed)  # the wrong night's tab
    assert elsewhere.status_code == 200 and "Check that it is Kirkenær, Friday 27 November." in elsewhere.text
    db.expire_all()
    assert night.cancelled_at is None and other.cancelled_at is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_night_is_not_cancelled_without_a_reason(stormy, db, login, client, reason):
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    login(world.coordinator)
    for button in ({"preview": "Preview the SMS", "submit": ""}, {}):
        refused = cancel(client, night, reason=reason, **button)
        assert refused.status_code == 422
        assert "Write why the night is cancelled: the reason is sent to the people on it." in refused.text
        assert "What the people on the night get" not in refused.text
    db.expire_all()
    assert night.cancelled_at is None and messages_of(db, Purpose.SHIFT_CANCELLED) == []


def test_a_reason_too_long_is_said_not_refused_blankly(stormy, login, client):
    world = stormy
    login(world.coordinator)
    refused = cancel(client, world.night_on("Kirkenær", SATURDAY), reason="Storm " * 20)
    assert refused.status_code == 422 and "Shorten this to 100 characters." in refused.text


def test_a_dash_that_doubles_every_message_is_shown_before_the_night_is_cancelled(stormy, db, login, client):
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    login(world.coordinator)
    reason = "Avlyst på grunn av storm – vi tar det igjen"
    first = cancel(client, night, reason=reason)
    assert first.status_code == 200
    assert "“–” (U+2013) is not in the SMS alphabet" in first.text
    assert "Each message is longer than one SMS. Shorten the reason, or cancel with it as it is." in first.text
    assert "In all 2 SMS, about 0.90 kr." in first.text
    db.expire_all()
    assert night.cancelled_at is None

    again = cancel(client, night, reason=reason, previewed=hidden(first.text, "previewed"))
    assert again.status_code == 302
    db.expire_all()
    assert night.cancelled_at is not None


def test_the_cancel_message_can_be_previewed_on_the_night_page(stormy, login, client):
    world = stormy
    login(world.coordinator)
    night = world.night_on("Kirkenær", SATURDAY)
    page = client.post(f"/coordinator/nights/{night.id}/cancel", data={"reason": "Storm 🌧", "preview": "x"}).text
    assert "What the people on the night get" in page
    assert "“🌧” (U+1F327) is not in the SMS alphabet" in page
    assert "1 person: 1 by SMS, 0 by e-mail." in page


def test_the_night_page_shows_the_cancel_message_and_its_real_length(stormy, login, client):
    world = stormy
    login(world.coordinator)
    night = world.night_on("Kirkenær", SATURDAY)
    page = client.post(f"/coordinator/nights/{night.id}/cancel", data={"reason": "Storm", "preview": "x"}).text
    assert "Each SMS: 57 characters, 1 SMS per person (GSM-7)." in page
    assert '<blockquote class="sms-body">Natteravn: Kirkenær on 28.11 at 22:00 is cancelled. Storm</blockquote>' in page


# --- A message in the coordinator's own words. ---


@pytest.fixture
def mari(world, db, clock):
    person = factories.person(db, world.asnes, "Mari Epost", clock(), email="mari@example.no")
    db.commit()
    return person


def test_a_message_to_a_municipality_is_previewed_then_sent_to_each_by_their_channel(
    world, mari, db, clock, login, client
):
    world.leader.sms_opted_out_at = clock()
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/messages").text
    assert f'value="municipality:{world.asnes.id}">Everyone in Åsnes' in page
    assert f'value="region:{world.region.id}">Everyone in Solør' in page
    form = {"to": f"municipality:{world.asnes.id}", "text": "Årsmøte i kveld kl. 19 på Flisa skole.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    # Kari, Lise (opted out), Siri and Mari live in Åsnes.
    assert "4 people: 2 by SMS, 1 by e-mail." in preview
    assert "1 has answered STOP to SMS and gets nothing." in preview
    assert "In all 2 SMS, about 0.90 kr." in preview
    assert '<blockquote class="sms-body">Natteravn: Årsmøte i kveld kl. 19 på Flisa skole.</blockquote>' in preview
    assert messages_of(db, Purpose.BROADCAST) == []

    send = {**form, "preview": "", "send": "Send"}
    send |= {"previewed": hidden(preview, "previewed"), "token": hidden(preview, "token")}
    sent = client.post("/coordinator/messages", data=send)
    assert sent.status_code == 302
    assert "The message is on its way to 4 people." in client.get(sent.headers["Location"]).text
    planned = {m.person_id: m for m in messages_of(db, Purpose.BROADCAST)}
    assert set(planned) == {world.parent.id, world.leader.id, world.coordinator.id, mari.id}
    assert planned[mari.id].channel == Channel.EMAIL and planned[mari.id].email == "mari@example.no"
    assert planned[world.parent.id].channel == Channel.SMS
    assert planned[world.parent.id].body == "Natteravn: Årsmøte i kveld kl. 19 på Flisa skole."
    assert {m.region_id for m in planned.values()} == {world.region.id}
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "broadcast.sent"))
    assert (event.object_type, event.object_id, event.details["people"]) == ("municipality", world.asnes.id, 4)

    again = client.post("/coordinator/messages", data=send)
    assert again.status_code == 422 and "This message has been sent already." in again.text
    assert len(messages_of(db, Purpose.BROADCAST)) == 4


def test_sending_without_a_preview_previews_first(world, db, login, client):
    login(world.coordinator)
    form = {"to": f"region:{world.region.id}", "text": "Hei alle!", "send": "Send"}
    response = client.post("/coordinator/messages", data=form)
    assert response.status_code == 200 and "Before you send" in response.text
    assert messages_of(db, Purpose.BROADCAST) == []
    edited = {**form, "text": "Hei alle sammen!", "previewed": hidden(response.text, "previewed")}
    edited["token"] = hidden(response.text, "token")
    assert "Before you send" in client.post("/coordinator/messages", data=edited).text
    assert messages_of(db, Purpose.BROADCAST) == []


def test_a_message_to_tonights_night_is_news_about_tonight(stormy, db, clock, login, client):
    """It may go out in quiet hours and when the budget is spent, and is void once the night is over."""
    world = stormy
    night = world.night_on("Kirkenær", SATURDAY)
    clock.set(night.starts_at.replace(hour=12))
    login(world.coordinator)
    page = client.get(f"/coordinator/nights/{night.id}").text
    assert f"/coordinator/messages?to=night:{night.id}" in page
    form = {"to": f"night:{night.id}", "text": "Vi møtes ved kirken i stedet.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    assert "1 person: 1 by SMS, 0 by e-mail." in preview
    send = {**form, "preview": "", "send": "x", "previewed": hidden(preview, "previewed")}
    client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")})
    (message,) = messages_of(db, Purpose.BROADCAST)
    assert message.person_id == world.other_parent.id and message.shift_id == night.id
    assert message.urgent and message.expires_at == night.ends_at


def test_a_days_nights_reach_everyone_on_them_once(stormy, db, clock):
    world = stormy
    scope = world.coordinator.coordinator_scope
    saturday = broadcasts.audience(db, scope, broadcasts.Target(Kind.DAY, world.region.id, SATURDAY), clock())
    assert [person.name for person in saturday.people] == ["Kari Nordmann", "Ola Hansen"]
    assert saturday.region_id == world.region.id
    friday = broadcasts.audience(db, scope, broadcasts.Target(Kind.DAY, world.region.id, FRIDAY), clock())
    assert [person.name for person in friday.people] == ["Kari Nordmann", "Lise Leder"]  # the waitlist too
    gunn = factories.person(db, world.grue, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    theirs = broadcasts.audience(
        db, gunn.coordinator_scope, broadcasts.Target(Kind.DAY, world.region.id, SATURDAY), clock()
    )
    assert [person.name for person in theirs.people] == ["Ola Hansen"]


def test_the_coordinator_writes_to_everyone_on_saturdays_nights_at_once(stormy, db, clock, login, client):
    world = stormy
    login(world.coordinator)
    saturday = f"day:{world.region.id}:{SATURDAY.isoformat()}"
    page = client.get("/coordinator/messages").text
    assert f'value="{saturday}">Everyone on the nights of Saturday 28.11. in Solør' in page
    form = {"to": saturday, "text": "Vi avgjør kl. 16 om lørdagen går som planlagt.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    assert "2 people: 2 by SMS, 0 by e-mail." in preview
    send = {**form, "preview": "", "send": "x", "previewed": hidden(preview, "previewed")}
    assert client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")}).status_code == 302
    planned = messages_of(db, Purpose.BROADCAST)
    assert {m.person_id for m in planned} == {world.parent.id, world.other_parent.id}
    assert {m.region_id for m in planned} == {world.region.id} and not any(m.urgent for m in planned)
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "broadcast.sent"))
    assert (event.object_type, event.object_id, event.details["people"]) == ("region", world.region.id, 2)


def test_a_message_sent_in_the_quiet_hours_says_when_it_goes_out(world, db, clock, login, client):
    clock.set(datetime(2026, 11, 18, 21, 30, tzinfo=UTC))  # 22:30 in Oslo
    login(world.coordinator)
    form = {"to": f"municipality:{world.asnes.id}", "text": "Årsmøte i morgen.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    send = {**form, "preview": "", "send": "x", "previewed": hidden(preview, "previewed")}
    sent = client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")}, follow_redirects=True)
    assert "The messages go out at Thu 19 Nov 08:00, when the quiet hours end." in sent.text

    tonight = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, tonight, world.parent, clock())
    db.commit()
    clock.set(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))  # 22:30, the night begun: news about it goes at once
    form = {"to": f"night:{tonight.id}", "text": "Vi møtes ved kirken.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    send = {**form, "preview": "", "send": "x", "previewed": hidden(preview, "previewed")}
    sent = client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")}, follow_redirects=True)
    assert "The message is on its way to 1 person." in sent.text and "when the quiet hours end" not in sent.text


def test_the_preview_names_the_character_that_doubles_the_cost(world, login, client):
    login(world.coordinator)
    text = "Husk refleksvest – det er mørkt. " * 3
    preview = client.post(
        "/coordinator/messages", data={"to": f"municipality:{world.grue.id}", "text": text, "preview": "x"}
    ).text
    assert "“–” (U+2013) is not in the SMS alphabet" in preview
    assert "SMS per person (UCS-2)" in preview


def test_an_empty_or_overlong_message_is_refused(world, login, client):
    login(world.coordinator)
    empty = client.post("/coordinator/messages", data={"to": f"region:{world.region.id}", "text": " ", "preview": "x"})
    assert empty.status_code == 422 and "Write the message." in empty.text
    long = client.post(
        "/coordinator/messages", data={"to": f"region:{world.region.id}", "text": "a" * 441, "preview": "x"}
    )
    assert long.status_code == 422 and "Shorten this to 440 characters." in long.text


def test_a_municipalitys_coordinator_reaches_only_their_people(world, db, clock, login, client):
    gunn = factories.person(db, world.grue, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    scope = gunn.coordinator_scope
    target = broadcasts.Target(broadcasts.Kind.MUNICIPALITY, world.asnes.id)
    assert broadcasts.audience(db, scope, target, clock()) is None
    region = broadcasts.Target(broadcasts.Kind.REGION, world.region.id)
    assert broadcasts.audience(db, scope, region, clock()) is None
    kjellmyra = broadcasts.Target(broadcasts.Kind.NIGHT, world.night_on("Kjellmyra", FRIDAY).id)
    assert broadcasts.audience(db, scope, kjellmyra, clock()) is None
    own = broadcasts.audience(db, scope, broadcasts.Target(broadcasts.Kind.MUNICIPALITY, world.grue.id), clock())
    assert {person.name for person in own.people} == {"Ola Hansen", "Gunn Grue"}

    login(gunn)
    page = client.get("/coordinator/messages").text
    assert "Everyone in Grue" in page and "Everyone in Åsnes" not in page and "Everyone in Solør" not in page
    refused = client.post("/coordinator/messages", data={"to": str(target), "text": "Hei", "preview": "x"})
    assert refused.status_code == 422


def test_a_message_to_a_class_reaches_its_parents_wherever_they_live(world, db, clock, login, client):
    ninth = world.school_class
    world.parent.school_classes.append(ninth)
    world.other_parent.school_classes.append(ninth)  # lives in Grue, child at school in Åsnes
    gone = factories.person(db, world.asnes, "Per Passiv", clock())
    gone.school_classes.append(ninth)
    gone.active = False
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/messages").text
    assert f'value="class:{ninth.id}">Parents in Flisa skole 9A</option>' in page
    form = {"to": f"class:{ninth.id}", "text": "Foreldremøte for 9A tirsdag.", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    assert "2 people: 2 by SMS, 0 by e-mail." in preview
    send = {**form, "preview": "", "send": "Send", "previewed": hidden(preview, "previewed")}
    client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")})
    assert {m.person_id for m in messages_of(db, Purpose.BROADCAST)} == {world.parent.id, world.other_parent.id}
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "broadcast.sent"))
    assert (event.object_type, event.object_id) == ("school_class", ninth.id)


def test_a_municipalitys_coordinator_cannot_write_to_another_municipalitys_class(world, db, clock, login, client):
    gunn = factories.person(db, world.grue, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    flisa_9a = broadcasts.Target(broadcasts.Kind.SCHOOL_CLASS, world.school_class.id)
    assert broadcasts.audience(db, gunn.coordinator_scope, flisa_9a, clock()) is None
    login(gunn)
    assert "Flisa skole 9A" not in client.get("/coordinator/messages").text
    refused = client.post("/coordinator/messages", data={"to": str(flisa_9a), "text": "Hei", "preview": "x"})
    assert refused.status_code == 422
    missing = client.post("/coordinator/messages", data={"to": "class:9999", "text": "Hei", "preview": "x"})
    assert missing.status_code == 422
    assert messages_of(db, Purpose.BROADCAST) == []


@pytest.mark.parametrize(
    "value", ["", "night", "night:x", "planet:1", "region:-1", "day:1", "day:1:2026-13-01", "night:1:2026-11-28"]
)
def test_a_target_that_is_not_one_is_not_read(value):
    assert broadcasts.Target.parse(value) is None


# --- The people of a night just over, and an audience the form cannot offer. ---


@pytest.fixture
def walked(stormy, db, clock):
    """Saturday 28 November in Kirkenær walked by Ola, with Siri left on its waitlist; now it is
    Monday, and its report is missing."""
    night = stormy.night_on("Kirkenær", SATURDAY)
    (olas,) = night.signups
    olas.state = SignupState.ATTENDED
    factories.signup(db, night, stormy.coordinator, clock(), state=SignupState.WAITLISTED)
    db.commit()
    clock.set(night.ends_at + timedelta(days=2))
    return night


def test_a_night_just_over_is_written_to_those_who_held_a_place(stormy, walked, db, clock):
    scope = stormy.coordinator.coordinator_scope
    target = broadcasts.Target(broadcasts.Kind.NIGHT, walked.id)
    reached = broadcasts.audience(db, scope, target, clock())
    assert [person.name for person in reached.people] == ["Ola Hansen"]  # not the waitlist of a night gone by
    assert walked in broadcasts.targets(db, scope, clock()).past_nights
    assert walked not in broadcasts.targets(db, scope, clock()).nights

    clock.set(walked.ends_at + broadcasts.BEHIND)
    assert broadcasts.audience(db, scope, target, clock()) is None
    assert walked not in broadcasts.targets(db, scope, clock()).past_nights


def test_the_link_on_a_night_just_over_writes_to_its_people(stormy, walked, db, clock, login, client):
    login(stormy.coordinator)
    link = f"/coordinator/messages?to=night:{walked.id}"
    assert link in client.get(f"/coordinator/nights/{walked.id}").text
    page = client.get(link).text
    assert f'<option selected value="night:{walked.id}">Those on Kirkenær, Sat 28.11. 22:00</option>' in page
    assert '<optgroup label="Night just over">' in page
    assert "You cannot write to" not in page

    form = {"to": f"night:{walked.id}", "text": "Rapporten fra lørdag mangler. Kan du sende den i dag?", "preview": "x"}
    preview = client.post("/coordinator/messages", data=form).text
    assert "1 person: 1 by SMS, 0 by e-mail." in preview
    send = {**form, "preview": "", "send": "x", "previewed": hidden(preview, "previewed")}
    assert client.post("/coordinator/messages", data={**send, "token": hidden(preview, "token")}).status_code == 302
    (message,) = messages_of(db, Purpose.BROADCAST)
    # No longer news about a night to come: it keeps the quiet hours and is not void at the night's end.
    assert message.person_id == stormy.other_parent.id and message.region_id == stormy.region.id
    assert not message.urgent and message.expires_at is None and message.state == MessageState.PENDING


def test_a_night_the_form_cannot_offer_is_said_plainly_and_nothing_is_chosen(stormy, walked, db, clock, login, client):
    clock.set(walked.ends_at + broadcasts.BEHIND + timedelta(days=1))
    login(stormy.coordinator)
    assert "/coordinator/messages?to=" not in client.get(f"/coordinator/nights/{walked.id}").text
    page = client.get(f"/coordinator/messages?to=night:{walked.id}").text
    assert "You cannot write to the people of that night here" in page
    assert "Nothing is chosen: choose who gets the message." in page
    assert '<option value="">Choose who gets it…</option>' in page  # the first option: nobody
    assert "<option selected" not in page  # not the whole region in its place

    form = {"to": "", "text": "Rapporten mangler.", "preview": "x"}
    refused = client.post("/coordinator/messages", data=form)
    assert refused.status_code == 422 and "Choose who gets the message." in refused.text
    assert "Before you send" not in refused.text
    sent = client.post("/coordinator/messages", data={**form, "preview": "", "send": "x"})
    assert sent.status_code == 422 and messages_of(db, Purpose.BROADCAST) == []


def test_a_cancelled_night_or_an_audience_not_ones_own_is_not_chosen_either(stormy, db, clock, login, client):
    night = stormy.night_on("Kirkenær", SATURDAY)
    roster.cancel_nights(db, [night], "Storm", clock(), stormy.coordinator)
    db.commit()
    login(stormy.coordinator)
    cancelled = client.get(f"/coordinator/messages?to=night:{night.id}").text
    assert "You cannot write to the people of that night here" in cancelled and "<option selected" not in cancelled
    other = client.get("/coordinator/messages?to=region:9999").text
    assert "You cannot write to that audience here." in other and "<option selected" not in other
    plain = client.get("/coordinator/messages").text
    assert "You cannot write to" not in plain and "<option selected" not in plain


def test_the_message_form_offers_the_nights_to_the_end_of_the_term_under_way(world, db, clock, login, client):
    """A term that runs to June: its eve of 17 May is offered in November, though months ahead."""
    clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))  # the term is under way
    world.term.ends_on = date(2027, 6, 19)
    may_eve = factories.night(db, world.term, world.routes["Flisa sentrum"], date(2027, 5, 16))
    spring = Term(
        region=world.region,
        name="Sommar 2027",
        starts_on=date(2027, 6, 20),  # a term after this one: its nights are no nearer than eight weeks
        ends_on=date(2027, 8, 1),
        signup_opens_at=clock(),
        published_at=clock(),
    )
    later = factories.night(db, spring, world.routes["Flisa sentrum"], date(2027, 6, 25))
    db.commit()
    offered = broadcasts.targets(db, world.coordinator.coordinator_scope, clock()).nights
    assert may_eve in offered and later not in offered
    assert world.nights[-1] in offered  # and within eight weeks, as before

    login(world.coordinator)
    page = client.get("/coordinator/messages").text
    assert f'value="night:{may_eve.id}"' in page and f'value="night:{later.id}"' not in page


def test_the_week_before_a_term_begins_the_message_form_offers_all_its_nights(world, db, clock, login, client):
    """Between terms, the coordinator writes to the walkers of the term about to begin, to its end."""
    clock.set(datetime(2026, 11, 12, 9, 0, tzinfo=UTC))  # a week before the first night of 20 November
    world.term.ends_on = date(2027, 3, 31)
    march = factories.night(db, world.term, world.routes["Flisa sentrum"], date(2027, 3, 26))
    db.commit()
    assert march in broadcasts.targets(db, world.coordinator.coordinator_scope, clock()).nights
    login(world.coordinator)
    assert f'value="night:{march.id}"' in client.get("/coordinator/messages").text
