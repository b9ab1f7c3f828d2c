"""Natteravn: rosters, SMS reminders and night reports for volunteer night walks."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    from natteravn import config as settings

    settings.load(app, config)

    from natteravn import cli, db, extensions, web
    from natteravn.sms.gateway import make_gateway

    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["natteravn.engine"] = engine
    app.extensions["natteravn.sessions"] = db.make_session_factory(engine)
    app.extensions["natteravn.gateway"] = app.config.get("GATEWAY") or make_gateway(app.config)

    web.init_app(app)
    extensions.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from natteravn.accounts.views import bp as accounts
    from natteravn.shifts.views import bp as shifts

    app.register_blueprint(accounts)
    app.register_blueprint(shifts)
