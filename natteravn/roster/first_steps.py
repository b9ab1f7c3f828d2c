"""A new region's first steps, in the order they can be taken: routes (every night is on one),
schools and classes (for class weekends; a region may do without), a term with its nights, the
people who walk them, and publishing. The dashboard lists them, each ticked when done, until the
region has taken them all: a coordinator who starts with an empty region is not left to guess that
routes come before nights."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import exists, select
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


def _regions_where(session: Session, query) -> set[int]:
    return set(session.scalars(query.distinct()))


def first_steps(session: Session, region_ids: Collection[int]) -> list[FirstSteps]:
    """The steps of each of these regions that has not taken them all, by region name; a few
    queries whatever the number of regions."""
    if not region_ids:
        return []
    with_routes = _regions_where(
        session,
        select(Municipality.region_id)
        .join(Route, Route.municipality_id == Municipality.id)
        .where(Municipality.region_id.in_(region_ids), Municipality.archived.is_(False), Route.archived.is_(False)),
    )
    with_classes = _regions_where(
        session,
        select(Municipality.region_id)
        .join(School, School.municipality_id == Municipality.id)
        .join(SchoolClass, SchoolClass.school_id == School.id)
        .where(
            Municipality.region_id.in_(region_ids),
            Municipality.archived.is_(False),
            School.archived.is_(False),
            SchoolClass.archived.is_(False),
        ),
    )
    with_nights = _regions_where(
        session,
        select(Term.region_id)
        .join(Shift, Shift.term_id == Term.id)
        .where(Term.region_id.in_(region_ids), Shift.cancelled_at.is_(None)),
    )
    published = _regions_where(
        session, select(Term.region_id).where(Term.region_id.in_(region_ids), Term.published_at.is_not(None))
    )
    # The region's own coordinators do not count: the step is the people who walk.
    its_coordinator = exists().where(
        Role.person_id == Person.id, Role.kind == RoleKind.COORDINATOR, Role.region_id == Municipality.region_id
    )
    with_people = _regions_where(
        session,
        select(Municipality.region_id)
        .join(Person, Person.municipality_id == Municipality.id)
        .where(Municipality.region_id.in_(region_ids), Person.active.is_(True), ~its_coordinator),
    )
    drafts: dict[int, Term] = {}
    for term in session.scalars(
        select(Term)
        .where(Term.region_id.in_(region_ids), Term.published_at.is_(None))
        .order_by(Term.starts_on.desc(), Term.id.desc())
    ):
        drafts.setdefault(term.region_id, term)
    regions = session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.name))
    steps = [
        FirstSteps(
            region=region,
            routes=region.id in with_routes,
            classes=region.id in with_classes,
            nights=region.id in with_nights,
            people=region.id in with_people,
            published=region.id in published,
            draft=drafts.get(region.id),
        )
        for region in regions
    ]
    return [step for step in steps if not step.taken]
