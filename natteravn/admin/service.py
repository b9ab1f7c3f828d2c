"""What the administrator sees of every region. The changes themselves are the places' and the
people's rules (`places.service`, `people.service`), which the setup commands use too."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.people import service as people
from natteravn.places.models import Municipality, Region


@dataclass
class RegionRow:
    region: Region
    coordinators: list[Role]
    volunteers: int  # active people who live in one of its municipalities


def regions_overview(session: Session) -> list[RegionRow]:
    """Every region with its municipalities, coordinators and number of volunteers, in four queries."""
    regions = session.scalars(select(Region).options(selectinload(Region.municipalities)).order_by(Region.name))
    return _rows(session, list(regions))


def region_overview(session: Session, region: Region) -> RegionRow:
    """One region as the list shows it."""
    (row,) = _rows(session, [region])
    return row


def _rows(session: Session, regions: list[Region]) -> list[RegionRow]:
    ids = {region.id for region in regions}
    coordinators: dict[int | None, list[Role]] = {}
    for role in people.coordinators_of(session, ids):
        coordinators.setdefault(role.region_id, []).append(role)
    counted = session.execute(
        select(Municipality.region_id, func.count(Person.id))
        .join(Person, Person.municipality_id == Municipality.id)
        .where(Person.active.is_(True), Municipality.region_id.in_(ids))
        .group_by(Municipality.region_id)
    )
    volunteers = {region_id: count for region_id, count in counted}
    return [
        RegionRow(region=region, coordinators=coordinators.get(region.id, []), volunteers=volunteers.get(region.id, 0))
        for region in regions
    ]


def region(session: Session, region_id: int) -> Region | None:
    return session.get(Region, region_id)


def municipality_of(region: Region, municipality_id: int) -> Municipality | None:
    return next((m for m in region.municipalities if m.id == municipality_id), None)


def coordinator_role(session: Session, region: Region, role_id: int) -> Role | None:
    """One of the region's coordinator roles, or None."""
    return session.scalar(
        select(Role).where(Role.id == role_id, Role.kind == RoleKind.COORDINATOR, Role.region_id == region.id)
    )
