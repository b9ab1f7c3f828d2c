"""The administrator's pages: every region at a glance and each on its own page, setting one up, adding a municipality,
granting and revoking coordinators; each change in the audit log; errors beside their field in
the reader's language; and nobody but an administrator gets in."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.routing import Rule

from natteravn import create_app
from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.audit.models import AuditEvent
from natteravn.people import service as people
from natteravn.places.models import Municipality, Region
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.conftest import code_from, log_in


def admin_rules() -> list[Rule]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "rules"})
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    app.extensions["natteravn.engine"].dispose()
    return sorted(rules, key=lambda rule: rule.rule)


RULES = admin_rules()


@pytest.fixture
def admin(world, db, clock) -> Person:
    someone = factories.person(db, world.asnes, "Anne Admin", clock())
    people.grant_admin(db, someone, None, clock())
    db.commit()
    return someone


@pytest.fixture
def grue_coordinator(world, db, clock, links) -> Person:
    someone = factories.person(db, world.grue, "Gunn Grue", clock())
    people.grant_coordinator(db, someone, world.region, world.grue, None, clock(), links=links)
    db.commit()
    return someone


def requests(world, grue_coordinator):
    """Every /admin address and method, for Solør's objects."""
    role = next(r for r in grue_coordinator.roles if r.kind == RoleKind.COORDINATOR)
    objects = {"region_id": world.region.id, "role_id": role.id}
    for rule in RULES:
        url = rule.build({name: objects[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_the_admin_pages_are_all_here():
    assert {rule.endpoint for rule in RULES} == {
        "admin.index",
        "admin.region",
        "admin.new_region",
        "admin.new_municipality",
        "admin.new_coordinator",
        "admin.revoke_coordinator",
    }


def test_a_visitor_is_sent_to_log_in_everywhere(world, grue_coordinator, client):
    wrong = []
    for method, url in requests(world, grue_coordinator):
        response = client.open(url, method=method, data={})
        if response.status_code != 302 or "/login" not in response.location:
            wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("who", ["parent", "coordinator", "grue_coordinator"])
def test_everyone_but_an_administrator_is_refused_everywhere(world, grue_coordinator, login, client, who):
    login(grue_coordinator if who == "grue_coordinator" else getattr(world, who))
    wrong = [
        f"{method} {url}: {status}"
        for method, url in requests(world, grue_coordinator)
        if (status := client.open(url, method=method, data={}).status_code) != 403
    ]
    assert wrong == []


def test_an_administrator_opens_every_page_and_an_empty_form_is_never_an_error(
    world, grue_coordinator, admin, login, client
):
    login(admin)
    wrong = []
    for method, url in requests(world, grue_coordinator):
        status = client.open(url, method=method, data={}).status_code
        if (method == "GET" and status != 200) or status >= 500:
            wrong.append(f"{method} {url}: {status}")
    assert wrong == []


def test_only_an_administrator_sees_administration_in_the_top_menu(world, admin, login, client):
    assert "Administration" in login(admin).get("/nights").text
    client.post("/logout")
    assert "Administration" not in login(world.coordinator).get("/coordinator").text


def test_an_administrator_who_has_not_answered_the_first_questions_still_reaches_the_regions(db, client, clock):
    person, _new = people.register(db, "+4790000002", "Anne Administrator", None, clock())
    people.grant_admin(db, person, None, clock())
    db.commit()
    log_in(client, client.application.extensions["natteravn.gateway"], person.phone)
    assert 'href="/admin"' in client.get("/welcome").text
    assert client.get("/admin").status_code == 200


def region_row(page: str, name: str) -> str:
    return next(part for part in page.split("<tr>")[1:] if f">{name}</a></th>" in part).split("</tr>")[0]


def test_the_list_shows_each_regions_municipalities_coordinators_and_volunteers(
    world, db, clock, admin, grue_coordinator, login
):
    other, *_rest = factories.other_region(db, clock())
    empty = Region(name="Glåmdal", slug="glamdal")
    db.add(empty)
    db.commit()
    page = login(admin).get("/admin").text
    assert "3 regions." in page
    solor, hamar, glamdal = region_row(page, "Solør"), region_row(page, "Hamar"), region_row(page, "Glåmdal")
    # Each municipality on its own, so that one whose name lists several stands out.
    for name in ("Grue", "Våler", "Åsnes", "Siri Koordinator", "Gunn Grue"):
        assert f"<li>{name}</li>" in solor, name
    # Kari, Ola, Lise, Siri, Anne and Gunn live in Solør; Hedda and Hans in Hamar.
    assert "<td>6</td>" in solor
    assert "<td>2</td>" in hamar and "Hedda Hamar" in hamar and "Siri" not in hamar
    assert "None yet" in glamdal and "<td>0</td>" in glamdal
    assert f'href="/admin/regions/{other.id}"' in hamar


def test_a_regions_page_shows_its_coordinators_and_what_each_may_plan(world, db, admin, grue_coordinator, login):
    page = login(admin).get(f"/admin/regions/{world.region.id}").text
    for text in ("solor", "Grue", "Åsnes", "Våler", "Siri Koordinator", "the whole region", "Gunn Grue", "Grue only"):
        assert text in page, text
    assert "<dt>Volunteers</dt><dd>6</dd>" in page
    assert "Remove Gunn Grue as coordinator of Grue" in page
    assert login(admin).get("/admin/regions/999999").status_code == 404


def test_an_administrator_sets_up_a_region_with_its_municipalities(world, db, admin, login):
    client = login(admin)
    response = client.post(
        "/admin/regions/new",
        data={
            "name": "Glåmdal",
            "slug": "glamdal",
            "timezone": "Europe/Oslo",
            "municipalities": "Kongsvinger\r\nEidskog\n",
        },
    )
    assert response.status_code == 302
    region = db.scalar(select(Region).where(Region.slug == "glamdal"))
    assert response.location == f"/admin/regions/{region.id}"  # where its coordinator is added
    assert "The region Glåmdal is set up." in client.get(response.location).text
    assert sorted(m.name for m in region.municipalities) == ["Eidskog", "Kongsvinger"]
    entries = db.scalars(select(AuditEvent).where(AuditEvent.region_id == region.id)).all()
    assert {(e.action, e.actor_id) for e in entries} == {
        ("region.created", admin.id),
        ("municipality.created", admin.id),
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "Glåmdal"}, "slug", "The short name Glåmdal will not do"),
        ({"slug": "solor"}, "slug", "There is already a region with the short name solor."),
        ({"slug": ""}, "slug", "short name, for example solor."),
        ({"name": "solør"}, "name", "Another region is already called solør."),
        ({"timezone": "Oslo"}, "timezone", "Oslo is not a time zone."),
        ({"municipalities": "Eidskog\neidskog"}, "municipalities", "The municipality eidskog is named twice."),
        ({"name": "x" * 121}, "name", "Shorten this to 120 characters."),
        (
            {"municipalities": "Gol, Hemsedal, Ål"},
            "municipalities",
            "Write one municipality per line: Gol, Hemsedal and Ål are 3 municipalities.",
        ),
        ({"municipalities": "Nes\r\nGol; Hemsedal"}, "municipalities", "Gol and Hemsedal are 2 municipalities."),
    ],
)
def test_a_region_the_rules_refuse_is_explained_beside_its_field(world, db, admin, login, data, field, message):
    valid = {"name": "Glåmdal", "slug": "glamdal", "timezone": "Europe/Oslo", "municipalities": "Eidskog"}
    response = login(admin).post("/admin/regions/new", data={**valid, **data})
    assert response.status_code == 422
    error = response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert db.scalar(select(Region).where(Region.slug == "glamdal")) is None


def test_everything_wrong_with_a_new_region_is_said_at_once(world, db, admin, login):
    response = login(admin).post(
        "/admin/regions/new",
        data={"name": "Solør", "slug": "Vest Telemark", "timezone": "Oslo", "municipalities": "Kviteseid, Seljord"},
    )
    assert response.status_code == 422
    for field, message in {
        "name": "Another region is already called Solør.",
        "slug": "The short name Vest Telemark will not do",
        "timezone": "Oslo is not a time zone.",
        "municipalities": "Kviteseid and Seljord are 2 municipalities.",
    }.items():
        assert message in response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0], field
    assert 'value="Vest Telemark"' in response.text
    assert db.scalar(select(Region).where(Region.name == "Vest Telemark")) is None


def test_errors_are_in_the_readers_language(world, admin, login, client):
    login(admin)
    client.post("/language", data={"lang": "nn"})
    response = client.post("/admin/regions/new", data={"name": "", "slug": "glamdal", "timezone": "Europe/Oslo"})
    assert response.status_code == 422
    assert "Skriv namnet på regionen." in response.text
    response = client.post(
        f"/admin/regions/{world.region.id}/coordinators/new", data={"phone": "12", "name": "Nils", "municipality": "0"}
    )
    assert "Det er ikkje eit gyldig telefonnummer." in response.text


def test_an_administrator_adds_a_municipality_once(world, db, admin, login):
    client = login(admin)
    url = f"/admin/regions/{world.region.id}/municipalities/new"
    assert client.post(url, data={"name": "Kongsvinger"}).status_code == 302
    refused = client.post(url, data={"name": "kongsvinger"})
    assert refused.status_code == 422
    assert "The region already has a municipality called kongsvinger." in refused.text.split('id="name-error">')[1]
    names = db.scalars(select(Municipality.name).where(Municipality.region_id == world.region.id)).all()
    assert sorted(names) == ["Grue", "Kongsvinger", "Våler", "Åsnes"]
    assert client.get("/admin/regions/999999/municipalities/new").status_code == 404


def test_an_administrator_adds_municipalities_one_at_a_time(world, db, admin, login):
    client = login(admin)
    refused = client.post(f"/admin/regions/{world.region.id}/municipalities/new", data={"name": "Eidskog, Sør-Odal"})
    assert refused.status_code == 422
    error = refused.text.split('id="name-error">', 1)[1].split("</p>", 1)[0]
    assert "One municipality at a time: Eidskog and Sør-Odal are 2 municipalities." in error
    names = db.scalars(select(Municipality.name).where(Municipality.region_id == world.region.id)).all()
    assert sorted(names) == ["Grue", "Våler", "Åsnes"]


def test_an_administrator_grants_a_new_number_the_region_and_they_can_plan_it(world, db, admin, login, client, gateway):
    login(admin)
    response = client.post(
        f"/admin/regions/{world.region.id}/coordinators/new",
        data={"phone": "900 00 031", "name": "Nora Ny", "municipality": "0"},
    )
    assert response.status_code == 302
    said = client.get(response.location).text
    assert "Nora Ny is now coordinator of Solør." in said and "first log in" in said
    nora = db.scalar(select(Person).where(Person.phone == "+4790000031"))
    assert nora.name == "Nora Ny" and nora.coordinator_scope.regions == {world.region.id}
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "person.coordinator_granted")).all()
    assert (event.actor_id, event.object_id) == (admin.id, nora.id)
    assert response.location == f"/admin/regions/{world.region.id}"
    assert "has not logged in yet" in client.get(response.location).text
    (told,) = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.COORDINATOR))
    assert (
        told.to == nora.phone and "koordinator for Solør" in told.body
    )  # in her language: bokmål until she chooses and "http://natteravn.test/login" in told.body

    client.post("/logout")
    login(nora.phone)
    assert client.get("/coordinator/places").status_code == 200


def test_an_administrator_grants_one_municipality_and_a_known_person_keeps_their_name(world, db, admin, login):
    client = login(admin)
    response = client.post(
        f"/admin/regions/{world.region.id}/coordinators/new",
        data={"phone": world.other_parent.phone, "name": "Someone Else", "municipality": str(world.grue.id)},
    )
    assert response.status_code == 302
    assert "Ola Hansen is now coordinator of Grue." in client.get(response.location).text
    db.expire_all()
    ola = db.get(Person, world.other_parent.id)
    assert ola.name == "Ola Hansen" and ola.coordinator_scope.municipalities == {world.grue.id}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "12"}, "phone", "That is not a valid phone number."),
        ({"phone": "900 00 032 x"}, "phone", "Write only the number, without letters or other text"),
        ({"phone": ""}, "phone", "Write their mobile number."),
        ({"name": ""}, "name", "Write their name."),
        ({"municipality": "999999"}, "municipality", "Choose a municipality from the list."),
    ],
)
def test_a_coordinator_the_rules_refuse_is_explained_beside_its_field(world, db, admin, login, data, field, message):
    valid = {"phone": "900 00 032", "name": "Nils", "municipality": "0"}
    response = login(admin).post(f"/admin/regions/{world.region.id}/coordinators/new", data={**valid, **data})
    assert response.status_code == 422
    assert message in response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert db.scalar(select(Person).where(Person.phone == "+4790000032")) is None
    if field != "name":
        assert 'value="Nils"' in response.text  # what was right stays on the page


def test_a_municipality_of_another_region_is_not_offered_nor_taken(world, db, clock, admin, login):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    client = login(admin)
    url = f"/admin/regions/{world.region.id}/coordinators/new"
    assert f'value="{hamar.id}"' not in client.get(url).text
    response = client.post(url, data={"phone": "900 00 033", "name": "Nils", "municipality": str(hamar.id)})
    assert response.status_code == 422


def test_an_administrator_revokes_a_coordinator(world, db, admin, grue_coordinator, login):
    role = next(r for r in grue_coordinator.roles if r.kind == RoleKind.COORDINATOR)
    client = login(admin)
    response = client.post(f"/admin/regions/{world.region.id}/coordinators/{role.id}/revoke")
    assert response.status_code == 302
    assert "Gunn Grue is no longer coordinator of Grue." in client.get(response.location).text
    assert db.scalar(select(Role).where(Role.id == role.id)) is None
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "person.coordinator_revoked")).all()
    assert (event.actor_id, event.object_id, event.details["place"]) == (admin.id, grue_coordinator.id, "Grue")
    assert client.post(f"/admin/regions/{world.region.id}/coordinators/{role.id}/revoke").status_code == 404


def test_a_role_is_revoked_only_through_its_own_region(world, db, clock, admin, grue_coordinator, login):
    hamar_region, _hamar, _coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    role = next(r for r in grue_coordinator.roles if r.kind == RoleKind.COORDINATOR)
    client = login(admin)
    assert client.post(f"/admin/regions/{hamar_region.id}/coordinators/{role.id}/revoke").status_code == 404
    assert db.scalar(select(Role).where(Role.id == role.id)) is not None


def test_every_admin_form_needs_its_csrf_token(world, admin, grue_coordinator, login, app):
    client = login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    wrong = [
        f"{url}: {status}"
        for method, url in requests(world, grue_coordinator)
        if method == "POST" and (status := client.post(url, data={"name": "X", "slug": "x"}).status_code) != 400
    ]
    assert wrong == []


def test_an_administrator_who_walks_nowhere_lands_on_the_regions_not_the_parents_questions(db, client, gateway, clock):
    newcomer = Person(phone="+4791112233", created_at=clock())
    db.add(newcomer)
    db.flush()
    people.grant_admin(db, newcomer, None, clock())
    db.commit()
    client.post("/login", data={"phone": newcomer.phone})
    landed = client.post("/login/code", data={"code": code_from(gateway, newcomer.phone)})
    assert landed.status_code == 302 and landed.location.endswith("/admin")
    assert client.get("/admin").status_code == 200


def test_a_coordinator_made_here_answers_the_first_questions_and_plans_without_waiting_for_themselves(
    world, db, admin, login, client
):
    login(admin)
    client.post(
        f"/admin/regions/{world.region.id}/coordinators/new",
        data={"phone": "900 00 034", "name": "Nora Ny", "municipality": "0"},
    )
    client.post("/logout")
    login("+4790000034")
    welcomed = client.post(
        "/welcome",
        data={"name": "Nora Ny", "municipality": world.asnes.id, "locale": "en", "adult": "y", "conduct": "y"},
    )
    assert welcomed.status_code == 302 and welcomed.location == "/coordinator"
    assert "waiting for approval" not in client.get("/coordinator").text
    nora = db.scalar(select(Person).where(Person.phone == "+4790000034"))
    assert nora.onboarded and not nora.awaiting_approval
    assert "Approve Nora Ny" not in client.get("/coordinator/people").text
