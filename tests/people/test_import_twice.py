"""The same list imported twice at once, as a double click on "Import these people" sends it: the
people are there once, and the second click ends on the people page saying the list is imported,
never on an error page."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.db import make_engine, make_session_factory
from natteravn.people import importing
from natteravn.places.models import Municipality
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.conftest import log_in
from tests.databases import POSTGRES_URL
from tests.people.test_import_lists import CONFIRM, form_fields, imported, school_list, upload

ALREADY = "This list has already been imported: its 30 people are registered, and nothing in the list has changed."


def invitations(db) -> int:
    return db.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.purpose == Purpose.INVITATION))


def imports(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "people.imported"))


def test_the_same_confirmation_sent_again_says_the_list_is_imported(world, db, login, client):
    login(world.coordinator)
    confirmation = form_fields(upload(client, school_list(30)).text, CONFIRM)
    client.post(CONFIRM, data=confirmation, follow_redirects=True)
    again = client.post(CONFIRM, data=confirmation, follow_redirects=True)
    assert again.status_code == 200 and again.request.path == "/coordinator/people"
    assert ALREADY in again.text and "Imported:" not in again.text
    assert (imported(db), invitations(db), imports(db)) == (30, 30, 1)


def test_a_list_imported_again_with_a_change_says_what_it_changed(world, db, clock, links):
    importing.apply_import(db, {world.region.id}, school_list(30), world.coordinator, clock(), links)
    again = importing.apply_import(
        db, {world.region.id}, school_list(30).replace("Nils7;", "Nina7;"), world.coordinator, clock(), links
    )
    assert (again.created, again.updated, again.unchanged, again.already_imported) == (0, 1, 29, False)


def test_a_double_click_imports_once_and_both_clicks_end_on_the_people_page(app, world, db, gateway, client):
    log_in(client, gateway, world.coordinator.phone)
    confirmation = form_fields(upload(client, school_list(30)).text, CONFIRM)
    second = app.test_client()
    second.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(second, gateway, world.coordinator.phone)
    barrier = threading.Barrier(2)
    pages: list = [None, None]
    failures: list[BaseException] = []

    def click(index: int, browser) -> None:
        barrier.wait()
        try:
            pages[index] = browser.post(CONFIRM, data=confirmation, follow_redirects=True)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    clicks = [threading.Thread(target=click, args=(i, b)) for i, b in enumerate((client, second))]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert failures == []
    assert [page.status_code for page in pages] == [200, 200]
    said = sorted("Imported: 30 new" in page.text for page in pages)
    assert said == [False, True] and any(ALREADY in page.text for page in pages)
    assert (imported(db), invitations(db), imports(db)) == (30, 30, 1)


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url, pool_size=4, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def importing_in_the_background(sessions, region_id: int, coordinator_id: int, clock, links):
    """An import of the school list in its own thread and transaction: (the thread, its outcome)."""
    outcome: list = []

    def run() -> None:
        with sessions() as session:
            try:
                coordinator = session.get(Person, coordinator_id)
                result = importing.apply_import(session, {region_id}, school_list(30), coordinator, clock(), links)
                outcome.append(result)
                session.commit()
            except BaseException as error:  # noqa: BLE001 - reported to the test
                outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.skipif(not POSTGRES_URL, reason="a second transaction waiting for the first needs PostgreSQL")
def test_an_import_waiting_for_the_same_import_finds_everyone_there(world, db, clock, links, sessions):
    with sessions() as first:
        importing.apply_import(
            first, {world.region.id}, school_list(30), first.get(Person, world.coordinator.id), clock(), links
        )
        second, outcome = importing_in_the_background(sessions, world.region.id, world.coordinator.id, clock, links)
        _wait_until_someone_waits_for_a_lock(db)
        first.commit()
    second.join(timeout=60)
    (result,) = outcome
    assert isinstance(result, importing.ImportResult), result
    assert (result.created, result.updated, result.unchanged, result.already_imported) == (0, 0, 30, True)
    db.expire_all()
    assert (imported(db), invitations(db), imports(db)) == (30, 30, 1)


@pytest.mark.skipif(not POSTGRES_URL, reason="a second transaction waiting for the first needs PostgreSQL")
def test_a_parent_registering_during_the_import_leaves_it_refused_in_words(world, db, clock, links, sessions):
    with sessions() as login:
        factories.person(login, login.get(Municipality, world.asnes.id), "", clock(), number="+4745900007")
        importer, outcome = importing_in_the_background(sessions, world.region.id, world.coordinator.id, clock, links)
        _wait_until_someone_waits_for_a_lock(db)
        login.commit()
    importer.join(timeout=60)
    (refusal,) = outcome
    assert isinstance(refusal, importing.ImportRefused), refusal
    assert refusal.msgid.startswith("Someone in the list registered at the same moment, so nothing was imported.")
    db.expire_all()
    assert (imported(db), invitations(db), imports(db)) == (1, 0, 0)


def _wait_until_someone_waits_for_a_lock(db, seconds: float = 10) -> None:
    """Until another connection waits for a lock the first transaction holds: the second import
    has read the list and reached the people the first is adding."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + seconds
    while db.scalar(waiting) == 0:
        assert time.monotonic() < deadline, "the second import never waited for the first"
        time.sleep(0.02)
        db.rollback()
