"""The first visit (name, age, code of conduct, municipality, language, class), the profile
afterwards, the page's language, and the calendar feed's address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from natteravn.accounts import service
from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.i18n import Refusal
from natteravn.people import importing
from natteravn.places.models import Municipality, Region, School, SchoolClass
from natteravn.sms.models import Channel
from tests import factories
from tests.conftest import code_from, last_sms_to

NEWCOMER = "+4792345678"


@pytest.fixture
def newcomer(world, client, gateway):
    """Someone logged in for the first time, with no profile yet."""
    client.post("/login", data={"phone": NEWCOMER})
    response = client.post("/login/code", data={"code": code_from(gateway, NEWCOMER)})
    assert response.headers["Location"].startswith("/welcome")
    return client


def person(db, phone=NEWCOMER) -> Person:
    db.expire_all()
    return db.scalars(select(Person).where(Person.phone == phone)).one()


def answers(world, **changes) -> dict:
    filled = {
        "name": "Nora Ny",
        "municipality": world.asnes.id,
        "school_classes": world.school_class.id,
        "locale": "nn",
        "adult": "y",
        "conduct": "y",
    }
    filled.update(changes)
    return {key: value for key, value in filled.items() if value is not None}


def feed_path(page_text: str) -> str:
    start = page_text.index("http://natteravn.test/calendar/")
    return urlsplit(page_text[start : page_text.index('"', start)]).path


# --- The first visit, through the service. ---


def test_the_first_answers_are_saved_with_the_time_of_consent(world, db, clock, links):
    someone = Person(phone=NEWCOMER, created_at=clock(), session_version=1, calendar_version=1, active=True)
    db.add(someone)
    service.complete_profile(
        db,
        someone,
        name="  Nora   Ny ",
        adult=True,
        accepts_conduct=True,
        municipality_id=world.asnes.id,
        locale="en",
        school_class_ids=[world.school_class.id],
        now=clock(),
        links=links,
    )
    assert someone.name == "Nora Ny"
    assert someone.adult_confirmed_at == clock()
    assert someone.conduct_accepted_at == clock()
    assert someone.conduct_version == service.CONDUCT_VERSION
    assert someone.onboarded


@pytest.mark.parametrize(
    ("adult", "accepts", "says"),
    [(False, True, "18 or older"), (True, False, "code of conduct"), (False, False, "18 or older")],
)
def test_without_both_promises_nothing_is_saved(world, db, clock, links, adult, accepts, says):
    someone = Person(phone=NEWCOMER, created_at=clock(), session_version=1, calendar_version=1, active=True)
    db.add(someone)
    with pytest.raises(Refusal, match=says):
        service.complete_profile(
            db,
            someone,
            name="Nora Ny",
            adult=adult,
            accepts_conduct=accepts,
            municipality_id=world.asnes.id,
            locale="nb",
            school_class_ids=[],
            now=clock(),
            links=links,
        )
    assert not someone.name
    assert someone.municipality_id is None
    assert someone.adult_confirmed_at is None and someone.conduct_accepted_at is None


def test_a_school_class_must_belong_to_the_chosen_region(world, db, clock, links):
    region = Region(name="Hamar", slug="hamar")
    hamar = Municipality(region=region, name="Hamar")
    newcomer = Person(phone=NEWCOMER, created_at=clock())
    db.add_all([region, hamar, newcomer])
    db.flush()
    with pytest.raises(Refusal, match="school classes"):
        service.update_profile(
            db,
            newcomer,
            name="Kari",
            municipality_id=hamar.id,
            locale="nb",
            school_class_ids=[world.school_class.id],
            now=clock(),
            links=links,
        )


def test_an_archived_school_class_cannot_be_chosen(world, db, clock, links):
    archived = SchoolClass(school=world.school_class.school, name="10B", archived=True)
    db.add(archived)
    db.flush()
    with pytest.raises(Refusal, match="school classes"):
        service.update_profile(
            db,
            world.parent,
            name="Kari",
            municipality_id=world.asnes.id,
            locale="nb",
            school_class_ids=[archived.id],
            now=clock(),
            links=links,
        )


@pytest.mark.parametrize(
    ("change", "says"),
    [({"name": "   "}, "Write your name"), ({"municipality_id": 0}, "municipality"), ({"locale": "sv"}, "language")],
)
def test_a_profile_needs_a_name_a_municipality_and_a_language_we_speak(world, db, clock, links, change, says):
    fields = {"name": "Kari", "municipality_id": world.asnes.id, "locale": "nb", "school_class_ids": []} | change
    with pytest.raises(Refusal, match=says):
        service.update_profile(db, world.parent, now=clock(), links=links, **fields)


# --- The first visit, through the pages. ---


def test_a_newcomer_is_sent_to_the_welcome_page_from_the_nights(newcomer):
    response = newcomer.get("/nights")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/welcome"


def test_the_welcome_page_asks_everything_with_labels(newcomer):
    page = newcomer.get("/welcome")
    assert page.status_code == 200
    for field in ("name", "municipality", "locale", "adult", "conduct"):
        assert f'for="{field}"' in page.text
    assert '<fieldset class="classes field" id="school_classes"' in page.text and "Flisa skole" in page.text
    assert "112" in page.text and "02800" in page.text  # the code of conduct is on the page
    assert "Åsnes" in page.text


def test_the_welcome_page_offers_the_languages_before_its_first_question(newcomer):
    page = newcomer.get("/welcome").text
    first_language, first_question = page.index('name="lang" value="en"'), page.index('for="name"')
    assert first_language < first_question  # chosen before typing, nothing typed is lost to it
    assert page.count('name="lang" value="en"') == 2  # and in the footer, as on every page
    chosen = newcomer.post("/language?next=/welcome", data={"lang": "nn"}, follow_redirects=True)
    assert '<html lang="nn"' in chosen.text


def test_a_newcomer_fills_in_the_welcome_page_and_sees_the_nights(world, newcomer, db, clock):
    response = newcomer.post("/welcome?next=/nights", data=answers(world))
    assert response.status_code == 302
    assert response.headers["Location"] == "/nights"
    saved = person(db)
    assert (saved.name, saved.municipality_id, saved.school_class_ids, saved.locale) == (
        "Nora Ny",
        world.asnes.id,
        {world.school_class.id},
        "nn",
    )
    assert saved.adult_confirmed_at == clock() and saved.conduct_accepted_at == clock()
    assert newcomer.get("/nights").status_code == 200


def test_the_school_class_may_be_left_out(world, newcomer, db):
    assert newcomer.post("/welcome", data=answers(world, school_classes=None)).status_code == 302
    assert person(db).school_classes == []


@pytest.mark.parametrize(("missing", "says"), [("adult", "18 or older"), ("conduct", "code of conduct")])
def test_refusing_a_promise_is_explained_and_saves_nothing(world, newcomer, db, missing, says):
    response = newcomer.post("/welcome", data=answers(world, locale="en", **{missing: None}))
    assert response.status_code == 422
    assert says in response.text
    saved = person(db)
    assert saved.name == "" and saved.adult_confirmed_at is None and saved.conduct_accepted_at is None
    assert not saved.onboarded
    assert newcomer.get("/nights").status_code == 302


def test_a_blank_welcome_form_says_everything_to_answer_at_once_each_by_its_field(world, newcomer, db):
    response = newcomer.post("/welcome", data={"name": "", "municipality": 0, "locale": "en"})
    assert response.status_code == 422
    page = response.text
    expected = {
        "name": "Write your name.",
        "municipality": "Choose the municipality you live in.",
        "adult": "Tick the box if you are 18 or older",
        "conduct": "Tick the box to accept the code of conduct",
    }
    for field, says in expected.items():
        error = page.index(f'<p class="error" id="{field}-error">')
        assert page[error : error + 200].split(">", 1)[1].startswith(says)
        assert f'aria-describedby="{field}-error"' in page
        assert f'<li><a href="#{field}">{says}' in page  # the summary on top leads to the field
    assert "Check these 4 answers" in page
    assert not person(db).onboarded


def test_a_parent_ticks_a_class_for_each_of_their_two_children(world, newcomer, db):
    ninth_b = SchoolClass(school=world.school_class.school, name="9B")
    db.add(ninth_b)
    db.commit()
    response = newcomer.post("/welcome", data=answers(world, school_classes=[world.school_class.id, ninth_b.id]))
    assert response.status_code == 302
    assert person(db).school_class_ids == {world.school_class.id, ninth_b.id}


def test_the_classes_are_grouped_by_municipality_and_school_in_counting_order(world, db, login, client):
    school = world.school_class.school
    other = School(municipality=world.grue, name="Grue skole")
    db.add_all([SchoolClass(school=school, name=name) for name in ("10A", "8B", "9B")])
    db.add_all([other, SchoolClass(school=other, name="8A")])
    world.parent.school_classes = [world.school_class]
    db.commit()
    page = login(world.parent).get("/profile").text
    classes = page[page.index('id="school_classes"') :]
    assert classes.index("<summary>Grue") < classes.index("Grue skole") < classes.index("<summary>Åsnes")
    flisa = classes[classes.index("Flisa skole</legend>") :]
    order = [flisa.index(f"</span> {name}</label>") for name in ("8B", "9A", "9B", "10A")]
    assert order == sorted(order)
    assert f'value="{world.school_class.id}" checked' in page


def test_a_municipality_must_be_chosen(world, newcomer, db):
    response = newcomer.post("/welcome", data=answers(world, municipality=0, locale="en"))
    assert response.status_code == 422
    assert "Choose the municipality you live in." in response.text
    assert not person(db).onboarded


def test_a_made_up_municipality_is_refused_without_an_error_page(world, newcomer):
    response = newcomer.post("/welcome", data=answers(world, municipality="not-a-number"))
    assert response.status_code == 422


def test_a_parent_who_is_done_is_not_asked_again(world, login, client):
    login(world.parent)
    response = client.get("/welcome")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nights"


def test_the_welcome_page_needs_a_login(client):
    response = client.get("/welcome")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_a_newcomer_coming_for_one_night_gets_there_after_the_welcome(world, client, gateway):
    night = world.nights[0]
    client.post(f"/login?next=/nights/{night.id}", data={"phone": NEWCOMER})
    response = client.post(f"/login/code?next=/nights/{night.id}", data={"code": code_from(gateway, NEWCOMER)})
    welcome = response.headers["Location"]
    assert urlsplit(welcome).path == "/welcome"
    response = client.post(welcome, data=answers(world))
    assert response.headers["Location"] == f"/nights/{night.id}"


# --- An imported parent's first visit. ---

IMPORTED = "+4748123456"


@pytest.fixture
def imported(world, db, clock, links) -> Person:
    """Ingrid Haugen, imported by the coordinator from the school's list, with her class; she has
    not logged in yet."""
    text = "Navn;Mobil;Kommune;Klasse\nIngrid Haugen;481 23 456;Åsnes;9A\n"
    importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    db.commit()
    return person(db, IMPORTED)


def log_in_as(client, gateway, phone: str, **headers) -> None:
    client.post("/login", data={"phone": phone}, headers=headers)
    client.post("/login/code", data={"code": code_from(gateway, phone)}, headers=headers)


def test_an_imported_parent_finds_the_class_the_coordinator_gave_ticked_and_keeps_it(
    world, imported, client, gateway, db
):
    log_in_as(client, gateway, IMPORTED)
    page = client.get("/welcome").text
    assert f'value="{world.school_class.id}" checked' in page
    assert "(1 class ticked)" in page
    shown = answers(world, name="Ingrid Haugen", school_classes=world.school_class.id)  # as the browser sends it
    assert client.post("/welcome", data=shown).status_code == 302
    assert person(db, IMPORTED).school_class_ids == {world.school_class.id}


def test_an_imported_parent_reads_their_browsers_language_not_the_imports_default(world, imported, client, gateway, db):
    assert imported.locale == "nb" and imported.locale_guessed
    nynorsk = {"Accept-Language": "nn-NO,nn;q=0.9"}
    log_in_as(client, gateway, IMPORTED, **nynorsk)
    assert last_sms_to(gateway, IMPORTED).startswith("Koden din til Natteravn er")  # nynorsk: "Han gjeld"
    assert "Han gjeld" in last_sms_to(gateway, IMPORTED)
    page = client.get("/welcome", headers=nynorsk).text
    assert '<html lang="nn"' in page and "Velkomen til Natteravn" in page
    assert '<option selected value="nn">' in page
    assert client.post("/welcome", data=answers(world, locale="nn"), headers=nynorsk).status_code == 302
    answered = person(db, IMPORTED)
    assert answered.locale == "nn" and not answered.locale_guessed
    english = {"Accept-Language": "en"}
    assert '<html lang="nn"' in client.get("/nights", headers=english).text  # now it is theirs


def test_a_language_an_imported_parent_picks_beats_their_browser(world, imported, client, gateway, db):
    log_in_as(client, gateway, IMPORTED)
    client.post("/language?next=/welcome", data={"lang": "nb"})  # the import's default, now chosen
    assert not person(db, IMPORTED).locale_guessed
    assert '<html lang="nb"' in client.get("/welcome").text


def test_a_language_picked_on_the_login_page_is_an_imported_parents_choice(world, imported, client, gateway, db):
    client.post("/language", data={"lang": "nb"})  # the same as the import's default
    log_in_as(client, gateway, IMPORTED)
    assert not person(db, IMPORTED).locale_guessed
    assert '<html lang="nb"' in client.get("/welcome").text


def test_someone_without_a_browser_language_we_speak_reads_the_imports_default(world, imported, client, gateway):
    log_in_as(client, gateway, IMPORTED, **{"Accept-Language": "de-DE"})
    assert '<html lang="nb"' in client.get("/welcome", headers={"Accept-Language": "de-DE"}).text


# --- Changing the language on the welcome page. ---


def test_the_welcome_pages_language_buttons_send_the_welcome_form(world, newcomer, login, client):
    page = newcomer.get("/welcome").text
    assert '<form method="post" id="welcome" novalidate>' in page
    assert page.count('name="lang" value="nn" lang="nn" aria-describedby') == 2  # on top and in the footer
    assert page.count('form="welcome"') == 6  # each of the three buttons, twice
    # Enter in a field presses the first submit button of the form: the one that sends the answers.
    assert page.index('<button type="submit" class="visually-hidden"') < page.index('name="lang"')
    newcomer.post("/logout")
    other_page = login(world.parent).get("/profile").text
    assert 'action="/language?next=' in other_page and 'form="welcome"' not in other_page  # as before


def test_switching_language_on_the_welcome_page_keeps_what_was_typed_and_saves_nothing(world, newcomer, db):
    typed = answers(world, name="Nora Ny Bakke", locale="en", conduct=None)
    response = newcomer.post("/welcome?next=/nights", data={**typed, "lang": "nn"})
    assert response.status_code == 200
    page = response.text
    assert '<html lang="nn"' in page and "Velkomen til Natteravn" in page
    assert 'value="Nora Ny Bakke"' in page
    assert f'<option selected value="{world.asnes.id}">' in page
    assert f'value="{world.school_class.id}" checked' in page
    assert '<input checked id="adult" name="adult" type="checkbox"' in page
    assert '<input id="conduct" name="conduct" type="checkbox"' in page  # left unticked, as it was
    assert '<option selected value="nn">' in page  # the language question follows the button
    assert 'class="error' not in page and "error-summary" not in page  # nothing to correct yet
    saved = person(db)
    assert saved.name == "" and not saved.onboarded
    assert saved.locale == "nn"  # remembered, as the footer's buttons do
    assert '<html lang="nn"' in newcomer.get("/welcome").text


def test_answers_sent_in_another_language_than_the_pages_say_what_is_missing_in_that_language(world, newcomer, db):
    newcomer.post("/welcome", data={**answers(world, name="Piotr"), "lang": "nb"})  # the page in bokmål
    response = newcomer.post("/welcome", data=answers(world, name="Piotr", locale="en", conduct=None))
    assert response.status_code == 422
    assert '<html lang="en"' in response.text
    assert "Tick the box to accept the code of conduct" in response.text
    assert person(db).locale == "en" and not person(db).onboarded


def test_a_language_we_do_not_speak_on_the_welcome_page_changes_nothing(world, newcomer, db):
    response = newcomer.post("/welcome", data={**answers(world, name="Nora"), "lang": "xx"})
    assert response.status_code == 200
    assert '<html lang="en"' in response.text and 'value="Nora"' in response.text
    assert "error-summary" not in response.text
    assert person(db).locale == "en" and not person(db).onboarded


def test_switching_language_on_the_welcome_page_needs_the_forms_token(world, newcomer, app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    page = newcomer.get("/welcome").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = newcomer.post("/welcome", data={**answers(world), "lang": "nn"})
    assert refused.status_code == 400 and "The form expired" in refused.text
    assert person(db).locale == "en"
    switched = newcomer.post("/welcome", data={**answers(world), "lang": "nn", "csrf_token": token})
    assert switched.status_code == 200 and "error-summary" not in switched.text
    assert 'name="csrf_token" type="hidden" value="' in switched.text  # the form comes back ready to send
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', switched.text).group(1)
    assert newcomer.post("/welcome", data={**answers(world), "csrf_token": fresh}).status_code == 302


# --- Whose municipalities come first on the welcome page. ---


@pytest.fixture
def hamar(db, clock) -> Municipality:
    """Another region, Hamar, with a school of its own."""
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    school = School(municipality=hamar, name="Hamar skole")
    db.add_all([school, SchoolClass(school=school, name="8C")])
    db.commit()
    return hamar


def test_an_imported_parent_finds_their_own_regions_municipalities_first(world, hamar, imported, client, gateway):
    log_in_as(client, gateway, IMPORTED)
    page = client.get("/welcome").text
    assert (
        page.index('<optgroup label="Solør">')
        < page.index(">Åsnes</option>")
        < page.index('<optgroup label="Other regions">')
        < page.index(">Hamar</option>")
    )
    classes = page[page.index('id="school_classes"') :]
    folded = classes.index('<details class="other-regions">')
    assert classes.index("Flisa skole") < folded < classes.index("Hamar skole")


def test_a_coordinator_made_by_the_administrator_finds_their_region_first(world, hamar, client, gateway, db, clock):
    coordinator = Person(phone=NEWCOMER, name="Mona Hamar", created_at=clock(), locale_guessed=True)
    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=hamar.region_id))
    db.add(coordinator)
    db.commit()
    log_in_as(client, gateway, NEWCOMER)
    page = client.get("/welcome").text
    assert (
        page.index('<optgroup label="Hamar">')
        < page.index('<optgroup label="Other regions">')
        < page.index(">Åsnes</option>")
    )
    classes = page[page.index('id="school_classes"') :]
    assert classes.index("Hamar skole") < classes.index('<details class="other-regions">') < classes.index("Flisa")


def test_the_public_page_someone_came_from_puts_its_region_first(world, hamar, client, gateway):
    client.get(f"/sign-up/{hamar.id}")
    log_in_as(client, gateway, NEWCOMER)
    page = client.get("/welcome").text
    assert page.index('<optgroup label="Hamar">') < page.index(f'<option selected value="{hamar.id}">Hamar</option>')
    assert page.index(f'value="{hamar.id}"') < page.index('<optgroup label="Other regions">')


def test_someone_who_came_by_themselves_chooses_among_every_region_in_one_list(world, hamar, newcomer, db):
    page = newcomer.get("/welcome").text
    assert "<optgroup" not in page and "other-regions" not in page
    assert page.index(">Hamar</option>") < page.index(">Åsnes</option>")
    assert newcomer.post("/welcome", data=answers(world, municipality=hamar.id, school_classes=None)).status_code == 302


def test_an_imported_parent_who_lives_in_another_region_can_still_say_so(world, hamar, imported, client, gateway, db):
    log_in_as(client, gateway, IMPORTED)
    assert client.post("/welcome", data=answers(world, municipality=hamar.id, school_classes=None)).status_code == 302
    assert person(db, IMPORTED).municipality_id == hamar.id


# --- The profile afterwards. ---


def test_a_parent_sees_their_profile_filled_in(world, login, client):
    login(world.parent)
    page = client.get("/profile")
    assert page.status_code == 200
    assert 'value="Kari Nordmann"' in page.text
    assert f'<option selected value="{world.asnes.id}">' in page.text


def test_a_parent_edits_their_profile(world, login, client, db):
    login(world.parent)
    data = {"name": "Kari N. Nordmann", "municipality": world.grue.id, "locale": "en"}
    response = client.post("/profile", data=data)
    assert response.status_code == 302
    saved = person(db, world.parent.phone)
    assert (saved.name, saved.municipality_id, saved.locale) == ("Kari N. Nordmann", world.grue.id, "en")
    assert "Saved." in client.get("/profile").text


def test_a_parent_who_moves_to_an_approving_region_waits_for_its_coordinator(world, login, client, db, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())  # approves each new person
    db.commit()
    login(world.parent)
    page = client.get("/profile").text
    assert "Hamar" in page and "its coordinator approves new people" in page
    data = {"name": "Kari Nordmann", "municipality": hamar.id, "school_class": 0, "locale": "en"}
    assert client.post("/profile", data=data).status_code == 302
    moved = person(db, world.parent.phone)
    assert moved.municipality_id == hamar.id and moved.awaiting_approval


def test_someone_a_coordinator_placed_who_chooses_another_region_waits_for_it_too(world, client, gateway, db, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    db.add(Person(phone=NEWCOMER, municipality=world.grue, created_at=clock(), approved_at=clock()))  # imported
    db.commit()
    client.post("/login", data={"phone": NEWCOMER})
    client.post("/login/code", data={"code": code_from(gateway, NEWCOMER)})
    assert client.post("/welcome", data=answers(world, municipality=hamar.id, school_classes=None)).status_code == 302
    assert person(db).municipality_id == hamar.id and person(db).awaiting_approval


def test_a_newcomer_chooses_among_every_region(world, newcomer, db, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    assert "Hamar" in newcomer.get("/welcome").text
    assert newcomer.post("/welcome", data=answers(world, municipality=hamar.id, school_classes=None)).status_code == 302
    assert person(db).municipality_id == hamar.id


def test_an_empty_name_is_refused_on_the_profile(world, login, client, db):
    login(world.parent)
    data = {"name": "  ", "municipality": world.asnes.id, "locale": "nb"}
    response = client.post("/profile", data=data)
    assert response.status_code == 422
    assert "Write your name." in response.text
    assert person(db, world.parent.phone).name == "Kari Nordmann"


def test_a_newcomer_cannot_skip_the_welcome_through_the_profile(world, newcomer, db):
    data = {"name": "Nora", "municipality": world.asnes.id, "locale": "nb"}
    response = newcomer.post("/profile", data=data)
    assert urlsplit(response.headers["Location"]).path == "/welcome"
    assert not person(db).onboarded


# --- Language. ---


def test_a_visitor_gets_the_browsers_language(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en" dir="ltr">' in page.text
    assert "<h1>Log in</h1>" in page.text


@pytest.mark.parametrize(
    ("header", "locale"), [("nb-NO,nb;q=0.9", "nb"), ("nn-NO", "nn"), ("no", "nb"), ("sv-SE,nn;q=0.5", "nn")]
)
def test_norwegian_browsers_get_bokmal_or_nynorsk(client, header, locale):
    page = client.get("/login", headers={"Accept-Language": header})
    assert f'<html lang="{locale}" dir="ltr">' in page.text


def test_a_language_nobody_here_speaks_falls_back_to_bokmal(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE"})
    assert '<html lang="nb" dir="ltr">' in page.text
    assert "Logg inn" in page.text


def test_a_language_picked_on_the_page_beats_the_browser(client):
    response = client.post("/language?next=/login", data={"lang": "en"}, headers={"Accept-Language": "nb"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "nb"})
    assert '<html lang="en"' in page.text


def test_a_language_we_do_not_have_is_ignored(client):
    client.post("/language", data={"lang": "xx"})
    assert '<html lang="nb"' in client.get("/login", headers={"Accept-Language": "nb"}).text


def test_the_profiles_language_beats_the_browser_and_a_language_picked_before_login_becomes_it(
    world, client, login, db
):
    world.parent.locale = "en"
    db.commit()
    login(world.parent)
    assert '<html lang="en" dir="ltr">' in client.get("/profile", headers={"Accept-Language": "nb"}).text
    client.post("/logout")
    client.post("/language", data={"lang": "nn"})  # on the login page, on another day
    login(world.parent)
    assert '<html lang="nn" dir="ltr">' in client.get("/profile", headers={"Accept-Language": "nb"}).text
    assert person(db, world.parent.phone).locale == "nn"


def test_picking_a_language_when_logged_in_changes_the_profile(world, client, login, db):
    login(world.parent)
    client.post("/language", data={"lang": "nn"})
    assert person(db, world.parent.phone).locale == "nn"
    assert '<html lang="nn"' in client.get("/profile").text


def test_a_first_login_keeps_the_language_the_visitor_was_reading(world, client, gateway, db):
    client.post("/language", data={"lang": "en"})
    client.post("/login", data={"phone": NEWCOMER})
    assert last_sms_to(gateway, NEWCOMER).startswith("Your Natteravn code is")
    client.post("/login/code", data={"code": code_from(gateway, NEWCOMER)})
    assert person(db).locale == "en"
    page = client.get("/welcome")
    assert '<html lang="en"' in page.text
    assert '<option selected value="en">' in page.text


def test_a_first_login_from_a_nynorsk_browser_starts_in_nynorsk(world, client, gateway, db):
    headers = {"Accept-Language": "nn-NO,nn;q=0.9"}
    client.post("/login", data={"phone": NEWCOMER}, headers=headers)
    client.post("/login/code", data={"code": code_from(gateway, NEWCOMER)}, headers=headers)
    assert person(db).locale == "nn"


def test_after_logging_out_the_page_keeps_the_persons_language(world, client, login, db):
    world.parent.locale = "en"
    db.commit()
    login(world.parent)
    client.post("/logout")
    page = client.get("/login", headers={"Accept-Language": "nb"})
    assert '<html lang="en"' in page.text


# --- The calendar feed's address. ---


def test_the_profile_shows_a_calendar_address_that_works(world, login, client):
    login(world.parent)
    path = feed_path(client.get("/profile").text)
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"


def test_a_new_calendar_address_revokes_the_old_one(world, login, client, app):
    login(world.parent)
    old = feed_path(client.get("/profile").text)
    response = client.post("/profile/calendar/new")
    assert response.headers["Location"] == "/profile"
    page = client.get("/profile")
    assert "The old one no longer works" in page.text
    new = feed_path(page.text)
    assert new != old
    outsider = app.test_client()  # a calendar app has no session
    assert outsider.get(old).status_code == 404
    assert outsider.get(new).status_code == 200


def test_a_made_up_calendar_address_is_not_found(world, client, links):
    assert client.get("/calendar/nonsense.ics").status_code == 404
    forged = links.sign("something-else", [world.parent.id, 1])
    assert client.get(f"/calendar/{forged}.ics").status_code == 404


def test_a_calendar_address_belongs_to_one_person(world, db, links):
    token = service.calendar_token(world.parent, links)
    assert service.person_for_calendar(db, token, links).id == world.parent.id
    service.revoke_calendar(world.parent)
    assert service.person_for_calendar(db, token, links) is None


def test_an_archived_school_does_not_offer_its_classes(world, db, login, client):
    school = School(municipality=world.asnes, name="Gamle skole", archived=True)
    db.add_all([school, SchoolClass(school=school, name="7C")])
    db.commit()
    login(world.parent)
    assert "Gamle skole" not in client.get("/profile").text


def test_the_profile_says_saved_in_the_language_just_chosen(world, login, client, db):
    login(world.parent)
    data = {"name": "Kari Nordmann", "municipality": world.asnes.id, "locale": "nb"}
    assert client.post("/profile", data=data).status_code == 302
    assert "Lagret." in client.get("/profile").text
    assert client.post("/profile", data={**data, "locale": "en"}).status_code == 302
    page = client.get("/profile").text
    assert "Saved." in page and "Lagret." not in page


def test_a_municipality_name_two_regions_share_says_its_region_in_the_list(world, login, client, db, clock):
    other = Region(name="Mosseregionen", slug="moss")
    db.add_all([other, Municipality(region=other, name="Våler")])
    db.commit()
    login(world.parent)
    page = client.get("/profile").text
    assert ">Våler (Mosseregionen)</option>" in page and ">Våler (Solør)</option>" in page
    assert ">Grue</option>" in page  # a name only one region has says no more
    assert page.index(">Grue</option>") < page.index(">Våler (Mosseregionen)</option>") < page.index(">Åsnes</option>")


def test_someone_who_answered_stop_is_told_on_their_profile_and_their_nights(world, client, login, db, clock):
    login(world.parent)
    assert "You answered STOP" not in client.get("/profile").text
    world.parent.sms_opted_out_at = clock()
    db.commit()
    for page in ("/profile", "/my"):
        assert "You answered STOP, so we send you no SMS" in client.get(page).text
    world.parent.channel, world.parent.email = Channel.EMAIL, "kari@example.no"
    db.commit()
    assert "You answered STOP" not in client.get("/my").text  # e-mail reaches them


# --- The code of conduct, to read again after accepting it. ---


def test_the_code_of_conduct_is_linked_from_the_profile_and_the_night_and_can_be_read_again(world, login, client):
    login(world.parent)
    for page in ("/profile", f"/nights/{world.nights[0].id}"):
        assert '<a href="/conduct">The walkers\' code of conduct</a>' in client.get(page).text
    conduct = client.get("/conduct")
    assert conduct.status_code == 200
    assert '<h1 id="conduct-title">The walkers\' code of conduct</h1>' in conduct.text
    assert "We never drive or transport young people." in conduct.text
    assert "You accepted it on" in conduct.text


def test_anyone_may_read_the_code_of_conduct(client):
    page = client.get("/conduct").text
    assert "We are sober" in page and "You accepted it" not in page
