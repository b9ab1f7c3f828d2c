"""A school's whole list, however long, goes from upload through preview to import as a browser
sends it; and a step that cannot go on says why on the import page, never sending the coordinator
back to an empty form with nothing imported."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from natteravn.people import importing

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
