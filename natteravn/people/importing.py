"""Importing parents from a spreadsheet: the coordinator uploads a CSV, sees row by row what it
would do, and imports every row or none."""

from __future__ import annotations

import codecs
import csv
import enum
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from natteravn.accounts.models import Person, folded
from natteravn.accounts.service import (
    InvalidPhone,
    TextInPhone,
    approve,
    display_phone,
    normalise_phone,
    plan_approval_notices,
    plan_invitations,
    plan_move_invitation,
)
from natteravn.audit import service as audit
from natteravn.db import CONTROL_CHARACTERS
from natteravn.i18n import LOCALES, N_, Refusal
from natteravn.links import Links
from natteravn.places.models import Municipality, Region, School, SchoolClass

#: A school's or a municipality's whole list of parents, with room for the wide exports of school
#: administration systems (a pupil's name, class, address and e-mail beside each parent's).
MAX_IMPORT_BYTES = 1_000_000
#: The file's text as a browser sends it back with the next step: never more characters than the
#: file had bytes, but each line break may come back as two (CR LF).
MAX_RETURNED_TEXT = 2 * MAX_IMPORT_BYTES
TOO_LARGE = N_("The file is larger than 1 MB. Split it into smaller files.")
MAX_IMPORT_ROWS = 5000
NAME_LIMIT = 120  # as a person's name is stored
#: What the columns of a file may be called, as school lists and Excel sheets in Norway call them
#: (headers are compared in lower case, with punctuation and a number such as "Foresatt 1" left
#: out). The pupil's own name ("Elev") is never read: the service keeps no child's name.
PARENT_FIELDS = ("name", "first_name", "last_name", "phone")
#: School systems (Visma, Vigilo) export two parents a row: "Foresatt 1 navn; Foresatt 1 mobil;
#: Foresatt 2 navn; Foresatt 2 mobil". The second parent's columns are the first's with "_2".
SECOND_PARENT = {column: f"{column}_2" for column in PARENT_FIELDS}
FIELDS = (*PARENT_FIELDS, "municipality", "school_class", *SECOND_PARENT.values())
SYNONYMS = {
    "name": (
        "name",
        "full name",
        "parent",
        "guardian",
        "navn",
        "namn",
        "fullt navn",
        "foresatt",
        "foresatte",
        "foresattes navn",
        "foresatt navn",
        "navn foresatt",
        "forelder",
        "foreldre",
        "føresett",
        "føresette",
        "kontaktperson",
    ),
    "first_name": ("first name", "given name", "fornavn", "førenamn", "foresatt fornavn", "fornavn foresatt"),
    "last_name": (
        "last name",
        "surname",
        "family name",
        "etternavn",
        "etternamn",
        "foresatt etternavn",
        "etternavn foresatt",
    ),
    "phone": (
        "phone",
        "mobile",
        "mobile phone",
        "phone number",
        "cell",
        "telefon",
        "telefonnummer",
        "tlf",
        "tlf nr",
        "tlfnr",
        "mobil",
        "mobilnr",
        "mobilnummer",
        "mobiltelefon",
        "mobiltlf",
        "mobil foresatt",
        "foresatt mobil",
        "tlf foresatt",
        "foresatt tlf",
        "telefon foresatt",
        "mobiltelefon foresatt",
    ),
    "municipality": ("municipality", "kommune", "bostedskommune", "bustadkommune", "hjemkommune"),
    "school_class": ("school class", "class", "klasse", "skoleklasse", "klasse trinn", "gruppe"),
}
COLUMNS = {synonym: column for column, synonyms in SYNONYMS.items() for synonym in synonyms}
#: Words that say a column is about the parent: "Foresatt 2 telefon" is the second parent's phone.
PARENT_WORDS = {"foresatt", "foresattes", "føresett", "føresette", "forelder", "parent", "guardian", "kontaktperson"}
#: Lists made by hand often have the mother's and the father's columns ("Mor;Mors mobil;Far;Fars
#: mobil"): the mother's are read as the first parent's and the father's as the second's, as
#: "Foresatt 1" and "Foresatt 2" are. Only whose the column is: a parent of either is imported alike.
MOTHER_OR_FATHER = {"mor": 1, "mors": 1, "mother": 1, "mothers": 1, "far": 2, "fars": 2, "father": 2, "fathers": 2}


class ImportRefused(Refusal):
    pass


class ColumnsNeeded(ImportRefused):
    """The file's columns could not be matched: the coordinator says which holds what."""


class Change(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ImportRow:
    """One person in the file. A parent with two children on a school's list is on two rows, by
    the same number: one person, with every class those rows name."""

    rows: list[int]
    name: str
    phone: str
    municipality: Municipality
    school_classes: list[SchoolClass]
    person: Person | None = None
    change: Change = Change.NEW
    changed: list[str] = field(default_factory=list)  # which of name, municipality, school_class
    # Someone who lives in another region: shown as new, so that an import cannot tell whether a
    # number is registered elsewhere; invited to move rather than taken from that region.
    elsewhere: Person | None = None
    #: The language of a new person's invitation and pages until they choose their own.
    locale: str = LOCALES[0]

    @property
    def row(self) -> int:
        return self.rows[0]

    @property
    def shown_phone(self) -> str:
        return display_phone(self.phone)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[Refusal]
    #: Parents left out of rows whose other parent is imported: one without a mobile number, say.
    left_out: list[Refusal] = field(default_factory=list)

    def count(self, change: Change) -> int:
        return sum(1 for row in self.rows if row.change == change)

    @property
    def on_several_rows(self) -> int:
        """How many people the file has on more than one row, each imported once."""
        return sum(1 for row in self.rows if len(row.rows) > 1)


NOT_TEXT = N_("The file could not be read as text. Save it from Excel as “CSV UTF-8”.")
EXCEL_FILE = N_(
    "This is an Excel file, not a CSV file. In Excel, choose File → Save as → “CSV UTF-8 (Comma delimited)”, "
    "then choose the saved file here."
)
NOT_CSV = N_(
    "This is not a CSV file. Save the list from Excel or another spreadsheet as “CSV UTF-8”, "
    "then choose the saved file here."
)
#: How Excel's own workbooks begin: as a zip archive since Excel 2007 (.xlsx), as an OLE2 compound
#: file before (.xls). Word's documents begin alike, so the workbook's own parts are looked for too.
ZIP, OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_upload(data: bytes) -> str:
    """The file's text: UTF-8 with or without Excel's byte-order mark, Excel's "Unicode text", or
    the Windows encoding Excel uses for plain "CSV" on a Norwegian PC. A workbook, or any other file
    that is not text, is refused with how to save it as CSV: read as text, it would offer its
    binary insides as column names."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(TOO_LARGE)
    text = _decoded(data)
    if text.lstrip().startswith("<"):  # a web page or an XML sheet, often named .xls by the system that made it
        raise ImportRefused(NOT_CSV)
    # Invisible characters some exports leave (an old end-of-file mark, a form feed) mean nothing
    # in a name or a number, and the form that carries the file on to the import would refuse them.
    return CONTROL_CHARACTERS.sub("", text)


def _decoded(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportRefused(NOT_TEXT) from error
    if _is_workbook(data):
        raise ImportRefused(EXCEL_FILE)
    if b"\x00" in data or data.startswith(b"%PDF"):  # a document, a picture, an archive
        raise ImportRefused(NOT_CSV)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportRefused(NOT_TEXT) from error


def _is_workbook(data: bytes) -> bool:
    return (data.startswith(ZIP) and b"xl/" in data) or (
        data.startswith(OLE2) and "Workbook".encode("utf-16-le") in data
    )


def _separator(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=header.count)


def _column(name: str) -> str | None:
    spaced = re.sub(r"[\s_\-./:()]+", " ", re.sub(r"['’]", "", name.casefold()))  # "Mother's name"
    words = re.sub(r"(?<=[^\W\d])(?=\d)|(?<=\d)(?=[^\W\d])", " ", spaced).split()  # "Foresatt1" too
    plain = " ".join(word for word in words if not word.isdigit())
    if any(word in MOTHER_OR_FATHER for word in words):
        return _mothers_or_fathers_column(words)
    column = COLUMNS.get(plain) or _parents_column(plain)
    return SECOND_PARENT[column] if column in SECOND_PARENT and "2" in words else column


def _mothers_or_fathers_column(words: list[str]) -> str | None:
    """The mother's name or phone ("Mor", "Mors mobil") as the first parent's, the father's ("Far",
    "Far telefon") as the second's. A column for both ("Mor/far tlf") is not guessed at: it may
    hold either's number."""
    whose = {MOTHER_OR_FATHER[word] for word in words if word in MOTHER_OR_FATHER}
    rest = " ".join(word for word in words if word not in MOTHER_OR_FATHER and word not in PARENT_WORDS)
    column = COLUMNS.get(rest) if rest else "name"
    if len(whose) != 1 or column not in PARENT_FIELDS:
        return None
    return SECOND_PARENT[column] if whose == {2} else column


def _parents_column(plain: str) -> str | None:
    """A parent's name or phone by a header that says whose ("Foresatt telefon", "Parent name")."""
    rest = " ".join(word for word in plain.split() if word not in PARENT_WORDS)
    column = COLUMNS.get(rest) if rest != plain else None
    return column if column in PARENT_FIELDS else None


@dataclass
class Mapping:
    """Which of the file's columns holds what (by position), and what holds for every row when the
    file has no such column: the municipality everyone lives in, the class their child is in."""

    columns: dict[str, int] = field(default_factory=dict)
    municipality_id: int | None = None
    school_class_id: int | None = None

    def missing(self) -> list[str]:
        """What is still needed, as messages to the coordinator."""
        needed = []
        first, second = self.parents()[0], self.second_parent()
        if not _has_name(first):
            needed.append(N_("Choose the column with the name, or the two with first and last name."))
        if "phone" not in first:
            needed.append(N_("Choose the column with the mobile number."))
        if second and not _has_name(second):
            needed.append(
                N_("Choose the column with the second parent's name, or the two with their first and last name.")
            )
        if second and "phone" not in second:
            needed.append(N_("Choose the column with the second parent's mobile number."))
        if "municipality" not in self.columns and self.municipality_id is None:
            needed.append(N_("Choose the column with the municipality, or the municipality everyone lives in."))
        return needed

    def parents(self) -> list[dict[str, int]]:
        """Where each parent on a row is (by the first parent's names for the columns): one, or
        two when the file has a second parent's columns."""
        first = {column: self.columns[column] for column in PARENT_FIELDS if column in self.columns}
        second = self.second_parent()
        return [first, second] if second else [first]

    def second_parent(self) -> dict[str, int]:
        return {column: self.columns[theirs] for column, theirs in SECOND_PARENT.items() if theirs in self.columns}

    def encoded(self) -> str:
        return json.dumps(
            {"columns": self.columns, "municipality": self.municipality_id, "class": self.school_class_id}
        )

    @classmethod
    def decoded(cls, text: str) -> Mapping | None:
        """A mapping from a form; None when there is none or it was tampered into nonsense."""
        try:
            raw = json.loads(text)
            columns = {str(k): int(v) for k, v in raw["columns"].items() if k in FIELDS}
            municipality, school_class = raw.get("municipality"), raw.get("class")
            return cls(
                columns,
                int(municipality) if municipality is not None else None,
                int(school_class) if school_class is not None else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass
class Guess:
    headers: list[str]
    mapping: Mapping
    sure: bool  # every needed column found, and no two columns taken for the same thing


def guess_columns(text: str) -> Guess:
    """What the file's columns hold, read from their headers."""
    headers = _rows(text)[0][1]
    mapping, doubled = Mapping(), False
    for index, title in enumerate(headers):
        column = _column(title)
        if column is None:
            continue
        if column in mapping.columns:
            doubled = True  # "Mobil" and "Telefon": the coordinator says which
            continue
        mapping.columns[column] = index
    _one_parent_is_the_first(mapping)
    if any("name" in parent and {"first_name", "last_name"} & parent.keys() for parent in mapping.parents()):
        doubled = True
    return Guess(headers, mapping, sure=not doubled and not mapping.missing())


def _one_parent_is_the_first(mapping: Mapping) -> None:
    """A list with only the second parent's columns ("Far;Fars mobil", or "Foresatt 2" alone) has
    one parent a row: theirs are the columns the rest of the import reads first."""
    if mapping.second_parent() and not mapping.parents()[0]:
        for column, theirs in SECOND_PARENT.items():
            if theirs in mapping.columns:
                mapping.columns[column] = mapping.columns.pop(theirs)


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """The non-empty rows, each with its row number as a spreadsheet shows it."""
    if len(text) > MAX_RETURNED_TEXT:  # sent back larger than any upload could be
        raise ImportRefused(TOO_LARGE)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=_separator(text))
    try:
        rows = [(reader.line_num, cells) for cells in reader if any(cell.strip() for cell in cells)]
    except csv.Error as error:  # a cell longer than the csv module's limit, or a NUL character
        raise ImportRefused(
            N_("Row %(row)d of the file cannot be read: a cell is far too long or holds characters that are not text."),
            row=reader.line_num,
        ) from error
    if not rows:
        raise ImportRefused(N_("The file is empty."))
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ImportRefused(
            N_("The file has more than %(limit)d rows. Split it into smaller files."), limit=MAX_IMPORT_ROWS
        )
    return rows


def _records(text: str, mapping: Mapping) -> list[tuple[int, list[str]]]:
    """The rows below the header, once the mapping says where everything needed is."""
    rows = _rows(text)
    for missing in mapping.missing():
        raise ColumnsNeeded(missing)
    if any(not 0 <= index < len(rows[0][1]) for index in mapping.columns.values()):
        raise ColumnsNeeded(N_("The file has no such column. Choose again."))
    return rows[1:]


def _cell(cells: list[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""


def _name(cells: list[str], positions: dict[str, int]) -> str:
    whole = _cell(cells, positions, "name")
    parts = [_cell(cells, positions, "first_name"), _cell(cells, positions, "last_name")]
    return whole or " ".join(part for part in parts if part)


def _has_name(parent: dict[str, int]) -> bool:
    return "name" in parent or {"first_name", "last_name"} <= parent.keys()


def _plain(name: str) -> str:
    """A place's name as a keyboard without Norwegian letters may write it, without spaces: "Asnes"
    for Åsnes, "10 B" for 10B. Only for names the exact spelling (`folded`) finds nothing by."""
    return folded(name).translate(_PLAIN_LETTERS).replace(" ", "")


_PLAIN_LETTERS = str.maketrans({"å": "a", "ø": "o", "æ": "ae"})


@dataclass
class _Places:
    """The regions' municipalities and classes by name, loaded once for the whole file. Names in the
    file match as name search matches them (see `folded`): "Vaaler" and "VÅLER" are Våler; failing
    that, written without Norwegian letters or with spaces of their own (`_plain`)."""

    municipalities: dict[str, list[Municipality]]
    by_id: dict[int, Municipality]
    plainly: dict[str, list[Municipality]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, region_ids: set[int]) -> _Places:
        found = session.scalars(
            select(Municipality)
            .where(Municipality.region_id.in_(region_ids))
            .options(selectinload(Municipality.schools).selectinload(School.classes))
        ).all()
        by_name: dict[str, list[Municipality]] = {}
        plainly: dict[str, list[Municipality]] = {}
        for municipality in found:
            by_name.setdefault(folded(municipality.name), []).append(municipality)
            plainly.setdefault(_plain(municipality.name), []).append(municipality)
        return cls(by_name, {m.id: m for m in found}, plainly)

    def municipalities_called(self, written: str) -> list[Municipality]:
        """The municipalities a name in the file may mean, those still in use first."""
        found = self.municipalities.get(folded(written)) or self.plainly.get(_plain(written), [])
        return sorted(found, key=lambda m: m.archived)

    def school_class(self, class_id: int | None) -> SchoolClass | None:
        return next(
            (c for m in self.by_id.values() for s in m.schools for c in s.classes if c.id == class_id),
            None,
        )

    def school_classes(self, municipality: Municipality, written: str) -> list[SchoolClass]:
        """Classes matching "Flisa skole 9A", or just "9A" when the municipality has one such class."""
        usable = [c for s in municipality.schools if not s.archived for c in s.classes if not c.archived]
        for key in (folded, _plain):
            wanted = key(written)
            by_label = [c for c in usable if key(f"{c.school.name} {c.name}") == wanted]
            found = by_label or [c for c in usable if key(c.name) == wanted]
            if found:
                return found
        return []


def _problem(msgid: str, row: int, **params) -> Refusal:
    """A row's error; its `name`, where the row has one, names the parent left out if the
    coordinator imports the rest."""
    return Refusal(msgid, row=row, **params)


_Parent = tuple[str, str]  # name, phone


def _read_row(
    row: int, cells: list[str], mapping: Mapping, places: _Places
) -> tuple[list[ImportRow], list[Refusal]] | Refusal:
    """The row's parent, or both its parents, each with the row's municipality and class, and the
    parent left out when only one of two can be imported."""
    positions = mapping.columns
    written_class = _cell(cells, positions, "school_class")
    fixed_class = places.school_class(mapping.school_class_id) if "school_class" not in positions else None
    read = _read_parents(row, cells, mapping)
    if isinstance(read, Refusal):
        return read
    parents, left_out = read
    municipality = _municipality(row, cells, mapping, places)
    if isinstance(municipality, Refusal):
        return municipality
    # The class chosen for the whole file (a school's list) holds for a parent living in the next
    # municipality too, as a parent may tick any class of the region on their profile.
    school_class = fixed_class
    if written_class:
        matches = places.school_classes(municipality, written_class)
        if not matches:
            return _problem(
                N_("Row %(row)d: there is no school class called %(school_class)s in %(municipality)s."),
                row,
                school_class=written_class,
                municipality=municipality.name,
            )
        if len(matches) > 1:
            return _problem(
                N_(
                    "Row %(row)d: more than one school in %(municipality)s has a class %(school_class)s. "
                    "Write the school too, like “%(example)s”."
                ),
                row,
                school_class=written_class,
                municipality=municipality.name,
                example=f"{matches[0].school.name} {matches[0].name}",
            )
        school_class = matches[0]
    rows = [
        ImportRow(
            rows=[row],
            name=name,
            phone=phone,
            municipality=municipality,
            school_classes=[school_class] if school_class else [],
        )
        for name, phone in parents
    ]
    return rows, left_out


def _read_parents(row: int, cells: list[str], mapping: Mapping) -> tuple[list[_Parent], list[Refusal]] | Refusal:
    """Each parent on the row as (name, phone). A parent's columns left empty are nobody: many a
    child on a school's list has one parent in it, not two. Of two parents, one that cannot be
    imported (no mobile number on the school's file, a landline) is left out, said so, when the
    other can: the child's family is still reached. The same parent written twice is one."""
    parents = list(enumerate(mapping.parents()))
    written = [(n, p) for n, p in parents if _name(cells, p) or _cell(cells, p, "phone")]
    read = [
        (_read_parent(row, cells, positions, second=number == 1), positions)
        for number, positions in written or parents[:1]
    ]
    good = [parent for parent, _positions in read if not isinstance(parent, Refusal)]
    if len(good) == 2 and good[0][1] == good[1][1]:
        if not _same_name(_name_words(good[0][0]), _name_words(good[1][0])):
            return _problem(
                N_("Row %(row)d: both parents have the phone number %(phone)s."), row, phone=display_phone(good[0][1])
            )
        good = [max(good, key=lambda parent: len(_name_words(parent[0])))]  # "Hege Lien" twice: one parent
    left_out = []
    for parent, positions in read:
        if not isinstance(parent, Refusal):
            continue
        raw_phone, name = _cell(cells, positions, "phone"), _name(cells, positions)
        if not good or not name or len(name) > NAME_LIMIT:  # nobody on the row to import, or a column astray
            return parent
        left_out.append(_left_out(row, name, raw_phone, imported=good[0][0]))
    return good, left_out


def _left_out(row: int, name: str, raw_phone: str, imported: str) -> Refusal:
    if not raw_phone:
        return _problem(
            N_("Row %(row)d: %(name)s has no mobile number in the file and is not imported; %(imported)s is."),
            row,
            name=name,
            imported=imported,
        )
    return _problem(
        N_("Row %(row)d: %(phone)s is not a mobile number, so %(name)s is not imported; %(imported)s is."),
        row,
        phone=raw_phone,
        name=name,
        imported=imported,
    )


def _read_parent(row: int, cells: list[str], positions: dict[str, int], second: bool) -> tuple[str, str] | Refusal:
    name = _name(cells, positions)
    raw_phone = _cell(cells, positions, "phone")
    if not name:
        return _problem(
            N_("Row %(row)d: the second parent's name is missing.")
            if second
            else N_("Row %(row)d: the name is missing."),
            row,
        )
    if len(name) > NAME_LIMIT:
        return _problem(N_("Row %(row)d: the name is longer than %(max)d characters."), row, max=NAME_LIMIT)
    if not raw_phone:
        return _problem(
            N_("Row %(row)d: the second parent's phone number is missing.")
            if second
            else N_("Row %(row)d: the phone number is missing."),
            row,
        )
    try:
        return name, normalise_phone(raw_phone)
    except TextInPhone:
        return _problem(
            N_("Row %(row)d: the phone number %(phone)s has letters or other text in it. Write only the number."),
            row,
            phone=raw_phone,
            name=name,
        )
    except InvalidPhone:
        return _problem(
            N_("Row %(row)d: the phone number %(phone)s is not a valid mobile number."),
            row,
            phone=raw_phone,
            name=name,
        )


def _municipality(row: int, cells: list[str], mapping: Mapping, places: _Places) -> Municipality | Refusal:
    """Where the row's parent lives: the municipality chosen for everyone when the file has no
    such column, else the one its name in the file means."""
    if "municipality" not in mapping.columns and mapping.municipality_id is not None:
        municipality = places.by_id[mapping.municipality_id]  # never looked up by name: it may be shared
    else:
        written = _cell(cells, mapping.columns, "municipality")
        if not written:
            return _problem(N_("Row %(row)d: the municipality is missing."), row)
        candidates = places.municipalities_called(written)
        if not candidates:
            return _problem(
                N_("Row %(row)d: there is no municipality called %(municipality)s in your region."),
                row,
                municipality=written,
            )
        if len([m for m in candidates if not m.archived]) > 1:  # two regions' Våler, or "Vaaler" beside "Våler"
            return _problem(
                N_(
                    "Row %(row)d: more than one municipality in your regions is called %(municipality)s. "
                    "Split the file by municipality and, under “Which column holds what”, choose the one "
                    "everyone in it lives in."
                ),
                row,
                municipality=written,
            )
        municipality = candidates[0]
    if municipality.archived:
        return _problem(
            N_("Row %(row)d: %(municipality)s is archived. Restore it under Places, or use another municipality."),
            row,
            municipality=municipality.name,
        )
    return municipality


def _by_phone(parents: list[ImportRow]) -> list[list[ImportRow]]:
    """The parents read from the file, those with the same number together, in the order the
    file first names them."""
    by_phone: dict[str, list[ImportRow]] = {}
    for parent in parents:
        by_phone.setdefault(parent.phone, []).append(parent)
    return list(by_phone.values())


def _name_words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", folded(name)))


def _same_name(one: frozenset[str], other: frozenset[str]) -> bool:
    """Whether two rows' names, as their words, can be one person's. They can when the words of
    one, compared as name search compares them (case, accents and "aa" for "å" aside), are all
    among the other's: "KARI NORDMANN" and "Kari Nordmann", "Kari Nordmann" and "Kari Marie
    Nordmann", "Nordmann, Kari" and "Kari Nordmann", or "Kari" on a list of first names only.
    Names that are clearly different ("Kari Nordmann" and "Per Nordmann") are two people: a number
    mistyped on one row must not make them one."""
    return one <= other or other <= one


def _one_person(rows: list[ImportRow]) -> ImportRow | Refusal:
    """The rows that give one number (a parent of two children on the list, say) as one person,
    with every class they name and the fullest of the names. Refused when two of them give
    clearly different names or different municipalities: one of the numbers is then wrong."""
    first = rows[0]
    # Each way of writing the name is compared once, with the row that first wrote it so: a list
    # with one number on every row costs no more than one with a handful.
    written: dict[frozenset[str], ImportRow] = {}
    for row in rows:
        words = _name_words(row.name)
        if words not in written:
            other = next((earlier for seen, earlier in written.items() if not _same_name(seen, words)), None)
            if other is not None:
                return _problem(
                    N_(
                        "Rows %(first)d and %(row)d have the same phone number %(phone)s but different names, "
                        "%(first_name)s and %(name)s. If it is one person, write the name the same way on both "
                        "rows; if not, correct the number."
                    ),
                    row.row,
                    first=other.row,
                    phone=row.shown_phone,
                    first_name=other.name,
                    name=row.name,
                )
            written[words] = row
        if row.municipality.id != first.municipality.id:
            return _problem(
                N_(
                    "Rows %(first)d and %(row)d have the same phone number %(phone)s but different "
                    "municipalities, %(first_municipality)s and %(municipality)s. Correct the number or "
                    "the municipality."
                ),
                row.row,
                first=first.row,
                phone=row.shown_phone,
                first_municipality=first.municipality.name,
                municipality=row.municipality.name,
            )
    # Every way of writing it is among the fullest's words (see `_same_name`): "Kari Marie Nordmann", not "Kari".
    fullest = max(written.items(), key=lambda item: len(item[0]))[1]
    return ImportRow(
        rows=[row.row for row in rows],
        name=fullest.name,
        phone=first.phone,
        municipality=first.municipality,
        school_classes=list({c.id: c for row in rows for c in row.school_classes}.values()),
    )


def compare(row: ImportRow, person: Person, region_ids: set[int]) -> Refusal | None:
    """Fill in what importing the row would change for someone already registered. The name of
    someone who has logged in and answered the first-time questions is their own: a list may write
    it differently, but one that names someone else by their number is refused, since a number
    mistyped on a school's list must not rename a walker. Someone a list brought in and who has
    not logged in yet takes the list's name, so a corrected list corrects it."""
    if person.municipality is not None and person.municipality.region_id not in region_ids:
        row.elsewhere = person
        return None
    if person.onboarded and not _same_name(_name_words(person.name), _name_words(row.name)):
        return _problem(
            N_(
                "Row %(row)d: %(phone)s is registered to %(registered)s, not %(name)s. If it is the same "
                "person, write the name as registered; if not, correct the number."
            ),
            row.rows[0],
            phone=row.shown_phone,
            registered=person.name,
            name=row.name,
        )
    row.person = person
    if person.onboarded:
        row.name = person.name
    elif person.name != row.name:
        row.changed.append("name")
    if person.municipality_id != row.municipality.id:
        row.changed.append("municipality")
    if any(c.id not in person.school_class_ids for c in row.school_classes):
        row.changed.append("school_class")
    row.change = Change.UPDATED if row.changed else Change.UNCHANGED
    return None


def preview_import(session: Session, region_ids: set[int], text: str, mapping: Mapping | None = None) -> ImportPreview:
    """Read the whole file and say, row by row, what importing it would do and what is wrong. A
    number on several rows is one person (see `_one_person`). Without a mapping, the headers say
    which column holds what. Raises ColumnsNeeded when that is not clear, and ImportRefused when
    the file as a whole cannot be read."""
    if mapping is None:
        guess = guess_columns(text)
        if not guess.sure:
            raise ColumnsNeeded((guess.mapping.missing() or [N_("Say which column holds what.")])[0])
        mapping = guess.mapping
    records = _records(text, mapping)
    places = _Places.load(session, region_ids)
    if mapping.municipality_id is not None and mapping.municipality_id not in places.by_id:
        raise ColumnsNeeded(N_("Choose a municipality in your region."))
    parents: list[ImportRow] = []
    errors: list[Refusal] = []
    left_out: list[Refusal] = []
    for row_number, cells in records:
        read = _read_row(row_number, cells, mapping, places)
        if isinstance(read, Refusal):
            errors.append(read)
        else:
            parents.extend(read[0])
            left_out.extend(read[1])
    rows: list[ImportRow] = []
    for same_number in _by_phone(parents):
        person = _one_person(same_number)
        if isinstance(person, Refusal):
            errors.append(person)
        else:
            rows.append(person)
    existing = {
        p.phone: p
        for p in session.scalars(
            select(Person)
            .where(Person.phone.in_([r.phone for r in rows]))
            .options(joinedload(Person.municipality), selectinload(Person.school_classes))
        )
    }
    refused = {row.phone: compare(row, existing[row.phone], region_ids) for row in rows if row.phone in existing}
    errors.extend(refusal for refusal in refused.values() if refusal is not None)
    errors.sort(key=lambda e: e.params["row"])
    return ImportPreview(rows=[row for row in rows if refused.get(row.phone) is None], errors=errors, left_out=left_out)


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    #: The errors of the rows the coordinator chose to leave out.
    errors_left_out: list[Refusal] = field(default_factory=list)
    #: Nobody was added, changed, approved or invited: the list had been imported before, by the
    #: first click of a double click say, and nothing was written.
    already_imported: bool = False

    @property
    def people(self) -> int:
        return self.created + self.updated + self.unchanged


def apply_import(
    session: Session,
    region_ids: set[int],
    text: str,
    actor: Person,
    now: datetime,
    links: Links,
    mapping: Mapping | None = None,
    *,
    leaving_out: int = 0,
) -> ImportResult:
    """Import every row, or every row but those with errors when the coordinator, having seen them
    in the preview, chose to leave them out: `leaving_out` is how many errors they saw, and a list
    that reads differently now (someone registered since, say) imports nothing. People already registered
    (by phone) are updated, never duplicated. Everyone in the file is approved: the coordinator
    chose them. New people are not onboarded: an SMS invites them to log in, confirm they are 18
    or older and accept the code of conduct themselves. Someone registered in another region stays
    there, and an SMS invites them to move: the import says of them what it says of a new number."""
    one_intake_at_a_time(session, region_ids)
    preview = preview_import(session, region_ids, text, mapping)
    if leaving_out and len(preview.errors) != leaving_out:
        raise ImportRefused(
            N_("The list reads differently now than when you saw it, so nothing was imported. Look at it again below.")
        )
    if preview.errors and not leaving_out:
        raise ImportRefused(
            N_("Nothing was imported: the file has %(count)d errors. Correct them and try again."),
            count=len(preview.errors),
        )
    if not preview.rows:
        raise ImportRefused(N_("The file has no people in it."))
    try:
        intake = take_in(session, preview.rows, links, now)
    except IntegrityError as error:  # a number in the list logged in for the first time a moment ago
        raise ImportRefused(
            N_(
                "Someone in the list registered at the same moment, so nothing was imported. "
                "Check the list below and import it again."
            )
        ) from error
    result = ImportResult(
        created=preview.count(Change.NEW),
        updated=preview.count(Change.UPDATED),
        unchanged=preview.count(Change.UNCHANGED),
        errors_left_out=preview.errors if leaving_out else [],
    )
    if not intake.did_anything:
        result.already_imported = True
        return result
    for region_id, by_change in intake.by_region.items():
        audit.record(
            session,
            actor_id=actor.id,
            action="people.imported",
            object_type="region",
            object_id=region_id,
            now=now,
            region_id=region_id,
            # As the coordinator was told: those invited from other regions count as new.
            created=len(by_change[Change.NEW]) + intake.invited_elsewhere[region_id],
            updated=len(by_change[Change.UPDATED]),
            unchanged=len(by_change[Change.UNCHANGED]),
            person_ids=[p.id for p in by_change[Change.NEW] + by_change[Change.UPDATED]],
            approved_ids=[p.id for p in intake.approved.get(region_id, [])],
            rows_left_out=leaving_out,
        )
    return result


@dataclass
class Intake:
    """What taking people in did, by region: who is new, updated or unchanged, who was approved,
    and how many who live in another region were invited to move."""

    by_region: dict[int, dict[Change, list[Person]]] = field(default_factory=dict)
    approved: dict[int, list[Person]] = field(default_factory=dict)
    invited_elsewhere: Counter[int] = field(default_factory=Counter)
    moves_planned: int = 0

    @property
    def did_anything(self) -> bool:
        added_or_changed = any(by[Change.NEW] or by[Change.UPDATED] for by in self.by_region.values())
        return added_or_changed or bool(self.approved) or self.moves_planned > 0

    def _of(self, region_id: int) -> dict[Change, list[Person]]:
        return self.by_region.setdefault(region_id, {change: [] for change in Change})


def take_in(session: Session, rows: list[ImportRow], links: Links, now: datetime) -> Intake:
    """Register the rows' people as the coordinator chose them, whether from a list or one by one
    on the "Add a person" form: new people are added, people already registered (`row.person`) are
    updated, never duplicated, and everyone is approved. New people are not onboarded: an SMS
    invites them to log in, confirm they are 18 or older and accept the code of conduct themselves;
    those approved only now are told they can sign up. Someone registered in another region
    (`row.elsewhere`) stays there and is invited to move. The audit log is the caller's: it says
    how the people came. Raises IntegrityError, with nothing written, when one of the numbers was
    registered by someone logging in a moment ago."""
    intake = Intake()
    with session.begin_nested():
        for row in rows:
            region_id = row.municipality.region_id
            if row.elsewhere is not None:
                if plan_move_invitation(session, row.elsewhere, row.municipality, links, now) is not None:
                    intake.moves_planned += 1
                intake.invited_elsewhere[region_id] += 1
                intake._of(region_id)
                continue
            person = row.person or _new_person(session, row, now)
            if row.change == Change.UPDATED:
                person.name = row.name
                person.municipality = row.municipality
                for school_class in row.school_classes:  # a child in another class keeps theirs
                    if school_class not in person.school_classes:
                        person.school_classes.append(school_class)
            if approve(person, now):
                intake.approved.setdefault(region_id, []).append(person)
            intake._of(region_id)[row.change].append(person)
        # Everyone new at once, in a few statements rather than a few for each of thousands of
        # rows: their invitations and the audit log need their ids.
        session.flush()
    for region_id, by_change in intake.by_region.items():
        plan_invitations(session, by_change[Change.NEW], links, now)
        new = {person.id for person in by_change[Change.NEW]}
        waited = [p for p in intake.approved.get(region_id, []) if p.id not in new]  # new ones are invited
        plan_approval_notices(session, waited, session.get_one(Region, region_id), links, now)
    return intake


def one_intake_at_a_time(session: Session, region_ids: set[int]) -> None:
    """A second import into the same regions (the second click of a double click), or a person added
    by hand there meanwhile, waits until the first is done, then finds the people it added
    registered, rather than adding them again and failing on their numbers. Locks taken in one
    order, so that two imports cannot wait for each other. (SQLite has no row locks, and needs
    none: every write transaction holds the one lock.) FOR NO KEY UPDATE, as the sign-ups' locks:
    a new row that merely refers to a region is not held up."""
    regions = select(Region.id).where(Region.id.in_(region_ids)).order_by(Region.id)
    session.execute(regions.with_for_update(key_share=True)).all()


def _new_person(session: Session, row: ImportRow, now: datetime) -> Person:
    person = Person(
        phone=row.phone,
        name=row.name,
        locale=row.locale,
        locale_guessed=True,  # their browser's language comes first until they choose one
        municipality=row.municipality,
        school_classes=list(row.school_classes),
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(person)
    return person
