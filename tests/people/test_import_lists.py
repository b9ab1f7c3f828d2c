"""A school's whole list, however long, goes from upload through preview to import as a browser
sends it; and a step that cannot go on says why on the import page, never sending the coordinator
back to an empty form with nothing imported."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from sqlalchemy import event, func, select

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.people import importing
from natteravn.places.models import Municipality
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories

IMPORT, COLUMNS, CONFIRM = (
    "/coordinator/people/import",
    "/coordinator/people/import/columns",
    "/coordinator/people/import/confirm",
)


def school_list(rows: int) -> str:
    header = "Fornavn;Etternavn;Mobil;Kommune;Klasse\n"
    return header + "".join(f"Nils{n};Nyland;459{n:05d};Åsnes;9A\n" for n in range(rows))


def upload(client, text: str, **fields):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "foreldre.csv"), **fields}
    return client.post(IMPORT, data=data, content_type="multipart/form-data")


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form to `action`, as a browser sends them: every line break
    in a value as CR LF."""
    form = page.split(f'action="{action}"')[1].split("</form>")[0]
    fields = re.findall(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)"', form)
    return {name: re.sub(r"\r?\n", "\r\n", html.unescape(value)) for name, value in fields}


def imported(db) -> int:
    return db.scalar(select(func.count()).select_from(Person).where(Person.phone.like("+47459%")))


@pytest.mark.parametrize("rows", [30, 2000])
def test_a_whole_school_list_imports_as_the_browser_sends_it_back(world, db, login, client, rows):
    login(world.coordinator)
    preview = upload(client, school_list(rows))
    assert preview.status_code == 200
    assert f"{rows} new people" in preview.text
    done = client.post(CONFIRM, data=form_fields(preview.text, CONFIRM), follow_redirects=True)
    assert f"Imported: {rows} new, 0 updated, 0 unchanged." in done.text
    assert imported(db) == rows
    nils = db.scalar(select(Person).where(Person.phone == "+4745900029"))
    assert (nils.name, nils.municipality_id, nils.school_class_ids) == (
        "Nils29 Nyland",
        world.asnes.id,
        {world.school_class.id},
    )


def test_the_audit_log_names_everyone_a_list_brought_in_and_approved(world, db, clock, links):
    importing.apply_import(db, {world.region.id}, school_list(30), world.coordinator, clock(), links)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "people.imported"))
    ids = set(db.scalars(select(Person.id).where(Person.phone.like("+47459%"))))
    assert len(ids) == 30
    assert set(event.details["person_ids"]) == set(event.details["approved_ids"]) == ids
    invited = db.scalars(select(SmsMessage.person_id).where(SmsMessage.purpose == Purpose.INVITATION))
    assert sorted(invited) == sorted(ids)


def round_trips(db, run) -> int:
    """The statements `run` sends the database but SQLite's insert of each new person: SQLAlchemy
    cannot match the ids SQLite returns to the rows of one statement, and a local file costs
    nothing per statement. PostgreSQL, across a network in production, gets them in one."""
    sent = []

    def note(_connection, _cursor, statement, *_args):
        if not (db.get_bind().dialect.name == "sqlite" and statement.startswith("INSERT INTO person ")):
            sent.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", note)
    return len(sent)


def test_the_statements_an_import_takes_do_not_grow_with_the_list(world, db, clock, links):
    def statements(rows: int, first: int) -> int:
        text = "Navn;Mobil;Kommune;Klasse\n" + "".join(
            f"Kari {n};4{n:07d};Åsnes;9A\n" for n in range(first, first + rows)
        )

        def run():
            importing.apply_import(db, {world.region.id}, text, world.coordinator, clock(), links)
            db.flush()

        return round_trips(db, run)

    assert statements(10, first=0) == statements(300, first=10)  # everyone new
    assert statements(10, first=0) == statements(300, first=10)  # everyone again, without a change


def test_a_list_whose_columns_are_chosen_imports_whatever_its_length(world, db, login, client):
    login(world.coordinator)
    text = "Elev;Foresatt;Tlf\n" + "".join(f"Elev {n};Kari{n} Foresatt;459{n:05d}\n" for n in range(300))
    asked = upload(client, text)
    assert "Which column holds what" in asked.text
    chosen = {
        **form_fields(asked.text, COLUMNS),
        "column_name": "1",
        "column_phone": "2",
        "municipality_id": str(world.grue.id),
    }
    preview = client.post(COLUMNS, data=chosen)
    assert preview.status_code == 200 and "300 new people" in preview.text
    client.post(CONFIRM, data=form_fields(preview.text, CONFIRM))
    assert imported(db) == 300


def test_a_file_too_large_is_refused_on_upload_in_words(world, db, login, client):
    login(world.coordinator)
    page = upload(client, school_list(30) + "#" * importing.MAX_IMPORT_BYTES)
    assert page.status_code == 422
    assert "The file is larger than 1 MB. Split it into smaller files." in page.text
    assert "Import these people" not in page.text


def test_a_text_sent_back_larger_than_any_upload_is_refused(world, db):
    with pytest.raises(importing.ImportRefused, match="larger than 1 MB"):
        importing.preview_import(db, {world.region.id}, school_list(3) + "#" * importing.MAX_RETURNED_TEXT)


# --- A step that cannot go on says why. ---


def test_a_confirmation_without_the_file_says_so_and_imports_nothing(world, db, login, client):
    login(world.coordinator)
    page = client.post(CONFIRM, data={"mapping": ""})
    assert page.status_code == 422
    assert "The file did not come back with the form. Choose it again." in page.text
    assert imported(db) == 0


def test_a_column_choice_without_the_file_says_so(world, login, client):
    login(world.coordinator)
    page = client.post(COLUMNS, data={"column_name": "0", "column_phone": "1"})
    assert page.status_code == 422
    assert "The file did not come back with the form. Choose it again." in page.text


def test_with_tokens_on_the_whole_import_works_and_a_stale_page_says_so(app, world, db, login, client):
    login(world.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    token = form_fields(client.get(IMPORT).text, IMPORT)["csrf_token"]
    preview = upload(client, school_list(30), csrf_token=token)
    confirmation = form_fields(preview.text, CONFIRM)

    stale = client.post(CONFIRM, data={**confirmation, "csrf_token": "from-before-logging-in-again"})
    assert stale.status_code == 422
    assert "The page had expired, and nothing was imported. Choose the file again." in stale.text
    # Never a list to confirm from a page that could have come from another site.
    assert "Import these people" not in stale.text
    assert imported(db) == 0

    assert client.post(CONFIRM, data=confirmation).status_code == 302
    assert imported(db) == 30


# --- A file that is not CSV. ---


def excel_workbook() -> bytes:
    """What Excel saves as .xlsx: a zip archive of XML parts."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        workbook.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        workbook.writestr("xl/worksheets/sheet1.xml", "<worksheet><c><v>Fornavn</v></c></worksheet>")
    return archive.getvalue()


def old_excel_workbook() -> bytes:
    """What Excel 97–2003 saves as .xls: an OLE2 compound file with a stream called Workbook."""
    return importing.OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(100)


@pytest.mark.parametrize("workbook", [excel_workbook, old_excel_workbook])
def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv(workbook):
    with pytest.raises(importing.ImportRefused) as refused:
        importing.read_upload(workbook())
    assert refused.value.msgid == importing.EXCEL_FILE


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",  # a PDF
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # a picture
        b"PK\x03\x04\x14\x00\x00\x00word/document.xml",  # a Word document
        b"<html><table><tr><td>Fornavn</td></tr></table></html>",  # a web page named .xls
    ],
)
def test_any_other_file_that_is_not_csv_is_refused(data):
    with pytest.raises(importing.ImportRefused) as refused:
        importing.read_upload(data)
    assert refused.value.msgid == importing.NOT_CSV


def test_invisible_control_characters_some_exports_leave_are_dropped(world, db):
    text = importing.read_upload(b"navn;telefon;kommune\nPer\x0c Persen;922 22 222;Grue\n\x1a")
    seen = importing.preview_import(db, {world.region.id}, text)
    assert seen.errors == [] and [row.name for row in seen.rows] == ["Per Persen"]


def test_the_import_page_says_an_excel_file_must_be_saved_as_csv(world, login, client):
    login(world.coordinator)
    data = {"file": (io.BytesIO(excel_workbook()), "foreldre.xlsx")}
    page = client.post(IMPORT, data=data, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "This is an Excel file, not a CSV file." in page.text
    assert "“CSV UTF-8 (Comma delimited)”" in page.text
    assert "Which column holds what" not in page.text and "Content_Types" not in page.text


def test_a_file_with_control_characters_goes_through_to_the_import(world, db, login, client):
    login(world.coordinator)
    text = school_list(3).replace("Nils1", "Nils\x0b1") + "\x1a"
    preview = upload(client, text)
    assert preview.status_code == 200
    client.post(CONFIRM, data=form_fields(preview.text, CONFIRM))
    assert imported(db) == 3


# --- Municipalities as people write them. ---


def municipalities_read(db, region_ids: set[int], *written: str) -> list:
    text = "Navn;Mobil;Kommune\n" + "".join(f"Forelder {n};459{n:05d};{name}\n" for n, name in enumerate(written))
    seen = importing.preview_import(db, region_ids, text)
    assert seen.errors == []
    return [row.municipality for row in seen.rows]


def test_a_municipality_is_found_however_its_name_is_spelled(world, db):
    unjarga = Municipality(region=world.region, name="Unjárga")
    db.add(unjarga)
    db.flush()
    found = municipalities_read(
        db, {world.region.id}, "Vaaler", "VAALER", "våler", "Valer", "Aasnes", "ÅSNES", "Asnes", "Unjarga"
    )
    assert found == [world.valer] * 4 + [world.asnes] * 3 + [unjarga]


def test_a_municipality_written_without_norwegian_letters_is_not_guessed_between_two(world, db):
    db.add(Municipality(region=world.region, name="Vaslen"))
    db.add(Municipality(region=world.region, name="Våslen"))
    db.flush()
    seen = importing.preview_import(
        db, {world.region.id}, "Navn;Mobil;Kommune\nKari;922 22 222;Vaslen\nOla;922 22 223;Vaaslen\n"
    )
    assert [row.municipality.name for row in seen.rows] == ["Vaslen", "Våslen"]  # as written, each is found


def test_a_school_class_is_found_however_its_school_is_spelled(world, db):
    text = "Navn;Mobil;Kommune;Klasse\nKari;922 22 222;Aasnes;FLISA SKOLE 9a\nOla;922 22 223;Asnes;9 A\n"
    rows = importing.preview_import(db, {world.region.id}, text).rows
    assert [row.school_classes for row in rows] == [[world.school_class]] * 2


def test_a_name_two_municipalities_share_is_not_guessed(world, db, clock):
    other, *_ = factories.other_region(db, clock())
    db.add(Municipality(region=other, name="Våler"))  # Våler in Østfold beside Våler in Innlandet
    db.flush()
    seen = importing.preview_import(db, {world.region.id, other.id}, "Navn;Mobil;Kommune\nKari;922 22 222;Vaaler\n")
    assert seen.rows == []
    assert [error.translated(lambda s: s) for error in seen.errors] == [
        "Row 2: more than one municipality in your regions is called Vaaler. Split the file by municipality "
        "and, under “Which column holds what”, choose the one everyone in it lives in."
    ]
    # The municipality chosen for everyone is the one meant, whatever its name.
    mapping = importing.Mapping(columns={"name": 0, "phone": 1}, municipality_id=world.valer.id)
    text = "Navn;Mobil\nKari;922 22 222\n"
    assert [r.municipality for r in importing.preview_import(db, {world.region.id, other.id}, text, mapping).rows] == [
        world.valer
    ]


def test_an_archived_municipality_does_not_hide_the_one_in_use(world, db):
    db.add(Municipality(region=world.region, name="Vaaler", archived=True))  # the old spelling, put away
    db.flush()
    assert municipalities_read(db, {world.region.id}, "Våler", "Vaaler") == [world.valer] * 2


def test_the_preview_shows_the_old_spelling_as_the_municipality_it_means(world, login, client):
    login(world.coordinator)
    page = upload(client, "Fornavn;Etternavn;Mobil;Kommune\nNils;Nyland;459 00 000;Vaaler\n")
    assert page.status_code == 200
    assert "1 new person" in page.text and "<td>Våler</td>" in page.text


def said_in_status(page: str) -> str:
    found = re.search(r'<p role="status">(.*?)</p>', page, re.DOTALL)
    return " ".join(html.unescape(found.group(1)).split())


@pytest.mark.parametrize(
    ("kari_row", "summary"),
    [
        ("Kari;Nordmann;912 34 567;Åsnes;", "2 new people are added. 1 person already registered stays unchanged."),
        ("Kari;Nordmann;912 34 567;Åsnes;9A", "2 new people are added. 1 person already registered gets updates."),
    ],
)
def test_the_preview_says_only_what_the_file_does(world, login, client, kari_row, summary):
    login(world.coordinator)
    rows = [
        "Fornavn;Etternavn;Mobil;Kommune;Klasse",
        "Nils;Nyland;459 00 000;Åsnes;9A",
        "Nina;Nyland;459 00 001;Åsnes;9A",
    ]
    page = upload(client, "\n".join([*rows, kari_row]) + "\n")
    assert page.status_code == 200
    assert said_in_status(page.text) == summary


def test_a_list_of_people_all_registered_says_nothing_of_new_people(world, db, clock, links, login, client):
    file = "Fornavn;Etternavn;Mobil;Kommune;Klasse\nNils;Nyland;459 00 000;Åsnes;9A\nNina;Nyland;459 00 001;Åsnes;9A\n"
    importing.apply_import(db, {world.region.id}, file, world.coordinator, clock(), links)
    db.commit()
    login(world.coordinator)
    page = upload(client, file)
    assert said_in_status(page.text) == "2 people already registered stay unchanged."
