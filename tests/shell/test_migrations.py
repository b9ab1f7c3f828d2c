"""The migrations build exactly the schema the models describe: `natteravn db upgrade` on an
empty database leaves nothing for Alembic's autogenerate to add, drop or change."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from natteravn import create_app
from natteravn.accounts.models import Person
from natteravn.accounts.service import found_by
from natteravn.cli import alembic_config
from natteravn.db import make_engine, make_session_factory
from natteravn.models import Base
from natteravn.places.models import Municipality, Region
from tests.databases import POSTGRES_URL, private_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    if not POSTGRES_URL:
        pytest.skip("needs NATTERAVN_TEST_DATABASE_URL")
    with private_postgres("natteravn_migrate") as url:
        yield url


def upgrade_to_head(url: str, revision: str = "head") -> None:
    """What `natteravn db upgrade` does, without letting Alembic's logging setup replace the test run's."""
    _migrate(url, command.upgrade, revision)


def downgrade_to(url: str, revision: str) -> None:
    _migrate(url, command.downgrade, revision)


def _migrate(url: str, step, revision: str) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    config = alembic_config(app)
    config.attributes["configure_logging"] = False
    step(config, revision)
    app.extensions["natteravn.engine"].dispose()


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrading_an_empty_database_yields_exactly_the_models(empty_database):
    upgrade_to_head(empty_database)
    assert schema_differences(empty_database) == []


def test_regions_and_people_from_before_approval_keep_working_as_they_did(empty_database):
    upgrade_to_head(empty_database, "ad018ddbeb04")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO region (id, name, slug, timezone, nights_per_term_cap, cancel_cutoff_hours,"
                " offer_hours, reminder_before_days, reminder_before_at, reminder_day_at, report_request_at,"
                " quiet_from, quiet_until, call_weekday, call_at) VALUES (1, 'Solør', 'solor', 'Europe/Oslo',"
                " 2, 24, 12, 2, '18:00:00', '12:00:00', '10:00:00', '21:00:00', '08:00:00', 1, '17:00:00')"
            )
        )
        connection.execute(
            text("INSERT INTO municipality (id, region_id, name, archived) VALUES (1, 1, 'Åsnes', false)")
        )
        connection.execute(
            text(
                "INSERT INTO person (id, phone, name, locale, municipality_id, session_version, calendar_version,"
                " active, created_at) VALUES (1, '+4791234567', 'Kari', 'nb', 1, 1, 1, true, '2026-01-05 10:00:00')"
            )
        )
    engine.dispose()
    upgrade_to_head(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT registration FROM region")) == "OPEN"
            assert str(connection.scalar(text("SELECT approved_at FROM person"))).startswith("2026-01-05 10:00:00")
    finally:
        engine.dispose()


BEFORE_PERSON_CLASSES = "5f1db416204b"
A_REGION = """INSERT INTO region (id, name, slug, timezone, nights_per_term_cap, cancel_cutoff_hours, offer_hours,
    reminder_before_days, reminder_before_at, reminder_day_at, report_request_at, quiet_from, quiet_until,
    call_weekday, call_at)
    VALUES (1, 'Solør', 'solor', 'Europe/Oslo', 2, 24, 12, 2, '18:00:00', '12:00:00', '10:00:00', '21:00:00',
    '08:00:00', 1, '17:00:00')"""


def test_each_persons_school_class_becomes_one_of_their_classes(empty_database):
    upgrade_to_head(empty_database, BEFORE_PERSON_CLASSES)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(A_REGION))
            connection.execute(
                text("INSERT INTO municipality (id, region_id, name, archived) VALUES (1, 1, 'Åsnes', false)")
            )
            connection.execute(
                text("INSERT INTO school (id, municipality_id, name, archived) VALUES (1, 1, 'Flisa', false)")
            )
            connection.execute(
                text("INSERT INTO school_class (id, school_id, name, archived) VALUES (7, 1, '9A', false)")
            )
            for person_id, class_id in ((1, 7), (2, None)):
                connection.execute(
                    text(
                        "INSERT INTO person (id, phone, name, locale, municipality_id, school_class_id, "
                        "session_version, calendar_version, active, created_at) "
                        "VALUES (:id, :phone, 'Kari', 'nb', 1, :class_id, 1, 1, true, '2026-11-18 09:00:00')"
                    ),
                    {"id": person_id, "phone": f"+479123456{person_id}", "class_id": class_id},
                )
            connection.execute(text("INSERT INTO role (id, person_id, kind, region_id) VALUES (1, 1, 'LEADER', 1)"))
        upgrade_to_head(empty_database)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT person_id, school_class_id FROM person_class")).all()
            roles = connection.execute(text("SELECT person_id, kind FROM role")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in kept] == [(1, 7)]
    # Rebuilding the person table (SQLite) must not take with it the rows that point at it.
    assert [tuple(row) for row in roles] == [(1, "LEADER")]


def people_as_stored_then(engine, names: list[str]) -> None:
    """People in Åsnes, written to the person table of an older revision in SQL: the model
    describes today's table, whose newer columns the older one lacks."""
    with make_session_factory(engine)() as session:
        municipality = Municipality(region=Region(name="Solør", slug="solor"), name="Åsnes")
        session.add(municipality)
        session.commit()
        municipality_id = municipality.id
    insert = text(
        "INSERT INTO person (phone, name, name_key, locale, municipality_id, session_version, calendar_version, "
        "active, created_at) VALUES (:phone, :name, '', 'nb', :municipality, 1, 1, true, '2026-11-18 09:00:00')"
    )
    with engine.begin() as connection:
        for number, name in enumerate(names, start=1):
            connection.execute(insert, {"phone": f"+474100090{number}", "name": name, "municipality": municipality_id})


BEFORE_AA_FOLDING = "d55ec75ad04e"


def test_names_spelt_with_aa_are_folded_again_so_that_ås_finds_aasen(empty_database):
    upgrade_to_head(empty_database, BEFORE_AA_FOLDING)
    engine = make_engine(empty_database)
    try:
        people_as_stored_then(engine, ["Trond Aasen", "Kari Nordmann"])
        with engine.begin() as connection:  # the keys as the rule before this revision wrote them
            connection.execute(text("UPDATE person SET name_key = lower(name)"))

        def keys() -> list[str]:
            with engine.connect() as connection:
                return list(connection.scalars(text("SELECT name_key FROM person ORDER BY id")))

        upgrade_to_head(empty_database)
        assert keys() == ["trond åsen", "kari nordmann"]
        downgrade_to(empty_database, BEFORE_AA_FOLDING)
        assert keys() == ["trond aasen", "kari nordmann"]
    finally:
        engine.dispose()


BEFORE_SPELLINGS_WITHOUT_LETTERS = "c4f2a7d91e36"


def test_names_are_folded_again_so_that_they_are_found_typed_without_norwegian_letters(empty_database):
    upgrade_to_head(empty_database, BEFORE_SPELLINGS_WITHOUT_LETTERS)
    engine = make_engine(empty_database)
    try:
        people_as_stored_then(engine, ["Åse Ødegård", "Kari Kjær", "Mona Loekken", "Erling Haaland"])
        before = ["åse ødegård", "kari kjær", "mona loekken", "erling håland"]
        with engine.begin() as connection:  # the keys as the rule before this revision wrote them
            for person_id, key in enumerate(before, start=1):
                set_key = text("UPDATE person SET name_key = :key WHERE id = :id")
                connection.execute(set_key, {"key": key, "id": person_id})

        def keys() -> list[str]:
            with engine.connect() as connection:
                return list(connection.scalars(text("SELECT name_key FROM person ORDER BY id")))

        def found(typed: str) -> list[str]:
            with make_session_factory(engine)() as session:
                return list(session.scalars(select(Person.name).where(found_by(typed)).order_by(Person.id)))

        assert found("kjaer") == found("løkken") == []
        upgrade_to_head(empty_database)
        assert keys() == ["åse ødegård", "kari kjaer", "mona løkken", "erling håland"]
        assert found("kjaer") == ["Kari Kjær"]
        assert found("løkken") == found("lokken") == ["Mona Loekken"]
        assert found("odegard") == ["Åse Ødegård"]
        downgrade_to(empty_database, BEFORE_SPELLINGS_WITHOUT_LETTERS)
        assert keys() == before
    finally:
        engine.dispose()
