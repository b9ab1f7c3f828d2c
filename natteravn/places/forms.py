from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from natteravn.i18n import WEEKDAYS
from natteravn.places.models import Registration
from natteravn.places.service import LARGEST_BUDGET
from natteravn.web import ClockField, Form, choices

REGISTRATION_NAMES = {
    Registration.APPROVAL: _l("A coordinator approves each new person before they can sign up"),
    Registration.OPEN: _l("Anyone who logs in and accepts the code of conduct can sign up at once"),
}


def _number(label, low: int, high: int, message):
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Write a whole number.")),
            NumberRange(min=low, max=high, message=message),
        ],
        render_kw={"inputmode": "numeric"},
    )


def _clock(label):
    return ClockField(label, validators=[InputRequired(message=_l("Write a time like 18:00."))])


class RegionForm(Form):
    name = StringField(
        _l("Name of the region"),
        validators=[DataRequired(message=_l("Write the region's name.")), Length(max=120)],
    )
    nights_per_term_cap = _number(
        _l("Most nights per person and term"), 1, 50, _l("Write a number from %(min)s to %(max)s.")
    )
    cancel_cutoff_hours = _number(
        _l("Parents may cancel until this many hours before the night"),
        0,
        168,
        _l("Write a number of hours from %(min)s to %(max)s."),
    )
    offer_hours = _number(
        _l("Hours to accept a place offered from the waitlist"), 1, 72, _l("Write a number from %(min)s to %(max)s.")
    )
    phones_visible_days = _number(
        _l("Days before the night that its walkers see each other's phone numbers"),
        1,
        14,
        _l("Write a number from %(min)s to %(max)s."),
    )
    leader_place_days = _number(
        _l("Keep the last place for a group leader until this many days before the night (0: keep none)"),
        0,
        60,
        _l("Write a number from %(min)s to %(max)s."),
    )
    reminder_before_days = _number(
        _l("Days before the night for the early reminder"), 1, 14, _l("Write a number from %(min)s to %(max)s.")
    )
    reminder_before_at = _clock(_l("Time of the early reminder"))
    reminder_day_at = _clock(_l("Time of the reminder on the day"))
    report_request_at = _clock(_l("Time to ask the group leader for the report, the day after"))
    quiet_from = _clock(_l("No SMS from"))
    quiet_until = _clock(_l("No SMS until"))
    call_weekday = SelectField(_l("Weekday of the call for walkers"), choices=choices(WEEKDAYS), coerce=int)
    call_at = _clock(_l("Time of the call for walkers"))
    registration = SelectField(_l("Who may join"), choices=choices(REGISTRATION_NAMES.items()), coerce=Registration)
    sms_budget_nok = IntegerField(
        _l("Monthly SMS budget in kroner (optional)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=LARGEST_BUDGET, message=_l("Write a number from %(min)s to %(max)s.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Save settings"))


class NameForm(Form):
    """A municipality, a school or a school class: all they have is a name."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Write a name.")), Length(max=120)])
    submit = SubmitField(_l("Save"))


class RouteForm(Form):
    name = StringField(
        _l("Name of the route"), validators=[DataRequired(message=_l("Write the route's name.")), Length(max=120)]
    )
    meeting_point = StringField(
        _l("Meeting point"),
        validators=[DataRequired(message=_l("Write where the walkers meet.")), Length(max=200)],
    )
    notes = TextAreaField(_l("Notes for the walkers (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))
