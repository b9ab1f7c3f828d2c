"""Finding text in a report that might identify a young person, and taking it out.

Three plain rules a coordinator can understand, in Norwegian and English:
- a name: a capitalised word that does not start a sentence and is not a common word or a place
  name we know (the region's own places are added by the caller);
- a phone number: eight or more digits, spaces and dashes allowed between them;
- a description of a person: hair, clothes, height, or an age next to a gender ("jente på 14").
The rules flag more than they should rather than less; the coordinator decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.i18n import N_
from natteravn.places.models import Municipality, Route
from natteravn.reports.models import INCIDENT_TEXT_FIELDS, TEXT_FIELDS, ShiftReport

#: Capitalised words that are not names: places in and around the walks, and words that are
#: capitalised by habit (days, months, services, brands of places).
_COMMON = """
    Norge Oslo Bergen Trondheim Stavanger Hamar Kongsvinger Elverum Innlandet Hedmark Solør Grue Åsnes Våler
    Flisa Kirkenær Kjellmyra Braskereidfoss Svullrya Finnskog Coop Rema Kiwi Spar Joker Extra Meny Narvesen
    Circle Esso Shell Uno-X Vinmonopolet McDonald's Burger King Peppes Kiosk Sentrum Torget Stasjon Skysstasjon
    Kulturhus Ungdomsskole Skole Skolen Idrettshall Hallen Parken Politiet Politi Barnevernet Barnevern
    Barnevernvakta Barnevernsvakten Legevakt Legevakta Ambulanse Natteravn Natteravnene Natteravner SLT
    Mandag Tirsdag Onsdag Torsdag Fredag Lørdag Søndag Januar Februar Mars April Mai Juni Juli August
    September Oktober November Desember Jul Påske Russ Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March May June July October December Christmas Easter Police I OK
"""
COMMON_WORDS = frozenset(_COMMON.lower().split())

FLAG_NAME = "name"
FLAG_PHONE = "phone"
FLAG_DESCRIPTION = "description"

#: What each kind of flag is called on the coordinator's page.
FLAG_LABELS = {
    FLAG_NAME: N_("looks like a name"),
    FLAG_PHONE: N_("looks like a phone number"),
    FLAG_DESCRIPTION: N_("looks like a description of a person"),
}

REDACTED = "[…]"

_WORD = re.compile(r"\b[A-ZÆØÅÄÖÜÉ][a-zæøåäöüé'-]+\b")
_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$")
_PHONE = re.compile(r"(?<![\d])\+?\d(?:[\s-]?\d){7,}(?![\d])")
_GENDER = r"(?:gutt|gutten|jente|jenta|mann|mannen|kvinne|dame|boy|girl|man|woman|guy)"
_DESCRIPTIONS = [
    # hair: "blondt hår", "rødt hår", "dark hair", "blonde"
    r"\b\w+t\s+hår\b|\b\w+\s+hair\b|\bhår(?:et)?\s+(?:var|er)\b",
    r"\b(?:blond|blondt|blonde|brunette|rødhåret|mørkhåret|lyshåret|redhead(?:ed)?)\b",
    # clothes
    r"\b\w*(?:jakke|jakka|genser|hettegenser|bukse|bukser|lue|caps|skjerf|sko|kjole)\b",
    r"\b(?:jacket|hoodie|coat|jeans|trousers|cap|hat|sneakers|shoes|dress|scarf)\b",
    # height and build
    r"\b\d{3}\s*cm\b|\b(?:høy|høg|lav|kort|tynn|tykk|kraftig)\s+" + _GENDER + r"\b",
    r"\b(?:tall|short|thin|fat|skinny|stocky)\s+" + _GENDER + r"\b",
    # age next to gender, either way round: "jente på 14", "14 år gammel gutt", "14-year-old boy"
    _GENDER + r"\s+(?:på|of|aged|age)?\s*\d{1,2}\b",
    r"\b\d{1,2}\s*(?:år|-?years?-?old|yo|åring)\b(?:\s+\w+){0,2}\s+" + _GENDER + r"\b",
    r"\b\d{1,2}\s*-?\s*åring(?:en)?\b",
]
_DESCRIPTION = re.compile("|".join(f"(?:{p})" for p in _DESCRIPTIONS), re.IGNORECASE)


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str
    start: int
    end: int

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.kind]


def known_words(names: Iterable[str]) -> frozenset[str]:
    """Extra allowed words from place names such as "Flisa sentrum" or "Kirkenær stasjon"."""
    return frozenset(word.lower() for name in names for word in re.findall(r"[\wæøåÆØÅ'-]+", name))


def flags(text: str, allowed: frozenset[str] = frozenset()) -> list[Flag]:
    """Everything in `text` that might identify someone, in the order it appears."""
    if not text:
        return []
    found = [Flag(FLAG_PHONE, m.group(), m.start(), m.end()) for m in _PHONE.finditer(text)]
    found += [Flag(FLAG_DESCRIPTION, m.group(), m.start(), m.end()) for m in _DESCRIPTION.finditer(text)]
    found += [
        Flag(FLAG_NAME, m.group(), m.start(), m.end())
        for m in _WORD.finditer(text)
        if not _starts_sentence(text, m.start()) and not _allowed(m.group(), allowed)
    ]
    return sorted(_without_overlaps(found), key=lambda f: f.start)


def _allowed(word: str, allowed: frozenset[str]) -> bool:
    lowered = word.lower()
    return lowered in COMMON_WORDS or lowered in allowed


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position]
    return not before.strip() or bool(_SENTENCE_END.search(before))


def _without_overlaps(found: list[Flag]) -> list[Flag]:
    kept: list[Flag] = []
    for flag in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if not any(flag.start < k.end and k.start < flag.end for k in kept):
            kept.append(flag)
    return kept


def redact(text: str, allowed: frozenset[str] = frozenset()) -> str:
    """The text with every flagged part replaced by a mark that shows something was removed."""
    result = text
    for flag in reversed(flags(text, allowed)):
        result = result[: flag.start] + REDACTED + result[flag.end :]
    return result


# --- In a stored report. ---


@dataclass(frozen=True)
class FlaggedText:
    where: str  # a field name, or "incident:<id>:<field>"
    text: str
    flags: list[Flag]


def allowed_words(session: Session, region_id: int) -> frozenset[str]:
    """The region's own place names are not names of people."""
    names = session.execute(
        select(Municipality.name, Route.name, Route.meeting_point)
        .select_from(Route)
        .join(Route.municipality)
        .where(Municipality.region_id == region_id)
    ).all()
    return known_words(part for row in names for part in row)


def flags_in(session: Session, report: ShiftReport) -> list[FlaggedText]:
    allowed = allowed_words(session, report.region_id)
    found = []
    for where, text in _texts(report):
        hits = flags(text, allowed)
        if hits:
            found.append(FlaggedText(where, text, hits))
    return found


def _texts(report: ShiftReport):
    for name in TEXT_FIELDS:
        yield name, getattr(report, name)
    for incident in report.incidents:
        for name in INCIDENT_TEXT_FIELDS:
            yield f"incident:{incident.id}:{name}", getattr(incident, name)


def redact_attribute(obj, name: str, allowed: frozenset[str]) -> int:
    text = getattr(obj, name)
    count = len(flags(text, allowed))
    if count:
        setattr(obj, name, redact(text, allowed))
    return count


def redacted_snapshot(snap: dict, allowed: frozenset[str]) -> dict:
    return rewrite_snapshot(snap, lambda text: redact(text or "", allowed))


def rewrite_snapshot(snap: dict, rewrite) -> dict:
    changed = dict(snap)
    for name in TEXT_FIELDS:
        changed[name] = rewrite(snap.get(name))
    changed["incidents"] = [
        {**i, **{name: rewrite(i.get(name)) for name in INCIDENT_TEXT_FIELDS}} for i in snap.get("incidents", [])
    ]
    return changed
