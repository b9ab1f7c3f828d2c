"""What a report must be before it is sent, and what keeps a leader's words from being lost or
reaching the wrong hands: the SMS link opens one night's report and nothing else; flagged passages
are rewritten or confirmed; times and counts come first; text sent after a session ended, on an old
page, or over someone's newer save is kept, never silently dropped or overwritten."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.reports import redaction, search, writing
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.reports.writing import ReportInput
from natteravn.shifts.models import SignupRole
from tests import factories
from tests.conftest import log_in
from tests.shell.processes import natteravn, operator_environment

FRIDAY = date(2026, 11, 20)
ENDS = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
COUNTS = {"youths_under_13": 0, "youths_13_15": 8, "youths_16_17": 3, "youths_18_plus": 0}
A_REPORT = {"started": "22:05", "ended": "01:10", "weather": "Regn", "atmosphere": "Rolig", **COUNTS}


@pytest.fixture
def night(world, db, clock):
    shift = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, shift, world.leader, clock(), role=SignupRole.LEADER)
    db.execute(update(Person).values(locale="en"))
    db.commit()
    clock.set(ENDS + timedelta(hours=1))
    return shift


def walk(**changes) -> ReportInput:
    values = dict(started=time(22, 5), ended=time(1, 10), weather="Regn", atmosphere="Rolig", youths=dict(COUNTS))
    values.update(changes)
    return ReportInput(**values)


def report_of(db, night) -> ShiftReport:
    db.rollback()
    db.expire_all()
    report = db.scalar(select(ShiftReport).where(ShiftReport.shift_id == night.id))
    db.commit()
    return report


# --- The SMS link: that night's report, nothing else. ---


def test_the_report_link_opens_that_nights_report_only_and_logs_nobody_in(client, db, world, night, links):
    world.leader.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id))
    db.commit()
    response = client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"))
    assert response.status_code == 302
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    assert client.post(f"/nights/{night.id}/report", data={**A_REPORT, "save": "x"}).status_code == 302
    assert report_of(db, night).weather == "Regn"
    assert client.get("/coordinator").status_code == 302  # a forwarded SMS gives no coordinator's pages
    assert client.get("/my").status_code == 302  # nor the leader's own
    other = world.night_on("Kirkenær", FRIDAY)
    assert client.get(f"/nights/{other.id}/report").status_code == 302  # nor another night


def test_a_leader_who_coordinates_comes_by_the_link_as_leader(client, db, world, walked, night, links, clock):
    world.leader.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id))
    db.commit()
    client.get(links.report(night.id, world.leader.id).removeprefix("http://natteravn.test"))
    client.post(f"/nights/{night.id}/report", data={**A_REPORT, "submit_report": "x"})
    clock.advance(hours=49)
    client.post(f"/nights/{night.id}/report", data={**A_REPORT, "weather": "Snø", "save": "x"})
    report = report_of(db, night)
    assert report.weather == "Regn" and writing.pending_request(report) is not None


# --- What a report must be before it is sent. ---


def test_a_report_without_the_counts_is_kept_as_a_draft(db, world, walked, night, clock):
    saved = writing.save_report(db, world.leader, night, walk(youths={}), clock(), submit=True)
    assert saved.report.state == ReportState.DRAFT
    assert "how many young people" in str(saved.not_submitted)
    saved = writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    assert saved.report.state == ReportState.SUBMITTED


def test_an_empty_report_cannot_be_sent_with_one_tap(login, client, db, world, night):
    login(world.leader)
    client.post(f"/nights/{night.id}/report", data={"submit_report": "x"})
    assert report_of(db, night).state == ReportState.DRAFT


def test_flagged_passages_are_rewritten_or_confirmed_before_the_report_is_sent(db, world, walked, night, clock):
    typed = walk(atmosphere="Emma fra 9A var full.")
    saved = writing.save_report(db, world.leader, night, typed, clock(), submit=True)
    assert saved.report.state == ReportState.DRAFT and "marked parts" in str(saved.not_submitted)
    assert writing.flagged_passages(db, saved.report) == ["Emma", "9A"]
    saved = writing.save_report(db, world.leader, night, typed, clock(), submit=True, confirmed=["Emma"])
    assert saved.report.state == ReportState.DRAFT  # 9A is still unconfirmed
    saved = writing.save_report(db, world.leader, night, walk(atmosphere="En jente var full."), clock(), submit=True)
    assert saved.report.state == ReportState.SUBMITTED  # rewritten: nothing left to confirm
    assert not saved.report.flagged


def test_the_leader_ticks_what_identifies_nobody_on_the_page(login, client, db, world, walked, night):
    login(world.leader)
    client.post(f"/nights/{night.id}/report", data={**A_REPORT, "atmosphere": "Vi møtte Emma ved Coop."})
    page = client.get(f"/nights/{night.id}/report").text
    marked = [html.unescape(p) for p in re.findall(r'name="confirm" value="([^"]*)"', page)]
    assert marked == ["Emma"]
    client.post(
        f"/nights/{night.id}/report",
        data={**A_REPORT, "atmosphere": "Vi møtte Emma ved Coop.", "confirm": marked, "submit_report": "x"},
    )
    report = report_of(db, night)
    assert report.state == ReportState.SUBMITTED and report.flagged  # the coordinator still sees it marked


def test_the_coordinator_sees_flagged_reports_first(db, world, night, clock):
    clean = world.night_on("Kirkenær", FRIDAY)
    factories.signup(db, clean, world.leader, clock(), role=SignupRole.LEADER)
    writing.save_report(db, world.leader, night, walk(atmosphere="Jonas Hansen (14) var der."), clock())
    writing.save_report(db, world.leader, clean, walk(), clock())
    db.commit()
    found = search.find_reports(db, search.ReportFilter(scope=world.coordinator.coordinator_scope))
    assert [r.flagged for r in found] == [True, False]


# --- Nothing typed is lost. ---


def test_text_sent_after_the_session_ended_waits_for_the_leader_to_log_in(client, gateway, db, world, night):
    response = client.post(f"/nights/{night.id}/report", data={**A_REPORT, "atmosphere": "Skrevet i natt", "save": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert report_of(db, night) is None
    log_in(client, gateway, world.leader.phone)
    page = client.get(f"/nights/{night.id}/report")
    assert "Skrevet i natt" in page.text and "before your session ended" in page.text
    assert '<details class="section" id="youths" open>' in page.text  # where it was typed, unfolded
    assert "Not saved yet: what you typed is below." in page.text and "Not started." not in page.text
    assert "Skrevet i natt" not in client.get(f"/nights/{night.id}/report").text  # handed back once


def test_a_page_open_all_night_keeps_its_text_when_its_form_has_grown_old(app, login, client, db, world, night):
    login(world.leader)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.post(
        f"/nights/{night.id}/report",
        data={**A_REPORT, "atmosphere": "Morgenen etter", "csrf_token": "old", "save": "x"},
    )
    assert page.status_code == 422
    assert "Morgenen etter" in page.text and "save again" in page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    again = client.post(
        f"/nights/{night.id}/report",
        data={**A_REPORT, "atmosphere": "Morgenen etter", "csrf_token": token, "save": "x"},
    )
    assert again.status_code == 302 and report_of(db, night).atmosphere == "Morgenen etter"


def test_a_stale_copy_never_overwrites_someone_elses_newer_text(db, world, night, clock):
    first = writing.save_report(db, world.leader, night, walk(atmosphere="Første utkast"), clock())
    opened_at = first.report.versions[-1].number
    writing.save_report(db, world.leader, night, walk(atmosphere="Lederens nye tekst"), clock(), based_on=opened_at)
    db.commit()
    with pytest.raises(writing.StaleCopy):
        writing.save_report(
            db, world.coordinator, night, walk(atmosphere="Koordinatorens gamle kopi"), clock(), based_on=opened_at
        )
    db.rollback()
    assert report_of(db, night).atmosphere == "Lederens nye tekst"


def test_the_stale_page_shows_both_texts_and_saves_only_when_asked_again(login, client, db, world, night, clock):
    writing.save_report(db, world.leader, night, walk(atmosphere="Lederens tekst"), clock())
    db.commit()
    login(world.coordinator)
    opened = client.get(f"/nights/{night.id}/report").text
    based_on = re.search(r'name="based_on" type="hidden" value="(\d+)"', opened).group(1)
    writing.save_report(db, world.leader, night, walk(atmosphere="Lederens nyere tekst"), clock())
    db.commit()
    typed = {**A_REPORT, "atmosphere": "Min kopi", "based_on": based_on, "save": "x"}
    page = client.post(f"/nights/{night.id}/report", data=typed)
    assert page.status_code == 409
    assert "Lederens nyere tekst" in page.text and "Min kopi" in page.text
    assert report_of(db, night).atmosphere == "Lederens nyere tekst"
    newer = re.search(r'name="based_on" type="hidden" value="(\d+)"', page.text).group(1)
    assert client.post(f"/nights/{night.id}/report", data={**typed, "based_on": newer}).status_code == 302
    assert report_of(db, night).atmosphere == "Min kopi"


# --- Trying wording, and checking old reports again. ---


def test_check_text_prints_what_it_flags_and_exits_one(tmp_path):
    environment = operator_environment(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite'}")
    flagged = natteravn(
        "reports", "check-text", "--language", "en", environment=environment, input="jonas hansen (14)\n"
    )
    assert flagged.returncode == 1
    assert "looks like a name: «jonas hansen»" in flagged.stdout and "looks like an age: «(14)»" in flagged.stdout
    clean = natteravn("reports", "check-text", environment=environment, input="Rolig kveld, ca. 15 ungdommer.\n")
    assert clean.returncode == 0 and "Ingenting" in clean.stdout


def test_scan_marks_what_an_older_check_missed(db, world, night, clock, database_url, tmp_path):
    saved = writing.save_report(db, world.leader, night, walk(atmosphere="Sønnen til rektor var full."), clock())
    saved.report.flagged = False  # as an older check left it
    db.commit()
    result = natteravn("reports", "scan", "--region", "solor", environment=operator_environment(tmp_path, database_url))
    assert result.returncode == 0, result.stderr
    assert "1 newly" in result.stdout
    assert report_of(db, night).flagged
    assert redaction.rescan(db).newly_flagged == []


def test_every_reason_not_to_submit_is_given_at_once_in_page_order(db, world, night, clock):
    typed = walk(youths={"youths_under_13": 0}, atmosphere="Emma Hansen var full.")
    saved = writing.save_report(db, world.leader, night, typed, clock(), submit=True)
    assert saved.report.state == ReportState.DRAFT
    assert [(reason.field, reason.msgid.split(":")[0]) for reason in saved.not_submitted.each()] == [
        ("logbook", "Keep the logbook first"),
        ("youths_13_15", "Write how many young people you met of each age (0 is an answer) before submitting."),
        ("passages", "Check the marked parts first"),
    ]
    assert saved.not_submitted.field == "logbook"  # read as one reason, the first
