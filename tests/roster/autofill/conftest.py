"""What the tests of asking and of answers start from."""

from __future__ import annotations

import pytest

from tests import factories
from tests.roster.autofill.test_autofill import say_available


@pytest.fixture
def asked_world(world, db, clock):
    """Kari has said when she can walk; Ola (Grue), Lise and the coordinator have not; Nora waits
    for approval, Per is no longer active, and Hamar's people live in another region."""
    say_available(db, world.parent, world.term)
    world.extra["nora"] = factories.person(db, world.asnes, "Nora Ny", clock(), approved=False)
    per = factories.person(db, world.asnes, "Per Passiv", clock())
    per.active = False
    world.extra["hamar"] = factories.other_region(db, clock())
    db.commit()
    return world
