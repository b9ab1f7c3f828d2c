from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from natteravn.web import Form


class AuditFilter(Form):
    """Read from the query string; a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    action = SelectField(_l("What was done"), default="")
    object_type = SelectField(_l("Kind of thing"), default="")
    object_id = IntegerField(
        _l("Number of the thing (optional)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Write a number, or leave it empty."))],
        render_kw={"inputmode": "numeric"},
    )
