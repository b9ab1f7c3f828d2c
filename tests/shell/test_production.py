"""Production as the README sets it up, with real processes: `natteravn db upgrade`, gunicorn serving
`wsgi:app` with two workers, one `natteravn scheduler`, and Twilio (the local server that speaks its
API). A parent logs in and signs up over HTTP; the scheduler process sends the confirmation; SIGTERM
stops it cleanly mid-send; two schedulers together keep to the sender's rate; /healthz follows
the scheduler.

PostgreSQL only, as in production (skipped without NATTERAVN_TEST_DATABASE_URL; CI sets it)."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from natteravn.clock import local, system_now
from natteravn.db import make_engine
from natteravn.places.models import Municipality, Region, Route
from natteravn.shifts.models import Term
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue
from tests import factories
from tests.databases import POSTGRES_URL, private_postgres
from tests.shell.processes import (
    PATIENCE,
    Running,
    free_port,
    gunicorn,
    natteravn,
    operator_environment,
    scheduler,
    wait_for,
)
from tests.twilio_server import TwilioServer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs NATTERAVN_TEST_DATABASE_URL"),
]

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Production:
    environment: dict[str, str]
    twilio: TwilioServer
    site: str
    web: Running
    engine: Engine
    folder: Path

    def scheduler(self, name: str = "scheduler"):
        return scheduler(self.environment, self.folder / f"{name}.log")

    def message(self, message_id: int) -> SmsMessage:
        with Session(self.engine) as db:
            return db.get(SmsMessage, message_id)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    port = free_port()
    with private_postgres("natteravn_production") as url, TwilioServer() as twilio:
        environment = operator_environment(
            folder,
            url,
            BASE_URL=f"http://127.0.0.1:{port}",
            # Plain http on localhost, as the demo runs.
            SESSION_COOKIE_SECURE=False,
            REMEMBER_COOKIE_SECURE=False,
            # The test may run at night; it is about sending, not about waiting for the morning.
            SMS_QUIET_FROM="00:00",
            SMS_QUIET_UNTIL="00:00",
            SCHEDULER_DISPATCH_SECONDS=1,
            HEALTH_SCHEDULER_STALE_SECONDS=4,
            **twilio.config(),
        )
        upgraded = natteravn("db", "upgrade", environment=environment)
        assert upgraded.returncode == 0, upgraded.stderr
        engine = make_engine(url)
        try:
            with gunicorn(environment, port, folder / "gunicorn.log") as web:
                yield Production(environment, twilio, f"http://127.0.0.1:{port}", web, engine, folder)
        finally:
            engine.dispose()


def seed_night(engine: Engine, now: datetime) -> tuple[int, str]:
    """A published night a week from now in a region of its own, and a parent living there."""
    with Session(engine) as db:
        slug = f"solor-{uuid.uuid4().hex[:6]}"
        region = Region(name="Solør", slug=slug)
        asnes = Municipality(region=region, name="Åsnes")
        route = Route(municipality=asnes, name="Flisa sentrum", meeting_point="Flisa skysstasjon")
        day = local(now).date() + timedelta(days=7)
        term = Term(
            region=region,
            name="Term",
            starts_on=day - timedelta(days=7),
            ends_on=day + timedelta(days=7),
            signup_opens_at=now - timedelta(days=1),
            published_at=now - timedelta(days=1),
        )
        db.add_all([region, asnes, route, term])
        db.flush()
        night = factories.night(db, term, route, day)
        parent = factories.person(db, asnes, "Kari Nordmann", now, number=factories.phone())
        db.commit()
        return night.id, parent.phone


def form_token(page: requests.Response) -> str:
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def log_in(browser: requests.Session, production: Production, phone: str) -> str:
    """Through the login pages, reading the code where the SMS arrived: at Twilio. The code used."""
    sent = browser.post(
        f"{production.site}/login",
        data={"phone": phone, "csrf_token": form_token(browser.get(f"{production.site}/login"))},
        allow_redirects=False,
    )
    assert sent.status_code == 302, sent.text
    code = re.search(r"\b(\d{6})\b", production.twilio.bodies_to(phone)[-1]).group(1)
    entered = browser.post(
        f"{production.site}/login/code",
        data={"code": code, "csrf_token": form_token(browser.get(f"{production.site}/login/code"))},
        allow_redirects=False,
    )
    assert entered.status_code == 302, entered.text
    return code


def test_a_parent_signs_up_over_http_and_the_scheduler_process_sends_the_confirmation(production):
    night_id, phone = seed_night(production.engine, system_now())
    with production.scheduler() as running:
        browser = requests.Session()
        code = log_in(browser, production, phone)
        night_page = browser.get(f"{production.site}/nights/{night_id}")
        signed_up = browser.post(
            f"{production.site}/nights/{night_id}/signup",
            data={"role": "walker", "csrf_token": form_token(night_page)},
            allow_redirects=False,
        )
        assert signed_up.status_code == 302, signed_up.text

        confirmation = wait_for(
            lambda: _sent_confirmation(production.engine, phone), "the confirmation to be sent", running
        )
        assert any(m.sid == confirmation.provider_id for m in production.twilio.messages)
        assert any("you walk Flisa sentrum" in body for body in production.twilio.bodies_to(phone))
        assert running.terminate() == 0
    assert code not in production.web.output() + running.output(), "a login code in a log"


def _sent_confirmation(engine: Engine, phone: str) -> SmsMessage | None:
    with Session(engine) as db:
        return db.scalar(
            select(SmsMessage).where(
                SmsMessage.to == phone,
                SmsMessage.purpose == Purpose.SIGNUP_CONFIRMATION,
                SmsMessage.state == MessageState.SENT,
            )
        )


def test_sigterm_while_sending_finishes_the_message_in_flight_and_hands_back_the_rest(production):
    twilio = production.twilio
    slow, others = "+4792000000", [f"+479200000{n}" for n in range(1, 8)]
    twilio.answer_slowly(slow, 3)
    now = system_now()
    with Session(production.engine) as db:
        first = enqueue(db, to=slow, body="Natteravn: first", purpose=Purpose.TEST, now=now - timedelta(minutes=1))
        rest = [enqueue(db, to=to, body="Natteravn: later", purpose=Purpose.TEST, now=now) for to in others]
        db.commit()
        first_id, rest_ids = first.id, [message.id for message in rest]

    with production.scheduler("stopped-scheduler") as running:
        wait_for(lambda: any(form["To"] == slow for form in twilio.creates()), "a send in flight", running)
        assert running.terminate(timeout=PATIENCE) == 0, running.output()

    assert production.message(first_id).state == MessageState.SENT
    assert twilio.bodies_to(slow) == ["Natteravn: first"]
    for message_id in rest_ids:
        message = production.message(message_id)
        assert (message.state, message.attempts) == (MessageState.PENDING, 0)
    assert not [form for form in twilio.creates() if form["To"] in others]
    with Session(production.engine) as db:
        assert not db.scalars(select(SmsMessage).where(SmsMessage.state == MessageState.SENDING)).all()


def test_two_scheduler_processes_together_send_no_faster_than_the_senders_rate(production):
    # No SMS_RATE_PER_SECOND in the environment: a number (TWILIO_FROM) sends one SMS a second.
    twilio = production.twilio
    numbers = [f"+479300000{n}" for n in range(8)]
    with production.scheduler("paced-a") as first, production.scheduler("paced-b") as second:
        before = len(twilio.messages)
        with Session(production.engine) as db:
            for to in numbers:
                enqueue(
                    db,
                    to=to,
                    body="Natteravn i kveld: Flisa sentrum kl 22:00.",
                    purpose=Purpose.REMINDER_DAY,
                    now=system_now(),
                )
            db.commit()
        wait_for(lambda: all(twilio.bodies_to(to) for to in numbers), "every message to reach Twilio", first)
        assert first.terminate() == 0 and second.terminate() == 0

    arrived = twilio.messages[before:]  # with what earlier tests left waiting: it counts too
    assert sorted(m.to for m in arrived if m.to in numbers) == numbers  # each once
    per_second = Counter(int(m.received.timestamp()) for m in arrived)
    assert max(per_second.values()) == 1, per_second


def test_healthz_shows_the_scheduler_jobs_and_fails_once_the_scheduler_is_gone(production):
    def health() -> requests.Response:
        return requests.get(f"{production.site}/healthz", timeout=PATIENCE)

    with production.scheduler("health-scheduler") as running:
        healthy = wait_for(lambda: _with_status(health(), 200), "/healthz to answer 200", running)
        assert running.terminate() == 0
    answer = healthy
    assert answer["database"] == "ok" and answer["status"] == "ok"
    assert {"dispatch_sms", "purge_login_codes", "expire_offers", "call_for_walkers"} <= answer["scheduler"].keys()
    assert all(job["ok"] and job["finished_at"] for job in answer["scheduler"].values())

    # HEALTH_SCHEDULER_STALE_SECONDS is 4 here: soon the last dispatch is too old.
    stale = wait_for(lambda: _with_status(health(), 503), "/healthz to answer 503")
    assert stale["status"] == "failing"
    assert stale["database"] == "ok"


def _with_status(response: requests.Response, status: int) -> dict | None:
    """The JSON answer when it came with `status`."""
    return response.json() if response.status_code == status else None
