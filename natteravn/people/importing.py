"""Importing parents from a spreadsheet: the coordinator uploads a CSV, sees row by row what it
would do, and imports every row or none."""

from __future__ import annotations

import codecs
import csv
import enum
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from natteravn.accounts.models import Person
from natteravn.accounts.service import InvalidPhone, display_phone, normalise_phone
from natteravn.audit import service as audit
from natteravn.i18n import LOCALES, N_, Refusal
from natteravn.places.models import Municipality, School, SchoolClass

# The checked file travels back in the confirmation form, and Flask refuses form fields over 500 kB.
MAX_IMPORT_BYTES = 400_000
MAX_IMPORT_ROWS = 5000
NAME_LIMIT = 120  # as a person's name is stored
COLUMNS = {
    "name": "name",
    "navn": "name",
    "namn": "name",
    "phone": "phone",
    "mobile": "phone",
    "telefon": "phone",
    "mobil": "phone",
    "telefonnummer": "phone",
    "mobilnummer": "phone",
    "municipality": "municipality",
    "kommune": "municipality",
    "school class": "school_class",
    "class": "school_class",
    "klasse": "school_class",
    "skoleklasse": "school_class",
}
REQUIRED = ("name", "phone", "municipality")


class ImportRefused(Refusal):
    pass


class Change(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ImportRow:
    row: int
    name: str
    phone: str
    municipality: Municipality
    school_class: SchoolClass | None
    person: Person | None = None
    change: Change = Change.NEW
    changed: list[str] = field(default_factory=list)  # which of name, municipality, school_class

    @property
    def shown_phone(self) -> str:
        return display_phone(self.phone)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[Refusal]

    def count(self, change: Change) -> int:
        return sum(1 for row in self.rows if row.change == change)


def read_upload(data: bytes) -> str:
    """The file's text: UTF-8 with or without Excel's byte-order mark, or the Windows encoding
    Excel uses for plain "CSV" on a Norwegian PC."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(N_("The file is larger than 400 kB. Split it into smaller files."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportRefused(N_("The file could not be read as text. Save it from Excel as “CSV UTF-8”.")) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportRefused(N_("The file could not be read as text. Save it from Excel as “CSV UTF-8”.")) from error


def _separator(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=header.count)


def _column(name: str) -> str | None:
    return COLUMNS.get(" ".join(name.replace("_", " ").replace("-", " ").casefold().split()))


def _records(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The column positions and the non-empty rows, each with its row number as a spreadsheet shows it."""
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
    _, header = rows[0]
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        column = _column(title)
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise ImportRefused(
            N_(
                "The first row must name the columns name, phone, municipality and (if you like) "
                "school class. Missing: %(missing)s."
            ),
            missing=", ".join(missing),
        )
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ImportRefused(
            N_("The file has more than %(limit)d rows. Split it into smaller files."), limit=MAX_IMPORT_ROWS
        )
    return positions, rows[1:]


def _cell(cells: list[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""


@dataclass
class _Places:
    """The regions' municipalities and classes by name, loaded once for the whole file."""

    municipalities: dict[str, list[Municipality]]

    @classmethod
    def load(cls, session: Session, region_ids: set[int]) -> _Places:
        found = session.scalars(
            select(Municipality)
            .where(Municipality.region_id.in_(region_ids))
            .options(selectinload(Municipality.schools).selectinload(School.classes))
        ).all()
        by_name: dict[str, list[Municipality]] = {}
        for municipality in found:
            by_name.setdefault(municipality.name.casefold(), []).append(municipality)
        return cls(by_name)

    def school_classes(self, municipality: Municipality, written: str) -> list[SchoolClass]:
        """Classes matching "Flisa skole 9A", or just "9A" when the municipality has one such class."""
        wanted = written.casefold()
        usable = [c for s in municipality.schools if not s.archived for c in s.classes if not c.archived]
        by_label = [c for c in usable if f"{c.school.name} {c.name}".casefold() == wanted]
        return by_label or [c for c in usable if c.name.casefold() == wanted]


def _problem(msgid: str, row: int, **params) -> Refusal:
    return Refusal(msgid, row=row, **params)


def _read_row(row: int, cells: list[str], positions: dict[str, int], places: _Places) -> ImportRow | Refusal:
    name = _cell(cells, positions, "name")
    raw_phone = _cell(cells, positions, "phone")
    written_municipality = _cell(cells, positions, "municipality")
    written_class = _cell(cells, positions, "school_class")
    if not name:
        return _problem(N_("Row %(row)d: the name is missing."), row)
    if len(name) > NAME_LIMIT:
        return _problem(N_("Row %(row)d: the name is longer than %(max)d characters."), row, max=NAME_LIMIT)
    if not raw_phone:
        return _problem(N_("Row %(row)d: the phone number is missing."), row)
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone:
        return _problem(
            N_("Row %(row)d: the phone number %(phone)s is not a valid mobile number."), row, phone=raw_phone
        )
    if not written_municipality:
        return _problem(N_("Row %(row)d: the municipality is missing."), row)
    candidates = places.municipalities.get(written_municipality.casefold(), [])
    if not candidates:
        return _problem(
            N_("Row %(row)d: there is no municipality called %(municipality)s in your region."),
            row,
            municipality=written_municipality,
        )
    municipality = candidates[0]
    if municipality.archived:
        return _problem(
            N_("Row %(row)d: %(municipality)s is archived. Restore it under Places, or use another municipality."),
            row,
            municipality=municipality.name,
        )
    school_class = None
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
    return ImportRow(row=row, name=name, phone=phone, municipality=municipality, school_class=school_class)


def _compare(row: ImportRow, person: Person, region_ids: set[int]) -> Refusal | None:
    """Fill in what importing the row would change for someone already registered."""
    if person.municipality is not None and person.municipality.region_id not in region_ids:
        return _problem(
            N_("Row %(row)d: the phone number %(phone)s belongs to someone in another region."),
            row.row,
            phone=row.shown_phone,
        )
    row.person = person
    if person.name != row.name:
        row.changed.append("name")
    if person.municipality_id != row.municipality.id:
        row.changed.append("municipality")
    if row.school_class is not None and row.school_class.id not in person.school_class_ids:
        row.changed.append("school_class")
    row.change = Change.UPDATED if row.changed else Change.UNCHANGED
    return None


def preview_import(session: Session, region_ids: set[int], text: str) -> ImportPreview:
    """Read the whole file and say, row by row, what importing it would do and what is wrong.
    Raises ImportRefused when the file as a whole cannot be read."""
    positions, records = _records(text)
    places = _Places.load(session, region_ids)
    rows: list[ImportRow] = []
    errors: list[Refusal] = []
    first_row_of: dict[str, int] = {}
    for row_number, cells in records:
        read = _read_row(row_number, cells, positions, places)
        if isinstance(read, Refusal):
            errors.append(read)
            continue
        if read.phone in first_row_of:
            errors.append(
                _problem(
                    N_("Row %(row)d: the phone number %(phone)s is also on row %(first)d."),
                    row_number,
                    phone=read.shown_phone,
                    first=first_row_of[read.phone],
                )
            )
            continue
        first_row_of[read.phone] = row_number
        rows.append(read)
    existing = {
        p.phone: p
        for p in session.scalars(
            select(Person).where(Person.phone.in_([r.phone for r in rows])).options(joinedload(Person.municipality))
        )
    }
    for row in rows:
        if row.phone in existing:
            problem = _compare(row, existing[row.phone], region_ids)
            if problem is not None:
                errors.append(problem)
    errors.sort(key=lambda e: e.params["row"])
    return ImportPreview(rows=rows, errors=errors)


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


def apply_import(session: Session, region_ids: set[int], text: str, actor: Person, now: datetime) -> ImportResult:
    """Import every row or none: with any error nothing is written. People already registered
    (by phone) are updated, never duplicated. New people are not onboarded: on first login they
    confirm they are 18 or older and accept the code of conduct themselves."""
    preview = preview_import(session, region_ids, text)
    if preview.errors:
        raise ImportRefused(
            N_("Nothing was imported: the file has %(count)d errors. Correct them and try again."),
            count=len(preview.errors),
        )
    if not preview.rows:
        raise ImportRefused(N_("The file has no people in it."))
    touched: dict[int, dict[str, list[int]]] = {}
    for row in preview.rows:
        person = row.person or _new_person(session, row, now)
        if row.change == Change.UPDATED:
            person.name = row.name
            person.municipality_id = row.municipality.id
            if row.school_class is not None and row.school_class not in person.school_classes:
                person.school_classes.append(row.school_class)  # a child in another class keeps theirs
        session.flush()
        touched.setdefault(row.municipality.region_id, {c: [] for c in Change})[row.change].append(person.id)
    for region_id, by_change in touched.items():
        audit.record(
            session,
            actor_id=actor.id,
            action="people.imported",
            object_type="region",
            object_id=region_id,
            now=now,
            region_id=region_id,
            created=len(by_change[Change.NEW]),
            updated=len(by_change[Change.UPDATED]),
            unchanged=len(by_change[Change.UNCHANGED]),
            person_ids=by_change[Change.NEW] + by_change[Change.UPDATED],
        )
    return ImportResult(
        created=preview.count(Change.NEW),
        updated=preview.count(Change.UPDATED),
        unchanged=preview.count(Change.UNCHANGED),
    )


def _new_person(session: Session, row: ImportRow, now: datetime) -> Person:
    person = Person(
        phone=row.phone,
        name=row.name,
        locale=LOCALES[0],
        municipality_id=row.municipality.id,
        school_classes=[row.school_class] if row.school_class else [],
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(person)
    return person
