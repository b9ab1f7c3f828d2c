"""The coordinator's roster grid for a long term of a three-municipality region.

    python bench/roster_grid.py [--runs 20]

Builds 3 municipalities × 4 routes × 40 weekends (Friday and Saturday: 960 nights), 1,500
volunteers and 3,000 sign-ups, then times the grid page through the Flask test client (server
time, median of the runs) and counts the SQL statements one grid page makes. The same count
for a term of 5 weekends shows that it does not grow with the number of nights. SQLite always;
PostgreSQL too when NATTERAVN_BENCH_DATABASE_URL is set (a private database, dropped afterwards).

Last line: key=value figures, including median_ms= and queries=.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from own_database import own_database
from sqlalchemy import event, insert, select

from natteravn import create_app
from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import answered_first_questions
from natteravn.clock import night_span
from natteravn.models import Base
from natteravn.places.models import Municipality, Region, Route
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term

MUNICIPALITIES = ("Grue", "Åsnes", "Våler")
ROUTES_EACH = 4
WEEKENDS = 40
SMALL_WEEKENDS = 5
VOLUNTEERS = 1500
SIGNUPS = 3000
NOW = datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
FIRST_FRIDAY = date(2026, 8, 21)


def populate(session, rng: random.Random) -> tuple[int, int, int]:
    """The region, its volunteers, a long term and a short one; returns (coordinator, long term, short term)."""
    region = Region(name="Solør", slug="solor")
    municipalities = [Municipality(region=region, name=name) for name in MUNICIPALITIES]
    routes = [
        Route(municipality=m, name=f"{m.name} rute {n + 1}", meeting_point="Stasjonen")
        for m in municipalities
        for n in range(ROUTES_EACH)
    ]
    session.add_all([region, *municipalities, *routes])
    session.flush()
    session.execute(
        insert(Person),
        [
            dict(
                phone=f"+474{n:07d}",
                name=f"Frivillig {n}",
                locale="nb",
                municipality_id=municipalities[n % 3].id,
                created_at=NOW,
                **answered_first_questions(NOW),
            )
            for n in range(VOLUNTEERS)
        ],
    )
    person_ids = list(session.scalars(select(Person.id).order_by(Person.id)))
    coordinator = person_ids[0]
    session.add(Role(person_id=coordinator, kind=RoleKind.COORDINATOR, region_id=region.id))
    leaders = person_ids[1:200]
    session.add_all(Role(person_id=p, kind=RoleKind.LEADER, region_id=region.id) for p in leaders)
    long_term = _term(session, region, "Skoleåret 2026/27", WEEKENDS, routes)
    short_term = _term(session, region, "Kort", SMALL_WEEKENDS, routes, first=FIRST_FRIDAY + timedelta(weeks=60))
    _sign_up(session, rng, long_term, person_ids, set(leaders))
    return coordinator, long_term, short_term


def _term(session, region, name: str, weekends: int, routes, first: date = FIRST_FRIDAY) -> int:
    term = Term(
        region=region,
        name=name,
        starts_on=first,
        ends_on=first + timedelta(weeks=weekends - 1, days=1),
        signup_opens_at=NOW,
        published_at=NOW,
    )
    session.add(term)
    session.flush()
    nights = []
    for week in range(weekends):
        for offset in (0, 1):
            starts_at, ends_at = night_span(first + timedelta(weeks=week, days=offset), time(22, 0), time(1, 0))
            nights.extend(
                dict(
                    term_id=term.id,
                    route_id=route.id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    min_walkers=3,
                    max_walkers=6,
                    needs_leader=True,
                    note="",
                    cancel_reason="",
                )
                for route in routes
            )
    session.execute(insert(Shift), nights)
    return term.id


def _sign_up(session, rng: random.Random, term_id: int, person_ids: list[int], leaders: set[int]) -> None:
    """SIGNUPS places spread unevenly over the nights (some full, many short, some empty)."""
    shift_ids = list(session.scalars(select(Shift.id).where(Shift.term_id == term_id)))
    on_night: dict[int, set[int]] = {s: set() for s in shift_ids}
    rows = []
    while len(rows) < SIGNUPS:
        shift_id = rng.choice(shift_ids)
        person_id = rng.choice(person_ids[1:])
        if len(on_night[shift_id]) >= 6 or person_id in on_night[shift_id]:
            continue
        on_night[shift_id].add(person_id)
        role = SignupRole.LEADER if person_id in leaders else SignupRole.WALKER
        rows.append(
            dict(shift_id=shift_id, person_id=person_id, role=role, state=SignupState.SIGNED_UP, created_at=NOW)
        )
    session.execute(insert(Signup), rows)


def statements_for(client, engine, path: str) -> int:
    counted: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        counted.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return len(counted)


def measure(url: str, runs: int) -> dict[str, object]:
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-only-secret",
            "CLOCK": lambda: NOW,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    engine = app.extensions["natteravn.engine"]
    Base.metadata.create_all(engine)
    started = perf_counter()
    with app.extensions["natteravn.sessions"]() as session, session.begin():
        coordinator, long_term, short_term = populate(session, random.Random(2026))
    seeded = perf_counter() - started
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{coordinator}:1"
        cookie["_fresh"] = True
    path = f"/coordinator/terms/{long_term}/grid"
    response = client.get(path)  # warm up caches and templates
    assert response.status_code == 200, response.status_code
    cells = response.text.count('class="cell cell-')
    timings = []
    for _ in range(runs):
        begun = perf_counter()
        response = client.get(path)
        timings.append((perf_counter() - begun) * 1000)
        assert response.status_code == 200, response.status_code
    queries = statements_for(client, engine, path)
    queries_small = statements_for(client, engine, f"/coordinator/terms/{short_term}/grid")
    engine.dispose()
    return {
        "median_ms": f"{statistics.median(timings):.1f}",
        "queries": queries,
        "queries_5_weekends": queries_small,
        "nights": cells,
        "seed_s": f"{seeded:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    figures: dict[str, object] = {"volunteers": VOLUNTEERS, "signups": SIGNUPS}
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("NATTERAVN_BENCH_DATABASE_URL") else [])
    for kind in kinds:
        with own_database(kind) as url:
            measured = measure(url, args.runs)
        print(f"{kind}: grid page median {measured['median_ms']} ms over {args.runs} runs; {measured}")
        if kind == "sqlite":
            figures.update(measured)
        else:
            figures.update({"postgres_median_ms": measured["median_ms"], "postgres_queries": measured["queries"]})
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
