"""What views share: the request's database session, the app's clock, SMS gateway and links, and
who may open a page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session, sessionmaker
from wtforms.fields.choices import SelectChoice

from natteravn.links import Links

if TYPE_CHECKING:
    from natteravn.accounts.models import Scope
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


def links() -> Links:
    return Links(current_app.config["BASE_URL"], current_app.config["SECRET_KEY"])


def onboarded_required(view):
    """Logged in, with name, age, code of conduct and municipality in place."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.onboarded:
            return redirect(url_for("accounts.welcome", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def coordinator_required(view):
    """Logged in and coordinator of a region or of a municipality in one; which data a page shows
    is checked by the page itself against `coordinated_regions()` (region-wide work) or
    `coordinator_scope()` (a municipality's nights, people, reports and messages): 404 for others."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not coordinator_scope():
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def region_coordinator_required(view):
    """Work on a whole region (its terms, places, audit log, imports): a coordinator of single
    municipalities is refused."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not coordinated_regions():
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Logged in and administrator: sets up regions and their coordinators."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def coordinator_scope() -> Scope:
    """What the person making the request coordinates (nothing for a visitor)."""
    return current_user.coordinator_scope


def coordinated_regions() -> set[int]:
    """The regions the person making the request coordinates whole."""
    return set(coordinator_scope().regions)


def safe_next(default: str) -> str:
    """`?next=` when it is a path on this site, else `default`: never a way to send someone
    elsewhere. Browsers read "/\\evil.example" and "/\\t/evil.example" as "//evil.example", so a
    backslash, whitespace or control character anywhere disqualifies the target too."""
    target = request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        return default
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in target):
        return default
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else default


def choices(pairs: Iterable[tuple[object, str]], *, first: tuple[object, str] | None = None) -> list[SelectChoice]:
    """A select field's options from (value, label) pairs, with `first` ("All", "Choose…") on top."""
    return [SelectChoice(value, label) for value, label in ([first] if first else []) + list(pairs)]
