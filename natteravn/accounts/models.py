"""People, their roles, login codes and the counters behind rate limits."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    exists,
    false,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from natteravn.db import Base, UTCDateTime
from natteravn.places.models import Municipality, Region, Registration, SchoolClass
from natteravn.sms.models import Channel


class RoleKind(enum.StrEnum):
    LEADER = "leader"  # may sign up as group leader ("ansvarlig")
    COORDINATOR = "coordinator"  # SLT coordinator of a region
    ADMIN = "admin"  # sets up regions and their coordinators for an organisation hosting many; no region


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


#: Swedish and German letters written the Norwegian way, as a Norwegian keyboard types them.
_NORWEGIAN_SPELLING = str.maketrans({"ö": "ø", "ä": "æ"})
#: Ø and å as the old spelling and a keyboard without them write them: Loekken, Haaland.
_SPELT_OUT = {"aa": "å", "oe": "ø"}


def folded(text: str) -> str:
    """Text as name search compares it: case folded and accents dropped (André is andre). Ø and å
    stay letters of their own, and so do their spellings without them: aa is å and oe is ø, as in
    the old spelling many names keep (Aasen is found by "ås", Håland by "haaland", Løkken by
    "loekken"). Æ is written ae, as a keyboard without it writes it ("kjaer" finds Kjær); ae is not
    read as æ the way aa is read as å, since search also lets an e stand for æ (see `found_by`) and
    "mika" would then no longer find Mikael. Done here rather than in SQL so every database agrees:
    SQLite's lower() changes only A to Z, so "ødegård" would never find "Ødegård" there. Stored
    keys follow this rule: changing it needs a migration that folds every name again."""
    kept = []
    for char in " ".join(text.split()).casefold().translate(_NORWEGIAN_SPELLING):
        if char in "æøå":
            kept.append(char)
        else:
            kept.extend(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    key = "".join(kept)
    for spelling, letter in _SPELT_OUT.items():
        key = key.replace(spelling, letter)
    return key.replace("æ", "ae")


def _folded_name(context) -> str:
    """The stored search form for rows inserted without the ORM (bulk loads)."""
    return folded(context.get_current_parameters().get("name") or "")


#: The school classes of a person's children: many parents have two children, in two classes.
person_class = Table(
    "person_class",
    Base.metadata,
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Column("school_class_id", ForeignKey("school_class.id"), primary_key=True, index=True),
)


def first_name(name: str) -> str:
    """What a message calls a person: the first word of their name."""
    return name.split()[0] if name.strip() else ""


def told_apart(names: list[str]) -> list[str]:
    """First names, each with the initial of the last name where others share it ("Linh B.",
    "Linh N."), as the logbook writes a walk-in, or the whole last name where the initial is shared
    too ("Linh Berg", "Linh Bakken"): two Linhs on one night must be told apart."""
    firsts = [first_name(name) for name in names]
    shared = {first for first in firsts if firsts.count(first) > 1}
    initialled = [
        f"{first} {name.split()[-1][0]}." if first in shared and len(name.split()) > 1 else first
        for first, name in zip(firsts, names, strict=True)
    ]
    return [
        f"{first} {name.split()[-1]}" if initialled.count(short) > 1 and len(name.split()) > 1 else short
        for first, short, name in zip(firsts, initialled, names, strict=True)
    ]


class Person(UserMixin, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(120), default="")
    # The name as search compares it (see `folded`), kept up to date whenever the name is set.
    name_key: Mapped[str] = mapped_column(String(120), default=_folded_name)
    locale: Mapped[str] = mapped_column(String(8), default="nb")
    # The language is the default of whoever registered them (an import, a coordinator), not theirs:
    # until they choose one, the language their browser asks for comes first.
    locale_guessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    adult_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conduct_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conduct_version: Mapped[int | None] = mapped_column(Integer)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Accepted as a walker of their municipality's region: by a coordinator, by being imported or put
    # on a night by one, or by joining a region where anyone may walk. Moving to another region by
    # themselves takes it back where that region approves each new person.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # How reminders, news and login codes reach them.
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=10), default=Channel.SMS, server_default=Channel.SMS.name
    )
    # Bumped to log out every session at once and to revoke the calendar feed URL.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    calendar_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()
    school_classes: Mapped[list[SchoolClass]] = relationship(secondary=person_class)
    roles: Mapped[list[Role]] = relationship(back_populates="person", cascade="all, delete-orphan")

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = folded(name or "")
        return name

    def get_id(self) -> str:
        # The version makes "log out everywhere" invalidate every session cookie at once.
        return f"{self.id}:{self.session_version}"

    @property
    def first_name(self) -> str:
        return first_name(self.name)

    @property
    def mail_to(self) -> str | None:
        """The address their messages go to when they chose e-mail; None: they go by SMS."""
        return (self.email or None) if self.channel == Channel.EMAIL else None

    @property
    def school_class_ids(self) -> set[int]:
        return {c.id for c in self.school_classes}

    @property
    def onboarded(self) -> bool:
        return bool(self.name and self.adult_confirmed_at and self.conduct_accepted_at and self.municipality_id)

    @hybrid_property
    def awaiting_approval(self) -> bool:
        """Lives where a coordinator approves each new person, and has not been approved: sees the
        nights but not who walks them, and cannot sign up."""
        return (
            self.approved_at is None
            and self.municipality is not None
            and self.municipality.region.registration == Registration.APPROVAL
        )

    @awaiting_approval.inplace.expression
    @classmethod
    def _awaiting_approval_in_sql(cls) -> ColumnElement[bool]:
        approving = (
            exists()
            .where(Municipality.id == cls.municipality_id, Region.id == Municipality.region_id)
            .where(Region.registration == Registration.APPROVAL)
        )
        return and_(cls.approved_at.is_(None), approving)

    @property
    def coordinator_scope(self) -> Scope:
        places = [
            (r.region_id, r.municipality_id)
            for r in self.roles
            if r.kind == RoleKind.COORDINATOR and r.region_id is not None
        ]
        whole = frozenset(region for region, municipality in places if municipality is None)
        parts = [
            (region, municipality)
            for region, municipality in places
            if municipality is not None and region not in whole
        ]
        return Scope(
            regions=whole,
            municipalities=frozenset(municipality for _region, municipality in parts),
            partial_regions=frozenset(region for region, _municipality in parts),
        )

    @property
    def is_admin(self) -> bool:
        return any(r.kind == RoleKind.ADMIN for r in self.roles)

    def holds(self, kind: RoleKind, region_id: int) -> bool:
        return any(r.kind == kind and r.region_id == region_id for r in self.roles)


class Visitor(AnonymousUserMixin):
    """Someone not logged in: coordinates nothing."""

    coordinator_scope = Scope()
    is_admin = False


class Role(Base):
    """A role in a region, optionally narrowed to one of its municipalities; the administrator's
    role stands above the regions and has none."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoleKind] = mapped_column(Enum(RoleKind, native_enum=False, length=20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))

    person: Mapped[Person] = relationship(back_populates="roles")
    region: Mapped[Region | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "region_id", "municipality_id"),
        # Enums are stored by name. Every role but the administrator's belongs to a region.
        CheckConstraint("(kind = 'ADMIN') = (region_id IS NULL)", name="region_unless_admin"),
    )


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
