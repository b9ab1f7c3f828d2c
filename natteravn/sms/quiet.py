"""Quiet hours: nobody gets an SMS at night unless it is about tonight."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from natteravn.clock import OSLO, at_local


def in_quiet_hours(moment: datetime, quiet_from: time, quiet_until: time, tz: ZoneInfo = OSLO) -> bool:
    wall = moment.astimezone(tz).time()
    if quiet_from <= quiet_until:  # a window inside one day, e.g. 01:00–06:00
        return quiet_from <= wall < quiet_until
    return wall >= quiet_from or wall < quiet_until


def after_quiet_hours(moment: datetime, quiet_from: time, quiet_until: time, tz: ZoneInfo = OSLO) -> datetime:
    """`moment` itself when it is outside quiet hours, else the end of the quiet hours it falls in
    (computed on the local calendar, so a daylight-saving night is no hour off)."""
    if not in_quiet_hours(moment, quiet_from, quiet_until, tz):
        return moment
    day = moment.astimezone(tz).date()
    if moment.astimezone(tz).time() >= quiet_until and quiet_from > quiet_until:
        day += timedelta(days=1)
    return at_local(day, quiet_until, tz)
