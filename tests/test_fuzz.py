"""Every form and every query string the pages offer, filled with what a careless or hostile person
might send — control characters, huge numbers, impossible dates and times, very long text, other
alphabets — by each kind of person. None of it may give a server error.

The forms are found the way a person finds them: by opening the pages (as a visitor, a parent, the
night's leader and the coordinator) and reading their HTML, so a new form is fuzzed the day it
appears on a page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter

from natteravn.shifts.models import SignupRole
from tests import factories
from tests.conftest import log_in

#: Values that have broken services like this one before, and random text around them.
NASTY = st.one_of(
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "\x1b[31m",
            "9" * 25,
            str(2**63),
            "-1",
            "0",
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "2026-13-01",
            "25:61",
            "24:00",
            "0001-01-01T00:00",
            '=HYPERLINK("x")',
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "١٢٣",
            "²",
            "ødegård Ærlig Åse",
            "x" * 25_000,
        ]
    ),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@dataclass(frozen=True)
class FoundForm:
    who: str
    method: str
    action: str
    fields: tuple[tuple[str, str], ...]  # name and the value the page filled in


class _Forms(HTMLParser):
    """Each form's method, action and fields, with the value the page fills in (a person's
    likeliest answer: what a fuzzed field is put beside)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        name = values.get("name")
        if tag == "form":
            self._form = {}
            self.forms.append(((values.get("method") or "get").upper(), values.get("action") or "", self._form))
        elif self._form is None or not name or name == "csrf_token":
            pass
        elif tag == "input" and values.get("type") in ("checkbox", "radio"):
            if "checked" in values or name not in self._form:
                self._form[name] = values.get("value", "y")
        elif tag in ("input", "button"):
            self._form.setdefault(name, values.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            self._form[name] = ""
        if tag == "option" and self._form is not None and self._select:
            self._option(values)

    def _option(self, values: dict[str, str]) -> None:
        assert self._form is not None and self._select is not None
        if "selected" in values or self._select not in self._form:
            self._form[self._select] = values.get("value", "")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms_on(html: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _pages(app, objects: dict[str, int]) -> list[str]:
    """Every GET address of the app, built with the world's objects."""
    pages = []
    for rule in app.url_map.iter_rules():
        # Twilio's webhooks are checked by signature (tests/sms); /healthz says 503 on purpose.
        skipped = ("/sms/", "/r/", "/offer/", "/healthz")
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith(skipped):
            continue
        if "token" in rule.arguments:
            continue
        values = {name: objects.get(name, 1) for name in rule.arguments}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
        pages.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(pages))


@pytest.fixture
def browsers(app, gateway, world, db, clock):
    """A browser for each kind of person, logged in once (as people are, for a whole evening)."""
    night = world.nights[0]
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    factories.signup(db, night, world.parent, clock())
    db.commit()
    clock.set(night.starts_at)  # the night has begun: its logbook and report are open
    browsers = {"visitor": app.test_client()}
    for who, person in (("parent", world.parent), ("leader", world.leader), ("coordinator", world.coordinator)):
        browsers[who] = app.test_client()
        log_in(browsers[who], gateway, person.phone)
    return browsers


def _objects(world) -> dict[str, int]:
    night = world.nights[0]
    return {
        "region_id": world.region.id,
        "municipality_id": world.asnes.id,
        "route_id": night.route_id,
        "school_id": world.school_class.school_id,
        "class_id": world.school_class.id,
        "place_id": world.asnes.id,
        "term_id": world.term.id,
        "shift_id": night.id,
        "person_id": world.parent.id,
        "signup_id": night.signups[0].id if night.signups else 1,
    }


def _discover(app, browsers, world) -> list[FoundForm]:
    found: list[FoundForm] = []
    pages = _pages(app, _objects(world))
    for who, browser in browsers.items():
        for page in pages:
            response = browser.get(page)
            assert response.status_code < 500, f"{who} GET {page}: {response.status_code}"
            if response.mimetype != "text/html":
                continue
            for method, action, fields in _forms_on(response.get_data(as_text=True)):
                target = urlsplit(action).path or page
                found.append(FoundForm(who, method, target, tuple(fields.items())))
    # Logging out or deleting oneself would end the browser's login for the forms after it; those
    # forms are one button each and are tried in tests/test_security.py and tests/privacy.
    found = [f for f in found if not f.action.startswith(ENDS_THE_LOGIN)]
    # One of each: the 40 nights' sign-up buttons are one form.
    shapes = {(f.who, f.method, re.sub(r"\d+", "#", f.action), tuple(n for n, _ in f.fields)): f for f in found}
    return list(shapes.values())


ENDS_THE_LOGIN = ("/logout", "/profile/delete")

#: What each field gets in turn, beside the page's own values in the others.
WORST = ["\x00", "9" * 25, "-1", "0001-01-01", "25:61", "²", "", "x" * 25_000]


def _send(browsers, form: FoundForm, values: dict[str, str]):
    client = browsers[form.who]
    if form.method == "GET":
        return client.get(form.action, query_string=values)
    return client.post(form.action, data=values)


def test_every_field_of_every_form_takes_the_worst_values_without_a_server_error(app, browsers, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    forms = _discover(app, browsers, world)
    assert len(forms) > 40  # the pages' forms were found, not an empty crawl
    failures = []
    for form in forms:
        for name in [name for name, _value in form.fields] + ["page"]:
            for value in WORST:
                response = _send(browsers, form, {**dict(form.fields), name: value})
                if response.status_code >= 500:
                    failures.append(f"{form.who} {form.method} {form.action} {name}={value[:20]!r}")
    assert failures == []


def test_every_form_and_query_string_survives_nasty_input(app, browsers, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    forms = _discover(app, browsers, world)
    failures: list[str] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(data):
        form = data.draw(st.sampled_from(forms))
        # Beside the page's own values, so a form gets past its other checks to where a bad value
        # would reach the database.
        values = dict(form.fields)
        names = sorted(values) + ["page"]
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True), label="fuzzed"):
            values[name] = data.draw(NASTY, label=name)
        response = _send(browsers, form, values)
        if response.status_code >= 500:
            failures.append(f"{form.who} {form.method} {form.action} {sorted(values)}: {response.status_code}")
        assert response.status_code < 500

    fuzz()
    assert failures == []
