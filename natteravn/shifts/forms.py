from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField
from wtforms.validators import AnyOf

from natteravn.shifts.models import SignupRole
from natteravn.web import Form


class SignupForm(Form):
    role = HiddenField(default=SignupRole.WALKER.value, validators=[AnyOf([r.value for r in SignupRole])])
    submit = SubmitField(_l("Sign up"))


class OfferForm(Form):
    accept = SubmitField(_l("Yes, I take the place"))
    decline = SubmitField(_l("No, give it to the next"))
