from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from natteravn.web import Form


class DeleteForm(Form):
    understood = BooleanField(
        _l("I understand that my profile is deleted and I am taken off my coming nights"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete me"))
