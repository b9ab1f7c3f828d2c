"""Importing the lists schools and Excel sheets really have: Norwegian header names, first and last
name in two columns, no municipality column, and the coordinator saying which column holds what
when the headers do not tell. Every message is in the coordinator's words."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import select

from natteravn.accounts.models import Person
from natteravn.people import importing


def guess(text: str) -> importing.Guess:
    return importing.guess_columns(text)


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        ("Fornavn;Etternavn;Mobiltelefon;Kommune", {"first_name": 0, "last_name": 1, "phone": 2, "municipality": 3}),
        ("Navn;Mobil;Kommune;Klasse", {"name": 0, "phone": 1, "municipality": 2, "school_class": 3}),
        ("Elev;Foresatt;Tlf;Kommune", {"name": 1, "phone": 2, "municipality": 3}),
        ("Foresatt 1;Tlf. 1;Bostedskommune", {"name": 0, "phone": 1, "municipality": 2}),
        ("Foresatt navn;Telefon;kommune", {"name": 0, "phone": 1, "municipality": 2}),
    ],
)
def test_the_headers_real_lists_use_are_understood(header, columns):
    found = guess(header + "\n")
    assert found.mapping.columns == columns
    assert found.sure


def test_the_pupils_own_name_is_never_taken_for_the_parents():
    found = guess("Elev;Foresatt;Tlf\nOla Elev;Kari Foresatt;912 34 567\n")
    assert found.mapping.columns == {"name": 1, "phone": 2}
    assert not found.sure  # no municipality: the coordinator chooses it for the whole file
    assert found.mapping.missing() == [
        "Choose the column with the municipality, or the municipality everyone lives in."
    ]


def test_two_columns_for_the_same_thing_make_the_guess_unsure():
    assert not guess("Navn;Mobil;Telefon;Kommune\n").sure


def test_first_and_last_name_are_joined(world, db):
    seen = importing.preview_import(
        db, {world.region.id}, "Fornavn;Etternavn;Mobiltelefon;Kommune\nPer;Persen;922 22 222;Grue\n"
    )
    assert [(r.name, r.municipality) for r in seen.rows] == [("Per Persen", world.grue)]


def test_a_school_list_without_municipality_imports_into_the_chosen_municipality_and_class(world, db, clock, links):
    text = "Elev;Foresatt;Tlf\nOla Elev;Kari Foresatt;922 22 222\nNora Elev;Nils Foresatt;933 33 333\n"
    with pytest.raises(importing.ColumnsNeeded):
        importing.preview_import(db, {world.region.id}, text)
    mapping = importing.Mapping(
        columns={"name": 1, "phone": 2}, municipality_id=world.asnes.id, school_class_id=world.school_class.id
    )
    result = importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links, mapping)
    assert result.created == 2
    kari = db.scalar(select(Person).where(Person.phone == "+4792222222"))
    assert (kari.name, kari.municipality_id, kari.school_class_ids) == (
        "Kari Foresatt",
        world.asnes.id,
        {world.school_class.id},
    )
    assert db.scalar(select(Person).where(Person.name.like("%Elev%"))) is None


def test_a_class_chosen_for_everyone_holds_for_a_parent_in_the_next_municipality_too(world, db, clock, links):
    text = "Foresatt;Tlf;Kommune\nKari Foresatt;922 22 222;Grue\n"  # the class's school is in Åsnes
    mapping = importing.Mapping(
        columns={"name": 0, "phone": 1, "municipality": 2}, school_class_id=world.school_class.id
    )
    importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links, mapping)
    kari = db.scalar(select(Person).where(Person.phone == "+4792222222"))
    assert (kari.municipality_id, kari.school_class_ids) == (world.grue.id, {world.school_class.id})


def test_a_mapping_survives_the_confirmation_form_and_nonsense_is_refused():
    mapping = importing.Mapping({"name": 1, "phone": 2}, 5, None)
    assert importing.Mapping.decoded(mapping.encoded()) == mapping
    assert importing.Mapping.decoded("{not json") is None
    assert importing.Mapping.decoded('{"columns": {"name": "x"}}') is None


def test_a_municipality_outside_the_region_cannot_be_chosen(world, db, clock):
    from tests import factories

    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    mapping = importing.Mapping(columns={"name": 0, "phone": 1}, municipality_id=hamar.id)
    with pytest.raises(importing.ColumnsNeeded):
        importing.preview_import(db, {world.region.id}, "Foresatt;Tlf\nKari;922 22 222\n", mapping)


def _upload(client, text: str):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "klasseliste.csv")}
    return client.post("/coordinator/people/import", data=data, content_type="multipart/form-data")


def test_the_pages_ask_which_column_holds_what_then_preview_and_import(world, db, login, client):
    login(world.coordinator)
    text = "Elev;Foresatt;Tlf\nOla Elev;Kari Foresatt;922 22 222\n"
    asked = _upload(client, text)
    assert asked.status_code == 422
    assert "Which column holds what" in asked.text
    assert "Say which column of the file holds what" in asked.text
    assert "Import these people" not in asked.text
    assert "name, phone" not in asked.text  # no internal names

    preview = client.post(
        "/coordinator/people/import/columns",
        data={
            "text": text,
            "column_name": "1",
            "column_first_name": "-1",
            "column_last_name": "-1",
            "column_phone": "2",
            "column_municipality": "-1",
            "column_school_class": "-1",
            "municipality_id": str(world.grue.id),
            "school_class_id": "0",
        },
    )
    assert preview.status_code == 200
    assert "Kari Foresatt" in preview.text and "Import these people" in preview.text
    mapping = preview.text.split('name="mapping" type="hidden" value="')[1].split('"')[0]

    done = client.post(
        "/coordinator/people/import/confirm", data={"text": text, "mapping": mapping.replace("&#34;", '"')}
    )
    assert done.status_code == 302
    kari = db.scalar(select(Person).where(Person.phone == "+4792222222"))
    assert (kari.name, kari.municipality_id) == ("Kari Foresatt", world.grue.id)


def test_a_mapping_that_still_lacks_the_phone_says_so_in_words(world, login, client):
    login(world.coordinator)
    page = client.post(
        "/coordinator/people/import/columns",
        data={"text": "Foresatt;Tlf\nKari;922 22 222\n", "column_name": "0", "municipality_id": str(world.grue.id)},
    )
    assert page.status_code == 422
    assert "Choose the column with the mobile number." in page.text


# --- Two parents a row, as school systems export them. ---

TWO_PARENTS = (
    "Elev;Klasse;Foresatt 1 navn;Foresatt 1 telefon;Foresatt 2 navn;Foresatt 2 telefon;Kommune\n"
    "Ola Elev;9A;Kari Nordmann;922 22 222;Per Nordmann;933 33 333;Åsnes\n"
    "Nora Elev;9A;Anne Grue;944 44 444;;;Åsnes\n"
)


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (
            "Foresatt 1 navn;Foresatt 1 telefon;Foresatt 2 navn;Foresatt 2 telefon;Kommune",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        (
            "Elev;Foresatt 1;Mobil foresatt 1;Foresatt 2;Mobil foresatt 2;Kommune",
            {"name": 1, "phone": 2, "name_2": 3, "phone_2": 4, "municipality": 5},
        ),
        (
            "Foresatt1 fornavn;Foresatt1 etternavn;Foresatt1 mobil;Foresatt2 fornavn;Foresatt2 etternavn;"
            "Foresatt2 mobil;Bostedskommune",
            {
                "first_name": 0,
                "last_name": 1,
                "phone": 2,
                "first_name_2": 3,
                "last_name_2": 4,
                "phone_2": 5,
                "municipality": 6,
            },
        ),
        (
            "Føresett 1 namn;Føresett 1 mobil;Føresett 2 namn;Føresett 2 mobil;Kommune",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        (
            "Pupil;Parent 1 name;Parent 1 phone;Parent 2 name;Parent 2 phone;Municipality",
            {"name": 1, "phone": 2, "name_2": 3, "phone_2": 4, "municipality": 5},
        ),
        (
            "Guardian 1;Guardian 1 mobile;Guardian 2;Guardian 2 mobile;Municipality",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        # A parent's e-mail and address are not read.
        (
            "Foresatt 1 navn;Foresatt 1 e-post;Foresatt 1 adresse;Foresatt 1 mobil;Kommune",
            {"name": 0, "phone": 3, "municipality": 4},
        ),
    ],
)
def test_the_headers_of_lists_with_two_parents_a_row_are_understood(header, columns):
    found = guess(header + "\n")
    assert found.mapping.columns == columns
    assert found.sure


def test_half_a_second_parent_makes_the_guess_unsure():
    # "Telefon 2" may be the same parent's other number: the coordinator says.
    found = guess("Navn;Mobil;Telefon 2;Kommune\n")
    assert not found.sure
    assert found.mapping.missing() == [
        "Choose the column with the second parent's name, or the two with their first and last name."
    ]


def test_a_row_with_two_parents_gives_both_and_a_row_with_one_gives_one(world, db, clock, links):
    seen = importing.preview_import(db, {world.region.id}, TWO_PARENTS)
    assert seen.errors == []
    assert [(r.row, r.name, r.shown_phone, r.school_classes) for r in seen.rows] == [
        (2, "Kari Nordmann", "922 22 222", [world.school_class]),
        (2, "Per Nordmann", "933 33 333", [world.school_class]),
        (3, "Anne Grue", "944 44 444", [world.school_class]),
    ]
    result = importing.apply_import(db, {world.region.id}, TWO_PARENTS, world.coordinator, clock(), links)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    per = db.scalar(select(Person).where(Person.phone == "+4793333333"))
    assert (per.name, per.municipality_id, per.school_class_ids) == (
        "Per Nordmann",
        world.asnes.id,
        {world.school_class.id},
    )


def test_a_second_parent_without_a_name_or_with_the_first_parents_number_is_an_error(world, db):
    text = (
        "Foresatt 1 navn;Foresatt 1 mobil;Foresatt 2 navn;Foresatt 2 mobil;Kommune\n"
        "Anne Grue;944 44 444;Arne Grue;944 44 444;Grue\n"
        "Siri Våler;955 55 555;;966 66 666;Våler\n"
        ";;Berit Bare;977 77 777;Våler\n"
    )
    seen = importing.preview_import(db, {world.region.id}, text)
    assert [e.translated(lambda s: s) for e in seen.errors] == [
        "Row 2: both parents have the phone number 944 44 444.",
        "Row 3: the second parent's name is missing.",
    ]
    assert [(r.row, r.name) for r in seen.rows] == [(4, "Berit Bare")]  # the second parent alone is someone


def test_a_parent_without_a_mobile_number_is_left_out_when_the_other_has_one(world, db, clock, links):
    text = (
        "Foresatt 1 navn;Foresatt 1 mobil;Foresatt 2 navn;Foresatt 2 mobil;Kommune\n"
        "Åse Sæther;;Kjell Sæther;915 23 460;Åsnes\n"
        "Kari Nordmann;922 22 222;Per Nordmann;62 95 00 00;Åsnes\n"
        "Nils Aleine;;;;Grue\n"
    )
    seen = importing.preview_import(db, {world.region.id}, text)
    assert [e.translated(lambda s: s) for e in seen.errors] == ["Row 4: the phone number is missing."]
    assert [(r.row, r.name) for r in seen.rows] == [(2, "Kjell Sæther"), (3, "Kari Nordmann")]
    assert [note.translated(lambda s: s) for note in seen.left_out] == [
        "Row 2: Åse Sæther has no mobile number in the file and is not imported; Kjell Sæther is.",
        "Row 3: 62 95 00 00 is not a mobile number, so Per Nordmann is not imported; Kari Nordmann is.",
    ]
    fixed = text.replace("Nils Aleine;;;;Grue\n", "")
    result = importing.apply_import(db, {world.region.id}, fixed, world.coordinator, clock(), links)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)


def test_the_preview_page_says_which_parents_are_left_out(world, login, client):
    login(world.coordinator)
    text = (
        "Foresatt 1 navn;Foresatt 1 mobil;Foresatt 2 navn;Foresatt 2 mobil;Kommune\n"
        "Åse Sæther;;Kjell Sæther;915 23 460;Åsnes\n"
    )
    page = html.unescape(_upload(client, text).text)
    assert "1 parent on the list is left out, and the other parent on their row imported:" in page
    assert "Row 2: Åse Sæther has no mobile number in the file and is not imported; Kjell Sæther is." in page
    assert "Import these people" in page


def test_the_same_parent_written_twice_on_a_row_is_one(world, db):
    text = (
        "Foresatt 1 navn;Foresatt 1 mobil;Foresatt 2 navn;Foresatt 2 mobil;Kommune\n"
        "Hege Lien;915 23 463;Hege Marie Lien;+47 915 23 463;Grue\n"
    )
    seen = importing.preview_import(db, {world.region.id}, text)
    assert seen.errors == [] and [(r.name, r.phone) for r in seen.rows] == [("Hege Marie Lien", "+4791523463")]


def test_the_pages_import_both_parents_of_a_school_list(world, db, login, client):
    login(world.coordinator)
    preview = _upload(client, TWO_PARENTS)
    assert preview.status_code == 200
    assert "3 new people" in preview.text
    assert all(f"<td>{name}</td>" in preview.text for name in ("Kari Nordmann", "Per Nordmann", "Anne Grue"))
    mapping = preview.text.split('name="mapping" type="hidden" value="')[1].split('"')[0]
    done = client.post(
        "/coordinator/people/import/confirm",
        data={"text": TWO_PARENTS, "mapping": mapping.replace("&#34;", '"')},
        follow_redirects=True,
    )
    assert "Imported: 3 new, 0 updated, 0 unchanged." in done.text
    both = db.scalars(select(Person).where(Person.phone.in_(["+4792222222", "+4793333333"]))).all()
    assert sorted((p.name, p.school_class_ids == {world.school_class.id}) for p in both) == [
        ("Kari Nordmann", True),
        ("Per Nordmann", True),
    ]


def test_the_coordinator_chooses_the_second_parents_columns(world, db, login, client):
    login(world.coordinator)
    text = "Elev;Mor;Mors tlf;Far;Fars tlf\nOla Elev;Kari Nordmann;922 22 222;Per Nordmann;933 33 333\n"
    asked = _upload(client, text)
    assert "Second parent's name" in asked.text and "Second parent's mobile number" in asked.text
    chosen = {
        "text": text,
        "column_name": "1",
        "column_phone": "2",
        "column_name_2": "3",
        "column_phone_2": "4",
        "municipality_id": str(world.grue.id),
        "school_class_id": str(world.school_class.id),
    }
    preview = client.post("/coordinator/people/import/columns", data=chosen)
    assert preview.status_code == 200 and "2 new people" in preview.text
    assert "<td>Kari Nordmann</td>" in preview.text and "<td>Per Nordmann</td>" in preview.text


# --- The mother's and the father's columns, as lists made by hand have them. ---


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (
            "Elev;Mor;Mors tlf;Far;Fars tlf;Kommune",
            {"name": 1, "phone": 2, "name_2": 3, "phone_2": 4, "municipality": 5},
        ),
        (
            "Mors navn;Mors mobil;Fars navn;Fars mobil;Kommune",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        (
            "Mor;Mor mobil;Far;Far telefon;Kommune",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        # Nynorsk, and the father's columns first: the mother's are still the first parent's.
        (
            "Far namn;Far mobil;Mor namn;Mor mobil;Kommune",
            {"name_2": 0, "phone_2": 1, "name": 2, "phone": 3, "municipality": 4},
        ),
        (
            "Mor fornavn;Mor etternavn;Mobil mor;Far fornavn;Far etternavn;Mobil far;Kommune",
            {
                "first_name": 0,
                "last_name": 1,
                "phone": 2,
                "first_name_2": 3,
                "last_name_2": 4,
                "phone_2": 5,
                "municipality": 6,
            },
        ),
        (
            "Mother's name;Mother's mobile;Father's name;Father's mobile;Municipality",
            {"name": 0, "phone": 1, "name_2": 2, "phone_2": 3, "municipality": 4},
        ),
        # The mother's e-mail is not read, and a column for either parent's number is not guessed at.
        ("Mor;Mor e-post;Mors mobil;Kommune", {"name": 0, "phone": 2, "municipality": 3}),
        # Only the father's columns: he is the one parent a row.
        ("Far;Fars mobil;Kommune", {"name": 0, "phone": 1, "municipality": 2}),
    ],
)
def test_the_mothers_and_the_fathers_columns_are_two_parents(header, columns):
    found = guess(header + "\n")
    assert found.mapping.columns == columns
    assert found.sure


def test_a_column_for_the_mother_or_the_father_is_not_guessed_at():
    found = guess("Mor;Far;Mor/far tlf;Kommune\n")
    assert "phone" not in found.mapping.columns and "phone_2" not in found.mapping.columns
    assert not found.sure


def test_a_list_with_the_mother_and_the_father_imports_both_through_the_pages(world, db, login, client):
    login(world.coordinator)
    text = (
        "Elev;Klasse;Mors navn;Mors mobil;Fars navn;Fars mobil;Kommune\n"
        "Ola Elev;9A;Kari Nordmann;922 22 222;Per Nordmann;933 33 333;Åsnes\n"
        "Nora Elev;;;;Arne Grue;944 44 444;Grue\n"
    )
    preview = _upload(client, text)
    assert preview.status_code == 200
    assert "3 new people" in preview.text
    assert all(f"<td>{name}</td>" in preview.text for name in ("Kari Nordmann", "Per Nordmann", "Arne Grue"))
    mapping = preview.text.split('name="mapping" type="hidden" value="')[1].split('"')[0]
    done = client.post(
        "/coordinator/people/import/confirm",
        data={"text": text, "mapping": mapping.replace("&#34;", '"')},
        follow_redirects=True,
    )
    assert "Imported: 3 new, 0 updated, 0 unchanged." in done.text
    found = db.scalars(select(Person).where(Person.phone.in_(["+4792222222", "+4793333333", "+4794444444"])))
    assert sorted((p.name, p.municipality.name, p.school_class_ids) for p in found) == [
        ("Arne Grue", "Grue", set()),
        ("Kari Nordmann", "Åsnes", {world.school_class.id}),
        ("Per Nordmann", "Åsnes", {world.school_class.id}),
    ]
