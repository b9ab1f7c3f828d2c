"""Each message keeps the quiet hours of the region it is sent for, as the region's page promises;
a message sent for no region (a login code, a test) keeps the global setting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from natteravn.places import service as places
from natteravn.shifts import service
from natteravn.shifts.models import SignupRole
from natteravn.sms.models import MessageState, Purpose
from natteravn.sms.quiet import QuietHours
from natteravn.sms.service import dispatch_due, enqueue

FRIDAY = date(2026, 11, 27)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def region_hours(db, world, quiet_from: time, quiet_until: time, **more) -> None:
    settings = places.RegionSettings(
        **{**vars(places.RegionSettings.of(world.region)), "quiet_from": quiet_from, "quiet_until": quiet_until, **more}
    )
    places.update_region(db, world.region, settings, world.coordinator, utc(2026, 11, 18, 9, 0))
    db.commit()


def dispatch(app, db, gateway, now: datetime) -> None:
    dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"])


def test_a_reminder_goes_out_at_22_in_a_region_whose_quiet_hours_start_at_23(app, world, db, clock, links, gateway):
    region_hours(db, world, time(23, 0), time(7, 0), reminder_before_at=time(22, 0))
    signup = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    db.commit()
    dispatch(app, db, gateway, clock())  # the confirmation, at once

    dispatch(app, db, gateway, utc(2026, 11, 25, 21, 0))  # Wednesday 22:00: the global quiet hours, not the region's
    assert "Reply JA to confirm" in gateway.sent[-1][1]
    assert signup.person.phone == gateway.sent[-1][0]


def test_a_message_in_the_regions_quiet_hours_waits_for_their_end_not_the_global_one(app, world, db, gateway):
    region_hours(db, world, time(22, 0), time(9, 30))
    early = utc(2026, 11, 19, 7, 30)  # Thursday 08:30: past the global quiet hours, inside the region's
    message = enqueue(
        db,
        to=world.parent.phone,
        body="Påminnelse",
        purpose=Purpose.REMINDER_BEFORE,
        now=early,
        region_id=world.region.id,
    )
    db.commit()
    dispatch(app, db, gateway, early)
    db.refresh(message)
    assert gateway.sent == [] and message.held_until == utc(2026, 11, 19, 8, 30)  # 09:30 in Oslo
    dispatch(app, db, gateway, utc(2026, 11, 19, 8, 30))
    assert gateway.sent == [(world.parent.phone, "Påminnelse")]


def test_a_change_to_the_regions_quiet_hours_applies_to_what_is_still_waiting(app, world, db, gateway):
    evening = utc(2026, 11, 18, 20, 30)  # 21:30 in Oslo
    message = enqueue(
        db,
        to=world.parent.phone,
        body="Påminnelse",
        purpose=Purpose.REMINDER_BEFORE,
        now=evening,
        region_id=world.region.id,
    )
    db.commit()
    region_hours(db, world, time(22, 30), time(7, 0))  # the coordinator moves the evening's start later
    dispatch(app, db, gateway, evening)
    db.refresh(message)
    assert message.state == MessageState.SENT


def test_a_message_for_no_region_keeps_the_global_quiet_hours(app, world, db, gateway):
    region_hours(db, world, time(23, 0), time(7, 0))
    evening = utc(2026, 11, 18, 20, 30)  # 21:30: quiet by the global setting only
    message = enqueue(db, to=world.parent.phone, body="Uten region", purpose=Purpose.REMINDER_BEFORE, now=evening)
    code = enqueue(db, to=world.parent.phone, body="Koden din er 123456", purpose=Purpose.OTP, now=evening)
    db.commit()
    dispatch(app, db, gateway, evening)
    db.refresh(message), db.refresh(code)
    assert message.state == MessageState.PENDING and message.held_until == utc(2026, 11, 19, 7, 0)
    assert code.state == MessageState.SENT  # a login code goes out whatever the hour


@pytest.mark.parametrize(
    ("start", "awake", "deadline"),
    [
        (datetime(2026, 11, 18, 8, 0, tzinfo=UTC), 12, datetime(2026, 11, 18, 20, 0, tzinfo=UTC)),  # 09–21 Oslo
        (datetime(2026, 11, 18, 11, 44, tzinfo=UTC), 12, datetime(2026, 11, 19, 10, 44, tzinfo=UTC)),  # 00:44 → 11:44
        (datetime(2026, 11, 18, 22, 0, tzinfo=UTC), 2, datetime(2026, 11, 19, 9, 0, tzinfo=UTC)),  # all asleep
    ],
)
def test_a_deadline_does_not_run_out_while_people_sleep(start, awake, deadline):
    quiet = QuietHours(time(21, 0), time(8, 0))
    assert quiet.awake_after(start, timedelta(hours=awake)) == deadline


def test_the_outbox_says_a_message_planned_at_night_is_held_before_the_dispatcher_has_been_by(
    app, world, db, login, client
):
    region_hours(db, world, time(22, 0), time(8, 0))
    night = utc(2026, 11, 18, 23, 55)  # 00:55 in Oslo
    enqueue(
        db,
        to=world.parent.phone,
        body="Du står på vakta",
        purpose=Purpose.REMINDER_BEFORE,
        now=night,
        person_id=world.parent.id,
        region_id=world.region.id,
    )
    db.commit()
    app.config["CLOCK"] = lambda: night
    page = login(world.coordinator).get("/coordinator/outbox").text
    assert "held until Thu 19 Nov 08:00" in page
