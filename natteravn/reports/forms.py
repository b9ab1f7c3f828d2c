from __future__ import annotations

import secrets

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from natteravn.reports.council import ASSESSMENT_LIMIT
from natteravn.reports.models import IncidentCategory
from natteravn.reports.writing import LONGEST_WALK, walk_length
from natteravn.web import CheckboxesField, ClockField, Form, at_most, choices

CATEGORY_LABELS = {
    IncidentCategory.INTOXICATION: _l("Intoxication"),
    IncidentCategory.DRUGS: _l("Drugs"),
    IncidentCategory.VIOLENCE: _l("Violence or arranged fights"),
    IncidentCategory.VANDALISM: _l("Vandalism"),
    IncidentCategory.BULLYING: _l("Bullying or harassment"),
    IncidentCategory.HELPED: _l("Someone helped or escorted"),
    IncidentCategory.WORRY_ABUSE: _l("Serious worry: abuse"),
    IncidentCategory.WORRY_NEGLECT: _l("Serious worry: neglect"),
    IncidentCategory.WORRY_SOCIAL_CONTROL: _l("Serious worry: negative social control"),
    IncidentCategory.WORRY_RADICALISATION: _l("Serious worry: radicalisation"),
    IncidentCategory.WORRY_SUICIDE: _l("Serious worry: suicide risk"),
    IncidentCategory.OTHER: _l("Other"),
}
AGE_BAND_LABELS = {
    "youths_under_13": _l("Under 13"),
    "youths_13_15": _l("13–15"),
    "youths_16_17": _l("16–17"),
    "youths_18_plus": _l("18 and over"),
}


def _count(label):
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=0, max=10000, message=_l("Write a number, 0 or more."))],
        render_kw={"inputmode": "numeric", "min": 0},
    )


class ReportPageForm(Form):
    """The forms of a night's logbook and report. A report is often finished the morning after on a
    phone left open overnight: the CSRF token is tied to the session and does not expire by itself."""

    class Meta:
        csrf_time_limit = None


class IncidentFields(ReportPageForm):
    """An incident's fields. The browser fills them again on Back, as it does the rest of the page, so
    nothing typed is lost: sent again, the same form adds nothing twice (`entry`), and what reads the
    same as an incident already added is asked about first (writing.save_report)."""

    category = SelectField(
        _l("Category"),
        choices=choices(((c.value, label) for c, label in CATEGORY_LABELS.items()), first=("", _l("Choose…"))),
    )
    # Not "off" as a clock's field is elsewhere: the time typed comes back on Back with the rest.
    around = ClockField(_l("About what time"), validators=[Optional()], render_kw={"autocomplete": "on"})
    place = StringField(_l("Place"), validators=[Optional(), at_most(200)])
    police_contacted = BooleanField(_l("Police contacted"))
    health_contacted = BooleanField(_l("Health services contacted"))
    child_welfare_contacted = BooleanField(_l("Child welfare services contacted"))
    description = TextAreaField(_l("What happened (no names, no descriptions of persons)"))


class IncidentForm(IncidentFields):
    save = SubmitField(_l("Save the incident"))


class ReportForm(IncidentFields):
    """The whole report and one new incident: every button saves everything typed."""

    started = ClockField(_l("Walk started"), validators=[Optional()])
    ended = ClockField(_l("Walk ended"), validators=[Optional()], ending=True)

    def validate_ended(self, field) -> None:
        if self.started.data is None or field.data is None:
            return
        length = walk_length(self.started.data, field.data)
        if length > LONGEST_WALK:
            hours = round(length.total_seconds() / 3600)
            raise ValidationError(gettext("The walk would last %(hours)d hours. Check the times.", hours=hours))

    places_visited = TextAreaField(_l("Route and places visited"))
    weather = StringField(_l("Weather"), validators=[at_most(200)])
    youths_under_13 = _count(AGE_BAND_LABELS["youths_under_13"])
    youths_13_15 = _count(AGE_BAND_LABELS["youths_13_15"])
    youths_16_17 = _count(AGE_BAND_LABELS["youths_16_17"])
    youths_18_plus = _count(AGE_BAND_LABELS["youths_18_plus"])
    atmosphere = TextAreaField(_l("General atmosphere"))
    # The version this copy was opened at: a newer one saved by someone else is not overwritten.
    based_on = IntegerField(widget=HiddenInput(), validators=[Optional()])
    # This form's new incident, once: sent again, it is not added again (writing.IncidentInput.entry).
    entry = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Optional(), at_most(40)])
    save = SubmitField(_l("Save draft"))
    add_incident = SubmitField(_l("Save and add this incident"))
    add_again = SubmitField(_l("Add it as another incident"))  # shown when it reads as one added before
    submit_report = SubmitField(_l("Submit the report"))
    # The way to the logbook from the report: saves what was typed first, as every button here does.
    to_logbook = SubmitField(_l("Logbook: who walked"))


class RemoveIncidentForm(ReportPageForm):
    """The question before an incident is taken out of the report."""

    remove = SubmitField(_l("Yes, remove it"))


class WalkInForm(ReportPageForm):
    # Only to find a volunteer of the region: someone who will not give one is kept by first name.
    phone = StringField(_l("Mobile number, if they give it"), render_kw={"autocomplete": "off", "inputmode": "tel"})
    name = StringField(
        _l("First name"),
        validators=[DataRequired(message=_l("Write the walker's first name.")), at_most(60)],
    )
    adult = BooleanField(_l("The walker is 18 or older"))
    add = SubmitField(_l("Add walker"))


class FilterForm(Form):
    class Meta:
        csrf = False  # a search (GET) changes nothing

    municipality = SelectField(_l("Municipality"), coerce=int, default=0)
    route = SelectField(_l("Route"), coerce=int, default=0)
    first_day = DateField(lazy_pgettext("the first day of a period", "From"), validators=[Optional()])
    last_day = DateField(lazy_pgettext("the last day of a period", "To"), validators=[Optional()])
    category = SelectField(
        _l("Category"),
        choices=choices(((c.value, label) for c, label in CATEGORY_LABELS.items()), first=("", _l("All"))),
        default="",
    )
    contacted = SelectField(
        _l("Contacted"),
        choices=choices(
            [("", _l("Either way")), ("police", _l("Police")), ("child_welfare", _l("Child welfare services"))]
        ),
        default="",
    )

    def validate_last_day(self, field) -> None:
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must be after the first."))


class StatisticsForm(Form):
    class Meta:
        csrf = False

    region = SelectField(_l("Region"), coerce=int)
    # A term's dates instead of typed ones (a link on the page, not a field of the form): the
    # choices are the region's terms; none (0) is the days typed.
    term = SelectField(_l("Term"), coerce=int, default=0, validate_choice=False)
    first_day = DateField(
        lazy_pgettext("the first day of a period", "From"),
        validators=[DataRequired(message=_l("Choose the first day."))],
    )
    last_day = DateField(
        lazy_pgettext("the last day of a period", "To"), validators=[DataRequired(message=_l("Choose the last day."))]
    )
    municipalities = CheckboxesField(_l("Municipalities"), coerce=int)


class AssessmentForm(Form):
    text = TextAreaField(
        _l("Your assessment of the period"),
        validators=[at_most(ASSESSMENT_LIMIT)],
        description=_l("Printed with the report. Write about places and trends, never about a young person."),
    )
    submit = SubmitField(_l("Save the assessment"))


class CouncilLinkForm(Form):
    days = SelectField(_l("The link works for"), coerce=int, default=14)
    submit = SubmitField(_l("Make a link for the council"))


class FollowUpForm(Form):
    note = TextAreaField(_l("Follow-up note"))
    submit = SubmitField(_l("Mark as followed up"))


class LogbookForm(ReportPageForm):
    """Ticks come as `present` values (sign-up ids), one checkbox per person on the night."""

    save = SubmitField(_l("Save the logbook"))
    to_report = SubmitField(_l("Go to the report"))  # saves the logbook first: the report counts its ticks
