"""Finding text in a report that might identify a young person, and taking it out.

Plain rules a coordinator can understand, in Norwegian and English:
- a name: a first name or surname from Norway's name statistics (`names/`), in any case and anywhere in a
  sentence ("jonas", "Emma fra 9A"), and any other capitalised word that does not start a sentence and is
  not a common word or a place name we know (the region's own places are added by the caller). Names that
  are also everyday words ("per", "storm", "bakken") count in lower case only next to another name, an age
  or a class; the ones that also open ordinary sentences ("Per i dag", "Storm og regn") count there only on
  the same terms;
- an age: "(14)", "(14, 9B …", "14 år", "14-åring", "14-year-old", "aged 14", "Emma, 14,"; a count such as
  "14 ungdommer" or "i 3 år", a time such as "00.14" and a year are no age;
- a school class: "9A", "i 9. klasse", "klasse 9A";
- a user name: "@jonas_h", "snap: jonas_h", an e-mail address;
- a phone number: eight or more digits, spaces and dashes allowed between them;
- an address: a street with a house number ("Storgata 12");
- someone described through a relative or partner: "sønnen til rektor", "rektor sin datter";
- a description of a person: hair, clothes, height, or an age next to a gender ("jente på 14",
  "jente på ca. 15") or a pronoun ("ho var 15").
The walkers' own names are flagged too: a report is read beyond the night's group, and a walker's name is
as personal as a youth's. The rules flag more than they should rather than less; the coordinator decides.

A report can be long, so every rule is one pass over the text (a regular expression, or a look at each
word) and the work grows in proportion to the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.i18n import N_
from natteravn.places.models import Municipality, Route
from natteravn.reports.models import INCIDENT_TEXT_FIELDS, TEXT_FIELDS, ShiftReport

#: Capitalised words that are not names: places in and around the walks, and words that are
#: capitalised by habit (days, months, services, brands of places, apps).
_COMMON = """
    Norge Oslo Bergen Trondheim Stavanger Hamar Kongsvinger Elverum Innlandet Hedmark Solør Grue Åsnes Våler
    Flisa Kirkenær Kjellmyra Braskereidfoss Svullrya Finnskog Coop Rema Kiwi Spar Joker Extra Meny Narvesen
    Circle Esso Shell Uno-X Vinmonopolet McDonald's Burger King Peppes Kiosk Sentrum Torget Stasjon Skysstasjon
    Kulturhus Ungdomsskole Skole Skolen Idrettshall Hallen Parken Politiet Politi Barnevernet Barnevern
    Barnevernvakta Barnevernsvakten Legevakt Legevakta Ambulanse Natteravn Natteravnene Natteravner SLT
    Mandag Tirsdag Onsdag Torsdag Fredag Lørdag Søndag Januar Februar Mars April Mai Juni Juli August
    September Oktober November Desember Jul Påske Russ Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March May June July October December Christmas Easter Police I OK I'm I'd I'll I've
    Snapchat Snap Instagram Insta TikTok Facebook Messenger YouTube Discord Google Vipps Ruter Røde Kors
    Bymisjon Frelsesarmeen Fritidsklubben Ungdomsklubben Ungdomshuset Helsestasjonen Kirken Kirka
"""
COMMON_WORDS = frozenset(_COMMON.lower().split())

#: Names that are also everyday words, in Norwegian (bokmål or nynorsk) or English: "finn ut", "på kaia",
#: "kan vera", "odd". Written in lower case they count only next to another name, an age or a class.
_EVERYDAY = """
    finn bjørn line tone gro kim karl knut kåre iver aksel vera anna mina kaia signe tilde tuva siv trine lene
    lise mette sander svein stig tor tore syver rune roar robin roger odd mats even else frank live iris
"""
#: Names that also open ordinary sentences ("Per i dag", "Hans bror", "Storm og regn", "Bakken var glatt"):
#: in lower case, or capitalised at the start of a sentence, they count only next to another name, an age
#: or a class.
_OPENERS = """
    per hans dag liv storm stein tom max karen lykke ask eik sol vår
    bakke bakken berg berge brekke brun dale eide engen gjerde hagen haug hauge haugen lie lien lund lunde moen
    holm rød strand strøm tangen vik dal sand eng li rud bø øye le tran borge
"""
SENTENCE_OPENING_NAMES = frozenset(_OPENERS.split())
EVERYDAY_NAMES = frozenset(_EVERYDAY.split()) | SENTENCE_OPENING_NAMES


def _name_list(filename: str) -> frozenset[str]:
    text = resources.files(__package__).joinpath("names", filename).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line.lower() for line in lines if line and not line.startswith("#"))


NAMES = _name_list("first_names.txt") | _name_list("surnames.txt")
#: Names that count on their own, in any case and anywhere.
_CERTAIN_NAMES = NAMES - EVERYDAY_NAMES

FLAG_NAME = "name"
FLAG_AGE = "age"
FLAG_CLASS = "class"
FLAG_USERNAME = "username"
FLAG_EMAIL = "email"
FLAG_PHONE = "phone"
FLAG_ADDRESS = "address"
FLAG_RELATIVE = "relative"
FLAG_DESCRIPTION = "description"

#: What each kind of flag is called on the coordinator's page.
FLAG_LABELS = {
    FLAG_NAME: N_("looks like a name"),
    FLAG_AGE: N_("looks like an age"),
    FLAG_CLASS: N_("looks like a school class"),
    FLAG_USERNAME: N_("looks like a user name"),
    FLAG_EMAIL: N_("looks like an e-mail address"),
    FLAG_PHONE: N_("looks like a phone number"),
    FLAG_ADDRESS: N_("looks like an address"),
    FLAG_RELATIVE: N_("describes someone through a relative or partner"),
    FLAG_DESCRIPTION: N_("looks like a description of a person"),
}

REDACTED = "[…]"


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str
    start: int
    end: int

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.kind]


#: A flag while the rules run: its kind, start and end.
_Span = tuple[str, int, int]


def known_words(names: Iterable[str]) -> frozenset[str]:
    """Extra allowed words from place names such as "Flisa sentrum" or "Kirkenær stasjon"."""
    return frozenset(word.lower() for name in names for word in re.findall(r"[\wæøåÆØÅ'-]+", name))


def flags(text: str, allowed: frozenset[str] = frozenset()) -> list[Flag]:
    """Everything in `text` that might identify someone, in the order it appears."""
    if not text:
        return []
    report = _Text.of(text)
    ages_and_classes = _ages(report.lowered, report.text) + _classes(report.lowered)
    found = [
        *ages_and_classes,
        *_names(report, allowed, ages_and_classes),
        *_user_names_and_emails(report.lowered),
        *_phones(report.lowered),
        *_addresses(report),
        *_relatives(report),
        *_descriptions(report),
    ]
    return _without_overlaps(text, found)


def redact(text: str, allowed: frozenset[str] = frozenset()) -> str:
    """The text with every flagged part replaced by a mark that shows something was removed."""
    parts, kept_from = [], 0
    for flag in flags(text, allowed):
        parts += [text[kept_from : flag.start], REDACTED]
        kept_from = flag.end
    return "".join(parts) + text[kept_from:]


def passages(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Each flagged passage of `text` once, in the order they appear: what a writer rewrites or
    confirms identifies nobody."""
    return list(dict.fromkeys(flag.text for flag in flags(text, allowed)))


def _without_overlaps(text: str, found: list[_Span]) -> list[Flag]:
    """Overlapping flags become one, of the kind that starts first (of those, the longest), so redacting
    "jente på 14" and "14 år" leaves nothing of "jente på 14 år"."""
    merged: list[list] = []
    for kind, start, end in sorted(found, key=lambda span: (span[1], -span[2])):
        if merged and start < merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([kind, start, end])
    return [Flag(kind, text[start:end], start, end) for kind, start, end in merged]


# The text and its words ----------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SPACES_ON_ONE_LINE = re.compile(r"[^\S\n]+")
_FIRST_WORD = re.compile(r"\W*([^\W\d_]+)")
_NEARBY = 40  # characters looked at around a place for the word next to it


@dataclass(frozen=True)
class _Text:
    """The text as written, the same in lower case (letter for letter, so places match), and its words.
    The rules read the lower case one; whether a word is capitalised they read in the text as written."""

    text: str
    lowered: str
    words: list[re.Match]  # in `lowered`
    spellings: list[str]  # each word in lower case

    @classmethod
    def of(cls, text: str) -> _Text:
        lowered = text.lower()
        if len(lowered) != len(text):
            # A few letters grow when lowered ("İ" becomes "i̇"); those stay as they are.
            lowered = "".join(letter if len(letter.lower()) != 1 else letter.lower() for letter in text)
        words = list(_WORD.finditer(lowered))
        return cls(text, lowered, words, [word.group() for word in words])

    def capitalised(self, index: int) -> bool:
        return self.text[self.words[index].start()].isupper()

    def side_by_side(self, first: int, second: int) -> bool:
        """Only spaces between the two words, on one line."""
        end, start = self.words[first].end(), self.words[second].start()
        return end < start and _gap_after(self.lowered, end) == start


def _gap_after(text: str, position: int) -> int:
    """Where the next word would start: past spaces on the same line."""
    spaces = _SPACES_ON_ONE_LINE.match(text, position)
    return spaces.end() if spaces else position


def _gap_before(text: str, position: int) -> int:
    while position > 0 and text[position - 1] != "\n" and text[position - 1].isspace():
        position -= 1
    return position


def _word_before(lowered: str, position: int) -> str:
    # Read backwards, so the look costs the same whatever the text before it holds.
    word = _FIRST_WORD.match(_backwards(lowered, position, _NEARBY))
    return word.group(1)[::-1] if word else ""


def _word_after(lowered: str, position: int) -> str:
    word = _FIRST_WORD.match(lowered, position, position + _NEARBY)
    return word.group(1) if word else ""


def _backwards(text: str, position: int, length: int) -> str:
    """The `length` characters before `position`, last one first."""
    return text[max(0, position - length) : position][::-1]


# Names ---------------------------------------------------------------------------------------------------

# Where sentences start: the start of the text, or after . ! ? : ; … or a line break, past spaces, quotes,
# brackets and list bullets.
_SENTENCE_START = re.compile(r"(?:\A|[.!?:;…\n])[\s\"'«»“”„(\[\-–—•*]*+")

_NOT_A_NAME, _MAYBE_A_NAME, _A_NAME = 0, 1, 2


def _names(report: _Text, allowed: frozenset[str], ages_and_classes: list[_Span]) -> list[_Span]:
    starts = {m.end() for m in _SENTENCE_START.finditer(report.lowered)}
    text, spellings = report.text, report.spellings
    # Most words are in lower case and no name: those are passed over at a glance.
    candidates = [
        index
        for index, word in enumerate(report.words)
        if spellings[index] in NAMES or text[word.start()].isupper() or "-" in spellings[index]
    ]
    kinds = {index: _word_kind(report, index, report.words[index].start() in starts, allowed) for index in candidates}
    _settle_everyday_names(report, kinds, ages_and_classes)
    return _joined_names(report, [index for index in candidates if kinds[index] == _A_NAME])


def _word_kind(report: _Text, index: int, opens_sentence: bool, allowed: frozenset[str]) -> int:
    lowered = report.spellings[index]
    if _is_allowed(lowered, allowed):
        return _NOT_A_NAME
    capitalised = report.capitalised(index)
    if lowered in EVERYDAY_NAMES:
        opener = opens_sentence and lowered in SENTENCE_OPENING_NAMES
        return _A_NAME if capitalised and not opener else _MAYBE_A_NAME
    if _is_certain_name(lowered, capitalised):
        return _A_NAME
    # A capitalised word that does not start a sentence is taken for a name nobody listed.
    word = report.words[index]
    if capitalised and not opens_sentence and report.text[word.start() + 1 : word.end()].islower():
        return _A_NAME
    return _NOT_A_NAME


def _is_allowed(lowered: str, allowed: frozenset[str]) -> bool:
    first = lowered.split("-", 1)[0]  # "Flisa-gutta", "Coop-butikken"
    return lowered in COMMON_WORDS or lowered in allowed or first in COMMON_WORDS or first in allowed


def _is_certain_name(lowered: str, capitalised: bool) -> bool:
    if lowered in _CERTAIN_NAMES:
        return True
    if "-" in lowered:  # "Anne-Marie", "Jonas-gjengen"
        return any(part in _CERTAIN_NAMES for part in lowered.split("-"))
    # The genitive: "Emmas bror", "Emma's brother".
    return capitalised and any(
        lowered.endswith(ending) and lowered[: -len(ending)] in _CERTAIN_NAMES for ending in ("'s", "’s", "s")
    )


def _settle_everyday_names(report: _Text, kinds: dict[int, int], next_to: list[_Span]) -> None:
    """An everyday word that may be a name is one when it stands next to a name, an age or a class:
    "per hansen", "Per (14)". A sweep each way carries it along a row of such words: "liv storm hansen"."""
    maybe = [index for index, kind in kinds.items() if kind == _MAYBE_A_NAME]
    if not maybe:
        return
    flag_starts = {start for _kind, start, _end in next_to}
    flag_ends = {end for _kind, _start, end in next_to}
    for index in maybe:
        word = report.words[index]
        if (
            _gap_after(report.lowered, word.end()) in flag_starts
            or _gap_before(report.lowered, word.start()) in flag_ends
            or (kinds.get(index - 1) == _A_NAME and report.side_by_side(index - 1, index))
        ):
            kinds[index] = _A_NAME
    for index in reversed(maybe):
        if kinds[index] == _MAYBE_A_NAME and kinds.get(index + 1) == _A_NAME and report.side_by_side(index, index + 1):
            kinds[index] = _A_NAME


def _joined_names(report: _Text, names: list[int]) -> list[_Span]:
    """One flag for "Jonas Hansen", not two."""
    found: list[_Span] = []
    for position, index in enumerate(names):
        word = report.words[index]
        previous = names[position - 1] if position else None
        if previous == index - 1 and report.side_by_side(previous, index):
            found[-1] = (FLAG_NAME, found[-1][1], word.end())
        else:
            found.append((FLAG_NAME, word.start(), word.end()))
    return found


# Ages and classes ----------------------------------------------------------------------------------------

_OLDEST_AGE = 25
# "(14)", "(14 år)", "(14 years)"
_AGE_IN_BRACKETS = re.compile(r"\(\s*(\d{1,2})\s*(år|years?(?:\s+old)?|y/?o)?\s*\)")
# "14 år", "14 år gammel", "14-åring", "14-åringen", "14 years old"; not "14-åringer", a group
_AGE_IN_YEARS = re.compile(
    r"\b(\d{1,2})\s*(?:-\s*)?(?:år(?:ing(?:en)?)?\b(?:\s+gam(?:mel|mal|le|ml)\b)?|years?[\s-]*old\b|y/?o\b)"
)
# "(14, 9B at …", "(14 år; …": an age opening what is said about someone in brackets
_AGE_OPENING_BRACKETS = re.compile(r"\(\s*(\d{1,2})\s*(år|years?(?:\s+old)?|y/?o)?\s*[,;/]")
# "Emma, 14, was …", "en gutt, 14 år)": an age set off by commas after the person it is about
_AGE_BETWEEN_COMMAS = re.compile(r",\s*(\d{1,2})\s*(?:år|years?(?:\s+old)?|y/?o)?(?=\s*(?:[,;)]|\.(?!\d)|\Z))")
#: Words for a young person that an age between commas may follow: "en gutt, 14, …".
_PERSON_WORDS = """
    gutt gutten jente jenta jenten ungdom ungdommen mann kvinne dame fyr fyren
    boy girl teen teenager youth man woman lad
"""
_PERSONS = frozenset(_PERSON_WORDS.split())
# "aged 14", "age 14", "alder 14"
_AGE_AFTER = re.compile(r"\b(?:aged?|alder(?:en)?)\s*:?\s*(\d{1,2})\b(?![.,]\d)")
# "13-15 år" is the age band of a group, not someone's age.
_AGE_BAND_BEFORE = re.compile(r"\d\s*[-–]\s*\Z")
#: Before "N år" these make it a span of time or a limit, not someone's age: "i 3 år", "over 18 år".
_SPAN_WORDS = """
    i for etter om over under fra frå til siste alle hvert kvart og eller mellom
    in after from to than and or between every last
"""
_NOT_BEFORE_AN_AGE = frozenset(_SPAN_WORDS.split())
#: After these, a number in brackets is a count: "ungdommer (12)".
_COUNT_WORDS = """
    ungdommer ungdom ungdommar gutter gutar jenter personer stk stykker folk elever voksne vaksne barn hendelser
    hendingar ganger gonger biler bilar mopeder people youths kids teens teenagers boys girls persons times cars
"""
_COUNTED = frozenset(_COUNT_WORDS.split())

_GRADE = r"(?:10|[1-9])"
_CLASS_WORD = r"(?:klassen?|klassing(?:en)?|trinn(?:et)?)"
_CLASS = re.compile(
    # "9A", "10B", "8c", "9. klasse", "9.klasse", "9.-klassing", "9th grade"
    rf"\b{_GRADE}(?:[a-f]|\s?\.\s?-?\s?{_CLASS_WORD}|(?:st|nd|rd|th)\s+grade)\b"
    # "klasse 9A", "trinn 9", "grade 9"
    rf"|\b(?:klassen?|trinn|grade)\s+{_GRADE}[a-f]?\b(?![.,:]\d)"
    # "niende klasse", "tiendeklassingen"
    r"|\b(?:første|andre|tredje|fjerde|femte|sjette|sjuende|syvende|åttande|åttende|niande|niende|tiande|tiende)"
    rf"\s?-?\s?{_CLASS_WORD}\b"
    # upper secondary: "vg2", "2STA"
    r"|\bvg\s?[1-3]\b|\b[1-3]st[a-h]\b"
)


def _ages(lowered: str, text: str) -> list[_Span]:
    found = [
        (FLAG_AGE, m.start(), m.end())
        for m in _AGE_IN_BRACKETS.finditer(lowered)
        if _is_age(m.group(1)) and (m.group(2) or _word_before(lowered, m.start()) not in _COUNTED)
    ]
    found += [(FLAG_AGE, m.start(), m.end()) for m in _AGE_IN_YEARS.finditer(lowered) if _is_someones_age(lowered, m)]
    found += [(FLAG_AGE, m.start(), m.end()) for m in _AGE_AFTER.finditer(lowered) if _is_age(m.group(1))]
    found += [
        (FLAG_AGE, m.start(), m.end(2) if m.group(2) else m.end(1))
        for m in _AGE_OPENING_BRACKETS.finditer(lowered)
        if _is_age(m.group(1)) and (m.group(2) or _word_before(lowered, m.start()) not in _COUNTED)
    ]
    found += [
        (FLAG_AGE, m.start(1), m.end())
        for m in _AGE_BETWEEN_COMMAS.finditer(lowered)
        if _is_age(m.group(1)) and _after_a_person(lowered, text, m.start())
    ]
    return found


def _after_a_person(lowered: str, text: str, position: int) -> bool:
    """The word before `position` is a person: a word such as "gutt" or "girl", or a capitalised word
    that is no place or day we know (a name): "Emma, 14," but not "Flisa, 14, 15 grader"."""
    word = _word_before(lowered, position)
    if word in _PERSONS:
        return True
    start = _gap_before(text, position) - len(word)
    return bool(word) and start >= 0 and text[start].isupper() and word not in COMMON_WORDS


def _is_age(number: str) -> bool:
    return 1 <= int(number) <= _OLDEST_AGE


def _is_someones_age(lowered: str, years: re.Match) -> bool:
    start = years.start()
    return (
        _is_age(years.group(1))
        and (start == 0 or lowered[start - 1] not in ".,:")  # "2.5 år", "23.40"
        and not _AGE_BAND_BEFORE.search(lowered, max(0, start - 6), start)
        and _word_before(lowered, start) not in _NOT_BEFORE_AN_AGE
        and _word_after(lowered, years.end()) not in ("siden", "sia", "ago")
    )


def _classes(lowered: str) -> list[_Span]:
    return [(FLAG_CLASS, m.start(), m.end()) for m in _CLASS.finditer(lowered)]


# User names, e-mail addresses and phone numbers ----------------------------------------------------------

_AT_SIGN = re.compile("@")
_EMAIL_LOCAL_PART = re.compile(r"[\w.+-]{1,64}")  # read backwards from the @
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+\b")
_HANDLE = re.compile(r"@\w(?:[\w.]*\w)?")
_PLATFORM = r"\b(?:snap(?:chat)?|insta(?:gram)?|tik\s?tok|discord|kik)(?:en|et)?(?:\s+(?:hans|hennes|hass|his|her))?"
# "snap: jonas_h", "snapen hans heter jonas_h"
_NAMED_ON_A_PLATFORM = _PLATFORM + r"(?:\s*[:=]\s*|\s+(?:heter|navn|brukernavn|username)\s*:?\s*)@?([\w.]*\w)"
# "insta jonas.h2009", "snap er emma_2009": a word with a digit, an underscore or a dot in it; not "snap hele"
_GIVEN_ON_A_PLATFORM = _PLATFORM + r"\s+(?:(?:er|is)\s+)?@?([\w.]*[\d_.][\w.]*\w)"
_ON_A_PLATFORM = re.compile(f"{_NAMED_ON_A_PLATFORM}|{_GIVEN_ON_A_PLATFORM}")
_PHONE = re.compile(r"\+?\d(?:[\s-]?\d){7,}")


def _user_names_and_emails(lowered: str) -> list[_Span]:
    found: list[_Span] = []
    for at in _AT_SIGN.finditer(lowered):
        position = at.start()
        local_part = _EMAIL_LOCAL_PART.match(_backwards(lowered, position, 64))
        domain = _EMAIL_DOMAIN.match(lowered, position)
        if local_part and domain:
            found.append((FLAG_EMAIL, position - local_part.end(), domain.end()))
        elif not local_part and (handle := _HANDLE.match(lowered, position)):
            found.append((FLAG_USERNAME, handle.start(), handle.end()))
    for m in _ON_A_PLATFORM.finditer(lowered):
        group = 1 if m.group(1) is not None else 2
        found.append((FLAG_USERNAME, m.start(group), m.end(group)))
    return found


def _phones(lowered: str) -> list[_Span]:
    return [(FLAG_PHONE, m.start(), m.end()) for m in _PHONE.finditer(lowered)]


# Addresses -----------------------------------------------------------------------------------------------

#: "Storgata 12", or "storgata 12" in lower case.
_STREET_ENDINGS = ("gata", "gate", "gaten", "veien", "vegen", "vei", "veg")
#: "Skogstien 4", "Furulia 2": only capitalised, since "bakken 2 ganger" is no address.
_CAPITALISED_STREET_ENDINGS = (
    "stien", "stigen", "plassen", "svingen", "bakken", "lia", "lien", "tunet", "allé", "alle", "alléen", "løkka",
    "grenda", "kroken", "ringen", "jordet", "brinken", "kleiva", "haugen",
)  # fmt: skip
#: The street word of "Jonas Lies vei 12", "Karl Johans gate 2".
_STREET_WORDS = frozenset(("gate", "gata", "vei", "veg", "allé", "plass"))
_HOUSE_NUMBER = re.compile(r"\s+\d{1,4}[a-h]?\b(?![.,:]\d)")
_STREET_NAME_WORDS = 3  # the most capitalised words before "gate" taken for the street's name


def _addresses(report: _Text) -> list[_Span]:
    found: list[_Span] = []
    endings = _STREET_ENDINGS + _CAPITALISED_STREET_ENDINGS
    for index in [index for index, word in enumerate(report.spellings) if word.endswith(endings)]:
        word = report.words[index]
        number = _HOUSE_NUMBER.match(report.lowered, word.end())
        first = _street_start(report, index) if number else None
        if number is not None and first is not None:
            found.append((FLAG_ADDRESS, first, number.end()))
    return found


def _street_start(report: _Text, index: int) -> int | None:
    """Where the street's name starts: "Storgata", or the capitalised words before "gate" or "vei"."""
    name = report.spellings[index]
    if name in _STREET_WORDS:
        first = None
        for before in range(index - 1, max(-1, index - 1 - _STREET_NAME_WORDS), -1):
            if not report.capitalised(before) or not report.side_by_side(before, before + 1):
                break
            first = report.words[before].start()
        return first
    if name.endswith(_STREET_ENDINGS) and name not in _STREET_ENDINGS:
        return report.words[index].start()
    if report.capitalised(index) and name.endswith(_CAPITALISED_STREET_ENDINGS):
        return report.words[index].start() if name not in _CAPITALISED_STREET_ENDINGS else None
    return None


# Relatives -----------------------------------------------------------------------------------------------

_RELATIVE_NOUN_WORDS = """
    sønn sønnen datter datteren dattera dotter dottera bror broren søster søsteren søstera syster systera
    kjæreste kjæresten barnet lillebror lillebroren lillesøster lillesøsteren lillesøstera storebror storebroren
    storesøster storesøsteren storesøstera fetter fetteren kusine kusinen kusina nevø nevøen niese niesen
    stesønn stesønnen stedatter stedatteren stebror stebroren stesøster stesøsteren halvbror halvbroren
    halvsøster halvsøsteren tvilling tvillingen
    son daughter brother sister girlfriend boyfriend child kid stepson stepdaughter cousin nephew niece twin
"""
_RELATIVE_NOUNS = frozenset(_RELATIVE_NOUN_WORDS.split())
#: Between an owner and a relative: "the headmaster's little brother", "Per sin eldste sønn".
_SIBLING_ORDER = frozenset(("little", "big", "younger", "older", "lille", "store", "yngste", "eldste"))
# "sønnen til rektor", "dottera åt ordføraren", "son of the headmaster"
_WHOSE = re.compile(r"\s+(?:til|åt|of)\s+(?:(?:en|ei|et|ein|eit|the|a)\s+)?[\w'’.-]*\w")
# ... and the capitalised words after it: "sønnen til Per Hansen"
_CAPITALISED_WORD_AFTER = re.compile(r"[^\S\n]+[A-ZÆØÅ][\w'’-]*")
_WHOSE_NAME_WORDS = 3
#: "rektor sin sønn", "Per si dotter"
_SIN = frozenset(("sin", "si", "sitt", "sine"))
#: Words ending in s before a relative that are not someone's genitive ("hos sønnen"), or that point back
#: to someone already named ("hans bror").
_NOT_OWNERS = """
    hos mens oss dens dets hans hennes deres hvis ens alles its his hers their whose was is has this as us yes
"""
_NOT_AN_OWNER = frozenset(_NOT_OWNERS.split())


def _relatives(report: _Text) -> list[_Span]:
    found: list[_Span] = []
    for index in [index for index, word in enumerate(report.spellings) if word in _RELATIVE_NOUNS]:
        start, end = report.words[index].span()
        whose = _WHOSE.match(report.lowered, end)
        if whose:
            end = _past_capitalised_words(report.text, whose.end())
        owner = _owner(report, index)
        if owner is not None:
            start = report.words[owner].start()
        if (start, end) != report.words[index].span():
            found.append((FLAG_RELATIVE, start, end))
    return found


def _owner(report: _Text, index: int) -> int | None:
    """The word before a relative that says whose it is: "rektor sin sønn", "rektors sønn", "the
    headmaster's son"."""
    before = _word_next_to(report, index)
    if before is not None and report.spellings[before] in _SIBLING_ORDER:
        before = _word_next_to(report, before)
    if before is None:
        return None
    word = report.spellings[before]
    if word in _SIN:
        return _word_next_to(report, before)
    return before if word.endswith("s") and word not in _NOT_AN_OWNER else None


def _word_next_to(report: _Text, index: int) -> int | None:
    """The word just before, if only spaces stand between."""
    return index - 1 if index > 0 and report.side_by_side(index - 1, index) else None


def _past_capitalised_words(text: str, position: int) -> int:
    for _ in range(_WHOSE_NAME_WORDS):
        word = _CAPITALISED_WORD_AFTER.match(text, position)
        if not word:
            break
        position = word.end()
    return position


# Descriptions --------------------------------------------------------------------------------------------

#: Words that describe someone on their own: hair colour and clothes.
_DESCRIBING = """
    blond blondt blonde brunette rødhåret mørkhåret lyshåret redhead redheaded
    jacket hoodie coat jeans trousers cap hat sneakers shoes dress scarf
"""
_DESCRIBING_WORDS = frozenset(_DESCRIBING.split())
#: Clothes, also at the end of a longer word: "skinnjakke", "hettegenser", "joggesko".
_CLOTHES_ENDINGS = ("jakke", "jakka", "genser", "bukse", "bukser", "lue", "caps", "skjerf", "sko", "kjole")
_HAIR = frozenset(("hår", "håret", "hair"))
_GENDER = r"(?:gutt|gutten|gut|guten|jente|jenta|mann|mannen|kvinne|kvinna|dame|boy|girl|man|woman|guy)"
# "ca. 15", "om lag 15": an age guessed is an age all the same.
_ABOUT = r"(?:(?:ca\.?|cirka|omtrent|om lag|rundt|kring|about|around)\s*)?"
# A young person's age, 1 to 25 (`_OLDEST_AGE`): "han var 40" describes a grown-up.
_YOUNG_AGE = r"(?:[1-9]|1\d|2[0-5])\b"
_DESCRIPTIONS = [
    # height and build: "185 cm", "høy gutt", "skinny boy"
    re.compile(r"\b\d{3}\s*cm\b"),
    re.compile(r"\b(?:høy|høg|lav|kort|tynn|tykk|kraftig|tall|short|thin|fat|skinny|stocky)\s+" + _GENDER + r"\b"),
    # age next to gender, either way round: "jente på 14", "jente på ca. 15", "14 år gammel gutt"
    re.compile(_GENDER + r"\s+(?:på|of|aged|age)?\s*" + _ABOUT + r"\d{1,2}\b(?:\s*år\b)?"),
    re.compile(r"\b\d{1,2}\s*(?:år|-?years?-?old|yo|åring)\b(?:\s+\w+){0,2}\s+" + _GENDER + r"\b"),
    # "ho var 15", "he was about 16"; not "han var 2 ganger innom" nor "hun var 10 min unna" (and
    # "han var 14 år" is an age, flagged as one)
    re.compile(
        r"\b(?:han|hun|ho|he|she)\s+(?:var|er|was|is)\s+"
        + _ABOUT
        + _YOUNG_AGE
        + r"(?!\s*(?:[.:,]\d|min|minutt|time|tim|kr\b|km\b|meter|m\b|stk|gang|gong|%|av\b|of\b|år\b|years?\b|y/?o\b|-))"
    ),
]


def _descriptions(report: _Text) -> list[_Span]:
    found = [
        (FLAG_DESCRIPTION, m.start(), m.end()) for pattern in _DESCRIPTIONS for m in pattern.finditer(report.lowered)
    ]
    for index, word in enumerate(report.spellings):
        if word in _DESCRIBING_WORDS or word.endswith(_CLOTHES_ENDINGS):
            found.append((FLAG_DESCRIPTION, *report.words[index].span()))
        elif word in _HAIR:
            found += _hair(report, index)
    return found


def _hair(report: _Text, index: int) -> list[_Span]:
    """ "blondt hår", "dark hair", "håret var": hair with what is said about it."""
    word, before, after = report.spellings[index], index - 1, index + 1
    said_before = word == "hair" or (before >= 0 and report.spellings[before].endswith("t"))
    if before >= 0 and said_before and report.side_by_side(before, index):
        return [(FLAG_DESCRIPTION, report.words[before].start(), report.words[index].end())]
    said_after = word != "hair" and after < len(report.words) and report.spellings[after] in ("var", "er")
    if said_after and report.side_by_side(index, after):
        return [(FLAG_DESCRIPTION, report.words[index].start(), report.words[after].end())]
    return []


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


@dataclass(frozen=True)
class Scan:
    checked: int
    flagged: int
    newly_flagged: list[int]  # report ids the older check had passed


def rescan(session: Session, region_id: int | None = None) -> Scan:
    """Check stored reports again with today's rules, and mark what an older check missed."""
    query = select(ShiftReport).where(ShiftReport.purged_at.is_(None)).order_by(ShiftReport.id)
    if region_id is not None:
        query = query.where(ShiftReport.region_id == region_id)
    checked, flagged, newly = 0, 0, []
    allowed_by_region: dict[int, frozenset[str]] = {}
    for report in session.scalars(query):
        if report.region_id not in allowed_by_region:
            allowed_by_region[report.region_id] = allowed_words(session, report.region_id)
        allowed = allowed_by_region[report.region_id]
        found = any(flags(text, allowed) for _where, text in _texts(report))
        if found and not report.flagged:
            newly.append(report.id)
        report.flagged = found
        checked += 1
        flagged += found
    return Scan(checked, flagged, newly)
