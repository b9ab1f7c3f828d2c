"""The SMS counter in a real browser: as the coordinator types a cancel reason, the page says how
long each message becomes and which character makes it twice as dear, before anything is sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import code_from

pytestmark = pytest.mark.browser


def test_typing_a_dash_in_a_cancel_reason_names_it_at_once(db, world, gateway, live_server, laptop):
    page = laptop
    night = world.nights[3]
    page.goto(live_server + "/login")
    page.get_by_label("Mobile number").fill(world.coordinator.phone)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code from the SMS").fill(code_from(gateway, world.coordinator.phone))
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server}/coordinator/nights/{night.id}")
    counter = page.locator("#reason-count")
    assert "1 SMS per person" in counter.inner_text()
    reason = page.get_by_label("Reason (sent to the people on the night)")
    reason.press_sequentially("Storm - vi tar det igjen neste helg, beklager")
    expect(counter).to_contain_text("The SMS: 98 characters, 1 SMS per person.")
    expect(counter).not_to_contain_text("not in the SMS alphabet")

    reason.fill("Storm – vi tar det igjen neste helg, beklager")
    expect(counter).to_contain_text("“–” (U+2013) is not in the SMS alphabet")
    expect(counter).to_contain_text("The SMS: 98 characters, 2 SMS per person.")
