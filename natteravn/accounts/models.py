"""People, their roles, login codes and the counters behind rate limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.db import Base, UTCDateTime
from natteravn.places.models import Municipality, Region, SchoolClass


class RoleKind(enum.StrEnum):
    LEADER = "leader"  # may sign up as group leader ("ansvarlig")
    COORDINATOR = "coordinator"  # SLT coordinator of a region


@dataclass(frozen=True)
class Scope:
    """What a coordinator may see and change: whole regions, and single municipalities of regions
    they do not coordinate whole. Region-wide work (terms, publishing, auto-fill, places, the audit
    log, imports) needs the whole region; nights, people, reports and messages need their place."""

    regions: frozenset[int] = frozenset()  # coordinated whole
    municipalities: frozenset[int] = frozenset()  # coordinated alone
    partial_regions: frozenset[int] = frozenset()  # the regions of those municipalities

    def __bool__(self) -> bool:
        return bool(self.regions or self.municipalities)

    @property
    def touched(self) -> frozenset[int]:
        """Every region the coordinator has any part of."""
        return self.regions | self.partial_regions

    def covers(self, region_id: int, municipality_id: int | None) -> bool:
        return region_id in self.regions or (municipality_id is not None and municipality_id in self.municipalities)

    def where(self, region_id: Mapped[int], municipality_id: Mapped[int] | Mapped[int | None]) -> ColumnElement[bool]:
        """The same test in SQL, over a region and a municipality column."""
        if not self:
            return false()
        return or_(region_id.in_(self.regions), municipality_id.in_(self.municipalities))


#: The school classes of a person's children: many parents have two children, in two classes.
person_class = Table(
    "person_class",
    Base.metadata,
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Column("school_class_id", ForeignKey("school_class.id"), primary_key=True, index=True),
)


class Person(UserMixin, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(120), default="")
    locale: Mapped[str] = mapped_column(String(8), default="nb")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    adult_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conduct_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conduct_version: Mapped[int | None] = mapped_column(Integer)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to log out every session at once and to revoke the calendar feed URL.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    calendar_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()
    school_classes: Mapped[list[SchoolClass]] = relationship(secondary=person_class)
    roles: Mapped[list[Role]] = relationship(back_populates="person", cascade="all, delete-orphan")

    def get_id(self) -> str:
        # The version makes "log out everywhere" invalidate every session cookie at once.
        return f"{self.id}:{self.session_version}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def school_class_ids(self) -> set[int]:
        return {c.id for c in self.school_classes}

    @property
    def onboarded(self) -> bool:
        return bool(self.name and self.adult_confirmed_at and self.conduct_accepted_at and self.municipality_id)

    @property
    def coordinator_scope(self) -> Scope:
        roles = [r for r in self.roles if r.kind == RoleKind.COORDINATOR]
        whole = frozenset(r.region_id for r in roles if r.municipality_id is None)
        parts = [r for r in roles if r.municipality_id is not None and r.region_id not in whole]
        return Scope(
            regions=whole,
            municipalities=frozenset(r.municipality_id for r in parts if r.municipality_id is not None),
            partial_regions=frozenset(r.region_id for r in parts),
        )

    def holds(self, kind: RoleKind, region_id: int) -> bool:
        return any(r.kind == kind and r.region_id == region_id for r in self.roles)


class Visitor(AnonymousUserMixin):
    """Someone not logged in: coordinates nothing."""

    coordinator_scope = Scope()


class Role(Base):
    """A role in a region, optionally narrowed to one of its municipalities."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoleKind] = mapped_column(Enum(RoleKind, native_enum=False, length=20))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))

    person: Mapped[Person] = relationship(back_populates="roles")
    region: Mapped[Region] = relationship()

    __table_args__ = (UniqueConstraint("person_id", "kind", "region_id", "municipality_id"),)


class LoginCode(Base):
    """A one-time code sent by SMS; only its hash is kept."""

    __tablename__ = "login_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateEvent(Base):
    """One counted action (a code sent, a code tried) for a key such as a number or a client
    address. Counting rows in the database makes a limit hold across every worker."""

    __tablename__ = "rate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_rate_event_key_at", "key", "at"),)
