"""What a careless user or a hostile one sends: control characters, numbers and dates out of range,
over-long text, odd spreadsheets, the same webhook twice at once. Each gets a clear answer in the
person's language, never a server error, and what they typed is still on the page."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
import requests
from sqlalchemy import select, text

from natteravn.people import importing
from natteravn.places.models import SchoolClass
from natteravn.shifts.models import Shift
from natteravn.sms.models import InboundSms
from tests.databases import POSTGRES_URL

HUGE = "9" * 25


def test_a_nul_character_in_a_text_field_is_refused_with_the_text_kept(world, login):
    client = login(world.parent)
    page = client.post("/profile", data={"name": "Kari\x00 Nordmann", "municipality": world.asnes.id, "locale": "en"})
    assert page.status_code == 422
    assert "Remove the invisible control characters from this text." in page.text
    assert "Kari" in page.text


@pytest.mark.parametrize("number", [HUGE, str(2**63), str(2**31)])
def test_an_id_too_large_for_the_database_is_simply_not_found(world, login, number):
    client = login(world.coordinator)
    assert client.get(f"/nights/{number}").status_code == 404
    assert client.get(f"/coordinator/nights/{number}").status_code == 404
    assert client.get(f"/coordinator/reports/{number}").status_code == 404


def test_a_page_number_too_large_shows_the_last_page(world, login):
    client = login(world.coordinator)
    for address in ("/coordinator/people", "/coordinator/outbox", "/coordinator/audit", "/coordinator/reports"):
        assert client.get(f"{address}?page={HUGE}").status_code == 200, address


def test_a_date_in_the_year_1_is_refused_with_a_message(world, login):
    client = login(world.coordinator)
    page = client.post(
        "/coordinator/terms/new",
        data={
            "region_id": world.region.id,
            "name": "Langt tilbake",
            "starts_on": "0001-01-05",
            "ends_on": "9999-12-31",
            "signup_opens_at": "2026-12-01T08:00",
        },
    )
    assert page.status_code == 422
    assert "Choose a date between 2000 and 2100." in page.text


def test_a_class_name_too_long_is_refused_not_cut(world, login, db):
    client = login(world.coordinator)
    school = world.school_class.school
    page = client.post(f"/coordinator/places/schools/{school.id}/classes/new", data={"name": "9" + "A" * 60})
    assert page.status_code == 422
    assert "Shorten this to 40 characters." in page.text
    assert db.scalar(select(SchoolClass).where(SchoolClass.name.startswith("9AAAA"))) is None


def test_a_note_at_its_limit_with_line_breaks_is_kept_as_typed_and_no_box_cuts_a_paste(world, login, db):
    client = login(world.coordinator)
    night = world.nights[0]
    lines = "\r\n".join(["Ta med refleksvest og lommelykt."] * 15)  # 500 as the browser counts: breaks as one
    assert len(lines.replace("\r\n", "\n")) == 494 and len(lines) > 500
    edit = {"day": "2026-11-20", "starts_local": "22:00", "ends_local": "01:00", "min_walkers": "2", "max_walkers": "5"}
    assert client.post(f"/coordinator/nights/{night.id}", data={**edit, "note": lines}).status_code == 302
    db.expire_all()
    assert db.get(Shift, night.id).note == lines.replace("\r\n", "\n")
    page = client.get(f"/coordinator/nights/{night.id}").text
    assert "maxlength" not in page


def test_an_excel_unicode_text_file_imports(world, db):
    data = "name\tphone\tmunicipality\r\nÅse Ødegård\t922 22 222\tÅsnes\r\n".encode("utf-16")
    preview = importing.preview_import(db, {world.region.id}, importing.read_upload(data))
    assert preview.errors == [] and [row.name for row in preview.rows] == ["Åse Ødegård"]


def test_a_file_with_a_cell_too_long_to_read_is_refused_with_a_message(world, login):
    client = login(world.coordinator)
    data = ("name;phone;municipality\n" + "x" * 140_000 + ";922 22 222;Åsnes\n").encode("utf-8")
    upload = {"file": (io.BytesIO(data[:399_000]), "huge.csv")}
    page = client.post("/coordinator/people/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "cannot be read" in page.text


def test_every_csv_neutralises_cells_excel_would_run(world, login, db):
    world.valer.name = '=HYPERLINK("http://evil.example")'
    db.commit()
    client = login(world.coordinator)
    statistics = client.get(f"/coordinator/reports/statistics.csv?region={world.region.id}").get_data(as_text=True)
    assert "'=HYPERLINK" in statistics and ";=HYPERLINK" not in statistics and "\n=HYPERLINK" not in statistics
    roster = client.get(f"/coordinator/terms/{world.term.id}/roster.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in roster


def test_personal_data_is_never_kept_by_a_cache(world, login):
    client = login(world.coordinator)
    for address in ("/profile/data.json", f"/coordinator/terms/{world.term.id}/roster.csv", "/my"):
        response = client.get(address)
        assert response.status_code == 200, address
        assert response.headers["Cache-Control"] == "no-store", address


def test_https_gets_strict_transport_security(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    over_tls = client.get("/login", base_url="https://natteravn.test")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_error_page_works_after_a_failed_statement(app, world, login):
    """A request whose SQL failed leaves its session needing a rollback; the error page (and its
    menu, which reads the person's roles) must still render, in the reader's language."""
    from natteravn.web import db_session

    @app.get("/failing-statement")
    def failing():
        db_session().execute(text("INSERT INTO region (id) VALUES (NULL)"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = login(world.coordinator)
    page = client.get("/failing-statement")
    assert page.status_code == 500
    assert "Something went wrong" in page.text and ">Coordinator<" in page.text


@pytest.mark.skipif(not POSTGRES_URL, reason="two deliveries at the very same moment need PostgreSQL")
def test_the_same_sms_delivered_twice_at_once_is_answered_once(world, live_server, twilio, twilio_gateway, db):
    url, form, headers = twilio.inbound("http://natteravn.test", world.parent.phone, "Hei, hva er dette?")
    address = live_server + "/sms/inbound"
    barrier, answers = threading.Barrier(2), []

    def deliver():
        barrier.wait()
        answers.append(requests.post(address, data=form, headers=headers, timeout=30))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].text == answers[1].text
    assert len(db.scalars(select(InboundSms).where(InboundSms.provider_id == form["MessageSid"])).all()) == 1


def test_an_sms_with_a_nul_character_is_stored_without_it(world, client, twilio, twilio_gateway, db):
    from tests.twilio_server import post_with

    response = post_with(client)(*twilio.inbound("http://natteravn.test", world.parent.phone, "JA\x00"))
    assert response.status_code == 200
    assert db.scalar(select(InboundSms.body)) == "JA"


def test_dates_in_the_statistics_form_out_of_range_are_refused(world, login):
    client = login(world.coordinator)
    page = client.get(f"/coordinator/statistics?region={world.region.id}&first_day=0001-01-01&last_day={date.today()}")
    assert page.status_code < 500
