"""Whether the service works: a heartbeat per scheduler job, the database's state, and `/healthz`
for a load balancer or monitoring to poll. Part of the shell: no feature imports it."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta

from flask import Blueprint, Flask, current_app, jsonify, render_template
from flask_babel import gettext as _
from sqlalchemy import Boolean, String, Text, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from natteravn.accounts.service import login_codes_last_hour
from natteravn.db import Base, UTCDateTime, upsert
from natteravn.extensions import login_manager

log = logging.getLogger("natteravn.health")

#: The job whose silence means that no SMS goes out.
DISPATCH_JOB = "dispatch_sms"
SCHEMA_MISSING = (
    "The database lacks Natteravn's tables (a new database, or one older than this version): "
    "run `natteravn db upgrade` with the same settings."
)
#: PostgreSQL's codes for an undefined table and an undefined column.
UNDEFINED = {"42P01", "42703"}
SQLITE_UNDEFINED = ("no such table", "no such column", "has no column named")

bp = Blueprint("health", __name__)


class JobHeartbeat(Base):
    """The last run of one periodic job, whichever scheduler process ran it."""

    __tablename__ = "job_heartbeat"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last run that came to an end, and how: a run under way leaves these as they were.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


def schema_missing(error: DBAPIError) -> bool:
    """Whether the database said that a table or column does not exist."""
    original = error.orig
    if getattr(original, "sqlstate", None) in UNDEFINED:
        return True
    return isinstance(original, sqlite3.OperationalError) and any(text in str(original) for text in SQLITE_UNDEFINED)


def describe(error: BaseException) -> str:
    """One line about a failure, fit for the health page: the first line of a database error,
    never the statement or its values."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}"[:300]


# --- Heartbeats. ---


def job_started(session: Session, job_id: str, now: datetime) -> None:
    _upsert(session, job_id, started_at=now)


def job_finished(session: Session, job_id: str, started: datetime, now: datetime, error: str | None) -> None:
    _upsert(session, job_id, started_at=started, finished_at=now, ok=error is None, error=error or "")


def _upsert(session: Session, job_id: str, **values) -> None:
    # Two scheduler processes may write a job's first heartbeat at once.
    statement = upsert(session, JobHeartbeat).values(job_id=job_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[JobHeartbeat.job_id], set_=values))


def read_heartbeats(session: Session) -> list[JobHeartbeat]:
    return list(session.scalars(select(JobHeartbeat).order_by(JobHeartbeat.job_id)))


# --- Health. ---


def health(sessions: sessionmaker[Session], now: datetime, stale_after: timedelta, login_budget: int) -> dict:
    """What `/healthz` answers. Failing when the database cannot be read, when no SMS dispatch has
    finished within `stale_after` (no scheduler runs), when a job failed on its last run, or while
    the hourly budget of login codes is used up (people cannot log in)."""
    try:
        with sessions() as session:
            beats = read_heartbeats(session)
            login_codes = login_codes_last_hour(session, now)
    except DBAPIError as error:
        database = "schema missing" if schema_missing(error) else "down"
        log.warning("Health check: database %s: %s", database, describe(error))
        return {"database": database, "scheduler": {}, "status": "failing"}
    dispatched = any(
        beat.job_id == DISPATCH_JOB and beat.finished_at is not None and beat.finished_at > now - stale_after
        for beat in beats
    )
    failed = any(beat.ok is False for beat in beats)
    over_budget = login_codes >= login_budget
    return {
        "database": "ok",
        "scheduler": {
            beat.job_id: {
                "finished_at": beat.finished_at.isoformat() if beat.finished_at else None,
                "ok": beat.ok,
                "error": beat.error,
            }
            for beat in beats
        },
        "login_codes": {"last_hour": login_codes, "budget": login_budget},
        "status": "ok" if dispatched and not failed and not over_budget else "failing",
    }


@bp.get("/healthz")
def healthz():
    app = current_app
    answer = health(
        app.extensions["natteravn.sessions"],
        app.config["CLOCK"](),
        timedelta(seconds=app.config["HEALTH_SCHEDULER_STALE_SECONDS"]),
        app.config["LOGIN_SMS_PER_HOUR"],
    )
    response = jsonify(answer)
    response.status_code = 200 if answer["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(DBAPIError, _schema_missing_page)


def _schema_missing_page(error: DBAPIError):
    """A missing schema is an operator's mistake that every request would hit: one log line that
    says what to do, and the error page, instead of a traceback per request."""
    if not schema_missing(error):
        raise error
    if not current_app.extensions.get("natteravn.schema_missing_logged"):
        current_app.extensions["natteravn.schema_missing_logged"] = True
        log.error("%s (%s)", SCHEMA_MISSING, describe(error))
    # Loading the person behind a login cookie needs the very tables that are missing: show the
    # page as to someone logged out.
    login_manager._update_request_context_with_user()
    page = render_template(
        "error.html", title=_("Something went wrong"), text=_("Nothing you saved is lost. Try again in a moment.")
    )
    return page, 503
