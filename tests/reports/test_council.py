"""The report a coordinator takes to the police council: a period beside the one before and the
same period a year earlier, per municipality and route, incidents by category and hour, what the
volunteers gave, the coordinator's assessment, small counts shown as "<3", a two-page print
layout, and a link for the council's members that shows only this report, expires, and fits a phone.
A term is compared with the term before it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.demo import seed
from natteravn.i18n import translations
from natteravn.reports import council, logbook, writing
from natteravn.reports.models import Assessment, IncidentCategory, ReportState, ShiftReport
from natteravn.reports.stats import retention, terms_of_region
from natteravn.reports.writing import IncidentInput, ReportInput
from natteravn.shifts.models import Shift, Signup, SignupState, Term
from tests import factories
from tests.accessibility import fits_the_screen, serious_findings
from tests.conftest import PHONE, chromium

NOVEMBER = council.Period(date(2026, 11, 1), date(2026, 11, 30))


def _walk(db, world, clock, route, day, walkers, incidents, *, people=None):
    """A night walked on `route` by `walkers` people (or these `people`), with a submitted report."""
    shift = world.night_on(route, day)
    people = people or [
        factories.person(db, shift.route.municipality, f"Walker {day} {i}", clock()) for i in range(walkers)
    ]
    lines = [factories.signup(db, shift, p, clock()) for p in people]
    logbook.record_attendance(db, world.coordinator, shift, {s.id for s in lines}, clock())
    counts = {"youths_under_13": 0, "youths_13_15": 5, "youths_16_17": 0, "youths_18_plus": 0}
    written = ReportInput(time(22, 0), time(1, 0), youths=counts)
    for incident in incidents or [None]:
        writing.save_report(db, world.coordinator, shift, written, clock(), incident=incident, submit=True)
    db.commit()
    return shift, people


@pytest.fixture
def walked(db, world, clock):
    """November: three nights in Åsnes and Grue, one incident of violence at 23:15 and five of
    intoxication. The same people walk twice; one of them walked in October too."""
    clock.set(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    october = Term(
        region=world.region,
        name="Høst 2026 del 1",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 10, 31),
        signup_opens_at=clock() - timedelta(days=90),
        published_at=clock() - timedelta(days=90),
    )
    db.add(october)
    early = factories.night(db, october, world.routes["Flisa sentrum"], date(2026, 10, 23))
    veteran = factories.person(db, world.asnes, "Vera Veteran", clock())
    factories.signup(db, early, veteran, clock(), state=SignupState.ATTENDED)
    fight = IncidentInput(IncidentCategory.VIOLENCE, around=time(23, 15), police_contacted=True)
    drunk = [IncidentInput(IncidentCategory.INTOXICATION, around=time(0, 30)) for _ in range(5)]
    _, asnes_people = _walk(db, world, clock, "Flisa sentrum", date(2026, 11, 20), 2, [fight, *drunk])
    _walk(db, world, clock, "Kjellmyra", date(2026, 11, 27), 0, [], people=[*asnes_people, veteran])
    _walk(db, world, clock, "Kirkenær", date(2026, 11, 21), 3, [])
    return asnes_people


def _selection(world, period=NOVEMBER, *municipalities):
    return council.Selection(world.region.id, period, tuple(m.id for m in municipalities))


# --- The figures. ---


def test_a_period_of_days_compares_with_as_many_days_before_and_the_same_dates_a_year_earlier():
    autumn = council.Period(date(2026, 11, 6), date(2026, 11, 28))
    assert autumn.before() == council.Period(date(2026, 10, 14), date(2026, 11, 5))
    assert autumn.a_year_earlier() == council.Period(date(2025, 11, 6), date(2025, 11, 28))
    leap = council.Period(date(2028, 2, 29), date(2028, 3, 6))
    assert leap.a_year_earlier() == council.Period(date(2027, 2, 28), date(2027, 3, 6))


def test_a_calendar_year_compares_with_the_calendar_year_before_even_after_a_leap_year():
    year = council.Period(date(2025, 1, 1), date(2025, 12, 31))
    assert year.before() == council.Period(date(2024, 1, 1), date(2024, 12, 31))  # 2024 has 366 days
    assert year.a_year_earlier() == council.Period(date(2024, 1, 1), date(2024, 12, 31))
    leap_year = council.Period(date(2028, 1, 1), date(2028, 12, 31))
    assert leap_year.before() == council.Period(date(2027, 1, 1), date(2027, 12, 31))
    two_years = council.Period(date(2025, 1, 1), date(2026, 12, 31))
    assert two_years.before() == council.Period(date(2023, 1, 1), date(2024, 12, 31))


def test_whole_months_compare_with_as_many_whole_months_before_and_the_same_months_a_year_earlier():
    assert NOVEMBER.before() == council.Period(date(2026, 10, 1), date(2026, 10, 31))
    assert NOVEMBER.a_year_earlier() == council.Period(date(2025, 11, 1), date(2025, 11, 30))
    march = council.Period(date(2028, 3, 1), date(2028, 3, 31))
    assert march.before() == council.Period(date(2028, 2, 1), date(2028, 2, 29))
    spring = council.Period(date(2029, 1, 1), date(2029, 2, 28))
    assert spring.before() == council.Period(date(2028, 11, 1), date(2028, 12, 31))
    assert spring.a_year_earlier() == council.Period(date(2028, 1, 1), date(2028, 2, 29))  # all of February


def test_the_report_compares_the_period_with_the_one_before_per_municipality_and_route(db, world, walked, clock):
    report = council.council_report(db, _selection(world), clock())

    assert report.chosen.figures.nights == 3
    assert report.chosen.figures.incidents_total == 6
    assert report.chosen.figures.incidents[IncidentCategory.INTOXICATION] == 5
    assert report.chosen.by_municipality[world.asnes.id].nights == 2
    assert report.chosen.by_municipality[world.grue.id].incidents_total == 0
    assert report.chosen.by_route[world.routes["Flisa sentrum"].id] == {"nights": 1, "incidents": 6}
    assert report.chosen.by_hour == {23: 1, 0: 5}
    # Vera's October night has no report: walked all the same, and said to be unreported.
    assert (report.previous.figures.nights, report.previous.figures.unreported) == (1, 1)
    assert report.last_year.figures.nights == 0
    assert [m.name for m in report.municipalities] == ["Grue", "Våler", "Åsnes"]


def test_volunteer_effort_counts_nights_hours_people_and_newcomers(db, world, walked, clock):
    report = council.council_report(db, _selection(world), clock())
    effort = report.chosen.effort
    assert effort.nights == 3
    assert effort.walker_hours == pytest.approx((2 + 3 + 3) * 3)  # walkers in the reports × three hours
    assert (effort.people, effort.new_people) == (2 + 1 + 3, 2 + 3)  # Vera walked in October already
    asnes = report.chosen.effort_by_municipality[world.asnes.id]
    assert (asnes.people, asnes.new_people) == (3, 2)
    previous = report.previous.effort
    assert (previous.nights, previous.walker_hours, previous.people) == (1, 3, 1)  # Vera, in October


def test_a_night_walked_without_a_report_counts_in_nights_hours_and_people_not_in_what_was_met(
    db, world, walked, clock
):
    shift = world.night_on("Våler sentrum", date(2026, 11, 28))
    people = [factories.person(db, world.valer, f"Walker Våler {i}", clock()) for i in range(4)]
    lines = [factories.signup(db, shift, p, clock()) for p in people]
    logbook.record_attendance(db, world.coordinator, shift, {s.id for s in lines}, clock())
    db.commit()

    chosen = council.council_report(db, _selection(world), clock()).chosen
    assert (chosen.figures.nights, chosen.figures.reported, chosen.figures.unreported) == (4, 3, 1)
    assert chosen.effort.walker_hours == pytest.approx((2 + 3 + 3 + 4) * 3)
    assert chosen.effort.people == 2 + 1 + 3 + 4
    valer = chosen.by_municipality[world.valer.id]
    assert (valer.nights, valer.unreported, valer.youths_total, valer.incidents_total) == (1, 1, 0, 0)
    assert chosen.by_route[world.routes["Våler sentrum"].id] == {"nights": 1}
    assert (chosen.figures.incidents_total, chosen.figures.youths_total) == (6, 15)


def test_a_period_must_end_after_it_starts_and_last_ten_years_at_most():
    with pytest.raises(council.CouncilRefused) as backwards:
        council.Period.checked(date(2026, 11, 30), date(2026, 11, 1))
    assert (backwards.value.field, backwards.value.msgid) == ("last_day", "The last day must be after the first.")
    with pytest.raises(council.CouncilRefused) as too_long:
        council.Period.checked(date(2010, 1, 1), date(2026, 11, 30))
    assert too_long.value.msgid == "Choose a period of ten years or less."
    assert council.Period.checked(date(2026, 11, 1), date(2026, 11, 1)).days == 1
    assert council.Period.checked(date(2016, 11, 1), date(2026, 11, 1)).first_day == date(2016, 11, 1)


def test_an_assessment_too_long_is_refused_and_the_one_saved_stays(db, world, clock):
    selection = _selection(world)
    council.save_assessment(db, selection, "Roligere enn i fjor.", clock(), world.coordinator)
    with pytest.raises(council.CouncilRefused) as refused:
        council.save_assessment(db, selection, "x" * 4001, clock(), world.coordinator)
    assert (refused.value.field, refused.value.params) == ("text", {"max": 4000})
    assert council.assessment_for(db, selection).text == "Roligere enn i fjor."
    # Spaces and line breaks around the text are not kept, so they do not count.
    assert council.save_assessment(db, selection, f"  {'x' * 4000}\n", clock(), world.coordinator).text == "x" * 4000


def test_an_assessment_keeps_its_paragraphs_and_counts_a_line_break_as_one_character(db, world, clock):
    paragraph = "y" * 998
    sent = "\r\n\r\n".join([paragraph] * 4)  # as a browser sends it: 4,004 characters as written
    saved = council.save_assessment(db, _selection(world), sent, clock(), world.coordinator)
    assert saved.text.split("\n\n") == [paragraph] * 4 and len(saved.text) == 3998


NAMED = "Roligere enn i fjor. Ola Nordmann (16) ble fulgt hjem to ganger."


def test_an_assessment_naming_a_young_person_is_not_saved_until_rewritten_or_confirmed(db, world, clock):
    selection = _selection(world)
    council.save_assessment(db, selection, "Roligere enn i fjor.", clock(), world.coordinator)

    with pytest.raises(council.AssessmentUnchecked) as refused:
        council.save_assessment(db, selection, NAMED, clock(), world.coordinator)

    assert refused.value.field == "text" and refused.value.unchecked == ["Ola Nordmann", "(16)"]
    assert council.assessment_for(db, selection).text == "Roligere enn i fjor."
    # Confirming one passage is not enough: each must be rewritten or confirmed.
    with pytest.raises(council.AssessmentUnchecked) as still:
        council.save_assessment(db, selection, NAMED, clock(), world.coordinator, confirmed=["(16)"])
    assert (still.value.unchecked, still.value.confirmed) == (["Ola Nordmann"], ["(16)"])
    rewritten = "Roligere enn i fjor. En ungdom ble fulgt hjem to ganger."
    assert council.save_assessment(db, selection, rewritten, clock(), world.coordinator).text == rewritten


def test_a_passage_confirmed_to_identify_nobody_is_kept_with_the_assessment_and_printed(db, world, clock):
    selection = _selection(world)
    text = "Mer uro ved Finnskogtunet etter midnatt."  # a place the region's names do not know
    saved = council.save_assessment(db, selection, text, clock(), world.coordinator, confirmed=["Finnskogtunet"])
    assert saved.confirmed_flags == ["Finnskogtunet"]
    report = council.council_report(db, selection, clock())
    assert (report.unchecked, report.printed_assessment) == ([], text)
    # Rewritten without it, the confirmation goes too: a passage confirmed once is not confirmed for ever.
    again = council.save_assessment(db, selection, "Mer uro ved stasjonen.", clock(), world.coordinator)
    assert again.confirmed_flags == []


def test_an_assessment_saved_before_the_check_is_neither_printed_nor_shared_while_it_names_someone(db, world, clock):
    selection = _selection(world)
    db.add(
        Assessment(
            region_id=world.region.id,
            first_day=NOVEMBER.first_day,
            last_day=NOVEMBER.last_day,
            municipalities="",
            text=NAMED,
            updated_at=clock(),
        )
    )
    db.flush()
    report = council.council_report(db, selection, clock())
    assert report.unchecked == ["Ola Nordmann", "(16)"]
    assert report.printed_assessment == ""


def test_a_municipalitys_report_counts_only_that_municipality(db, world, walked, clock):
    report = council.council_report(db, _selection(world, NOVEMBER, world.grue), clock())
    assert [m.name for m in report.municipalities] == ["Grue"]
    assert report.chosen.figures.nights == 1 and report.chosen.figures.incidents_total == 0
    assert [r.name for r in report.routes] == ["Kirkenær"]


def test_counts_of_one_and_two_are_shown_as_less_than_three():
    assert [council.shown(n) for n in (0, 1, 2, 3, 12)] == ["0", "<3", "<3", "3", "12"]


@pytest.mark.parametrize(
    ("parts", "shown"),
    [
        # Nothing small: everything shown, and a 0 names nobody.
        ((0, 7, 12), ("0", "7", "12")),
        # A small part alone beside a total of the same: nothing to subtract.
        ((1, 0, 0), ("<3", "0", "0")),
        # 1 + 2 = 3: either could be the 1.
        ((1, 2, 0), ("<3", "<3", "0")),
        # 6 - 5 would tell the 1: the smallest part shown besides is kept back, not a 0.
        ((1, 5, 0), ("<3", ":", "0")),
        ((2, 5, 9, 0), ("<3", ":", "9", "0")),
        # A "<3" beside a ":" (3 or more) in a total of 4 is a 1 and a 3: a third part is kept back.
        ((1, 3, 5), ("<3", ":", ":")),
        # 1 + 1 + 4 = 6: the <3s could be 1 and 2 in either order, the 4 a 3 or 4.
        ((1, 1, 4), ("<3", "<3", ":")),
        # 2 + 2 = 4 would say both are 2; 1 + 3 = 4 that they are 1 and 3: with nothing left to keep
        # back, both say only that they are not 0.
        ((2, 2, 0), (":", ":", "0")),
        ((1, 3, 0), (":", ":", "0")),
    ],
)
def test_a_small_count_cannot_be_worked_out_from_its_total_and_the_counts_beside_it(parts, shown):
    assert tuple(council.shown_parts(dict(enumerate(parts))).values()) == shown


def test_retention_counts_who_came_back_and_who_was_lost(db, world, walked, clock):
    rows = retention(db, terms_of_region(db, world.region.id), local(clock()).date())
    assert [r.term.name for r in rows] == ["Høst 2026", "Høst 2026 del 1"]
    autumn, october = rows
    assert (october.volunteers, october.returning, october.lost) == (1, None, None)
    assert (autumn.volunteers, autumn.returning, autumn.lost) == (6, 1, 0)


def test_a_term_not_begun_loses_nobody_and_is_not_counted(db, world, walked, clock):
    spring = Term(
        region=world.region,
        name="Vår 2027",
        starts_on=date(2027, 3, 5),
        ends_on=date(2027, 6, 12),
        signup_opens_at=clock(),
        published_at=clock(),
    )
    db.add(spring)
    db.flush()
    assert [r.term.name for r in retention(db, terms_of_region(db, world.region.id), local(clock()).date())] == [
        "Høst 2026",
        "Høst 2026 del 1",
    ]


# --- The pages. ---

QUERY = "first_day=2026-11-01&last_day=2026-11-30"
#: A part kept back, as a table cell shows it: a ":" to see and words to hear.
KEPT = '<span aria-hidden="true">:</span><span class="visually-hidden">kept back</span>'
KEPT_NOTE = "A count shown as : is kept back so that a small count beside it cannot be worked out"


def test_the_report_page_shows_three_periods_and_hides_small_counts(db, world, walked, login, client):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}")
    assert page.status_code == 200
    text = page.text
    assert "report to the police council" in text
    assert "This period" in text and "The period before" in text and "The same period a year earlier" in text
    assert "October 1, 2026 to October 31, 2026" in text
    assert text.count('class="print-page"') == 2
    assert "reports-print.css" in text
    assert "&lt;3" in text  # one incident of violence, one night with police contact
    violence = text.split("Violence or arranged fights</th>")[1].split("</tr>")[0]
    assert "&lt;3" in violence and ">1<" not in violence
    # The 5 incidents after midnight would give the 1 away as 6 minus 5: they are kept back too.
    assert '<th scope="row">23–00</th><td>&lt;3</td>' in text
    assert f'<th scope="row">00–01</th><td>{KEPT}</td>' in text
    assert text.count("<svg") == 3
    assert "totals are exact" in text


def test_the_printable_report_of_a_year_compares_with_the_whole_year_before(db, world, login, client, clock):
    spring = Term(
        region=world.region,
        name="Vår 2025",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 6, 30),
        signup_opens_at=clock() - timedelta(days=700),
    )
    db.add(spring)
    night = factories.night(db, spring, world.routes["Flisa sentrum"], date(2025, 5, 16))
    walker = factories.person(db, world.asnes, "Vera Veteran", clock())
    factories.signup(db, night, walker, clock(), state=SignupState.ATTENDED)
    db.commit()
    login(world.coordinator)
    text = client.get("/coordinator/reports/summary?first_day=2025-01-01&last_day=2025-12-31").text
    assert text.count("January 1, 2024 to December 31, 2024") >= 2  # the period before, and a year earlier
    assert "January 2, 2024" not in text


def test_a_report_for_a_period_nobody_walked_says_so_instead_of_pages_of_zeros(db, world, walked, login, client):
    login(world.coordinator)
    text = client.get("/coordinator/reports/summary?first_day=2027-01-01&last_day=2027-06-30").text
    assert "No nights were walked in this period, so there are no figures for it." in text
    assert "Key figures" not in text and "Incidents by category" not in text and "<svg" not in text
    assert text.count('class="print-page"') == 1
    assert "Save the assessment" in text  # the coordinator may still say why


def test_a_period_compared_with_that_has_no_night_walked_says_no_data_instead_of_zeros(
    db, world, walked, login, client
):
    login(world.coordinator)
    text = client.get(f"/coordinator/reports/summary?{QUERY}").text
    heads = text.split("<thead>")[1].split("</thead>")[0]
    assert heads.count("No data: no night walked in this period is recorded here.") == 1  # a year earlier only
    drugs = text.split("Drugs</th>")[1].split("</tr>")[0]
    assert drugs == "<td>0</td><td>0</td><td>–</td>"  # October was walked: its 0 is a figure
    kjellmyra = text.split('<th scope="row">Kjellmyra</th>')[1].split("</tr>")[0]
    assert kjellmyra.strip().startswith("<td>&lt;3</td><td>0</td><td>–</td>")


def test_the_csv_shows_the_same_suppressed_counts(db, world, walked, login, client):
    login(world.coordinator)
    response = client.get(f"/coordinator/reports/summary.csv?{QUERY}")
    assert response.mimetype == "text/csv"
    lines = response.data.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Counts of 1 or 2 are shown as <3")
    assert "Violence or arranged fights;<3;0;–" in lines
    assert "Intoxication;:;0;–" in lines  # else 6 incidents minus these 5 tells the violence
    assert "23–00;<3;0;–" in lines and "00–01;:;0;–" in lines
    assert "Incidents;6;0;–" in lines
    assert "Nights with police contact;<3;0;–" in lines
    assert "Kjellmyra;<3;0;–" in lines
    assert "Nights walked;3;<3;–" in lines
    assert "Nights walked without a report yet;0;<3;–" in lines  # Vera's October night
    assert "Walker-hours;24;3;–" in lines
    assert ";;;No data" in lines  # nothing walked is recorded a year earlier


def test_the_report_says_how_many_nights_walked_have_no_report_yet(db, world, walked, login, client, clock):
    for route, day in (("Våler sentrum", date(2026, 11, 28)), ("Kirkenær", date(2026, 11, 28))):
        shift = world.night_on(route, day)
        walker = factories.person(db, shift.route.municipality, f"Walker {route}", clock())
        factories.signup(db, shift, walker, clock(), state=SignupState.ATTENDED)
    db.commit()
    login(world.coordinator)
    text = client.get(f"/coordinator/reports/summary?{QUERY}").text
    assert "logbooks, every night walked" in text
    # Two nights, shown as the report shows every count of 1 or 2.
    assert "&lt;3 nights walked have no report yet: their incidents are not counted." in text
    assert '<th scope="row">Nights walked</th><td>5</td><td>&lt;3</td><td>–</td>' in text
    unreported = text.split("Nights walked without a report yet</th>")[1].split("</tr>")[0]
    assert unreported == "<td>&lt;3</td><td>&lt;3</td><td>–</td>"
    lines = client.get(f"/coordinator/reports/summary.csv?{QUERY}").text.splitlines()
    assert "<3 nights walked have no report yet: their incidents are not counted." in lines[:4]
    assert "Nights walked without a report yet;<3;<3;–" in lines


def test_the_coordinators_assessment_is_kept_with_the_report_and_printed(db, world, walked, login, client):
    login(world.coordinator)
    saved = client.post(
        f"/coordinator/reports/summary/assessment?{QUERY}",
        data={"text": "Roligere enn i fjor.\n\nMer uro ved stasjonen etter midnatt."},
        follow_redirects=True,
    )
    assert 'role="status">Your assessment is saved' in saved.text  # said by a screen reader, as on every page
    assert "<p>Roligere enn i fjor.</p>" in saved.text
    assert "Mer uro ved stasjonen etter midnatt." in client.get(f"/coordinator/reports/summary.csv?{QUERY}").text
    # Another period, or only one municipality, is another report with its own assessment.
    other = client.get("/coordinator/reports/summary?first_day=2026-11-01&last_day=2026-11-29")
    assert "Roligere enn i fjor." not in other.text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "council_report.assessed")) is not None


def test_a_link_shows_the_report_without_login_until_it_expires(db, world, walked, login, client, clock):
    login(world.coordinator)
    page = client.post(f"/coordinator/reports/summary/link?{QUERY}", data={"days": "7"})
    assert "Send this link to the council" in page.text
    link = page.text.split('readonly value="')[1].split('"')[0]
    path = link.removeprefix("http://natteravn.test")
    assert path.startswith("/council/")
    client.post("/logout")

    shared = client.get(path)
    assert shared.status_code == 200
    assert shared.headers["Cache-Control"] == "no-store"
    assert "This period" in shared.text and "Intoxication" in shared.text
    assert "Make a link" not in shared.text and "Save the assessment" not in shared.text
    assert "coordinator-nav" not in shared.text and "Back to the statistics" not in shared.text
    opened = db.scalar(select(AuditEvent).where(AuditEvent.action == "council_report.link_opened"))
    assert opened is not None and opened.actor_id is None

    altered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.get(altered).status_code == 404
    clock.advance(days=8)
    expired = client.get(path)
    assert expired.status_code == 404 and "expired" in expired.text


def _shared_path(client) -> str:
    made = client.post(f"/coordinator/reports/summary/link?{QUERY}", data={"days": "7"})
    return made.text.split('readonly value="')[1].split('"')[0].removeprefix("http://natteravn.test")


def test_an_assessment_naming_a_young_person_is_shown_back_to_check_and_never_reaches_the_link(
    db, world, walked, login, client
):
    login(world.coordinator)
    page = client.post(f"/coordinator/reports/summary/assessment?{QUERY}", data={"text": NAMED})

    assert page.status_code == 422
    box = page.text.split("<textarea")[1].split("</textarea>")[0]
    assert 'aria-invalid="true"' in box and NAMED in box  # what was typed is kept to correct
    assert "Check the marked parts first: rewrite each, or confirm that it identifies nobody." in page.text
    passages = page.text.split('id="passages"')[1].split("</fieldset>")[0]
    assert 'name="confirm" value="Ola Nordmann"' in passages and 'value="(16)"' in passages
    assert "«Ola Nordmann» identifies nobody" in passages
    db.rollback()
    assert db.scalar(select(Assessment)) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "council_report.assessed")) is None

    path = _shared_path(client)
    client.post("/logout")
    shared = client.get(path).text
    assert "Ola Nordmann" not in shared and "(16)" not in shared
    assert "The coordinator's assessment" not in shared


def test_an_assessment_with_its_flagged_place_confirmed_is_saved_printed_and_shared(db, world, walked, login, client):
    login(world.coordinator)
    text = "Mer uro ved Finnskogtunet etter midnatt."
    first = client.post(f"/coordinator/reports/summary/assessment?{QUERY}", data={"text": text})
    assert first.status_code == 422 and 'value="Finnskogtunet"' in first.text

    saved = client.post(
        f"/coordinator/reports/summary/assessment?{QUERY}",
        data={"text": text, "confirm": "Finnskogtunet"},
        follow_redirects=True,
    )
    assert "Your assessment is saved" in saved.text
    assert f"<p>{text}</p>" in saved.text
    # Saved again unchanged, it is not asked about again: the confirmation goes with the form.
    assert '<input type="hidden" name="confirm" value="Finnskogtunet">' in saved.text
    path = _shared_path(client)
    client.post("/logout")
    assert f"<p>{text}</p>" in client.get(path).text


def test_an_assessment_saved_before_the_check_is_held_back_from_print_csv_and_link_until_checked(
    db, world, walked, login, client, clock
):
    db.add(
        Assessment(
            region_id=world.region.id,
            first_day=NOVEMBER.first_day,
            last_day=NOVEMBER.last_day,
            municipalities="",
            text=NAMED,
            updated_at=clock(),
        )
    )
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}").text
    assert "is not printed or shown by the link until the marked parts are checked" in page
    assert "<p>Roligere enn i fjor." not in page  # only in the box to correct it, which does not print
    assert 'class="assessment screen-only"' in page and 'value="Ola Nordmann"' in page
    assert "Ola Nordmann" not in client.get(f"/coordinator/reports/summary.csv?{QUERY}").text
    path = _shared_path(client)
    client.post("/logout")
    assert "Ola Nordmann" not in client.get(path).text


def test_without_an_assessment_the_report_prints_no_heading_for_it(db, world, walked, login, client):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}").text
    assert 'class="assessment screen-only"' in page  # the box to write one, on the screen only
    path = _shared_path(client)
    client.post("/logout")
    shared = client.get(path).text
    assert "The coordinator's assessment" not in shared and "No assessment written" not in shared


def test_a_municipalitys_coordinator_gets_their_own_report_and_link(db, world, walked, client, login, clock):
    grue_coordinator = factories.person(db, world.grue, "Gunn Grue", clock())
    grue_coordinator.roles.append(
        factories.Role(kind=factories.RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id)
    )
    db.commit()
    login(grue_coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}")
    assert "Natteravn in Grue" in page.text
    assert "Kjellmyra" not in page.text and "Åsnes" not in page.text
    made = client.post(f"/coordinator/reports/summary/link?{QUERY}", data={"days": "14"})
    path = made.text.split('readonly value="')[1].split('"')[0].removeprefix("http://natteravn.test")
    client.post("/logout")
    shared = client.get(path).text
    assert "Kirkenær" in shared and "Kjellmyra" not in shared


def test_the_report_renders_for_the_demos_walked_autumn_term_beside_the_period_before(app, db, client, gateway, clock):
    seed(app)
    now = clock()
    autumn = db.scalar(select(Term).where(Term.name == "Høst 2026"))
    nights = db.scalars(select(Shift).where(Shift.term_id == autumn.id)).all()
    db.commit()
    from tests.conftest import log_in

    log_in(client, gateway, "+4740000001")
    page = client.get(f"/coordinator/reports/summary?first_day={autumn.starts_on}&last_day={autumn.ends_on}")
    assert page.status_code == 200
    assert "Natteravn i Solør" in page.text  # the coordinator reads bokmål
    before = council.Period(autumn.starts_on, autumn.ends_on).before()
    assert format_date(before.first_day, "long", locale="nb") in page.text  # the coordinator reads Norwegian
    assert len(nights) == 4 * 2 * 6
    region = autumn.region_id
    report = council.council_report(
        db, council.Selection(region, council.Period(autumn.starts_on, autumn.ends_on)), now
    )
    reported = report.chosen.figures.nights
    assert reported > 0 and report.previous.figures.nights == 0  # the term before the demo's first
    first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert first_row.endswith(f"<td>{reported}</td><td>–</td><td>–</td>")  # no data before the demo's term


def test_the_demos_autumn_term_counts_every_night_walked_and_says_which_have_no_report(app, db, clock):
    """As a coordinator found it: the last weekend walked, its reports not written yet."""
    seed(app)
    autumn = db.scalar(select(Term).where(Term.name == "Høst 2026"))
    came = db.execute(
        select(Signup.shift_id, Signup.person_id)
        .join(Shift)
        .where(Shift.term_id == autumn.id, Signup.state == SignupState.ATTENDED)
    ).all()
    attendances = Counter(shift_id for shift_id, _ in came)
    reports = db.scalars(select(ShiftReport).where(ShiftReport.state == ReportState.SUBMITTED)).all()
    assert reports and all(r.shift_id in attendances for r in reports)

    period = council.Period(autumn.starts_on, autumn.ends_on)
    chosen = council.council_report(db, council.Selection(autumn.region_id, period), clock()).chosen
    assert chosen.figures.nights == len(attendances)
    assert chosen.figures.unreported == len(attendances) - len(reports) > 0
    assert chosen.effort.walker_hours == 3 * sum(attendances.values())  # every night 22–01
    assert chosen.effort.people == len({person_id for _, person_id in came})


def test_an_assessment_too_long_is_refused_beside_the_box_that_keeps_it(db, world, walked, login, client):
    login(world.coordinator)
    client.post(f"/coordinator/reports/summary/assessment?{QUERY}", data={"text": "Roligere enn i fjor."})
    typed = "Mer uro ved stasjonen etter midnatt. " * 120  # 4,440 characters

    page = client.post(f"/coordinator/reports/summary/assessment?{QUERY}", data={"text": typed})

    assert page.status_code == 422
    assert "Check this answer" in page.text
    box = page.text.split("<textarea")[1].split("</textarea>")[0]
    assert 'aria-invalid="true"' in box and typed.strip() in box
    assert "Shorten this to 4000 characters." in page.text.split("</textarea>")[1]
    assert "<p>Roligere enn i fjor.</p>" in page.text  # what was saved stays, and shows
    db.rollback()
    assert db.scalar(select(Assessment.text)) == "Roligere enn i fjor."


def test_an_assessment_of_the_longest_length_with_paragraphs_from_a_browser_is_saved(db, world, walked, login, client):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}")
    assert "maxlength" not in page.text.split("<textarea")[1].split(">")[0]  # a paste is never cut short
    paragraphs = ["Roligere enn i fjor." * 40, "Mer uro ved stasjonen." * 40, "x" * 2316]
    sent = "\r\n\r\n".join(paragraphs)  # 4,000 characters as the browser counts them, 4,004 sent
    saved = client.post(f"/coordinator/reports/summary/assessment?{QUERY}", data={"text": sent}, follow_redirects=True)
    assert "Your assessment is saved" in saved.text
    assert f"<p>{paragraphs[1]}</p>" in saved.text


@pytest.mark.parametrize("path", ["summary", "summary.csv"])
@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("first_day=2026-11-30&last_day=2026-11-01", "The last day must be after the first."),
        ("first_day=2010-01-01&last_day=2026-11-30", "Choose a period of ten years or less."),
        ("first_day=0001-01-01&last_day=2026-11-30", "Choose a date between 2000 and 2100."),
    ],
)
def test_a_period_that_cannot_be_counted_is_explained_with_the_form_to_correct_it(
    db, world, login, client, path, days, message
):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/{path}?{days}")
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert message in page.text and 'aria-invalid="true"' in page.text
    assert "<h1>Report to the police council</h1>" in page.text
    assert 'action="/coordinator/reports/summary"' in page.text and 'name="last_day"' in page.text


def test_an_assessment_or_link_asked_for_a_period_that_cannot_be_counted_saves_nothing(db, world, login, client):
    login(world.coordinator)
    backwards = "first_day=2026-11-30&last_day=2026-11-01"
    for path, data in (("assessment", {"text": "Rolig."}), ("link", {"days": "7"})):
        page = client.post(f"/coordinator/reports/summary/{path}?{backwards}", data=data)
        assert page.status_code == 422 and "The last day must be after the first." in page.text
    db.rollback()
    assert db.scalar(select(Assessment)) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action.like("council_report.%"))) is None


# --- A term beside the term before. ---

TERM = council.Period(date(2026, 11, 20), date(2026, 12, 19))  # the world's term, Høst 2026
TERM_QUERY = "first_day=2026-11-20&last_day=2026-12-19"


def test_a_term_compares_with_the_term_before_not_as_many_days_before(db, world, walked, clock):
    report = council.council_report(db, _selection(world, TERM), clock())
    assert report.terms is not None and report.terms.before.name == "Høst 2026 del 1"
    assert report.previous.period == council.Period(date(2026, 10, 1), date(2026, 10, 31))  # not 21.10–19.11
    assert report.previous.figures.nights == 1  # Vera's October night
    assert report.last_year.period == council.Period(date(2025, 11, 20), date(2025, 12, 19))


def test_days_that_are_no_term_or_a_term_with_none_published_before_compare_with_the_days_before(
    db, world, walked, clock
):
    db.add(
        Term(
            region=world.region,
            name="Utkast sommer 2026",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 8, 31),
            signup_opens_at=clock(),
        )
    )  # a draft, never walked: passed over
    db.commit()
    days = council.Period(date(2026, 11, 20), date(2026, 12, 18))
    assert council.council_report(db, _selection(world, days), clock()).terms is None
    october = council.Period(date(2026, 10, 1), date(2026, 10, 31))
    report = council.council_report(db, _selection(world, october), clock())
    assert report.terms is None and report.previous.period == october.before()


def test_a_term_is_named_and_compared_with_the_term_before_on_the_page_csv_and_link(db, world, walked, login, client):
    login(world.coordinator)
    said = (
        "Compared with the term before, Høst 2026 del 1 (October 1, 2026 to October 31, 2026), "
        "and with the same dates a year earlier (November 20, 2025 to December 19, 2025)."
    )
    page = client.get(f"/coordinator/reports/summary?{TERM_QUERY}").text
    assert said in page
    assert "This term" in page and "The term before" in page and "The period before" not in page
    lines = client.get(f"/coordinator/reports/summary.csv?{TERM_QUERY}").text.splitlines()
    assert said in lines
    assert ";This term;The term before;The same period a year earlier" in lines
    assert "Nights walked;3;<3;–" in lines
    made = client.post(f"/coordinator/reports/summary/link?{TERM_QUERY}", data={"days": "7"})
    path = made.text.split('readonly value="')[1].split('"')[0].removeprefix("http://natteravn.test")
    client.post("/logout")
    shared = client.get(path).text
    assert said in shared and "The term before" in shared


def test_days_that_are_no_term_say_they_are_compared_with_as_many_days_or_months_before(
    db, world, walked, login, client
):
    login(world.coordinator)
    page = client.get("/coordinator/reports/summary?first_day=2026-11-06&last_day=2026-11-28").text
    assert (
        "Compared with the 23 days just before (October 14, 2026 to November 5, 2026), "
        "and with the same dates a year earlier (November 6, 2025 to November 28, 2025)."
    ) in page
    assert "The period before" in page and "The term before" not in page
    month = client.get(f"/coordinator/reports/summary?{QUERY}").text
    assert "Compared with the month just before (October 1, 2026 to October 31, 2026)" in month
    lines = client.get(f"/coordinator/reports/summary.csv?{QUERY}").text.splitlines()
    assert ";This period;The period before;The same period a year earlier" in lines


# --- Walkers per municipality, and young people by age band. ---


def test_walkers_in_several_municipalities_are_counted_in_each_and_once_in_all(db, world, walked, login, client, clock):
    _walk(db, world, clock, "Kirkenær", date(2026, 11, 28), 0, [], people=[walked[0]])  # from Åsnes, walks in Grue
    report = council.council_report(db, _selection(world), clock())
    by_municipality = report.chosen.effort_by_municipality
    assert (by_municipality[world.asnes.id].people, by_municipality[world.grue.id].people) == (3, 4)
    assert report.chosen.effort.people == 6

    login(world.coordinator)
    note = "Someone who walked in more than one municipality is counted in each of them"
    page = client.get(f"/coordinator/reports/summary?{QUERY}").text
    assert note in page.split("By municipality")[1].split("</section>")[0]  # under that table
    lines = client.get(f"/coordinator/reports/summary.csv?{QUERY}").text.splitlines()
    people = lines[lines.index("People who walked by municipality") :]
    assert people[1:5] == ["Grue;4;0;–", "Våler;0;0;–", "Åsnes;3;<3;–", "All municipalities, each person once;6;<3;–"]
    assert not any(note in line for line in lines)  # the CSV says it in its row's name, not in a note
    client.post("/logout")
    login(world.coordinator)
    one = client.get(f"/coordinator/reports/summary?{QUERY}&municipalities={world.grue.id}").text
    assert note not in one  # one municipality adds up to nothing more


def test_the_report_counts_young_people_by_age_band_and_hides_small_counts(db, world, walked, login, client):
    night = world.night_on("Kirkenær", date(2026, 11, 21))
    report = db.scalar(select(ShiftReport).where(ShiftReport.shift_id == night.id))
    report.youths_16_17 = 2
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}").text
    # 17 young people met: 15 of 13–15 beside them would tell the 2.
    assert '<th scope="row">Young people met</th><td>17</td><td>0</td><td>–</td>' in page
    assert f'<th scope="row" class="sub">13–15</th><td>{KEPT}</td><td>0</td><td>–</td>' in page
    assert '<th scope="row" class="sub">16–17</th><td>&lt;3</td><td>0</td><td>–</td>' in page
    assert '<th scope="row" class="sub">Under 13</th><td>0</td><td>0</td><td>–</td>' in page
    lines = client.get(f"/coordinator/reports/summary.csv?{QUERY}").text.splitlines()
    assert "Young people 13–15;:;0;–" in lines and "Young people 16–17;<3;0;–" in lines


def _chart(page: str, title: str) -> str:
    return next(svg for svg in page.split("<svg")[1:] if f'-title">{title}</title>' in svg).split("</svg>")[0]


def test_a_part_that_would_give_a_small_count_away_is_kept_back_on_the_page_the_link_and_the_csv(
    db, world, walked, login, client
):
    login(world.coordinator)
    page = client.get(f"/coordinator/reports/summary?{QUERY}").text
    # 6 incidents: 1 of violence, 5 of intoxication; the 5 shown would tell the 1.
    assert '<th scope="row">Incidents</th><td>6</td>' in page  # totals stay exact
    intoxication = page.split("Intoxication</th>")[1].split("</tr>")[0]
    assert intoxication == f"<td>{KEPT}</td><td>0</td><td>–</td>"
    assert page.count(KEPT_NOTE) == 2  # on both printed pages
    chart = _chart(page, "Incidents by category")
    assert "Intoxication: kept back, Drugs: 0, Violence or arranged fights: &lt;3" in chart
    assert 'width="0"' in chart and ">5<" not in chart  # no bar's length tells the 5
    lines = client.get(f"/coordinator/reports/summary.csv?{QUERY}").text.splitlines()
    assert lines[1].startswith(KEPT_NOTE)
    shared = client.get(_shared_path(client)).text
    assert shared.split("Intoxication</th>")[1].split("</tr>")[0] == intoxication
    assert KEPT_NOTE in shared


def test_a_report_with_no_part_kept_back_says_nothing_about_it(db, world, walked, login, client):
    login(world.coordinator)
    grue = f"{QUERY}&municipalities={world.grue.id}"
    page = client.get(f"/coordinator/reports/summary?{grue}").text
    assert '<th scope="row" class="sub">13–15</th><td>5</td>' in page and KEPT_NOTE not in page
    assert KEPT_NOTE not in client.get(f"/coordinator/reports/summary.csv?{grue}").text


# --- On a phone. ---


@pytest.mark.browser
def test_the_shared_report_fits_a_phone_its_wide_tables_scroll_in_their_own_box(
    db, world, walked, links, live_server, norwegian_phone, clock
):
    phone = norwegian_phone
    link = council.link_for(_selection(world, TERM), date(2026, 12, 31), links)
    phone.goto(live_server + link.removeprefix(links.base_url))
    assert phone.locator("#compared-with").is_visible()
    assert fits_the_screen(phone)
    boxes = phone.locator(".table-scroll")
    widths = boxes.evaluate_all("boxes => boxes.map(b => b.scrollWidth > b.clientWidth)")
    assert any(widths)  # a table too wide for the phone scrolls by itself, not the page
    assert phone.locator(".narrow-only").is_visible()  # and the phone is told the comparison is a swipe away


@pytest.mark.browser
def test_a_part_kept_back_is_a_mark_to_the_eye_and_words_to_a_screen_reader(db, world, walked, links, live_server):
    link = council.link_for(_selection(world, TERM), date(2026, 12, 31), links)
    with chromium(locale="nb-NO", **PHONE) as phone:  # axe needs JavaScript
        phone.goto(live_server + link.removeprefix(links.base_url))
        kept = phone.locator("td", has=phone.locator(".visually-hidden"))
        assert kept.count() >= 2
        assert kept.first.locator('[aria-hidden="true"]').inner_text() == ":"
        assert kept.first.locator(".visually-hidden").text_content() == translations("nb").gettext("kept back")
        assert not serious_findings(phone)
