"""Regions, municipalities, routes, schools and school classes: the ground floor."""

from __future__ import annotations

import enum
import re
from datetime import date, time

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.db import Base


class Registration(enum.StrEnum):
    """How someone who logs in for the first time becomes one of the region's walkers."""

    OPEN = "open"  # answering the first-time questions is enough
    APPROVAL = "approval"  # a coordinator approves each new person before they walk


def natural_order(name: str) -> tuple:
    """Numbers in a name compared as numbers: class 9B before 10A."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name))


class Region(Base):
    """The arrangement one coordinator runs, with its own rules for nights and messages."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/Oslo")
    nights_per_term_cap: Mapped[int] = mapped_column(Integer, default=2)
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    offer_hours: Mapped[int] = mapped_column(Integer, default=12)
    # Walkers see each other's phone numbers from this many days before their night, not earlier:
    # a place taken weeks ahead must not hand out numbers to someone who cancels the next minute.
    phones_visible_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # On a night that needs a group leader and has none, the last place waits for one until this
    # many days before the night; 0 keeps no place.
    leader_place_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminder_before_days: Mapped[int] = mapped_column(Integer, default=2)
    reminder_before_at: Mapped[time] = mapped_column(Time, default=time(18, 0))
    reminder_day_at: Mapped[time] = mapped_column(Time, default=time(12, 0))
    report_request_at: Mapped[time] = mapped_column(Time, default=time(10, 0))
    quiet_from: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_until: Mapped[time] = mapped_column(Time, default=time(8, 0))
    call_weekday: Mapped[int] = mapped_column(Integer, default=1)  # Monday=0: Tuesday before the night
    call_at: Mapped[time] = mapped_column(Time, default=time(17, 0))
    registration: Mapped[Registration] = mapped_column(
        Enum(Registration, native_enum=False, length=20),
        default=Registration.APPROVAL,
        server_default=Registration.APPROVAL.name,  # stored by name, as every enum column here
    )
    # What the region may spend on SMS in a calendar month, in whole kroner; None: no limit.
    sms_budget_nok: Mapped[int | None] = mapped_column(Integer)

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="region", order_by="Municipality.name")


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    region: Mapped[Region] = relationship(back_populates="municipalities")
    routes: Mapped[list[Route]] = relationship(back_populates="municipality", order_by="Route.name")
    schools: Mapped[list[School]] = relationship(back_populates="municipality", order_by="School.name")
    breaks: Mapped[list[SchoolBreak]] = relationship(
        back_populates="municipality", order_by="SchoolBreak.first_day", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("region_id", "name"),)


class Route(Base):
    """An area walked from a meeting point."""

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    meeting_point: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    municipality: Mapped[Municipality] = relationship(back_populates="routes")


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    municipality: Mapped[Municipality] = relationship(back_populates="schools")
    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school", order_by="SchoolClass.name")


class SchoolClass(Base):
    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))  # "8A"
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    school: Mapped[School] = relationship(back_populates="classes")

    __table_args__ = (UniqueConstraint("school_id", "name"),)

    @property
    def label(self) -> str:
        return f"{self.school.name} {self.name}"

    @property
    def sort_key(self) -> tuple:
        return natural_order(self.name)


class SchoolBreak(Base):
    """A named run of days off school in one municipality (autumn break, winter break, Christmas):
    term pages show it, and generating nights may leave it out."""

    __tablename__ = "school_break"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)

    municipality: Mapped[Municipality] = relationship(back_populates="breaks")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day
