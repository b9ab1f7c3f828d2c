"""The administrator's pages on a 360 px phone with JavaScript off: set up a region and give it a
coordinator, every page fitting the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from natteravn.people import service as people
from tests import factories
from tests.conftest import chromium
from tests.test_browser import fits_the_screen, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_without_script():
    screen = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
    with chromium(**screen, java_script_enabled=False) as page:
        yield page


def test_an_administrator_sets_up_a_region_and_its_coordinator_on_a_phone(
    world, db, clock, gateway, live_server, phone_without_script
):
    page = phone_without_script
    admin = factories.person(db, world.asnes, "Anne Admin", clock())
    people.grant_admin(db, admin, None, clock())
    db.commit()
    log_in(page, live_server, gateway, admin.phone, admin.phone)

    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("link", name="Solør")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("link", name="Solør").click()
    expect(page.get_by_role("heading", name="Solør")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("link", name="Back to the regions").click()

    page.get_by_role("link", name="Set up a region").click()
    assert fits_the_screen(page)
    page.get_by_label("Name of the region").fill("Glåmdal")
    page.get_by_label("Short name").fill("Glåmdal")
    page.get_by_label("Municipalities, one per line").fill("Kongsvinger\nEidskog")
    page.get_by_role("button", name="Set up the region").click()
    assert "will not do" in page.locator("#slug-error").inner_text()
    assert fits_the_screen(page)
    page.get_by_label("Short name").fill("glamdal")
    page.get_by_role("button", name="Set up the region").click()
    assert "The region Glåmdal is set up." in page.locator(".flashes").inner_text()

    page.get_by_role("link", name="Add a coordinator to Glåmdal").click()
    assert fits_the_screen(page)
    page.get_by_label("Mobile number").fill("900 00 041")
    page.get_by_label("Name").fill("Kim Koordinator")
    page.get_by_label("Coordinator of").select_option(label="Eidskog")
    page.get_by_role("button", name="Make coordinator").click()
    assert "Kim Koordinator is now coordinator of Eidskog." in page.locator(".flashes").inner_text()
    expect(page.get_by_role("heading", name="Glåmdal")).to_be_visible()
    assert "Eidskog only" in page.locator("main").inner_text()
    assert fits_the_screen(page)

    page.get_by_role("button", name="Remove Kim Koordinator as coordinator of Eidskog").click()
    assert "Kim Koordinator is no longer coordinator of Eidskog." in page.locator(".flashes").inner_text()
