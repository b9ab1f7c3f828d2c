"""The database: one engine and session factory per app, the declarative base and its
naming convention, and the UTC datetime column type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    Table,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from natteravn.i18n import alphabetical

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, always handed back aware.

    Refuses naive values on the way in: a naive datetime in a service is a bug about to
    shift a night by an hour or two.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class minutes_between(FunctionElement[int]):  # lower case, as SQL functions are (func.count, func.sum)
    """Whole minutes from one UTC datetime column to another, computed by the database, so sums of
    durations stay SQL aggregates. Each backend subtracts datetimes its own way."""

    type = Integer()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "postgresql")
def _minutes_between_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 60 AS INTEGER)"


@compiles(minutes_between, "sqlite")
def _minutes_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


#: Control characters other than line breaks and tabs: nothing a person types needs them, and a NUL
#: cannot be stored in PostgreSQL's text at all.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: The largest value an integer column (and so an id) holds on every backend.
LARGEST_INTEGER = 2**31 - 1


def as_id(raw: str | None) -> int | None:
    """A row id written in a form or an address, or None for anything that cannot be one."""
    if not raw or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if can_be_an_id(number) else None


def can_be_an_id(number: int | None) -> bool:
    """Whether a number read from a form fits an id column: a larger one is crafted, no row has it,
    and asking the database for it would fail rather than find nothing."""
    return number is not None and 0 < number <= LARGEST_INTEGER


def make_engine(url: str, *, serialise_writes: bool = True, **kwargs) -> Engine:
    """The engine for a database URL. `serialise_writes=False` is for a test's own session,
    which reads between requests and must not hold SQLite's write lock while it does."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, serialise_writes)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


#: Norwegian alphabetical order in SQL: PostgreSQL's ICU collation for Norwegian bokmål (present
#: where PostgreSQL is built with ICU, as Debian's and the official images are), and on SQLite a
#: collation of ours by the same name.
NORWEGIAN = "nb-NO-x-icu"


def in_norwegian_order(column: SQLCoreOperations[str]) -> ColumnElement[str]:
    """A name column to sort by as a Norwegian reads a list: Æ, Ø and Å after Z, case aside. A
    database's own order puts Å before Æ and lower case after Z, or, in English, Å among the A's."""
    return column.collate(NORWEGIAN)


def _norwegian_comparison(one: str, other: str) -> int:
    first, second = (alphabetical(one), one), (alphabetical(other), other)
    return (first > second) - (first < second)


def _configure_sqlite(engine: Engine, serialise_writes: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.create_collation(NORWEGIAN, _norwegian_comparison)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        if serialise_writes:
            dbapi_connection.isolation_level = None  # let BEGIN below, not pysqlite, open transactions

    if serialise_writes:
        # SQLite has no row locks: every transaction takes the write lock at BEGIN, so two
        # sign-ups for the last place queue behind each other instead of both reading "one left".
        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    with factory() as session, session.begin():
        yield session


def locks_rows(session: Session) -> bool:
    """Whether `SELECT … FOR UPDATE` means anything here (SQLite serialises writers instead)."""
    return session.get_bind().dialect.name == "postgresql"


def upsert(session: Session, model: type | Table) -> Insert:
    """An INSERT in the session's dialect, which can say `ON CONFLICT`: what to do in the same
    statement when a unique key is taken, instead of looking for the row first. A row racing
    another transaction's insert of the same key waits for it, then meets the conflict."""
    dialect = postgresql if locks_rows(session) else sqlite
    return dialect.insert(model)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a long list, numbered from 1."""

    items: list[T]
    number: int
    pages: int
    total: int


def paginate(session: Session, query: Select, number: int, size: int) -> Page:
    """The `number`th page of `query`'s rows (its first column's objects when it selects one
    entity), with the count of all of them. A page past the end shows the last one."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    number = min(max(number, 1), pages)
    rows = session.execute(query.offset((number - 1) * size).limit(size))
    items = list(rows.scalars() if len(query.column_descriptions) == 1 else rows.all())
    return Page(items, number, pages, total)
