"""Languages. Pages use Flask-Babel; services that write text for a person who is not the
one making the request (an SMS) load that person's catalogue directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from babel.dates import format_date
from babel.lists import format_list
from babel.support import NullTranslations, Translations
from flask_babel import lazy_gettext as _l

LOCALES = ("nb", "nn", "en")
LOCALE_NAMES = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "en": "English"}
RIGHT_TO_LEFT = {"ar", "fa", "he", "ur"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
# Python's numbering (Monday is 0), as `date.weekday()` and the stored weekday lists use.
WEEKDAYS = (
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
)


#: How each language writes dates and times (Babel patterns). Norwegian puts a full stop after the
#: day of the month ("lørdag 12. desember"), English does not ("Saturday 12 December"); clocks run
#: 24 hours in all three.
DATE_PATTERNS = {
    "nb": {
        "day": "EEEE d. MMMM",
        "short_day": "EEE d.M.",
        "when": "EEE d. MMM HH:mm",
        "date": "d.M.y",
        "weekday_date": "EEE d.M.y",
        "weekday_day": "EEE d.",
        "weekday_day_month": "EEE d. MMMM",
    },
    "nn": {
        "day": "EEEE d. MMMM",
        "short_day": "EEE d.M.",
        "when": "EEE d. MMM HH:mm",
        "date": "d.M.y",
        "weekday_date": "EEE d.M.y",
        "weekday_day": "EEE d.",
        "weekday_day_month": "EEE d. MMMM",
    },
    "en": {
        "day": "EEEE d MMMM",
        "short_day": "EEE d MMM",
        "when": "EEE d MMM HH:mm",
        "date": "d MMM y",
        "weekday_date": "EEE d MMM y",
        "weekday_day": "EEE d",
        "weekday_day_month": "EEE d MMMM",
    },
}
CLOCK_PATTERN = "HH:mm"


def days_written(days: list[date], locale: str) -> str:
    """Days in order, each by weekday and day of the month, the month named once after the last
    day of it, as a reader says a weekend's nights: "fre. 12. og lør. 13. mars", "Fri 30 April
    and Sat 1 May". Written in `locale` (not the page's): for a message to someone else."""
    patterns = DATE_PATTERNS.get(locale, DATE_PATTERNS[LOCALES[0]])
    locale = locale if locale in DATE_PATTERNS else LOCALES[0]
    written = [
        format_date(
            day,
            patterns["weekday_day_month" if later is None or later.month != day.month else "weekday_day"],
            locale=locale,
        )
        for day, later in zip(days, [*days[1:], None], strict=True)
    ]
    return format_list(written, locale=locale)


@cache
def translations(locale: str) -> NullTranslations:
    if locale not in LOCALES:
        locale = LOCALES[0]
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


#: Æ, Ø and Å after Z, in that order, as a Norwegian reader looks for them: "{", "|" and "}" are the
#: characters after "z".
_NORWEGIAN_LAST = str.maketrans({"æ": "{", "ø": "|", "å": "}"})


def alphabetical(text: str) -> str:
    """A sort key for Norwegian alphabetical order: case aside, Æ, Ø and Å after Z, and aa as å,
    as the old spelling many names keep is sorted (Aasen after Åse). The order PostgreSQL's
    Norwegian collation gives (`db.in_norwegian_order`), for lists sorted here and on SQLite."""
    return text.casefold().replace("aa", "å").translate(_NORWEGIAN_LAST)


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in RIGHT_TO_LEFT else "ltr"


def N_(msgid: str) -> str:
    """Marks a message for the catalogues where it is written; it is translated where shown."""
    return msgid


class Refusal(Exception):
    """A rule said no. Carries an untranslated message and its parameters so the page (or SMS)
    can say it in the reader's language. `field` names the input it is about, for a form to show
    it beside that field rather than above the form."""

    def __init__(self, msgid: str, *, field: str | None = None, **params):
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        self.field = field

    def translated(self, gettext) -> str:
        text = gettext(self.msgid)
        return text % self.params if self.params else text

    def each(self) -> list[Refusal]:
        """The refusals this one stands for: itself, or several (`Refusals`)."""
        return [self]


class Refusals(Refusal):
    """Several rules said no to one form at once, each about its own field, so that all of it is
    put right in one go. Where one refusal is read, it reads as the first."""

    def __init__(self, refusals: list[Refusal]):
        first = refusals[0]
        super().__init__(first.msgid, field=first.field, **first.params)
        self.refusals = refusals

    def each(self) -> list[Refusal]:
        return self.refusals


T = TypeVar("T")


class Checks:
    """Runs several rules, each on its own input, and refuses once with everything they said no to."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    def run(self, rule: Callable[..., T], *args: Any) -> T | None:
        """The rule's answer, or None when it said no (kept for `done`)."""
        try:
            return rule(*args)
        except Refusal as refusal:
            self.refusals.append(refusal)
            return None

    def done(self) -> None:
        """Refuse with what was said no to: the one refusal as it is, several together."""
        if len(self.refusals) == 1:
            raise self.refusals[0]
        if self.refusals:
            raise Refusals(self.refusals)
