"""The coordinator's roster on a laptop, in a real browser: log in with the code from the SMS,
create a term, generate its nights, put a parent on a night from the grid, and publish."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, Term
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.accessibility import fits_the_screen
from tests.conftest import code_from, log_in_on

pytestmark = pytest.mark.browser


def test_a_coordinator_builds_and_publishes_a_term_in_the_browser(db, world, gateway, live_server, laptop):
    world.coordinator.locale = "en"
    db.commit()
    page = laptop

    page.goto(live_server + "/login")
    page.get_by_label("Mobile number").fill(world.coordinator.phone)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code from the SMS").fill(code_from(gateway, world.coordinator.phone))
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Coordinator").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    page.get_by_role("link", name="Terms and nights").click()
    page.get_by_role("link", name="New term").click()
    page.get_by_label("Name").fill("Vår 2027")
    page.get_by_label("First day").fill("2027-01-08")
    page.get_by_label("Last day").fill("2027-01-30")
    page.get_by_label("Sign-up opens").fill("2026-12-01T18:00")
    page.get_by_role("button", name="Save term").click()
    assert "Term created" in page.locator(".flashes").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Vår 2027"

    page.get_by_label("Starts (local time)").fill("22:00")
    page.get_by_label("Ends (local time", exact=False).fill("01:00")
    page.get_by_label("Dates to skip", exact=False).fill("15.1.2027")
    page.get_by_role("button", name="Save and generate nights").click()
    assert "28 nights made" in page.locator(".flashes").inner_text()  # 4 routes × (8 days less a holiday)

    page.get_by_role("link", name="Roster grid").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Roster grid: Vår 2027"
    first_cell = page.locator("a.cell").first
    assert "Empty" in first_cell.inner_text()
    first_cell.click()

    page.get_by_label("Find a person by name or phone number").fill("Kari")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Add Kari Nordmann").click()
    assert "Kari Nordmann is on the night" in page.locator(".flashes").inner_text()
    assert "Kari Nordmann" in page.get_by_role("table").inner_text()

    page.get_by_role("link", name="Back to the roster grid").click()
    assert re.search(r"1 of min 3 / max 6", page.locator("table.grid").inner_text())
    page.get_by_role("link", name="Term settings and publishing").click()
    page.get_by_role("link", name="Publish the roster").click()
    assert "1 person on the roster gets an SMS with their nights." in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="Publish the roster").click()
    assert "Published" in page.locator(".flashes").inner_text()
    assert "1 person on the roster gets an SMS" in page.locator(".flashes").inner_text()

    term = db.scalar(select(Term).where(Term.name == "Vår 2027"))
    assert term.published_at is not None
    assert db.scalar(select(func.count()).select_from(Shift).where(Shift.term_id == term.id)) == 28
    on_it = db.scalars(
        select(Signup).join(Signup.shift).where(Shift.term_id == term.id, Signup.state.in_(HOLDING))
    ).all()
    assert [s.person_id for s in on_it] == [world.parent.id]
    summary = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.ROSTER_PUBLISHED))
    db.commit()
    assert summary.to == world.parent.phone


def test_a_coordinator_checks_tonights_people_on_a_phone_without_the_page_scrolling_sideways(
    db, world, clock, gateway, live_server, phone
):
    night = world.nights[0]
    factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.coordinator.locale = "nb"  # Norwegian's longer words are what overflowed
    db.commit()
    log_in_on(phone, live_server, gateway, world.coordinator.phone)
    phone.goto(f"{live_server}/coordinator/nights/{night.id}")
    people = phone.get_by_role("table")
    assert "Kari Nordmann" in people.inner_text()
    assert fits_the_screen(phone)  # the table scrolls in its own box, reachable by keyboard
    assert people.locator("xpath=..").get_attribute("class") == "table-scroll"
