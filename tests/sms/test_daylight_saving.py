"""Wall-clock times that Oslo skips (spring) or shows twice (autumn), as nights and quiet hours read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from natteravn.clock import at_local, local, night_span
from natteravn.sms.quiet import after_quiet_hours

SPRING_SATURDAY = date(2027, 3, 27)  # clocks jump 02:00 -> 03:00 in the night to Sunday 28.03
AUTUMN_SATURDAY = date(2026, 10, 24)  # clocks fall back 03:00 -> 02:00 in the night to Sunday 25.10


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_night_ending_in_the_skipped_spring_hour_ends_an_hour_later_not_earlier():
    starts, ends = night_span(SPRING_SATURDAY, time(23, 0), time(2, 30))
    assert (starts, ends) == (utc(2027, 3, 27, 22, 0), utc(2027, 3, 28, 1, 30))
    assert local(ends).strftime("%d.%m %H:%M") == "28.03 03:30"
    assert ends - starts == timedelta(hours=3, minutes=30)  # as long as planned: no hour lost


def test_each_skipped_spring_time_lands_an_hour_later():
    sunday = date(2027, 3, 28)
    assert at_local(sunday, time(1, 59)) == utc(2027, 3, 28, 0, 59)
    assert at_local(sunday, time(2, 0)) == utc(2027, 3, 28, 1, 0)  # 03:00 summer time
    assert at_local(sunday, time(2, 30)) == utc(2027, 3, 28, 1, 30)
    assert at_local(sunday, time(3, 0)) == utc(2027, 3, 28, 1, 0)  # the same moment as 02:00


def test_the_autumn_hour_shown_twice_is_read_as_its_first_summer_time_occurrence():
    sunday = date(2026, 10, 25)
    assert at_local(sunday, time(2, 30)) == utc(2026, 10, 25, 0, 30)
    assert local(at_local(sunday, time(2, 30))).utcoffset().total_seconds() == 2 * 3600
    starts, ends = night_span(AUTUMN_SATURDAY, time(23, 0), time(2, 30))
    assert (starts, ends) == (utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 0, 30))


def test_quiet_hours_ending_in_the_skipped_hour_end_after_the_moment_they_hold():
    # 01:30 on the spring night, quiet until 02:30 (which does not exist): held until 03:30 summer time.
    held_until = after_quiet_hours(utc(2027, 3, 28, 0, 30), time(21, 0), time(2, 30))
    assert held_until == utc(2027, 3, 28, 1, 30)
