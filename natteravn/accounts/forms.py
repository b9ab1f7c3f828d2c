from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, DataRequired, Length

from natteravn.accounts.service import EMAIL_MAX_LENGTH, PHONE_MAX_LENGTH
from natteravn.i18n import LOCALE_NAMES, LOCALES
from natteravn.sms.models import Channel
from natteravn.web import Form, at_most, choices

CHANNEL_NAMES = {Channel.SMS: _l("By SMS"), Channel.EMAIL: _l("By e-mail")}


def mobile_number_field(missing: str, *, autocomplete: str = "tel") -> StringField:
    """A mobile number as people type it. The form checks only that there is one of a sensible
    length; what it is (`accounts.service.normalise_phone`) the service says, in the reader's language.
    `autocomplete="off"` where the number typed is someone else's."""
    return StringField(
        _l("Mobile number"),
        validators=[
            DataRequired(message=missing),
            Length(max=PHONE_MAX_LENGTH, message=_l("That is not a phone number. Write it like 912 34 567.")),
        ],
        render_kw={"autocomplete": autocomplete, "inputmode": "tel"},
    )


class PhoneForm(Form):
    phone = mobile_number_field(_l("Write your mobile number."))
    submit = SubmitField(_l("Send me a code"))


class CodeForm(Form):
    code = StringField(
        _l("Code from the SMS"),
        validators=[
            DataRequired(message=_l("Write the code from the SMS.")),
            Length(max=12, message=_l("The code has six digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Log in"))


class ProfileForm(Form):
    """What is missing or wrong is said by `accounts.service`, for every field at once."""

    name = StringField(
        _l("Your name"),
        validators=[at_most(120)],
        render_kw={"autocomplete": "name"},
    )
    municipality = SelectField(_l("Municipality"), coerce=int, default=0)
    # Ticked in groups by school (templates/accounts/_classes.html).
    school_classes = SelectMultipleField(_l("Your children's school classes (optional)"), coerce=int, default=[])
    locale = SelectField(_l("Language"), choices=choices(LOCALE_NAMES.items()))
    submit = SubmitField(_l("Save"))


class ContactForm(ProfileForm):
    """The profile page: the first-time questions, and how messages reach the person."""

    channel = RadioField(
        _l("Reminders, news and login codes"), choices=choices(CHANNEL_NAMES.items()), default=Channel.SMS.value
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[Length(max=EMAIL_MAX_LENGTH, message=_l("That is not an e-mail address."))],
        render_kw={"autocomplete": "email"},
    )


class WelcomeForm(ProfileForm):
    adult = BooleanField(_l("I am 18 years or older"))
    conduct = BooleanField(_l("I have read and accept the walkers' code of conduct"))
    submit = SubmitField(_l("Start walking"))


class LanguageForm(Form):
    """The language buttons at the foot of every page (templates/base.html)."""

    lang = HiddenField(validators=[AnyOf(LOCALES)])


class ConfirmForm(Form):
    """A form with nothing but its CSRF token, for one-tap actions."""

    submit = SubmitField(_l("Confirm"))
