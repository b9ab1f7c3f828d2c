"""Time for people is Europe/Oslo; time in the database is UTC.

Services take `now` as an argument; the app holds one clock (`app.config["CLOCK"]`)
so tests hand in a fixed one instead of patching time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
UTC = UTC


def system_now() -> datetime:
    return datetime.now(UTC)


def local(moment: datetime, tz: ZoneInfo = OSLO) -> datetime:
    """An aware UTC moment as wall-clock time in Oslo."""
    return moment.astimezone(tz)


def at_local(day: date, wall: time, tz: ZoneInfo = OSLO) -> datetime:
    """The UTC moment when Oslo's clocks show `wall` on `day`.

    In the autumn hour that happens twice the first (summer-time) occurrence wins; in the
    spring hour that never happens the clock is read as if it had not yet jumped, which
    lands an hour later (02:30 is 03:30 summer time) — what a person setting an alarm would expect.
    `fold=0` says both (PEP 495): the offset in force before the change.
    """
    return datetime.combine(day, wall.replace(fold=0), tzinfo=tz).astimezone(UTC)


def weekend_of(day: date) -> tuple[int, int]:
    """The key nights are grouped into weekends by: (ISO year, ISO week), which Friday and
    Saturday share."""
    year, week, _ = day.isocalendar()
    return year, week


def night_span(day: date, start: time, end: time, tz: ZoneInfo = OSLO) -> tuple[datetime, datetime]:
    """Start and end in UTC of a night that starts on `day`; an end at or before the start is
    on the next day (22:00–01:00)."""
    end_day = day + timedelta(days=1) if end <= start else day
    return at_local(day, start, tz), at_local(end_day, end, tz)


def month_span(moment: datetime, tz: ZoneInfo = OSLO) -> tuple[datetime, datetime]:
    """Start and end in UTC of the calendar month `moment` falls in, on Oslo's calendar."""
    first = local(moment, tz).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return at_local(first, time(0), tz), at_local(following, time(0), tz)
