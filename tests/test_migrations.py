"""The migrations build exactly the schema the models describe: `natteravn db upgrade` on an
empty database leaves nothing for Alembic's autogenerate to add, drop or change."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from natteravn import create_app
from natteravn.cli import alembic_config
from natteravn.db import make_engine
from natteravn.models import Base
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    if not POSTGRES_URL:
        pytest.skip("needs NATTERAVN_TEST_DATABASE_URL")
    base = make_url(POSTGRES_URL)
    name = f"natteravn_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def upgrade_to_head(url: str) -> None:
    """What `natteravn db upgrade` does, without letting Alembic's logging setup replace the test run's."""
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    config = alembic_config(app)
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")
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
