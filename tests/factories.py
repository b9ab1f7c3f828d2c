"""Small builders for the data tests need, in the domain's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import answered_first_questions
from natteravn.clock import night_span
from natteravn.places.models import Municipality, Region, Route, School, SchoolClass
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms.models import Channel

_phones = iter(range(41000001, 41999999))


def phone() -> str:
    return f"+47{next(_phones)}"


def person(
    db: Session,
    municipality: Municipality,
    name: str,
    now: datetime,
    *,
    number: str | None = None,
    leader: bool = False,
    coordinator: bool = False,
    locale: str = "en",
    approved: bool = True,
    email: str | None = None,
) -> Person:
    """Someone who answered the first-time questions; `approved=False` for someone who joined by
    themselves in a region that approves each new person, and waits for that. Given an `email`,
    they chose to get their messages by e-mail."""
    someone = Person(
        phone=number or phone(),
        name=name,
        locale=locale,
        municipality=municipality,
        created_at=now,
        email=email or "",
        channel=Channel.EMAIL if email else Channel.SMS,
        **answered_first_questions(now),
    )
    if not approved:
        someone.approved_at = None
    if leader:
        someone.roles.append(Role(kind=RoleKind.LEADER, region_id=municipality.region_id))
    if coordinator:
        someone.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=municipality.region_id))
    db.add(someone)
    db.flush()
    return someone


def night(
    db: Session,
    term: Term,
    route: Route,
    day: date,
    *,
    start: time = time(22, 0),
    end: time = time(1, 0),
    min_walkers: int = 3,
    max_walkers: int = 6,
) -> Shift:
    starts_at, ends_at = night_span(day, start, end)
    shift = Shift(
        term=term,
        route=route,
        starts_at=starts_at,
        ends_at=ends_at,
        min_walkers=min_walkers,
        max_walkers=max_walkers,
        needs_leader=True,
        note="",
        cancel_reason="",
    )
    db.add(shift)
    db.flush()
    return shift


@dataclass
class Solor:
    region: Region
    grue: Municipality
    asnes: Municipality
    valer: Municipality
    routes: dict[str, Route]
    term: Term
    nights: list[Shift]
    parent: Person
    other_parent: Person
    leader: Person
    coordinator: Person
    school_class: SchoolClass
    extra: dict = field(default_factory=dict)

    def night_on(self, route: str, day: date) -> Shift:
        return next(n for n in self.nights if n.route.name == route and n.starts_at.date() == day)


def solor(db: Session, now: datetime, *, published: bool = True) -> Solor:
    """Grue, Åsnes and Våler with one coordinator; Friday and Saturday nights 22–01 from
    20 November to 19 December 2026, two routes in Åsnes and one each in Grue and Våler."""
    region = Region(name="Solør", slug="solor")
    grue, asnes, valer = (Municipality(region=region, name=n) for n in ("Grue", "Åsnes", "Våler"))
    db.add_all([region, grue, asnes, valer])
    routes = {
        "Flisa sentrum": Route(municipality=asnes, name="Flisa sentrum", meeting_point="Flisa skysstasjon"),
        "Kirkenær": Route(municipality=grue, name="Kirkenær", meeting_point="Kirkenær stasjon"),
        "Våler sentrum": Route(municipality=valer, name="Våler sentrum", meeting_point="Våler kulturhus"),
        "Kjellmyra": Route(municipality=asnes, name="Kjellmyra", meeting_point="Kjellmyra butikk"),
    }
    db.add_all(routes.values())
    school = School(municipality=asnes, name="Flisa skole")
    school_class = SchoolClass(school=school, name="9A")
    db.add_all([school, school_class])
    term = Term(
        region=region,
        name="Høst 2026",
        starts_on=date(2026, 11, 20),
        ends_on=date(2026, 12, 19),
        signup_opens_at=now - timedelta(days=14),
        published_at=now - timedelta(days=14) if published else None,
    )
    db.add(term)
    db.flush()
    nights = []
    day = date(2026, 11, 20)
    while day <= date(2026, 12, 19):
        if day.weekday() in (4, 5):
            nights.extend(night(db, term, route, day) for route in routes.values())
        day += timedelta(days=1)
    return Solor(
        region=region,
        grue=grue,
        asnes=asnes,
        valer=valer,
        routes=routes,
        term=term,
        nights=nights,
        parent=person(db, asnes, "Kari Nordmann", now, number="+4791234567"),
        other_parent=person(db, grue, "Ola Hansen", now),
        leader=person(db, asnes, "Lise Leder", now, leader=True),
        coordinator=person(db, asnes, "Siri Koordinator", now, coordinator=True),
        school_class=school_class,
    )


def signup(
    db: Session,
    shift: Shift,
    someone: Person,
    now: datetime,
    *,
    role: SignupRole = SignupRole.WALKER,
    state: SignupState = SignupState.SIGNED_UP,
) -> Signup:
    """A place on a night, put there directly (no rules, no SMS)."""
    queued_at = now if state == SignupState.WAITLISTED else None  # in the queue from then, as a sign-up would be
    made = Signup(shift=shift, person=someone, role=role, state=state, created_at=now, queued_at=queued_at)
    db.add(made)
    db.flush()
    return made


def other_region(db: Session, now: datetime) -> tuple[Region, Municipality, Person, Person]:
    """Another region (Hamar) with its own coordinator and group leader."""
    region = Region(name="Hamar", slug="hamar")
    hamar = Municipality(region=region, name="Hamar")
    db.add_all([region, hamar])
    db.flush()
    coordinator = person(db, hamar, "Hedda Hamar", now, coordinator=True)
    return region, hamar, coordinator, person(db, hamar, "Hans Hamar", now, leader=True)
