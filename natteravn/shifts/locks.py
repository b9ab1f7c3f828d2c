"""Row locks for changing who walks a night, always taken in one order: the person, then the
nights by id, so that no two requests can wait on each other in a circle. (SQLite has already
serialised the whole transaction at BEGIN.) Rows are re-read under the lock: what was loaded
before may be stale by the time the lock is held; this transaction's own changes are flushed
first, so they are kept.

The locks are PostgreSQL's FOR NO KEY UPDATE: they keep out other lockers, but not a row that
merely refers to the locked one. Planning an SMS to someone whose row another request holds (the
next on a waitlist, a person whose offer lapsed) checks its foreign key with a key-share lock;
under FOR UPDATE that check would wait on the holder, who may be waiting for our night."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select, true
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person
from natteravn.db import locks_rows
from natteravn.shifts.models import Shift, Signup, Term


def lock_person_and_nights(session: Session, person_id: int, *shift_ids: int) -> tuple[Person, list[Shift | None]]:
    """The person and the nights, in the order asked; a night that does not exist is None. What
    every change of sign-ups reads next (the person's region, the night's term, region and route)
    comes in the same statement, unlocked. One statement locks them all: PostgreSQL locks a row's
    tables in the order its `OF` names them, person first, and the rows come sorted by night."""
    together, person_alone = _locking_queries(locks_rows(session))
    rows = session.execute(together, {"person_id": person_id, "shift_ids": list(shift_ids)}).all()
    # None of the nights exists: the person is still locked, as callers expect.
    person = rows[0].Person if rows else session.execute(person_alone, {"person_id": person_id}).scalar_one()
    shifts = {row.Shift.id: row.Shift for row in rows}
    return person, [shifts.get(shift_id) for shift_id in shift_ids]


@cache
def _locking_queries(locking: bool) -> tuple[Select, Select]:
    """Built once per kind of database: every sign-up runs them. The person with the nights, and
    the person alone."""
    person_loads = joinedload(Person.municipality)  # its region is the night's, loaded with the term
    together = (
        select(Person, Shift)
        .join(Shift, true())  # one person with each night
        .where(Person.id == bindparam("person_id"), Shift.id.in_(bindparam("shift_ids", expanding=True)))
        .options(person_loads, joinedload(Shift.term).joinedload(Term.region), joinedload(Shift.route))
        .order_by(Shift.id)
        .execution_options(populate_existing=True)
    )
    person_alone = (
        select(Person)
        .where(Person.id == bindparam("person_id"))
        .options(person_loads)
        .execution_options(populate_existing=True)
    )
    if locking:
        together = together.with_for_update(key_share=True, of=[Person, Shift])
        person_alone = person_alone.with_for_update(key_share=True, of=Person)
    return together, person_alone


def lock_night(session: Session, shift_id: int) -> Shift:
    """A night alone, for changes that concern no one person (capacity, the waitlist's turn)."""
    query = select(Shift).where(Shift.id == shift_id).execution_options(populate_existing=True)
    if locks_rows(session):
        query = query.with_for_update(key_share=True)
    return session.execute(query).scalar_one()


def lock_signup(session: Session, signup: Signup) -> tuple[Person, Shift]:
    """The sign-up's person and night, locked, and the sign-up re-read under the lock."""
    person, (shift,) = lock_person_and_nights(session, signup.person_id, signup.shift_id)
    session.refresh(signup)
    assert shift is not None, "a sign-up's night exists: the foreign key says so"
    return person, shift
