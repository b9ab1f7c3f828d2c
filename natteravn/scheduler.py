"""Periodic jobs. The outbox and the database are the truth; jobs only look at them."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from natteravn.db import transaction
from natteravn.links import Links

log = logging.getLogger("natteravn.scheduler")


def expire_offers(app: Flask) -> None:
    from natteravn.shifts.service import expire_offers as expire

    with transaction(app.extensions["natteravn.sessions"]) as session:
        expire(session, app.config["CLOCK"](), Links(app.config["BASE_URL"], app.config["SECRET_KEY"]))


def add_jobs(scheduler, app: Flask) -> None:
    scheduler.add_job(expire_offers, "interval", seconds=60, args=[app], id="expire_offers", coalesce=True)


def start_in_process(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, app)
    scheduler.start()
    return scheduler
