"""Settings come from the defaults, then instance/config.py, then NATTERAVN_* environment variables,
then what `create_app` is handed; and the app will not start on a secret everyone knows."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from natteravn import create_app
from natteravn.config import INSECURE_SECRET, ConfigError

SECRET = "a-long-random-production-secret"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Whatever the machine running the tests has set must not decide them."""
    for name in list(os.environ):
        if name.startswith("NATTERAVN_") and not name.startswith("NATTERAVN_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


@pytest.fixture
def instance(tmp_path):
    return tmp_path


@pytest.fixture
def make_app(instance):
    made = []

    def _make(**overrides):
        app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": "sqlite://"} | overrides)
        made.append(app)
        return app

    yield _make
    for app in made:
        app.extensions["natteravn.engine"].dispose()


def write_instance_config(instance, text: str) -> None:
    (instance / "config.py").write_text(text, encoding="utf-8")


def test_a_deployment_gets_safe_defaults(make_app):
    config = make_app(SECRET_KEY=SECRET).config
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["WTF_CSRF_ENABLED"] is True
    assert config["SMS_GATEWAY"] == "console"
    assert (config["OTP_TTL_MINUTES"], config["OTP_MAX_TRIES"]) == (10, 5)


def test_the_database_defaults_to_sqlite_in_the_instance_folder(instance):
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": SECRET})
    try:
        assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'natteravn.sqlite'}"
    finally:
        app.extensions["natteravn.engine"].dispose()


def test_instance_config_overrides_the_defaults(instance, make_app):
    write_instance_config(instance, f"SECRET_KEY = {SECRET!r}\nOTP_TTL_MINUTES = 7\nSESSION_COOKIE_SECURE = False\n")
    config = make_app().config
    assert config["OTP_TTL_MINUTES"] == 7
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["SECRET_KEY"] == SECRET


def test_the_environment_overrides_instance_config(instance, make_app, monkeypatch):
    write_instance_config(instance, f"SECRET_KEY = {SECRET!r}\nOTP_TTL_MINUTES = 7\nBASE_URL = 'http://a.example'\n")
    monkeypatch.setenv("NATTERAVN_OTP_TTL_MINUTES", "4")
    monkeypatch.setenv("NATTERAVN_BASE_URL", "https://natteravn.example")
    monkeypatch.setenv("NATTERAVN_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("NATTERAVN_PROXY_FIX", "yes")
    monkeypatch.setenv("NATTERAVN_PERMANENT_SESSION_LIFETIME", "3600")
    config = make_app().config
    assert config["OTP_TTL_MINUTES"] == 4
    assert config["BASE_URL"] == "https://natteravn.example"
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["PROXY_FIX"] is True
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)


def test_what_create_app_is_handed_overrides_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_OTP_MAX_TRIES", "9")
    assert make_app(SECRET_KEY=SECRET, OTP_MAX_TRIES=3).config["OTP_MAX_TRIES"] == 3


def test_the_secret_can_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_SECRET_KEY", SECRET)
    assert make_app().config["SECRET_KEY"] == SECRET


def test_the_instance_folder_can_be_chosen_by_the_environment(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_instance_config(elsewhere, f"SECRET_KEY = {SECRET!r}\nOTP_MAX_TRIES = 2\n")
    monkeypatch.setenv("NATTERAVN_INSTANCE_PATH", str(elsewhere))
    app = create_app({"DATABASE_URL": "sqlite://"})
    try:
        assert app.config["OTP_MAX_TRIES"] == 2
        assert app.instance_path == str(elsewhere)
    finally:
        app.extensions["natteravn.engine"].dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [("NATTERAVN_OTP_TTL_MINUTES", "ten"), ("NATTERAVN_SESSION_COOKIE_SECURE", "maybe"), ("NATTERAVN_X", "{broken")],
)
def test_an_unreadable_environment_value_is_named_in_the_error(make_app, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        make_app(SECRET_KEY=SECRET)


def test_the_test_databases_variable_is_not_a_setting(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_TEST_SOMETHING", "x")
    assert "TEST_SOMETHING" not in make_app(SECRET_KEY=SECRET).config


# --- The secret. ---


def test_the_app_refuses_to_start_on_the_built_in_secret(make_app):
    with pytest.raises(ConfigError, match="NATTERAVN_SECRET_KEY") as refused:
        make_app()
    assert "secrets.token_urlsafe" in str(refused.value)  # says how to make one


def test_the_app_refuses_to_start_on_an_empty_secret(make_app):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app(SECRET_KEY="")


def test_the_app_refuses_the_built_in_secret_from_the_environment_too(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_SECRET_KEY", INSECURE_SECRET)
    with pytest.raises(ConfigError):
        make_app()


def test_a_refusal_is_also_a_runtime_error_for_process_managers(make_app):
    with pytest.raises(RuntimeError):
        make_app()


@pytest.mark.parametrize("mode", [{"TESTING": True}, {"DEBUG": True}])
def test_debug_and_testing_may_use_the_built_in_secret(make_app, mode):
    assert make_app(**mode).config["SECRET_KEY"] == INSECURE_SECRET


def test_flask_debug_in_the_environment_counts_as_debug(make_app, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert make_app().debug


def test_testing_false_in_the_environment_is_not_testing(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_TESTING", "false")
    with pytest.raises(ConfigError):
        make_app()


def test_a_real_secret_starts(make_app):
    app = make_app(SECRET_KEY=SECRET)
    assert not app.testing
    assert app.test_client().get("/login").status_code == 200


def test_login_countries_come_from_the_environment_as_json(make_app, monkeypatch):
    monkeypatch.setenv("NATTERAVN_LOGIN_COUNTRIES", '["NO", "SE"]')
    monkeypatch.setenv("NATTERAVN_LOGIN_SMS_PER_HOUR", "50")
    config = make_app(SECRET_KEY=SECRET).config
    assert (config["LOGIN_COUNTRIES"], config["LOGIN_SMS_PER_HOUR"]) == (["NO", "SE"], 50)


@pytest.mark.parametrize("written", ["NO", '["NO", "XX"]', "[]"])
def test_login_countries_that_cannot_be_meant_stop_the_start(make_app, monkeypatch, written):
    monkeypatch.setenv("NATTERAVN_LOGIN_COUNTRIES", written)
    with pytest.raises(ConfigError, match="LOGIN_COUNTRIES"):
        make_app(SECRET_KEY=SECRET)
