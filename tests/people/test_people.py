"""The coordinator's people: finding volunteers with what they walked, roles, deactivation and
importing parents from a spreadsheet (all or nothing, or all but the rows the coordinator saw were wrong)."""

from __future__ import annotations

import html
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import load_session_person
from natteravn.audit.models import AuditEvent
from natteravn.db import Page
from natteravn.people import importing
from natteravn.people import service as people
from natteravn.shifts.models import Signup, SignupRole, SignupState
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import enqueue
from tests import factories
from tests.conftest import code_from

FRIDAY = date(2026, 11, 20)
PAST_FRIDAY = date(2026, 11, 13)


def names(page: Page) -> list[str]:
    return [row.person.name for row in page.items]


def find(db, world, clock, **query) -> Page:
    return people.list_people(db, world.coordinator.coordinator_scope, people.PeopleQuery(**query), clock())


# --- The list. ---


def test_the_list_holds_the_regions_people_only(world, db, clock):
    factories.other_region(db, clock())
    assert names(find(db, world, clock)) == ["Kari Nordmann", "Lise Leder", "Ola Hansen", "Siri Koordinator"]


def test_the_list_is_in_norwegian_alphabetical_order(world, db, clock, login, client):
    for n, name in enumerate(["Åse Ås", "anne Ask", "Øyvind Ø", "Zara Z", "Ærlig Æ", "Aage Aa"]):
        factories.person(db, world.asnes, name, clock(), number=f"+4790000{n:03d}")
    db.commit()
    norwegian = ["anne Ask", "Kari Nordmann", "Lise Leder", "Ola Hansen", "Siri Koordinator", "Zara Z"]
    norwegian += ["Ærlig Æ", "Øyvind Ø", "Aage Aa", "Åse Ås"]  # aa is å, as in the old spelling
    assert names(find(db, world, clock)) == norwegian
    login(world.coordinator)
    page = client.get("/coordinator/people").text
    assert [page.index(name) for name in norwegian] == sorted(page.index(name) for name in norwegian)


def test_search_by_name_or_by_the_digits_of_a_phone_number(world, db, clock):
    assert names(find(db, world, clock, text="nordm")) == ["Kari Nordmann"]
    assert names(find(db, world, clock, text="912 34 5")) == ["Kari Nordmann"]
    assert names(find(db, world, clock, text="Kari%")) == []  # a % is a character, not a wildcard


def test_a_search_finds_the_words_of_a_name_in_any_order_and_a_number_written_from_abroad(world, db, clock):
    assert names(find(db, world, clock, text="Nordmann Kari")) == ["Kari Nordmann"]
    assert names(find(db, world, clock, text="kari  nord")) == ["Kari Nordmann"]
    assert names(find(db, world, clock, text="Kari Hansen")) == []  # every word must be in the name
    assert names(find(db, world, clock, text="0047 912 34 567")) == ["Kari Nordmann"]


def test_the_people_page_finds_a_name_typed_surname_first(world, login, client):
    login(world.coordinator)
    page = client.get("/coordinator/people?q=Nordmann+Kari").text
    assert "Kari Nordmann" in page and "Ola Hansen" not in page


def test_filter_by_municipality_role_and_activity(world, db, clock):
    world.other_parent.active = False
    db.flush()
    assert names(find(db, world, clock, municipality_id=world.grue.id)) == ["Ola Hansen"]
    assert names(find(db, world, clock, role=people.RoleFilter.LEADER)) == ["Lise Leder"]
    assert names(find(db, world, clock, role=people.RoleFilter.COORDINATOR)) == ["Siri Koordinator"]
    assert names(find(db, world, clock, role=people.RoleFilter.WALKER)) == ["Kari Nordmann", "Ola Hansen"]
    assert names(find(db, world, clock, activity=people.Activity.DEACTIVATED)) == ["Ola Hansen"]
    assert "Ola Hansen" not in names(find(db, world, clock, activity=people.Activity.ACTIVE))


def test_nights_walked_count_attended_and_past_nights_without_a_logbook(world, db, clock):
    kept = factories.night(db, world.term, world.routes["Kirkenær"], PAST_FRIDAY)
    not_kept = factories.night(db, world.term, world.routes["Flisa sentrum"], PAST_FRIDAY + timedelta(days=1))
    cancelled = factories.night(db, world.term, world.routes["Kjellmyra"], PAST_FRIDAY)
    cancelled.cancelled_at = clock() - timedelta(days=7)
    factories.signup(db, kept, world.parent, clock(), state=SignupState.ATTENDED)
    factories.signup(db, kept, world.other_parent, clock(), state=SignupState.NO_SHOW)
    factories.signup(db, not_kept, world.parent, clock(), state=SignupState.CONFIRMED)
    factories.signup(db, cancelled, world.other_parent, clock(), state=SignupState.SIGNED_UP)
    factories.signup(db, world.night_on("Kirkenær", FRIDAY), world.parent, clock())  # still to come
    rows = {row.person.name: row for row in find(db, world, clock).items}
    assert (rows["Kari Nordmann"].walked, rows["Kari Nordmann"].no_shows) == (2, 0)
    assert (rows["Ola Hansen"].walked, rows["Ola Hansen"].no_shows) == (0, 1)
    by_no_shows = find(db, world, clock, order=people.Order.NO_SHOWS)
    assert names(by_no_shows)[0] == "Ola Hansen"
    assert names(find(db, world, clock, order=people.Order.WALKED))[0] == "Kari Nordmann"


def test_a_night_called_off_is_not_among_the_persons_coming_nights(world, db, clock):
    called_off = world.night_on("Kjellmyra", FRIDAY)
    standing = world.night_on("Flisa sentrum", FRIDAY + timedelta(days=1))
    factories.signup(db, called_off, world.parent, clock())
    factories.signup(db, standing, world.parent, clock())
    called_off.cancelled_at = clock()
    db.commit()
    nights = people.nights_of(db, world.parent, world.coordinator.coordinator_scope, clock())
    assert [signup.shift for signup in nights.coming] == [standing]


def test_the_list_is_paginated(world, db, clock):
    for n in range(people.PAGE_SIZE + 6):
        factories.person(db, world.valer, f"Frivillig {n:03d}", clock())
    first = find(db, world, clock)
    second = find(db, world, clock, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (people.PAGE_SIZE + 10, 2, 50, 10)
    assert not set(names(first)) & set(names(second))
    assert find(db, world, clock, page=99).number == 2


def count_queries(db, run) -> int:
    statements = []

    def _count(*_args):
        statements.append(1)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", _count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_people_or_nights(world, db, clock):
    def crowd(count):
        for n in range(count):
            someone = factories.person(db, world.asnes, f"Walker {count}-{n}", clock(), leader=n % 2 == 0)
            factories.signup(db, world.nights[n % len(world.nights)], someone, clock())
        db.commit()

    scope, now = world.coordinator.coordinator_scope, clock()

    def listing():
        db.expire_all()
        return count_queries(db, lambda: people.list_people(db, scope, people.PeopleQuery(), now))

    crowd(3)
    few = listing()
    crowd(40)
    assert listing() == few <= 3  # the count, the page with its figures, the page's roles


# --- Roles. ---


def test_promoting_and_removing_a_group_leader_is_logged(world, db, clock, links):
    people.make_leader(db, world.parent, world.region.id, world.coordinator, clock())
    assert world.parent.holds(RoleKind.LEADER, world.region.id)
    leading = factories.signup(db, world.night_on("Kirkenær", FRIDAY), world.parent, clock(), role=SignupRole.LEADER)
    nights = people.remove_leader(db, world.parent, world.region.id, world.coordinator, clock(), links)
    assert nights == 1
    assert not world.parent.holds(RoleKind.LEADER, world.region.id)
    assert leading.role == SignupRole.WALKER and leading.state == SignupState.SIGNED_UP
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["person.leader_granted", "person.leader_removed"]


def test_a_deactivated_person_cannot_be_made_leader(world, db, clock):
    world.parent.active = False
    with pytest.raises(people.PeopleRefused, match="Reactivate them first"):
        people.make_leader(db, world.parent, world.region.id, world.coordinator, clock())


# --- Deactivation. ---


def test_deactivating_cancels_coming_nights_and_moves_the_waitlist_up(world, db, clock, links):
    night = world.night_on("Kirkenær", FRIDAY)
    night.max_walkers = 1
    place = factories.signup(db, night, world.parent, clock())
    waiting = factories.signup(db, night, world.other_parent, clock(), state=SignupState.WAITLISTED)
    waiting.queued_at = clock()
    reminder = enqueue(
        db,
        to=world.parent.phone,
        body="Påminnelse",
        purpose=Purpose.REMINDER_DAY,
        now=clock(),
        person_id=world.parent.id,
    )
    session_id = world.parent.get_id()
    cancelled = people.deactivate(db, world.parent, world.region.id, world.coordinator, clock(), links)
    assert cancelled == 1
    assert place.state == SignupState.CANCELLED
    assert waiting.state == SignupState.OFFERED
    db.refresh(reminder)
    assert reminder.state == MessageState.CANCELLED
    assert load_session_person(db, session_id) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person.deactivated"))
    assert event.details == {"signups_cancelled": 1} and event.object_id == world.parent.id


def test_a_coordinator_cannot_deactivate_themselves(world, db, clock, links):
    with pytest.raises(people.PeopleRefused, match="cannot deactivate yourself"):
        people.deactivate(db, world.coordinator, world.region.id, world.coordinator, clock(), links)


def test_reactivating_lets_them_in_again_without_their_old_nights(world, db, clock, links):
    place = factories.signup(db, world.night_on("Kirkenær", FRIDAY), world.parent, clock())
    people.deactivate(db, world.parent, world.region.id, world.coordinator, clock(), links)
    people.reactivate(db, world.parent, world.region.id, world.coordinator, clock())
    assert world.parent.active
    assert load_session_person(db, world.parent.get_id()) == world.parent
    assert place.state == SignupState.CANCELLED


# --- Import. ---

GOOD_FILE = (
    "\ufeffname;phone;municipality;school class\n"
    "Per Persen;922 22 222;Åsnes;9A\n"
    '"Nordmann, Kari";+47 912 34 567;åsnes;Flisa skole 9A\n'
    "Anne Grue;933 33 333;Grue;\n"
)


def preview(db, world, text):
    return importing.preview_import(db, {world.region.id}, text)


def test_the_preview_says_who_is_new_and_who_is_updated(world, db, clock):
    seen = preview(db, world, GOOD_FILE)
    assert seen.errors == []
    assert [(r.row, r.name, r.change) for r in seen.rows] == [
        (2, "Per Persen", importing.Change.NEW),
        (3, "Kari Nordmann", importing.Change.UPDATED),  # her name as she wrote it herself
        (4, "Anne Grue", importing.Change.NEW),
    ]
    assert seen.rows[1].person == world.parent
    assert seen.rows[1].changed == ["school_class"]
    assert seen.rows[0].school_classes == [world.school_class]


def test_importing_creates_and_updates_and_never_duplicates(world, db, clock, links):
    result = importing.apply_import(db, {world.region.id}, GOOD_FILE, world.coordinator, clock(), links)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert db.scalars(select(Person).where(Person.phone == "+4791234567")).all() == [world.parent]
    assert world.parent.name == "Kari Nordmann" and world.parent.school_classes == [world.school_class]
    per = db.scalar(select(Person).where(Person.phone == "+4792222222"))
    assert (per.name, per.municipality_id, per.active) == ("Per Persen", world.asnes.id, True)
    assert not per.onboarded  # they accept the code of conduct themselves on first login
    again = importing.apply_import(db, {world.region.id}, GOOD_FILE, world.coordinator, clock(), links)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "people.imported").order_by(AuditEvent.id))
    assert event.details["created"] == 2 and event.region_id == world.region.id


def test_commas_work_as_well_as_semicolons_and_norwegian_headers(world, db):
    seen = preview(db, world, "Navn,Mobil,Kommune\r\nPer Persen,92222222,Våler\r\n")
    assert seen.errors == [] and seen.rows[0].municipality == world.valer


def test_an_excel_file_in_the_windows_encoding_is_read(world, db):
    data = "navn;telefon;kommune\nÅse Ødegård;922 22 222;Åsnes\n".encode("cp1252")
    assert preview(db, world, importing.read_upload(data)).rows[0].name == "Åse Ødegård"


def test_row_errors_are_written_in_plain_words(world, db, clock):
    text = (
        "name;phone;municipality;school class\n"
        "Per Persen;922 22 222;Åsnes;9A\n"
        "Uten Nummer;;Grue;\n"
        "Feil Nummer;123;Grue;\n"
        ";933 33 333;Grue;\n"
        "Ingen Kommune;944 44 444;Oslo;\n"
        "Feil Klasse;955 55 555;Åsnes;7C\n"
        "Per Igjen;92222222;Åsnes;\n"
    )
    seen = preview(db, world, text)
    assert [e.translated(lambda s: s) for e in seen.errors] == [
        "Row 3: the phone number is missing.",
        "Row 4: the phone number 123 is not a valid mobile number.",
        "Row 5: the name is missing.",
        "Row 6: there is no municipality called Oslo in your region.",
        "Row 7: there is no school class called 7C in Åsnes.",
        "Rows 2 and 8 have the same phone number 922 22 222 but different names, Per Persen and Per Igjen. "
        "If it is one person, write the name the same way on both rows; if not, correct the number.",
    ]


def test_a_phone_cell_with_text_beside_the_number_is_a_problem_of_its_row(world, db, login, client):
    text = (
        "name;phone;municipality\n"
        "Per Persen;922 22 222;Åsnes\n"
        "Mor Til Ola;922 22 223 (mor);Grue\n"
        "Far Til Ola;922 22 224 x;Grue\n"
        "Tastatur;922 22 ABC;Grue\n"
    )
    seen = preview(db, world, text)
    assert [e.translated(lambda s: s) for e in seen.errors] == [
        f"Row {row}: the phone number {cell} has letters or other text in it. Write only the number."
        for row, cell in ((3, "922 22 223 (mor)"), (4, "922 22 224 x"), (5, "922 22 ABC"))
    ]
    login(world.coordinator)
    upload = {"file": (io.BytesIO(text.encode()), "foreldre.csv")}
    page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "Row 4: the phone number 922 22 224 x has letters or other text in it." in page.text
    assert "Import these people" not in page.text
    assert db.scalar(select(Person).where(Person.phone.in_(["+4792222224", "+4792222222"]))) is None


def test_nothing_is_imported_when_one_row_is_wrong(world, db, clock, links):
    text = GOOD_FILE + "Feil Nummer;123;Grue;\n"
    with pytest.raises(importing.ImportRefused, match="Nothing was imported: the file has 1 errors"):
        importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    db.rollback()
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")) is None
    assert db.get(Person, world.parent.id).name == "Kari Nordmann"


def test_the_coordinator_may_import_the_rest_and_leave_out_the_wrong_rows_they_saw(world, db, clock, links):
    text = GOOD_FILE + "Feil Nummer;123;Grue;\n"
    result = importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links, leaving_out=1)
    assert (result.created, result.updated, len(result.errors_left_out)) == (2, 1, 1)
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")).name == "Per Persen"
    assert db.scalar(select(Person).where(Person.name == "Feil Nummer")) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "people.imported"))
    assert event.details["rows_left_out"] == 1


def test_a_list_that_reads_differently_than_when_seen_imports_nothing(world, db, clock, links):
    text = GOOD_FILE + "Feil Nummer;123;Grue;\n"  # one error, where the coordinator saw two
    with pytest.raises(importing.ImportRefused, match="reads differently now"):
        importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links, leaving_out=2)
    db.rollback()
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")) is None


def test_leaving_out_a_row_naming_a_walker_wrongly_keeps_her_name(world, db, clock, links):
    text = "name;phone;municipality\nLise Kjær;+47 912 34 567;Åsnes\nPer Persen;922 22 222;Åsnes\n"
    seen = preview(db, world, text)
    assert [row.name for row in seen.rows] == ["Per Persen"]  # what importing the rest brings in
    importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links, leaving_out=1)
    assert world.parent.name == "Kari Nordmann"
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")).name == "Per Persen"


def test_the_import_page_offers_to_leave_out_the_wrong_rows_and_says_it_did(world, db, login, client):
    login(world.coordinator)
    text = GOOD_FILE + "Feil Nummer;123;Grue;\n"
    upload = {"file": (io.BytesIO(text.encode()), "foreldre.csv")}
    page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "1 row needs correcting. Correct it in the file and choose the file again" in page.text
    assert 'value="Import the people above and leave out 1 row with an error"' in page.text
    assert 'name="leaving_out" type="hidden" value="1"' in page.text
    done = client.post(
        "/coordinator/people/import/confirm", data={"text": text, "leaving_out": "1"}, follow_redirects=True
    )
    assert "Imported: 2 new, 1 updated, 0 unchanged." in done.text
    assert "1 row with an error was left out: Feil Nummer (row 5). Add that parent by hand" in done.text
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")).name == "Per Persen"
    again = client.post("/coordinator/people/import/confirm", data={"text": text, "leaving_out": "x"})
    assert again.status_code == 422  # a count that is no number: nothing more happens


def test_a_number_registered_in_another_region_reads_as_new_and_is_invited_to_move(world, db, clock, links):
    _region, hamar, _coordinator, hans = factories.other_region(db, clock())
    text = f"name;phone;municipality\nHans;{hans.phone};Grue\nNy Person;922 22 222;Grue\n"
    seen = preview(db, world, text)
    assert seen.errors == [] and [row.change for row in seen.rows] == [importing.Change.NEW] * 2
    result = importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert result.created == 2  # the same answer as for a number nobody has
    db.expire_all()
    assert db.get(Person, hans.id).municipality_id == hamar.id  # not taken from their region
    (invitation,) = db.scalars(select(SmsMessage).where(SmsMessage.person_id == hans.id)).all()
    assert "choose Grue on your profile" in invitation.body and invitation.region_id == world.region.id
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported")).all()
    assert event.details["created"] == 2 and hans.id not in event.details["person_ids"]


def test_a_file_without_the_needed_columns_asks_which_column_holds_what(world, db):
    with pytest.raises(importing.ColumnsNeeded) as asked:
        preview(db, world, "name;email\nPer;per@example.org\n")
    assert asked.value.msgid == "Choose the column with the mobile number."
    with pytest.raises(importing.ImportRefused, match="The file is empty"):
        preview(db, world, "\ufeff\n\n")


# --- Pages. ---


def test_the_people_page_lists_filters_and_pages(world, login, client):
    login(world.coordinator)
    page = client.get("/coordinator/people?q=lise&role=leader")
    assert page.status_code == 200
    assert "Lise Leder" in page.text and "Kari Nordmann" not in page.text
    assert '<th scope="col">' in page.text and 'for="q"' in page.text
    # Nonsense in the address is ignored, not an error.
    assert client.get("/coordinator/people?role=boss&municipality=x&page=-3").status_code == 200


def test_a_parent_may_not_see_the_people_pages(world, login, client):
    login(world.parent)
    assert client.get("/coordinator/people").status_code == 403
    assert client.get(f"/coordinator/people/{world.other_parent.id}").status_code == 403


def test_a_coordinator_promotes_and_deactivates_from_the_persons_page(world, db, login, client):
    login(world.coordinator)
    page = client.get(f"/coordinator/people/{world.parent.id}")
    assert "Make group leader" in page.text
    client.post(f"/coordinator/people/{world.parent.id}/leader")
    client.post(f"/coordinator/people/{world.parent.id}/deactivate")
    db.expire_all()
    parent = db.get(Person, world.parent.id)
    assert parent.holds(RoleKind.LEADER, world.region.id) and not parent.active
    assert "Deactivated: cannot log in" in client.get(f"/coordinator/people/{world.parent.id}").text


def test_the_persons_page_does_not_list_a_night_called_off_as_coming(world, db, clock, login, client):
    called_off = world.night_on("Kjellmyra", FRIDAY)
    factories.signup(db, called_off, world.parent, clock())
    called_off.cancelled_at, called_off.cancel_reason = clock(), "Storm"
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/people/{world.parent.id}").text
    coming = page.split("Coming nights", 1)[1].split("<h2>", 1)[0]
    assert "Kjellmyra" not in coming and "None." in coming


def test_a_fellow_coordinator_is_not_deactivated_from_the_persons_page_and_the_page_says_why(
    world,
    db,
    login,
    client,
    clock,
    links,
):
    fellow = factories.person(db, world.grue, "Gunn Grue", clock())
    people.grant_coordinator(db, fellow, world.region, world.grue, None, clock(), links=links)
    db.commit()
    login(world.coordinator)
    answer = client.post(f"/coordinator/people/{fellow.id}/deactivate", follow_redirects=True)
    assert "Gunn Grue is a coordinator or an administrator. That role must be taken away first." in answer.text
    db.expire_all()
    assert db.get(Person, fellow.id).active


def test_a_deactivated_person_cannot_log_in(world, db, clock, links, gateway, client):
    people.deactivate(db, world.parent, world.region.id, world.coordinator, clock(), links)
    db.commit()
    client.post("/login", data={"phone": world.parent.phone})
    page = client.post("/login/code", data={"code": code_from(gateway, world.parent.phone)})
    assert page.status_code == 422 and "This profile is closed" in page.text


def test_refusing_to_deactivate_oneself_is_shown(world, login, client):
    login(world.coordinator)
    response = client.post(f"/coordinator/people/{world.coordinator.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate yourself." in response.text


def test_import_shows_a_preview_and_imports_only_when_confirmed(world, db, login, client):
    login(world.coordinator)
    upload = {"file": (io.BytesIO(GOOD_FILE.encode("utf-8")), "foreldre.csv")}
    preview_page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert preview_page.status_code == 200
    assert "Already registered: updated" in preview_page.text and "Per Persen" in preview_page.text
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")) is None
    done = client.post("/coordinator/people/import/confirm", data={"text": GOOD_FILE})
    assert done.status_code == 302
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")).name == "Per Persen"


def test_a_list_naming_someone_else_by_a_walkers_number_is_refused_and_renames_nobody(world, db, clock, links):
    # Kari answered the first-time questions: her name is her own.
    text = "name;phone;municipality\nLise Kjær;+47 912 34 567;Åsnes\nPer Persen;922 22 222;Åsnes\n"
    [refused] = preview(db, world, text).errors
    assert refused.params == {
        "row": 2,
        "phone": "912 34 567",
        "registered": "Kari Nordmann",
        "name": "Lise Kjær",
    }
    with pytest.raises(importing.ImportRefused):
        importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert world.parent.name == "Kari Nordmann"
    assert db.scalar(select(Person).where(Person.phone == "+4792222222")) is None


def test_a_list_writing_a_walkers_name_its_own_way_keeps_hers(world, db, clock, links):
    text = "name;phone;municipality\nKARI NORDMANN;+47 912 34 567;Åsnes\n"
    [row] = preview(db, world, text).rows
    assert (row.name, row.change) == ("Kari Nordmann", importing.Change.UNCHANGED)
    importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert world.parent.name == "Kari Nordmann"


def test_a_corrected_list_corrects_the_name_of_someone_it_brought_in(world, db, clock, links):
    importing.apply_import(
        db,
        {world.region.id},
        "name;phone;municipality\nNils Nyland;459 00 000;Grue\n",
        world.coordinator,
        clock(),
        links,
    )
    importing.apply_import(
        db,
        {world.region.id},
        "name;phone;municipality\nNina Nyland;459 00 000;Grue\n",
        world.coordinator,
        clock(),
        links,
    )
    assert db.scalar(select(Person.name).where(Person.phone == "+4745900000")) == "Nina Nyland"


def test_the_import_page_says_whose_number_it_is(world, login, client):
    login(world.coordinator)
    text = "name;phone;municipality\nLise Kjær;+47 912 34 567;Åsnes\n"
    upload = {"file": (io.BytesIO(text.encode()), "foreldre.csv")}
    page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422 and "Import these people" not in page.text
    assert (
        "Row 2: 912 34 567 is registered to Kari Nordmann, not Lise Kjær. If it is the same person, write the name "
        "as registered; if not, correct the number." in html.unescape(page.text)
    )


def test_an_import_with_errors_offers_no_confirmation(world, login, client):
    login(world.coordinator)
    bad = "name;phone;municipality\nPer;123;Åsnes\n"
    upload = {"file": (io.BytesIO(bad.encode()), "foreldre.csv")}
    page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "Row 2: the phone number 123 is not a valid mobile number." in page.text
    assert "Import these people" not in page.text
    forced = client.post("/coordinator/people/import/confirm", data={"text": bad})
    assert forced.status_code == 422 and "Nothing was imported" in forced.text


def test_signups_of_people_are_untouched_by_listing(world, db, clock, login, client):
    factories.signup(db, world.night_on("Kirkenær", FRIDAY), world.parent, clock())
    db.commit()
    login(world.coordinator)
    assert "Kirkenær" in client.get(f"/coordinator/people/{world.parent.id}").text
    assert db.scalar(select(Signup.state).where(Signup.person_id == world.parent.id)) == SignupState.SIGNED_UP


def test_an_imported_parent_accepts_the_code_of_conduct_on_first_login(world, db, clock, gateway, client, links):
    importing.apply_import(db, {world.region.id}, GOOD_FILE, world.coordinator, clock(), links)
    db.commit()
    client.post("/login", data={"phone": "92222222"})
    response = client.post("/login/code", data={"code": code_from(gateway, "+4792222222")})
    assert response.status_code == 302 and "/welcome" in response.headers["Location"]


def test_a_file_too_large_to_check_is_refused(world, db):
    with pytest.raises(importing.ImportRefused, match="larger than 1 MB"):
        importing.read_upload(b"x" * (importing.MAX_IMPORT_BYTES + 1))


def test_a_municipalitys_coordinator_lists_only_that_municipalitys_people(world, db, clock):
    grue_only = Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id)
    coordinator = factories.person(db, world.grue, "Gunn Grue", clock())
    coordinator.roles.append(grue_only)
    db.commit()
    scope = coordinator.coordinator_scope
    listed = people.list_people(db, scope, people.PeopleQuery(), clock()).items
    assert sorted(row.person.name for row in listed) == ["Gunn Grue", "Ola Hansen"]
    assert people.person_in(db, world.parent.id, scope) is None  # Kari lives in Åsnes
