"""Every string a person can see exists in Bokmål and Nynorsk, the app reads what the catalogues
say, and each page tells the browser (and screen readers) which language it is in."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from natteravn.i18n import text_direction

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "natteravn" / "translations"
TRANSLATED = ("nb", "nn")
# The same keywords as `make translations`: Babel's defaults (_, gettext, ngettext, N_ …) and Flask-Babel's lazy ones.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


@pytest.fixture(scope="module")
def marked_strings() -> dict[str, tuple[str, int]]:
    """Each msgid marked in the code and templates, with where it was first seen."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, tuple[str, int]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]  # plurals are keyed by the singular
        found.setdefault(msgid, (filename, lineno))
    return found


def catalogue(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def test_the_extraction_finds_strings_from_every_kind_of_source(marked_strings):
    assert "Mobile number" in marked_strings  # a form label, lazy_gettext as _l
    assert "Log in" in marked_strings  # a template, _()
    assert "%(num)d place left" in marked_strings  # a template, ngettext


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_marked_string_is_translated(locale, marked_strings):
    translations = catalogue(locale)
    assert not translations.fuzzy, f"the {locale} catalogue's header is marked fuzzy"
    missing = []
    for msgid, (filename, lineno) in sorted(marked_strings.items(), key=lambda item: item[1]):
        message = translations.get(msgid)
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
