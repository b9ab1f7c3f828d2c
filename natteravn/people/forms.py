from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from natteravn.accounts.forms import mobile_number_field
from natteravn.i18n import LOCALE_NAMES, LOCALES
from natteravn.people import importing
from natteravn.people import service as people
from natteravn.web import Form, at_most, choices

ROLE_NAMES = {
    people.RoleFilter.WALKER: _l("Walkers"),
    people.RoleFilter.LEADER: _l("Group leaders"),
    people.RoleFilter.COORDINATOR: _l("Coordinators"),
}
ACTIVITY_NAMES = {people.Activity.ACTIVE: _l("Active"), people.Activity.DEACTIVATED: _l("Deactivated")}
ORDER_NAMES = {
    people.Order.NAME: _l("Name"),
    people.Order.WALKED: _l("Most nights walked"),
    people.Order.NO_SHOWS: _l("Most no-shows"),
}
CHANGE_NAMES = {
    importing.Change.NEW: _l("New"),
    importing.Change.UPDATED: _l("Already registered: updated"),
    importing.Change.UNCHANGED: _l("Already registered: no change"),
}
FIELD_NAMES = {"name": _l("name"), "municipality": _l("municipality"), "school_class": _l("school class")}


class PeopleFilter(Form):
    """Read from the query string; a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or phone number"), validators=[at_most(100)], render_kw={"type": "search"})
    municipality = SelectField(_l("Municipality"), coerce=int, default=0)
    role = SelectField(
        _l("Role"),
        choices=choices(ROLE_NAMES.items(), first=("", _l("All"))),
        default="",
    )
    activity = SelectField(
        _l("Activity"),
        choices=choices(ACTIVITY_NAMES.items(), first=("", _l("All"))),
        default="",
    )
    order = SelectField(
        _l("Sort by"),
        choices=choices(ORDER_NAMES.items()),
        default=people.Order.NAME.value,
    )


class ImportForm(Form):
    file = FileField(_l("Spreadsheet (CSV file)"), validators=[FileRequired(message=_l("Choose a CSV file."))])
    submit = SubmitField(_l("Check the file"))


class ImportStepForm(Form):
    """A step that carries the checked file on: choosing its columns, confirming the import. Its
    CSRF token is tied to the session and does not expire by itself, as a long list may take a
    while to read through; the form checks it, not the app before the view, so that a refused step
    can say why on the import page."""

    class Meta:
        csrf_time_limit = None

    # As long as any file the upload accepts: the app's limit for a typed text would cut a
    # school's list off after a dozen rows.
    text = HiddenField(
        validators=[
            DataRequired(message=_l("The file did not come back with the form. Choose it again.")),
            Length(max=importing.MAX_RETURNED_TEXT, message=_l(importing.TOO_LARGE)),
        ]
    )


class ConfirmImportForm(ImportStepForm):
    mapping = HiddenField()
    #: How many errors the preview showed, when the coordinator imports the rest without them.
    leaving_out = IntegerField(widget=HiddenInput(), default=0, validators=[Optional(), NumberRange(min=0)])
    submit = SubmitField(_l("Import these people"))


class PersonForm(Form):
    """One person added by hand; what is wrong beyond a missing answer the service says (`people.adding`)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Write their name.")), at_most(importing.NAME_LIMIT)],
        render_kw={"autocomplete": "off"},
    )
    phone = mobile_number_field(_l("Write their mobile number."), autocomplete="off")
    # Checked against the coordinator's municipalities by the service: a crafted value gets a sentence.
    municipality = SelectField(_l("Municipality"), coerce=int, default=0, validate_choice=False)
    # Ticked in groups by school (templates/accounts/_classes.html).
    school_classes = SelectMultipleField(
        _l("Their children's school classes (optional)"), coerce=int, default=[], validate_choice=False
    )
    locale = SelectField(_l("Language"), choices=choices(LOCALE_NAMES.items()), default=LOCALES[0])
    submit = SubmitField(_l("Add the person"))


class DeclineForm(Form):
    reason = StringField(
        _l("Why (kept in the audit log)"),
        validators=[DataRequired(message=_l("Write why you decline, for the audit log.")), Length(max=200)],
    )
    submit = SubmitField(_l("Decline"))


COLUMN_LABELS = {
    "name": _l("Name"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "phone": _l("Mobile number"),
    # A school's list with two parents a row.
    "name_2": _l("Second parent's name"),
    "first_name_2": _l("Second parent's first name"),
    "last_name_2": _l("Second parent's last name"),
    "phone_2": _l("Second parent's mobile number"),
    "municipality": _l("Municipality"),
    "school_class": _l("School class"),
}
#: A column the file does not have.
NO_COLUMN = -1


class ColumnsForm(ImportStepForm):
    """Which column of the file holds what."""

    municipality_id = SelectField(_l("Everyone in the file lives in"), coerce=int, default=0)
    school_class_id = SelectField(_l("Everyone's child is in"), coerce=int, default=0)
    submit = SubmitField(_l("Use these columns"))


for _name, _label in COLUMN_LABELS.items():
    setattr(ColumnsForm, f"column_{_name}", SelectField(_label, coerce=int, default=NO_COLUMN))
