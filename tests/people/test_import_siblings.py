"""A parent with two children on a school's list is on two rows by the same number, often in two
classes and with the name written a little differently: one person, imported once, in every class
those rows name. Two clearly different names (or municipalities) by one number are a mistyped
number, and are refused rather than made one person."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from natteravn.people import importing
from natteravn.places.models import SchoolClass
from tests.people.test_import_lists import CONFIRM, form_fields

IMPORT = "/coordinator/people/import"

SIBLINGS = (
    "Elev;Klasse;Foresatt;Mobil;Kommune\n"
    "Ola Nordmann;9A;Kari Nordmann;922 22 222;Åsnes\n"
    "Nora Grue;9A;Anne Grue;944 44 444;Åsnes\n"
    "Lise Nordmann;10B;kari  NORDMANN ;+47 922 22 222;Åsnes\n"
)


@pytest.fixture
def tenth(world, db):
    """A second class at the school, where an older brother or sister is."""
    made = SchoolClass(school=world.school_class.school, name="10B")
    db.add(made)
    db.commit()
    return made


def messages(seen: importing.ImportPreview) -> list[str]:
    return [error.translated(lambda s: s) for error in seen.errors]


def preview(db, world, text: str) -> importing.ImportPreview:
    return importing.preview_import(db, {world.region.id}, text)


def people_with(db, phone: str) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.phone == phone)))


def test_a_parent_on_two_rows_is_one_person_in_both_classes(world, db, clock, links, tenth):
    seen = preview(db, world, SIBLINGS)
    assert seen.errors == []
    assert [(r.rows, r.name, r.shown_phone, r.school_classes) for r in seen.rows] == [
        ([2, 4], "Kari Nordmann", "922 22 222", [world.school_class, tenth]),
        ([3], "Anne Grue", "944 44 444", [world.school_class]),
    ]
    assert (seen.count(importing.Change.NEW), seen.on_several_rows) == (2, 1)

    result = importing.apply_import(db, {world.region.id}, SIBLINGS, world.coordinator, clock(), links)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    (kari,) = people_with(db, "+4792222222")
    assert (kari.name, kari.municipality_id, kari.school_class_ids) == (
        "Kari Nordmann",
        world.asnes.id,
        {world.school_class.id, tenth.id},
    )


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("Kari Nordmann", "KARI NORDMANN", "Kari Nordmann"),
        ("Kari Nordmann", "Kari Marie Nordmann", "Kari Marie Nordmann"),  # the fullest name is kept
        ("Kari Marie Nordmann", "Kari Nordmann", "Kari Marie Nordmann"),
        ("Nordmann, Kari", "Kari Nordmann", "Nordmann, Kari"),
        ("Kari Nordmann-Berg", "Kari Nordmann", "Kari Nordmann-Berg"),
        ("Åse Ødegård", "Aase Oedegaard", "Åse Ødegård"),  # written without ø and å, as name search reads it
        ("Kari", "Kari Nordmann", "Kari Nordmann"),
    ],
)
def test_names_written_a_little_differently_are_one_person(world, db, first, second, kept):
    text = f"Foresatt;Mobil;Kommune\n{first};922 22 222;Åsnes\n{second};922 22 222;Åsnes\n"
    seen = preview(db, world, text)
    assert seen.errors == []
    assert [(r.rows, r.name) for r in seen.rows] == [([2, 3], kept)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Kari Nordmann", "Per Nordmann"),  # the other parent's number typed on the mother's row
        ("Kari Nordmann", "Kari Hansen"),
        ("Kari Marie Nordmann", "Kari Anne Nordmann"),
    ],
)
def test_clearly_different_names_by_one_number_are_refused_naming_both_rows(world, db, clock, links, first, second):
    text = f"Foresatt;Mobil;Kommune\n{first};922 22 222;Åsnes\nAnne Grue;944 44 444;Åsnes\n{second};922 22 222;Åsnes\n"
    seen = preview(db, world, text)
    assert messages(seen) == [
        f"Rows 2 and 4 have the same phone number 922 22 222 but different names, {first} and {second}. "
        "If it is one person, write the name the same way on both rows; if not, correct the number."
    ]
    assert [r.name for r in seen.rows] == ["Anne Grue"]  # the number is neither person
    with pytest.raises(importing.ImportRefused, match="Nothing was imported"):
        importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    db.rollback()
    assert people_with(db, "+4792222222") == []


def test_each_row_by_a_number_must_name_the_same_person_as_every_other(world, db):
    # "Kari" may be either, but the two full names cannot both be hers.
    text = (
        "Foresatt;Mobil;Kommune\nKari;922 22 222;Åsnes\nKari Nordmann;922 22 222;Åsnes\nKari Hansen;922 22 222;Åsnes\n"
    )
    assert messages(preview(db, world, text)) == [
        "Rows 3 and 4 have the same phone number 922 22 222 but different names, Kari Nordmann and Kari Hansen. "
        "If it is one person, write the name the same way on both rows; if not, correct the number."
    ]


def test_one_number_in_two_municipalities_is_refused(world, db):
    text = "Foresatt;Mobil;Kommune\nKari Nordmann;922 22 222;Åsnes\nKari Nordmann;922 22 222;Grue\n"
    seen = preview(db, world, text)
    assert messages(seen) == [
        "Rows 2 and 3 have the same phone number 922 22 222 but different municipalities, Åsnes and Grue. "
        "Correct the number or the municipality."
    ]
    assert seen.rows == []


def test_a_parent_first_on_one_row_and_second_on_another_is_one_person(world, db, clock, links, tenth):
    """Two families' rows on a school system's list name the same father, once as the first parent
    and once as the second: he is registered already, and keeps the class he had."""
    text = (
        "Elev;Klasse;Foresatt 1 navn;Foresatt 1 mobil;Foresatt 2 navn;Foresatt 2 mobil;Kommune\n"
        "Ola Nordmann;9A;Per Nordmann;933 33 333;Kari Nordmann;912 34 567;Åsnes\n"
        "Siv Nordmann;10B;Kari Nordmann;912 34 567;;;Åsnes\n"
    )
    seen = preview(db, world, text)
    assert seen.errors == []
    assert [(r.rows, r.name, r.change) for r in seen.rows] == [
        ([2], "Per Nordmann", importing.Change.NEW),
        ([2, 3], "Kari Nordmann", importing.Change.UPDATED),
    ]
    assert seen.rows[1].person == world.parent and seen.rows[1].changed == ["school_class"]

    result = importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert people_with(db, "+4791234567") == [world.parent]
    assert world.parent.school_class_ids == {world.school_class.id, tenth.id}
    again = importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_pages_show_the_rows_a_person_came_from_and_import_them_once(world, db, login, client, tenth):
    login(world.coordinator)
    data = {"file": (io.BytesIO(SIBLINGS.encode()), "klasseliste.csv")}
    page = client.post(IMPORT, data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    assert "2 new people" in page.text
    assert (
        "1 person has the same number on more than one row, as a parent of two children on the list has, "
        "and is imported once, with every class those rows name."
    ) in page.text
    assert '<th scope="row">2, 4</th>' in page.text
    assert "<td>Flisa skole 9A, Flisa skole 10B</td>" in page.text
    assert "(on rows 2, 4: imported once)" in page.text
    assert "is also on row" not in page.text

    done = client.post(CONFIRM, data=form_fields(page.text, CONFIRM), follow_redirects=True)
    assert "Imported: 2 new, 0 updated, 0 unchanged." in done.text
    (kari,) = people_with(db, "+4792222222")
    assert kari.school_class_ids == {world.school_class.id, tenth.id}


def test_the_pages_refuse_a_number_given_to_two_people_and_import_nothing(world, db, login, client):
    login(world.coordinator)
    text = "Foresatt;Mobil;Kommune\nKari Nordmann;922 22 222;Åsnes\nPer Nordmann;922 22 222;Åsnes\n"
    data = {"file": (io.BytesIO(text.encode()), "klasseliste.csv")}
    page = client.post(IMPORT, data=data, content_type="multipart/form-data")
    assert page.status_code == 422
    assert (
        "Rows 2 and 3 have the same phone number 922 22 222 but different names, Kari Nordmann and Per Nordmann."
    ) in page.text
    assert "Import these people" not in page.text
    # Sent anyway, as an old page's confirmation might be: nothing is imported.
    refused = client.post(CONFIRM, data={"text": text, "mapping": ""})
    assert refused.status_code == 422
    assert "Nothing was imported: the file has 1 errors." in refused.text
    assert db.scalar(select(func.count()).select_from(Person).where(Person.phone == "+4792222222")) == 0
