from __future__ import annotations

from dataclasses import fields

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from natteravn.roster.autofill.problem import Weights
from natteravn.web import CheckboxesField, Form, choices


class AvailabilityForm(Form):
    weekdays = CheckboxesField(_l("Days I can walk"), coerce=int)
    # Offered up to the term's cap (more for a group leader, `service.most_nights_offered`), and
    # checked against it by the service, which names the cap:
    # a number sent from a page opened before the cap was lowered gets that message, not "Not a
    # valid choice".
    max_nights = SelectField(_l("How many nights at most this term"), coerce=int, default=2, validate_choice=False)
    blocked_dates = CheckboxesField(_l("Dates I cannot walk"))
    dates = CheckboxesField(_l("Other dates I can walk"))
    municipality_ids = CheckboxesField(_l("I can also walk in"), coerce=int)
    wants_to_lead = BooleanField(_l("I can be group leader"))
    same_weekend_ok = BooleanField(_l("I can walk both nights of a weekend"))
    partner_phone = StringField(
        _l("I walk together with (their mobile number, optional)"),
        validators=[Optional()],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Save"))


WEIGHT_LABELS = {
    "short_walker": _l("A missing walker below a night's minimum"),
    "missing_leader": _l("A night without a group leader"),
    "extra_night": _l("Each further night for the same person (fairness)"),
    "other_municipality": _l("Walking outside one's own municipality"),
    "outside_class_weekend": _l("Walking outside one's school class's weekends"),
    "no_experienced": _l("A night with nobody experienced"),
    "repeat_pair": _l("Two people who walked together before, together again"),
    "waitlist_slack": _l("A place filled on a night with people waiting"),
}


class WeightsForm(Form):
    submit = SubmitField(_l("Save weights"))


for _field in fields(Weights):
    setattr(
        WeightsForm,
        _field.name,
        IntegerField(
            WEIGHT_LABELS[_field.name],
            validators=[
                InputRequired(message=_l("Write a whole number.")),
                NumberRange(min=0, max=100_000, message=_l("Write a number from %(min)s to %(max)s.")),
            ],
            render_kw={"inputmode": "numeric"},
        ),
    )


class RunForm(Form):
    submit = SubmitField(_l("Fill the empty places"))


class AcceptForm(Form):
    submit = SubmitField(_l("Accept the draft and sign these people up"))


class LockForm(Form):
    shift_id = IntegerField(validators=[InputRequired()])
    person_id = IntegerField(validators=[InputRequired()])
    must = SelectField(choices=choices((must, must) for must in ("keep", "exclude", "free")))
