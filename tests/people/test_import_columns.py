"""Importing the lists schools and Excel sheets really have: Norwegian header names, first and last
name in two columns, no municipality column, and the coordinator saying which column holds what
when the headers do not tell. Every message is in the coordinator's words."""

from __future__ import annotations

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
