"""The coordinator keeps the region's places: its settings, municipalities, routes, schools and
school classes. Nothing is deleted: an archived place leaves parents' choices and the planning
of new nights, while old nights keep their route and people keep their class."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from natteravn.accounts.models import Person, Scope
from natteravn.audit import service as audit
from natteravn.i18n import N_, Checks, Refusal, alphabetical
from natteravn.places.models import Municipality, Region, Registration, Route, School, SchoolClass
from natteravn.sms import service as sms
from natteravn.sms.quiet import QuietHours, quiet_at, quiet_length

Place = Municipality | Route | School | SchoolClass

#: How each kind of place is named in the audit log.
OBJECT_TYPES = {Municipality: "municipality", Route: "route", School: "school", SchoolClass: "school_class"}


#: What the audit log says about changes to places.
AUDIT = audit.Vocabulary(
    actions={
        "region.created": N_("Set up the region %(name)s (%(slug)s, time zone %(timezone)s)"),
        "region.updated": N_("Changed the settings of %(name)s"),
        "municipality.created": N_("Added the municipality %(name)s"),
        "municipality.updated": N_("Changed the municipality %(name)s"),
        "municipality.archived": N_("Archived the municipality %(name)s"),
        "municipality.restored": N_("Restored the municipality %(name)s"),
        "route.created": N_("Added the route %(name)s, meeting at %(meeting_point)s"),
        "route.updated": N_("Changed the route %(name)s"),
        "route.archived": N_("Archived the route %(name)s"),
        "route.restored": N_("Restored the route %(name)s"),
        "school.created": N_("Added the school %(name)s"),
        "school.updated": N_("Changed the school %(name)s"),
        "school.archived": N_("Archived the school %(name)s"),
        "school.restored": N_("Restored the school %(name)s"),
        "school_class.created": N_("Added the class %(name)s"),
        "school_class.updated": N_("Changed the class %(name)s"),
        "school_class.archived": N_("Archived the class %(name)s"),
        "school_class.restored": N_("Restored the class %(name)s"),
    },
    objects={
        "region": N_("Region"),
        "municipality": N_("Municipality"),
        "route": N_("Route"),
        "school": N_("School"),
        "school_class": N_("School class"),
    },
    fields={
        "name": N_("name"),
        "meeting_point": N_("meeting point"),
        "notes": N_("notes"),
        "nights_per_term_cap": N_("most nights per person and term"),
        "cancel_cutoff_hours": N_("cancel cut-off (hours)"),
        "offer_hours": N_("hours to accept an offered place"),
        "phones_visible_days": N_("days before a night that its walkers see each other's numbers"),
        "leader_place_days": N_("days the last place is kept for a group leader"),
        "reminder_before_days": N_("days before for the early reminder"),
        "reminder_before_at": N_("time of the early reminder"),
        "reminder_day_at": N_("time of the reminder on the day"),
        "report_request_at": N_("time to ask for the report"),
        "quiet_from": N_("no SMS from"),
        "quiet_until": N_("no SMS until"),
        "call_weekday": N_("weekday of the call for walkers"),
        "call_at": N_("time of the call for walkers"),
        "registration": N_("who may join"),
        "sms_budget_nok": N_("monthly SMS budget (NOK)"),
    },
)


class PlaceRefused(Refusal):
    pass


class RenameNeeded(PlaceRefused):
    """The region exists under another name: renaming it must be asked for."""


#: A region's short name, in addresses and commands: "solor", "nord-odal".
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 60
DEFAULT_TIMEZONE = "Europe/Oslo"


@dataclass
class RegionSettings:
    """What a coordinator may change about their region (its slug and time zone stay put)."""

    name: str
    nights_per_term_cap: int
    cancel_cutoff_hours: int
    offer_hours: int
    phones_visible_days: int
    leader_place_days: int
    reminder_before_days: int
    reminder_before_at: time
    reminder_day_at: time
    report_request_at: time
    quiet_from: time
    quiet_until: time
    call_weekday: int
    call_at: time
    registration: Registration
    sms_budget_nok: int | None

    @classmethod
    def of(cls, region: Region) -> RegionSettings:
        return cls(**{f.name: getattr(region, f.name) for f in fields(cls)})


#: (setting, lowest, highest): a wider range is a typo, not a policy.
SETTING_RANGES = (
    ("nights_per_term_cap", 1, 50, N_("Nights per person and term must be between %(low)d and %(high)d.")),
    ("cancel_cutoff_hours", 0, 168, N_("The cancel cut-off must be between %(low)d and %(high)d hours.")),
    ("offer_hours", 1, 72, N_("The time to accept an offered place must be between %(low)d and %(high)d hours.")),
    (
        "phones_visible_days",
        1,
        14,
        N_("Phone numbers must be shown between %(low)d and %(high)d days before the night."),
    ),
    (
        "leader_place_days",
        0,
        60,
        N_("The days a place is kept for a group leader must be between %(low)d and %(high)d."),
    ),
    ("reminder_before_days", 1, 14, N_("The early reminder must be between %(low)d and %(high)d days before.")),
    ("call_weekday", 0, 6, N_("Choose a weekday for the call for walkers.")),
)
#: A monthly SMS budget above this is a typo.
LARGEST_BUDGET = 10_000_000
#: Quiet hours longer than this would hold the day's messages too long to reach anyone in time.
LONGEST_QUIET = timedelta(hours=16)


def region_tree(session: Session, region_ids: set[int]) -> list[Region]:
    """The regions with every municipality, route, school and class, archived ones included,
    loaded in a fixed number of queries."""
    return list(
        session.scalars(
            select(Region)
            .where(Region.id.in_(region_ids))
            .options(
                selectinload(Region.municipalities).selectinload(Municipality.routes),
                selectinload(Region.municipalities).selectinload(Municipality.schools).selectinload(School.classes),
            )
            .order_by(Region.name)
        )
    )


def quiet_hours(region: Region) -> QuietHours:
    """The region's quiet hours, on its own wall clock: every message sent for it keeps them."""
    return QuietHours(region.quiet_from, region.quiet_until, ZoneInfo(region.timezone))


def quiet_hours_of(session: Session, region_ids: Collection[int]) -> dict[int, QuietHours]:
    """The quiet hours of these regions, by id (the SMS dispatcher's lookup, one query a batch)."""
    regions = session.scalars(select(Region).where(Region.id.in_(region_ids)))
    return {region.id: quiet_hours(region) for region in regions}


def region_of(place: Place) -> int:
    if isinstance(place, Municipality):
        return place.region_id
    if isinstance(place, SchoolClass):
        return place.school.municipality.region_id
    return place.municipality.region_id


def place_in(session: Session, model: type[Place], place_id: int, region_ids: set[int]) -> Place | None:
    """The place, or None when it does not exist or belongs to a region the coordinator does not run."""
    place = cast(Place | None, session.get(model, place_id))
    if place is None or region_of(place) not in region_ids:
        return None
    return place


def _clean(text: str | None, limit: int) -> str:
    """The text with its spaces tidied; refused, never cut, when longer than the place's name may be."""
    cleaned = " ".join((text or "").split())
    if len(cleaned) > limit:
        raise PlaceRefused(N_("Shorten this to %(max)d characters."), max=limit)
    return cleaned


def _changes(obj, values: dict) -> dict[str, list]:
    """Set the values that differ and say what each was and became, for the audit log."""
    changed = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [_loggable(old), _loggable(value)]
            setattr(obj, name, value)
    return changed


def _loggable(value):
    return value.strftime("%H:%M") if isinstance(value, time) else value


def _about(place: Place | Region) -> dict:
    """What an audit entry about a place says of it. The place is named, as it was then."""
    if isinstance(place, Region):
        return {"object_type": "region", "object_id": place.id, "region_id": place.id, "name": place.name}
    return {
        "object_type": OBJECT_TYPES[type(place)],
        "object_id": place.id,
        "region_id": region_of(place),
        "name": place.label if isinstance(place, SchoolClass) else place.name,
    }


# --- Lists to choose from. ---


def region_by_slug(session: Session, slug: str) -> Region | None:
    return session.scalar(select(Region).where(Region.slug == slug))


def regions_of(session: Session, region_ids: set[int]) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.name)))


def municipalities_in(session: Session, region_ids: set[int]) -> list[Municipality]:
    """The regions' municipalities, archived ones included (old nights and people keep them)."""
    return list(
        session.scalars(select(Municipality).where(Municipality.region_id.in_(region_ids)).order_by(Municipality.name))
    )


def municipalities_in_scope(session: Session, scope: Scope) -> list[Municipality]:
    """The municipalities a coordinator has: their regions' and their own."""
    where = scope.where(Municipality.region_id, Municipality.id)
    return list(session.scalars(select(Municipality).where(where).order_by(Municipality.name)))


def routes_in_scope(session: Session, scope: Scope) -> list[Route]:
    where = scope.where(Municipality.region_id, Municipality.id)
    return list(session.scalars(select(Route).join(Route.municipality).where(where).order_by(Route.name)))


@dataclass(frozen=True)
class MunicipalityChoice:
    """A municipality to live in, as a list names it, with the region it belongs to."""

    id: int
    label: str
    region_id: int
    region: str


def open_municipalities(session: Session) -> list[MunicipalityChoice]:
    """Every municipality a volunteer can say they live in, by name. A name two regions share
    (Norway has two Vålers, two Herøys) says its region too: "Våler (Solør)"."""
    rows = session.execute(
        select(Municipality.id, Municipality.name, Region.id, Region.name)
        .join(Municipality.region)
        .where(Municipality.archived.is_(False))
    ).all()
    shared = {name for name, count in Counter(name for _id, name, _rid, _region in rows).items() if count > 1}
    labelled = [
        MunicipalityChoice(id_, f"{name} ({region})" if name in shared else name, region_id, region)
        for id_, name, region_id, region in rows
    ]
    return sorted(labelled, key=lambda choice: alphabetical(choice.label))


def open_municipality(session: Session, municipality_id: int) -> Municipality | None:
    """A municipality someone can join, or None when archived or unknown."""
    return session.scalar(
        select(Municipality).where(Municipality.id == municipality_id, Municipality.archived.is_(False))
    )


def public_municipality(session: Session, region_slug: str, municipality_id: int) -> Municipality | None:
    """A municipality as its public page names it, or None when archived or not in that region."""
    return session.scalar(
        select(Municipality)
        .join(Municipality.region)
        .where(Municipality.id == municipality_id, Region.slug == region_slug, Municipality.archived.is_(False))
    )


@dataclass
class SchoolChoice:
    """A school's open classes, for a parent to tick their children's among."""

    school: School
    classes: list[SchoolClass]

    @property
    def municipality(self) -> Municipality:
        return self.school.municipality


def open_classes(session: Session, municipality_ids: Collection[int] | None = None) -> list[SchoolChoice]:
    """Every school class a parent can say a child of theirs is in (of those municipalities, given
    them), by municipality and school, each school's classes in the order people count them (9B before 10A)."""
    query = (
        select(School)
        .join(School.municipality)
        .where(School.archived.is_(False), Municipality.archived.is_(False))
        .options(selectinload(School.classes), joinedload(School.municipality))
        .order_by(School.name)
    )
    if municipality_ids is not None:
        query = query.where(School.municipality_id.in_(municipality_ids))
    schools = [
        SchoolChoice(school, sorted((c for c in school.classes if not c.archived), key=lambda c: c.sort_key))
        for school in session.scalars(query).unique()
    ]
    schools.sort(key=lambda choice: (alphabetical(choice.municipality.name), choice.municipality.id))
    return [choice for choice in schools if choice.classes]


@dataclass
class MunicipalityClasses:
    """A municipality's schools with their open classes, for the check boxes grouped by municipality."""

    municipality: Municipality
    schools: list[SchoolChoice]

    @property
    def class_ids(self) -> list[int]:
        return [c.id for school in self.schools for c in school.classes]


def by_municipality(schools: list[SchoolChoice]) -> list[MunicipalityClasses]:
    """`open_classes` grouped by municipality, in the order given."""
    groups: list[MunicipalityClasses] = []
    for choice in schools:
        if not groups or groups[-1].municipality.id != choice.municipality.id:
            groups.append(MunicipalityClasses(choice.municipality, []))
        groups[-1].schools.append(choice)
    return groups


# --- The region's settings. ---


def _actor_id(actor: Person | None) -> int | None:
    """Who made a change; None is the system, such as a setup command run on the server."""
    return actor.id if actor is not None else None


def _region_name(session: Session, name: str, *, keep: Region | None = None) -> str:
    name = _clean(name, 120)
    if not name:
        raise PlaceRefused(N_("Write the region's name."), field="name")
    query = select(Region.name)
    if keep is not None:
        query = query.where(Region.id != keep.id)
    if _name_taken(session.scalars(query), name):
        raise PlaceRefused(N_("Another region is already called %(name)s."), field="name", name=name)
    return name


def update_region(
    session: Session, region: Region, settings: RegionSettings, actor: Person | None, now: datetime
) -> Region:
    name = _region_name(session, settings.name, keep=region)
    for setting, low, high, message in SETTING_RANGES:
        value = getattr(settings, setting)
        if value is None or not low <= value <= high:
            raise PlaceRefused(message, low=low, high=high)
    if settings.quiet_from == settings.quiet_until:
        raise PlaceRefused(N_("Quiet hours must start and end at different times."))
    if quiet_length(settings.quiet_from, settings.quiet_until) > LONGEST_QUIET:
        raise PlaceRefused(
            N_("Quiet hours may last at most %(hours)d hours: SMS need the rest of the day."),
            hours=LONGEST_QUIET // timedelta(hours=1),
        )
    if quiet_at(settings.reminder_day_at, settings.quiet_from, settings.quiet_until):
        # Held to the end of the quiet hours, the reminder would come after its night: it is never sent.
        raise PlaceRefused(N_("The reminder on the day falls in the quiet hours. Choose a time outside them."))
    if settings.sms_budget_nok is not None and not 0 <= settings.sms_budget_nok <= LARGEST_BUDGET:
        raise PlaceRefused(N_("The SMS budget must be between 0 and %(high)d kroner."), high=LARGEST_BUDGET)
    try:
        registration = Registration(settings.registration)
    except ValueError as error:
        raise PlaceRefused(N_("Choose who may join from the list.")) from error
    values = {f.name: getattr(settings, f.name) for f in fields(RegionSettings)} | {
        "name": name,
        "registration": registration,
    }
    changed = _changes(region, values)
    if "sms_budget_nok" in changed:
        sms.release_budget_holds(session, region.id)
    if changed:
        audit.record(
            session, actor_id=_actor_id(actor), action="region.updated", now=now, **_about(region), changed=changed
        )
    return region


# --- New regions. ---


def named_region(session: Session, slug: str) -> Region:
    """The region with this short name; refused with the names there are."""
    region = region_by_slug(session, (slug or "").strip())
    if region is not None:
        return region
    slugs = list(session.scalars(select(Region.slug).order_by(Region.slug)))
    if not slugs:
        raise PlaceRefused(N_("There is no region %(slug)s, nor any other yet."), field="region", slug=slug)
    raise PlaceRefused(
        N_("There is no region %(slug)s. The regions are: %(slugs)s."),
        field="region",
        slug=slug,
        slugs=", ".join(slugs),
    )


def named_municipality(region: Region, name: str) -> Municipality:
    """The region's municipality by name, in any case; refused with the names it has."""
    wanted = _clean(name, 120).casefold()
    found = next((m for m in region.municipalities if m.name.casefold() == wanted), None)
    if found is not None:
        return found
    names = ", ".join(m.name for m in region.municipalities) or "–"
    raise PlaceRefused(
        N_("%(region)s has no municipality %(name)s. Its municipalities are: %(names)s."),
        field="municipality",
        region=region.name,
        name=name,
        names=names,
    )


def _slug(slug: str) -> str:
    slug = (slug or "").strip()
    if not slug:
        raise PlaceRefused(N_("Write the region's short name, for example solor."), field="slug")
    if len(slug) > SLUG_MAX_LENGTH or not SLUG.fullmatch(slug):
        raise PlaceRefused(
            N_(
                "The short name %(slug)s will not do: use lowercase letters a–z, digits and hyphens between them, "
                "for example solor or nord-odal."
            ),
            field="slug",
            slug=slug,
        )
    return slug


def _free_slug(session: Session, slug: str) -> str:
    slug = _slug(slug)
    if region_by_slug(session, slug) is not None:
        raise PlaceRefused(N_("There is already a region with the short name %(slug)s."), field="slug", slug=slug)
    return slug


def _timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlaceRefused(
            N_("%(timezone)s is not a time zone. Write one like Europe/Oslo."), field="timezone", timezone=name
        ) from None
    return name


class SeveralNames(PlaceRefused):
    """One name that lists several places ("Gol, Hemsedal, Ål", "8A, 8B, 9A"), with the names it lists."""

    def __init__(self, msgid: str, *, field: str, names: list[str]):
        *first, last = names
        super().__init__(msgid, field=field, names=", ".join(first), last=last, count=len(names))
        self.names = names


class SeveralMunicipalities(SeveralNames):
    """Municipalities given as one name, kept apart for a command to say in its own words how to
    give them."""


#: What separates names typed as a list on one line; no municipality's or class's name has either.
_LIST_SEPARATORS = re.compile(r"[,;]")


def _one_name(
    name: str, *, field: str, separator: str, several: str, refusal: type[SeveralNames] = SeveralNames
) -> None:
    """Refuses a name that is a list of names: stored, it would be one place that reads like
    several (a class checkbox "8A, 8B, 9A", one weekend for three classes) and that nobody can split
    afterwards. `separator` refuses a stray comma, `several` names the places listed."""
    if not _LIST_SEPARATORS.search(name):
        return
    names = [part.strip() for part in _LIST_SEPARATORS.split(name) if part.strip()]
    if len(names) < 2:
        raise PlaceRefused(separator, field=field)
    raise refusal(several, field=field, names=names)


def _one_municipality(name: str, *, field: str) -> None:
    if field == "municipalities":
        several = N_("Write one municipality per line: %(names)s and %(last)s are %(count)d municipalities.")
    else:
        several = N_("One municipality at a time: %(names)s and %(last)s are %(count)d municipalities.")
    separator = N_("A municipality's name has no comma or semicolon.")
    _one_name(name, field=field, separator=separator, several=several, refusal=SeveralMunicipalities)


def _new_municipality_names(names: list[str]) -> list[str]:
    """The municipalities to add, each once: a name given twice is a slip worth pointing out."""
    cleaned = [_clean(name, 120) for name in names]
    if not all(cleaned):
        raise PlaceRefused(N_("Write the municipality's name."), field="municipalities")
    for name in cleaned:
        _one_municipality(name, field="municipalities")
    seen: set[str] = set()
    for name in cleaned:
        if name.casefold() in seen:
            raise PlaceRefused(N_("The municipality %(name)s is named twice."), field="municipalities", name=name)
        seen.add(name.casefold())
    return cleaned


def create_region(
    session: Session,
    *,
    slug: str,
    name: str,
    timezone: str = DEFAULT_TIMEZONE,
    municipalities: list[str],
    actor: Person | None,
    now: datetime,
) -> Region:
    """A new region with its municipalities, and the region's usual rules for nights and messages.
    Everything wrong with the input is refused at once, each beside its field."""
    checks = Checks()
    slug = checks.run(_free_slug, session, slug) or ""
    name = checks.run(_region_name, session, name) or ""
    timezone = checks.run(_timezone, timezone) or ""
    names = checks.run(_new_municipality_names, municipalities) or []
    checks.done()
    region = Region(slug=slug, name=name, timezone=timezone)
    session.add(region)
    session.flush()
    audit.record(
        session,
        actor_id=_actor_id(actor),
        action="region.created",
        now=now,
        **_about(region),
        slug=region.slug,
        timezone=region.timezone,
    )
    for municipality in names:
        add_municipality(session, region, municipality, actor, now)
    return region


@dataclass
class RegionSetup:
    """What setting up a region did; running it again with the same input does nothing."""

    region: Region
    created: bool = False
    renamed_from: str | None = None
    added: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)


def set_up_region(
    session: Session,
    *,
    slug: str,
    name: str,
    municipalities: list[str],
    timezone: str | None,
    rename: bool,
    actor: Person | None,
    now: datetime,
) -> RegionSetup:
    """Make the region exist as described: created if new, else renamed when asked and given the
    municipalities it lacks. Those it has already, archived or not, are left as they are."""
    slug = _slug(slug)
    region = region_by_slug(session, slug)
    if region is None:
        names = _new_municipality_names(municipalities)
        region = create_region(
            session,
            slug=slug,
            name=name,
            timezone=timezone or DEFAULT_TIMEZONE,
            municipalities=names,
            actor=actor,
            now=now,
        )
        return RegionSetup(region=region, created=True, added=names)
    setup = RegionSetup(region=region)
    if timezone is not None and _timezone(timezone) != region.timezone:
        raise PlaceRefused(
            N_("The region %(slug)s keeps its time zone, %(timezone)s."),
            field="timezone",
            slug=slug,
            timezone=region.timezone,
        )
    wanted = _region_name(session, name, keep=region)
    if wanted != region.name:
        if not rename:
            raise RenameNeeded(
                N_("The region %(slug)s is called %(name)s, not %(wanted)s."),
                field="name",
                slug=slug,
                name=region.name,
                wanted=wanted,
            )
        setup.renamed_from = region.name
        update_region(session, region, replace(RegionSettings.of(region), name=wanted), actor, now)
    existing = {m.name.casefold(): m for m in municipalities_in(session, {region.id})}
    for municipality in _new_municipality_names(municipalities):
        if municipality.casefold() in existing:
            setup.found.append(existing[municipality.casefold()].name)
        else:
            setup.added.append(add_municipality(session, region, municipality, actor, now).name)
    return setup


# --- Municipalities. ---


def _name_taken(names, name: str) -> bool:
    # Compared in Python: SQLite's lower() leaves Æ, Ø and Å alone.
    return any(other.casefold() == name.casefold() for other in names)


def _municipality_name(session: Session, region_id: int, name: str, *, keep: Municipality | None = None) -> str:
    name = _clean(name, 120)
    if not name:
        raise PlaceRefused(N_("Write the municipality's name."), field="name")
    _one_municipality(name, field="name")
    query = select(Municipality.name).where(Municipality.region_id == region_id)
    if keep is not None:
        query = query.where(Municipality.id != keep.id)
    if _name_taken(session.scalars(query), name):
        raise PlaceRefused(N_("The region already has a municipality called %(name)s."), field="name", name=name)
    return name


def add_municipality(session: Session, region: Region, name: str, actor: Person | None, now: datetime) -> Municipality:
    municipality = Municipality(region=region, name=_municipality_name(session, region.id, name), archived=False)
    session.add(municipality)
    session.flush()
    audit.record(session, actor_id=_actor_id(actor), action="municipality.created", now=now, **_about(municipality))
    return municipality


def rename_municipality(
    session: Session, municipality: Municipality, name: str, actor: Person, now: datetime
) -> Municipality:
    name = _municipality_name(session, municipality.region_id, name, keep=municipality)
    changed = _changes(municipality, {"name": name})
    if changed:
        audit.record(
            session, actor_id=actor.id, action="municipality.updated", now=now, **_about(municipality), changed=changed
        )
    return municipality


# --- Routes. ---


def _route_values(session: Session, municipality: Municipality, name, meeting_point, notes, keep=None) -> dict:
    name = _clean(name, 120)
    meeting_point = _clean(meeting_point, 200)
    if not name:
        raise PlaceRefused(N_("Write the route's name."))
    if not meeting_point:
        raise PlaceRefused(N_("Write where the walkers meet."))
    query = select(Route.name).where(Route.municipality_id == municipality.id)
    if keep is not None:
        query = query.where(Route.id != keep.id)
    if _name_taken(session.scalars(query), name):
        raise PlaceRefused(
            N_("%(municipality)s already has a route called %(name)s."), municipality=municipality.name, name=name
        )
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise PlaceRefused(N_("Shorten this to %(max)d characters."), max=2000)
    return {"name": name, "meeting_point": meeting_point, "notes": notes}


def add_route(
    session: Session,
    municipality: Municipality,
    *,
    name: str,
    meeting_point: str,
    notes: str,
    actor: Person,
    now: datetime,
) -> Route:
    values = _route_values(session, municipality, name, meeting_point, notes)
    route = Route(municipality=municipality, archived=False, **values)
    session.add(route)
    session.flush()
    audit.record(
        session, actor_id=actor.id, action="route.created", now=now, **_about(route), meeting_point=route.meeting_point
    )
    return route


def edit_route(
    session: Session, route: Route, *, name: str, meeting_point: str, notes: str, actor: Person, now: datetime
) -> Route:
    values = _route_values(session, route.municipality, name, meeting_point, notes, keep=route)
    changed = _changes(route, values)
    if changed:
        audit.record(session, actor_id=actor.id, action="route.updated", now=now, **_about(route), changed=changed)
    return route


# --- Schools and their classes. ---


def _school_name(session: Session, municipality: Municipality, name: str, keep: School | None = None) -> str:
    name = _clean(name, 120)
    if not name:
        raise PlaceRefused(N_("Write the school's name."))
    query = select(School.name).where(School.municipality_id == municipality.id)
    if keep is not None:
        query = query.where(School.id != keep.id)
    if _name_taken(session.scalars(query), name):
        raise PlaceRefused(
            N_("%(municipality)s already has a school called %(name)s."), municipality=municipality.name, name=name
        )
    return name


def add_school(session: Session, municipality: Municipality, name: str, actor: Person, now: datetime) -> School:
    school = School(municipality=municipality, name=_school_name(session, municipality, name), archived=False)
    session.add(school)
    session.flush()
    audit.record(session, actor_id=actor.id, action="school.created", now=now, **_about(school))
    return school


def rename_school(session: Session, school: School, name: str, actor: Person, now: datetime) -> School:
    changed = _changes(school, {"name": _school_name(session, school.municipality, name, keep=school)})
    if changed:
        audit.record(session, actor_id=actor.id, action="school.updated", now=now, **_about(school), changed=changed)
    return school


def _class_name(session: Session, school: School, name: str, keep: SchoolClass | None = None) -> str:
    name = _clean(name, 40)
    if not name:
        raise PlaceRefused(N_("Write the class's name, for example 9A."))
    _one_name(
        name,
        field="name",
        separator=N_("A class's name has no comma or semicolon."),
        several=N_("One class at a time: %(names)s and %(last)s are %(count)d classes."),
    )
    query = select(SchoolClass.name).where(SchoolClass.school_id == school.id)
    if keep is not None:
        query = query.where(SchoolClass.id != keep.id)
    if _name_taken(session.scalars(query), name):
        raise PlaceRefused(N_("%(school)s already has a class called %(name)s."), school=school.name, name=name)
    return name


def add_class(session: Session, school: School, name: str, actor: Person, now: datetime) -> SchoolClass:
    school_class = SchoolClass(school=school, name=_class_name(session, school, name), archived=False)
    session.add(school_class)
    session.flush()
    audit.record(session, actor_id=actor.id, action="school_class.created", now=now, **_about(school_class))
    return school_class


def rename_class(session: Session, school_class: SchoolClass, name: str, actor: Person, now: datetime) -> SchoolClass:
    changed = _changes(school_class, {"name": _class_name(session, school_class.school, name, keep=school_class)})
    if changed:
        audit.record(
            session, actor_id=actor.id, action="school_class.updated", now=now, **_about(school_class), changed=changed
        )
    return school_class


# --- Archiving. ---


def set_archived(session: Session, place: Place, archived: bool, actor: Person, now: datetime) -> Place:
    """Archive or restore a place. Archiving changes no night and no person: nights on an archived
    route keep it, and parents in an archived class keep it until they choose another."""
    if place.archived == archived:
        return place
    place.archived = archived
    about = _about(place)
    action = f"{about['object_type']}.{'archived' if archived else 'restored'}"
    audit.record(session, actor_id=actor.id, action=action, now=now, **about)
    return place
