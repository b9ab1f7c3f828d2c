from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import SelectField

from natteravn.sms.models import MessageState, Purpose
from natteravn.web import Form, choices

STATE_NAMES = {
    MessageState.PENDING: _l("Waiting"),
    MessageState.SENDING: _l("Sending"),
    MessageState.SENT: _l("Sent"),
    MessageState.DELIVERED: _l("Delivered"),
    MessageState.FAILED: _l("Failed"),
    MessageState.UNDELIVERED: _l("Not delivered"),
    MessageState.CANCELLED: lazy_pgettext("an SMS withdrawn before it was sent", "Cancelled"),
}
PURPOSE_NAMES = {
    Purpose.OTP: _l("Login code"),
    Purpose.SIGNUP_CONFIRMATION: _l("Sign-up confirmation"),
    Purpose.WAITLISTED: _l("On the waitlist"),
    Purpose.REMINDER_BEFORE: _l("Reminder, days before"),
    Purpose.REMINDER_DAY: _l("Reminder, on the day"),
    Purpose.WAITLIST_PROMOTED: _l("Place offered from waitlist"),
    Purpose.REPORT_REQUEST: _l("Report request"),
    Purpose.ROSTER_PUBLISHED: _l("Roster published"),
    Purpose.CLASS_INVITATION: _l("Invitation to a class's weekend"),
    Purpose.CALL_FOR_WALKERS: _l("Call for walkers"),
    Purpose.SHIFT_CHANGED: _l("Night changed"),
    Purpose.SHIFT_CANCELLED: _l("Night cancelled"),
    Purpose.STANDIN_FOUND: _l("Stand-in found"),
    Purpose.INVITATION: _l("Invitation to join"),
    Purpose.APPROVED: _l("Approved to walk"),
    Purpose.COORDINATOR: _l("Made coordinator"),
    Purpose.OFFER_EXPIRED: _l("Offered place not taken in time"),
    Purpose.REPLY: _l("Answer to an SMS"),
    Purpose.TEST: _l("Test message"),
    Purpose.BROADCAST: _l("Message from the coordinator"),
    Purpose.AVAILABILITY_REQUEST: _l("When can you walk?"),
}


class OutboxFilter(Form):
    """Read from the query string; a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    state = SelectField(
        _l("State"),
        choices=choices(STATE_NAMES.items(), first=("", _l("All"))),
        default="",
    )
    purpose = SelectField(
        _l("Kind of message"),
        choices=choices(PURPOSE_NAMES.items(), first=("", _l("All"))),
        default="",
    )
