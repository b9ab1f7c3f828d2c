"""Terms, nights (shifts) and sign-ups."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.accounts.models import Person
from natteravn.clock import weekend_of
from natteravn.db import Base, UTCDateTime
from natteravn.places.models import Region, Route, SchoolClass


class Term(Base):
    """A roster period; its nights are hidden from parents until it is published."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    signup_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nights_cap: Mapped[int | None] = mapped_column(Integer)  # None: the region's cap
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    shifts: Mapped[list[Shift]] = relationship(back_populates="term", order_by="Shift.starts_at")

    @property
    def cap(self) -> int:
        return self.nights_cap if self.nights_cap is not None else self.region.nights_per_term_cap


class Shift(Base):
    """One route on one night."""

    __tablename__ = "shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    min_walkers: Mapped[int] = mapped_column(Integer, default=3)
    max_walkers: Mapped[int] = mapped_column(Integer, default=6)
    needs_leader: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The term's pattern that made the night (roster's night_pattern), so that deleting the pattern
    # takes its nights along; None for a night made before this was kept, or whose pattern is gone.
    pattern_id: Mapped[int | None] = mapped_column(ForeignKey("night_pattern.id", ondelete="SET NULL"), index=True)

    term: Mapped[Term] = relationship(back_populates="shifts")
    route: Mapped[Route] = relationship()
    signups: Mapped[list[Signup]] = relationship(back_populates="shift", order_by="Signup.created_at")

    __table_args__ = (
        Index("ix_shift_term_starts", "term_id", "starts_at"),
        Index("ix_shift_route_starts", "route_id", "starts_at"),
        Index("ix_shift_starts_at", "starts_at"),
    )


class SignupRole(enum.StrEnum):
    WALKER = "walker"
    LEADER = "leader"


class SignupState(enum.StrEnum):
    SIGNED_UP = "signed_up"
    CONFIRMED = "confirmed"
    OFFERED = "offered"  # moved up from the waitlist; holds the place until confirmed or expired
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


#: States that hold one of the night's places.
HOLDING = (
    SignupState.SIGNED_UP,
    SignupState.CONFIRMED,
    SignupState.OFFERED,
    SignupState.ATTENDED,
    SignupState.NO_SHOW,
)
#: States in which a person is on the night or waiting for it (one such row per person and night).
LIVE = (*HOLDING, SignupState.WAITLISTED)


class Signup(Base):
    __tablename__ = "signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # Set when the night's leader entered the person as a walk-in by their number: the logbook then
    # shows only their first name.
    walked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    role: Mapped[SignupRole] = mapped_column(Enum(SignupRole, native_enum=False, length=20))
    state: Mapped[SignupState] = mapped_column(Enum(SignupState, native_enum=False, length=20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Waitlist order: when the person joined the list (kept when moved back to the top).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person asked for a stand-in: they stay on the night until someone takes the place.
    standin_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift] = relationship(back_populates="signups")
    person: Mapped[Person] = relationship()

    __table_args__ = (
        # One live sign-up per person and night: a double tap cannot make two.
        Index(
            "uq_signup_live_person_shift",
            "shift_id",
            "person_id",
            unique=True,
            # Enum columns hold the member's name.
            sqlite_where=text("state != 'CANCELLED'"),
            postgresql_where=text("state != 'CANCELLED'"),
        ),
        Index("ix_signup_person_state", "person_id", "state"),
        Index("ix_signup_shift_state", "shift_id", "state"),
    )


def state_in(states: Iterable[SignupState]) -> ColumnElement[bool]:
    """`Signup.state IN (…)` with the states written into the statement rather than passed one
    parameter each. For the statements a sign-up runs under the night's lock: psycopg caches the
    parsing of a statement of at most 50 parameters, and the states alone came to 40."""
    return Signup.state.in_(bindparam("states", list(states), expanding=True, literal_execute=True, unique=True))


class InvitationOutcome(enum.StrEnum):
    OPEN = "open"
    TAKEN = "taken"  # replied JA and got the place
    FULL = "full"  # replied JA after the places were gone
    REFUSED = "refused"  # replied JA but a sign-up rule said no (overlap, cap)
    DECLINED = "declined"  # replied NEI


class Invitation(Base):
    """A volunteer asked by SMS to take a place on a night (a call for walkers or a stand-in).
    Asked once per night, so running the call again texts nobody twice; a JA reply is matched
    to the invitation it answers."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[SignupRole] = mapped_column(Enum(SignupRole, native_enum=False, length=20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[InvitationOutcome] = mapped_column(
        Enum(InvitationOutcome, native_enum=False, length=20), default=InvitationOutcome.OPEN
    )

    shift: Mapped[Shift] = relationship()
    person: Mapped[Person] = relationship()

    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)


class NightChoice(Base):
    """One of the person's nights, listed by number when a NEI could not tell which night it meant
    ("which night?"). Their next answer names it by that number or its date; see shifts.replies."""

    __tablename__ = "night_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    signup_id: Mapped[int] = mapped_column(ForeignKey("signup.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    signup: Mapped[Signup] = relationship()

    __table_args__ = (UniqueConstraint("person_id", "number"),)


class ClassWeekend(Base):
    """A school class given a weekend of a term (klassevakt): its parents are asked to walk then."""

    __tablename__ = "class_weekend"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    weekend_on: Mapped[date] = mapped_column(Date)  # the Friday of the weekend
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    term: Mapped[Term] = relationship()
    school_class: Mapped[SchoolClass] = relationship()

    __table_args__ = (UniqueConstraint("term_id", "school_class_id", "weekend_on"),)

    @property
    def weekend_key(self) -> tuple[int, int]:
        return weekend_of(self.weekend_on)
