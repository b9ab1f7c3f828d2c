"""The pages people open most run as many queries for a whole country as for one small region, and on
PostgreSQL every one of those queries can be answered from an index: the pages stay fast as the
deployment grows from one region to all of Norway's (bench/national.py measures how fast)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.places.models import Municipality, Region, Route
from natteravn.reports.models import Incident, IncidentCategory, ReportState, ShiftReport
from natteravn.shifts.models import Shift, SignupRole, SignupState, Term
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories
from tests.databases import POSTGRES_URL

#: Tables that grow with the country; a page must never read one of them whole.
GROWING = ("person", "shift", "signup", "shift_report", "incident", "sms_message", "audit_event", "role")


def add_history(db, world, now, *, people: int, nights: list[Shift]) -> None:
    """People, their sign-ups, walked nights with reports and incidents, and the SMS they got: `people`
    more in each of Solør's municipalities, and `nights` walked and reported."""
    for municipality in (world.grue, world.asnes, world.valer):
        for number in range(people):
            factories.person(db, municipality, f"{municipality.name} {number}", now, leader=number % 3 == 0)
    mentioned = [world.leader.id, world.parent.id]
    neighbours = db.scalars(
        select(Person).where(Person.municipality_id == world.asnes.id, Person.id.not_in(mentioned)).limit(3)
    )
    walkers = [world.leader, world.parent, *neighbours]
    for night in nights:
        for index, walker in enumerate(walkers):
            signup = factories.signup(
                db,
                night,
                walker,
                now,
                role=SignupRole.LEADER if index == 0 else SignupRole.WALKER,
                state=SignupState.ATTENDED,
            )
            db.add(
                SmsMessage(
                    to=walker.phone,
                    body="Påminnelse: natteravning i kveld.",
                    purpose=Purpose.REMINDER_DAY,
                    person_id=walker.id,
                    signup_id=signup.id,
                    shift_id=night.id,
                    region_id=world.region.id,
                    due_at=now,
                    state=MessageState.DELIVERED,
                    created_at=now,
                    sent_at=now,
                    attempts=1,
                    last_error="",
                )
            )
        report = ShiftReport(
            shift=night,
            region_id=world.region.id,
            municipality_id=night.route.municipality_id,
            route_id=night.route_id,
            night_on=night.starts_at.date(),
            leader_id=walkers[0].id,
            state=ReportState.SUBMITTED,
            walkers=5,
            created_at=now,
            updated_at=now,
            submitted_at=now,
        )
        report.incidents = [
            Incident(position=n + 1, category=IncidentCategory.HELPED, place="Stasjonen", description="Fulgte hjem.")
            for n in range(3)
        ]
        db.add(report)
    db.flush()


def add_regions(db, now, count: int) -> None:
    """Other regions with their own people, coordinators and terms."""
    for number in range(count):
        region = Region(name=f"Region {number}", slug=f"region-{number}")
        municipality = Municipality(region=region, name=f"Kommune {number}")
        route = Route(municipality=municipality, name="Sentrum", meeting_point="Torget")
        term = Term(
            region=region,
            name="Høst",
            starts_on=now.date(),
            ends_on=now.date() + timedelta(weeks=8),
            signup_opens_at=now,
            published_at=now,
        )
        db.add_all([region, municipality, route, term])
        db.flush()
        factories.person(db, municipality, f"Koordinator {number}", now, coordinator=True)
        for week in range(4):
            night = factories.night(db, term, route, now.date() + timedelta(weeks=week, days=2))
            factories.signup(db, night, factories.person(db, municipality, f"Forelder {number}.{week}", now), now)


@pytest.fixture
def admin(db, world, clock):
    someone = factories.person(db, world.grue, "Nora Nasjonal", clock())
    db.add(Role(person_id=someone.id, kind=RoleKind.ADMIN))
    db.commit()
    return someone


def pages(world, admin):
    """Who opens which page, as bench/national.py's clients do."""
    return {
        world.parent: {"nights": "/nights", "my": "/my", "night": f"/nights/{world.nights[-1].id}"},
        world.leader: {"my, a group leader's": "/my"},  # with the report of every night they led
        world.coordinator: {
            "dashboard": "/coordinator",
            "grid": f"/coordinator/terms/{world.term.id}/grid",
            "people": "/coordinator/people",
            "reports": "/coordinator/reports",
            "statistics": "/coordinator/reports/statistics",
            "outbox": "/coordinator/outbox",
            "message form": "/coordinator/messages",  # with every night to the end of the term under way
        },
        admin: {"admin": "/admin"},
    }


class Statements:
    """The SQL a page runs, as sent to the database."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[tuple[str, object]] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *_exception):
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, _connection, _cursor, statement, parameters, _context, _many) -> None:
        self.seen.append((statement, parameters))


def statements_per_page(app, client, gateway, world, admin) -> dict[str, list[tuple[str, object]]]:
    from tests.conftest import log_in

    engine = app.extensions["natteravn.engine"]
    found = {}
    for person, paths in pages(world, admin).items():
        log_in(client, gateway, person.phone)
        for name, path in paths.items():
            assert client.get(path).status_code == 200, path  # the first visit warms what every later one shares
            with Statements(engine) as statements:
                assert client.get(path).status_code == 200, path
            found[name] = statements.seen
        client.post("/logout")
    return found


def test_the_pages_run_as_many_queries_for_the_country_as_for_one_small_region(
    app, client, gateway, db, world, admin, clock
):
    add_history(db, world, clock(), people=2, nights=world.nights[-2:])
    db.commit()
    small = {name: len(seen) for name, seen in statements_per_page(app, client, gateway, world, admin).items()}

    add_history(db, world, clock(), people=20, nights=world.nights[:-2])
    add_regions(db, clock(), 5)
    db.commit()
    large = {name: len(seen) for name, seen in statements_per_page(app, client, gateway, world, admin).items()}

    assert large == small
    assert max(small.values()) <= 12, small


@pytest.mark.skipif(not POSTGRES_URL, reason="query plans are PostgreSQL's")
def test_every_query_of_the_pages_can_be_answered_from_an_index(app, client, gateway, db, world, admin, clock):
    add_history(db, world, clock(), people=5, nights=world.nights)
    add_regions(db, clock(), 3)
    db.commit()
    engine = app.extensions["natteravn.engine"]
    whole_reads = {}
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        # With sequential scans priced out, a plan that still reads a table whole has no index to use.
        connection.execute(text("SET enable_seqscan = off"))
        for name, seen in statements_per_page(app, client, gateway, world, admin).items():
            for statement, parameters in seen:
                read_whole = tables_read_whole(connection, statement, parameters)
                if read_whole:
                    whole_reads.setdefault(name, []).append((read_whole, " ".join(statement.split())[:300]))
    assert not whole_reads, whole_reads


def tables_read_whole(connection, statement: str, parameters) -> list[str]:
    """The growing tables a SELECT's plan reads whole, on a connection with sequential scans priced out."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return []
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("EXPLAIN " + statement, parameters)
    plan = "\n".join(row[0] for row in cursor.fetchall())
    return [table for table in GROWING if f"Seq Scan on {table} " in plan]


def test_the_police_council_report_runs_as_many_queries_for_the_country_as_for_one_small_region(
    app, client, gateway, db, world, clock
):
    """Three periods side by side, each from a few grouped queries over the logbooks and the reports:
    more than a page opened every day, and as many for the whole country as for one region."""
    from tests.conftest import log_in

    engine = app.extensions["natteravn.engine"]
    summary = "/coordinator/reports/summary?first_day=2026-11-01&last_day=2026-12-31"

    def statements() -> list[tuple[str, object]]:
        assert client.get(summary).status_code == 200  # warms what every later visit shares
        with Statements(engine) as seen:
            assert client.get(summary).status_code == 200
        return seen.seen

    add_history(db, world, clock(), people=2, nights=world.nights[-2:])
    db.commit()
    log_in(client, gateway, world.coordinator.phone)
    small = statements()
    add_history(db, world, clock(), people=20, nights=world.nights[:-2])
    add_regions(db, clock(), 5)
    db.commit()
    large = statements()

    assert len(large) == len(small)
    if POSTGRES_URL:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.execute(text("SET enable_seqscan = off"))
            whole_reads = [
                (read_whole, " ".join(statement.split())[:300])
                for statement, parameters in large
                if (read_whole := tables_read_whole(connection, statement, parameters))
            ]
        assert not whole_reads, whole_reads


def test_a_web_worker_loads_the_auto_fill_solver_only_when_auto_fill_runs(tmp_path):
    """OR-Tools brings pandas and numpy with it, some 70 MB in every worker that imports it."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, wsgi; print(sorted({m.split('.')[0] for m in sys.modules}))"],
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "NATTERAVN_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
            "NATTERAVN_SECRET_KEY": "x",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heavy in ("ortools", "pandas", "numpy"):
        assert f"'{heavy}'" not in loaded
