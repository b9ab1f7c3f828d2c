"""`natteravn demo` seeds a region someone can try every role in, and running it again changes nothing."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time as time_module
import urllib.request
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, update

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.clock import local
from natteravn.demo import night_of, seed
from natteravn.models import Base
from natteravn.people import service as people
from natteravn.places.models import Municipality, Region, Registration, Route
from natteravn.reports.access import report_of
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.roster.autofill.models import Availability
from natteravn.roster.autofill.service import accept_draft, run_autofill
from natteravn.shifts.models import HOLDING, ClassWeekend, Shift, Signup, SignupRole, SignupState, Term

FRIDAY, SATURDAY = 4, 5


@pytest.fixture
def demo(app, db):
    logins = seed(app)
    db.expire_all()
    return logins


def row_counts(db) -> dict[str, int]:
    return {table.name: db.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def test_seeding_twice_changes_nothing(app, db, demo):
    before = row_counts(db)
    db.commit()  # end the read, so the second seed can write (SQLite)
    assert seed(app) == demo
    db.expire_all()
    assert row_counts(db) == before


def test_the_region_has_three_municipalities_each_with_routes(db, demo):
    region = db.scalar(select(Region))
    municipalities = db.scalars(select(Municipality).where(Municipality.region_id == region.id)).all()
    assert sorted(m.name for m in municipalities) == ["Grue", "Våler", "Åsnes"]
    for municipality in municipalities:
        routes = db.scalars(select(Route).where(Route.municipality_id == municipality.id)).all()
        assert routes and all(route.meeting_point for route in routes)


def test_a_published_term_of_friday_and_saturday_nights_from_ten_to_one(app, db, demo):
    now = app.config["CLOCK"]()
    term = db.scalar(select(Term))
    assert term.published_at <= now and term.signup_opens_at <= now
    nights = db.scalars(select(Shift).where(Shift.term_id == term.id)).all()
    assert len(nights) > 20
    for night in nights:
        starts, ends = local(night.starts_at), local(night.ends_at)
        assert starts.weekday() in (FRIDAY, SATURDAY)
        assert (starts.time(), ends.time()) == (time(22, 0), time(1, 0))
        assert ends.date() > starts.date()


def test_every_demo_role_can_log_in(db, demo):
    phones = {label: phone for label, (_name, phone) in demo.items()}
    assert {"coordinator", "group leader", "parent", "administrator"} <= phones.keys()
    people = {p.phone: p for p in db.scalars(select(Person).where(Person.phone.in_(phones.values())))}
    assert people.keys() == set(phones.values())
    assert all(person.onboarded for person in people.values())
    assert _holds(people[phones["coordinator"]], RoleKind.COORDINATOR)
    assert _holds(people[phones["group leader"]], RoleKind.LEADER)
    assert not people[phones["parent"]].roles
    assert people[phones["administrator"]].is_admin


def test_two_new_parents_wait_for_the_coordinators_approval(db, demo):
    assert db.scalar(select(Region)).registration == Registration.APPROVAL
    coordinator = db.scalar(select(Person).where(Person.phone == demo["coordinator"][1]))
    waiting = people.waiting_for_approval(db, coordinator.coordinator_scope)
    assert {p.phone for p in waiting} == {demo["new parent"][1], demo["new parent 2"][1]}
    assert all(p.onboarded for p in waiting)
    assert not db.scalar(select(Person).where(Person.phone == demo["parent"][1])).awaiting_approval


def _holds(person: Person, kind: RoleKind) -> bool:
    return any(role.kind == kind for role in person.roles)


def test_there_are_leaders_and_many_parents(db, demo):
    leaders = db.scalar(select(func.count(func.distinct(Role.person_id))).where(Role.kind == RoleKind.LEADER))
    parents = db.scalar(select(func.count()).select_from(Person).where(~Person.roles.any()))
    assert leaders >= 2
    assert parents >= 20


def test_the_seeded_sign_ups_keep_the_rules(db, demo):
    assert db.scalar(select(func.count()).select_from(Signup)) > 0
    overbooked = db.scalars(
        select(Shift.id)
        .join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.state.in_(HOLDING))
        .group_by(Shift.id, Shift.max_walkers)
        .having(func.count() > Shift.max_walkers)
    ).all()
    assert overbooked == []
    for term in db.scalars(select(Term)):
        most_per_person = db.scalar(
            select(func.count())
            .select_from(Signup)
            .join(Signup.shift)
            .where(Shift.term_id == term.id, Signup.role == SignupRole.WALKER)  # nights led are not capped
            .group_by(Signup.person_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        assert most_per_person <= term.cap
    twice_at_once = (
        select(Signup.person_id, Shift.starts_at)
        .join(Signup.shift)
        .where(Signup.state.in_([*HOLDING, SignupState.NO_SHOW]))
        .group_by(Signup.person_id, Shift.starts_at)
        .having(func.count() > 1)
    )
    assert db.execute(twice_at_once).all() == []  # nobody on two routes the same night


def test_volunteers_have_said_when_they_can_walk_so_auto_fill_has_work(db, demo):
    said = db.scalars(select(Availability)).all()
    assert len(said) >= 40
    assert any(a.wants_to_lead for a in said)
    phones = {a.person_id: a.person.phone for a in said}
    partners = {(phones[a.person_id], a.partner_phone) for a in said if a.partner_phone}
    assert len(partners) == 2 and all((b, a) in partners for a, b in partners)


def test_a_walked_term_has_reports_and_one_for_the_leader_to_write(app, db, demo):
    reports = db.scalars(select(ShiftReport)).all()
    assert len(reports) >= 20 and all(r.state == ReportState.SUBMITTED for r in reports)
    assert any(r.incidents for r in reports)
    lars = db.scalar(select(Person).where(Person.phone == demo["group leader"][1]))
    led = db.scalars(
        select(Shift).join(Signup).where(Signup.person_id == lars.id, Shift.ends_at < app.config["CLOCK"]())
    ).all()
    assert any(report_of(db, night) is None for night in led)


def test_the_demo_command_seeds_and_serves_the_login_page(tmp_path):
    """What `make demo` runs, as a person would: the numbers are printed and the site answers."""
    port = _free_port()
    command = [str(Path(sys.executable).parent / "natteravn"), "demo", "--port", str(port)]
    environment = {**os.environ, "NATTERAVN_INSTANCE_PATH": str(tmp_path)}
    environment.pop("NATTERAVN_DATABASE_URL", None)
    server = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = _first_answer(f"http://127.0.0.1:{port}/login", seconds=60)
        assert page.status == 200 and "Natteravn" in page.read().decode()
    finally:
        server.terminate()
        printed = server.communicate(timeout=30)[0]
    assert "+4740000010" in printed
    assert (tmp_path / "natteravn.sqlite").exists() and "SECRET_KEY" in (tmp_path / "config.py").read_text()


def test_a_parent_who_chose_e_mail_finds_the_demos_login_code_in_the_console(tmp_path):
    """E-mail goes to the console as SMS does, with the code shown: else nobody on e-mail logs in."""
    natteravn = str(Path(sys.executable).parent / "natteravn")
    environment = {**os.environ, "NATTERAVN_INSTANCE_PATH": str(tmp_path)}
    environment.pop("NATTERAVN_DATABASE_URL", None)
    subprocess.run([natteravn, "demo", "--no-serve"], env=environment, capture_output=True, check=True)
    database = create_engine(f"sqlite:///{tmp_path / 'natteravn.sqlite'}")
    with database.begin() as connection:
        kari = Person.__table__
        connection.execute(
            update(kari).where(kari.c.phone == "+4740000010").values(channel="email", email="kari@example.no")
        )
    database.dispose()
    port = _free_port()
    printed = tmp_path / "console.txt"
    with printed.open("w") as console:
        server = subprocess.Popen(
            [natteravn, "demo", "--port", str(port)], env=environment, stdout=console, stderr=subprocess.STDOUT
        )
        try:
            _first_answer(f"http://127.0.0.1:{port}/login", seconds=60)
            browser = requests.Session()
            form = browser.get(f"http://127.0.0.1:{port}/login").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            asked = browser.post(f"http://127.0.0.1:{port}/login", data={"phone": "40000010", "csrf_token": token})
            assert asked.status_code == 200 and "/login/code" in asked.url
        finally:
            server.terminate()
            server.wait(timeout=30)
    [line] = [line for line in printed.read_text().splitlines() if "E-mail to kari@example.no" in line]
    assert re.search(r"\b\d{6}\b", line)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_busy_port_is_said_before_anything_else(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {**os.environ, "NATTERAVN_INSTANCE_PATH": str(tmp_path)}
        environment.pop("NATTERAVN_DATABASE_URL", None)
        command = [str(Path(sys.executable).parent / "natteravn"), "demo", "--port", str(port)]
        ran = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert ran.returncode != 0
    said = (ran.stdout + ran.stderr).strip().splitlines()
    assert f"Port {port} is in use" in said[0] and "make demo PORT=" in said[0]
    assert "+4740000010" not in ran.stdout and not (tmp_path / "natteravn.sqlite").exists()


def test_make_demo_takes_the_port():
    root = Path(__file__).resolve().parents[2]
    planned = subprocess.run(["make", "-n", "demo", "PORT=5001"], cwd=root, capture_output=True, text=True, check=True)
    assert "natteravn demo --port 5001" in planned.stdout


@pytest.mark.parametrize(
    "seeded_at",
    [
        datetime(2026, 11, 20, 22, 30, tzinfo=UTC),  # Friday night, during the walk
        datetime(2026, 11, 21, 22, 30, tzinfo=UTC),  # Saturday night
        datetime(2026, 11, 21, 23, 50, tzinfo=UTC),  # 00:50 on Sunday: Saturday's night is still walked
        datetime(2026, 11, 22, 10, 0, tzinfo=UTC),  # Sunday morning
        datetime(2026, 11, 18, 9, 0, tzinfo=UTC),  # Wednesday
    ],
)
def test_the_nights_already_walked_are_all_before_the_night_of_seeding(app, db, clock, seeded_at):
    clock.set(seeded_at)
    seed(app)
    db.expire_all()
    today = night_of(seeded_at)
    walked = db.scalars(
        select(Shift).join(Signup).where(Signup.state.in_((SignupState.ATTENDED, SignupState.NO_SHOW)))
    ).all()
    assert walked and all(local(night.starts_at).date() < today for night in walked)
    open_nights = db.scalars(select(Shift).where(Shift.starts_at > seeded_at)).all()
    assert open_nights
    already_walked = set(walked)
    assert not any(night in already_walked for night in open_nights)
    tonight = [n for n in db.scalars(select(Shift)) if local(n.starts_at).date() == today]
    assert not any(night in already_walked for night in tonight)


@pytest.mark.parametrize(
    "seeded_at",
    [
        datetime(2026, 11, 20, 17, 30, tzinfo=UTC),  # Friday, 18:30 in Oslo
        datetime(2026, 11, 21, 17, 30, tzinfo=UTC),  # Saturday, 18:30 in Oslo
    ],
)
def test_seeded_on_a_friday_or_saturday_evening_tonight_has_nights_to_sign_up_for(app, db, clock, seeded_at):
    clock.set(seeded_at)
    seed(app)
    db.expire_all()
    tonight = [n for n in db.scalars(select(Shift)) if local(n.starts_at).date() == local(seeded_at).date()]
    assert tonight and all(night.starts_at > seeded_at and night.term.published_at for night in tonight)


def test_the_demo_parents_class_weekend_has_nights_whenever_it_is_seeded(app, db, clock):
    clock.set(datetime(2026, 12, 5, 17, 30, tzinfo=UTC))  # two weeks on is Christmas
    seed(app)
    db.expire_all()
    [weekend] = db.scalars(select(ClassWeekend)).all()
    friday_nights = [n for n in db.scalars(select(Shift)) if local(n.starts_at).date() == weekend.weekend_on]
    assert friday_nights and weekend.weekend_on > date(2026, 12, 5)


def _first_answer(url: str, seconds: float):
    deadline = time_module.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            if time_module.monotonic() > deadline:
                raise
            time_module.sleep(0.3)


def test_auto_fill_on_the_demo_term_proposes_only_what_the_sign_up_rules_accept(app, db, demo, links):
    term = db.scalar(select(Term).where(Term.published_at.is_not(None)).order_by(Term.starts_on.desc()))
    coordinator = db.scalar(select(Person).where(Person.phone == demo["coordinator"][1]))
    now = app.config["CLOCK"]()
    draft = run_autofill(db, term, coordinator, now, time_limit_s=5)
    assert draft.assignments
    accepted = accept_draft(db, draft, coordinator, now, links)
    assert accepted.made == len(draft.assignments) and accepted.skipped == 0
