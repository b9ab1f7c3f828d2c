"""Settings: defaults, then instance/config.py, then NATTERAVN_* environment variables,
then whatever `create_app(config=…)` is handed (tests)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import phonenumbers
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
    "SCHEDULER_DISPATCH_SECONDS": 30,  # how often the scheduler looks for due SMS
    # /healthz fails when the scheduler has not finished an SMS dispatch for this long.
    "HEALTH_SCHEDULER_STALE_SECONDS": 300,
    "SMS_QUIET_FROM": "21:00",  # Europe/Oslo; only messages about tonight go out in between
    "SMS_QUIET_UNTIL": "08:00",
    "SMS_MAX_ATTEMPTS": 5,  # tries per message on temporary provider errors, with growing pauses
    # SMS segments sent per second by all scheduler processes together; None: what the sender is
    # sure to manage (sms.service.rate_per_second), 0: unpaced.
    "SMS_RATE_PER_SECOND": None,
    "SMS_PRICE_PER_SEGMENT": Decimal("0.45"),  # NOK, for the outbox's cost estimates and the regions' budgets
    "SMTP_HOST": None,  # None: e-mail goes to the log, as the console SMS gateway does
    "SMTP_PORT": 587,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": None,  # the sender: "Natteravn <natteravn@kommune.no>"
    "SMTP_STARTTLS": True,
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
    # Countries (ISO 3166 codes) whose numbers get login codes. One list for the whole service:
    # a login comes before anyone knows which region the person belongs to.
    "LOGIN_COUNTRIES": ["NO"],
    # Login codes sent per hour, everyone together; beyond it codes are refused and an alert logged.
    # The limits per number and per address cannot stop someone asking from many addresses.
    "LOGIN_SMS_PER_HOUR": 200,
    "AUTOFILL_SECONDS": 10,  # time limit for one auto-fill run
    "CLOCK": system_now,
}

# Settings whose environment value is not a plain string, besides those whose default says so.
_BOOLEAN = {"SCHEDULER_IN_PROCESS", "PROXY_FIX", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "DEBUG", "TESTING"}
_INTEGER = {
    "SMS_RATE_PER_SECOND",
    "SMS_MAX_ATTEMPTS",
    "OTP_TTL_MINUTES",
    "OTP_MAX_TRIES",
    "AUTOFILL_SECONDS",
    "SMTP_PORT",
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A setting that would make the app unsafe or that cannot be read; the message says what to do."""


def load(app: Flask, overrides: dict | None) -> None:
    overrides = dict(overrides or {})
    environment = _from_environment(os.environ)
    # Where instance/config.py lives must be known before it is read, so it comes from the
    # caller or the environment only.
    instance = overrides.pop("INSTANCE_PATH", None) or environment.pop("INSTANCE_PATH", None)
    if instance:
        app.instance_path = str(instance)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(str(Path(app.instance_path) / "config.py"), silent=True)
    app.config.update(environment)
    app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'natteravn.sqlite'}"
    _refuse_known_secret(app)
    _check_login_countries(app)
    _check_rate(app)


def _refuse_known_secret(app: Flask) -> None:
    """Anyone who knows the secret can forge a session cookie for any person."""
    if app.debug or app.testing:
        return
    if not app.config["SECRET_KEY"] or app.config["SECRET_KEY"] == INSECURE_SECRET:
        raise ConfigError(
            "Natteravn will not start with the built-in SECRET_KEY outside debug or testing: anyone could "
            "forge a login. Set NATTERAVN_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random "
            'value, for example the output of `python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
        )


def _check_login_countries(app: Flask) -> None:
    """A typo here would refuse every login, or let codes go anywhere."""
    countries = app.config["LOGIN_COUNTRIES"]
    if not (isinstance(countries, list) and countries and set(countries) <= phonenumbers.SUPPORTED_REGIONS):
        raise ConfigError(
            f'LOGIN_COUNTRIES={countries!r} must be a list of country codes such as ["NO", "SE"] '
            '(in the environment as JSON: NATTERAVN_LOGIN_COUNTRIES=\'["NO", "SE"]\').'
        )


def _check_rate(app: Flask) -> None:
    rate = app.config["SMS_RATE_PER_SECOND"]
    if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or rate < 0):
        raise ConfigError(
            f"SMS_RATE_PER_SECOND={rate!r} must be a whole number of SMS per second, such as 1 for a phone "
            "number or the rate Twilio gives a Messaging Service (0 sends unpaced)."
        )


def _from_environment(environ: os._Environ | dict) -> dict[str, object]:
    settings: dict[str, object] = {}
    for name, raw in environ.items():
        if not name.startswith("NATTERAVN_") or name.startswith("NATTERAVN_TEST_"):
            continue
        key = name.removeprefix("NATTERAVN_")
        try:
            settings[key] = _parse(key, raw)
        except ValueError as error:
            raise ConfigError(f"{name}={raw!r} cannot be read: {error}") from error
    return settings


def price_per_segment(config) -> Decimal:
    """What one SMS segment costs, in NOK. A price written as a float in instance/config.py (0.45)
    is meant exactly, hence str() first."""
    return Decimal(str(config["SMS_PRICE_PER_SEGMENT"]))


def _amount(raw: str) -> Decimal:
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation as error:
        raise ValueError("write an amount like 0.45") from error
    if not amount.is_finite() or amount < 0:
        raise ValueError("write an amount like 0.45")
    return amount


def _parse(key: str, raw: str) -> object:
    default = DEFAULTS.get(key)
    if key in _BOOLEAN or isinstance(default, bool):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError("write true or false")
        return word in _TRUE
    if key in _INTEGER or isinstance(default, int):
        return int(raw)
    if isinstance(default, timedelta):
        return timedelta(seconds=int(raw))
    if isinstance(default, list) and not raw.startswith("["):
        raise ValueError("write a JSON list")
    if isinstance(default, Decimal):
        return _amount(raw)
    if raw.startswith(("{", "[")):
        return json.loads(raw)
    return raw
