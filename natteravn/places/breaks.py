"""Days off: Norway's public holidays, from the `holidays` package, and each municipality's
school breaks (autumn, winter, Christmas, Easter), which the coordinator names once a year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person
from natteravn.audit import service as audit
from natteravn.db import locks_rows
from natteravn.i18n import N_, Refusal
from natteravn.places.models import Municipality, SchoolBreak

#: What the audit log says about school breaks.
AUDIT = audit.Vocabulary(
    actions={
        "school_break.added": N_("Added the school break %(name)s (%(first_day)s to %(last_day)s)"),
        "school_break.removed": N_("Removed the school break %(name)s"),
    },
    objects={"school_break": N_("School break")},
)

#: The `holidays` package's languages for Norway, by the app's.
HOLIDAY_LANGUAGES = {"nb": "no", "nn": "no", "en": "en_US"}
#: The summer holiday, about eight weeks, is the longest break (for a group that walks all year);
#: a longer one is a typing mistake.
LONGEST_BREAK_DAYS = 62
#: The `holidays` package names Norway's holidays in bokmål only; these two are written otherwise
#: in nynorsk (the rest are the same words in both).
NYNORSK_HOLIDAYS = {"Arbeidernes dag": "Arbeidarane sin dag", "Kristi himmelfartsdag": "Kristi himmelferdsdag"}


class BreakRefused(Refusal):
    pass


def public_holidays(first: date, last: date, locale: str = "nb") -> dict[date, str]:
    """Norway's public holidays from `first` to `last`, named in the reader's language
    (17 May, Easter, Ascension, Whitsun, Christmas …). Sundays are not counted as holidays."""
    found = holidays.country_holidays(
        "NO", years=range(first.year, last.year + 1), language=HOLIDAY_LANGUAGES.get(locale, "no")
    )
    named = {day: name for day, name in sorted(found.items()) if first <= day <= last}
    if locale == "nn":  # two holidays on one day come as "Andre pinsedag; Grunnlovsdag"
        return {day: "; ".join(NYNORSK_HOLIDAYS.get(n, n) for n in name.split("; ")) for day, name in named.items()}
    return named


@dataclass
class DaysOff:
    """Public holidays and the municipalities' school breaks over a stretch of days."""

    holidays: dict[date, str]
    breaks: dict[int, list[SchoolBreak]] = field(default_factory=dict)  # by municipality id

    def school_break(self, municipality_id: int, day: date) -> SchoolBreak | None:
        return next((b for b in self.breaks.get(municipality_id, []) if b.covers(day)), None)

    def label(self, municipality_id: int, day: date) -> str | None:
        """What makes a day special in a municipality, in words; None for an ordinary day."""
        found = self.school_break(municipality_id, day)
        names = [name for name in (self.holidays.get(day), found.name if found else None) if name]
        return ", ".join(names) or None


def breaks_of(session: Session, municipality_ids: Collection[int], first: date, last: date) -> list[SchoolBreak]:
    """The school breaks of these municipalities that have a day from `first` to `last`."""
    return list(
        session.scalars(
            select(SchoolBreak)
            .join(SchoolBreak.municipality)
            .where(
                SchoolBreak.municipality_id.in_(municipality_ids),
                SchoolBreak.first_day <= last,
                SchoolBreak.last_day >= first,
            )
            .options(joinedload(SchoolBreak.municipality))
            .order_by(SchoolBreak.first_day, Municipality.name, SchoolBreak.id)
        )
    )


def days_off(
    session: Session, municipality_ids: Collection[int], first: date, last: date, locale: str = "nb"
) -> DaysOff:
    by_municipality: dict[int, list[SchoolBreak]] = defaultdict(list)
    for school_break in breaks_of(session, municipality_ids, first, last):
        by_municipality[school_break.municipality_id].append(school_break)
    return DaysOff(public_holidays(first, last, locale), dict(by_municipality))


@dataclass
class BreakInput:
    name: str
    first_day: date
    last_day: date
    municipality_ids: list[int]


def add_break(session: Session, region_id: int, data: BreakInput, now: datetime, actor: Person) -> list[SchoolBreak]:
    """The same break in each chosen municipality of the region (schools in neighbouring
    municipalities often share their breaks)."""
    name = " ".join(data.name.split())
    if not name:
        raise BreakRefused(N_("Give the break a name, such as “Vinterferie”."))
    if data.last_day < data.first_day:
        raise BreakRefused(N_("The break must end on or after the day it starts."))
    if (data.last_day - data.first_day).days >= LONGEST_BREAK_DAYS:
        raise BreakRefused(N_("A break can be at most %(days)d days long."), days=LONGEST_BREAK_DAYS)
    chosen = select(Municipality).where(Municipality.id.in_(data.municipality_ids), Municipality.region_id == region_id)
    # The same form sent twice at once: the second waits, then finds the first's breaks.
    municipalities = session.scalars(chosen.with_for_update() if locks_rows(session) else chosen).all()
    if not municipalities or len(municipalities) != len(set(data.municipality_ids)):
        raise BreakRefused(N_("Choose the municipalities the break is in."))
    having = _having_break(session, [m.id for m in municipalities], data.first_day, data.last_day)
    if len(having) == len(municipalities):
        raise BreakRefused(
            N_("The break from %(first)s to %(last)s is already there for %(places)s."),
            places=", ".join(sorted(m.name for m in municipalities)),
            first=data.first_day.strftime("%d.%m.%Y"),
            last=data.last_day.strftime("%d.%m.%Y"),
        )
    made = [
        SchoolBreak(municipality=m, name=name, first_day=data.first_day, last_day=data.last_day)
        for m in municipalities
        if m.id not in having
    ]
    session.add_all(made)
    session.flush()
    for school_break in made:
        _record(session, "school_break.added", school_break, now, actor)
    return made


def _having_break(session: Session, municipality_ids: list[int], first: date, last: date) -> set[int]:
    """Those of the municipalities that already have a break on exactly these days, whatever its name:
    a form sent twice, or a break added again, is not added twice."""
    return set(
        session.scalars(
            select(SchoolBreak.municipality_id).where(
                SchoolBreak.municipality_id.in_(municipality_ids),
                SchoolBreak.first_day == first,
                SchoolBreak.last_day == last,
            )
        )
    )


def remove_break(session: Session, school_break: SchoolBreak, now: datetime, actor: Person) -> None:
    """Nights already left out for the break are not made by removing it: generate again for them."""
    _record(session, "school_break.removed", school_break, now, actor)
    session.delete(school_break)


def _record(session: Session, action: str, school_break: SchoolBreak, now: datetime, actor: Person) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="school_break",
        object_id=school_break.id,
        now=now,
        region_id=school_break.municipality.region_id,
        municipality_id=school_break.municipality_id,
        name=school_break.name,
        first_day=school_break.first_day.isoformat(),
        last_day=school_break.last_day.isoformat(),
    )
