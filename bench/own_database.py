"""A database of a bench run's own, dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def require_postgresql(script: str) -> None:
    """Stop with a word on what to set when the bench needs PostgreSQL and is not given one."""
    server = os.environ.get("NATTERAVN_BENCH_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        raise SystemExit(
            f"{script} needs PostgreSQL: set NATTERAVN_BENCH_DATABASE_URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
        )


@contextmanager
def own_database(kind: str) -> Iterator[str]:
    """The URL of a fresh database: a SQLite file for "sqlite", else a private database on the
    PostgreSQL server named in NATTERAVN_BENCH_DATABASE_URL."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite"
        return
    base = make_url(os.environ["NATTERAVN_BENCH_DATABASE_URL"])
    name = f"natteravn_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
