"""Nights as iCalendar events, in Oslo time with the time zone spelled out, so a phone's
calendar shows 22:00 on both sides of a daylight-saving change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

from natteravn.clock import OSLO
from natteravn.links import Links
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState


@dataclass(frozen=True)
class Entry:
    """A night in a person's calendar."""

    shift: Shift
    role: SignupRole
    #: Only waiting for a place (the waitlist, or an offer not yet taken): in the calendar as tentative.
    waiting: bool = False


def entry_for(signup: Signup) -> Entry:
    return Entry(signup.shift, signup.role, signup.state in (SignupState.WAITLISTED, SignupState.OFFERED))


def calendar_for(nights: Iterable[Entry], person_id: int, links: Links, now: datetime, name: str, gettext) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Natteravn//natteravn//NB")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Oslo")
    for entry in nights:
        calendar.add_component(_event(entry, person_id, links, now, gettext))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(entry: Entry, person_id: int, links: Links, now: datetime, gettext) -> Event:
    shift = entry.shift
    route = shift.route
    event = Event()
    event.add("uid", f"night-{shift.id}-person-{person_id}@natteravn")
    event.add("dtstamp", now)
    event.add("dtstart", shift.starts_at.astimezone(OSLO))
    event.add("dtend", shift.ends_at.astimezone(OSLO))
    title = gettext("Night walk: %(route)s") % {"route": route.name}
    if entry.role == SignupRole.LEADER:
        title += " (" + gettext("group leader") + ")"
    if entry.waiting:
        title += " (" + gettext("waitlist") + ")"
    event.add("summary", title)
    event.add("location", f"{route.meeting_point}, {route.municipality.name}")
    description = [gettext("Meeting point: %(place)s") % {"place": route.meeting_point}]
    if shift.note:
        description.append(shift.note)
    description.append(links.night(shift.id))
    event.add("description", "\n".join(description))
    event.add("url", links.night(shift.id))
    event.add("status", "CANCELLED" if shift.cancelled_at else "TENTATIVE" if entry.waiting else "CONFIRMED")
    return event
