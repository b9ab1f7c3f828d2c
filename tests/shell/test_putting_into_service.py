"""README's "Putting it into service", followed to the letter on a fresh database: its `natteravn`
commands run as written, then the coordinator they appointed logs in with the code sent by SMS,
answers the first-time questions (and lands on their dashboard, waiting for nobody's approval),
adds a route, and makes a term and its nights through the pages, with CSRF protection on as in
production."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from natteravn import create_app
from natteravn.accounts.service import normalise_phone
from natteravn.db import make_engine, make_session_factory
from natteravn.shifts.models import Shift, Term
from natteravn.sms.gateway import ConsoleGateway
from tests.conftest import FixedClock, code_from
from tests.shell import program

README = program.ROOT / "README.md"
#: Long-running processes the section starts: the web server is tested by the pages below.
SERVERS = (["natteravn", "scheduler"],)


def section_commands() -> list[list[str]]:
    """The `natteravn` command lines in the section's code blocks, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Putting it into service\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("natteravn ")]


def test_the_section_sets_up_the_database_a_region_and_its_coordinator():
    said = [" ".join(argv[1:3]) for argv in section_commands()]
    assert said[:4] == ["db upgrade", "region create", "coordinator grant", "admin grant"]
    assert "scheduler" in said


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def csrf(page: str) -> str:
    """The session's token, from whichever form of the page shows it (a prefixed one too)."""
    return re.search(r'name="(?:[\w]+-)?csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def option_value(page: str, label: str) -> str:
    return re.search(rf'<option[^>]* value="(\d+)"[^>]*>{re.escape(label)}</option>', page).group(1)


@pytest.fixture
def database(tmp_path):
    with program.fresh_database(tmp_path, "natteravn_readme") as url:
        yield url


def test_a_coordinator_builds_a_term_after_the_readmes_commands(database, tmp_path):
    commands = [argv for argv in section_commands() if argv not in SERVERS]
    for argv in commands:
        result = program.run(database, tmp_path, *argv[1:])
        assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stderr}"
    assert program.unlabelled_audit_entries(database) == []
    grant = next(argv for argv in commands if argv[1:3] == ["coordinator", "grant"])

    gateway = ConsoleGateway()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database,
            "SECRET_KEY": "a-long-secret-for-the-first-day",
            "GATEWAY": gateway,
            "CLOCK": FixedClock(datetime(2026, 11, 18, 9, 0, tzinfo=UTC)),
            "BASE_URL": "http://natteravn.test",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    try:
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        log_in_the_first_time(browser, gateway, option(grant, "--phone"), option(grant, "--name"))
        term_id = make_a_term_with_its_nights(browser)
    finally:
        app.extensions["natteravn.engine"].dispose()

    engine = make_engine(database)
    with make_session_factory(engine)() as session:
        term = session.get(Term, term_id)
        nights = session.scalars(select(Shift).where(Shift.term_id == term_id)).all()
        assert (term.name, term.region.slug) == ("Vår 2027", "solor")
        # Fridays and Saturdays from 8 to 16 January on the one route.
        assert sorted(night.starts_at.day for night in nights) == [8, 9, 15, 16]
    engine.dispose()


def log_in_the_first_time(browser, gateway: ConsoleGateway, phone: str, name: str) -> None:
    page = browser.get("/login").text
    response = browser.post("/login", data={"csrf_token": csrf(page), "phone": phone})
    assert response.status_code == 302, response.text
    page = browser.get(response.location).text
    response = browser.post(
        "/login/code", data={"csrf_token": csrf(page), "code": code_from(gateway, normalise_phone(phone))}
    )
    assert response.status_code == 302 and "/welcome" in response.location

    page = browser.get(response.location).text
    assert f'value="{name}"' in page  # the name given on the command line
    response = browser.post(
        "/welcome",
        data={
            "csrf_token": csrf(page),
            "name": name,
            "municipality": option_value(page, "Åsnes"),
            "school_class": "0",
            "locale": "en",
            "adult": "y",
            "conduct": "y",
        },
    )
    # Made coordinator by the command, they plan: their dashboard, with nobody waiting (not themselves).
    assert response.status_code == 302 and response.location == "/coordinator", response.text
    dashboard = browser.get(response.location).text
    assert "waiting for approval" not in dashboard


def make_a_term_with_its_nights(browser) -> int:
    places = browser.get("/coordinator/places")
    assert places.status_code == 200
    new_route = re.search(r'href="([^"]+)">Add a route in Åsnes<', places.text).group(1)
    page = browser.get(new_route).text
    response = browser.post(
        new_route,
        data={"csrf_token": csrf(page), "name": "Flisa sentrum", "meeting_point": "Flisa skysstasjon", "notes": ""},
    )
    assert response.status_code == 302, response.text

    page = browser.get("/coordinator/terms/new").text
    response = browser.post(
        "/coordinator/terms/new",
        data={
            "csrf_token": csrf(page),
            "region_id": re.search(r'name="region_id" value="(\d+)"', page).group(1),  # their one region
            "name": "Vår 2027",
            "starts_on": "2027-01-08",
            "ends_on": "2027-01-16",
            "signup_opens_at": "2026-12-01T18:00",
        },
    )
    assert response.status_code == 302, response.text
    term_page = response.location
    page = browser.get(term_page).text
    route = re.search(r'name="new-route_ids" type="checkbox" value="(\d+)"', page).group(1)
    response = browser.post(
        f"{term_page}/patterns",
        data={
            "new-csrf_token": csrf(page),  # one token per session, whichever form shows it
            "new-weekdays": ["4", "5"],
            "new-starts_local": "22:00",
            "new-ends_local": "01:00",
            "new-route_ids": [route],
            "new-min_walkers": "3",
            "new-max_walkers": "6",
            "new-needs_leader": "y",
            "new-skip_dates": "",
        },
    )
    assert response.status_code == 302, response.text
    assert "4 nights made" in browser.get(term_page).text
    return int(term_page.rstrip("/").rsplit("/", 1)[1])
