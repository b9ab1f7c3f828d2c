"""What the report tests share."""

import pytest

from natteravn.reports import logbook
from natteravn.shifts.models import SignupState


@pytest.fixture
def walked(db, night):
    """The module's night with its logbook kept, as a report needs before it is submitted: everyone
    on it came."""
    lines = logbook.logbook(db, night)
    for signup in lines:
        signup.state = SignupState.ATTENDED
    db.commit()
    return night
