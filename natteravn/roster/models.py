"""How a term's nights are laid out."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from natteravn.db import Base, UTCDateTime
from natteravn.shifts.models import Term


class NightPattern(Base):
    """How a term's nights are laid out (which weekdays, when, where, how many), kept so the
    coordinator can change it and generate again without getting any night twice."""

    __tablename__ = "night_pattern"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday=0: nights starting on these days
    starts_local: Mapped[time] = mapped_column(Time)
    ends_local: Mapped[time] = mapped_column(Time)  # at or before the start: the next morning
    route_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    min_walkers: Mapped[int] = mapped_column(Integer, default=3)
    max_walkers: Mapped[int] = mapped_column(Integer, default=6)
    needs_leader: Mapped[bool] = mapped_column(Boolean, default=True)
    skip_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates: one-off days left out
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True)  # Norway's public holidays
    skip_breaks: Mapped[bool] = mapped_column(Boolean, default=True)  # the route's municipality's school breaks
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    term: Mapped[Term] = relationship()
