"""What leaves the roster: a CSV that Excel opens with æøå intact, a printable page per
municipality, and the dashboard's look at the coming weekend."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from natteravn.accounts.models import Role, RoleKind
from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.places import service as places
from natteravn.roster import grid
from natteravn.roster import service as roster
from natteravn.shifts.models import SignupRole, Term
from tests import factories


def test_the_roster_csv_opens_in_excel_with_norwegian_letters(db, world, login, clock):
    flisa = world.night_on("Flisa sentrum", datetime(2026, 11, 20).date())
    factories.signup(db, flisa, world.parent, clock())
    factories.signup(db, flisa, world.leader, clock(), role=SignupRole.LEADER)
    world.parent.name = "Kari Nordmann Ødegård"
    world.coordinator.locale = "en"
    db.commit()
    client = login(world.coordinator)

    response = client.get(f"/coordinator/terms/{world.term.id}/roster.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark tells Excel it is UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Day", "Starts"]
    assert len(rows[0]) == 11
    on_flisa = [r for r in rows[1:] if r[5] == "Flisa sentrum" and r[0] == "2026-11-20"]
    assert [(r[7], r[8]) for r in on_flisa] == [("Group leader", "Lise Leder"), ("Walker", "Kari Nordmann Ødegård")]
    assert on_flisa[0][2:5] == ["22:00", "01:00", "Åsnes"]
    empty = [r for r in rows[1:] if r[5] == "Kirkenær" and r[0] == "2026-11-20"]
    assert empty == [["2026-11-20", "Fri", "22:00", "01:00", "Grue", "Kirkenær", "Kirkenær stasjon", "", "", "", ""]]
    assert b"\r\n" in raw
    downloaded = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.roster_downloaded"))
    assert (downloaded.actor_id, downloaded.object_id) == (world.coordinator.id, world.term.id)
    assert on_flisa[1][9] == "912 34 567"  # as Norwegians write it, and text to Excel rather than a number


def test_a_name_excel_would_run_as_a_formula_is_written_as_text(db, world, login, clock):
    world.parent.name = '=HYPERLINK("http://evil.example")'
    factories.signup(db, world.nights[0], world.parent, clock())
    db.commit()
    raw = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/roster.csv").data.decode("utf-8-sig")
    names = [row[8] for row in csv.reader(io.StringIO(raw), delimiter=";") if "HYPERLINK" in row[8]]
    assert names == ['\'=HYPERLINK("http://evil.example")']


def test_the_print_page_lists_one_municipalitys_nights_and_who_walks(db, world, login, clock):
    factories.signup(db, world.nights[0], world.parent, clock())
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/print/{world.asnes.id}").text
    assert "Natteravn roster: Åsnes, Høst 2026" in page
    assert "Kari Nordmann" in page
    assert "Flisa skysstasjon" in page
    assert "Kirkenær" not in page
    assert "roster.css" in page  # hides the menus when printed


def test_the_print_page_gives_each_routes_notes_for_the_walkers_once(db, world, login, clock):
    world.routes["Flisa sentrum"].notes = "Vestene ligger i skapet.\nRing vakttelefonen ved uro."
    world.routes["Kirkenær"].notes = "Møt ved kirken."  # Grue's: not on Åsnes's sheet
    db.commit()
    page = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/print/{world.asnes.id}").text
    assert "<h2>Notes for the walkers</h2>" in page
    assert page.count("Vestene ligger i skapet.\nRing vakttelefonen ved uro.") == 1
    assert "Møt ved kirken." not in page


def test_the_print_page_of_another_regions_municipality_is_not_found(db, world, login, clock):
    _, hamar, _, _ = factories.other_region(db, clock())
    db.commit()
    client = login(world.coordinator)
    assert client.get(f"/coordinator/terms/{world.term.id}/print/{hamar.id}").status_code == 404


def test_the_coming_weekend_runs_friday_to_sunday(clock):
    wednesday = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert grid.coming_weekend(wednesday)[0].date().isoformat() == "2026-11-20"
    assert grid.coming_weekend(saturday)[0].date().isoformat() == "2026-11-20"
    assert grid.coming_weekend(saturday)[1].date().isoformat() == "2026-11-23"


def test_the_dashboard_counts_the_coming_weekends_nights_by_what_they_need(db, world, clock, login):
    friday_flisa = world.night_on("Flisa sentrum", datetime(2026, 11, 20).date())
    for i in range(6):
        factories.signup(db, friday_flisa, factories.person(db, world.asnes, f"Frivillig {i}", clock()), clock())
    db.commit()

    board = grid.dashboard(db, world.coordinator.coordinator_scope, clock())

    assert len(board.cells) == 8  # four routes, Friday and Saturday
    assert board.count(grid.CellState.FULL) == 0  # full, but no leader: that comes first
    assert board.count(grid.CellState.NO_LEADER) == 1
    assert board.short == 7
    assert board.without_leader == 8

    page = login(world.coordinator).get("/coordinator").text
    assert "The coming weekend" in page
    assert "7</strong> short of walkers" in page
    assert "8</strong> without a leader" in page
    assert "No leader" in page


def test_a_night_called_off_shows_on_the_dashboard_as_cancelled_and_nothing_more(db, world, clock, links, login):
    friday_flisa = world.night_on("Flisa sentrum", datetime(2026, 11, 20).date())
    for i in range(3):
        factories.signup(db, friday_flisa, factories.person(db, world.asnes, f"Frivillig {i}", clock()), clock())
    roster.cancel_night(db, friday_flisa, "Storm", clock(), links, world.coordinator)
    db.commit()
    page = login(world.coordinator).get("/coordinator").text
    row = page[page.index(f"/coordinator/nights/{friday_flisa.id}") :].split("</tr>")[0]
    assert "Cancelled" in row
    assert "not answered" not in row and "No leader" not in row and "3 of" not in row


def test_the_dashboards_counts_agree_with_their_number_in_norwegian(db, world, clock, login):
    for route in ("Flisa sentrum", "Kirkenær"):
        night = world.night_on(route, datetime(2026, 11, 20).date())
        night.min_walkers = night.max_walkers = 1
        factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    world.coordinator.locale = "nb"
    db.commit()
    page = login(world.coordinator).get("/coordinator").text
    assert "<strong>2</strong> fulle" in page and "<strong>8</strong> vakter" in page
    assert "Steder" in page  # the coordinator's Places page is "Steder", a night's places are "plasser"


def test_the_dashboard_shows_only_the_coordinators_regions(db, world, clock, login):
    _, _, hamar_coordinator, _ = factories.other_region(db, clock())
    hamar_coordinator.locale = "en"
    db.commit()
    page = login(hamar_coordinator).get("/coordinator").text
    assert "No nights this weekend." in page
    assert "Høst 2026" not in page


def _first_steps(page: str) -> list[str]:
    """The getting-started list as read: each step, and "done" after those taken."""
    found = re.search(r'<ol class="first-steps">(.*?)</ol>', page, re.S)
    assert found, "no getting-started list"
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in re.findall(r"<li.*?</li>", found[1], re.S)]


def test_a_new_regions_dashboard_lists_its_first_steps_in_order_and_ticks_each_as_it_is_taken(db, world, clock, login):
    region, hamar, coordinator, _leader = factories.other_region(db, clock())  # a group leader lives there
    db.commit()
    client = login(coordinator)
    page = client.get("/coordinator").text
    assert "Getting started in Hamar" in page
    assert _first_steps(page) == [
        "Add the routes that are walked, under Places",
        "Add schools and their classes, under Places (optional: for class weekends)",
        "Create a term and make its nights",
        "Import the parents who walk ✓ done",
        "Publish the roster",
    ]
    assert f'<a href="/coordinator/places#region-{region.id}">Add the routes' in page
    assert '<a href="/coordinator/terms/new">Create a term' in page
    assert '<a href="/coordinator/people/import">Import the parents' in page

    route = places.add_route(
        db, hamar, name="Hamar sentrum", meeting_point="Stortorget", notes="", actor=coordinator, now=clock()
    )
    term = Term(
        region=region, name="Vår 2027", starts_on=date(2027, 1, 8), ends_on=date(2027, 3, 26), signup_opens_at=clock()
    )
    db.add(term)
    db.flush()
    factories.night(db, term, route, date(2027, 1, 8))
    db.commit()
    page = client.get("/coordinator").text
    assert [step.endswith("✓ done") for step in _first_steps(page)] == [True, False, True, True, False]
    steps = page[page.index('<ol class="first-steps">') : page.index("</ol>")]
    assert steps.count(f'<a href="/coordinator/terms/{term.id}">') == 2  # its nights, and where it is published

    term.published_at = clock()
    db.commit()
    assert "Getting started" not in client.get("/coordinator").text


def test_a_region_under_way_and_a_coordinator_of_one_municipality_see_no_first_steps(db, world, clock, login):
    client = login(world.coordinator)
    assert "Getting started" not in client.get("/coordinator").text
    client.post("/logout")
    # Places, terms and imports are the whole region's coordinator's to set up.
    grue_only = factories.person(db, world.grue, "Gro Grue", clock())
    grue_only.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    for route in world.routes.values():
        route.archived = True
    db.commit()
    dashboard = login(grue_only).get("/coordinator")
    assert dashboard.status_code == 200 and "Getting started" not in dashboard.text
    client.post("/logout")
    assert "Getting started in Solør" in login(world.coordinator).get("/coordinator").text  # no route left to walk


def test_the_roster_csv_names_each_weekends_class_by_school_and_class_on_its_own_municipalitys_nights(
    db, world, login, clock
):
    from natteravn.shifts.models import ClassWeekend

    db.add(
        ClassWeekend(
            term=world.term,
            school_class=world.school_class,
            weekend_on=datetime(2026, 11, 27).date(),
            created_at=clock(),
        )
    )
    db.commit()
    raw = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}/roster.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert rows[0][10] == "Class weekend"
    that_weekend = [r for r in rows[1:] if r[0] in ("2026-11-27", "2026-11-28")]
    # Flisa skole is in Åsnes: its class walks Åsnes's nights, not Grue's or Våler's.
    assert {r[10] for r in that_weekend if r[4] == "Åsnes"} == {"Flisa skole 9A"}
    assert {r[10] for r in that_weekend if r[4] != "Åsnes"} == {""}
    assert {r[10] for r in rows[1:] if r[0] == "2026-11-20"} == {""}
    client = login(world.coordinator)
    assert "Class weekend: Flisa skole 9A" in client.get(f"/coordinator/terms/{world.term.id}/grid").text
    grue_only = client.get(f"/coordinator/terms/{world.term.id}/grid?municipality={world.grue.id}").text
    assert "Class weekend" not in grue_only
    assert (
        "Class weekend: Flisa skole 9A" in client.get(f"/coordinator/terms/{world.term.id}/print/{world.asnes.id}").text
    )
    assert "Class weekend" not in client.get(f"/coordinator/terms/{world.term.id}/print/{world.grue.id}").text


def test_in_the_small_hours_after_saturdays_night_the_dashboard_shows_the_next_weekend(db, world, clock):
    clock.set(datetime(2026, 11, 22, 3, 10, tzinfo=UTC))  # Sunday 04:10: Saturday's night ended at 01:00
    board = grid.dashboard(db, world.coordinator.coordinator_scope, clock())
    assert {local(cell.shift.starts_at).date().isoformat() for cell in board.cells} == {"2026-11-27", "2026-11-28"}
    clock.set(datetime(2026, 11, 21, 23, 30, tzinfo=UTC))  # Sunday 00:30: Saturday's night is being walked
    walked_now = grid.dashboard(db, world.coordinator.coordinator_scope, clock())
    assert "2026-11-21" in {local(cell.shift.starts_at).date().isoformat() for cell in walked_now.cells}


def test_once_this_weekends_nights_are_over_the_dashboard_shows_the_next_weekend_with_nights(db, world, clock, login):
    clock.set(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))  # Sunday: Friday's and Saturday's nights are walked
    board = grid.dashboard(db, world.coordinator.coordinator_scope, clock())
    assert {local(cell.shift.starts_at).date().isoformat() for cell in board.cells} == {"2026-11-27", "2026-11-28"}
    assert len(board.cells) == 8
    page = login(world.coordinator).get("/coordinator").text
    assert "The coming weekend, Fri 27 Nov to Sun 29 Nov" in page


def test_on_a_sunday_with_no_nights_ahead_the_dashboard_looks_at_the_next_weekend(db, world, clock, login):
    for night in world.nights:
        db.delete(night)
    db.commit()
    clock.set(datetime(2026, 11, 22, 5, 35, tzinfo=UTC))  # Sunday morning, a new region with no nights yet
    page = login(world.coordinator).get("/coordinator").text
    assert "The coming weekend, Fri 27 Nov to Sun 29 Nov" in page
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # Friday morning: this weekend is the coming one
    assert "The coming weekend, Fri 20 Nov to Sun 22 Nov" in login(world.coordinator).get("/coordinator").text
