"""The statistics page and the police-council report on five years of reports for three municipalities.

    python bench/stats.py [--runs 20]

Builds about 1,500 submitted reports with 6,000 incidents and their logbooks, then times the
coordinator's statistics page for the whole five years, and the police-council report of the
whole five years (beside the five years before and a year earlier: three periods), through the
Flask test client (server time, median of the runs). SQLite always; PostgreSQL too when
NATTERAVN_BENCH_DATABASE_URL is set (a private database is created there and dropped afterwards).

Last line: key=value figures, including sqlite_ms=, sqlite_council_ms=, postgres_ms= and
postgres_council_ms= (the council report's target: under 300 ms on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from own_database import own_database
from sqlalchemy import insert, text

from natteravn import create_app
from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import answered_first_questions
from natteravn.clock import night_span
from natteravn.models import Base
from natteravn.places.models import Municipality, Region, Route
from natteravn.reports.models import Incident, IncidentCategory, ReportState, ReportVersion, ShiftReport
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term

FIRST_YEAR, YEARS = 2021, 5
MUNICIPALITIES = ("Grue", "Åsnes", "Våler")
PEOPLE = 450
INCIDENTS_PER_REPORT = 4  # on average
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def populate(session, rng: random.Random) -> tuple[int, dict[str, int]]:
    """The region, its people and five years of walked weekend nights; returns the coordinator's id."""
    region = Region(name="Solør", slug="solor")
    municipalities = [Municipality(region=region, name=name) for name in MUNICIPALITIES]
    routes = [Route(municipality=m, name=f"{m.name} sentrum", meeting_point="Stasjonen") for m in municipalities]
    session.add_all([region, *municipalities, *routes])
    session.flush()
    people = [
        dict(
            phone=f"+474{n:07d}",
            name=f"Walker {n}",
            locale="nb",
            municipality_id=municipalities[n % 3].id,
            created_at=NOW,
            **answered_first_questions(NOW),
        )
        for n in range(PEOPLE)
    ]
    session.execute(insert(Person), people)
    person_ids = list(session.scalars(text("SELECT id FROM person ORDER BY id")))
    coordinator = person_ids[0]
    session.add(Role(person_id=coordinator, kind=RoleKind.COORDINATOR, region_id=region.id))
    counts = {"reports": 0, "incidents": 0, "signups": 0}
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        term = Term(
            region=region,
            name=str(year),
            starts_on=date(year, 1, 1),
            ends_on=date(year, 12, 31),
            signup_opens_at=datetime(year - 1, 12, 1, tzinfo=UTC),
            published_at=datetime(year - 1, 12, 1, tzinfo=UTC),
        )
        session.add(term)
        session.flush()
        _year_of_nights(session, rng, region, term, routes, person_ids, year, counts)
    return coordinator, counts


def _weekend_nights(year: int) -> list[date]:
    """Fifty weekends' Friday and Saturday nights."""
    friday = date(year, 1, 1) + timedelta(days=(4 - date(year, 1, 1).weekday()) % 7)
    return [friday + timedelta(weeks=w, days=d) for w in range(50) for d in (0, 1)]


def _year_of_nights(session, rng, region, term, routes, person_ids, year, counts) -> None:
    planned = [(day, route) for day in _weekend_nights(year) for route in routes]
    shifts = []
    for day, route in planned:
        starts_at, ends_at = night_span(day, time(22, 0), time(1, 0))
        shifts.append(
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
        )
    session.execute(insert(Shift), shifts)
    shift_ids = list(session.scalars(text("SELECT id FROM shift WHERE term_id = :term ORDER BY id"), {"term": term.id}))
    signups, reports = [], []
    for shift_id, (day, route), shift in zip(shift_ids, planned, shifts, strict=True):
        walkers = rng.sample(person_ids, 6)
        for index, person_id in enumerate(walkers):
            state = SignupState.NO_SHOW if rng.random() < 0.12 else SignupState.ATTENDED
            role = SignupRole.LEADER if index == 0 else SignupRole.WALKER
            signups.append(dict(shift_id=shift_id, person_id=person_id, role=role, state=state, created_at=NOW))
        minutes = rng.choice((150, 180, 195))
        reports.append(
            dict(
                shift_id=shift_id,
                region_id=region.id,
                municipality_id=route.municipality_id,
                route_id=route.id,
                night_on=day,
                leader_id=walkers[0],
                state=ReportState.SUBMITTED,
                started_at=shift["starts_at"],
                ended_at=shift["starts_at"] + timedelta(minutes=minutes),
                duration_minutes=minutes,
                walkers=sum(1 for s in signups[-6:] if s["state"] == SignupState.ATTENDED),
                places_visited="Sentrum, skolen, stasjonen",
                weather="Opphold",
                youths_under_13=rng.randrange(3),
                youths_13_15=rng.randrange(20),
                youths_16_17=rng.randrange(15),
                youths_18_plus=rng.randrange(5),
                atmosphere="Rolig",
                flagged=False,
                created_at=NOW,
                updated_at=NOW,
                submitted_at=NOW,
                follow_up_note="",
            )
        )
    session.execute(insert(Signup), signups)
    session.execute(insert(ShiftReport), reports)
    report_ids = list(
        session.scalars(
            text("SELECT r.id FROM shift_report r JOIN shift s ON s.id = r.shift_id WHERE s.term_id = :term"),
            {"term": term.id},
        )
    )
    categories = list(IncidentCategory)
    incidents = [
        dict(
            report_id=report_id,
            position=n + 1,
            category=rng.choice(categories),
            place="Stasjonen",
            police_contacted=rng.random() < 0.15,
            health_contacted=rng.random() < 0.05,
            child_welfare_contacted=rng.random() < 0.05,
            description="Rolig prat, fulgte til bussen.",
        )
        for report_id in report_ids
        for n in range(rng.randrange(2 * INCIDENTS_PER_REPORT + 1))
    ]
    session.execute(insert(Incident), incidents)
    versions = [
        dict(report_id=r, number=1, saved_at=NOW, reason="submit", snapshot={"state": "submitted"}) for r in report_ids
    ]
    session.execute(insert(ReportVersion), versions)
    counts["reports"] += len(report_ids)
    counts["incidents"] += len(incidents)
    counts["signups"] += len(signups)


def _median_ms(client, path: str, runs: int) -> float:
    assert client.get(path).status_code == 200  # warm up caches and templates
    timings = []
    for _ in range(runs):
        begun = perf_counter()
        response = client.get(path)
        timings.append((perf_counter() - begun) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def measure(url: str, runs: int) -> tuple[float, float, dict[str, int]]:
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
        coordinator, counts = populate(session, random.Random(2026))
    seeded = round(perf_counter() - started, 1)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{coordinator}:1"
        cookie["_fresh"] = True
    period = f"first_day={FIRST_YEAR}-01-01&last_day={FIRST_YEAR + YEARS - 1}-12-31"
    page = _median_ms(client, f"/coordinator/reports/statistics?{period}", runs)
    council = _median_ms(client, f"/coordinator/reports/summary?{period}", runs)
    engine.dispose()
    return page, council, counts | {"seed_s": seeded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    figures: dict[str, object] = {}
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("NATTERAVN_BENCH_DATABASE_URL") else [])
    for kind in kinds:
        with own_database(kind) as url:
            median, council, counts = measure(url, args.runs)
        print(
            f"{kind}: statistics page median {median:.1f} ms, police-council report {council:.1f} ms "
            f"over {args.runs} runs; {counts}"
        )
        figures.update(
            {
                f"{kind}_ms": f"{median:.1f}",
                f"{kind}_council_ms": f"{council:.1f}",
                **{k: v for k, v in counts.items() if k != "seed_s"},
            }
        )
    figures.setdefault("postgres_ms", "skipped")
    figures.setdefault("postgres_council_ms", "skipped")
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
