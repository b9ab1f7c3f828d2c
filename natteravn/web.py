"""What views share: the request's database session, the app's clock and SMS gateway."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from natteravn.sms.gateway import Gateway


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back whatever a failed request left uncommitted


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions["natteravn.sessions"]


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def now() -> datetime:
    return current_app.config["CLOCK"]()


def gateway() -> Gateway:
    return current_app.extensions["natteravn.gateway"]


def links():
    from natteravn.links import Links

    return Links(current_app.config["BASE_URL"], current_app.config["SECRET_KEY"])
