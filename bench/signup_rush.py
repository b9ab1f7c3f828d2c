"""The sign-up rush: the term is published and 200 parents tap "Sign up" at once.

    NATTERAVN_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/signup_rush.py

Makes a private database on that PostgreSQL server (dropped afterwards), seeds 50 nights of 4 places
and 200 onboarded parents, and starts the app under gunicorn (`gunicorn -w 4 wsgi:app`, as in
production) on 127.0.0.1. Each client is a parent's phone: a logged-in session cookie, the nights page
(for its CSRF token, as a browser gets it), then one sign-up POST per chosen night, all clients let
loose together. Popular nights are chosen more often, so many taps race for the last place.

The session cookie is the one the app's own login would set: Flask-Login's `login_user` inside a
request context of an app with the same secret key, signed by Flask's session serializer. Logging in
through the SMS code is not possible from outside the workers (the console gateway's codes stay in
their memory) and is not what this measures.

The rush runs in rounds (`--rounds`, 5 by default), each from the same empty nights: the sign-ups,
their messages and the rate limit's counts are deleted between rounds, and each rush is followed by
the baseline, so that a round's two rates share the machine's moment (on a shared 2-core machine the
same code's rate varies by a sixth from one minute to the next).

Last line: key=value figures, each the median over the rounds. `rps` and `p50_ms`/`p95_ms` are for the
sign-up POSTs; `baseline_rps` is the same server and as many clients, logged out, loading the login
page (a template, no writes); `ratio` is `rps` over `baseline_rps`, a round at a time.
`overbooked` counts nights holding more sign-ups than places, `double_booked` parents on a night
twice and `over_cap` parents holding more walker's places than the term's cap, summed over the rounds:
all three must be 0, and the script exits with status 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import delete, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import session as flask_session  # noqa: E402
from flask_login import login_user  # noqa: E402
from own_database import own_database, require_postgresql  # noqa: E402

from natteravn import create_app  # noqa: E402
from natteravn.accounts.models import Person, RateEvent  # noqa: E402
from natteravn.clock import local  # noqa: E402
from natteravn.db import make_engine, make_session_factory  # noqa: E402
from natteravn.models import Base  # noqa: E402
from natteravn.places.models import Municipality, Region, Route  # noqa: E402
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, SignupState, Term  # noqa: E402
from natteravn.sms.models import SmsMessage  # noqa: E402
from tests import factories  # noqa: E402

USER_AGENT = "Mozilla/5.0 (Linux; Android 14) signup-rush"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REQUEST_TIMEOUT = 60  # seconds; a request slower than this counts as an error, the run still ends


def seed(url: str, *, nights: int, places: int, parents: int, now: datetime) -> tuple[list[int], list[int]]:
    """A published term of `nights` Friday and Saturday nights on one route, open for sign-up."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        region = Region(name="Solør", slug="solor")
        municipality = Municipality(region=region, name="Åsnes")
        route = Route(municipality=municipality, name="Flisa sentrum", meeting_point="Flisa skysstasjon")
        first_friday = local(now).date() + timedelta(days=(4 - local(now).weekday()) % 7 or 7)
        days = [first_friday + timedelta(weeks=n // 2, days=n % 2) for n in range(nights)]
        term = Term(
            region=region,
            name="Vår",
            starts_on=days[0],
            ends_on=days[-1],
            signup_opens_at=now - timedelta(hours=1),
            published_at=now - timedelta(days=1),
        )
        session.add_all([region, municipality, route, term])
        shifts = [factories.night(session, term, route, day, min_walkers=2, max_walkers=places) for day in days]
        people = [
            factories.person(session, municipality, f"Forelder {n}", now, number=f"+474{n:07d}") for n in range(parents)
        ]
        session.commit()
        shift_ids, person_ids = [s.id for s in shifts], [p.id for p in people]
    engine.dispose()
    return shift_ids, person_ids


def session_cookies(url: str, secret_key: str, person_ids: list[int]) -> dict[int, str]:
    """Each parent's session cookie, as the app writes it after a successful login."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret_key, "TESTING": True})
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = {}
    with app.extensions["natteravn.sessions"]() as session:
        for person in session.scalars(select(Person).where(Person.id.in_(person_ids))):
            environ = {"REMOTE_ADDR": "127.0.0.1"}
            with app.test_request_context("/login/code", headers={"User-Agent": USER_AGENT}, environ_base=environ):
                login_user(person)
                cookies[person.id] = serializer.dumps(dict(flask_session))
    app.extensions["natteravn.engine"].dispose()
    return cookies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, secret_key: str, workers: int):
    port = free_port()
    environment = {
        **os.environ,
        "NATTERAVN_DATABASE_URL": url,
        "NATTERAVN_SECRET_KEY": secret_key,
        "NATTERAVN_BASE_URL": f"http://127.0.0.1:{port}",
        "NATTERAVN_SMS_GATEWAY": "console",
        # Plain http on localhost: the browser would not send a Secure cookie back.
        "NATTERAVN_SESSION_COOKIE_SECURE": "false",
        "NATTERAVN_REMEMBER_COOKIE_SECURE": "false",
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "--backlog", "2048", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(base: str, process: subprocess.Popen) -> None:
    for _ in range(120):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(base + "/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # still booting
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within a minute")


class Phone:
    """One browser: a logged-in parent's session cookie and latest CSRF token, or a visitor's nothing."""

    def __init__(self, base: str, cookie: str | None = None):
        self.base = base
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        if cookie:
            self.http.cookies.set("session", cookie, domain="127.0.0.1", path="/")
        self.token = ""

    def open_nights(self) -> None:
        page = self.http.get(self.base + "/nights", timeout=REQUEST_TIMEOUT, allow_redirects=False)
        found = CSRF_FIELD.search(page.text) if page.status_code == 200 else None
        if not found:
            raise RuntimeError(f"the nights page did not load for a logged-in parent ({page.status_code})")
        self.token = found.group(1)

    def sign_up(self, shift_id: int) -> tuple[float, int]:
        started = time.perf_counter()
        try:
            answer = self.http.post(
                f"{self.base}/nights/{shift_id}/signup",
                data={"csrf_token": self.token, "role": "walker"},
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
            )
            status = answer.status_code
        except requests.RequestException:
            status = 0
        return time.perf_counter() - started, status

    def load(self, path: str) -> tuple[float, int]:
        started = time.perf_counter()
        try:
            status = self.http.get(self.base + path, timeout=REQUEST_TIMEOUT, allow_redirects=False).status_code
        except requests.RequestException:
            status = 0
        return time.perf_counter() - started, status


def run_together(phones: list[Phone], work) -> tuple[float, list[tuple[float, int]]]:
    """Every phone runs `work(index, phone)` in its own thread, all released at the same moment;
    returns the wall time and each request's (seconds, status)."""
    barrier = threading.Barrier(len(phones) + 1)
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def client(index: int, phone: Phone) -> None:
        barrier.wait()
        mine = work(index, phone)
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(i, p), daemon=True) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def popular_nights(shift_ids: list[int], count: int, rng: random.Random) -> list[int]:
    """A parent's picks: the first weekends are wanted most, as in a real rush."""
    weights = [1 / (1 + n / 5) for n in range(len(shift_ids))]
    picks: list[int] = []
    while len(picks) < count:
        night = rng.choices(shift_ids, weights)[0]
        if night not in picks:
            picks.append(night)
    return picks


def percentile(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def outcome(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        overbooked = (
            select(Shift.id)
            .join(Signup, Signup.shift_id == Shift.id)
            .where(Signup.state.in_(HOLDING))
            .group_by(Shift.id, Shift.max_walkers)
            .having(func.count() > Shift.max_walkers)
        )
        twice = (
            select(Signup.shift_id, Signup.person_id)
            .where(Signup.state.in_([*HOLDING, SignupState.WAITLISTED]))
            .group_by(Signup.shift_id, Signup.person_id)
            .having(func.count() > 1)
        )
        over_cap = (
            select(Signup.person_id)
            .join(Shift, Signup.shift_id == Shift.id)
            .join(Term, Shift.term_id == Term.id)
            .join(Region, Term.region_id == Region.id)
            .where(Signup.state.in_(HOLDING), Signup.role == SignupRole.WALKER)  # leaders' nights are not capped
            .group_by(Signup.person_id, Region.nights_per_term_cap)
            .having(func.count() > Region.nights_per_term_cap)
        )
        states = Counter(dict(connection.execute(select(Signup.state, func.count()).group_by(Signup.state)).all()))
        figures = {
            "overbooked": connection.scalar(select(func.count()).select_from(overbooked.subquery())),
            "double_booked": connection.scalar(select(func.count()).select_from(twice.subquery())),
            "over_cap": connection.scalar(select(func.count()).select_from(over_cap.subquery())),
            "held": sum(states[state] for state in HOLDING),
            "waitlisted": states[SignupState.WAITLISTED],
        }
    engine.dispose()
    return figures


def empty_the_nights(url: str) -> None:
    """Back to the state before the rush: no sign-ups, no messages planned for them, no counts."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in (SmsMessage, Signup, RateEvent):
            connection.execute(delete(table))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--nights", type=int, default=50)
    parser.add_argument("--places", type=int, default=4)
    parser.add_argument("--taps", type=int, default=3, help="sign-up attempts per client")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="rushes, each from empty nights; figures are medians")
    arguments = parser.parse_args()
    require_postgresql("bench/signup_rush.py")

    rng = random.Random(2026)
    secret_key = secrets.token_urlsafe(32)
    rounds: list[dict[str, float]] = []
    with own_database("postgresql") as url:
        now = datetime.now(UTC)
        shift_ids, person_ids = seed(
            url, nights=arguments.nights, places=arguments.places, parents=arguments.clients, now=now
        )
        cookies = session_cookies(url, secret_key, person_ids)
        with gunicorn(url, secret_key, arguments.workers) as base:
            phones = [Phone(base, cookies[person_id]) for person_id in person_ids]
            for phone in phones:
                phone.open_nights()
            visitors = [Phone(base) for _ in phones]
            picks = [popular_nights(shift_ids, arguments.taps, rng) for _ in phones]
            for number in range(1, arguments.rounds + 1):
                if number > 1:
                    empty_the_nights(url)
                rounds.append(one_round(url, phones, visitors, picks, arguments.taps))
                print(f"round {number}: " + " ".join(f"{key}={value:g}" for key, value in rounds[-1].items()))

    figures = {key: statistics.median([one[key] for one in rounds]) for key in rounds[0]}
    for summed in ("overbooked", "double_booked", "over_cap", "errors"):
        figures[summed] = sum(one[summed] for one in rounds)
    print(
        f"rps={figures['rps']:.1f} ratio={figures['ratio']:.2f} p50_ms={figures['p50_ms']:.0f} "
        f"p95_ms={figures['p95_ms']:.0f} baseline_rps={figures['baseline_rps']:.1f} "
        f"baseline_p95_ms={figures['baseline_p95_ms']:.0f} "
        f"overbooked={figures['overbooked']:.0f} double_booked={figures['double_booked']:.0f} "
        f"over_cap={figures['over_cap']:.0f} held={figures['held']:.0f} waitlisted={figures['waitlisted']:.0f} "
        f"errors={figures['errors']:.0f} rounds={arguments.rounds} clients={arguments.clients} "
        f"nights={arguments.nights} places={arguments.places} workers={arguments.workers}"
    )
    if figures["overbooked"] or figures["double_booked"] or figures["over_cap"]:
        raise SystemExit(1)


def one_round(url: str, phones: list[Phone], visitors: list[Phone], picks: list[list[int]], taps: int) -> dict:
    """The rush from empty nights, then the login page as often from as many visitors."""

    def login_pages(_index: int, visitor: Phone) -> list[tuple[float, int]]:
        return [visitor.load("/login") for _ in range(taps)]

    rush_seconds, rush = run_together(phones, lambda i, phone: [phone.sign_up(s) for s in picks[i]])
    baseline_seconds, baseline = run_together(visitors, login_pages)
    latencies = [seconds for seconds, _status in rush]
    errors = sum(1 for _seconds, status in rush if status != 302)
    errors += sum(1 for _seconds, status in baseline if status != 200)
    rps, baseline_rps = len(rush) / rush_seconds, len(baseline) / baseline_seconds
    return {
        "rps": rps,
        "ratio": rps / baseline_rps,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "baseline_rps": baseline_rps,
        "baseline_p95_ms": percentile([seconds for seconds, _ in baseline], 0.95),
        "errors": errors,
        **outcome(url),
    }


if __name__ == "__main__":
    main()
