"""Forms for the coordinator's terms, nights and roster."""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from natteravn.i18n import WEEKDAYS
from natteravn.roster.broadcasts import TEXT_LIMIT
from natteravn.roster.terms import NotCopied
from natteravn.web import CheckboxesField, ClockField, Form, at_most, choices, chosen_id, written


class TermForm(Form):
    region_id = SelectField(_l("Region"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    signup_opens_at = DateTimeLocalField(_l("Sign-up opens"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    signup_closes_at = DateTimeLocalField(
        _l("Sign-up closes (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    nights_cap = IntegerField(
        _l("Most nights per person (empty: the region's)"), validators=[Optional(), NumberRange(min=1, max=50)]
    )
    submit = SubmitField(_l("Save term"))


class NotADate(ValueError):
    """A word in a list of dates that is no date, or (`outside`) a day and month the term does not have."""

    def __init__(self, word: str, *, outside: bool = False):
        super().__init__(word)
        self.word, self.outside = word, outside


#: A date as people write it: 24.12.2026, 24/12/2026, or without the year (24.12, 24/12, 24.12.).
_WRITTEN_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{4})|\.?)")


def parse_dates(text: str, within: tuple[date, date] | None = None) -> list[date]:
    """Dates one per line or separated by commas, written 24.12.2026, 24/12/2026 or 2026-12-24. A
    date without its year ("16.5", "16/5") is the day of the term `within` (first and last day)
    with that day and month; a term across New Year has each once."""
    found = []
    for word in re.split(r"[\s,;]+", text or ""):
        if not word:
            continue
        match = _WRITTEN_DATE.fullmatch(word)
        try:
            if match and match.group(3) is None and within is not None:
                found.append(_in_term(word, int(match.group(1)), int(match.group(2)), within))
            elif match and match.group(3) is not None:
                day, month, year = (int(g) for g in match.groups())
                found.append(date(year, month, day))
            else:
                found.append(date.fromisoformat(word))
        except NotADate:
            raise
        except ValueError as error:
            raise NotADate(word) from error
    return found


def _in_term(word: str, day: int, month: int, within: tuple[date, date]) -> date:
    first, last = within
    days = []
    for year in range(first.year, last.year + 1):
        with suppress(ValueError):  # 29 February, in a year without it
            days.append(date(year, month, day))
    if not days:
        raise NotADate(word)
    in_term = [one for one in days if first <= one <= last]
    if not in_term:
        raise NotADate(word, outside=True)
    return in_term[0]


class PatternForm(Form):
    weekdays = CheckboxesField(_l("Weekdays"), coerce=int, choices=choices(WEEKDAYS), default=[4, 5])
    starts_local = ClockField(_l("Starts (local time)"), validators=[InputRequired()])
    ends_local = ClockField(
        _l("Ends (local time; before the start means the next morning)"), validators=[InputRequired()], ending=True
    )
    route_ids = CheckboxesField(_l("Routes"), coerce=int)
    min_walkers = IntegerField(_l("Minimum walkers"), default=3, validators=[InputRequired(), NumberRange(1, 50)])
    max_walkers = IntegerField(_l("Maximum walkers"), default=6, validators=[InputRequired(), NumberRange(1, 50)])
    needs_leader = BooleanField(_l("Needs a group leader"), default=True)
    skip_holidays = BooleanField(_l("Leave out Norway's public holidays"), default=True)
    skip_breaks = BooleanField(_l("Leave out each municipality's school breaks"), default=True)
    skip_dates = TextAreaField(_l("Other dates to skip, for example 24.12.2026, one per line"))
    submit = SubmitField(_l("Save and generate nights"))

    #: The term's first and last day, which a date typed without its year is read within.
    term_days: tuple[date, date] | None = None

    def validate_skip_dates(self, field) -> None:
        try:
            parse_dates(field.data, self.term_days)
        except NotADate as error:
            first, last = self.term_days or (date(2026, 12, 24), date(2026, 12, 24))
            if error.outside:
                raise ValidationError(
                    _l(
                        "“%(word)s” is not a day of the term (%(first)s–%(last)s).",
                        word=error.word,
                        first=written(first, "date"),
                        last=written(last, "date"),
                    )
                ) from error
            raise ValidationError(
                _l("“%(word)s” is not a date. Write it like %(example)s.", word=error.word, example=f"{first:%d.%m.%Y}")
            ) from error


class BreakForm(Form):
    name = StringField(_l("Name of the break"), validators=[DataRequired(), Length(max=80)])
    first_day = DateField(_l("First day off"), validators=[InputRequired()])
    last_day = DateField(_l("Last day off"), validators=[InputRequired()])
    municipality_ids = CheckboxesField(_l("In the municipalities"), coerce=int)
    submit = SubmitField(_l("Add the break"))


class CopyTermForm(TermForm):
    """The new term's name and dates; everything else comes from the term copied."""

    # Choices: the copied term's nights beside its patterns (`terms.nights_beside_patterns`).
    nights_beside = CheckboxesField(coerce=int)
    preview = SubmitField(_l("Show what the copy makes"))
    submit = SubmitField(_l("Make the new term"))


class ClassWeekendForm(Form):
    school_class_id = SelectField(_l("School class"), coerce=int)
    weekend_on = SelectField(_l("Weekend"))
    submit = SubmitField(_l("Give the weekend"))


class SearchForm(Form):
    """Read from the query string; a search changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Find a person by name or phone number"), validators=[Optional(), Length(max=80)])


class GridFilter(Form):
    class Meta:
        csrf = False

    municipality = SelectField(_l("Municipality"), coerce=int, validators=[Optional()])
    gaps = BooleanField(_l("Only nights that still need people"))


class AssignForm(Form):
    person_id = HiddenField(validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=choices([("walker", _l("Walker")), ("leader", _l("Group leader"))]))


class SignupForm(Form):
    signup_id = HiddenField(validators=[InputRequired()])
    # Taking someone off a night asks first: the button sits beside the next person's, and the
    # person removed is told by SMS at once.
    confirmed = HiddenField()


class MovePersonForm(Form):
    signup_id = HiddenField(validators=[InputRequired()])
    to_shift_id = SelectField(_l("Move to night"), coerce=int)


class AddNightForm(Form):
    """One night beside the patterns, such as a peak night."""

    route_id = SelectField(_l("Route"), coerce=chosen_id, validators=[DataRequired(_l("Choose a route."))])
    day = DateField(_l("Date"), validators=[InputRequired()])
    starts_local = ClockField(_l("Starts"), validators=[InputRequired()])
    ends_local = ClockField(_l("Ends"), validators=[InputRequired()], ending=True)
    min_walkers = IntegerField(_l("Minimum walkers"), default=3, validators=[InputRequired(), NumberRange(1, 50)])
    max_walkers = IntegerField(_l("Maximum walkers"), default=6, validators=[InputRequired(), NumberRange(1, 50)])
    needs_leader = BooleanField(_l("Needs a group leader"), default=True)
    note = TextAreaField(_l("Note for the walkers"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add the night"))


class NightForm(Form):
    day = DateField(_l("Date"), validators=[InputRequired()])
    starts_local = ClockField(_l("Starts"), validators=[InputRequired()])
    ends_local = ClockField(_l("Ends"), validators=[InputRequired()], ending=True)
    min_walkers = IntegerField(_l("Minimum walkers"), validators=[InputRequired(), NumberRange(1, 50)])
    max_walkers = IntegerField(_l("Maximum walkers"), validators=[InputRequired(), NumberRange(1, 50)])
    needs_leader = BooleanField(_l("Needs a group leader"))
    note = TextAreaField(_l("Note for the walkers"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save the night"))


class CancelNightForm(Form):
    # Required: the people on the night read it in the SMS, and parents ask why.
    reason = StringField(
        _l("Reason (sent to the people on the night)"),
        validators=[
            DataRequired(message=_l("Write why the night is cancelled: the reason is sent to the people on it.")),
            at_most(100),
        ],
    )
    previewed = HiddenField()  # the night and reason whose messages the coordinator has seen
    preview = SubmitField(_l("Preview the SMS"))
    submit = SubmitField(_l("Cancel the night"))


class CancelNightsForm(Form):
    weekend = SelectField(_l("Weekend"))
    municipality = SelectField(_l("Municipality"), coerce=int)
    # Required, as for one night: the people on them read it in the SMS.
    reason = StringField(
        _l("Reason (sent to the people on the nights)"),
        validators=[
            DataRequired(message=_l("Write why the nights are cancelled: the reason is sent to the people on them.")),
            at_most(100),
        ],
    )
    previewed = HiddenField()  # what the preview showed: weekend, municipality and reason
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Cancel these nights"))


class MessageForm(Form):
    # The first choice is none ("Choose who gets it…"): nobody is written to by default.
    to = SelectField(_l("To"), validators=[DataRequired(message=_l("Choose who gets the message."))])
    text = TextAreaField(
        _l("Message"), validators=[DataRequired(message=_l("Write the message.")), at_most(TEXT_LIMIT)]
    )
    previewed = HiddenField()  # what the preview showed: the audience and the text
    token = HiddenField()  # the preview's, so that sending it twice sends once
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))


#: Why copying a term leaves out one of its nights beside the patterns.
NOT_COPIED = {
    NotCopied.NO_SUCH_DATE: _l("not copied: the new term does not have that date"),
    NotCopied.NIGHT_THERE: _l("not copied: the route has a night that day already"),
    NotCopied.ROUTE_CLOSED: _l("not copied: the route is closed"),
}
