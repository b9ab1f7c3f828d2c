from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from natteravn.accounts.forms import mobile_number_field
from natteravn.places.service import DEFAULT_TIMEZONE, SLUG_MAX_LENGTH
from natteravn.web import Form, at_most


class RegionForm(Form):
    name = StringField(
        _l("Name of the region"),
        validators=[DataRequired(message=_l("Write the region's name.")), at_most(120)],
    )
    slug = StringField(
        _l("Short name"),
        validators=[
            DataRequired(message=_l("Write the region's short name, for example solor.")),
            at_most(SLUG_MAX_LENGTH),
        ],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    timezone = StringField(
        _l("Time zone"),
        default=DEFAULT_TIMEZONE,
        validators=[DataRequired(message=_l("Write a time zone, for example Europe/Oslo.")), at_most(40)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    municipalities = TextAreaField(_l("Municipalities, one per line"), validators=[at_most(5000)])
    submit = SubmitField(_l("Set up the region"))

    def municipality_names(self) -> list[str]:
        return [line for line in (self.municipalities.data or "").splitlines() if line.strip()]


class MunicipalityForm(Form):
    name = StringField(
        _l("Name of the municipality"),
        validators=[DataRequired(message=_l("Write the municipality's name.")), at_most(120)],
    )
    submit = SubmitField(_l("Add the municipality"))


class CoordinatorForm(Form):
    phone = mobile_number_field(_l("Write their mobile number."), autocomplete="off")
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Write their name.")), at_most(120)])
    # Checked against the region by the page: a crafted value gets a sentence, not WTForms' own.
    municipality = SelectField(_l("Coordinator of"), coerce=int, default=0, validate_choice=False)
    submit = SubmitField(_l("Make coordinator"))
