"""The report pages for every role: the night's leader (from the SMS link and from My nights),
the region's coordinator, and everyone who must not see a report."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.reports import access, reminders
from natteravn.reports.models import IncidentCategory, ReportState, ShiftReport, WalkIn
from natteravn.shifts.models import Signup, SignupRole, SignupState
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.conftest import log_in

FRIDAY = date(2026, 11, 20)
STARTS = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
ENDS = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)

A_REPORT = {
    "started": "22:05",
    "ended": "01:10",
    "places_visited": "Skysstasjonen og skolen",
    "weather": "Regn",
    "youths_under_13": "0",
    "youths_13_15": "12",
    "youths_16_17": "5",
    "youths_18_plus": "0",
    "atmosphere": "Rolig",
}


@pytest.fixture
def night(world, db, clock):
    shift = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, shift, world.leader, clock(), role=SignupRole.LEADER)
    factories.signup(db, shift, world.parent, clock())
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    return shift


@pytest.fixture
def strangers(db, world, clock):
    """Everyone who must not read the night's report."""
    _region, _hamar, hamar_coordinator, _hamar_leader = factories.other_region(db, clock())
    other_leader = factories.person(db, world.grue, "Gunn Annenleder", clock(), leader=True)
    db.commit()
    return {"parent": world.parent, "other leader": other_leader, "other region's coordinator": hamar_coordinator}


@pytest.fixture
def login(client, gateway, db):
    """Forgets whoever was logged in first (as a new browser would): /login sends a logged-in
    visitor away. The person reads English, so the assertions below read the source texts."""

    def _login(person):
        db.execute(update(Person).where(Person.id == person.id).values(locale="en"))
        db.commit()
        client.delete_cookie("session")
        client.delete_cookie("remember_token")
        log_in(client, gateway, person.phone)
        return client

    return _login


def _report(db, shift_id: int) -> ShiftReport | None:
    """The report as the pages left it. The test's own transaction is ended before returning:
    SQLite would otherwise keep the app's next request waiting for the write lock."""
    db.rollback()
    db.expire_all()
    report = db.scalar(
        select(ShiftReport).where(ShiftReport.shift_id == shift_id).options(selectinload(ShiftReport.incidents))
    )
    db.commit()
    return report


def _attendance(db, shift_id: int) -> dict[int, SignupState]:
    db.rollback()
    db.expire_all()
    states = dict(db.execute(select(Signup.person_id, Signup.state).where(Signup.shift_id == shift_id)).all())
    db.commit()
    return states


def _file(client, night, **extra):
    return client.post(f"/nights/{night.id}/report", data={**A_REPORT, **extra})


def _section(page: str, section: str) -> str:
    """One folding section of the report's page, from its <details> tag to its end."""
    start = page.index(f'<details class="section" id="{section}"')
    return page[start : page.index("</details>", start)]


def _is_open(page: str, section: str) -> bool:
    return _section(page, section).split(">", 1)[0].endswith(" open")


# The leader ------------------------------------------------------------------------------------


def test_the_sms_link_logs_the_leader_into_the_nights_report(client, db, world, night, links):
    world.leader.locale = "en"
    db.commit()
    response = client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/nights/{night.id}/report")
    page = client.get(f"/nights/{night.id}/report")
    assert page.status_code == 200
    assert "no names, no phone numbers, no descriptions of persons" in page.text


def test_an_altered_or_expired_link_does_not_log_in(client, world, night, links, clock):
    link = links.report(night.id, world.leader.id).removeprefix("http://natteravn.test")
    assert client.get(f"{link[:-2]}xx").status_code == 404
    clock.set(night.ends_at + access.REPORT_LINK_VALID_AFTER + timedelta(minutes=1))  # past the last reminder's week
    response = client.get(link)
    assert response.status_code == 404 and "The link no longer works" in response.text
    assert client.get(f"/nights/{night.id}/report").status_code == 302  # still not logged in


def test_the_link_in_the_last_reminder_opens_the_report(client, db, world, night, links, clock):
    clock.set(ENDS + reminders.MISSING_AFTER + reminders.REMIND_WITHIN - timedelta(minutes=1))
    reminders.remind_missing_reports(db, clock(), links)
    db.commit()
    message = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.REPORT_REQUEST))
    link = re.search(r"/r/\S+", message.body).group()
    clock.set(message.expires_at + timedelta(days=6))  # went out as late as it may, read days later
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/nights/{night.id}/report")
    assert client.get(f"/nights/{night.id}/report").status_code == 200


def test_an_expired_link_says_so_in_the_leaders_language_not_the_browsers(client, db, world, night, links, clock):
    world.leader.locale = "nn"
    db.commit()
    link = links.report(night.id, world.leader.id).removeprefix("http://natteravn.test")
    clock.set(night.ends_at + access.REPORT_LINK_VALID_AFTER + timedelta(minutes=1))
    response = client.get(link, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert '<html lang="nn"' in response.text and "Lenkja verkar ikkje lenger" in response.text
    # A link we did not make names nobody: the browser's language.
    assert "The link no longer works" in client.get(f"{link[:-2]}xx", headers={"Accept-Language": "en"}).text


def test_an_opened_link_shows_the_report_in_the_leaders_language_not_the_browsers(client, db, world, night, links):
    world.leader.locale = "nn"
    db.commit()
    english = {"Accept-Language": "en"}
    client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"), headers=english)
    page = client.get(f"/nights/{night.id}/report", headers=english)
    assert page.status_code == 200 and '<html lang="nn"' in page.text


def test_a_link_opened_before_the_night_says_when_the_report_opens(client, world, night, links, clock):
    clock.set(night.starts_at - timedelta(days=1))
    opened = client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"))
    assert opened.status_code == 302
    page = client.get(f"/nights/{night.id}/report")
    assert page.status_code == 403 and "open half an hour before the night starts" in page.text


def test_a_link_made_for_someone_who_does_not_lead_the_night_does_not_log_in(client, world, night, links):
    response = client.get(links.report(night.id, world.parent.id).removeprefix("http://natteravn.test"))
    assert response.status_code == 404


def test_my_nights_links_a_leader_to_the_report(login, client, world, night):
    login(world.leader)
    assert f"/nights/{night.id}/report" in client.get("/my").text
    login(world.parent)
    assert f"/nights/{night.id}/report" not in client.get("/my").text


def test_my_nights_tells_a_leader_whether_each_nights_report_is_sent_started_or_missing(
    login, client, db, world, walked, night
):
    login(world.leader)
    past = client.get("/my").text.split("Earlier", 1)[1]
    assert "Report missing" in past and f'href="/nights/{night.id}/report"' in past and ">Write the report</a>" in past
    _file(client, night, save="x")
    assert "Report started, not sent yet" in client.get("/my").text
    _file(client, night, submit_report="x")
    past = client.get("/my").text.split("Earlier", 1)[1]
    assert "Report sent" in past and "Report missing" not in past and ">Logbook and report</a>" in past
    login(world.parent)  # walked the night, but did not lead it
    assert "Report sent" not in client.get("/my").text


def test_a_leaders_reports_are_found_by_night_and_only_for_the_nights_they_lead(db, world, night, clock):
    other = world.night_on("Flisa sentrum", FRIDAY + timedelta(days=1))
    factories.signup(db, other, world.parent, clock(), role=SignupRole.LEADER)
    for shift, state in ((night, ReportState.DRAFT), (other, ReportState.SUBMITTED)):
        db.add(
            ShiftReport(
                shift=shift,
                region_id=world.region.id,
                municipality_id=shift.route.municipality_id,
                route_id=shift.route_id,
                night_on=FRIDAY,
                state=state,
                created_at=clock(),
                updated_at=clock(),
            )
        )
    db.commit()
    assert access.led_nights_reports(db, world.leader.id) == {night.id: ReportState.DRAFT}
    assert access.led_nights_reports(db, world.parent.id) == {other.id: ReportState.SUBMITTED}


def test_the_leader_saves_a_draft_then_submits(login, client, db, world, walked, night):
    login(world.leader)
    assert _file(client, night, save="x").status_code == 302
    report = _report(db, night.id)
    assert (report.state, report.youths_13_15, report.weather) == (ReportState.DRAFT, 12, "Regn")
    assert _file(client, night, submit_report="x").status_code == 302
    report = _report(db, night.id)
    assert report.state == ReportState.SUBMITTED
    assert "Submitted" in client.get(f"/nights/{night.id}/report").text


def test_after_submitting_the_leader_lands_at_the_top_with_the_thanks(login, client, world, walked, night):
    login(world.leader)
    submitted = _file(client, night, youths_16_17="7", submit_report="x")  # typed in the youths, then submitted
    assert submitted.headers["Location"] == f"/nights/{night.id}/report"  # no #youths to scroll down to
    page = client.get(submitted.headers["Location"]).text
    assert "The report is submitted. Thank you for walking!" in page and "Submitted" in page
    # Not "come back and go on later", as to a draft: a change now is a correction.
    assert "You can come back and go on later." not in page
    assert "What you change here is saved as a correction of it." in page


def test_the_planned_times_are_filled_in_for_a_new_report(login, client, world, night):
    login(world.leader)
    page = client.get(f"/nights/{night.id}/report").text
    assert 'value="22:00"' in page and 'value="01:00"' in page


def test_the_way_to_the_logbook_saves_what_was_typed_in_the_report_and_back_finds_it(login, client, db, world, night):
    """The leader reads "0 walked" mid-report and goes to the logbook: nothing typed is lost."""
    login(world.leader)
    page = client.get(f"/nights/{night.id}/report").text
    assert 'form="report" name="to_logbook"' in page  # a button of the report's form, no JavaScript needed
    assert f'href="/nights/{night.id}/logbook"' not in page  # no link that leaves the text behind
    typed = {"started": "22:00", "ended": "01:00", "places_visited": "Skysstasjonen", "weather": "Regn"}
    gone = client.post(f"/nights/{night.id}/report", data={**typed, "to_logbook": "y"})
    assert gone.status_code == 302 and gone.location == f"/nights/{night.id}/logbook"
    assert "What you typed in the report is saved." in client.get(gone.location).text
    report = _report(db, night.id)
    assert (report.state, report.places_visited, report.weather) == (ReportState.DRAFT, "Skysstasjonen", "Regn")

    lise = next(s for s in night.signups if s.person_id == world.leader.id).id
    back = client.post(f"/nights/{night.id}/logbook", data={"present": [str(lise)], "to_report": "x"})
    page = client.get(back.location).text
    assert "Skysstasjonen</textarea>" in page and 'value="Regn"' in page
    assert "(1 walked)" in page


def test_an_incident_typed_before_going_to_the_logbook_is_added_on_the_way(login, client, db, world, night):
    login(world.leader)
    incident = {"category": "intoxication", "description": "To beruste ved kiosken."}
    gone = client.post(f"/nights/{night.id}/report", data={**A_REPORT, **incident, "to_logbook": "y"})
    assert gone.location == f"/nights/{night.id}/logbook"
    assert [i.description for i in _report(db, night.id).incidents] == ["To beruste ved kiosken."]


def test_passing_through_a_report_not_started_to_the_logbook_starts_no_draft(login, client, db, world, night):
    login(world.leader)
    planned = {"started": "22:00", "ended": "01:00", "places_visited": "", "weather": ""}
    gone = client.post(f"/nights/{night.id}/report", data={**planned, "to_logbook": "y"})
    assert gone.location == f"/nights/{night.id}/logbook"
    assert _report(db, night.id) is None
    assert "Not started." in client.get(f"/nights/{night.id}/report").text


def test_a_time_typed_wrong_keeps_the_leader_on_the_report_with_the_rest_saved(login, client, db, world, night):
    """Going on to the logbook would lose the time typed wrong: the page says so instead."""
    login(world.leader)
    response = client.post(
        f"/nights/{night.id}/report", data={"started": "25:99", "ended": "01:00", "weather": "Regn", "to_logbook": "y"}
    )
    assert response.status_code == 422
    assert "The rest is saved; the fields marked below are not" in response.text
    assert "data-unsaved" in response.text  # the browser asks before leaving what is not saved
    assert _report(db, night.id).weather == "Regn"


def test_past_the_correction_window_the_logbook_is_a_link_again(login, client, db, world, walked, night, clock):
    """The logbook can no longer be changed then, and a late save would go to the coordinator as a correction."""
    login(world.leader)
    _file(client, night, submit_report="x")
    clock.advance(hours=49)
    page = client.get(f"/nights/{night.id}/report").text
    assert f'href="/nights/{night.id}/logbook"' in page and 'name="to_logbook"' not in page


def test_adding_an_incident_saves_the_whole_draft_too(login, client, db, world, night):
    login(world.leader)
    response = _file(
        client,
        night,
        add_incident="x",
        category="violence",
        around="23:40",
        place="Skysstasjonen",
        police_contacted="y",
        description="Avtalt slåsskamp, politiet kom.",
    )
    assert response.status_code == 302
    report = _report(db, night.id)
    assert report.weather == "Regn"
    [incident] = report.incidents
    assert (incident.category, incident.police_contacted, incident.child_welfare_contacted) == (
        IncidentCategory.VIOLENCE,
        True,
        False,
    )


def test_an_incident_sent_twice_from_one_form_is_added_once_and_typed_again_twice(login, client, db, world, night):
    login(world.leader)
    incident = {"add_incident": "x", "category": "intoxication", "place": "Parken"}
    form = _entry(client, night)
    assert _file(client, night, **incident, entry=form).status_code == 302
    again = _file(client, night, **incident, entry=form)  # Back, and the button again; or a second tap
    assert again.status_code == 302
    assert "That incident is in the report already" in client.get(again.location).text
    assert len(_report(db, night.id).incidents) == 1
    # A second youth as drunk in the same park, typed into the next form: asked, then two incidents.
    next_form = _entry(client, night)
    asked = _file(client, night, **incident, entry=next_form)
    assert asked.status_code == 422 and len(_report(db, night.id).incidents) == 1
    added = _file(client, night, **{**incident, "add_incident": "", "add_again": "x"}, entry=next_form)
    assert added.status_code == 302 and added.location.endswith("#incidents")
    assert [i.place for i in _report(db, night.id).incidents] == ["Parken", "Parken"]


def test_incident_fields_the_browser_fills_again_on_back_are_kept_and_not_added_twice(login, client, db, world, night):
    """The fields are restored by the browser (no autocomplete="off"); the page it restores them into
    has a new form, so what reads as an incident already added is asked about beside the add button."""
    login(world.leader)
    page = client.get(f"/nights/{night.id}/report").text
    assert 'autocomplete="off"' not in _section(page, "incidents")
    incident = {"category": "violence", "around": "00.15", "place": "Flisa bru", "police_contacted": "y"}
    incident["description"] = "Slåsskamp ved brua."
    assert _file(client, night, **incident, add_incident="x", entry=_entry(client, night)).status_code == 302
    restored = _file(client, night, **incident, save="x", entry=_entry(client, night))  # Back, Forward, Save
    assert restored.status_code == 422 and len(_report(db, night.id).incidents) == 1
    beside = _section(restored.text, "incidents")
    assert "This reads the same as incident 1, already in the report, so it is not added again." in beside
    assert 'name="add_again" type="submit" value="Add it as another incident"' in beside
    assert 'value="Flisa bru"' in beside  # nothing typed is lost
    submitted = _file(client, night, **incident, submit_report="x", entry=_entry(client, night))
    assert submitted.status_code == 422 and _report(db, night.id).state == ReportState.DRAFT
    assert "The incident typed reads the same as incident 1" in submitted.text
    emptied = _file(client, night, save="x", entry=_entry(client, night))
    assert emptied.status_code == 302 and len(_report(db, night.id).incidents) == 1


def _entry(client, night) -> str:
    """The new incident's form as the page shows it."""
    page = client.get(f"/nights/{night.id}/report").text
    return re.search(r'name="entry" type="hidden" value="([^"]+)"', page).group(1)


def test_an_incident_without_a_category_is_kept_and_waits_for_one(login, client, db, world, walked, night):
    login(world.leader)
    response = client.post(
        f"/nights/{night.id}/report", data={**A_REPORT, "add_incident": "x", "description": "Noe skjedde"}
    )
    assert response.status_code == 302
    report = _report(db, night.id)
    assert report.weather == "Regn" and [(i.category, i.description) for i in report.incidents] == [
        (None, "Noe skjedde")
    ]
    page = client.get(f"/nights/{night.id}/report")
    assert "choose one before you submit" in page.text
    refused = _file(client, night, submit_report="x")
    assert refused.status_code == 422
    assert _report(db, night.id).state == ReportState.DRAFT  # submitted only once it has its category
    assert _is_open(refused.text, "incidents")
    assert "Choose a category for every incident before submitting." in _section(refused.text, "incidents")


def test_a_bad_number_is_marked_and_the_rest_is_saved(login, client, db, world, night):
    login(world.leader)
    response = _file(client, night, save="x", youths_13_15="mange")
    assert response.status_code == 422
    assert "The rest is saved; the fields marked below are not" in response.text
    report = _report(db, night.id)
    # The count typed wrong is not given (yet); the rest is kept.
    assert (report.youths_13_15, report.youths_16_17, report.places_visited) == (None, 5, "Skysstasjonen og skolen")


def test_a_text_too_long_to_take_leaves_what_the_submitted_report_says_and_comes_back_to_be_shortened(
    login, client, db, world, walked, night
):
    login(world.leader)
    _file(client, night, submit_report="x")
    pasted = "Rolig kveld. " * 2000  # 26,000 characters
    response = _file(client, night, save="x", atmosphere=pasted, weather="Sludd")
    assert response.status_code == 422
    assert "Shorten this to 20000 characters" in response.text
    assert pasted.strip() in response.text  # still in the box, to be shortened
    report = _report(db, night.id)
    assert (report.state, report.atmosphere, report.weather) == (ReportState.SUBMITTED, "Rolig", "Sludd")


def test_an_emptied_text_is_saved_empty(login, client, db, world, night):
    login(world.leader)
    _file(client, night, save="x")
    assert _file(client, night, save="x", atmosphere="").status_code == 302
    assert _report(db, night.id).atmosphere == ""


def test_a_count_that_is_no_number_gets_one_message_in_the_forms_own_words(login, client, db, world, night):
    login(world.leader)
    response = _file(client, night, save="x", youths_16_17="1e9")
    assert response.status_code == 422
    assert response.text.count("Write a number, 0 or more.") == 1
    assert "Not a valid integer value" not in response.text


def test_an_incident_typed_but_not_added_is_not_lost_by_saving(login, client, db, world, walked, night):
    login(world.leader)
    assert _file(client, night, save="x", category="drugs", description="Fant sprøyter").status_code == 302
    assert [i.description for i in _report(db, night.id).incidents] == ["Fant sprøyter"]
    response = _file(client, night, submit_report="x", description="Uten kategori")
    assert response.status_code == 422  # the page says why it was not submitted
    report = _report(db, night.id)
    assert [i.description for i in report.incidents] == ["Fant sprøyter", "Uten kategori"]
    assert report.state == ReportState.DRAFT  # not submitted while an incident has no category


def test_an_incident_can_be_removed_and_changed_from_the_report(login, client, db, world, night):
    login(world.leader)
    _file(client, night, add_incident="x", category="drugs")
    incident = _report(db, night.id).incidents[0]
    response = _file(client, night, edit_incident=str(incident.id))
    assert response.headers["Location"].endswith(f"/report/incidents/{incident.id}")
    client.post(
        f"/nights/{night.id}/report/incidents/{incident.id}", data={"category": "helped", "description": "Fulgte hjem"}
    )
    assert _report(db, night.id).incidents[0].category == IncidentCategory.HELPED
    asked = _file(client, night, remove_incident=str(incident.id))
    assert asked.headers["Location"].endswith(f"/report/incidents/{incident.id}/remove")
    assert client.post(asked.location, data={"remove": "x"}).status_code == 302
    assert _report(db, night.id).incidents == []


def _two_incidents(client, db, night) -> list[int]:
    _file(client, night, add_incident="x", category="drugs", description="Fant sprøyter i parken")
    _file(client, night, add_incident="x", category="helped", description="Fulgte en til bussen")
    return [i.id for i in _report(db, night.id).incidents]


def test_remove_saves_the_page_and_asks_before_the_incident_goes(login, client, db, world, walked, night):
    login(world.leader)
    _first, second = _two_incidents(client, db, night)
    # A tap on Remove with other changes not yet saved, and a new incident typed but not added.
    asked = _file(client, night, remove_incident=str(second), weather="Sludd", category="other", place="Torget")
    assert asked.status_code == 302 and asked.location.endswith(f"/report/incidents/{second}/remove")
    report = _report(db, night.id)
    assert report.weather == "Sludd"  # saved on the way to the question
    assert [i.description for i in report.incidents] == ["Fant sprøyter i parken", "Fulgte en til bussen", ""]
    question = client.get(asked.location)
    assert question.status_code == 200
    assert "<h1>Remove incident 2?</h1>" in question.text and "Fulgte en til bussen" in question.text
    assert "Yes, remove it" in question.text
    assert f'href="/nights/{night.id}/report?open=incidents#incident-{second}">No, keep it</a>' in question.text
    assert len(_report(db, night.id).incidents) == 3  # asking takes nothing out

    removed = client.post(asked.location, data={"remove": "x"})
    assert removed.status_code == 302
    assert "Incident 2 is removed from the report." in client.get(removed.location).text
    assert [i.description for i in _report(db, night.id).incidents] == ["Fant sprøyter i parken", ""]
    again = client.post(asked.location, data={"remove": "x"})  # a second tap
    assert again.status_code == 302
    assert "That incident is not in the report any more." in client.get(again.location).text
    assert len(_report(db, night.id).incidents) == 2


def test_the_question_says_the_earlier_versions_keep_the_incident_until_the_text_is_erased(
    app, login, client, db, world, night
):
    login(world.leader)
    first, _second = _two_incidents(client, db, night)
    question = html.unescape(client.get(f"/nights/{night.id}/report/incidents/{first}/remove").text)
    assert "earlier versions keep it, without anything that may identify someone" in question
    assert "erased 12 months after the night" in question
    app.config["REPORT_RETENTION_MONTHS_BY_REGION"] = {world.region.slug: 3}
    question = html.unescape(client.get(f"/nights/{night.id}/report/incidents/{first}/remove").text)
    assert "erased 3 months after the night" in question


def test_removing_an_incident_needs_the_forms_csrf_token(app, login, client, db, world, night):
    login(world.leader)
    [first, _second] = _two_incidents(client, db, night)
    app.config["WTF_CSRF_ENABLED"] = True
    question = client.get(f"/nights/{night.id}/report/incidents/{first}/remove")
    assert client.post(question.request.path, data={"remove": "x"}).status_code == 400
    assert len(_report(db, night.id).incidents) == 2
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', question.text).group(1)
    assert client.post(question.request.path, data={"remove": "x", "csrf_token": token}).status_code == 302
    assert len(_report(db, night.id).incidents) == 1


def test_after_48_hours_the_leader_is_not_offered_to_remove_an_incident(login, client, db, world, walked, night, clock):
    login(world.leader)
    [first, _second] = _two_incidents(client, db, night)
    _file(client, night, submit_report="x")
    clock.advance(hours=49)
    page = client.get(f"/nights/{night.id}/report").text
    assert "Fant sprøyter i parken" in page and 'name="remove_incident"' not in page
    for ask in (client.get, client.post):
        refused = ask(f"/nights/{night.id}/report/incidents/{first}/remove", data={"remove": "x"})
        assert refused.status_code == 302
        assert "The 48 hours for corrections have passed" in client.get(refused.location).text
    assert len(_report(db, night.id).incidents) == 2


def test_after_48_hours_a_correction_is_kept_for_the_coordinator_to_take_in(
    login, client, db, world, walked, night, clock
):
    login(world.leader)
    _file(client, night, submit_report="x")
    clock.advance(hours=49)
    page = client.get(f"/nights/{night.id}/report")
    assert page.status_code == 200
    assert "The 48 hours for corrections have passed" in page.text
    response = _file(client, night, weather="Snø")
    assert response.status_code == 302
    assert _report(db, night.id).weather == "Regn"  # the report itself is as submitted
    report_id = _report(db, night.id).id
    client.post("/logout")
    login(world.coordinator)
    shown = client.get(f"/coordinator/reports/{report_id}")
    assert "A late correction waits for you" in shown.text and "Snø" in shown.text
    assert client.post(f"/coordinator/reports/{report_id}/request", data={"accept": "1"}).status_code == 302
    assert _report(db, night.id).weather == "Snø"
    assert "A late correction waits for you" not in client.get(f"/coordinator/reports/{report_id}").text


def test_the_logbook_is_closed_until_half_an_hour_before_the_night(login, client, world, night, clock):
    clock.set(STARTS - timedelta(minutes=45))
    login(world.leader)
    response = client.get(f"/nights/{night.id}/logbook")
    assert response.status_code == 403
    assert "open half an hour before the night starts" in response.text
    assert "They open" in client.get(f"/nights/{night.id}").text


def test_the_leader_finds_the_logbook_on_the_nights_page_as_the_walkers_gather(login, client, world, night, clock):
    clock.set(STARTS - timedelta(minutes=10))
    login(world.leader)
    page = client.get(f"/nights/{night.id}").text
    assert f'href="/nights/{night.id}/logbook"' in page
    assert "tell your group leader" not in page  # the leader is the group leader
    assert client.get(f"/nights/{night.id}/logbook").status_code == 200


def test_the_leader_calls_someone_not_here_yet_from_the_logbook(login, client, world, night, clock):
    clock.set(STARTS - timedelta(minutes=10))
    login(world.leader)
    page = client.get(f"/nights/{night.id}/logbook").text
    assert f'<a class="call" href="tel:{world.parent.phone}">Call Kari</a>' in page
    assert f'href="tel:{world.leader.phone}"' not in page  # not oneself
    clock.set(STARTS + timedelta(days=1))  # the morning after: nobody to call any more
    assert 'class="call"' not in client.get(f"/nights/{night.id}/logbook").text


def test_the_leader_has_the_routes_notes_at_hand_in_the_logbook(login, client, db, world, night, clock):
    night.route.notes = "Nøkkelen til skapet med vestene henger i resepsjonen."
    db.commit()
    clock.set(STARTS)
    login(world.leader)
    page = client.get(f"/nights/{night.id}/logbook").text
    assert "Notes for the walkers: Nøkkelen til skapet med vestene henger i resepsjonen." in page
    assert "Nøkkelen til skapet" in client.get(f"/nights/{night.id}").text


def test_the_leader_ticks_who_came_and_adds_a_walk_in(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    page = client.get(f"/nights/{night.id}/logbook")
    assert page.status_code == 200 and "Kari Nordmann" in page.text
    leader_line = next(s for s in night.signups if s.person_id == world.leader.id).id
    db.commit()
    response = client.post(f"/nights/{night.id}/logbook", data={"present": [str(leader_line)], "save": "x"})
    assert response.status_code == 302
    assert _attendance(db, night.id) == {world.leader.id: SignupState.ATTENDED, world.parent.id: SignupState.NO_SHOW}
    response = client.post(
        f"/nights/{night.id}/logbook/walk-in",
        data={"walkin-phone": "922 33 444", "walkin-name": "Nina Ny", "walkin-adult": "y", "walkin-add": "x"},
    )
    assert response.status_code == 302
    assert len(_attendance(db, night.id)) == 2  # a number nobody in the region has: kept by first name
    assert "Also walked: Nina" in client.get(f"/nights/{night.id}/logbook").text
    refused = client.post(
        f"/nights/{night.id}/logbook/walk-in",
        data={"walkin-phone": "922 33 555", "walkin-name": "Ung", "walkin-add": "x"},
    )
    assert refused.status_code == 422 and "Only adults" in refused.text


def test_a_walk_in_who_gives_no_number_is_kept_by_first_name(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    added = client.post(
        f"/nights/{night.id}/logbook/walk-in",
        data={"walkin-phone": "", "walkin-name": "Ola", "walkin-adult": "y", "walkin-add": "x"},
    )
    assert added.status_code == 302
    assert [w.first_name for w in db.scalars(select(WalkIn).where(WalkIn.shift_id == night.id))] == ["Ola"]
    assert "Also walked: Ola" in client.get(f"/nights/{night.id}/logbook").text


def test_a_walk_ins_number_with_text_in_it_is_refused_and_the_name_stays(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    typed = {"walkin-phone": "922 33 444 tlf", "walkin-name": "Nina", "walkin-adult": "y", "walkin-add": "x"}
    refused = client.post(f"/nights/{night.id}/logbook/walk-in", data=typed)
    assert refused.status_code == 422
    assert (
        '<p class="error" id="walkin-phone-error">Write only the number, without letters or other text, '
        "like 912 34 567.</p>" in refused.text
    )  # beside the number, where the leader corrects it
    assert 'aria-invalid="true"' in refused.text
    assert 'value="922 33 444 tlf"' in refused.text and 'value="Nina"' in refused.text
    assert db.scalars(select(WalkIn).where(WalkIn.shift_id == night.id)).all() == []


def test_the_ticks_are_saved_with_a_walk_in_and_the_report_counts_them(login, client, db, world, night, clock):
    """The leader unticks Kari, then adds a walk-in: the page says the logbook is in order, so it is."""
    clock.set(STARTS)
    login(world.leader)
    kari = next(s for s in night.signups if s.person_id == world.parent.id).id
    lise = next(s for s in night.signups if s.person_id == world.leader.id).id
    nina = {"walkin-phone": "922 33 444", "walkin-name": "Nina", "walkin-adult": "y", "walkin-add": "x"}
    added = client.post(f"/nights/{night.id}/logbook/walk-in", data={**nina, "present": [str(lise)]})
    assert added.status_code == 302
    assert _attendance(db, night.id) == {world.leader.id: SignupState.ATTENDED, world.parent.id: SignupState.NO_SHOW}
    page = client.get(added.location).text
    assert "The walker is in the logbook, and the logbook is saved." in page
    assert f'value="{lise}" id="present-{lise}"\n        checked' in page
    assert f'value="{kari}" id="present-{kari}"\n        >' in page and "Kari Nordmann – marked as not come" in page
    clock.set(ENDS + timedelta(hours=1))
    assert "(2 walked)" in client.get(f"/nights/{night.id}/report").text  # the leader and Nina, not Kari


def test_a_walk_in_refused_keeps_the_ticks_on_the_page_unsaved(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    kari = next(s for s in night.signups if s.person_id == world.parent.id).id
    nina = {"walkin-phone": "922 33 444", "walkin-name": "Nina", "walkin-adult": "", "walkin-add": "x"}
    refused = client.post(f"/nights/{night.id}/logbook/walk-in", data={**nina, "present": [str(kari)]})
    assert refused.status_code == 422 and f'id="present-{kari}"\n        checked' in refused.text
    assert set(_attendance(db, night.id).values()) == {SignupState.SIGNED_UP}


def test_taking_a_walk_in_out_saves_the_ticks_too(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    lise = next(s for s in night.signups if s.person_id == world.leader.id).id
    nina = {"walkin-phone": "", "walkin-name": "Nina", "walkin-adult": "y", "walkin-add": "x", "present": [str(lise)]}
    client.post(f"/nights/{night.id}/logbook/walk-in", data=nina)
    nina_id = db.scalar(select(WalkIn.id).where(WalkIn.shift_id == night.id))
    db.commit()
    kari = next(s for s in night.signups if s.person_id == world.parent.id).id
    ticks = {"present": [str(lise), str(kari)]}
    assert client.post(f"/nights/{night.id}/logbook/walk-ins/{nina_id}/remove", data=ticks).status_code == 302
    assert _attendance(db, night.id) == {world.leader.id: SignupState.ATTENDED, world.parent.id: SignupState.ATTENDED}


def test_go_to_the_report_saves_the_ticks_first_and_save_stays_on_the_logbook(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    page = client.get(f"/nights/{night.id}/logbook").text
    assert 'name="to_report" type="submit" value="Go to the report">' in page
    assert f'<a class="button" href="/nights/{night.id}/report">' not in page  # not a link that leaves the ticks
    lise = next(s for s in night.signups if s.person_id == world.leader.id).id
    saved = client.post(f"/nights/{night.id}/logbook", data={"present": [str(lise)], "save": "x"})
    assert saved.location == f"/nights/{night.id}/logbook"
    kari = next(s for s in night.signups if s.person_id == world.parent.id).id
    db.commit()
    gone = client.post(f"/nights/{night.id}/logbook", data={"present": [str(lise), str(kari)], "to_report": "x"})
    assert gone.location == f"/nights/{night.id}/report"
    assert _attendance(db, night.id) == {world.leader.id: SignupState.ATTENDED, world.parent.id: SignupState.ATTENDED}


def test_a_walker_on_the_list_entered_as_a_walk_in_by_her_number_stays_ticked_and_saved(
    login, client, db, world, night, clock
):
    clock.set(STARTS)
    login(world.leader)
    kari = next(s for s in night.signups if s.person_id == world.parent.id).id
    lise = next(s for s in night.signups if s.person_id == world.leader.id).id
    # Kari had not come when the leader ticked; she arrives, and the leader enters her number below.
    her = {"walkin-phone": world.parent.phone, "walkin-name": "Kari", "walkin-adult": "y", "walkin-add": "x"}
    added = client.post(f"/nights/{night.id}/logbook/walk-in", data={**her, "present": [str(lise)]})
    page = client.get(added.location).text
    assert f'value="{kari}" id="present-{kari}"\n        checked' in page
    saved = client.post(f"/nights/{night.id}/logbook", data={"present": [str(lise), str(kari)], "save": "x"})
    assert saved.status_code == 302
    assert _attendance(db, night.id)[world.parent.id] == SignupState.ATTENDED


def test_a_walk_in_entered_twice_is_taken_out_again(login, client, db, world, night, clock):
    clock.set(STARTS)
    login(world.leader)
    nina = {"walkin-phone": "922 33 444", "walkin-name": "Nina", "walkin-adult": "y", "walkin-add": "x"}
    assert client.post(f"/nights/{night.id}/logbook/walk-in", data=nina).status_code == 302
    double_tap = client.post(f"/nights/{night.id}/logbook/walk-in", data=nina)
    assert double_tap.status_code == 422 and "Nina was added a moment ago." in double_tap.text
    clock.advance(minutes=5)  # a second Nina, entered by mistake without her initial
    assert client.post(f"/nights/{night.id}/logbook/walk-in", data=nina).status_code == 302
    assert "Also walked: Nina, Nina" in client.get(f"/nights/{night.id}/logbook").text
    [first, _second] = db.scalars(select(WalkIn.id).where(WalkIn.shift_id == night.id).order_by(WalkIn.id)).all()
    taken = client.post(f"/nights/{night.id}/logbook/walk-ins/{first}/remove", follow_redirects=True)
    assert "Nina is taken out of the logbook." in taken.text and "Also walked: Nina</p>" in taken.text
    db.expire_all()
    assert len(db.scalars(select(WalkIn).where(WalkIn.shift_id == night.id)).all()) == 1
    assert client.post(f"/nights/{night.id}/logbook/walk-ins/{first}/remove").status_code == 302  # gone: said so
    assert "That walker is not in this night" in client.get(f"/nights/{night.id}/logbook").text


@pytest.mark.parametrize("who", ["parent", "other leader", "other region's coordinator"])
def test_nobody_else_opens_the_nights_report_or_logbook(login, client, db, world, night, strangers, who):
    login(world.leader)
    _file(client, night, add_incident="x", category="drugs")
    _file(client, night, submit_report="x")
    incident = _report(db, night.id).incidents[0]
    login(strangers[who])
    for path in (
        f"/nights/{night.id}/report",
        f"/nights/{night.id}/logbook",
        f"/nights/{night.id}/report/incidents/{incident.id}",
        f"/nights/{night.id}/report/incidents/{incident.id}/remove",
    ):
        assert client.get(path).status_code == 404
    removing = f"/nights/{night.id}/report/incidents/{incident.id}/remove"
    assert client.post(removing, data={"remove": "x"}).status_code == 404
    assert _file(client, night, weather="Hacked").status_code == 404
    assert client.post(f"/nights/{night.id}/logbook", data={"save": "x"}).status_code == 404
    walk_in = {"walkin-phone": "922 33 444", "walkin-name": "Inntrenger", "walkin-adult": "y", "walkin-add": "x"}
    assert client.post(f"/nights/{night.id}/logbook/walk-in", data=walk_in).status_code == 404
    assert client.post(f"/nights/{night.id}/logbook/walk-ins/1/remove").status_code == 404
    report = _report(db, night.id)
    assert (report.weather, len(report.incidents), report.walkers) == ("Regn", 1, 0)


def test_a_leader_cannot_remove_another_nights_incident_through_their_own_night(
    login, client, db, world, night, strangers, clock
):
    login(world.leader)
    _file(client, night, add_incident="x", category="drugs")
    incident = _report(db, night.id).incidents[0]
    theirs = world.night_on("Kirkenær", FRIDAY)
    factories.signup(db, theirs, strangers["other leader"], clock(), role=SignupRole.LEADER)
    db.commit()
    login(strangers["other leader"])
    path = f"/nights/{theirs.id}/report/incidents/{incident.id}/remove"
    for ask in (client.get, client.post):
        response = ask(path, data={"remove": "x"})
        assert response.status_code == 302
        assert "That incident is not in the report any more." in client.get(response.location).text
    assert len(_report(db, night.id).incidents) == 1


def test_anonymous_visitors_are_sent_to_log_in(client, night):
    for path in (
        f"/nights/{night.id}/report",
        f"/nights/{night.id}/logbook",
        f"/nights/{night.id}/report/incidents/1/remove",
        "/coordinator/reports",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/nights/{night.id}/report/incidents/1/remove", data={"remove": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_end_typed_before_the_start_is_questioned_and_the_rest_is_saved(login, client, db, world, night):
    login(world.leader)
    page = _file(client, night, started="21:00", ended="20:00", weather="Sludd")
    assert page.status_code == 422
    assert "The walk would last 23 hours. Check the times." in page.text
    report = _report(db, night.id)
    assert report.weather == "Sludd" and report.duration_minutes < 12 * 60
    assert _file(client, night, started="20:00", ended="24:00").status_code == 302
    db.expire_all()
    assert _report(db, night.id).duration_minutes == 4 * 60


def test_the_add_button_under_empty_incident_fields_adds_no_incident(login, client, db, world, night):
    login(world.leader)
    added = _file(client, night, add_incident="x", category="", description="  ")
    assert "No incident was typed, so none is added. The report is saved." in client.get(added.location).text
    assert _report(db, night.id).incidents == []


def test_a_flagged_name_says_where_it_stands_and_opens_that_incident(login, client, db, world, night):
    login(world.leader)
    _file(
        client,
        night,
        atmosphere="Rolig. Emma satt alene ved kiosken.",
        add_incident="x",
        category="intoxication",
        description="Snakket med Mona, jente på 14.",
    )
    page = client.get(f"/nights/{night.id}/report").text
    incident = _report(db, night.id).incidents[0]
    assert f'<p class="hint"><a href="#incident-{incident.id}">It stands in incident 1.</a></p>' in page
    assert '<p class="hint"><a href="#atmosphere">It stands in General atmosphere.</a></p>' in page
    assert '<details class="section" id="incidents" open>' in page
    assert 'Remove<span class="visually-hidden"> incident 1</span>' in page


# The coordinator ------------------------------------------------------------------------------


@pytest.fixture
def filed(login, client, db, world, walked, night):
    login(world.leader)
    _file(
        client,
        night,
        add_incident="x",
        category="worry_neglect",
        child_welfare_contacted="y",
        description="Snakket med Mona, jente på 14.",
    )
    # The leader looks at what the check marked and says it may stay (the coordinator redacts later).
    marked = re.findall(r'name="confirm" value="([^"]*)"', client.get(f"/nights/{night.id}/report").text)
    assert marked
    _file(client, night, submit_report="x", confirm=[html.unescape(passage) for passage in marked])
    return _report(db, night.id)


def test_the_coordinator_lists_filters_and_opens_reports(login, client, db, world, filed):
    login(world.coordinator)
    listing = client.get("/coordinator/reports")
    assert listing.status_code == 200 and f"/coordinator/reports/{filed.id}" in listing.text
    assert f"/coordinator/reports/{filed.id}" in client.get("/coordinator/reports?contacted=child_welfare").text
    assert f"/coordinator/reports/{filed.id}" not in client.get("/coordinator/reports?contacted=police").text
    assert f"/coordinator/reports/{filed.id}" not in client.get("/coordinator/reports?category=drugs").text
    assert (
        f"/coordinator/reports/{filed.id}" not in client.get(f"/coordinator/reports?municipality={world.grue.id}").text
    )
    assert (
        f"/coordinator/reports/{filed.id}"
        in client.get("/coordinator/reports?first_day=2026-11-20&last_day=2026-11-20").text
    )
    page = client.get(f"/coordinator/reports/{filed.id}")
    assert page.status_code == 200 and "Mona" in page.text and "looks like a name" in page.text
    db.rollback()
    reads = db.scalars(select(AuditEvent).where(AuditEvent.action == "report.read")).all()
    assert [e.actor_id for e in reads][-1] == world.coordinator.id


def test_a_bad_filter_is_a_message_not_an_error(login, client, world, filed):
    login(world.coordinator)
    response = client.get("/coordinator/reports?first_day=yesterday&municipality=abc")
    assert response.status_code == 200
    assert 'aria-describedby="first_day-error" aria-invalid="true"' in response.text


def test_a_period_that_ends_before_it_starts_says_so_instead_of_finding_nothing(login, client, world, filed):
    login(world.coordinator)
    response = client.get("/coordinator/reports?first_day=2026-12-01&last_day=2026-11-01")
    assert response.status_code == 200
    assert "The last day must be after the first." in response.text
    assert "No reports match" not in response.text


def test_the_coordinator_marks_a_report_followed_up_and_redacts_it(login, client, db, world, filed):
    login(world.coordinator)
    response = client.post(f"/coordinator/reports/{filed.id}/follow-up", data={"note": "Meldt til barnevernet"})
    assert response.status_code == 302
    response = client.post(f"/coordinator/reports/{filed.id}/redact")
    assert response.status_code == 302
    report = _report(db, filed.shift_id)
    assert report.follow_up_note == "Meldt til barnevernet" and report.followed_up_at is not None
    assert "Mona" not in report.incidents[0].description


def test_last_nights_missing_report_shows_the_morning_after_with_whom_to_ask(login, client, db, world, night, clock):
    """Friday's night ended at 01:00; from when its leader is asked for the report on Saturday morning
    (10:00, the region's default), the coordinator sees it missing, with the leader's name."""
    login(world.coordinator)
    clock.set(datetime(2026, 11, 21, 8, 59, tzinfo=UTC))  # 09:59 in Oslo
    assert f"/nights/{night.id}/report" not in client.get("/coordinator/reports").text
    clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    page = client.get("/coordinator/reports").text
    assert "Missing reports" in page and f"/nights/{night.id}/report" in page
    assert f'group leader: <a href="/coordinator/people/{world.leader.id}">{world.leader.name}</a>' in page


def test_the_coordinator_reminds_the_leader_of_a_missing_report_once_a_day(login, client, db, world, night, clock):
    login(world.coordinator)
    clock.set(datetime(2026, 11, 21, 11, 0, tzinfo=UTC))  # Saturday 12:00: missing since 10:00
    assert "Remind the group leader by SMS" in client.get("/coordinator/reports").text
    done = client.post(f"/coordinator/reports/missing/{night.id}/remind", follow_redirects=True)
    assert "The group leader is reminded by SMS." in done.text
    (reminder,) = db.scalars(
        select(SmsMessage).where(SmsMessage.person_id == world.leader.id, SmsMessage.purpose == Purpose.REPORT_REQUEST)
    ).all()[-1:]
    assert reminder.body.startswith("Natteravn: the report for Flisa sentrum on 20.11 is missing.")
    again = client.post(f"/coordinator/reports/missing/{night.id}/remind", follow_redirects=True)
    assert "The group leader was reminded today already." in again.text
    assert client.post("/coordinator/reports/missing/999999/remind").status_code == 404


def test_a_parent_cannot_remind_a_leader(login, client, world, night):
    login(world.parent)
    assert client.post(f"/coordinator/reports/missing/{night.id}/remind").status_code == 403


def test_the_missing_list_leaves_out_a_night_nobody_walked_and_says_when_nobody_can_file_but_a_coordinator(
    login, client, db, world, night, clock
):
    lonely = world.night_on("Kirkenær", FRIDAY)
    factories.signup(db, lonely, world.parent, clock(), state=SignupState.NO_SHOW)  # nobody walked it
    leaderless = world.night_on("Flisa sentrum", FRIDAY + timedelta(days=1))
    factories.signup(db, leaderless, world.parent, clock(), state=SignupState.ATTENDED)
    db.commit()
    clock.set(ENDS + timedelta(days=2))
    login(world.coordinator)
    page = client.get("/coordinator/reports").text
    assert f"/nights/{lonely.id}/report" not in page
    assert f"/nights/{leaderless.id}/report" in page and "no group leader: only a coordinator can file it" in page


def test_another_regions_coordinator_gets_404_for_every_report_page(login, client, db, world, filed, strangers):
    login(strangers["other region's coordinator"])
    listing = client.get("/coordinator/reports")
    assert listing.status_code == 200 and f"/coordinator/reports/{filed.id}" not in listing.text
    assert client.get(f"/coordinator/reports/{filed.id}").status_code == 404
    assert client.post(f"/coordinator/reports/{filed.id}/follow-up", data={"note": "x"}).status_code == 404
    assert client.post(f"/coordinator/reports/{filed.id}/redact").status_code == 404
    for path in ("statistics", "statistics.csv", "summary"):
        assert client.get(f"/coordinator/reports/{path}?region={world.region.id}").status_code == 404
    assert _report(db, filed.shift_id).followed_up_at is None


@pytest.mark.parametrize("who", ["parent", "other leader"])
def test_people_who_are_not_coordinators_get_403(login, client, world, filed, strangers, who):
    login(strangers[who])
    for path in ("", f"/{filed.id}", "/statistics", "/statistics.csv", "/summary"):
        assert client.get(f"/coordinator/reports{path}").status_code == 403


def test_the_statistics_page_draws_charts_with_text_alternatives_and_tables(login, client, world, filed):
    login(world.coordinator)
    page = client.get("/coordinator/reports/statistics?first_day=2026-11-01&last_day=2026-11-30")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4
    assert "<title id=" in page.text and "<desc id=" in page.text
    assert "Serious worry: neglect: 1" in page.text  # the chart's description says the figures
    assert "<table" in page.text


def test_a_period_that_ends_before_it_starts_is_refused_politely(login, client, world):
    login(world.coordinator)
    page = client.get("/coordinator/reports/statistics?first_day=2026-12-01&last_day=2026-11-01")
    assert page.status_code == 422 and "The last day must be after the first." in page.text
    download = client.get("/coordinator/reports/statistics.csv?first_day=2026-12-01&last_day=2026-11-01")
    assert download.status_code == 422 and download.mimetype == "text/html"
    assert "The last day must be after the first." in download.text
    assert 'action="/coordinator/reports/statistics"' in download.text  # corrected, it shows the figures


def test_a_day_left_empty_is_asked_for_rather_than_guessed(login, client, world):
    login(world.coordinator)
    page = client.get("/coordinator/reports/statistics?first_day=&last_day=2026-11-30")
    assert page.status_code == 422 and "Choose the first day." in page.text
    assert "Key figures" not in page.text


def test_the_statistics_download_as_csv_for_spreadsheets(login, client, world, filed):
    login(world.coordinator)
    response = client.get("/coordinator/reports/statistics.csv?first_day=2026-11-01&last_day=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Municipality;Nights walked;Nights walked without a report yet;Walker-hours;")
    asnes = next(line.split(";") for line in lines if line.startswith("Åsnes;"))
    assert asnes[1] == "1"
    assert "2026-11;1" in lines


def test_the_police_council_report_prints_on_two_pages_for_the_region(login, client, world, filed):
    login(world.coordinator)
    page = client.get("/coordinator/reports/summary?first_day=2026-11-01&last_day=2026-11-30")
    assert page.status_code == 200
    assert page.text.count('class="print-page"') == 2  # figures and assessment; incidents and routes
    assert "Natteravn in Solør" in page.text and "reports-print.css" in page.text
    assert "Mona" not in page.text


# Submitting: the logbook first, and the page says where the rest is missing --------------------


def test_a_report_sent_before_the_logbook_is_kept_stays_a_draft_and_leads_to_the_logbook(
    client, db, world, night, links
):
    world.leader.locale = "en"
    db.commit()
    client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"))  # the SMS link
    refused = _file(client, night, submit_report="x")
    assert refused.status_code == 422
    assert _report(db, night.id).state == ReportState.DRAFT
    assert set(_attendance(db, night.id).values()) == {SignupState.SIGNED_UP}  # nobody counted either way
    logbook = f"/nights/{night.id}/logbook"
    told = "Keep the logbook first: tick who walked the night."
    # Said beside the logbook's button, which saves the page on the way: this page may be typed in again.
    assert f'<p class="error" id="logbook-error">{told}</p>' in refused.text
    assert 'aria-describedby="logbook-saves logbook-error">Logbook: who walked' in refused.text
    assert f"Saved as a draft, not submitted: {told}" in refused.text
    assert client.get(logbook).status_code == 200  # the link works with the SMS link's pass
    leader_line = db.scalar(select(Signup.id).where(Signup.shift_id == night.id, Signup.person_id == world.leader.id))
    db.commit()
    assert client.post(logbook, data={"present": [str(leader_line)], "save": "x"}).status_code == 302
    submitted = _file(client, night, submit_report="x")
    assert submitted.status_code == 302
    assert _report(db, night.id).state == ReportState.SUBMITTED
    came = {world.leader.id: SignupState.ATTENDED, world.parent.id: SignupState.NO_SHOW}
    assert _attendance(db, night.id) == came
    assert "The report is submitted. Thank you for walking!" in client.get(submitted.location).text


def test_a_report_sent_without_a_count_opens_the_young_people_and_marks_the_count(login, client, db, walked, world):
    login(world.leader)
    refused = _file(client, walked, submit_report="x", youths_16_17="")
    assert refused.status_code == 422
    assert _report(db, walked.id).state == ReportState.DRAFT
    assert _is_open(refused.text, "youths")
    youths = _section(refused.text, "youths")
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*id="youths_16_17"|<input[^>]*id="youths_16_17"[^>]*aria-invalid="true"',
        youths,
    )
    assert '<p class="error" id="youths_16_17-error">Write how many young people you met' in youths
    assert 'aria-invalid="true"' not in _section(refused.text, "walk")


def test_after_adding_an_incident_the_incidents_stay_open(login, client, db, walked, world):
    login(world.leader)
    _file(client, walked, save="x")
    added = _file(client, walked, add_incident="x", category="drugs", description="Fant sprøyter")
    assert added.status_code == 302 and "open=incidents" in added.location
    page = client.get(added.location).text
    assert "The incident is added and the report saved." in page
    assert _is_open(page, "incidents")
    assert not _is_open(page, "walk") and not _is_open(page, "youths")  # untouched this time: folded
    assert not _is_open(client.get(f"/nights/{walked.id}/report").text, "incidents")  # opened from the list


# Tonight, or a night past; where an incident added lands --------------------------------------


def test_a_past_nights_report_and_logbook_say_who_walked_not_tonight(login, client, db, world, night, clock):
    login(world.leader)
    assert "Logbook: who walked tonight</button>" in client.get(f"/nights/{night.id}/report").text  # 01:00 that night
    clock.set(ENDS + timedelta(days=1, hours=12))  # the afternoon after
    assert "Logbook: who walked</button>" in client.get(f"/nights/{night.id}/report").text
    logbook = client.get(f"/nights/{night.id}/logbook").text
    assert "<legend>Who walked</legend>" in logbook and "Tick everyone who walked." in logbook
    assert "before you leave the meeting point" not in logbook


def test_after_adding_an_incident_the_leader_lands_on_the_incidents(login, client, db, world, night):
    login(world.leader)
    added = _file(client, night, add_incident="x", category="drugs", place="Stasjonen")
    assert added.status_code == 302 and added.location.endswith("#incidents")
    assert "open=incidents" in added.location


# Submitting: every reason at once; words checked are a note, not an error ------------------------


def test_submitting_names_every_missing_thing_in_one_summary(login, client, db, world, walked, night):
    login(world.leader)
    partly_counted = {**A_REPORT, "youths_13_15": "", "atmosphere": "Emma Hansen var der.", "submit_report": "x"}
    refused = client.post(f"/nights/{night.id}/report", data=partly_counted)
    assert refused.status_code == 422 and _report(db, night.id).state == ReportState.DRAFT
    start = refused.text.index('id="not-submitted"')
    summary = refused.text[start : refused.text.index("</ul>", start)]
    assert "Saved as a draft, not submitted. Put these 2 things right first:" in summary
    assert '<a href="#youths_13_15">Write how many young people you met of each age' in summary
    assert '<a href="#passages">Check the marked parts first' in summary
    assert '<fieldset class="error-summary" id="passages"' in refused.text
    assert 'id="youths_13_15-error"' in refused.text  # and beside the field itself


def test_a_submitted_report_notes_the_words_checked_quietly(login, client, db, world, walked, night):
    login(world.leader)
    walker_named = "Jonas gikk med oss."
    _file(client, night, atmosphere=walker_named)
    page = client.get(f"/nights/{night.id}/report").text
    assert '<fieldset class="error-summary" id="passages"' in page and "May identify someone" in page
    # The link to where it stands is a line of its own, not a third column beside the box and its label.
    assert '</div>\n      <p class="hint"><a href="#atmosphere">It stands in General atmosphere.</a></p>' in page
    submitted = _file(client, night, atmosphere=walker_named, submit_report="x", confirm="Jonas")
    page = client.get(submitted.location).text
    assert "The report is submitted. Thank you for walking!" in page
    assert "May identify someone" not in page and 'class="error-summary"' not in page
    assert "Checked: these words identify nobody." in page and "«Jonas»" in page
