"""Periodic jobs. The outbox and the database are the truth; jobs only look at them.

A job gets plain things (a session factory, the gateway, the clock …), never the Flask app: APScheduler
runs jobs in threads of their own, where Flask's `current_app` does not exist. Every run writes its
job's heartbeat, which `/healthz` reads."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from natteravn.db import transaction
from natteravn.health import DISPATCH_JOB, describe, job_finished, job_started
from natteravn.links import Links
from natteravn.sms.gateway import Gateway
from natteravn.sms.mail import Mailer
from natteravn.sms.service import DispatchPolicy

log = logging.getLogger("natteravn.scheduler")


@dataclass(frozen=True)
class JobContext:
    """What the jobs work with, taken from the app once."""

    sessions: sessionmaker[Session]
    gateway: Gateway
    mailer: Mailer
    policy: DispatchPolicy
    clock: Callable[[], datetime]
    links: Links
    retention: Mapping = field(default_factory=dict)  # reports.retention.configured(…)
    dispatch_every: timedelta = timedelta(seconds=30)
    #: Set when the process is asked to stop: no job starts, and sending stops between messages.
    stop: threading.Event = field(default_factory=threading.Event)


def context_from(app: Flask) -> JobContext:
    from natteravn.reports.retention import configured

    return JobContext(
        sessions=app.extensions["natteravn.sessions"],
        gateway=app.extensions["natteravn.gateway"],
        mailer=app.extensions["natteravn.mailer"],
        policy=app.extensions["natteravn.sms_policy"],
        clock=app.config["CLOCK"],
        links=Links(app.config["BASE_URL"], app.config["SECRET_KEY"]),
        retention=configured(app.config),
        dispatch_every=timedelta(seconds=app.config["SCHEDULER_DISPATCH_SECONDS"]),
    )


# --- The jobs. ---


def expire_offers(context: JobContext) -> None:
    """Offers nobody took in time go onwards, and so do places no longer kept for a group leader."""
    from natteravn.shifts.service import expire_offers as expire
    from natteravn.shifts.service import offer_released_places

    with transaction(context.sessions) as session:
        expire(session, context.clock(), context.links)
        offer_released_places(session, context.clock(), context.links)


def call_for_walkers(context: JobContext) -> None:
    from natteravn.shifts.calls import call_for_walkers as call

    with transaction(context.sessions) as session:
        call(session, context.clock(), context.links)


def remind_missing_reports(context: JobContext) -> None:
    from natteravn.reports.reminders import remind_missing_reports as remind

    with transaction(context.sessions) as session:
        remind(session, context.clock(), context.links)


def purge_reports(context: JobContext) -> None:
    from natteravn.reports.retention import purge_expired

    with transaction(context.sessions) as session:
        purge_expired(session, context.clock(), **context.retention)


def dispatch_sms(context: JobContext) -> None:
    """Send what is due, one batch per call with a fresh clock, until nothing is left or the
    process is asked to stop."""
    from natteravn.sms.service import DispatchResult, dispatch_due

    policy = context.policy
    with context.sessions() as session:
        while not context.stop.is_set():
            result = dispatch_due(
                session,
                context.gateway,
                context.clock(),
                policy=policy,
                limit=policy.batch_size,
                stop=context.stop,
                mailer=context.mailer,
            )
            if result == DispatchResult():  # nothing was due
                return
            log.info("SMS dispatch: %s", result)


def purge_login_codes(context: JobContext) -> None:
    from natteravn.accounts.service import purge_login_data

    with transaction(context.sessions) as session:
        purge_login_data(session, context.clock())


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[JobContext], None]
    every: timedelta


def jobs(context: JobContext) -> tuple[Job, ...]:
    return (
        Job(DISPATCH_JOB, dispatch_sms, context.dispatch_every),
        Job("purge_login_codes", purge_login_codes, timedelta(hours=1)),
        Job("expire_offers", expire_offers, timedelta(seconds=60)),
        Job("report_reminders", remind_missing_reports, timedelta(minutes=15)),
        Job("purge_reports", purge_reports, timedelta(hours=6)),
        Job("call_for_walkers", call_for_walkers, timedelta(minutes=10)),
    )


# --- Running them. ---


def run_job(context: JobContext, job: Job) -> str | None:
    """One run of a job, with its heartbeat. Returns what went wrong, or None when it went well
    (or did not start because the process is stopping)."""
    if context.stop.is_set():
        return None
    started = context.clock()
    _heartbeat(context, job.id, job_started, started)
    failure: str | None = None
    try:
        job.run(context)
    except Exception as error:  # a failed run must not end the scheduler; the heartbeat tells
        log.exception("Job %s failed", job.id)
        failure = describe(error)
    _heartbeat(context, job.id, job_finished, started, context.clock(), failure)
    return failure


def _heartbeat(context: JobContext, job_id: str, record, *args) -> None:
    # A heartbeat that cannot be written (the database is down) must not hide the job's own outcome.
    try:
        with transaction(context.sessions) as session:
            record(session, job_id, *args)
    except DBAPIError as error:
        log.warning("Could not record the heartbeat of job %s: %s", job_id, describe(error))


def add_jobs(scheduler, context: JobContext, *, first_run: datetime | None = None) -> None:
    # One run of a job at a time per process; several processes are safe because claims lock rows.
    # A run that starts late (a busy machine) is still worth running, once.
    for job in jobs(context):
        extra = {"next_run_time": first_run} if first_run else {}
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.every.total_seconds(),
            args=[context, job],
            id=job.id,
            coalesce=True,
            misfire_grace_time=None,
            **extra,
        )


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Jobs in a thread of this process (the demo, a single dev server), started once per app."""
    if "natteravn.scheduler" not in app.extensions:
        scheduler = BackgroundScheduler(timezone="UTC")
        add_jobs(scheduler, context_from(app))
        scheduler.start()
        app.extensions["natteravn.scheduler"] = scheduler
    return app.extensions["natteravn.scheduler"]


def stop_on_signals(context: JobContext) -> None:
    """SIGTERM (systemd, Docker, Kubernetes) and SIGINT (Ctrl-C) ask for a clean stop."""

    def _stop(signum, _frame) -> None:
        log.info("%s received: stopping after the message in flight", signal.Signals(signum).name)
        context.stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)


def run_until_stopped(context: JobContext) -> None:
    """`natteravn scheduler`: every job at once, then on its interval, until SIGTERM or SIGINT.
    Then no job starts, the one running finishes (sending stops after the message in flight and
    hands back what it claimed but did not try), and this returns."""
    stop_on_signals(context)
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, context, first_run=context.clock())  # first runs at once, not after one interval
    scheduler.start()
    log.info("Scheduler running: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    # Polled rather than `stop.wait()`: the signal handler runs in this thread and must never
    # find the event's lock held by the very thread it interrupted.
    while not context.stop.is_set():
        time.sleep(0.5)
    scheduler.shutdown(wait=True)
    log.info("Scheduler stopped")


def run_once(context: JobContext) -> dict[str, str | None]:
    """Each job once, in this thread: what went wrong per job id (None: it went well). Jobs left
    when SIGTERM or SIGINT came are not in it."""
    stop_on_signals(context)
    outcomes = {}
    for job in jobs(context):
        if context.stop.is_set():
            break
        outcomes[job.id] = run_job(context, job)
    return outcomes
