"""Sessions and their cookies, logging out (here and everywhere), CSRF, `?next=` that cannot send
anyone off the site, security headers, and error pages in the reader's language."""

from __future__ import annotations

import re

import pytest

from natteravn import create_app
from natteravn.accounts import service
from natteravn.i18n import translations
from tests.conftest import code_from, log_in

HTTPS = "https://natteravn.test"


@pytest.fixture
def csrf_app(app):
    """The app as it runs for real: every form needs its CSRF token."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def production_app(engine, database_url, clock, gateway, tmp_path):
    """The app with the cookie settings a deployment gets by default (no instance/config.py)."""
    app = create_app(
        {
            "INSTANCE_PATH": tmp_path,
            "SECRET_KEY": "a-long-random-production-secret",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "GATEWAY": gateway,
            "BASE_URL": HTTPS,
            "WTF_CSRF_ENABLED": False,  # the token is tested below; here the cookies are
        }
    )
    yield app
    app.extensions["natteravn.engine"].dispose()


def csrf_token(page_text: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_text).group(1)


def set_cookie(response, name: str) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}="))


def logged_in(client) -> bool:
    return client.get("/nights").status_code == 200


# --- Cookies. ---


def test_the_default_settings_make_cookies_secure_httponly_and_samesite(production_app, world, gateway):
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    client = production_app.test_client()
    response = client.post("/login", data={"phone": world.parent.phone}, base_url=HTTPS)
    session_cookie = set_cookie(response, "session")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session_cookie
    response = client.post("/login/code", data={"code": code_from(gateway, world.parent.phone)}, base_url=HTTPS)
    assert response.status_code == 302
    remember = set_cookie(response, "remember_token")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in remember
    assert client.get("/nights", base_url=HTTPS).status_code == 200


# --- Logging out. ---


def test_logging_out_ends_the_session_and_forgets_the_remember_cookie(world, login, client):
    login(world.parent)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "remember_token=;" in set_cookie(response, "remember_token")
    assert not logged_in(client)


def test_logging_out_says_so_on_the_page_it_lands_on(world, login, client):
    login(world.parent)
    response = client.post("/logout", follow_redirects=True)
    assert response.request.path == "/login"
    assert "You are logged out." in response.text
    assert "You are logged out." not in client.get("/login").text  # said once


def test_logging_out_says_so_in_the_language_the_person_used(world, db, login, client):
    world.parent.locale = "nn"
    db.commit()
    login(world.parent)
    page = client.post("/logout", follow_redirects=True).text
    assert '<html lang="nn"' in page
    assert translations("nn").gettext("You are logged out.") in page


def test_logging_out_on_one_device_leaves_the_other_logged_in(world, app, gateway):
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, gateway, world.parent.phone)
    log_in(laptop, gateway, world.parent.phone)
    phone.post("/logout")
    assert not logged_in(phone)
    assert logged_in(laptop)


def test_logging_out_everywhere_logs_out_every_device(world, app, gateway, db):
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, gateway, world.parent.phone)
    log_in(laptop, gateway, world.parent.phone)
    assert logged_in(laptop)
    response = phone.post("/logout/everywhere")
    assert response.headers["Location"] == "/login"
    assert "logged out on every device" in phone.get("/login").text
    assert not logged_in(phone)
    assert not logged_in(laptop)


def test_a_remember_cookie_from_before_logging_out_everywhere_is_worthless(world, app, gateway):
    phone, laptop = app.test_client(), app.test_client()
    log_in(laptop, gateway, world.parent.phone)
    remember = laptop.get_cookie("remember_token").value
    log_in(phone, gateway, world.parent.phone)
    phone.post("/logout/everywhere")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert not logged_in(thief)


def test_after_logging_out_everywhere_a_new_login_works(world, app, gateway, login, client):
    login(world.parent)
    client.post("/logout/everywhere")
    log_in(client, gateway, world.parent.phone)
    assert logged_in(client)


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:", ":1", "1:x", "999:1"])
def test_a_session_that_names_nobody_loads_nobody(world, db, session_id):
    assert service.load_session_person(db, session_id) is None


def test_a_session_loads_its_person_until_the_version_moves_on(world, db):
    session_id = world.parent.get_id()
    assert service.load_session_person(db, session_id).id == world.parent.id
    service.log_out_everywhere(world.parent)
    assert service.load_session_person(db, session_id) is None


def test_logging_out_needs_a_post(world, login, client):
    login(world.parent)
    response = client.get("/logout")
    assert response.status_code == 405
    assert logged_in(client)


# --- CSRF. ---


def test_a_form_without_its_token_gets_a_friendly_400(csrf_app, client, gateway):
    response = client.post("/login", data={"phone": "912 34 567"})
    assert response.status_code == 400
    assert "The form expired" in response.text
    assert "reload the page" in response.text
    assert gateway.sent == []


def test_a_form_with_a_made_up_token_is_refused(csrf_app, client, gateway):
    client.get("/login")
    response = client.post("/login", data={"phone": "912 34 567", "csrf_token": "made-up"})
    assert response.status_code == 400
    assert gateway.sent == []


def test_the_whole_login_works_with_the_tokens_from_the_pages(csrf_app, world, client, gateway):
    page = client.get("/login")
    response = client.post("/login", data={"phone": world.parent.phone, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    page = client.get("/login/code")
    code = code_from(gateway, world.parent.phone)
    response = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert logged_in(client)


def test_a_new_code_needs_the_token_from_the_code_page(csrf_app, world, client, gateway):
    client.post("/login", data={"phone": world.parent.phone, "csrf_token": csrf_token(client.get("/login").text)})
    assert client.post("/login/code/new").status_code == 400
    assert len(gateway.sent) == 1
    token = csrf_token(client.get("/login/code").text)
    assert client.post("/login/code/new", data={"csrf_token": token}).status_code == 302
    assert len(gateway.sent) == 2


def test_a_logged_in_person_cannot_be_logged_out_by_another_site(csrf_app, world, client, gateway):
    log_in_with_tokens(client, gateway, world.parent.phone)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout/everywhere").status_code == 400
    assert client.post("/language", data={"lang": "en"}).status_code == 400
    assert logged_in(client)
    page = client.get("/profile")
    assert client.post("/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert not logged_in(client)


def log_in_with_tokens(client, gateway, phone: str) -> None:
    client.post("/login", data={"phone": phone, "csrf_token": csrf_token(client.get("/login").text)})
    token = csrf_token(client.get("/login/code").text)
    client.post("/login/code", data={"code": code_from(gateway, phone), "csrf_token": token})


# --- ?next= stays on this site. ---

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/%0d%0aLocation: https://evil.example/",
    "/\r\nLocation: https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "http:/evil.example",
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_next_never_leads_off_the_site_after_login(world, client, gateway, target):
    client.post("/login", data={"phone": world.parent.phone}, query_string={"next": target})
    response = client.post(
        "/login/code", data={"code": code_from(gateway, world.parent.phone)}, query_string={"next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/nights"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_next_never_leads_off_the_site_after_picking_a_language(client, target):
    response = client.post("/language", data={"lang": "en"}, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/nights", "/nights?week=2", "/profile#calendar"])
def test_next_within_the_site_is_followed(world, client, gateway, target):
    client.post("/login", data={"phone": world.parent.phone})
    response = client.post(
        "/login/code", data={"code": code_from(gateway, world.parent.phone)}, query_string={"next": target}
    )
    assert response.headers["Location"] == target


def test_a_page_that_needs_a_login_comes_back_after_it(world, client, gateway):
    response = client.get("/profile")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = client.post(login_url, data={"phone": world.parent.phone})
    response = client.post(response.headers["Location"], data={"code": code_from(gateway, world.parent.phone)})
    assert response.headers["Location"] == "/profile"


# --- Headers. ---


def test_pages_forbid_framing_and_sniffing(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_persons_pages_are_not_kept_in_the_browsers_cache(world, login, client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(world.parent)
    assert client.get("/profile").headers["Cache-Control"] == "no-store"


# --- Error pages. ---


def test_a_missing_page_is_a_404_in_the_browsers_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert '<html lang="en" dir="ltr">' in response.text
    assert "<h1>Not found</h1>" in response.text


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_error_pages_speak_the_persons_language(world, db, login, client, locale):
    world.parent.locale = locale
    db.commit()
    login(world.parent)
    _ = translations(locale).gettext
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert f'<html lang="{locale}"' in missing.text
    assert _("Not found") in missing.text
    forbidden = client.get("/coordinator/outbox")
    assert forbidden.status_code == 403
    assert f'<html lang="{locale}"' in forbidden.text
    assert _("Not allowed") in forbidden.text


def test_the_form_expired_page_speaks_the_persons_language(csrf_app, world, db, client, gateway):
    world.parent.locale = "en"
    db.commit()
    log_in_with_tokens(client, gateway, world.parent.phone)
    response = client.post("/profile", data={"name": "x"})
    assert response.status_code == 400
    assert '<html lang="en"' in response.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/logout", 405),
        ("put", "/login", 405),
        ("get", "/nights/not-a-number", 404),
        ("get", "/calendar/%00.ics", 404),
        ("post", "/login/code", 302),
        ("get", "/login?next=%ff%fe", 200),
    ],
)
def test_odd_requests_get_a_page_not_a_crash(client, method, path, status):
    response = getattr(client, method)(path, headers={"Accept-Language": "en"})
    assert response.status_code == status
    if status >= 400:
        assert '<html lang="en"' in response.text


def test_a_huge_phone_number_is_refused_not_crashed_on(client):
    response = client.post("/login", data={"phone": "9" * 5000})
    assert response.status_code == 422
    assert "not a phone number" in response.text


def test_a_huge_code_is_refused_not_crashed_on(world, client):
    with client.session_transaction() as session:
        session["login_phone"] = world.parent.phone
    response = client.post("/login/code", data={"code": "1" * 5000})
    assert response.status_code == 422
