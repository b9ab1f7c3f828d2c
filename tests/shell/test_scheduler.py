"""The periodic jobs: which exist, who runs them, and that a run does the work."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from natteravn import create_app, scheduler
from natteravn.accounts.models import LoginCode
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue


def test_the_jobs_are_periodic_and_include_sms_dispatch_and_purging(app):
    jobs = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobs(jobs, scheduler.context_from(app))
    ids = {job.id for job in jobs.get_jobs()}
    assert ids == {
        "dispatch_sms",
        "purge_login_codes",
        "expire_offers",
        "report_reminders",
        "purge_reports",
        "call_for_walkers",
    }
    assert all(str(job.trigger).startswith("interval") for job in jobs.get_jobs())


def test_the_web_app_runs_no_jobs_unless_told_to(app, database_url, clock):
    assert "natteravn.scheduler" not in app.extensions
    settings = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "CLOCK": clock}
    single = create_app({**settings, "SCHEDULER_IN_PROCESS": True})
    try:
        running = single.extensions["natteravn.scheduler"]
        assert running.running
        assert scheduler.start_in_process(single) is running  # once per app, however often asked
    finally:
        single.extensions["natteravn.scheduler"].shutdown(wait=False)
        single.extensions["natteravn.engine"].dispose()


def test_the_dispatch_job_sends_what_is_due_through_the_apps_gateway(app, db, gateway, clock):
    for number in range(45):  # more than one batch
        enqueue(db, to=f"+479000{number:04d}", body=f"Melding {number}", purpose=Purpose.REMINDER_DAY, now=clock())
    db.commit()
    scheduler.dispatch_sms(scheduler.context_from(app))
    assert len(gateway.sent) == 45
    assert db.scalar(select(func.count()).where(SmsMessage.state == MessageState.SENT)) == 45


def test_the_purge_job_forgets_expired_login_codes(app, db, clock):
    db.add(LoginCode(phone="+4791234567", code_hash="x", created_at=clock(), expires_at=clock(), attempts=0))
    db.commit()
    clock.advance(days=2)
    scheduler.purge_login_codes(scheduler.context_from(app))
    assert db.scalar(select(func.count()).select_from(LoginCode)) == 0
