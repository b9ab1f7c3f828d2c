"""The migrations build exactly the schema the models describe: `natteravn db upgrade` on an
empty database leaves nothing for Alembic's autogenerate to add, drop or change."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from natteravn import create_app
from natteravn.cli import alembic_config
from natteravn.db import make_engine
from natteravn.models import Base
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
