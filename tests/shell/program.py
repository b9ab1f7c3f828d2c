"""The `natteravn` program run as an operator runs it, on a fresh database of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from natteravn import audit_vocabulary
from natteravn.db import make_engine
from tests.databases import POSTGRES_URL, private_postgres

ROOT = Path(__file__).resolve().parents[2]
NATTERAVN = Path(sys.executable).parent / "natteravn"


@contextmanager
def fresh_database(tmp_path: Path, prefix: str) -> Iterator[str]:
    """An empty database: a private one on PostgreSQL when the tests run there, else a SQLite file."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'natteravn.sqlite'}"
        return
    with private_postgres(prefix) as url:
        yield url


def environment(url: str, instance: Path) -> dict[str, str]:
    """What an operator sets: the database and a secret; an instance folder of its own, so a local
    instance/config.py cannot change the outcome."""
    return {
        **os.environ,
        "NATTERAVN_DATABASE_URL": url,
        "NATTERAVN_SECRET_KEY": "a-long-secret-for-the-setup-commands",
        "NATTERAVN_INSTANCE_PATH": str(instance),
    }


def run(url: str, instance: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(NATTERAVN), *argv], cwd=ROOT, env=environment(url, instance), capture_output=True, text=True, timeout=120
    )


def query(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def unlabelled_audit_entries(url: str) -> list[str]:
    """Actions the commands recorded that the audit log could not put in words."""
    words = audit_vocabulary()
    rows = query(url, "SELECT DISTINCT action, object_type FROM audit_event")
    return sorted({a for a, _ in rows if a not in words.actions} | {o for _, o in rows if o not in words.objects})
