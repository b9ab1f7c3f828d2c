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

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person
from natteravn.db import locks_rows
from natteravn.places.models import Municipality
from natteravn.shifts.models import Shift, Signup, Term


def lock_person_and_nights(session: Session, person_id: int, *shift_ids: int) -> tuple[Person, list[Shift | None]]:
    """The person and the nights, in the order asked; a night that does not exist is None. What
    every change of sign-ups reads next (the person's region, the night's term, region and route)
    comes in the same statements, unlocked."""
    person_query, shift_query = _person_and_nights_queries(locks_rows(session))
    person = session.execute(person_query, {"person_id": person_id}).scalar_one()
    shifts = {shift.id: shift for shift in session.execute(shift_query, {"shift_ids": list(shift_ids)}).scalars()}
    return person, [shifts.get(shift_id) for shift_id in shift_ids]


@cache
def _person_and_nights_queries(locking: bool) -> tuple[Select, Select]:
    """Built once per kind of database: every sign-up runs them."""
    person_query = (
        select(Person)
        .where(Person.id == bindparam("person_id"))
        .options(joinedload(Person.municipality).joinedload(Municipality.region))
        .execution_options(populate_existing=True)
    )
    shift_query = (
        select(Shift)
        .where(Shift.id.in_(bindparam("shift_ids", expanding=True)))
        .options(joinedload(Shift.term).joinedload(Term.region), joinedload(Shift.route))
        .order_by(Shift.id)
        .execution_options(populate_existing=True)
    )
    if locking:
        person_query = person_query.with_for_update(key_share=True, of=Person)
        shift_query = shift_query.with_for_update(key_share=True, of=Shift)
    return person_query, shift_query


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
