"""A parent's night on a phone, in a real browser: log in with the code from the SMS, sign up,
and find the night under My nights; a first-time visitor's welcome; visible keyboard focus; and every
page checked by axe-core, with every link and control on a phone's pages big enough for a thumb."""

from __future__ import annotations

import re
from itertools import groupby

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from natteravn.accounts.models import Person
from natteravn.shifts.models import HOLDING, Signup
from tests import pages
from tests.accessibility import fits_the_screen, serious_findings, small_targets
from tests.conftest import PHONE, chromium, code_from, log_in_on

pytestmark = pytest.mark.browser


def log_in(page, live_server: str, gateway, typed_number: str, e164: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Mobile number").fill(typed_number)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code from the SMS").fill(code_from(gateway, e164))
    page.get_by_role("button", name="Log in").click()


FOCUSED = """() => {
    const element = document.activeElement, style = getComputedStyle(element), box = element.getBoundingClientRect();
    return {
        text: element.textContent.trim(),
        outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
        on_screen: box.left >= 0 && box.right <= window.innerWidth && box.top >= 0,
    };
}"""


def test_a_keyboard_user_sees_where_the_focus_is(live_server, phone):
    phone.goto(live_server + "/login")
    phone.keyboard.press("Tab")
    focused = phone.evaluate(FOCUSED)
    assert focused["text"] == "Skip to content" and focused["on_screen"]
    assert focused["outline"] >= 2


def test_a_parent_logs_in_signs_up_and_finds_the_night_under_my_nights(db, world, gateway, live_server, phone):
    world.parent.locale = "en"
    db.commit()

    log_in(phone, live_server, gateway, "912 34 567", world.parent.phone)  # written the Norwegian way, no +47
    assert phone.get_by_role("heading", level=1).inner_text() == "Nights"
    assert fits_the_screen(phone)

    phone.get_by_role("button", name=re.compile(r"^Sign up: Flisa sentrum")).first.click()
    assert "You are signed up" in phone.get_by_role("status").inner_text()  # a screen reader says it
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Flisa sentrum")
    assert fits_the_screen(phone)

    phone.get_by_role("navigation").get_by_role("link", name="My nights").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "My nights"
    coming_up = phone.locator("ul.nights").first
    assert "Flisa sentrum" in coming_up.inner_text()
    assert "Walker" in coming_up.inner_text()
    assert fits_the_screen(phone)

    signups = db.scalars(select(Signup).where(Signup.person_id == world.parent.id, Signup.state.in_(HOLDING))).all()
    db.commit()
    assert [s.shift.route.name for s in signups] == ["Flisa sentrum"]


def test_a_first_time_visitor_is_welcomed_and_then_sees_the_nights(db, world, gateway, clock, live_server, phone):
    log_in(phone, live_server, gateway, "+47 412 34 999", "+4741234999")
    assert phone.get_by_role("heading", level=1).inner_text() == "Welcome to Natteravn"
    expect(phone.get_by_role("heading", name="The walkers' code of conduct")).to_be_visible()
    assert fits_the_screen(phone)

    phone.get_by_label("Your name").fill("Nora Nyhus")
    phone.get_by_label("Municipality").select_option(label="Åsnes")
    phone.get_by_label("Language").select_option(label="English")
    phone.get_by_label("I have read and accept").check()
    phone.get_by_role("button", name="Start walking").click()
    assert "18 or older" in phone.locator(".error-summary").inner_text()  # the age box was left empty

    phone.get_by_label("I am 18 years or older").check()
    phone.get_by_label("I have read and accept").check()
    phone.get_by_role("button", name="Start walking").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Nights"
    assert "Flisa sentrum" in phone.locator("main").inner_text()

    newcomer = db.scalar(select(Person).where(Person.phone == "+4741234999"))
    db.commit()
    assert newcomer.name == "Nora Nyhus" and newcomer.municipality_id == world.asnes.id
    assert newcomer.conduct_accepted_at == clock() and newcomer.adult_confirmed_at == clock()


def test_switching_language_on_the_welcome_page_keeps_what_was_typed(db, world, gateway, live_server, phone):
    log_in(phone, live_server, gateway, "+47 412 34 999", "+4741234999")
    phone.get_by_label("Your name").fill("Nora Nyhus Bakke")
    phone.get_by_label("I am 18 years or older").check()
    phone.locator("main").get_by_role("button", name="Norsk nynorsk").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Velkomen til Natteravn"
    name = phone.locator("#name")
    expect(name).to_have_value("Nora Nyhus Bakke")
    expect(phone.locator("#adult")).to_be_checked()
    assert not phone.locator(".error-summary").count()  # nothing said about what is still missing

    name.press("Enter")  # sends the answers, not the first language button
    assert phone.locator("html").get_attribute("lang") == "nn"
    expect(phone.locator(".error-summary")).to_be_visible()  # the code of conduct is not accepted yet
    expect(phone.locator("#name")).to_have_value("Nora Nyhus Bakke")


def test_every_page_has_no_serious_accessibility_finding_and_a_phones_targets_are_big_enough(
    db, world, clock, links, gateway, live_server
):
    for person in (world.parent, world.other_parent, world.leader, world.coordinator):
        person.locale = "nb"
    every = pages.every_page(db, world, clock, links)
    problems = []
    with chromium(locale="nb-NO", **PHONE) as phone:
        # What a page loads besides itself (its style sheet, scripts, the tab's icon) is there.
        phone.on("response", lambda answer: _missing_part(answer, problems))
        for who, group in groupby(every, key=lambda page: page.who):
            phone.context.clear_cookies()
            _arrive_as(phone, who, world, live_server, gateway)
            for page in group:
                phone.goto(live_server + page.path)
                found = serious_findings(phone) + (small_targets(phone) if page.on_a_phone else [])
                problems.extend(f"{who} {page.path}: {finding}" for finding in found)
    assert not problems, "\n".join(problems)


def _missing_part(answer, problems: list[str]) -> None:
    if answer.status >= 400 and answer.request.resource_type != "document":
        problems.append(f"{answer.url}: {answer.status}")


def _arrive_as(phone, who: str, world, live_server: str, gateway) -> None:
    if who == pages.VISITOR:
        return
    if who == pages.ASKED_FOR_CODE:
        phone.goto(live_server + "/login")
        phone.locator("#phone").fill(pages.NEWCOMER_PHONE)
        phone.locator("main form [type=submit]").click()
        return
    number = pages.NEWCOMER_PHONE if who == pages.NEWCOMER else pages.person_for(world, who).phone
    log_in_on(phone, live_server, gateway, number)
