"""Quiet hours: nobody gets an SMS at night unless they are waiting for it right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from natteravn.clock import OSLO, at_local
from natteravn.sms.models import ASKED_FOR, Purpose

#: News about a night that starts this soon, and has not ended, is news about tonight.
TONIGHT = timedelta(hours=12)


def may_wake(
    purpose: Purpose,
    moment: datetime,
    *,
    own_action: bool = False,
    night: tuple[datetime, datetime] | None = None,
) -> bool:
    """The one rule for what may go out in quiet hours, for a message due at `moment`: a login code
    or the answer to the person's own SMS (what they asked for), the answer to what they did just
    now (`own_action`: the confirmation of a sign-up they made), and news about tonight's night
    (`night`: the start and end of the night the message is about). Everything else waits for the
    morning, however late the coordinator works: an accepted auto-fill, a person put on or moved
    to a night, a place offered on a night next week."""
    if purpose in ASKED_FOR or own_action:
        return True
    return night is not None and night[0] - moment < TONIGHT and moment < night[1]


def in_quiet_hours(moment: datetime, quiet_from: time, quiet_until: time, tz: ZoneInfo = OSLO) -> bool:
    return quiet_at(moment.astimezone(tz).time(), quiet_from, quiet_until)


def quiet_at(wall: time, quiet_from: time, quiet_until: time) -> bool:
    """Whether a time of day falls in the quiet hours."""
    if quiet_from <= quiet_until:  # a window inside one day, e.g. 01:00–06:00
        return quiet_from <= wall < quiet_until
    return wall >= quiet_from or wall < quiet_until


def quiet_length(quiet_from: time, quiet_until: time) -> timedelta:
    """How long the quiet hours last, across midnight or not."""
    minutes = (quiet_until.hour * 60 + quiet_until.minute) - (quiet_from.hour * 60 + quiet_from.minute)
    return timedelta(minutes=minutes % (24 * 60))


def after_quiet_hours(moment: datetime, quiet_from: time, quiet_until: time, tz: ZoneInfo = OSLO) -> datetime:
    """`moment` itself when it is outside quiet hours, else the end of the quiet hours it falls in
    (computed on the local calendar, so a daylight-saving night is no hour off)."""
    if not in_quiet_hours(moment, quiet_from, quiet_until, tz):
        return moment
    day = moment.astimezone(tz).date()
    if moment.astimezone(tz).time() >= quiet_until and quiet_from > quiet_until:
        day += timedelta(days=1)
    return at_local(day, quiet_until, tz)


@dataclass(frozen=True)
class QuietHours:
    """One set of quiet hours: a region's own, or the global setting."""

    quiet_from: time
    quiet_until: time
    tz: ZoneInfo = OSLO

    def cover(self, moment: datetime) -> bool:
        return in_quiet_hours(moment, self.quiet_from, self.quiet_until, self.tz)

    def end_after(self, moment: datetime) -> datetime:
        return after_quiet_hours(moment, self.quiet_from, self.quiet_until, self.tz)

    def awake_after(self, start: datetime, awake: timedelta) -> datetime:
        """A deadline `awake` after `start` that does not run out while people sleep: the part of
        it in the quiet hours it would end in is given back after them (12 hours from 12:44 is
        00:44; with quiet hours 21–08, 3 h 44 min after 08:00)."""
        deadline = start + awake
        if not self.cover(deadline):
            return deadline
        end = self.end_after(deadline)
        asleep = deadline - max(start, end - quiet_length(self.quiet_from, self.quiet_until))
        return end + asleep if asleep > timedelta(0) else deadline  # ending as they begin takes no sleep
