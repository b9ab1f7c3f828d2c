"""Every string a person can see exists in Bokmål and Nynorsk, the app reads what the catalogues
say, and each page tells the browser (and screen readers) which language it is in."""

from __future__ import annotations

import ast
import io
import re
from collections import Counter
from html.parser import HTMLParser
from itertools import groupby
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from natteravn.i18n import text_direction
from tests import pages
from tests.conftest import code_from, last_sms_to, log_in
from tests.pages import every_page

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "natteravn" / "translations"
TRANSLATED = ("nb", "nn")
# The same keywords as `make translations`: Babel's defaults (_, gettext, ngettext, pgettext, N_ …) and
# Flask-Babel's lazy ones.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}


@pytest.fixture(scope="module")
def marked_strings() -> dict[tuple[str, str | None], tuple[str, int]]:
    """Each (msgid, context) marked in the code and templates, with where it was first seen."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[tuple[str, str | None], tuple[str, int]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]  # plurals are keyed by the singular
        found.setdefault((msgid, context), (filename, lineno))
    return found


def catalogue(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def test_the_extraction_finds_strings_from_every_kind_of_source(marked_strings):
    assert ("Mobile number", None) in marked_strings  # a form label, lazy_gettext as _l
    assert ("Log in", None) in marked_strings  # a template, _()
    assert ("%(num)d place left", None) in marked_strings  # a template, ngettext
    assert ("Places", "a night's places for walkers") in marked_strings  # a template, pgettext
    assert ("To", "the last day of a period") in marked_strings  # a form label, lazy_pgettext


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_marked_string_is_translated(locale, marked_strings):
    translations = catalogue(locale)
    assert not translations.fuzzy, f"the {locale} catalogue's header is marked fuzzy"
    missing = []
    for (msgid, context), (filename, lineno) in sorted(marked_strings.items(), key=lambda item: item[1]):
        message = translations.get(msgid, context=context)
        if message is None:
            missing.append(f"{filename}:{lineno}: {msgid!r} is not in the catalogue")
        elif message.fuzzy:
            missing.append(f"{filename}:{lineno}: {msgid!r} is marked fuzzy")
        elif not _complete(message.string, translations.num_plurals if message.pluralizable else 1):
            missing.append(f"{filename}:{lineno}: {msgid!r} has no translation")
    if missing:
        pytest.fail(
            f"{len(missing)} of {len(marked_strings)} strings lack a {locale} translation; "
            "run `make translations` and fill them in (natteravn/translations/README.md):\n" + "\n".join(missing[:40]),
            pytrace=False,
        )


def _complete(translated: str | tuple[str, ...], forms: int) -> bool:
    if isinstance(translated, str):
        return bool(translated.strip())
    return len(translated) == forms and all(form.strip() for form in translated)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogue_is_what_its_source_compiles_to(locale):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(locale), use_fuzzy=False)  # what `pybabel compile` writes
    on_disk = (CATALOGUES / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert on_disk == compiled.getvalue(), f"{locale}: messages.mo is out of date; run `make translations`"


def test_the_form_messages_catalogue_for_nynorsk_is_complete_and_compiled():
    with (CATALOGUES / "nn" / "LC_MESSAGES" / "wtforms.po").open("rb") as source:
        forms = read_po(source, locale="nn")
    untranslated = [m.id for m in forms if m.id and not _complete(m.string, 2 if m.pluralizable else 1)]
    assert untranslated == []
    compiled = io.BytesIO()
    write_mo(compiled, forms, use_fuzzy=False)
    on_disk = (CATALOGUES / "nn" / "LC_MESSAGES" / "wtforms.mo").read_bytes()
    assert on_disk == compiled.getvalue(), "wtforms.mo is out of date; run `make translations`"


@pytest.mark.parametrize(
    ("locale", "required", "too_many"),
    [
        ("nn", "Dette feltet må fyllast ut.", "Talet må vere mellom 1 og 50."),
        ("nb", "Dette feltet er påkrevd.", "Tall må være mellom 1 og 50."),
        ("en", "This field is required.", "Number must be between 1 and 50."),
    ],
)
def test_form_errors_of_the_form_library_speak_the_readers_language(world, db, login, locale, required, too_many):
    world.coordinator.locale = locale
    db.commit()
    client = login(world.coordinator)
    page = client.post("/coordinator/terms/new", data={"name": ""}).text
    assert required in page
    night = world.nights[0]
    capacity = {"day": "2026-11-20", "starts_local": "22:00", "ends_local": "01:00", "min_walkers": "2"}
    assert too_many in client.post(f"/coordinator/nights/{night.id}", data={**capacity, "max_walkers": "99"}).text


@pytest.mark.parametrize(
    ("accept", "lang", "greeting"),
    [
        ("nb-NO,nb;q=0.9", "nb", "Vi sender en kode til mobilen din."),
        ("nn-NO,nn;q=0.9,nb;q=0.8", "nn", "Vi sender ein kode til mobilen din."),
        ("en-GB,en;q=0.9", "en", "We send a code to your mobile."),
    ],
)
def test_a_visitor_reads_the_page_in_the_browsers_language(client, accept, lang, greeting):
    page = client.get("/login", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}" dir="ltr">' in page.text
    assert greeting in page.text


def test_a_visitor_without_a_known_language_gets_bokmal(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="nb" dir="ltr">' in page.text


def test_a_language_picked_on_the_page_beats_the_browsers(client):
    client.post("/language", data={"lang": "nn"}, headers={"Accept-Language": "en"})
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="nn" dir="ltr">' in page.text


def test_the_profiles_language_beats_the_browsers(world, db, login, client):
    world.parent.locale = "en"
    db.commit()
    login(world.parent)
    page = client.get("/nights", headers={"Accept-Language": "nn"})
    assert '<html lang="en" dir="ltr">' in page.text


def test_a_language_picked_before_logging_in_is_the_code_sms_and_the_profiles(world, db, client, gateway):
    assert world.parent.locale == "en"  # the test people read English; this parent reads nynorsk
    world.parent.locale = "nb"
    db.commit()
    client.post("/language", data={"lang": "nn"})
    client.post("/login", data={"phone": world.parent.phone})
    assert last_sms_to(gateway, world.parent.phone).startswith("Koden din til Natteravn er")
    assert client.post("/login/code", data={"code": code_from(gateway, world.parent.phone)}).status_code == 302
    db.expire_all()
    assert db.get(type(world.parent), world.parent.id).locale == "nn"
    assert '<html lang="nn" dir="ltr">' in client.get("/nights").text


def test_a_language_left_behind_by_someone_who_logged_out_is_not_the_next_persons_choice(world, db, client, login):
    world.parent.locale, world.other_parent.locale = "nn", "nb"
    db.commit()
    login(world.parent)
    client.post("/logout")  # the page stays nynorsk for whoever picks up the phone
    login(world.other_parent)
    db.expire_all()
    assert db.get(type(world.other_parent), world.other_parent.id).locale == "nb"


def test_right_to_left_languages_would_be_marked_as_such():
    assert text_direction("nb") == "ltr"
    assert text_direction("ar") == "rtl"


def test_refusals_and_flashed_messages_are_marked_for_translation():
    """A bare literal in these calls would reach people untranslated and never be extracted."""
    unmarked = []
    for path in sorted((ROOT / "natteravn").rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(call, ast.Call)
                and _called_name(call) in {"Refusal", "flash"}
                and call.args
                and isinstance(call.args[0], ast.Constant | ast.JoinedStr)
            ):
                unmarked.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not unmarked


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


# --- Every page, in every language. ---

#: English words that are no Norwegian word: one in a Norwegian page was left untranslated, or is a date
#: or time written the English way. ("on." is Wednesday and "no" is now in Nynorsk, so neither is among
#: them, and April and August are Norwegian months too.)
ENGLISH_WORDS = frozenset(
    (
        "the",
        "and",
        "you",
        "your",
        "with",
        "this",
        "that",
        "are",
        "of",
        "not",
        "in",
        "or",
        "yes",
        "night",
        "nights",
        "walker",
        "walkers",
        "leader",
        "leaders",
        "sign",
        "signed",
        "waitlist",
        "place",
        "places",
        "week",
        "save",
        "cancel",
        "cancelled",
        "choose",
        "show",
        "page",
        "report",
        "term",
        "terms",
        "route",
        "routes",
        "municipality",
        "school",
        "class",
        "people",
        "name",
        "phone",
        "date",
        "day",
        "days",
        "back",
        "next",
        "previous",
        "edit",
        "remove",
        "change",
        "add",
        "new",
        "all",
        "none",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "january",
        "february",
        "march",
        "june",
        "july",
        "october",
        "december",
        "oct",
        "dec",
        "may",
        "am",
        "pm",
    )
)
WORD = re.compile(r"[^\W\d_]+")
URL = re.compile(r"https?://\S+")


class _ShownText(HTMLParser):
    """The text a reader meets on a page, written in the page's language: what is shown, and what a
    screen reader reads from attributes. Parts marked as another language (the language buttons)
    and the page's scripts are left out."""

    READ_ALOUD = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping: list[str] = []
        self._page_lang = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self._page_lang = attributes.get("lang", "")
        if tag in ("script", "style") or attributes.get("lang", self._page_lang) != self._page_lang:
            self._skipping.append(tag)
        if self._skipping:
            return
        self.parts.extend(attributes[name] or "" for name in self.READ_ALOUD if name in attributes)
        if tag == "input" and attributes.get("type") == "submit":
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def shown_text(page: str) -> str:
    parser = _ShownText()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def untranslated(text: str, locale: str) -> list[str]:
    """Source texts of the catalogue that appear as they are in the page, though they are translated
    differently: each is compared by its longest stretch without a placeholder."""
    found = []
    for message in catalogue(locale):
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = message.string[0] if isinstance(message.string, tuple) else message.string
        if not source or source == translated:
            continue
        stretch = max(re.split(r"%\(\w+\)[sd]", source), key=len).strip()
        if len(stretch) >= 12 and stretch not in translated and stretch in text:
            found.append(source)
    return found


def _open_as(app, gateway, db, world, who: str, locale: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    if who in (pages.VISITOR,):
        return client
    if who == pages.ASKED_FOR_CODE:
        client.post("/login", data={"phone": pages.NEWCOMER_PHONE})
        return client
    if who == pages.NEWCOMER:
        log_in(client, gateway, pages.NEWCOMER_PHONE)
        return client
    log_in(client, gateway, pages.person_for(world, who).phone)
    return client


def test_every_page_of_the_app_is_among_the_pages_looked_at(app, db, world, clock, links):
    listed = {
        app.url_map.bind("natteravn.test").match(p.path.split("?")[0])[0] for p in every_page(db, world, clock, links)
    }
    served = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert served - pages.NOT_PAGES - listed == set()


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_every_page_speaks_the_readers_language(app, db, world, clock, links, gateway, locale):
    for person in (world.parent, world.other_parent, world.leader, world.coordinator):
        person.locale = locale
    db.commit()
    problems = []
    for who, group in groupby(every_page(db, world, clock, links), key=lambda page: page.who):
        client = _open_as(app, gateway, db, world, who, locale)
        for page in group:
            response = client.get(page.path)
            if response.status_code != 200 or f'<html lang="{locale}"' not in response.text:
                problems.append(f"{who} {page.path}: {response.status_code}, not a page in {locale}")
                continue
            if locale == "en":
                continue
            text = URL.sub(" ", shown_text(response.text))
            english = sorted({w for w in WORD.findall(text) if w.casefold() in ENGLISH_WORDS})
            left = untranslated(text, locale)
            if english or left:
                problems.append(f"{who} {page.path}: English words {english}, untranslated {left}")
    assert not problems, "\n".join(problems)


def test_no_page_writes_python_s_none_where_an_attribute_was_left_out(app, db, world, clock, links, gateway):
    problems = []
    for who, group in groupby(every_page(db, world, clock, links), key=lambda page: page.who):
        client = _open_as(app, gateway, db, world, who, "nb")
        problems += [f"{who} {page.path}" for page in group if '="None"' in client.get(page.path).text]
    assert not problems, "\n".join(problems)


def test_alphabetical_order_puts_ae_oe_and_aa_last_as_norwegian_does():
    from natteravn.i18n import alphabetical

    assert sorted(["Åsnes", "Ørland", "Grue", "Ærø", "våler", "Aasen", "Åsen"], key=alphabetical) == [
        "Grue",
        "våler",
        "Ærø",
        "Ørland",
        "Aasen",  # aa is å
        "Åsen",
        "Åsnes",
    ]


def test_no_page_gives_two_elements_the_same_id(app, db, world, clock, links, gateway):
    """A label, an error or an aria reference finds its element by id: a second one is lost to it."""
    problems = []
    for who, group in groupby(every_page(db, world, clock, links), key=lambda page: page.who):
        client = _open_as(app, gateway, db, world, who, "en")
        for page in group:
            ids = Counter(re.findall(r'\sid="([^"]+)"', client.get(page.path).text))
            twice = sorted(name for name, count in ids.items() if count > 1)
            if twice:
                problems.append(f"{who} {page.path}: {twice}")
    assert not problems, "\n".join(problems)
