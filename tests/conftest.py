"""One database per test run (SQLite, or PostgreSQL when NATTERAVN_TEST_DATABASE_URL is set),
emptied after every test; one app per test with a fixed clock and the console gateway."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from natteravn import audit_vocabulary, create_app
from natteravn.db import make_engine, make_session_factory
from natteravn.models import Base
from natteravn.sms.gateway import ConsoleGateway
from natteravn.sms.mail import ConsoleMailer
from tests import factories
from tests.databases import POSTGRES_URL, private_postgres


class FixedClock:
    """The app's clock in tests: stands still until told to move."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **kwargs) -> datetime:
        self.moment += timedelta(**kwargs)
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    with private_postgres("natteravn_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url, serialise_writes=False)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(request):
    yield
    if "engine" not in request.fixturenames:
        return
    engine = request.getfixturevalue("engine")
    _every_audit_entry_is_labelled(engine)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


def _every_audit_entry_is_labelled(engine) -> None:
    """Whatever a test recorded in the audit log, the log can say in words: an action or kind of thing
    no feature names would show coordinators raw text such as "term.published"."""
    words = audit_vocabulary()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT DISTINCT action, object_type FROM audit_event")).all()
    unnamed = sorted({a for a, _ in rows if a not in words.actions} | {o for _, o in rows if o not in words.objects})
    assert not unnamed, f"recorded in the audit log without a label: {unnamed}"


@pytest.fixture
def clock():
    # A Wednesday in term time, 10:00 in Oslo.
    return FixedClock(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))


@pytest.fixture
def gateway():
    return ConsoleGateway()


@pytest.fixture
def mailer():
    return ConsoleMailer()


@pytest.fixture
def app(engine, database_url, clock, gateway, mailer):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "GATEWAY": gateway,
            "MAILER": mailer,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "BASE_URL": "http://natteravn.test",
            "WTF_CSRF_ENABLED": False,  # tests/test_security.py turns it on to prove it works
        }
    )
    yield app
    app.extensions["natteravn.engine"].dispose()


@pytest.fixture
def twilio():
    """A local server that speaks Twilio's Messages API (tests/twilio_server.py)."""
    from tests.twilio_server import TwilioServer

    with TwilioServer() as server:
        yield server


@pytest.fixture
def smtp():
    """A real SMTP server on localhost (tests/smtp_server.py)."""
    from tests.smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_mailer(app, smtp):
    """The app sends e-mail to the local SMTP server, as configured in production."""
    from natteravn.sms.mail import make_mailer

    app.config.update(smtp.config())
    app.extensions["natteravn.mailer"] = make_mailer(app.config)
    return app.extensions["natteravn.mailer"]


@pytest.fixture
def twilio_gateway(app, twilio):
    """The app sends through the real `twilio` client to the local server, and checks webhooks
    with its auth token."""
    from natteravn.sms.gateway import make_gateway

    app.config.update(twilio.config())
    app.extensions["natteravn.gateway"] = make_gateway(app.config)
    return app.extensions["natteravn.gateway"]


@pytest.fixture
def db(app, engine):
    """The test's own session. Its engine does not take SQLite's write lock for reads, so a test
    can look at the database between requests; writes still need a commit before a request."""
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def client(app):
    """A browser that prefers English, the language the tests' expectations are written in."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def live_server(app):
    """The test app over real HTTP on a free port, with CSRF protection on as in production."""
    import threading

    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@contextmanager
def chromium(locale: str = "en-GB", **screen):
    """A fresh Chromium profile, reading English unless told. Without Chromium the test is skipped,
    except under CI, where that is a failure (.ci/run installs it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have Chromium at {CHROMIUM}", pytrace=False)
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale=locale, **screen)
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def phone():
    """Chromium as a 360 px wide touch phone."""
    with chromium(**PHONE) as page:
        yield page


PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def norwegian_phone(request):
    """Chromium as a 360 px wide touch phone set to Norwegian Bokmål, with JavaScript on and then off:
    every page must work without it."""
    with chromium(locale="nb-NO", java_script_enabled=request.param, **PHONE) as page:
        yield page


def log_in_on(page, live_server: str, gateway: ConsoleGateway, phone: str) -> None:
    """Log in through the pages in a browser, in whatever language they are in."""
    page.goto(live_server + "/login")
    page.locator("#phone").fill(phone)
    page.locator("main form [type=submit]").click()
    page.locator("#code").fill(code_from(gateway, phone))
    page.locator("form:has(#code) [type=submit]").click()  # not the button that asks for a new code


@pytest.fixture
def laptop():
    """Chromium with a laptop's screen."""
    with chromium(viewport={"width": 1280, "height": 800}) as page:
        yield page


@pytest.fixture
def links(app):
    from natteravn.links import Links

    return Links(app.config["BASE_URL"], app.config["SECRET_KEY"])


@pytest.fixture
def world(db, clock):
    """A published term in a region of three municipalities, as in Solør."""
    built = factories.solor(db, clock())
    db.commit()
    return built


def last_sms_to(gateway: ConsoleGateway, phone: str) -> str | None:
    bodies = [body for number, body in gateway.sent if number == phone]
    return bodies[-1] if bodies else None


def code_from(gateway: ConsoleGateway, phone: str) -> str:
    body = last_sms_to(gateway, phone)
    assert body, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", body).group(1)


def log_in(client, gateway: ConsoleGateway, phone: str) -> None:
    """Log in through the pages, as a parent would."""
    client.post("/login", data={"phone": phone})
    response = client.post("/login/code", data={"code": code_from(gateway, phone)})
    assert response.status_code == 302, response.text


@pytest.fixture
def login(client, gateway):
    def _login(person_or_phone):
        phone = getattr(person_or_phone, "phone", person_or_phone)
        log_in(client, gateway, phone)
        return client

    return _login
