"""The `natteravn` commands and gunicorn as an operator runs them, each a real process, on a database of
the test's own (PostgreSQL when NATTERAVN_TEST_DATABASE_URL is set, else SQLite) and the default
console gateway."""

from __future__ import annotations

import re
import subprocess

import pytest
import requests

from natteravn import ROOT
from tests.databases import POSTGRES_URL, private_postgres
from tests.shell.processes import (
    BIN,
    PATIENCE,
    free_port,
    gunicorn,
    natteravn,
    natteravn_variables,
    operator_environment,
)
from tests.smtp_server import SmtpServer

SCHEMA_ADVICE = "run `natteravn db upgrade`"
NUMBER = "+4792345601"
JOBS = ("dispatch_sms", "purge_login_codes", "expire_offers", "report_reminders", "purge_reports", "call_for_walkers")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def empty_database(tmp_path):
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'natteravn.sqlite'}"
        return
    with private_postgres("natteravn_commands") as url:
        yield url


@pytest.fixture
def environment(tmp_path, empty_database):
    return operator_environment(tmp_path, empty_database, SESSION_COOKIE_SECURE=False)


@pytest.fixture
def upgraded(environment):
    result = natteravn("db", "upgrade", environment=environment)
    assert result.returncode == 0, result.stderr
    return environment


@pytest.mark.parametrize("command", [["sms", "test", NUMBER], ["scheduler"], ["scheduler", "--once"]])
def test_a_command_on_a_database_without_tables_says_to_run_db_upgrade(environment, command):
    result = natteravn(*command, environment=environment)
    assert result.returncode != 0
    assert SCHEMA_ADVICE in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_site_on_a_database_without_tables_shows_the_error_page_and_says_once_what_to_do(environment, tmp_path):
    port = free_port()
    with gunicorn(environment, port, tmp_path / "gunicorn.log", workers=1) as web:
        browser = requests.Session()
        for _attempt in range(2):
            token = CSRF.search(browser.get(f"http://127.0.0.1:{port}/login").text).group(1)
            page = browser.post(f"http://127.0.0.1:{port}/login", data={"phone": NUMBER, "csrf_token": token})
            assert page.status_code == 503
            assert "<h1>" in page.text
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=PATIENCE)
        assert health.status_code == 503
        assert health.json()["database"] == "schema missing"
        log = web.output()
    assert log.count(SCHEMA_ADVICE) == 1
    assert "Traceback" not in log


def test_a_queued_test_sms_waits_in_the_outbox_until_the_scheduler_sends_it(upgraded):
    queued = natteravn("sms", "test", NUMBER, "--queue", environment=upgraded)
    assert queued.returncode == 0, queued.stderr
    message_id = re.search(r"queued id=(\d+)", queued.stdout).group(1)
    assert f"natteravn sms status {message_id}" in queued.stdout
    assert "state=pending" in natteravn("sms", "status", message_id, environment=upgraded).stdout

    run = natteravn("scheduler", "--once", environment=upgraded)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-len(JOBS) :] == [f"{job} ok" for job in JOBS]
    assert "state=sent" in natteravn("sms", "status", message_id, environment=upgraded).stdout


def test_a_test_email_goes_through_the_configured_mail_server_and_says_what_it_answered(upgraded):
    with SmtpServer(login=True) as server:
        environment = {**upgraded, **natteravn_variables(**server.config())}
        sent = natteravn("email", "test", "Kari.Nordmann@Example.NO", environment=environment)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        [received] = server.to("Kari.Nordmann@example.no")
    assert "mailer=smtp to=Kari.Nordmann@example.no state=sent provider_id=email-" in sent.stdout
    assert received["Subject"] == "Natteravn: testmelding"  # the default language: Norwegian
    assert received.get_content().strip() == "Natteravn: test message. No need to answer."
    assert server.logins == ["natteravn"]


def test_a_test_email_goes_over_starttls_to_a_server_whose_certificate_the_machine_trusts(upgraded, tmp_path):
    with SmtpServer(login=True, tls=True) as server:
        trusted = {
            **upgraded,
            **natteravn_variables(**server.config()),
            "SSL_CERT_FILE": str(server.trust_file(tmp_path)),
        }
        sent = natteravn("email", "test", "kari@example.no", environment=trusted)
        assert sent.returncode == 0, sent.stdout + sent.stderr
    assert len(server.to("kari@example.no")) == 1
    assert server.encrypted == [True]
    assert server.logins == ["natteravn"]


def test_a_test_email_to_a_server_with_an_untrusted_certificate_is_not_sent_and_says_why(upgraded):
    with SmtpServer(login=True, tls=True) as server:
        refused = natteravn(
            "email", "test", "kari@example.no", environment={**upgraded, **natteravn_variables(**server.config())}
        )
        assert server.received == [] and server.logins == []
    assert refused.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stdout


def test_a_test_email_the_mail_server_refuses_says_why_and_exits_non_zero(upgraded):
    with SmtpServer() as server:
        server.refuse_next.append("550 5.1.1 No such mailbox here")
        refused = natteravn(
            "email", "test", "nobody@example.no", environment={**upgraded, **natteravn_variables(**server.config())}
        )
    assert refused.returncode == 1
    assert "state=failed" in refused.stdout
    assert "No such mailbox here" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr


def test_a_test_email_with_a_wrong_mail_password_says_the_server_refused_the_login(upgraded):
    with SmtpServer(login=True) as server:
        environment = {**upgraded, **natteravn_variables(**server.config(SMTP_PASSWORD="not-the-password"))}
        refused = natteravn("email", "test", "kari@example.no", environment=environment)
        assert server.received == []
    assert refused.returncode == 1
    assert "535" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr


def test_a_test_email_to_an_unreachable_mail_server_waits_in_the_outbox_and_says_so(upgraded):
    settings = {"NATTERAVN_SMTP_HOST": "127.0.0.1", "NATTERAVN_SMTP_PORT": str(free_port())}
    unreachable = {**upgraded, **settings, "NATTERAVN_SMTP_FROM": "natteravn@solor.example"}
    result = natteravn("email", "test", "kari@example.no", environment=unreachable)
    assert result.returncode == 1
    assert "state=pending" in result.stdout
    assert "could not be reached" in result.stdout


def test_a_test_email_to_something_that_is_no_address_is_refused_before_anything_is_sent(upgraded):
    result = natteravn("email", "test", "kari at example", environment=upgraded)
    assert result.returncode == 2
    assert "That is not an e-mail address" in result.stderr
    assert "queued" not in result.stdout


def test_a_queued_test_email_waits_until_the_scheduler_sends_it_through_the_mail_server(upgraded):
    with SmtpServer() as server:
        environment = {**upgraded, **natteravn_variables(**server.config())}
        queued = natteravn("email", "test", "kari@example.no", "--queue", environment=environment)
        assert queued.returncode == 0, queued.stderr
        message_id = re.search(r"queued id=(\d+)", queued.stdout).group(1)
        assert (
            "to=kari@example.no purpose=test state=pending"
            in natteravn("sms", "status", message_id, environment=environment).stdout
        )
        assert server.received == []

        run = natteravn("scheduler", "--once", environment=environment)
        assert run.returncode == 0, run.stdout + run.stderr
        assert len(server.to("kari@example.no")) == 1
    assert "state=sent" in natteravn("sms", "status", message_id, environment=environment).stdout


def test_the_console_gateway_says_that_nothing_is_sent_and_masks_numbers_and_codes(upgraded, tmp_path):
    sent = natteravn("sms", "test", NUMBER, "--text", "Your Natteravn code is 123456.", environment=upgraded)
    assert sent.returncode == 0, sent.stderr
    assert "no SMS is really sent" in sent.stderr
    assert "[SMS to +47 92 ** ** 01] Your Natteravn code is ******." in sent.stdout
    assert "123456" not in sent.stderr

    port = free_port()
    with gunicorn(upgraded, port, tmp_path / "gunicorn.log", workers=1) as web:
        browser = requests.Session()
        browser.headers["Accept-Language"] = "en"
        token = CSRF.search(browser.get(f"http://127.0.0.1:{port}/login").text).group(1)
        asked = browser.post(f"http://127.0.0.1:{port}/login", data={"phone": NUMBER, "csrf_token": token})
        assert asked.status_code == 200 and "/login/code" in asked.url
        log = web.output()
    sms_lines = [line for line in log.splitlines() if "SMS to" in line]
    assert sms_lines and all("Your Natteravn code is ******" in line for line in sms_lines)
    assert NUMBER not in log and not any(re.search(r"\d{6}", line) for line in sms_lines)


def test_without_an_sms_gateway_the_operator_gives_a_login_code_by_hand(upgraded, tmp_path):
    granted = natteravn("admin", "grant", "--phone", NUMBER, "--name", "Anne Administrator", environment=upgraded)
    assert granted.returncode == 0, granted.stderr
    port = free_port()
    with gunicorn(upgraded, port, tmp_path / "gunicorn.log", workers=1):
        browser = requests.Session()
        browser.headers["Accept-Language"] = "en"
        site = f"http://127.0.0.1:{port}"
        token = CSRF.search(browser.get(f"{site}/login").text).group(1)
        asked = browser.post(f"{site}/login", data={"phone": NUMBER, "csrf_token": token})
        assert "/login/code" in asked.url  # the code went to the console, masked

        given = natteravn("login-code", "--phone", "+47 923 45 601", environment=upgraded)
        assert given.returncode == 0, given.stderr
        assert "Login code for Anne Administrator (+4792345601)" in given.stdout
        code = re.search(r": (\d{6})$", given.stdout.splitlines()[0]).group(1)
        token = CSRF.search(asked.text).group(1)
        entered = browser.post(f"{site}/login/code", data={"code": code, "csrf_token": token})
    assert entered.status_code == 200 and entered.url.endswith("/admin")  # logged in, on their page


def test_a_login_code_is_given_only_to_a_registered_number(upgraded):
    refused = natteravn("login-code", "--phone", NUMBER, environment=upgraded)
    assert refused.returncode != 0
    assert "Nobody is registered with the number +4792345601." in refused.stderr


def test_scheduler_once_exits_non_zero_when_a_job_fails(tmp_path):
    unreachable = f"postgresql+psycopg://natteravn@127.0.0.1:{free_port()}/natteravn"
    run = natteravn("scheduler", "--once", environment=operator_environment(tmp_path, unreachable))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert [line.split(" ")[:2] for line in lines] == [[job, "failed:"] for job in JOBS]
    assert "OperationalError" in lines[0]


def _commands(*argv: str, environment: dict[str, str]) -> set[str]:
    output = subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, check=True).stdout
    listed = output.split("Commands:", 1)[1]
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def test_natteravn_and_flask_offer_the_same_commands(environment):
    own = _commands(str(BIN / "natteravn"), "--help", environment=environment)
    assert {"db", "demo", "purge", "scheduler", "sms", "email", "region", "coordinator", "admin"} <= own
    assert _commands(str(BIN / "flask"), "--app", "wsgi", "natteravn", "--help", environment=environment) == own
