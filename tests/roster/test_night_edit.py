"""Changing a night's time tells its people: the coordinator is told beforehand who gets an SMS
and afterwards how many did. And a copied term's suggested name is a year on, across New Year too,
and one no term of the region has. Previewing the cancel message leaves the night's form as saved."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from natteravn.accounts.service import display_phone
from natteravn.clock import night_span
from natteravn.roster import service as roster
from natteravn.roster import terms
from natteravn.shifts import service as shifts
from natteravn.shifts.models import SignupRole
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories

FRIDAY = date(2026, 11, 27)
AT_22, AT_21 = night_span(FRIDAY, time(22, 0), time(1, 0)), night_span(FRIDAY, time(21, 0), time(0, 30))
AT_20 = night_span(FRIDAY, time(20, 0), time(23, 0))


def changes_to(db, signup, state=MessageState.PENDING) -> list[SmsMessage]:
    return list(
        db.scalars(
            select(SmsMessage)
            .where(
                SmsMessage.signup_id == signup.id,
                SmsMessage.purpose == Purpose.SHIFT_CHANGED,
                SmsMessage.state == state,
            )
            .order_by(SmsMessage.id)
        )
    )


@pytest.fixture
def walkers(world, db, clock, links):
    """Flisa sentrum on Friday at 22:00, with two walkers on it."""
    night = world.night_on("Flisa sentrum", FRIDAY)
    other = factories.person(db, world.asnes, "Per Andersen", clock())
    signups = [
        shifts.sign_up(db, person, night.id, SignupRole.WALKER, clock(), links) for person in (world.parent, other)
    ]
    db.commit()
    return night, signups


def move(db, world, night, span, clock, links):
    moved = roster.move_night(db, night, *span, clock(), links, world.coordinator)
    db.commit()
    return moved


def test_a_draft_nights_people_are_not_told(world, db, clock, links, walkers):
    night, _signups = walkers
    world.term.published_at = None
    assert roster.told_of_new_time(db, night) == 0
    assert move(db, world, night, AT_21, clock, links) == 0


def test_a_night_moved_back_before_anyone_was_told_tells_nobody(world, db, clock, links, walkers):
    night, [signup, _other] = walkers
    assert move(db, world, night, AT_21, clock, links) == 2  # held for the quiet hours, say
    assert move(db, world, night, AT_22, clock, links) == 0
    assert changes_to(db, signup) == []
    [withdrawn] = changes_to(db, signup, MessageState.CANCELLED)
    assert withdrawn.last_error == notes.NIGHT_MOVED_AGAIN.text()


def test_a_night_moved_twice_before_anyone_was_told_sends_one_message_from_the_time_they_knew(
    world, db, clock, links, walkers
):
    night, [signup, _other] = walkers
    move(db, world, night, AT_21, clock, links)
    assert move(db, world, night, AT_20, clock, links) == 2
    [news] = changes_to(db, signup)
    assert news.body.startswith("Natteravn: Flisa sentrum on 27.11 is moved to 27.11 at 20:00-23:00.")
    # Moved back to the time they were told: that message goes too, and nothing more is said.
    assert move(db, world, night, AT_22, clock, links) == 0
    assert changes_to(db, signup) == []


def test_a_move_they_were_told_of_is_followed_by_the_move_back(world, db, clock, links, walkers):
    night, [signup, _other] = walkers
    move(db, world, night, AT_21, clock, links)
    [told] = changes_to(db, signup)
    told.state = MessageState.SENT  # the other walker's is still held
    db.commit()
    assert move(db, world, night, AT_22, clock, links) == 1
    [back] = changes_to(db, signup)
    assert "is moved to 27.11 at 22:00-01:00" in back.body


def test_each_new_end_of_a_night_is_told(world, db, clock, links, walkers):
    night, [signup, _other] = walkers
    for hour in (2, 3):
        move(db, world, night, night_span(FRIDAY, time(22, 0), time(hour, 0)), clock, links)
        [told] = changes_to(db, signup)
        assert f"22:00-0{hour}:00" in told.body
        told.state = MessageState.SENT
        db.commit()


def test_the_night_page_says_who_gets_an_sms_and_the_flash_how_many_did(world, db, login, walkers):
    night, [signup, _other] = walkers
    client = login(world.coordinator)
    page = client.get(f"/coordinator/nights/{night.id}")
    assert "The 2 people on this night or its waitlist get an SMS when you change its date or time." in page.text
    assert "Changing the note or whether it needs a group leader sends no SMS." in page.text
    assert f'href="tel:{world.parent.phone}">{display_phone(world.parent.phone)}</a>' in page.text

    edit = {"day": "2026-11-27", "min_walkers": "2", "max_walkers": "5", "needs_leader": "y"}
    earlier = client.post(
        f"/coordinator/nights/{night.id}",
        data={**edit, "starts_local": "21:00", "ends_local": "00:30"},
        follow_redirects=True,
    )
    assert "Saved. 2 people get an SMS about the new time." in earlier.text
    db.expire_all()
    [news] = changes_to(db, signup)
    assert "21:00" in news.body


def test_a_draft_nights_page_says_nobody_gets_an_sms(world, db, login, walkers):
    night, _signups = walkers
    world.term.published_at = None
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/nights/{night.id}")
    assert "The term is not published yet: changing this night sends nobody an SMS." in page.text


def night_form_as_shown(page: str, night_id: int) -> dict[str, str]:
    """What the browser would send from the page's "Change the night" form: its fields as shown."""
    start = f'<form method="post" action="/coordinator/nights/{night_id}" novalidate>'
    form = re.search(re.escape(start) + "(.*?)</form>", page, re.S)
    sent = {}
    for tag in re.findall(r"<input [^>]*>", form.group(1)):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        sent[name.group(1)] = value.group(1) if value else ""
    sent["note"] = re.search(r"<textarea [^>]*>\s*(.*?)</textarea>", form.group(1), re.S).group(1)
    return sent


def test_previewing_the_cancel_message_leaves_the_nights_form_as_saved(world, db, login, walkers):
    night, _signups = walkers
    client = login(world.coordinator)
    assert night.needs_leader
    shown = night_form_as_shown(client.get(f"/coordinator/nights/{night.id}").text, night.id)
    assert shown["starts_local"] == "22:00" and shown["ends_local"] == "01:00" and shown["needs_leader"] == "y"

    preview = client.post(f"/coordinator/nights/{night.id}/cancel", data={"reason": "Storm", "preview": "x"})
    assert "What the people on the night get" in preview.text
    assert night_form_as_shown(preview.text, night.id) == shown

    # Having seen the message, the coordinator moves the night instead: nothing else changes.
    edited = {**shown, "starts_local": "21:00", "ends_local": "00:30"}
    saved = client.post(f"/coordinator/nights/{night.id}", data=edited, follow_redirects=True)
    assert "Saved. 2 people get an SMS about the new time." in saved.text
    db.expire_all()
    assert night.needs_leader and (night.starts_at, night.ends_at) == AT_21
    assert (night.min_walkers, night.max_walkers, night.cancelled_at) == (3, 6, None)


def test_a_refused_cancel_leaves_the_nights_form_as_saved(world, db, login, walkers):
    night, _signups = walkers
    client = login(world.coordinator)
    refused = client.post(f"/coordinator/nights/{night.id}/cancel", data={"reason": "", "submit": "x"})
    assert refused.status_code == 422
    shown = night_form_as_shown(refused.text, night.id)
    assert (shown["starts_local"], shown["ends_local"], shown["needs_leader"]) == ("22:00", "01:00", "y")


# --- A copied term's name. ---


@pytest.mark.parametrize(
    ("name", "a_year_on"),
    [
        ("Vinter 2026/27", "Vinter 2027/28"),
        ("Høst 2026", "Høst 2027"),
        ("Vinter 2026/2027", "Vinter 2027/2028"),
        ("Vinter 2026-27", "Vinter 2027-28"),
        ("Vinter 2098/99", "Vinter 2099/00"),
        ("Vinter 2099/00", "Vinter 2100/01"),
        ("Vår 2027, uke 2/3", "Vår 2028, uke 2/3"),
        ("Ekstra", "Ekstra"),
    ],
)
def test_a_copied_terms_name_moves_every_year_in_it_on_by_one(name, a_year_on):
    assert terms.named_a_year_on(name) == a_year_on


def _term_named(db, world, clock, name: str, starts_on: date) -> None:
    opens = datetime(starts_on.year, 1, 4, 10, 0, tzinfo=UTC)
    data = terms.TermInput(name, starts_on, starts_on + timedelta(days=60), opens)
    terms.create_term(db, world.region, data, clock(), world.coordinator)


def test_a_copy_is_never_suggested_a_name_the_region_has(world, db, clock):
    _term_named(db, world, clock, "høst 2027", date(2027, 1, 8))  # made by hand, written in small letters
    assert terms.suggested_copy(db, world.term).name == "Høst 2027 (2)"
    _term_named(db, world, clock, "Høst 2027 (2)", date(2027, 3, 12))
    assert terms.suggested_copy(db, world.term).name == "Høst 2027 (3)"


def test_a_copy_of_a_term_without_a_year_in_its_name_gets_the_new_terms_year(world, db, clock):
    world.term.name = "Ekstra"
    assert terms.suggested_copy(db, world.term).name == "Ekstra 2027"  # the copy starts 26 November 2027
    _term_named(db, world, clock, "Ekstra 2027", date(2027, 1, 8))
    assert terms.suggested_copy(db, world.term).name == "Ekstra 2027 (2)"


def test_the_copy_page_suggests_the_winter_a_year_on(world, db, login):
    world.term.name = "Vinter 2026/27"
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/copy")
    assert 'value="Vinter 2027/28"' in page.text


def test_the_copy_page_suggests_a_name_that_is_free(world, db, clock, client, login):
    _term_named(db, world, clock, "Høst 2027", date(2027, 1, 8))
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}/copy")
    assert 'value="Høst 2027 (2)"' in page.text
    form = {"name": "Høst 2027 (2)", "starts_on": "2027-11-26", "ends_on": "2027-12-25", "preview": "y"}
    preview = client.post(
        f"/coordinator/terms/{world.term.id}/copy", data={**form, "signup_opens_at": "2027-11-12T10:00"}
    )
    assert preview.status_code == 200 and "What the copy makes" in preview.text
