"""Statistics on a small, known set of nights, and the retention purge that must not change them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from natteravn.audit.models import AuditEvent
from natteravn.cli import cli as natteravn_commands
from natteravn.places.models import Region
from natteravn.reports import logbook, writing
from natteravn.reports.models import IncidentCategory, ShiftReport
from natteravn.reports.retention import configured, months_before, purge_expired
from natteravn.reports.stats import statistics
from natteravn.reports.svg import bar_chart, described
from natteravn.reports.writing import IncidentInput, ReportInput
from natteravn.scheduler import context_from, purge_reports
from natteravn.shifts.models import Term
from tests import factories

NOVEMBER, DECEMBER = (2026, 11), (2026, 12)


def _youths(*counts):
    return dict(zip(("youths_under_13", "youths_13_15", "youths_16_17", "youths_18_plus"), counts, strict=True))


def _file(db, world, clock, route, day, walkers, report, incidents, submit=True):
    """A night on `route`: a leader and `walkers` more sign up; the first `present` come."""
    present, absent = walkers
    shift = world.night_on(route, day)
    people = [factories.person(db, shift.route.municipality, f"Walker {i}", clock()) for i in range(present + absent)]
    lines = [factories.signup(db, shift, p, clock()) for p in people]
    logbook.record_attendance(db, world.coordinator, shift, {s.id for s in lines[:present]}, clock())
    for incident in incidents or [None]:
        writing.save_report(db, world.coordinator, shift, report, clock(), incident=incident, submit=submit)
    db.commit()
    return shift


@pytest.fixture
def nights(db, world, clock):
    clock.set(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    police_fight = IncidentInput(IncidentCategory.VIOLENCE, police_contacted=True, description="Slåsskamp avtalt.")
    _file(
        db,
        world,
        clock,
        "Flisa sentrum",
        date(2026, 11, 20),
        (2, 1),
        ReportInput(time(22, 0), time(1, 0), "Sentrum", "Regn", "Rolig", _youths(1, 4, 3, 0)),
        [police_fight, IncidentInput(IncidentCategory.INTOXICATION)],
    )
    _file(
        db,
        world,
        clock,
        "Kirkenær",
        date(2026, 11, 21),
        (1, 0),
        ReportInput(time(22, 0), time(0, 0), "Stasjonen", "Sol", "Fint", _youths(0, 2, 2, 2)),
        [IncidentInput(IncidentCategory.HELPED)],
    )
    _file(
        db,
        world,
        clock,
        "Kjellmyra",
        date(2026, 11, 27),
        (0, 1),  # the logbook kept: the one signed up did not come
        ReportInput(time(22, 0), time(23, 0), "Butikken", "", "", _youths(0, 1, 0, 0)),
        [IncidentInput(IncidentCategory.DRUGS, police_contacted=True, child_welfare_contacted=True)],
    )
    # A draft does not count until it is submitted.
    _file(
        db,
        world,
        clock,
        "Våler sentrum",
        date(2026, 12, 4),
        (3, 0),
        ReportInput(time(22, 0), time(1, 0), youths=_youths(9, 9, 9, 9)),
        [IncidentInput(IncidentCategory.VANDALISM)],
        submit=False,
    )


def test_the_figures_for_the_whole_region(db, world, nights, clock):
    stats = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock())
    total = stats.total
    # Våler's night was walked by its logbook (3 came); its report is a draft, so not come yet.
    assert (total.nights, total.reported, total.unreported) == (4, 3, 1)
    # Walkers by the logbooks times the reports' times, and Våler's planned 22–01.
    assert total.walker_minutes == 2 * 180 + 1 * 120 + 0 * 60 + 3 * 180
    assert total.walker_hours == 17
    assert dict(total.youths) == _youths(1, 7, 5, 2)
    assert total.youths_total == 15
    assert dict(total.incidents) == {
        IncidentCategory.VIOLENCE: 1,
        IncidentCategory.INTOXICATION: 1,
        IncidentCategory.HELPED: 1,
        IncidentCategory.DRUGS: 1,
    }
    assert dict(total.by_month) == {NOVEMBER: 4}
    assert stats.months == [NOVEMBER, DECEMBER]
    assert total.police_nights == 2
    assert total.police_share == pytest.approx(2 / 3)  # of the nights reported
    assert (total.attended, total.no_shows) == (6, 2)
    assert total.no_show_rate == pytest.approx(2 / 8)


def test_the_figures_by_municipality_and_period(db, world, nights, clock):
    stats = statistics(db, world.region.id, date(2026, 11, 21), date(2026, 11, 30), clock())
    asnes = stats.by_municipality[world.asnes.id]
    grue = stats.by_municipality[world.grue.id]
    assert (asnes.nights, asnes.walker_minutes, asnes.incidents_total, asnes.police_nights) == (1, 0, 1, 1)
    assert (grue.nights, grue.walker_minutes, grue.no_show_rate) == (1, 120, 0)
    only_grue = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock(), [world.grue.id])
    assert [m.name for m in only_grue.municipalities] == ["Grue"]
    assert only_grue.total.nights == 1


def test_another_regions_municipalities_are_not_counted(db, world, nights, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    stats = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock(), [hamar.id])
    assert stats.municipalities == []
    assert stats.total.nights == 0


def test_an_empty_period_has_no_shares_rather_than_a_division_by_zero(db, world, nights, clock):
    total = statistics(db, world.region.id, date(2025, 1, 1), date(2025, 12, 31), clock()).total
    assert (total.nights, total.police_share, total.no_show_rate) == (0, None, None)


# --- What was walked comes from the logbooks, reported or not. ---


def test_a_night_walked_without_a_report_counts_as_walked_and_as_not_reported(db, world, clock):
    clock.set(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    shift = world.night_on("Kirkenær", date(2026, 11, 20))
    lines = [
        factories.signup(db, shift, factories.person(db, world.grue, f"G {i}", clock()), clock()) for i in range(4)
    ]
    logbook.record_attendance(db, world.coordinator, shift, {s.id for s in lines[:3]}, clock())
    db.commit()

    total = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 11, 30), clock()).total
    assert (total.nights, total.reported, total.unreported) == (1, 0, 1)
    assert total.walker_minutes == 3 * 180  # no report gives other times: the planned 22–01
    assert (total.attended, total.no_shows) == (3, 1)
    assert (total.youths_total, total.incidents_total, total.police_share) == (0, 0, None)


def test_walk_ins_and_a_logbook_never_kept_count_as_walked_but_not_a_night_called_off_or_to_come(db, world, clock):
    clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))  # Friday's nights are over, Saturday's to come
    friday, saturday = date(2026, 11, 20), date(2026, 11, 21)

    def signed_up(route, day, count):
        shift = world.night_on(route, day)
        municipality = shift.route.municipality
        return shift, [
            factories.signup(db, shift, factories.person(db, municipality, f"{route} {i}", clock()), clock())
            for i in range(count)
        ]

    signed_up("Kirkenær", friday, 2)  # its leader never kept the logbook: those on it walked
    with_guest, _ = signed_up("Flisa sentrum", friday, 0)
    logbook.add_walk_in(db, world.coordinator, with_guest, "+4790000999", "Per", True, clock())
    nobody_came, _ = signed_up("Våler sentrum", friday, 1)
    logbook.record_attendance(db, world.coordinator, nobody_came, set(), clock())
    called_off, _ = signed_up("Kjellmyra", friday, 3)
    called_off.cancelled_at = clock()
    signed_up("Kirkenær", saturday, 3)
    db.commit()

    total = statistics(db, world.region.id, friday, saturday, clock()).total
    assert total.nights == 2
    assert total.walker_minutes == (2 + 1) * 180
    assert (total.attended, total.no_shows) == (0, 1)
    assert total.unreported == 2


def test_the_statistics_page_and_its_csv_say_how_many_nights_walked_have_no_report(login, client, world, nights):
    login(world.coordinator)
    page = client.get("/coordinator/reports/statistics?first_day=2026-11-01&last_day=2026-12-31")
    assert page.status_code == 200
    assert "1 night walked has no report yet: its incidents are not counted." in page.text
    assert "logbooks, every night walked" in page.text
    assert '<th scope="row">Nights walked</th><td>4</td>' in page.text
    assert "2 (66.7 % of the nights reported)" in page.text
    lines = client.get("/coordinator/reports/statistics.csv?first_day=2026-11-01&last_day=2026-12-31").text.splitlines()
    assert lines[0].split(";")[1:3] == ["Nights walked", "Nights walked without a report yet"]
    assert next(line for line in lines if line.startswith("Total;")).split(";")[1:4] == ["4", "1", "17"]


def test_retention_erases_free_text_keeps_counts_and_runs_once(db, world, nights, clock):
    before = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock()).total
    clock.set(datetime(2027, 11, 25, 3, 0, tzinfo=UTC))  # 12 months after 25 November 2026
    assert purge_expired(db, clock()) == 2
    db.commit()
    reports = {r.route_id: r for r in db.scalars(select(ShiftReport))}
    flisa = reports[world.routes["Flisa sentrum"].id]
    assert (flisa.places_visited, flisa.weather, flisa.atmosphere) == ("", "", "")
    assert flisa.incidents[0].description == ""
    assert flisa.incidents[0].category == IncidentCategory.VIOLENCE
    assert all(v.snapshot["atmosphere"] == "" for v in flisa.versions)
    assert all(i["description"] == "" for v in flisa.versions for i in v.snapshot["incidents"])
    assert flisa.purged_at == clock()
    assert reports[world.routes["Kjellmyra"].id].places_visited == "Butikken"
    after = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock()).total
    assert after == before
    assert purge_expired(db, clock()) == 0
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "reports.purged")).all()
    assert [e.details["reports"] for e in events] == [2]


def test_a_region_may_keep_reports_for_a_shorter_time(db, world, nights, clock):
    clock.set(datetime(2027, 1, 5, 12, 0, tzinfo=UTC))
    assert purge_expired(db, clock()) == 0
    settings = configured({"REPORT_RETENTION_MONTHS": "12", "REPORT_RETENTION_MONTHS_BY_REGION": {"solor": 1}})
    assert purge_expired(db, clock(), **settings) == 4  # every night before 5 December


def test_months_before_keeps_to_the_end_of_a_shorter_month():
    assert months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert months_before(date(2027, 1, 15), 12) == date(2026, 1, 15)


def test_a_chart_has_a_title_a_description_and_escaped_labels():
    chart = str(bar_chart("Incidents <by> month", "Jan: 3, Feb: 0", [("Jan", 3), ("<Feb>", 0)]))
    assert chart.startswith('<svg class="chart" role="img" aria-labelledby=')
    assert "<title id=" in chart and ">Incidents &lt;by&gt; month</title>" in chart
    assert ">Jan: 3, Feb: 0</desc>" in chart
    assert "&lt;Feb&gt;" in chart and "<Feb>" not in chart
    assert described([("Jan", 3), ("Feb", 0)]) == "Jan: 3, Feb: 0"


def test_natteravn_purge_runs_the_retention_by_hand(app, db, world, nights, clock):
    clock.set(datetime(2027, 11, 25, 3, 0, tzinfo=UTC))
    db.commit()
    runner = app.test_cli_runner()
    assert "Erased the free text of 2 reports." in runner.invoke(natteravn_commands, ["purge"]).output
    assert "Erased the free text of 0 reports." in runner.invoke(natteravn_commands, ["purge"]).output


def test_the_scheduler_purges_with_the_configured_period(app, db, world, nights, clock):
    clock.set(datetime(2027, 1, 5, 12, 0, tzinfo=UTC))
    app.config["REPORT_RETENTION_MONTHS"] = 1
    db.commit()
    purge_reports(context_from(app))
    db.expire_all()
    assert db.scalar(select(func.count()).where(ShiftReport.purged_at.is_not(None))) == 4


def test_a_term_is_chosen_for_the_statistics_instead_of_typing_its_days(login, client, world, nights):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/statistics?region={world.region.id}&term={world.term.id}")
    assert page.status_code == 200
    assert f'term={world.term.id}" aria-current="true">Høst 2026 (' in page.text
    assert "November 20, 2026 to December 19, 2026" in page.text
    assert 'value="2026-11-20"' in page.text and 'value="2026-12-19"' in page.text  # the term's days, shown
    # The term wins over days typed before, and the police-council report gets the same period.
    typed = client.get(f"/coordinator/reports/statistics?term={world.term.id}&first_day=2025-01-01&last_day=bad")
    assert typed.status_code == 200 and "November 20, 2026 to December 19, 2026" in typed.text
    summary = client.get(f"/coordinator/reports/summary?term={world.term.id}")
    assert "November 20, 2026 to December 19, 2026" in summary.text
    # The form sends only the days: days typed after choosing a term are the days counted.
    assert 'name="term"' not in page.text
    other = client.get("/coordinator/reports/statistics?first_day=2026-11-01&last_day=2026-11-30")
    assert "November 1, 2026 to November 30, 2026" in other.text


def test_another_regions_term_is_not_taken_for_the_period(db, login, client, world, nights, clock):
    elsewhere = Region(name="Hamar", slug="hamar")
    theirs = Term(
        region=elsewhere,
        name="Vår 2026",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
        signup_opens_at=clock(),
    )
    db.add_all([elsewhere, theirs])
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/statistics?term={theirs.id}&first_day=2026-11-01&last_day=2026-11-30")
    assert page.status_code == 200 and "November 1, 2026 to November 30, 2026" in page.text
    assert "Vår 2026" not in page.text


def test_the_terms_page_links_to_its_statistics(login, client, world):
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}")
    assert f"/coordinator/reports/statistics?region={world.region.id}&amp;term={world.term.id}" in page.text


def test_a_period_nobody_walked_says_so_instead_of_showing_zeros(login, client, world, nights):
    login(world.coordinator)
    page = client.get("/coordinator/reports/statistics?first_day=2025-01-01&last_day=2025-12-31")
    assert page.status_code == 200
    assert "No nights were walked in this period, so there are no figures for it." in page.text
    assert "Key figures" not in page.text and "<svg" not in page.text
    walked = client.get("/coordinator/reports/statistics?first_day=2026-11-01&last_day=2026-12-31").text
    assert "No nights were walked" not in walked
