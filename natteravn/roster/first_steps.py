"""A new region's first steps, in the order they can be taken: routes (every night is on one),
schools and classes (for class weekends; a region may do without), a term with its nights, the
people who walk them, and publishing. The dashboard lists them, each ticked when done, until the
region has taken them all: a coordinator who starts with an empty region is not left to guess that
routes come before nights."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.places.models import Municipality, Region, Route, School, SchoolClass
from natteravn.shifts.models import Shift, Term


@dataclass(frozen=True)
class FirstSteps:
    region: Region
    routes: bool
    classes: bool
    nights: bool
    people: bool
    published: bool
    #: The newest term not yet published: where its nights are made and where it is published.
    draft: Term | None

    @property
    def taken(self) -> bool:
        """Schools and classes are not needed: many regions have no class weekends."""
        return self.routes and self.nights and self.people and self.published


def first_steps(session: Session, region_ids: Collection[int]) -> list[FirstSteps]:
    """The steps of each of these regions that has not taken them all, by region name. One query
    for a region that has taken them (the dashboard of every region runs it: each step is an EXISTS
    that stops at its first row), one more for the draft terms of those that have not."""
    if not region_ids:
        return []
    in_use = and_(Municipality.region_id == Region.id, Municipality.archived.is_(False))
    routes = exists().where(in_use, Route.municipality_id == Municipality.id, Route.archived.is_(False))
    classes = exists().where(
        in_use,
        School.municipality_id == Municipality.id,
        School.archived.is_(False),
        SchoolClass.school_id == School.id,
        SchoolClass.archived.is_(False),
    )
    nights = exists().where(Term.region_id == Region.id, Shift.term_id == Term.id, Shift.cancelled_at.is_(None))
    published = exists().where(Term.region_id == Region.id, Term.published_at.is_not(None))
    # The region's own coordinators do not count: the step is the people who walk.
    its_coordinator = exists().where(
        Role.person_id == Person.id, Role.kind == RoleKind.COORDINATOR, Role.region_id == Region.id
    )
    people = exists().where(
        Municipality.region_id == Region.id,
        Person.municipality_id == Municipality.id,
        Person.active.is_(True),
        ~its_coordinator,
    )
    rows = session.execute(
        select(Region, routes, classes, nights, people, published)
        .where(Region.id.in_(region_ids))
        .order_by(Region.name)
    ).all()
    steps = [
        step
        for region, has_routes, has_classes, has_nights, has_people, is_published in rows
        if not (step := FirstSteps(region, has_routes, has_classes, has_nights, has_people, is_published, None)).taken
    ]
    if not steps:
        return []
    drafts: dict[int, Term] = {}
    for term in session.scalars(
        select(Term)
        .where(Term.region_id.in_([step.region.id for step in steps]), Term.published_at.is_(None))
        .order_by(Term.starts_on.desc(), Term.id.desc())
    ):
        drafts.setdefault(term.region_id, term)
    return [replace(step, draft=drafts.get(step.region.id)) for step in steps]
