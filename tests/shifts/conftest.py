"""What the tests of a parent's night share."""

from __future__ import annotations

from datetime import date

import pytest

from natteravn.shifts import service
from natteravn.shifts.models import SignupRole


@pytest.fixture
def full_night(world, db, clock, links):
    """Flisa sentrum on Friday 27 November with three places, all taken: a leader, the parent and
    one more. Returns the night and the parent's sign-up."""
    night = world.night_on("Flisa sentrum", date(2026, 11, 27))
    night.max_walkers = 3
    service.sign_up(db, world.leader, night.id, SignupRole.LEADER, clock(), links)
    mine = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    service.sign_up(db, world.coordinator, night.id, SignupRole.WALKER, clock(), links)
    db.commit()
    return night, mine
