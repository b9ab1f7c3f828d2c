"""Every page under /coordinator, whoever built it, keeps out visitors, parents and the
coordinators of other regions, and keeps a coordinator of one municipality to that municipality's
nights, people, reports and messages. The pages are read from the app's URL map, so a new page is
checked the day it is added; a page taking an object this table does not know fails until the
table learns how to make one."""

from __future__ import annotations

from datetime import date, time

import pytest
from werkzeug.routing import AnyConverter, Rule

from natteravn import create_app
from natteravn.accounts.models import Role, RoleKind
from natteravn.places.models import SchoolBreak
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import ClassWeekend
from tests import factories

#: Text only region Solør's pages show: another region's coordinator must never see it.
SOLOR_ONLY = ("Kjellmyra", "Kari Nordmann", "Siri Koordinator", "Flisa skole")
#: Which object of region Solør fills each kind of place in /coordinator/places/<kind>/<place_id>.
PLACE_KINDS = {"municipalities": "municipality_id", "routes": "route_id", "schools": "school_id", "classes": "class_id"}


#: Pages about a whole region: a coordinator of single municipalities is refused them.
REGION_WIDE = {
    "roster.new_term",
    "roster.edit_term",
    "roster.term",
    "roster.add_pattern",
    "roster.edit_pattern",
    "roster.delete_pattern",
    "roster.delete_term",
    "roster.give_weekend",
    "roster.take_weekend",
    "roster.publish",
    "roster.publish_page",
    "roster.add_break",
    "roster.remove_break",
    "roster.copy_term",
    "people.import_people",
    "people.import_confirm",
    "people.import_columns",
}
REGION_WIDE_BLUEPRINTS = ("places.", "audit.", "autofill.")
#: ... but for one person of the coordinator's municipality: their answer of when they can walk.
ONE_PERSONS = {"autofill.availability_for_person"}


def region_wide(rule: Rule) -> bool:
    if rule.endpoint in ONE_PERSONS:
        return False
    return rule.endpoint in REGION_WIDE or rule.endpoint.startswith(REGION_WIDE_BLUEPRINTS)


def coordinator_rules() -> list[Rule]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "rules"})
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/coordinator")]
    app.extensions["natteravn.engine"].dispose()
    return sorted(rules, key=lambda rule: rule.rule)


RULES = coordinator_rules()


def test_the_coordinator_pages_are_all_here():
    endpoints = {rule.endpoint for rule in RULES}
    assert {"people.index", "places.index", "audit.index", "sms.outbox", "reports.index"} <= endpoints


@pytest.fixture
def solor(world, db, clock) -> dict[str, int]:
    """One object of region Solør for each kind of id a coordinator page takes."""
    night = world.nights[0]
    report = ShiftReport(
        shift=night,
        region_id=world.region.id,
        municipality_id=night.route.municipality_id,
        route_id=night.route_id,
        night_on=night.starts_at.date(),
        state=ReportState.SUBMITTED,
        created_at=clock(),
        updated_at=clock(),
        submitted_at=clock(),
    )
    pattern = NightPattern(
        term=world.term,
        weekdays=[4],
        starts_local=time(22, 0),
        ends_local=time(1, 0),
        route_ids=[world.routes["Kjellmyra"].id],
        skip_dates=[],
        updated_at=clock(),
    )
    weekend = ClassWeekend(
        term=world.term, school_class=world.school_class, weekend_on=night.starts_at.date(), created_at=clock()
    )
    school_break = SchoolBreak(
        municipality=world.asnes, name="Juleferie", first_day=date(2026, 12, 21), last_day=date(2027, 1, 1)
    )
    db.add_all([report, pattern, weekend, school_break])
    db.commit()
    return {
        "region_id": world.region.id,
        "municipality_id": world.asnes.id,
        "route_id": world.routes["Kjellmyra"].id,
        "school_id": world.school_class.school_id,
        "class_id": world.school_class.id,
        "term_id": world.term.id,
        "shift_id": night.id,
        "person_id": world.parent.id,
        "report_id": report.id,
        "pattern_id": pattern.id,
        "given_id": weekend.id,
        "break_id": school_break.id,
    }


@pytest.fixture
def stranger(world, db, clock):
    """The coordinator of another region."""
    _region, _hamar, coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    return coordinator


def urls(rule: Rule, objects: dict[str, int]) -> list[str]:
    """The rule's address for Solør's objects (one per kind for the places' shared rules)."""
    kinds = [name for name, converter in rule._converters.items() if isinstance(converter, AnyConverter)]
    if kinds:
        (kind,) = kinds
        items = sorted(rule._converters[kind].items)
        return [_build(rule, {**objects, kind: item, "place_id": objects[PLACE_KINDS[item]]}) for item in items]
    return [_build(rule, objects)]


def _build(rule: Rule, objects: dict) -> str:
    unknown = rule.arguments - objects.keys()
    assert not unknown, f"{rule.rule}: add an object for {sorted(unknown)} to the `solor` fixture"
    built = rule.build({name: objects[name] for name in rule.arguments}, append_unknown=False)
    return built[1]


def requests_for(objects: dict[str, int], *, with_objects: bool | None = None, wide: bool | None = None):
    for rule in RULES:
        if with_objects is not None and bool(rule.arguments) != with_objects:
            continue
        if wide is not None and region_wide(rule) != wide:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for url in urls(rule, objects):
                yield method, url


def call(client, method: str, url: str):
    return client.open(url, method=method, data={})


def test_a_visitor_is_sent_to_log_in_everywhere(solor, client):
    wrong = []
    for method, url in requests_for(solor):
        response = call(client, method, url)
        if response.status_code != 302 or "/login" not in response.headers.get("Location", ""):
            wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == []


def test_a_parent_is_refused_everywhere(world, solor, login, client):
    login(world.parent)
    wrong = [
        f"{method} {url}: {status}"
        for method, url in requests_for(solor)
        if (status := call(client, method, url).status_code) != 403
    ]
    assert wrong == []


def test_another_regions_coordinator_finds_none_of_this_regions_objects(solor, stranger, login, client):
    login(stranger)
    wrong = [
        f"{method} {url}: {status}"
        for method, url in requests_for(solor, with_objects=True)
        if (status := call(client, method, url).status_code) not in (403, 404)
    ]
    assert wrong == []


def test_another_regions_coordinator_sees_nothing_of_this_region_on_their_own_pages(solor, stranger, login, client):
    login(stranger)
    wrong = []
    for method, url in requests_for(solor, with_objects=False):
        if method != "GET":
            continue
        response = call(client, method, url)
        shown = [text for text in SOLOR_ONLY if text in response.get_data(as_text=True)]
        if response.status_code >= 400 or shown:
            wrong.append(f"{url}: {response.status_code} {shown}")
    assert wrong == []


def test_this_regions_coordinator_opens_every_page_for_these_objects(world, solor, login, client):
    """The other tests' 404s mean something only if the same addresses work for the right coordinator."""
    login(world.coordinator)
    wrong = [
        f"{url}: {status}"
        for method, url in requests_for(solor)
        if method == "GET" and (status := call(client, method, url).status_code) >= 400
    ]
    assert wrong == []


# --- A coordinator of one municipality (Grue) in a region of three. ---


@pytest.fixture
def grue_coordinator(world, db, clock):
    coordinator = factories.person(db, world.grue, "Gunn Grue", clock())
    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    return coordinator


@pytest.fixture
def grue(world, solor, db, clock) -> dict[str, int]:
    """The same kinds of object as `solor`, but in Grue where there is one."""
    night = world.night_on("Kirkenær", world.nights[0].starts_at.date())
    report = ShiftReport(
        shift=night,
        region_id=world.region.id,
        municipality_id=world.grue.id,
        route_id=night.route_id,
        night_on=night.starts_at.date(),
        state=ReportState.SUBMITTED,
        created_at=clock(),
        updated_at=clock(),
        submitted_at=clock(),
    )
    db.add(report)
    db.commit()
    return {
        **solor,
        "municipality_id": world.grue.id,
        "route_id": world.routes["Kirkenær"].id,
        "shift_id": night.id,
        "person_id": world.other_parent.id,
        "report_id": report.id,
    }


def test_a_municipalitys_coordinator_is_refused_the_regions_planning_and_places(grue, grue_coordinator, login, client):
    login(grue_coordinator)
    wrong = [
        f"{method} {url}: {status}"
        for method, url in requests_for(grue, wide=True)
        if (status := call(client, method, url).status_code) not in (403, 404)
    ]
    assert wrong == []


def test_a_municipalitys_coordinator_finds_none_of_another_municipalitys_objects(
    solor, grue_coordinator, login, client
):
    login(grue_coordinator)
    wrong = [
        f"{method} {url}: {status}"
        for method, url in requests_for(solor, with_objects=True, wide=False)
        if "/terms/" not in url  # a term spans the region: its grid and exports show only Grue (below)
        if (status := call(client, method, url).status_code) not in (403, 404)
    ]
    assert wrong == []


def test_a_municipalitys_coordinator_sees_nothing_of_the_other_municipalities(grue, grue_coordinator, login, client):
    login(grue_coordinator)
    wrong = []
    for method, url in requests_for(grue, wide=False):
        if method != "GET":
            continue
        response = call(client, method, url)
        shown = [text for text in SOLOR_ONLY if text in response.get_data(as_text=True)]
        if response.status_code >= 400 or shown:
            wrong.append(f"{url}: {response.status_code} {shown}")
    assert wrong == []
