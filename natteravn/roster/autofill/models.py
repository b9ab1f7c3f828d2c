"""What volunteers say they can do, and the drafts auto-fill proposes from it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.accounts.models import Person
from natteravn.db import Base, UTCDateTime
from natteravn.shifts.models import Shift, SignupRole, Term


class Availability(Base):
    """A volunteer's availability for one term."""

    __tablename__ = "availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday=0; nights starting on these days
    dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates they can, beyond the weekdays
    blocked_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates they cannot
    max_nights: Mapped[int] = mapped_column(Integer, default=2)
    wants_to_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    same_weekend_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    # The number they typed for the one they walk with (E.164). It is matched to a volunteer only
    # when auto-fill runs, so saving it tells nobody whether the number belongs to anyone.
    partner_phone: Mapped[str | None] = mapped_column(String(20))
    municipality_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: their own only
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    term: Mapped[Term] = relationship()

    __table_args__ = (UniqueConstraint("person_id", "term_id"),)

    def covers(self, day: date) -> bool:
        iso = day.isoformat()
        if iso in self.blocked_dates:
            return False
        return day.weekday() in self.weekdays or iso in self.dates


class DraftState(enum.StrEnum):
    DRAFT = "draft"
    ACCEPTED = "accepted"
    DISCARDED = "discarded"


class RosterDraft(Base):
    """One run of auto-fill: proposed sign-ups that exist only here until accepted."""

    __tablename__ = "roster_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[DraftState] = mapped_column(Enum(DraftState, native_enum=False, length=20))
    objective: Mapped[int] = mapped_column(Integer)
    bound: Mapped[int] = mapped_column(Integer)
    gap: Mapped[float] = mapped_column(Float)
    optimal: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict] = mapped_column(JSON, default=dict)
    # The same wishes counted in their own units (nights, places, people), for the coordinator to read.
    tally: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{shift_id, walkers_missing, leader_missing, reasons, held}], as `problem.ShortNight`
    short: Mapped[list] = mapped_column(JSON, default=list)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)

    term: Mapped[Term] = relationship()
    assignments: Mapped[list[DraftAssignment]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="DraftAssignment.id"
    )


class DraftAssignment(Base):
    __tablename__ = "draft_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("roster_draft.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[SignupRole] = mapped_column(Enum(SignupRole, native_enum=False, length=20))

    draft: Mapped[RosterDraft] = relationship(back_populates="assignments")
    shift: Mapped[Shift] = relationship()
    person: Mapped[Person] = relationship()


class RosterLock(Base):
    """A cell the coordinator pinned: this person must (or must not) walk this night."""

    __tablename__ = "roster_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    must: Mapped[bool] = mapped_column(Boolean)

    shift: Mapped[Shift] = relationship()
    person: Mapped[Person] = relationship()

    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)


class RegionWeights(Base):
    """A region's own weights for auto-fill's wishes (defaults in roster.autofill.problem.Weights)."""

    __tablename__ = "region_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), unique=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)
