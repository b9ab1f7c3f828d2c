"""National scale: all of Norway's night-walk groups on one deployment.

    NATTERAVN_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/national.py

Makes a private database on that PostgreSQL server (dropped afterwards) and seeds, in bulk and inside
the database: 120 regions with 350 municipalities and 900 routes, 30,000 volunteers, the current term's
Friday and Saturday nights on every route (about 36,000), five years of walked nights before it with
their sign-ups, submitted reports and incidents, and the SMS history that goes with them.

Then it serves the app under gunicorn as in production (`gunicorn -w 4 wsgi:app`) and lets 50 clients
loose at once, spread over regions and roles: parents (the nights page, My nights, a night page),
coordinators (dashboard, grid, people, reports, statistics, outbox) and the national administrator
(the region list). A client is a person at a phone or a desk: it loads a page, reads it for a moment
(`--think-ms`, random around the given mean) and loads the next. Measured: p50/p95 per page, the
queries each page runs (counted in-process on the same data, since a worker's queries cannot be seen
from outside), and the resident memory of every gunicorn worker once the run is over.

Last line: key=value figures, including worst_page=, worst_p95_ms=, max_queries=, rss_mb= (the
largest worker), seed_s=, rps= (pages served per second in all) and worker_cpu_ms_per_request= (the
workers' CPU time over the run divided by the pages served: what one page costs the app server).
Targets: every page's p95 under 150 ms, worker RSS under 150 MB, seeding under 3 minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import event, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from own_database import own_database, require_postgresql  # noqa: E402
from signup_rush import USER_AGENT, gunicorn, percentile, session_cookies  # noqa: E402

from natteravn import create_app  # noqa: E402
from natteravn.accounts.models import Person, Role, RoleKind  # noqa: E402
from natteravn.clock import local  # noqa: E402
from natteravn.db import make_engine, make_session_factory  # noqa: E402
from natteravn.models import Base  # noqa: E402
from natteravn.places.models import Municipality, Region, Route  # noqa: E402
from natteravn.shifts.models import Shift, Term  # noqa: E402

REGIONS, MUNICIPALITIES, ROUTES, VOLUNTEERS = 120, 350, 900, 30_000
WEEKENDS = 20  # per term; two terms a year
PAST_YEARS = 5
PER_MUNICIPALITY = VOLUNTEERS // MUNICIPALITIES  # 85: person ids run municipality by municipality
REQUEST_TIMEOUT = 60


def _first_friday(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7)


def seed_places(session, today: date) -> None:
    """Regions, municipalities, routes and terms: few enough rows for the ORM."""
    towns = iter(range(MUNICIPALITIES))
    for number in range(REGIONS):
        region = Region(name=f"Region {number + 1}", slug=f"region-{number + 1}", nights_per_term_cap=6)
        # The first regions have three municipalities and the first municipalities three routes.
        for town in range(3 if number < MUNICIPALITIES - 2 * REGIONS else 2):
            municipality = Municipality(region=region, name=f"Kommune {number + 1}.{town + 1}")
            walks = 3 if next(towns) < ROUTES - 2 * MUNICIPALITIES else 2
            session.add_all(
                Route(municipality=municipality, name=f"Rute {walk + 1}", meeting_point="Stasjonen")
                for walk in range(walks)
            )
        for starts_on, name in _terms(today):
            session.add(
                Term(
                    region=region,
                    name=name,
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(weeks=WEEKENDS - 1, days=1),
                    signup_opens_at=datetime.combine(starts_on - timedelta(weeks=4), datetime.min.time(), UTC),
                    published_at=datetime.combine(starts_on - timedelta(weeks=5), datetime.min.time(), UTC),
                )
            )
    session.flush()


def _terms(today: date) -> list[tuple[date, str]]:
    """The current term (eight weekends walked, twelve to come) and two terms a year before it."""
    current = _first_friday(today) - timedelta(weeks=8)
    terms = [(current, "Nå")]
    for year in range(today.year - PAST_YEARS, today.year):
        terms += [(_first_friday(date(year, 2, 1)), f"Vår {year}"), (_first_friday(date(year, 9, 1)), f"Høst {year}")]
    return terms


# Each statement builds one table from the rows already there, so the data never leaves the server.
BULK = {
    "person": f"""
        INSERT INTO person (phone, name, name_key, locale, municipality_id, adult_confirmed_at,
            conduct_accepted_at, conduct_version, approved_at, session_version, calendar_version, active, created_at)
        SELECT '+479' || lpad(n::text, 7, '0'), 'Forelder ' || n, 'forelder ' || n, 'nb',
            (n - 1) % {MUNICIPALITIES} + 1, :now, :now, 1, :now, 1, 1, true, :now
        FROM generate_series(1, {PER_MUNICIPALITY * MUNICIPALITIES}) AS n""",
    # Every eighth volunteer of a municipality leads groups.
    "leaders": f"""
        INSERT INTO role (person_id, kind, region_id)
        SELECT p.id, 'LEADER', m.region_id FROM person p JOIN municipality m ON m.id = p.municipality_id
        WHERE ((p.id - 1) / {MUNICIPALITIES}) % 8 = 0""",
    "shift": """
        INSERT INTO shift (term_id, route_id, starts_at, ends_at, min_walkers, max_walkers, needs_leader,
            note, cancel_reason)
        SELECT t.id, r.id, d + time '21:00', d + interval '1 day' + time '00:00', 3, 6, true, '', ''
        FROM term t JOIN municipality m ON m.region_id = t.region_id JOIN route r ON r.municipality_id = m.id
        CROSS JOIN LATERAL generate_series(t.starts_on, t.ends_on, interval '1 day') AS d
        WHERE extract(isodow FROM d) IN (5, 6)""",
    # Walked nights: a leader and three walkers; nights to come: up to four so far.
    "signup": f"""
        INSERT INTO signup (shift_id, person_id, role, state, created_at)
        SELECT s.id, r.municipality_id + {MUNICIPALITIES} * k.k,
            CASE WHEN k.j = 0 THEN 'LEADER' ELSE 'WALKER' END,
            CASE WHEN s.starts_at > :now THEN 'SIGNED_UP' WHEN (s.id + k.j) % 9 = 0 THEN 'NO_SHOW' ELSE 'ATTENDED' END,
            s.starts_at - interval '30 days'
        FROM shift s JOIN route r ON r.id = s.route_id
        CROSS JOIN LATERAL (
            SELECT j, CASE WHEN j = 0 THEN 8 * (s.id % 11) ELSE (8 * (s.id % 11) + 1 + 21 * j) % {PER_MUNICIPALITY} END
            FROM generate_series(0, 3) AS j
        ) AS k(j, k)
        WHERE s.starts_at < :now OR k.j < s.id % 5""",
    "shift_report": """
        INSERT INTO shift_report (shift_id, region_id, municipality_id, route_id, night_on, leader_id, state,
            started_at, ended_at, duration_minutes, walkers, places_visited, weather, youths_under_13, youths_13_15,
            youths_16_17, youths_18_plus, atmosphere, flagged, confirmed_flags, created_at, updated_at,
            submitted_at, follow_up_note)
        SELECT s.id, m.region_id, m.id, r.id, s.starts_at::date, l.person_id, 'SUBMITTED', s.starts_at,
            s.starts_at + interval '3 hours', 180, 4, 'Sentrum, skolen, stasjonen', 'Opphold', s.id % 3,
            s.id % 20, s.id % 15, s.id % 5, 'Rolig', false, '[]', s.ends_at, s.ends_at,
            s.ends_at + interval '1 hour', ''
        FROM shift s JOIN route r ON r.id = s.route_id JOIN municipality m ON m.id = r.municipality_id
        JOIN signup l ON l.shift_id = s.id AND l.role = 'LEADER'
        WHERE s.ends_at < :now""",
    "incident": """
        INSERT INTO incident (report_id, position, category, place, police_contacted, health_contacted,
            child_welfare_contacted, description)
        SELECT r.id, n, (ARRAY['INTOXICATION', 'DRUGS', 'VIOLENCE', 'VANDALISM', 'BULLYING', 'HELPED', 'OTHER'])
            [1 + (r.id + n) % 7], 'Stasjonen', (r.id + n) % 7 = 0, (r.id + n) % 19 = 0, (r.id + n) % 23 = 0,
            'Rolig prat, fulgte til bussen.'
        FROM shift_report r CROSS JOIN LATERAL generate_series(1, r.id % 4) AS n""",
    "report_version": """
        INSERT INTO report_version (report_id, number, saved_at, saved_by_id, reason, snapshot)
        SELECT id, 1, submitted_at, leader_id, 'submit', '{"state": "submitted"}' FROM shift_report""",
    # The day's reminder to every walker, and the report request to every leader, all delivered.
    "sms_message": """
        INSERT INTO sms_message ("to", channel, subject, body, purpose, person_id, signup_id, shift_id,
            region_id, due_at, urgent, state, provider_id, attempts, last_error, segments, encoding, created_at,
            sent_at, status_at)
        SELECT p.phone, 'SMS', '', 'Påminnelse: natteravning i kveld kl. 22.00. Oppmøte: Stasjonen.',
            CASE WHEN x.request THEN 'REPORT_REQUEST' ELSE 'REMINDER_DAY' END,
            p.id, g.id, s.id, t.region_id, s.starts_at - interval '10 hours', false, 'DELIVERED',
            'SM' || md5(g.id::text || x.request::text), 1, '', 1, 'GSM-7', s.starts_at - interval '12 hours',
            s.starts_at - interval '10 hours', s.starts_at - interval '10 hours'
        FROM signup g JOIN shift s ON s.id = g.shift_id JOIN term t ON t.id = s.term_id
        JOIN person p ON p.id = g.person_id
        CROSS JOIN LATERAL (VALUES (false), (true)) AS x(request)
        WHERE s.starts_at < :now AND (NOT x.request OR g.role = 'LEADER')""",
}


def seed(url: str, now: datetime) -> dict[str, int]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        seed_places(session, local(now).date())
        session.commit()
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL synchronous_commit = off"))
        for statement in BULK.values():
            connection.execute(text(statement), {"now": now.replace(tzinfo=None)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
        counts = {
            table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("person", "shift", "signup", "shift_report", "incident", "sms_message")
        }
    engine.dispose()
    return counts


@dataclass(frozen=True)
class Visit:
    """One person's pages, (name, path) in the order they open them."""

    person_id: int
    pages: list[tuple[str, str]]


def visits(url: str, now: datetime, rng: random.Random, clients: int) -> list[Visit]:
    """Parents, coordinators and the national administrator, spread over the regions."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        admin = Person(phone="+4740000000", name="Nasjonal administrator", municipality_id=1, created_at=now)
        admin.adult_confirmed_at = admin.conduct_accepted_at = admin.approved_at = now
        admin.conduct_version = 1
        session.add(admin)
        session.flush()
        session.add(Role(person_id=admin.id, kind=RoleKind.ADMIN))
        region_ids = list(session.scalars(select(Region.id).order_by(Region.id)))
        current = dict(session.execute(select(Term.region_id, func.max(Term.id)).group_by(Term.region_id)).all())
        result = [Visit(admin.id, [("admin", "/admin")])]
        coordinators = max(1, clients // 5)
        for region_id in rng.sample(region_ids, coordinators):
            person_id = session.scalar(
                select(Person.id)
                .join(Municipality, Municipality.id == Person.municipality_id)
                .where(Municipality.region_id == region_id)
                .order_by(Person.id.desc())
                .limit(1)
            )
            session.add(Role(person_id=person_id, kind=RoleKind.COORDINATOR, region_id=region_id))
            term = current[region_id]
            result.append(
                Visit(
                    person_id,
                    [
                        ("dashboard", "/coordinator"),
                        ("grid", f"/coordinator/terms/{term}/grid"),
                        ("people", "/coordinator/people"),
                        ("reports", "/coordinator/reports"),
                        ("statistics", "/coordinator/reports/statistics"),
                        ("outbox", "/coordinator/outbox"),
                    ],
                )
            )
        for person_id in rng.sample(range(1, VOLUNTEERS // 2), clients - len(result)):
            night = session.scalar(
                select(Shift.id)
                .join(Route, Route.id == Shift.route_id)
                .join(Person, Person.municipality_id == Route.municipality_id)
                .where(Person.id == person_id, Shift.starts_at > now)
                .order_by(Shift.starts_at)
                .limit(1)
            )
            result.append(Visit(person_id, [("nights", "/nights"), ("my", "/my"), ("night", f"/nights/{night}")]))
        session.commit()
    engine.dispose()
    return result


def load(base: str, cookies: dict[int, str], people: list[Visit], seconds: float, think_ms: float, rng):
    """Every client browses its pages in turn until the time is up; returns each page's timings."""

    timings: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    barrier = threading.Barrier(len(people) + 1)
    deadline = [0.0]

    def client(visit: Visit, pause: random.Random) -> None:
        http = requests.Session()
        http.headers["User-Agent"] = USER_AGENT
        http.cookies.set("session", cookies[visit.person_id], domain="127.0.0.1", path="/")
        barrier.wait()
        time.sleep(pause.uniform(0, think_ms / 1000))  # not all in the same millisecond
        turn = 0
        while time.perf_counter() < deadline[0]:
            name, path = visit.pages[turn % len(visit.pages)]
            turn += 1
            started = time.perf_counter()
            try:
                status = http.get(base + path, timeout=REQUEST_TIMEOUT, allow_redirects=False).status_code
            except requests.RequestException:
                status = 0
            took = time.perf_counter() - started
            with lock:
                timings[name].append(took)
                if status != 200:
                    failures[name] += 1
            time.sleep(pause.uniform(0.5, 1.5) * think_ms / 1000)

    threads = [
        threading.Thread(target=client, args=(visit, random.Random(rng.random())), daemon=True) for visit in people
    ]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    return timings, failures


def warm(base: str, cookies: dict[int, str], people: list[Visit]) -> None:
    """Each page once per client, so the timed run does not measure the first template compile."""

    for visit in people:
        http = requests.Session()
        http.cookies.set("session", cookies[visit.person_id], domain="127.0.0.1", path="/")
        for _name, path in visit.pages:
            answer = http.get(base + path, timeout=REQUEST_TIMEOUT, allow_redirects=False)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code} for person {visit.person_id}")


def queries_per_page(url: str, people: list[Visit], secret_key: str) -> dict[str, int]:
    """The SQL statements each page runs, counted in-process on the same data."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret_key, "SESSION_COOKIE_SECURE": False})
    engine = app.extensions["natteravn.engine"]
    count = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_arguments) -> None:
        count[0] += 1

    most: dict[str, int] = {}
    for visit in people:
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = f"{visit.person_id}:1"
            cookie["_fresh"] = True
        for name, path in visit.pages:
            client.get(path)  # the first request of a process loads what every later one shares
            count[0] = 0
            assert client.get(path).status_code == 200, path
            most[name] = max(most.get(name, 0), count[0])
    engine.dispose()
    return most


def workers(port: int) -> list[str]:
    """The process ids of the gunicorn workers serving on `port`."""
    masters = [
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and f"127.0.0.1:{port}" in _cmdline(pid) and "gunicorn" in _cmdline(pid)
    ]
    return [child for master in masters for child in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def rss_mb(pid: str) -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) / 1024 if found else 0.0


def cpu_seconds(pids: list[str]) -> float:
    """User and system time the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think-ms", type=float, default=1000, help="mean pause between a client's pages")
    parser.add_argument("--workers", type=int, default=4)
    arguments = parser.parse_args()
    require_postgresql("bench/national.py")

    rng = random.Random(2026)
    secret_key = secrets.token_urlsafe(32)
    now = datetime.now(UTC).replace(microsecond=0)
    with own_database("postgresql") as url:
        started = time.perf_counter()
        counts = seed(url, now)
        seed_s = time.perf_counter() - started
        print(f"seeded in {seed_s:.0f} s: {counts}", flush=True)
        people = visits(url, now, rng, arguments.clients)
        cookies = session_cookies(url, secret_key, [visit.person_id for visit in people])
        with gunicorn(url, secret_key, arguments.workers) as base:
            warm(base, cookies, people)
            serving = workers(int(base.rsplit(":", 1)[1]))
            cpu_before = cpu_seconds(serving)
            timings, failures = load(base, cookies, people, arguments.seconds, arguments.think_ms, rng)
            worker_cpu = cpu_seconds(serving) - cpu_before
            rss = [rss_mb(pid) for pid in serving]
        queries = queries_per_page(url, people, secret_key)

    figures = {}
    for name in sorted(timings):
        seconds = timings[name]
        figures[name] = (percentile(seconds, 0.5), percentile(seconds, 0.95))
        print(
            f"{name:<11} n={len(seconds):<5} p50={figures[name][0]:6.1f} ms  p95={figures[name][1]:6.1f} ms  "
            f"queries={queries[name]:<3} failures={failures[name]}"
        )
    worst = max(figures, key=lambda name: figures[name][1])
    requests_made = sum(len(seconds) for seconds in timings.values())
    print(f"workers' RSS: {', '.join(f'{size:.0f} MB' for size in rss)}")
    print(
        " ".join(f"{name}_p95_ms={p95:.0f}" for name, (_p50, p95) in figures.items()),
        f"worst_page={worst} worst_p95_ms={figures[worst][1]:.0f} max_queries={max(queries.values())}",
        f"rss_mb={max(rss):.0f} seed_s={seed_s:.0f} rps={requests_made / arguments.seconds:.1f}",
        f"worker_cpu_ms_per_request={1000 * worker_cpu / requests_made:.1f}",
        f"failures={sum(failures.values())} clients={arguments.clients} workers={arguments.workers}",
        f"shifts={counts['shift']} signups={counts['signup']} reports={counts['shift_report']}",
        f"sms={counts['sms_message']}",
    )


if __name__ == "__main__":
    main()
