"""A group leader keeps the logbook and files the night's report from the SMS link on a phone, in a real browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from natteravn.i18n import translations
from natteravn.reports.models import IncidentCategory, ReportState, ShiftReport
from natteravn.shifts.models import Signup, SignupRole, SignupState
from tests import factories
from tests.accessibility import fits_the_screen
from tests.conftest import PHONE, chromium

ENDS = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.browser

_ = translations("nb").gettext


def test_a_leader_files_the_report_from_the_sms_link_on_a_phone(db, world, clock, links, live_server, norwegian_phone):
    """In Bokmål, with JavaScript on and off: the logbook's rows are ticked with a tap, and the report's
    sections fold open one by one; times are typed on the 24-hour clock."""
    phone = norwegian_phone
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    walker = factories.signup(db, night, world.parent, clock())
    world.leader.locale = "nb"
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    link = links.report(night.id, world.leader.id).removeprefix(links.base_url)

    phone.goto(live_server + link)
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Rapport: Flisa sentrum")
    assert fits_the_screen(phone)

    phone.get_by_role("button", name=_("Logbook: who walked tonight")).click()
    row = phone.locator("label.tick", has_text="Kari Nordmann")
    assert row.bounding_box()["height"] >= 44 and row.bounding_box()["width"] >= 300
    row.click()  # anywhere on the row
    phone.get_by_role("button", name=_("Go to the report")).click()  # saves the ticks first
    assert _("The logbook is saved.") in phone.locator(".flashes").inner_text()

    started = phone.get_by_label(_("Walk started"))
    assert started.get_attribute("type") == "text" and started.input_value() == "22:00"  # 24-hour, never 10:00 PM
    started.fill("22.05")  # the Norwegian way is understood
    phone.get_by_label(_("Walk ended")).fill("01:10")
    phone.get_by_label(_("Route and places visited")).fill("Skysstasjonen, skolen")
    phone.get_by_label(_("Weather")).fill("Regn")
    youths = phone.locator("details#youths")
    assert not youths.get_by_label("13–15").is_visible()  # folded until opened
    youths.locator("summary").click()
    for band, count in {_("Under 13"): "0", "13–15": "12", "16–17": "0", _("18 and over"): "0"}.items():
        youths.get_by_label(band).fill(count)  # every age band is answered, 0 included
    youths.get_by_label(_("General atmosphere")).fill("Rolig")
    incidents = phone.locator("details#incidents")
    incidents.locator("summary").click()
    incidents.get_by_label(_("Category")).select_option("helped")
    incidents.get_by_label(_("Police contacted")).check()
    incidents.get_by_label(_("What happened (no names, no descriptions of persons)")).fill("Fulgte en til bussen.")
    phone.get_by_role("button", name=_("Save and add this incident")).click()
    assert _("The incident is added and the report saved.") in phone.locator(".flashes").inner_text()
    assert phone.get_by_label(_("Weather")).input_value() == "Regn"  # the draft came back from the server
    assert phone.get_by_label(_("Walk started")).input_value() == "22:05"

    phone.get_by_role("button", name=_("Submit the report")).click()
    assert _("The report is submitted. Thank you for walking!") in phone.locator(".flashes").inner_text()

    db.expire_all()
    report = db.scalar(
        select(ShiftReport).where(ShiftReport.shift_id == night.id).options(selectinload(ShiftReport.incidents))
    )
    came = db.get(Signup, walker.id)
    db.commit()
    assert report.state == ReportState.SUBMITTED
    assert (report.youths_13_15, report.duration_minutes) == (12, 185)
    assert [(i.category, i.police_contacted) for i in report.incidents] == [(IncidentCategory.HELPED, True)]
    assert came.state == SignupState.ATTENDED


def a_leader_adds_an_incident(phone, db, world, clock, links, live_server):
    """The leader opens the night's report from the SMS link after the night and adds one incident."""
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.leader.locale = "nb"
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    phone.goto(live_server + links.report(night.id, world.leader.id).removeprefix(links.base_url))
    incidents = phone.locator("details#incidents")
    incidents.locator("summary").click()
    incidents.get_by_label(_("Category")).select_option("intoxication")
    incidents.get_by_label(_("What happened (no names, no descriptions of persons)")).fill("To beruste ved kiosken.")
    phone.get_by_role("button", name=_("Save and add this incident")).click()
    return night


def test_back_and_the_add_button_again_do_not_add_the_incident_twice(
    db, world, clock, links, live_server, norwegian_phone
):
    """The browser would fill the new-incident box again from its history; it is left empty."""
    phone = norwegian_phone
    night = a_leader_adds_an_incident(phone, db, world, clock, links, live_server)
    assert _("The incident is added and the report saved.") in phone.locator(".flashes").inner_text()

    phone.go_back()
    phone.locator("details#incidents summary").click()
    phone.get_by_role("button", name=_("Save and add this incident")).click()

    db.expire_all()
    report = db.scalar(
        select(ShiftReport).where(ShiftReport.shift_id == night.id).options(selectinload(ShiftReport.incidents))
    )
    db.commit()
    assert [i.description for i in report.incidents] == ["To beruste ved kiosken."]


def test_remove_asks_first_and_keep_leaves_the_incident(db, world, clock, links, live_server, norwegian_phone):
    """A mis-tap on Remove loses nothing: the report is saved, and the question's Keep leads back."""
    phone = norwegian_phone
    night = a_leader_adds_an_incident(phone, db, world, clock, links, live_server)

    # Still open from adding: the incidents, and the walk whose planned times the first save took.
    assert phone.locator("details#incidents").get_attribute("open") is not None
    phone.get_by_label(_("Weather")).fill("Sludd")  # typed, not saved yet
    remove = _("Remove") + " " + _("incident %(num)d") % {"num": 1}
    phone.get_by_role("button", name=remove).click()
    assert phone.get_by_role("heading", level=1).inner_text() == _("Remove incident %(num)d?") % {"num": 1}
    assert "To beruste ved kiosken." in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    phone.get_by_role("link", name=_("No, keep it")).click()
    assert phone.get_by_label(_("Weather")).input_value() == "Sludd"  # saved on the way to the question
    # Back at the incident itself: the browser opens its folded section for the link's #incident-….
    phone.get_by_role("button", name=remove).click()
    phone.get_by_role("button", name=_("Yes, remove it")).click()
    assert _("Incident %(num)d is removed from the report.") % {"num": 1} in phone.get_by_role("status").inner_text()

    db.expire_all()
    report = db.scalar(
        select(ShiftReport).where(ShiftReport.shift_id == night.id).options(selectinload(ShiftReport.incidents))
    )
    db.commit()
    assert (report.weather, report.incidents) == ("Sludd", [])


def test_text_typed_in_the_report_is_there_after_a_trip_to_the_logbook(
    db, world, clock, links, live_server, norwegian_phone
):
    """The report says nobody walked yet: the leader goes to the logbook mid-report, and back."""
    phone = norwegian_phone
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.leader.locale = "nb"
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    phone.goto(live_server + links.report(night.id, world.leader.id).removeprefix(links.base_url))

    phone.get_by_label(_("Route and places visited")).fill("Skysstasjonen, skolen")
    phone.get_by_label(_("Weather")).fill("Regn")
    phone.get_by_role("button", name=_("Logbook: who walked tonight")).click()
    phone.locator("label.tick", has_text="Lise").click()
    phone.get_by_role("button", name=_("Go to the report")).click()

    assert phone.get_by_label(_("Route and places visited")).input_value() == "Skysstasjonen, skolen"
    assert phone.get_by_label(_("Weather")).input_value() == "Regn"
    assert fits_the_screen(phone)


def test_leaving_the_report_with_unsaved_text_asks_first(db, world, clock, links, live_server):
    """With JavaScript, a link away from the page asks before typed text is left behind."""
    with chromium(locale="nb-NO", **PHONE) as phone:
        _asks_before_leaving(phone, db, world, clock, links, live_server)


def _asks_before_leaving(phone, db, world, clock, links, live_server):
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.leader.locale = "nb"
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    phone.goto(live_server + links.report(night.id, world.leader.id).removeprefix(links.base_url))
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    phone.on("dialog", stay)
    phone.get_by_label(_("Weather")).fill("Regn")
    phone.get_by_role("link", name="Natteravn").click()  # the link home, at the top of every page
    phone.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert phone.get_by_label(_("Weather")).input_value() == "Regn"

    phone.remove_listener("dialog", stay)
    phone.get_by_role("button", name=_("Save draft")).click()  # saved: leaving is fine now
    phone.get_by_role("link", name="Natteravn").click()
    phone.wait_for_timeout(300)
    assert asked == ["beforeunload"]
