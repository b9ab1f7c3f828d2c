"""Adding one person by hand: a parent met at a parent meeting, or a row the import left out. It
does what importing that one row does (`importing.take_in`): the person is added, approved and
invited once, and someone registered in another region is invited to move and never shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from natteravn.accounts.models import Person, Scope
from natteravn.accounts.service import InvalidPhone, ProfileRefused, normalise_phone
from natteravn.audit import service as audit
from natteravn.db import can_be_an_id
from natteravn.i18n import LOCALES, N_, Refusal
from natteravn.links import Links
from natteravn.people import importing
from natteravn.people.service import PeopleRefused, person_in
from natteravn.places.models import Municipality, SchoolClass


@dataclass
class NewPerson:
    """The form as the coordinator filled it in."""

    name: str
    phone: str
    municipality_id: int | None
    school_class_ids: list[int] = field(default_factory=list)
    locale: str = LOCALES[0]  # as the import gives everyone


class AlreadyRegistered(PeopleRefused):
    """The number is one of the coordinator's people already: the page links to them."""

    def __init__(self, person: Person, phone: str):
        super().__init__(
            N_("%(phone)s is already registered, to %(name)s."), field="phone", phone=phone, name=person.name or phone
        )
        self.person = person


@dataclass
class Added:
    #: Who is now one of the coordinator's people; None for someone who lives in another region,
    #: invited to move: the coordinator is told no more of them than the import would tell.
    person: Person | None
    name: str
    municipality: Municipality
    invited: bool  # a new person's invitation to log in is planned
    #: For someone registered already, what was changed: "name", "municipality", "school_class".
    changed: list[str] = field(default_factory=list)


def add_person(session: Session, scope: Scope, new: NewPerson, actor: Person, now: datetime, links: Links) -> Added:
    """Add one person to a municipality the coordinator has, as importing a list of one would.
    Raises ProfileRefused with every answer to correct, and AlreadyRegistered for a number of the
    coordinator's own people when the answers would change nothing for them or name someone else
    (nothing is changed then: their page is the place for them)."""
    row = _checked(session, scope, new)
    importing.one_intake_at_a_time(session, {row.municipality.region_id})
    registered = session.scalar(select(Person).where(Person.phone == row.phone).options(selectinload(Person.roles)))
    if registered is not None:
        _compare(session, scope, row, registered)
    # One of the coordinator's own people, given the classes ticked (see `_compare`).
    own = registered is not None and registered.municipality_id is not None and row.elsewhere is None
    try:
        intake = importing.take_in(session, [row], links, now)
    except IntegrityError as error:  # the number logged in for the first time a moment ago
        raise PeopleRefused(
            N_("Someone registered with this number at the same moment. Add them again to see who it is."),
            field="phone",
        ) from error
    region_id = row.municipality.region_id
    person = None if row.elsewhere is not None else row.person or intake.by_region[region_id][row.change][0]
    _record(session, actor, person, row, now, action="person.updated" if own else "person.added")
    return Added(
        person=person,
        name=row.name,
        municipality=row.municipality,
        invited=row.change == importing.Change.NEW and row.elsewhere is None,
        changed=list(row.changed),
    )


def _checked(session: Session, scope: Scope, new: NewPerson) -> importing.ImportRow:
    """The answers as one row of an import; everything wrong with them at once, by field."""
    row, problems = _read(session, scope, new)
    if problems:
        raise ProfileRefused(problems)
    assert row is not None, "read when nothing is wrong"
    return row


def problems_with(session: Session, scope: Scope, new: NewPerson) -> dict[str, Refusal]:
    """What is wrong with the answers, by field, without adding anyone: for a form that found
    something wrong itself to say the rest at once."""
    return _read(session, scope, new)[1]


def _municipality_of(classes: list[SchoolClass | None]) -> Municipality | None:
    """The one municipality of the classes ticked, if they are all of one."""
    found = {c.school.municipality for c in classes if c is not None}
    return found.pop() if len(found) == 1 else None


def _read(session: Session, scope: Scope, new: NewPerson) -> tuple[importing.ImportRow | None, dict[str, Refusal]]:
    problems: dict[str, Refusal] = {}
    name = " ".join((new.name or "").split())
    if not name:
        problems["name"] = Refusal(N_("Write their name."))
    elif len(name) > importing.NAME_LIMIT:
        problems["name"] = Refusal(N_("Shorten this to %(max)d characters."), max=importing.NAME_LIMIT)
    phone = ""
    try:
        phone = normalise_phone(new.phone)
    except InvalidPhone as refusal:
        problems["phone"] = refusal
    classes = [
        session.get(SchoolClass, class_id) if can_be_an_id(class_id) else None
        for class_id in dict.fromkeys(new.school_class_ids)
    ]
    if new.municipality_id:
        municipality = session.get(Municipality, new.municipality_id) if can_be_an_id(new.municipality_id) else None
    else:  # the classes ticked say where the children go to school, and so where the parent walks
        municipality = _municipality_of(classes)
    if municipality is None or municipality.archived or not scope.covers(municipality.region_id, municipality.id):
        problems["municipality"] = Refusal(N_("Choose a municipality from the list."))
        municipality = None
    if municipality is not None and not all(c is not None and _open_class_in(c, municipality) for c in classes):
        problems["school_classes"] = Refusal(
            N_("Choose school classes in %(municipality)s, or none."), municipality=municipality.name
        )
    if new.locale not in LOCALES:
        problems["locale"] = Refusal(N_("Choose a language from the list."))
    if problems or municipality is None:
        return None, problems
    row = importing.ImportRow(
        rows=[1],
        name=name,
        phone=phone,
        municipality=municipality,
        school_classes=[c for c in classes if c is not None],
        locale=new.locale,
    )
    return row, problems


def _open_class_in(school_class: SchoolClass, municipality: Municipality) -> bool:
    school = school_class.school
    return not school_class.archived and not school.archived and school.municipality_id == municipality.id


def _compare(session: Session, scope: Scope, row: importing.ImportRow, registered: Person) -> None:
    """What adding the number means for the person who has it. One of the coordinator's own
    people gets what an import of the row would give them, their municipality aside (the classes
    ticked added, a name not yet their own); when that changes nothing, or the name is not
    theirs (a mistyped number), they are said to be registered. Anyone else who belongs somewhere
    (lives in another region, or in a municipality of this one the coordinator does not have, or
    holds a role elsewhere) is, as in an import, invited to move and left where they are. Someone
    who logged in once and never said where they live is taken in, as an import takes them."""
    if person_in(session, registered.id, scope) is not None:
        # By hand they keep where they walk: the form asks for a municipality to place someone
        # new, and a class at a school elsewhere does not move a parent.
        row.municipality = registered.municipality or row.municipality
        named_otherwise = importing.compare(row, registered, {row.municipality.region_id})
        if named_otherwise is not None or row.change != importing.Change.UPDATED:
            raise AlreadyRegistered(registered, row.shown_phone)
        return
    if registered.municipality_id is not None or registered.roles:
        row.elsewhere = registered
        return
    row.person = registered
    row.change = importing.Change.UPDATED


def _record(
    session: Session, actor: Person, person: Person | None, row: importing.ImportRow, now: datetime, *, action: str
) -> None:
    region_id = row.municipality.region_id
    if person is None:  # named by no id: the audit log of this region must not find them either
        audit.record(
            session,
            actor_id=actor.id,
            action="person.invited",
            object_type="region",
            object_id=region_id,
            now=now,
            region_id=region_id,
            municipality=row.municipality.name,
        )
        return
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
        municipality_id=row.municipality.id,
        school_class_ids=sorted(c.id for c in row.school_classes),
        created=row.change == importing.Change.NEW,
    )
