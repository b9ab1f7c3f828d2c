from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SubmitField
from wtforms.validators import AnyOf

from natteravn.shifts.models import SignupRole
from natteravn.web import Form

#: The day filter's value for any day (0 is Monday).
ANY_DAY = -1


class SignupForm(Form):
    role = HiddenField(default=SignupRole.WALKER.value, validators=[AnyOf([r.value for r in SignupRole])])
    submit = SubmitField(_l("Sign up"))


class OfferForm(Form):
    accept = SubmitField(_l("Yes, I take the place"))
    decline = SubmitField(_l("No, give it to the next"))


class NightsForm(Form):
    """The list of nights narrowed, read from the query string: a filter changes nothing, so it
    carries no CSRF token and works as plain links too."""

    class Meta:
        csrf = False

    municipality = SelectField(_l("Municipality"), coerce=int, default=0)
    route = SelectField(_l("Route"), coerce=int, default=0)
    day = SelectField(_l("Day"), coerce=int, default=ANY_DAY)
    without_leader = BooleanField(_l("Only nights without a group leader"))
    submit = SubmitField(_l("Show the nights"))


class CancelForm(Form):
    """The confirmation step before a place is given back."""

    submit = SubmitField(_l("Yes, cancel my place"))
