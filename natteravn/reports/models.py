"""A night's report, its incidents, and every saved version of it."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.accounts.models import Person
from natteravn.db import Base, UTCDateTime
from natteravn.shifts.models import Shift

#: The report's free-text fields and each incident's: what may identify someone, what redaction
#: searches and what the retention period erases.
TEXT_FIELDS = ("places_visited", "weather", "atmosphere")
INCIDENT_TEXT_FIELDS = ("place", "description")
#: The report's counts of young people met, by age.
AGE_BANDS = ("youths_under_13", "youths_13_15", "youths_16_17", "youths_18_plus")


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class IncidentCategory(enum.StrEnum):
    INTOXICATION = "intoxication"
    DRUGS = "drugs"
    VIOLENCE = "violence"  # including arranged fights
    VANDALISM = "vandalism"
    BULLYING = "bullying"  # or harassment
    HELPED = "helped"  # someone helped or escorted
    WORRY_ABUSE = "worry_abuse"
    WORRY_NEGLECT = "worry_neglect"
    WORRY_SOCIAL_CONTROL = "worry_social_control"
    WORRY_RADICALISATION = "worry_radicalisation"
    WORRY_SUICIDE = "worry_suicide"
    OTHER = "other"


class ShiftReport(Base):
    """One report per night. Region, municipality, route, the night's local date and the walked
    minutes are copied in when saved, so the statistics of what was met are plain aggregates over
    this table and its incidents (what was walked is counted from the logbooks). `walkers` is the
    logbook's count when the report was last saved, shown with it."""

    __tablename__ = "shift_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"))
    night_on: Mapped[date] = mapped_column(Date)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[ReportState] = mapped_column(Enum(ReportState, native_enum=False, length=20))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    walkers: Mapped[int] = mapped_column(Integer, default=0)
    places_visited: Mapped[str] = mapped_column(Text, default="")
    weather: Mapped[str] = mapped_column(String(200), default="")
    # None until the leader gives a count (0 is an answer: nobody of that age was met).
    youths_under_13: Mapped[int | None] = mapped_column(Integer)
    youths_13_15: Mapped[int | None] = mapped_column(Integer)
    youths_16_17: Mapped[int | None] = mapped_column(Integer)
    youths_18_plus: Mapped[int | None] = mapped_column(Integer)
    atmosphere: Mapped[str] = mapped_column(Text, default="")
    # Text that may identify someone, found when saved, for the coordinator to look at.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Flagged passages the leader looked at and confirmed identify nobody: a report is submitted
    # only when each flag is rewritten or confirmed.
    confirmed_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift] = relationship()
    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id])
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Incident.position"
    )
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportVersion.number"
    )

    __table_args__ = (
        Index("ix_shift_report_region_state_night", "region_id", "state", "night_on"),
        # The reports list's order, flagged first and newest next: a page is read off the index.
        Index("ix_shift_report_region_flagged_night", "region_id", "flagged", "night_on", "id"),
        Index("ix_shift_report_municipality_night", "municipality_id", "night_on"),
        Index("ix_shift_report_purge", "purged_at", "night_on"),
    )

    @property
    def youths(self) -> int:
        return sum(getattr(self, band) or 0 for band in AGE_BANDS)

    @property
    def uncounted(self) -> list[str]:
        """The age bands with no count yet (0 is a count)."""
        return [band for band in AGE_BANDS if getattr(self, band) is None]


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("shift_report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # None while the leader has not chosen one: kept with the draft, required to submit.
    category: Mapped[IncidentCategory | None] = mapped_column(Enum(IncidentCategory, native_enum=False, length=30))
    around: Mapped[time | None] = mapped_column(Time)  # local wall-clock time, approximate
    place: Mapped[str] = mapped_column(String(200), default="")
    police_contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    health_contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    child_welfare_contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    # The form it was entered in (see writing.IncidentInput.entry); None for one entered otherwise.
    entry: Mapped[str | None] = mapped_column(String(40))

    report: Mapped[ShiftReport] = relationship(back_populates="incidents")

    __table_args__ = (Index("ix_incident_report_entry", "report_id", "entry", unique=True),)


class WalkIn(Base):
    """Someone who walked the night without being signed up and is not one of the region's
    volunteers (or whose number the leader does not know): kept by the first name the leader wrote,
    so the walkers are counted without looking anyone up."""

    __tablename__ = "walk_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(60), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeptReportInput(Base):
    """What a leader sent to a report page after their session had ended, kept (briefly) so it
    waits for them after they log in again instead of being lost."""

    __tablename__ = "kept_report_input"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    form: Mapped[list] = mapped_column(JSON)  # the posted (name, value) pairs
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ReportVersion(Base):
    """What the report looked like after each save: kept so nothing said is ever silently lost."""

    __tablename__ = "report_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("shift_report.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # draft, submit, correction, redaction; request (a late correction the coordinator may
    # accept), request_accepted, request_dismissed
    reason: Mapped[str] = mapped_column(String(30))
    snapshot: Mapped[dict] = mapped_column(JSON)

    report: Mapped[ShiftReport] = relationship(back_populates="versions")

    __table_args__ = (Index("ix_report_version_report_number", "report_id", "number", unique=True),)


class Assessment(Base):
    """The coordinator's own words on a period, printed with the police-council report of it. One
    per region, period and choice of municipalities (`municipalities` "" for the whole region,
    else their ids as "3,5"), so a municipality's coordinator writes about their own place."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    municipalities: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # Flagged passages the coordinator confirmed identify nobody, as a leader does in a report: the
    # assessment is printed and shared only while each passage the check finds is among them.
    confirmed_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("region_id", "first_day", "last_day", "municipalities"),)
