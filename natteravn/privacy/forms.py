from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired


class DeleteForm(FlaskForm):
    understood = BooleanField(
        _l("I understand that my profile is deleted and I am taken off my coming nights"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete me"))
