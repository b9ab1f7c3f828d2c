"""A group leader files the night's report from the SMS link on a phone, in a real browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from natteravn.reports.models import IncidentCategory, ReportState, ShiftReport
from natteravn.shifts.models import SignupRole
from tests import factories

ENDS = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.browser


def test_a_leader_files_the_report_from_the_sms_link_on_a_phone(db, world, clock, links, live_server, phone):
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.leader.locale = "en"  # the steps below read the source texts
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    link = links.report(night.id, world.leader.id).removeprefix(links.base_url)

    phone.goto(live_server + link)
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Report: Flisa sentrum")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling

    phone.get_by_label("Walk started").fill("22:05")
    phone.get_by_label("Walk ended").fill("01:10")
    phone.get_by_label("Route and places visited").fill("Skysstasjonen, skolen")
    phone.get_by_label("Weather").fill("Regn")
    for band, count in {"Under 13": "0", "13–15": "12", "16–17": "0", "18 and over": "0"}.items():
        phone.get_by_label(band).fill(count)
    phone.get_by_label("General atmosphere").fill("Rolig")
    phone.get_by_label("Category").select_option("helped")
    phone.get_by_label("Police contacted").check()
    phone.get_by_label("What happened").fill("Fulgte en til bussen.")
    phone.get_by_role("button", name="Save and add this incident").click()
    assert "The incident is added" in phone.locator(".flashes").inner_text()
    assert phone.get_by_label("Weather").input_value() == "Regn"  # the draft came back from the server

    phone.get_by_role("button", name="Submit the report").click()
    assert "The report is submitted" in phone.locator(".flashes").inner_text()

    db.expire_all()
    report = db.scalar(
        select(ShiftReport).where(ShiftReport.shift_id == night.id).options(selectinload(ShiftReport.incidents))
    )
    db.commit()
    assert report.state == ReportState.SUBMITTED
    assert (report.youths_13_15, report.duration_minutes) == (12, 185)
    assert [(i.category, i.police_contacted) for i in report.incidents] == [(IncidentCategory.HELPED, True)]
