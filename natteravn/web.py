"""What views share: the request's database session, the app's clock, SMS gateway and links, and
who may open a page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, wraps
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from babel import Locale, dates
from babel.support import NullTranslations, Translations
from flask import Flask, abort, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter
from wtforms import SelectMultipleField, SubmitField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from natteravn.clock import OSLO
from natteravn.config import price_per_segment
from natteravn.db import CONTROL_CHARACTERS, LARGEST_INTEGER
from natteravn.i18n import CLOCK_PATTERN, DATE_PATTERNS, LOCALES, TRANSLATIONS_DIR, Refusal
from natteravn.links import Links

if TYPE_CHECKING:
    from natteravn.accounts.models import Scope
    from natteravn.sms.gateway import Gateway
    from natteravn.sms.mail import Mailer


class DatabaseId(IntegerConverter):
    """`<int:…>` in an address: a number the database's ids can hold, so a larger one is simply not
    found instead of overflowing the query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_NUMBER)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back whatever a failed request left uncommitted


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions["natteravn.sessions"]


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def abandon_changes() -> None:
    """Roll back whatever the request left unfinished, so an error page can still read (and show
    the menu of) the person it is for."""
    if "db_session" in g:
        g.db_session.rollback()


def page_number() -> int:
    """`?page=` as a page a list can have: at least 1, at most what a database integer holds."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), LARGEST_NUMBER)


def now() -> datetime:
    return current_app.config["CLOCK"]()


def written(value: date | datetime, kind: str) -> str:
    """A date, or a moment in Oslo time, as the page's language writes it (`DATE_PATTERNS`'s kinds,
    or "clock" for the time of day). Babel's own functions, given the page's language once: lists
    write hundreds of these, and Flask-Babel's wrappers look up the language and time zone anew for
    each."""
    locale = get_locale() or Locale.parse(LOCALES[0])
    if isinstance(value, datetime):
        value = value.astimezone(OSLO)
        if kind == "clock":
            return dates.format_time(value, CLOCK_PATTERN, locale=locale)
        if kind == "when":
            return dates.format_datetime(value, _pattern(locale, kind), locale=locale)
    return dates.format_date(value, _pattern(locale, kind), locale=locale)


def _pattern(locale: Locale, kind: str) -> str:
    return DATE_PATTERNS.get(str(locale), DATE_PATTERNS[LOCALES[0]])[kind]


def show_refusal(form, refusal: Refusal) -> None:
    """Why a service said no, beside the field each reason concerns, or above the form."""
    for one in refusal.each():
        if one.field and one.field in form:
            field = form[one.field]
            field.errors = [*field.errors, one.translated(gettext)]  # a form not validated has none yet
        else:
            form.form_errors.append(one.translated(gettext))


def gateway() -> Gateway:
    return current_app.extensions["natteravn.gateway"]


def mailer() -> Mailer:
    return current_app.extensions["natteravn.mailer"]


def sms_price() -> Decimal:
    """What one SMS segment costs, in NOK."""
    return price_per_segment(current_app.config)


def links() -> Links:
    return Links(current_app.config["BASE_URL"], current_app.config["SECRET_KEY"])


def onboarded_required(view):
    """Logged in, with name, age, code of conduct and municipality in place."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.onboarded:
            return redirect(url_for("accounts.welcome", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def coordinator_required(view):
    """Logged in and coordinator of a region or of a municipality in one; which data a page shows
    is checked by the page itself against `coordinated_regions()` (region-wide work) or
    `coordinator_scope()` (a municipality's nights, people, reports and messages): 404 for others."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not coordinator_scope():
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def region_coordinator_required(view):
    """Work on a whole region (its terms, places, audit log, imports): a coordinator of single
    municipalities is refused."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not coordinated_regions():
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Logged in and administrator: sets up regions and their coordinators."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def coordinator_scope() -> Scope:
    """What the person making the request coordinates (nothing for a visitor)."""
    return current_user.coordinator_scope


def coordinated_regions() -> set[int]:
    """The regions the person making the request coordinates whole."""
    return set(coordinator_scope().regions)


def safe_next(default: str) -> str:
    """`?next=` when it is a path on this site, else `default`: never a way to send someone
    elsewhere. Browsers read "/\\evil.example" and "/\\t/evil.example" as "//evil.example", so a
    backslash, whitespace or control character anywhere disqualifies the target too."""
    target = request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        return default
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in target):
        return default
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else default


def chosen_id(value: object) -> int | None:
    """A select field's coerce for ids under a "Choose…" option of value "": nothing chosen is None,
    for the field's InputRequired to say so."""
    return None if value in ("", None) else int(value)  # type: ignore[call-overload]


def choices(pairs: Iterable[tuple[object, str]], *, first: tuple[object, str] | None = None) -> list[SelectChoice]:
    """A select field's options from (value, label) pairs, with `first` ("All", "Choose…") on top."""
    return [SelectChoice(value, label) for value, label in ([first] if first else []) + list(pairs)]


# --- One input policy for every form. ---

#: Limits for fields whose own validators set none: long enough for anything a person types,
#: short enough that nothing absurd reaches the database or a worker's time.
TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20_000
#: The database's integers are 32 bits.
LARGEST_NUMBER = LARGEST_INTEGER
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def at_most(limit: int) -> Length:
    """A length limit that says so in the reader's language."""
    return Length(max=limit, message=lazy_gettext("Shorten this to %(max)d characters."))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes, each label after its box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClockField(TimeField):
    """A time of day on the 24-hour clock, typed as Norwegians write it ("22:00", "22.00" or "2200").
    A text box rather than the browser's time picker, which shows 12-hour times in some languages."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, ending: bool = False, **kwargs):
        # An end may be written 24:00, as Norwegians write the walk 20–24: midnight.
        self.ending = ending
        shown = {
            "inputmode": "numeric",
            "pattern": r"([01]?[0-9]|2[0-3])[:.]?[0-5][0-9]" + (r"|24[:.]?00" if ending else ""),
            "placeholder": "01:00" if ending else "22:00",  # a night's end, past midnight
            "autocomplete": "off",
            "class": "clock",
            **kwargs.pop("render_kw", {}),
        }
        super().__init__(label, validators, format="%H:%M", render_kw=shown, **kwargs)

    def process_formdata(self, valuelist):
        written = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not written:
            return
        if self.ending and _MIDNIGHT.fullmatch(written):
            self.data = time(0, 0)
            return
        match = _CLOCK.fullmatch(written)
        if match is None:
            raise ValueError(gettext("Write the time on the 24-hour clock, like 22:00."))
        self.data = time(int(match["hours"]), int(match["minutes"]))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


_CLOCK = re.compile(r"(?P<hours>[01]?[0-9]|2[0-3])[:.]?(?P<minutes>[0-5][0-9])")
_MIDNIGHT = re.compile(r"24[:.]?00")


class Form(FlaskForm):
    """Every form of the app: control characters are refused with a message, numbers and dates
    are range-checked and text is length-checked wherever the field itself sets no limit, so a
    person is told what to change instead of meeting a server error or silent truncation."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            # Flask-WTF would read WTForms' own catalogue from disk again in every request.
            if not has_request_context():
                return super().get_translations(form)
            return _wtforms_translations(str(get_locale() or LOCALES[0]))

        def bind_field(self, form, unbound_field, options):
            # Several forms on a page each have a "submit" button: ids must stay unique on the page.
            if issubclass(unbound_field.field_class, SubmitField) and "id" not in unbound_field.kwargs:
                options = {
                    **options,
                    "id": f"{options.get('prefix', '')}{type(form).__name__.lower()}-{options['name']}",
                }
            if issubclass(unbound_field.field_class, TextAreaField):
                options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()), _line_breaks_as_typed]}
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field, render_kw):
            # No maxlength: a browser cuts a longer pasted text without a word. The length is
            # checked on the server instead, which says so and keeps the text to shorten.
            return super().render_field(field, {"maxlength": False, **render_kw})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            own = [error for error in field.errors if error not in field.process_errors]
            if field.process_errors and own:
                # What could not be read ("1e9" for a count) in the field's own words, said once,
                # rather than WTForms' "Not a valid integer value" beside them.
                field.errors = own
            problem = _policy_problem(field)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


def _line_breaks_as_typed(text: str | None) -> str | None:
    """A browser sends each line break as two characters (CR LF) and counts it as one: kept as one,
    a text is as long as its writer sees it, and one at the limit with paragraphs is not refused."""
    return text.replace("\r\n", "\n") if text else text


def _policy_problem(field) -> str | None:
    own = {type(v) for v in field.validators}
    data = field.data
    if isinstance(data, str):
        if CONTROL_CHARACTERS.search(data):
            return gettext("Remove the invisible control characters from this text.")
        if Length not in own:
            limit = LONG_TEXT_LIMIT if isinstance(field, TextAreaField) else TEXT_LIMIT
            if len(data) > limit:
                return gettext("Shorten this to %(max)d characters (it has %(length)d).", max=limit, length=len(data))
    numbers = data if isinstance(data, list) else [data]
    if any(isinstance(n, int) and not isinstance(n, bool) and abs(n) > LARGEST_NUMBER for n in numbers):
        return gettext("That number is too large.")
    if isinstance(data, date) and not EARLIEST_YEAR <= data.year <= LATEST_YEAR:
        return gettext("Choose a date between %(first)d and %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR)
    return None


@cache
def _wtforms_translations(locale: str) -> NullTranslations:
    """WTForms' messages ("Not a valid choice") in a language, read once per process: WTForms' own
    catalogue, and ours where WTForms has none (nynorsk: natteravn/translations/nn/LC_MESSAGES/wtforms.po)."""
    theirs = Translations.load(messages_path(), [locale], domain="wtforms")
    ours = Translations.load(str(TRANSLATIONS_DIR), [locale], domain="wtforms")
    if not isinstance(ours, Translations):  # no catalogue of ours for this language
        return theirs
    ours.add_fallback(theirs)
    return ours
