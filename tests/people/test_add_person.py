"""Adding one person by hand, as a coordinator does after a phone call or a parent meeting: the
person is added, approved and invited once, as importing a list of one would; a number already one
of the coordinator's people gets the classes ticked, as the import gives them, or is said to be
theirs, with a link; a number of another region's person is never shown, and that person is invited
to move as the import invites them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import ProfileRefused
from natteravn.audit.models import AuditEvent
from natteravn.people import adding, importing
from natteravn.places.models import School, SchoolClass
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories
from tests.test_security import csrf_token

ADD = "/coordinator/people/new"
PER = "+4792222222"


def add(db, world, clock, links, *, by=None, **answers) -> adding.Added:
    new = adding.NewPerson(
        name=answers.pop("name", "Per Persen"),
        phone=answers.pop("phone", "922 22 222"),
        municipality_id=answers.pop("municipality_id", world.asnes.id),
        **answers,
    )
    coordinator = by or world.coordinator
    return adding.add_person(db, coordinator.coordinator_scope, new, coordinator, clock(), links)


def refused(db, world, clock, links, **answers) -> dict[str, str]:
    """What is wrong with the answers, by field."""
    with pytest.raises(ProfileRefused) as refusal:
        add(db, world, clock, links, **answers)
    return {name: problem.msgid for name, problem in refusal.value.problems.items()}


def messages_to(db, person_id: int) -> list[SmsMessage]:
    return list(db.scalars(select(SmsMessage).where(SmsMessage.person_id == person_id)))


def events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def by_phone(db, phone: str) -> Person | None:
    return db.scalar(select(Person).where(Person.phone == phone))


def a_second_class(db, world) -> SchoolClass:
    """9B at a school in Grue: a class of another municipality than Åsnes."""
    school = School(municipality=world.grue, name="Kirkenær skole")
    school_class = SchoolClass(school=school, name="9B")
    db.add_all([school, school_class])
    db.commit()
    return school_class


# --- What adding does. ---


def test_a_person_added_is_approved_in_their_classes_and_gets_one_invitation(world, db, clock, links):
    added = add(db, world, clock, links, school_class_ids=[world.school_class.id], locale="nn")
    db.commit()
    per = by_phone(db, PER)
    assert added.person == per and added.invited
    assert (per.name, per.municipality, per.locale) == ("Per Persen", world.asnes, "nn")
    assert per.school_classes == [world.school_class]
    assert per.approved_at == clock() and not per.onboarded  # they answer the first-time questions themselves
    (invitation,) = messages_to(db, per.id)
    assert invitation.purpose == Purpose.INVITATION and invitation.state == MessageState.PENDING
    assert invitation.to == PER and invitation.region_id == world.region.id
    assert invitation.body.startswith("Natteravn Åsnes:") and "/i/" in invitation.body


def test_the_classes_are_optional_and_the_language_is_the_imports_by_default(world, db, clock, links):
    add(db, world, clock, links)
    per = by_phone(db, PER)
    assert per.school_classes == [] and per.locale == "nb"


def test_a_person_added_by_hand_is_the_person_an_import_of_their_row_makes(world, db, clock, links):
    add(db, world, clock, links, school_class_ids=[world.school_class.id])
    importing.apply_import(
        db,
        {world.region.id},
        "name;phone;municipality;class\nOla Lista;933 33 333;Åsnes;9A\n",
        world.coordinator,
        clock(),
        links,
    )
    by_hand, imported = by_phone(db, PER), by_phone(db, "+4793333333")
    for seen in ("municipality", "school_classes", "locale", "approved_at", "active", "onboarded", "channel"):
        assert getattr(by_hand, seen) == getattr(imported, seen), seen
    (one,), (other,) = messages_to(db, by_hand.id), messages_to(db, imported.id)
    assert (one.purpose, one.due_at, one.expires_at) == (other.purpose, other.due_at, other.expires_at)
    assert one.body.split(":")[0] == other.body.split(":")[0]


def test_the_audit_log_says_who_added_whom(world, db, clock, links):
    added = add(db, world, clock, links, school_class_ids=[world.school_class.id])
    (event,) = events(db, "person.added")
    assert (event.actor_id, event.object_type, event.object_id) == (world.coordinator.id, "person", added.person.id)
    assert event.region_id == world.region.id and event.details["school_class_ids"] == [world.school_class.id]
    assert events(db, "people.imported") == []


# --- A number already known. ---


def test_a_number_of_the_regions_own_people_is_said_to_be_theirs_and_nothing_changes(world, db, clock, links):
    with pytest.raises(adding.AlreadyRegistered) as known:
        add(db, world, clock, links, name="Kari Annen", phone="+47 912 34 567", municipality_id=world.grue.id)
    assert known.value.person == world.parent and known.value.field == "phone"
    assert known.value.translated(lambda text: text) == "912 34 567 is already registered, to Kari Nordmann."
    db.rollback()
    assert (world.parent.name, world.parent.municipality) == ("Kari Nordmann", world.asnes)
    assert messages_to(db, world.parent.id) == [] and events(db, "person.added") == []


def test_a_parent_added_again_with_another_childs_class_gets_that_class_as_an_import_gives_it(world, db, clock, links):
    kari = world.parent
    assert world.school_class not in kari.school_classes
    added = add(
        db, world, clock, links, name="Kari Nordmann", phone="912 34 567", school_class_ids=[world.school_class.id]
    )
    db.commit()
    assert added.person == kari and added.changed == ["school_class"] and not added.invited
    assert world.school_class in kari.school_classes and kari.municipality == world.asnes
    assert messages_to(db, kari.id) == []  # no invitation: she is registered
    (event,) = events(db, "person.updated")
    assert event.object_id == kari.id and event.details["school_class_ids"] == [world.school_class.id]
    assert events(db, "person.added") == []


def test_a_parent_given_a_class_at_a_school_elsewhere_keeps_where_she_walks(world, db, clock, links):
    grue_class = a_second_class(db, world)
    kari = world.parent
    added = add(
        db,
        world,
        clock,
        links,
        name="Kari Nordmann",
        phone="912 34 567",
        municipality_id=world.grue.id,
        school_class_ids=[grue_class.id],
    )
    db.commit()
    assert added.person == kari and added.changed == ["school_class"]
    assert grue_class in kari.school_classes and kari.municipality == world.asnes


def test_a_parent_added_again_with_nothing_new_is_said_to_be_registered(world, db, clock, links):
    add(db, world, clock, links, name="Kari Nordmann", phone="912 34 567", school_class_ids=[world.school_class.id])
    db.commit()
    with pytest.raises(adding.AlreadyRegistered):
        add(db, world, clock, links, name="Kari", phone="912 34 567", school_class_ids=[world.school_class.id])


def test_a_number_of_another_regions_person_is_invited_to_move_and_never_shown(world, db, clock, links):
    _region, hamar, _coordinator, hans = factories.other_region(db, clock())
    added = add(db, world, clock, links, name="Hans", phone=hans.phone, municipality_id=world.grue.id)
    db.commit()
    assert added.person is None and not added.invited  # nothing to link to, as the import shows nothing
    db.expire_all()
    assert db.get(Person, hans.id).municipality_id == hamar.id and db.get(Person, hans.id).name == "Hans Hamar"
    (invitation,) = messages_to(db, hans.id)
    assert "choose Grue on your profile" in invitation.body and invitation.region_id == world.region.id
    (event,) = events(db, "person.invited")
    assert (event.object_type, event.object_id) == ("region", world.region.id)
    assert hans.id not in (event.details or {}).values()
    add(db, world, clock, links, name="Hans", phone=hans.phone, municipality_id=world.grue.id)
    assert len(messages_to(db, hans.id)) == 1  # invited once, as the import invites once


def test_someone_who_logged_in_once_and_never_answered_is_taken_in_as_an_import_takes_them(world, db, clock, links):
    stray = Person(phone=PER, name="", locale="nb", created_at=clock(), session_version=1, calendar_version=1)
    db.add(stray)
    db.commit()
    added = add(db, world, clock, links)
    assert added.person == stray and not added.invited  # an import invites only new numbers
    assert (stray.name, stray.municipality, stray.approved_at) == ("Per Persen", world.asnes, clock())


# --- Answers to correct. ---


def test_every_wrong_answer_is_said_at_once(world, db, clock, links):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    problems = refused(db, world, clock, links, name="  ", phone="912 34", municipality_id=hamar.id, locale="sv")
    assert problems == {
        "name": "Write their name.",
        "phone": "That is not a valid phone number. Write it like 912 34 567.",
        "municipality": "Choose a municipality from the list.",
        "locale": "Choose a language from the list.",
    }
    assert by_phone(db, "+4791234") is None


def test_a_landline_or_text_in_the_number_is_refused_as_everywhere(world, db, clock, links):
    assert refused(db, world, clock, links, phone="62 95 00 00")["phone"] == (
        "That number cannot receive SMS. Use a mobile number."
    )
    assert refused(db, world, clock, links, phone="922 22 222 mobil")["phone"].startswith("Write only the number")


def test_classes_must_be_of_the_municipality_they_live_in(world, db, clock, links):
    kirkenaer = a_second_class(db, world)
    problems = refused(db, world, clock, links, school_class_ids=[kirkenaer.id])
    assert problems == {"school_classes": "Choose school classes in %(municipality)s, or none."}
    assert refused(db, world, clock, links, school_class_ids=[987654]) == problems
    world.school_class.archived = True
    assert refused(db, world, clock, links, school_class_ids=[world.school_class.id]) == problems


def test_a_class_ticked_without_a_municipality_chosen_says_where_they_walk(world, db, clock, links):
    added = add(db, world, clock, links, municipality_id=0, school_class_ids=[world.school_class.id])
    assert added.person.municipality == world.asnes  # Flisa skole 9A is in Åsnes
    kirkenaer = a_second_class(db, world)
    both = refused(
        db,
        world,
        clock,
        links,
        phone="922 22 223",
        municipality_id=0,
        school_class_ids=[world.school_class.id, kirkenaer.id],
    )
    assert both == {"municipality": "Choose a municipality from the list."}  # two municipalities: not guessed
    assert refused(db, world, clock, links, phone="922 22 223", municipality_id=0) == both


def test_an_archived_municipality_is_no_longer_a_choice(world, db, clock, links):
    world.valer.archived = True
    assert refused(db, world, clock, links, municipality_id=world.valer.id) == {
        "municipality": "Choose a municipality from the list."
    }


# --- A coordinator of one municipality. ---


@pytest.fixture
def gunn(world, db, clock) -> Person:
    """Coordinator of Grue alone."""
    coordinator = factories.person(db, world.grue, "Gunn Grue", clock())
    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    return coordinator


def test_a_municipalitys_coordinator_adds_to_their_municipality_only(world, db, clock, links, gunn):
    assert refused(db, world, clock, links, by=gunn)["municipality"] == "Choose a municipality from the list."
    added = add(db, world, clock, links, by=gunn, municipality_id=world.grue.id)
    assert added.person.municipality == world.grue


def test_a_municipalitys_coordinator_is_not_shown_a_person_of_another_municipality(world, db, clock, links, gunn):
    added = add(db, world, clock, links, by=gunn, name="Kari", phone=world.parent.phone, municipality_id=world.grue.id)
    assert added.person is None  # Kari lives in Åsnes: invited to move, as someone elsewhere is
    assert world.parent.municipality == world.asnes


def test_a_municipalitys_coordinator_has_only_their_municipality_to_choose(world, login, client, gunn):
    login(gunn)
    page = client.get(ADD).text
    assert '<option selected value="' + str(world.grue.id) + '">Grue</option>' in page
    assert "Åsnes" not in page.split('id="municipality"')[1].split("</select>")[0]
    assert "Choose…" not in page


# --- The page. ---


def test_the_people_page_links_to_adding_a_person_beside_the_import(world, login, client):
    login(world.coordinator)
    page = client.get("/coordinator/people").text
    assert f'<a href="{ADD}">Add a person</a>' in page
    assert page.index(ADD) < page.index("/coordinator/people/import")


def test_adding_on_the_page_lands_on_the_persons_page_and_says_what_happened(world, db, login, client):
    login(world.coordinator)
    form = client.get(ADD)
    assert form.status_code == 200 and 'name="school_classes"' in form.text and "Flisa skole" in form.text
    data = {"name": "Per Persen", "phone": "922 22 222", "municipality": world.asnes.id, "locale": "nb"}
    response = client.post(ADD, data={**data, "school_classes": world.school_class.id})
    per = by_phone(db, PER)
    assert response.status_code == 302 and response.headers["Location"] == f"/coordinator/people/{per.id}"
    page = client.get(response.headers["Location"]).text
    assert "Per Persen is added and gets an invitation by SMS." in page
    assert "Flisa skole 9A" in page


def test_a_known_number_is_said_beside_the_field_with_a_link_and_the_typed_answers_kept(world, login, client):
    login(world.coordinator)
    data = {"name": "Kari Annen", "phone": "91234567", "municipality": world.grue.id, "locale": "en"}
    page = client.post(ADD, data=data)
    assert page.status_code == 422
    assert '<p class="error" id="phone-error">912 34 567 is already registered, to Kari Nordmann.</p>' in page.text
    assert f'href="/coordinator/people/{world.parent.id}"' in page.text
    assert 'value="Kari Annen"' in page.text and 'value="91234567"' in page.text


def test_a_known_parent_given_a_class_is_told_what_was_added_on_their_page(world, login, client):
    login(world.coordinator)
    data = {"name": "Kari Nordmann", "phone": "91234567", "municipality": world.asnes.id, "locale": "nb"}
    response = client.post(ADD, data={**data, "school_classes": world.school_class.id})
    assert response.headers["Location"] == f"/coordinator/people/{world.parent.id}"
    page = client.get(response.headers["Location"]).text
    assert "Kari Nordmann was registered already. The classes you ticked are added to theirs." in page
    assert "Flisa skole 9A" in page


def test_another_regions_number_gets_the_same_few_words_an_import_gives_it(world, db, clock, login, client):
    _region, _hamar, _coordinator, hans = factories.other_region(db, clock())
    db.commit()
    login(world.coordinator)
    data = {"name": "Hans", "phone": hans.phone, "municipality": world.grue.id, "locale": "nb"}
    response = client.post(ADD, data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/coordinator/people"
    page = client.get("/coordinator/people").text
    assert "Hans gets an invitation to walk in Grue." in page
    assert "Hans Hamar" not in page and "Hamar" not in page and "registered" not in page


def test_a_bad_number_is_said_beside_its_field_in_the_readers_language(world, db, login, client):
    world.coordinator.locale = "nb"
    db.commit()
    login(world.coordinator)
    data = {"name": "Per Persen", "phone": "123", "municipality": world.asnes.id, "locale": "nb"}
    page = client.post(ADD, data=data)
    assert page.status_code == 422
    assert 'id="phone-error">Det er ikke et gyldig telefonnummer.' in page.text
    assert 'value="Per Persen"' in page.text and 'value="123"' in page.text
    assert by_phone(db, "+47123") is None


def test_another_regions_municipality_posted_is_refused_and_nothing_is_added(world, db, clock, login, client):
    _region, hamar, stranger, _leader = factories.other_region(db, clock())
    db.commit()
    login(world.coordinator)
    page = client.post(ADD, data={"name": "Per Persen", "phone": "922 22 222", "municipality": hamar.id})
    assert page.status_code == 422 and "Choose a municipality from the list." in page.text
    assert by_phone(db, PER) is None


def test_nonsense_in_the_form_is_an_answer_to_correct_not_an_error(world, db, login, client):
    login(world.coordinator)
    for nonsense in (
        {"name": "Per", "phone": "922 22 222", "municipality": "x", "school_classes": "y", "locale": "xx"},
        {"name": "P" * 500, "phone": "9" * 500},
        {},
    ):
        assert client.post(ADD, data=nonsense).status_code == 422
    assert by_phone(db, PER) is None


# --- Who may. ---


def test_a_parent_or_a_group_leader_is_refused(world, login, client):
    for someone in (world.parent, world.leader):
        login(someone)
        assert client.get(ADD).status_code == 403
        assert client.post(ADD, data={"name": "Per", "phone": "922 22 222"}).status_code == 403
        client.post("/logout")


def test_another_regions_coordinator_cannot_add_to_this_region(world, db, clock, login, client):
    _region, hamar, stranger, _leader = factories.other_region(db, clock())
    db.commit()
    login(stranger)
    page = client.get(ADD).text
    assert "Hamar" in page and "Åsnes" not in page and "Flisa skole" not in page
    data = {"name": "Per Persen", "phone": "922 22 222", "municipality": world.asnes.id}
    assert client.post(ADD, data=data).status_code == 422
    assert by_phone(db, PER) is None


def test_a_visitor_is_sent_to_log_in(world, client):
    assert "/login" in client.get(ADD).headers["Location"]


def test_the_form_needs_its_csrf_token(app, world, db, login, client):
    login(world.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"name": "Per Persen", "phone": "922 22 222", "municipality": world.asnes.id, "locale": "nb"}
    assert client.post(ADD, data=data).status_code == 400
    assert by_phone(db, PER) is None
    token = csrf_token(client.get(ADD).text)
    assert client.post(ADD, data={**data, "csrf_token": token}).status_code == 302


# --- From the import. ---


def test_the_imports_word_about_rows_left_out_links_to_adding_a_person(world, db, login, client):
    login(world.coordinator)
    text = "name;phone;municipality\nPer Persen;922 22 222;Åsnes\n<b>Feil</b> Nummer;123;Åsnes\n"
    page = client.post(
        "/coordinator/people/import/confirm", data={"text": text, "leaving_out": "1"}, follow_redirects=True
    ).text
    assert "1 row with an error was left out: &lt;b&gt;Feil&lt;/b&gt; Nummer (row 3). Add that parent by hand" in page
    assert f'or import the corrected list again. <a href="{ADD}">Add a person</a></p>' in page


def test_a_missing_name_and_a_bad_number_are_said_together(world, db, login, client):
    login(world.coordinator)
    page = client.post(ADD, data={"name": "", "phone": "123", "municipality": world.asnes.id, "locale": "nb"})
    assert page.status_code == 422
    assert 'id="name-error">Write their name.</p>' in page.text
    assert 'id="phone-error">That is not a valid phone number. Write it like 912 34 567.</p>' in page.text
    assert by_phone(db, "+47123") is None
