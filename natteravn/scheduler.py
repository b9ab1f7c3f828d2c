"""Periodic jobs. The outbox and the database are the truth; jobs only look at them."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from natteravn.db import transaction
from natteravn.links import Links

log = logging.getLogger("natteravn.scheduler")


def _links(app: Flask) -> Links:
    return Links(app.config["BASE_URL"], app.config["SECRET_KEY"])


def expire_offers(app: Flask) -> None:
    from natteravn.shifts.service import expire_offers as expire

    with transaction(app.extensions["natteravn.sessions"]) as session:
        expire(session, app.config["CLOCK"](), _links(app))


def call_for_walkers(app: Flask) -> None:
    from natteravn.shifts.calls import call_for_walkers as call

    with transaction(app.extensions["natteravn.sessions"]) as session:
        call(session, app.config["CLOCK"](), _links(app))


def remind_missing_reports(app: Flask) -> None:
    from natteravn.reports.reminders import remind_missing_reports as remind

    with transaction(app.extensions["natteravn.sessions"]) as session:
        remind(session, app.config["CLOCK"](), _links(app))


def purge_reports(app: Flask) -> None:
    from natteravn.reports.retention import configured, purge_expired

    with transaction(app.extensions["natteravn.sessions"]) as session:
        purge_expired(session, app.config["CLOCK"](), **configured(app.config))


def dispatch_sms(app: Flask) -> None:
    """Send what is due, one batch per call with a fresh clock, until nothing is left."""
    from natteravn.sms.service import dispatch_due

    policy, gateway = app.extensions["natteravn.sms_policy"], app.extensions["natteravn.gateway"]
    with app.extensions["natteravn.sessions"]() as session:
        while True:
            result = dispatch_due(session, gateway, app.config["CLOCK"](), policy=policy, limit=policy.batch_size)
            if result.handled + result.reconciled + result.resent == 0:
                return
            log.info("SMS dispatch: %s", result)


def purge_login_codes(app: Flask) -> None:
    from natteravn.accounts.service import purge_login_data

    with transaction(app.extensions["natteravn.sessions"]) as session:
        purge_login_data(session, app.config["CLOCK"]())


def add_jobs(scheduler, app: Flask) -> None:
    # One run of a job at a time per process; several processes are safe because claims lock rows.
    scheduler.add_job(dispatch_sms, "interval", seconds=30, args=[app], id="dispatch_sms", coalesce=True)
    scheduler.add_job(purge_login_codes, "interval", hours=1, args=[app], id="purge_login_codes", coalesce=True)
    scheduler.add_job(expire_offers, "interval", seconds=60, args=[app], id="expire_offers", coalesce=True)
    scheduler.add_job(remind_missing_reports, "interval", minutes=15, args=[app], id="report_reminders", coalesce=True)
    scheduler.add_job(purge_reports, "interval", hours=6, args=[app], id="purge_reports", coalesce=True)
    scheduler.add_job(call_for_walkers, "interval", minutes=10, args=[app], id="call_for_walkers", coalesce=True)


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Jobs in a thread of this process (the demo, a single dev server), started once per app."""
    if "natteravn.scheduler" not in app.extensions:
        scheduler = BackgroundScheduler(timezone="UTC")
        add_jobs(scheduler, app)
        scheduler.start()
        app.extensions["natteravn.scheduler"] = scheduler
    return app.extensions["natteravn.scheduler"]


def run_blocking(app: Flask) -> None:
    """`natteravn scheduler`: the jobs as a process of their own, until interrupted."""
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, app)
    for job in scheduler.get_jobs():
        job.modify(next_run_time=app.config["CLOCK"]())  # first run at once, not after one interval
    log.info("Scheduler running: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
