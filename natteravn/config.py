"""Settings: defaults, then instance/config.py, then NATTERAVN_* environment variables,
then whatever `create_app(config=…)` is handed (tests)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from natteravn.clock import system_now

INSECURE_SECRET = "dev-only-not-secret"

DEFAULTS: dict[str, object] = {
    "SECRET_KEY": INSECURE_SECRET,
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "BASE_URL": "http://127.0.0.1:5000",
    "SMS_GATEWAY": "console",
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_API_KEY_SID": None,
    "TWILIO_API_KEY_SECRET": None,
    "TWILIO_FROM": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "TWILIO_API_BASE": None,  # None: Twilio's own
    "SCHEDULER_IN_PROCESS": False,
    "PROXY_FIX": False,  # trust one proxy's X-Forwarded-* headers (behind nginx)
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=90),
    "PERMANENT_SESSION_LIFETIME": timedelta(days=90),
    "BABEL_DEFAULT_LOCALE": "nb",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
    "OTP_TTL_MINUTES": 10,
    "OTP_MAX_TRIES": 5,
    "CLOCK": system_now,
}

# Settings whose environment value is not a plain string.
_BOOLEAN = {"SCHEDULER_IN_PROCESS", "PROXY_FIX", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "DEBUG"}
_INTEGER = {"OTP_TTL_MINUTES", "OTP_MAX_TRIES"}


def load(app: Flask, overrides: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(str(Path(app.instance_path) / "config.py"), silent=True)
    app.config.update(_from_environment(os.environ))
    if overrides:
        app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'natteravn.sqlite'}"
    if app.config["SECRET_KEY"] == INSECURE_SECRET and not (app.debug or app.testing):
        raise RuntimeError(
            "NATTERAVN_SECRET_KEY is not set. Set it to a long random value, for example "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
        )


def _from_environment(environ: os._Environ | dict) -> dict[str, object]:
    settings: dict[str, object] = {}
    for name, raw in environ.items():
        if not name.startswith("NATTERAVN_") or name.startswith("NATTERAVN_TEST_"):
            continue
        key = name.removeprefix("NATTERAVN_")
        if key in _BOOLEAN:
            settings[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif key in _INTEGER:
            settings[key] = int(raw)
        elif raw.startswith(("{", "[")):
            settings[key] = json.loads(raw)
        else:
            settings[key] = raw
    return settings
