"""/healthz and the heartbeats behind it, read through the app with a clock that stands still."""

from __future__ import annotations

from datetime import timedelta

from natteravn import create_app
from natteravn.scheduler import Job, context_from, jobs, run_job


def run_every_job(app) -> None:
    context = context_from(app)
    for job in jobs(context):
        assert run_job(context, job) is None


def test_without_a_scheduler_the_service_is_failing(client):
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json == {
        "database": "ok",
        "scheduler": {},
        "login_codes": {"last_hour": 0, "budget": 200},
        "status": "failing",
    }


def test_after_every_job_ran_the_service_is_ok_and_shows_each_job(app, client, clock):
    run_every_job(app)
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["scheduler"]["dispatch_sms"] == {"finished_at": clock().isoformat(), "ok": True, "error": ""}
    assert set(answer.json["scheduler"]) == {job.id for job in jobs(context_from(app))}


def test_a_dispatch_older_than_the_threshold_fails_the_check(app, client, clock):
    run_every_job(app)
    clock.advance(seconds=app.config["HEALTH_SCHEDULER_STALE_SECONDS"] - 1)
    assert client.get("/healthz").status_code == 200
    clock.advance(seconds=2)
    assert client.get("/healthz").status_code == 503


def test_a_job_that_failed_its_last_run_fails_the_check_with_its_error(app, client):
    run_every_job(app)

    def broken(_context):
        raise RuntimeError("the region has no time zone")

    context = context_from(app)
    assert run_job(context, Job("report_reminders", broken, timedelta(minutes=15))) == (
        "RuntimeError: the region has no time zone"
    )
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json["scheduler"]["report_reminders"]["ok"] is False
    assert answer.json["scheduler"]["report_reminders"]["error"] == "RuntimeError: the region has no time zone"
    assert answer.json["scheduler"]["dispatch_sms"]["ok"] is True


def test_a_stopping_scheduler_starts_no_job(app, client):
    context = context_from(app)
    context.stop.set()
    for job in jobs(context):
        assert run_job(context, job) is None
    assert client.get("/healthz").json["scheduler"] == {}


def test_without_tables_a_logged_in_person_gets_the_error_page(tmp_path, caplog):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "SECRET_KEY": "x"})
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with browser.session_transaction() as session:
        session["_user_id"] = "1:1"  # a login from before the database was replaced
    for _attempt in range(2):
        page = browser.get("/nights")
        assert page.status_code == 503
        assert "Something went wrong" in page.text
    health = browser.get("/healthz")
    assert (health.status_code, health.json["database"]) == (503, "schema missing")
    advice = [record for record in caplog.records if "natteravn db upgrade" in record.getMessage()]
    assert len(advice) == 1 and advice[0].exc_info is None
    app.extensions["natteravn.engine"].dispose()
