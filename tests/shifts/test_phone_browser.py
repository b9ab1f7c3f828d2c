"""A new parent's first evening with the service, on a 360 px phone in Bokmål, with JavaScript on and
off: the welcome form, their Friday in their own municipality in two taps, signing up, cancelling
after being told what that does, and the calendar subscription. And the demo's nights page is short
enough to scroll."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from natteravn.accounts.models import Person
from natteravn.demo import seed
from natteravn.i18n import translations
from natteravn.places.models import Registration
from natteravn.shifts.models import Signup, SignupState
from tests.accessibility import fits_the_screen, screens_tall
from tests.conftest import log_in_on

pytestmark = pytest.mark.browser

_ = translations("nb").gettext
NEWCOMER = "+4741234999"


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_a_new_parent_finds_their_friday_signs_up_cancels_and_subscribes(
    db, world, gateway, live_server, norwegian_phone
):
    phone = norwegian_phone
    world.region.registration = Registration.OPEN  # anyone who joins walks at once
    for route in world.routes.values():  # the night page's longest label, in Norwegian
        route.notes = "Ta med refleksvest. Ring 02800 ved behov."
    db.commit()
    log_in_on(phone, live_server, gateway, NEWCOMER)
    assert heading(phone) == _("Welcome to Natteravn")

    phone.get_by_role("button", name=_("Start walking")).click()  # everything left blank: one submit says it all
    summary = phone.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_count(4)
    for field in ("name", "municipality", "adult", "conduct"):
        expect(phone.locator(f"#{field}-error")).to_be_visible()
    assert _("Tick the box if you are 18 or older: night walkers are adults.") in summary.inner_text()
    assert fits_the_screen(phone)

    phone.get_by_label(_("Your name")).fill("Nora Nyhus")
    phone.get_by_label(_("Municipality")).select_option(label="Åsnes")
    phone.get_by_label(_("I am 18 years or older")).check()
    phone.get_by_label(_("I have read and accept the walkers' code of conduct")).check()
    phone.get_by_role("button", name=_("Start walking")).click()
    assert heading(phone) == _("Nights")

    phone.get_by_role("link", name="Åsnes", exact=True).click()  # tap one
    phone.get_by_role("link", name=_("Friday"), exact=True).click()  # tap two
    first_evening = phone.locator("section.weekend").first
    assert first_evening.locator("h3").first.inner_text() == "Fredag 20. november"
    rows = first_evening.locator("li.night")
    assert set(rows.locator(".municipality").all_inner_texts()) == {"Åsnes"}
    assert fits_the_screen(phone)

    rows.first.get_by_role("button").click()
    assert _("You are signed up. See you on the night!") in phone.locator(".flashes").inner_text()
    assert "refleksvest" in phone.locator(".route-notes").inner_text()
    assert fits_the_screen(phone)
    night_heading = heading(phone)

    phone.get_by_role("navigation", name=_("Main")).get_by_role("link", name=_("My nights")).click()
    phone.locator("ul.nights").first.get_by_role("link", name=_("Cancel my place")).click()
    assert heading(phone) == _("Cancel your place?")
    assert night_heading.split(",")[0] in phone.locator(".night-summary").inner_text()
    assert _("Your place is open for others to sign up for.") in phone.locator(".consequences").inner_text()
    phone.get_by_role("button", name=_("Yes, cancel my place")).click()
    assert heading(phone) == _("My nights")
    assert _("You are no longer on this night.") in phone.locator(".flashes").inner_text()

    phone.get_by_role("navigation", name=_("Main")).get_by_role("link", name=_("Profile")).click()
    subscribe = phone.get_by_role("link", name=_("Subscribe in my calendar"))
    address = subscribe.get_attribute("href")
    assert address.startswith("webcal://")
    feed = phone.request.get(live_server + urlsplit(address).path)  # what the phone's calendar fetches
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in feed.text()

    nora = db.scalar(select(Person).where(Person.phone == NEWCOMER))
    [signup] = db.scalars(select(Signup).where(Signup.person_id == nora.id)).all()
    db.commit()
    assert nora.onboarded and signup.state == SignupState.CANCELLED


def test_the_demo_nights_page_is_at_most_six_screens_tall(app, db, gateway, live_server, norwegian_phone):
    logins = seed(app)
    log_in_on(norwegian_phone, live_server, gateway, logins["parent"][1])
    assert heading(norwegian_phone) == _("Nights")
    assert norwegian_phone.locator("li.night").count() >= 24  # the next weekends of six routes
    assert screens_tall(norwegian_phone) <= 6
    assert fits_the_screen(norwegian_phone)
