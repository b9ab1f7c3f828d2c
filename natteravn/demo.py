"""A realistic region to try the service with: Solør, where one SLT coordinator serves
Grue, Åsnes and Våler. Seeding twice changes nothing."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.accounts.service import answered_first_questions
from natteravn.clock import local, night_span
from natteravn.db import transaction
from natteravn.places.models import Municipality, Region, Registration, Route, School, SchoolClass
from natteravn.reports.models import AGE_BANDS, IncidentCategory
from natteravn.reports.writing import IncidentInput, ReportInput, save_report
from natteravn.roster.autofill.models import Availability
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import ClassWeekend, Shift, Signup, SignupRole, SignupState, Term
from natteravn.shifts.service import caps

ROUTES = {
    "Grue": [("Kirkenær sentrum", "Kirkenær stasjon"), ("Grue Finnskog", "Svullrya samfunnshus")],
    "Åsnes": [("Flisa sentrum", "Flisa skysstasjon"), ("Kjellmyra", "Kjellmyra butikk")],
    "Våler": [("Våler sentrum", "Våler kulturhus"), ("Braskereidfoss", "Braskereidfoss bru")],
}
SCHOOLS = {"Grue": "Grue ungdomsskole", "Åsnes": "Åsnes ungdomsskole", "Våler": "Våler ungdomsskole"}
HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1), date(2027, 1, 2)}
# (label, name, phone, municipality, roles)
PEOPLE = [
    ("coordinator", "Siri Koordinator", "+4740000001", "Åsnes", (RoleKind.COORDINATOR, RoleKind.LEADER)),
    ("group leader", "Lars Leder", "+4740000002", "Åsnes", (RoleKind.LEADER,)),
    ("group leader", "Guri Gruppeleder", "+4740000003", "Grue", (RoleKind.LEADER,)),
    ("parent", "Kari Nordmann", "+4740000010", "Åsnes", ()),
    # The national administrator, who sets up regions and their coordinators.
    ("administrator", "Anne Administrator", "+4740000009", "Våler", (RoleKind.ADMIN,)),
]
# Joined by themselves and wait for the coordinator's approval: (label, name, phone, municipality)
WAITING = [
    ("new parent", "Nora Nyhus", "+4740000011", "Grue"),
    ("new parent", "Emil Aas", "+4740000012", "Våler"),
]
FIRST = [
    "Anne",
    "Per",
    "Ingrid",
    "Ole",
    "Hilde",
    "Jon",
    "Marit",
    "Arne",
    "Tone",
    "Geir",
    "Nina",
    "Espen",
    "Ahmed",
    "Fatima",
    "Piotr",
    "Agnieszka",
    "Linh",
    "Sara",
    "Trond",
    "Heidi",
]
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakken", "Moen", "Nilsen", "Strand"]


def seed(app: Flask) -> dict[str, tuple[str, str]]:
    """Create the demo region unless it exists; return the demo logins by role."""
    now = app.config["CLOCK"]()
    with transaction(app.extensions["natteravn.sessions"]) as session:
        if session.scalar(select(Region).where(Region.slug == "solor")) is None:
            _seed(session, now)
    logins: dict[str, tuple[str, str]] = {}
    for label, name, phone, *_ in PEOPLE + WAITING:
        key = label if label not in logins else f"{label} 2"
        logins[key] = (name, phone)
    return logins


def _seed(session: Session, now) -> None:
    rng = random.Random(2026)
    # A month of reminders, with room to spare.
    region = Region(name="Solør", slug="solor", registration=Registration.APPROVAL, sms_budget_nok=500)
    session.add(region)
    municipalities: dict[str, Municipality] = {}
    classes: dict[str, list[SchoolClass]] = {}
    routes: list[Route] = []
    for name, its_routes in ROUTES.items():
        municipality = Municipality(region=region, name=name)
        municipalities[name] = municipality
        school = School(municipality=municipality, name=SCHOOLS[name])
        classes[name] = [SchoolClass(school=school, name=f"{grade}{letter}") for grade in (8, 9, 10) for letter in "AB"]
        session.add_all(classes[name])
        for route_name, meeting_point in its_routes:
            routes.append(Route(municipality=municipality, name=route_name, meeting_point=meeting_point))
    session.add_all(routes)

    first_friday = first_coming_friday(night_of(now))
    term = Term(
        region=region,
        name="Vinter 2026/27",
        starts_on=first_friday,
        ends_on=first_friday + timedelta(weeks=12),
        signup_opens_at=now - timedelta(days=7),
        published_at=now - timedelta(days=7),
    )
    session.add(term)
    session.flush()
    # Made by a pattern, as a coordinator's nights are: copying the term then makes next winter's.
    pattern = NightPattern(
        term=term,
        weekdays=[4, 5],
        starts_local=time(22, 0),
        ends_local=time(1, 0),
        route_ids=[route.id for route in routes],
        min_walkers=3,
        max_walkers=6,
        needs_leader=True,
        skip_dates=sorted(day.isoformat() for day in HOLIDAYS),
        skip_holidays=True,
        skip_breaks=True,
        updated_at=now,
    )
    session.add(pattern)
    session.flush()
    shifts: list[Shift] = []
    for week in range(12):
        for offset in (0, 1):  # Friday, Saturday
            day = first_friday + timedelta(weeks=week, days=offset)
            if day in HOLIDAYS:
                continue
            for route in routes:
                starts_at, ends_at = night_span(day, time(22, 0), time(1, 0))
                shifts.append(
                    Shift(
                        term=term,
                        route=route,
                        pattern_id=pattern.id,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        min_walkers=3,
                        max_walkers=6,
                        needs_leader=True,
                        note="",
                        cancel_reason="",
                    )
                )
    session.add_all(shifts)

    people = []
    for _, name, phone, home, roles in PEOPLE:
        person = _person(name, phone, municipalities[home], now)
        # An administrator's role is of no region: it opens every region's setup.
        person.roles.extend(Role(kind=kind, region=None if kind == RoleKind.ADMIN else region) for kind in roles)
        people.append(person)
    session.add_all(people)
    leaders = [p for p in people if any(r.kind == RoleKind.LEADER for r in p.roles)]
    for _, name, phone, home in WAITING:
        newcomer = _person(name, phone, municipalities[home], now)
        newcomer.approved_at = None
        session.add(newcomer)

    volunteers = []
    for n in range(60):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        municipality = rng.choice(list(municipalities.values()))
        volunteers.append(_person(name, f"+474100{n:04d}", municipality, now))
    session.add_all(volunteers)
    # Parents of the lower secondary school's pupils; many have two children there.
    for parent in [*people[3:], *volunteers]:
        assert parent.municipality is not None, "every demo parent lives somewhere"
        own = classes[parent.municipality.name]
        parent.school_classes = rng.sample(own, k=2 if rng.random() < 0.3 else 1)
    kari = people[3]
    kari.school_classes = [classes["Åsnes"][1], classes["Åsnes"][4]]  # 8B and 10A
    # Her class's weekend is soon, and on nights there are: not on Christmas.
    fridays = (first_friday + timedelta(weeks=week) for week in range(2, 12))
    weekend = next(f for f in fridays if not {f, f + timedelta(days=1)} & HOLIDAYS)
    session.add(ClassWeekend(term=term, school_class=classes["Åsnes"][4], weekend_on=weekend, created_at=now))
    # Two experienced parents in each municipality lead groups too.
    for municipality in municipalities.values():
        for volunteer in [v for v in volunteers if v.municipality is municipality][:2]:
            volunteer.roles.append(Role(kind=RoleKind.LEADER, region=region))
            leaders.append(volunteer)
    session.flush()

    # The first weekends fill up as real ones do: some nights full, some short, some leaderless.
    nights_of: dict[int, list[tuple[Shift, SignupRole]]] = {}
    for shift in shifts[: len(routes) * 6]:
        if rng.random() < 0.7:
            _signup(session, shift, rng.choice(leaders), SignupRole.LEADER, now, nights_of)
        local_people = [v for v in volunteers if v.municipality is shift.route.municipality]
        for walker in rng.sample(local_people, k=min(len(local_people), rng.randint(0, 6))):
            _signup(session, shift, walker, SignupRole.WALKER, now, nights_of)

    _seed_walked_weekends(session, region, routes, leaders, volunteers, now, rng)

    # Most have said when they can walk, so auto-fill has something to work with; one pair walks together.
    first, second = next(
        (a, b) for a in volunteers for b in volunteers if a.id < b.id and a.municipality is b.municipality
    )
    partners = {first.id: second, second.id: first}
    said = {person.id: person for person in [*leaders, *volunteers[:45], first, second]}
    for person in said.values():
        leading = person in leaders
        session.add(_availability(person, term, rng, now, leading=leading, partner=partners.get(person.id)))


WEATHER = ["Opphold, kaldt", "Regn", "Sludd", "Klart og kaldt", "Snø"]
MOODS = ["Rolig kveld", "Mye folk ved kiosken, god stemning", "Noe uro etter fotballkampen", "Stille"]
PLACES = ["Sentrum, skolen og stasjonen", "Kiosken, parken, idrettsplassen", "Butikken og busstoppet"]


def _seed_walked_weekends(session, region, routes, leaders, volunteers, now, rng) -> None:
    """An autumn term already walked, with logbooks and reports, so that the reports, statistics
    and people pages have something to show. The last weekend's reports are not written yet: the
    group leaders can try writing one (Lars Leder led the last Friday in Flisa)."""
    weeks = 4
    last_friday = last_walked_friday(night_of(now))
    autumn = Term(
        region=region,
        name="Høst 2026",
        starts_on=last_friday - timedelta(weeks=weeks - 1),
        ends_on=last_friday + timedelta(days=1),
        signup_opens_at=now - timedelta(weeks=10),
        published_at=now - timedelta(weeks=10),
        nights_cap=4,
    )
    session.add(autumn)
    lars = leaders[1]
    nights_of: dict[int, int] = {}

    def free(person: Person) -> bool:
        kept = 1 if person is lars else 0  # for his Friday in the last weekend
        return nights_of.get(person.id, 0) < autumn.cap - kept

    for week in range(weeks - 1, -1, -1):
        for offset in (0, 1):
            day = last_friday - timedelta(weeks=week) + timedelta(days=offset)
            starts_at, ends_at = night_span(day, time(22, 0), time(1, 0))
            # Every route walks at the same time: one route a night for each person.
            tonight = {lars.id} if week == 0 and offset == 0 else set()
            for route in routes:
                shift = Shift(
                    term=autumn,
                    route=route,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    min_walkers=3,
                    max_walkers=6,
                    needs_leader=True,
                    note="",
                    cancel_reason="",
                )
                session.add(shift)
                lars_night = week == 0 and offset == 0 and route.name == "Flisa sentrum"
                leader = (
                    lars
                    if lars_night
                    else next((p for p in rng.sample(leaders, len(leaders)) if free(p) and p.id not in tonight), None)
                )
                local_people = [
                    v
                    for v in volunteers
                    if v.municipality is route.municipality and free(v) and v.id not in tonight and v is not leader
                ]
                walkers = rng.sample(local_people, k=min(len(local_people), rng.randint(2, 4)))
                for person, role in [
                    *([(leader, SignupRole.LEADER)] if leader else []),
                    *((w, SignupRole.WALKER) for w in walkers),
                ]:
                    came = role == SignupRole.LEADER or rng.random() > 0.1
                    _walked(session, shift, person, role, SignupState.ATTENDED if came else SignupState.NO_SHOW, now)
                    nights_of[person.id] = nights_of.get(person.id, 0) + 1
                    tonight.add(person.id)
                if leader is not None and week > 0:
                    _report(session, shift, leader, rng)


def night_of(now: datetime) -> date:
    """The day whose night it is: until six in the morning, yesterday's. Seeded at 00:50 on a Sunday,
    Saturday's nights are still being walked, and a leader can try tonight's logbook."""
    return (local(now) - timedelta(hours=6)).date()


def first_coming_friday(today: date) -> date:
    """The Friday of the weekend now or next: seeded on a Saturday, tonight's nights are in the
    coming term (and Friday's just past), so that there is a night to try tonight."""
    if today.weekday() == 5:
        return today - timedelta(days=1)
    return today + timedelta(days=(4 - today.weekday()) % 7)


def last_walked_friday(today: date) -> date:
    """The Friday of the latest weekend whose Saturday is over before today: seeded on a Saturday
    night, tonight is not among the nights already walked."""
    days_since_saturday = (today.weekday() - 5) % 7 or 7
    return today - timedelta(days=days_since_saturday + 1)


def _walked(session, shift, person, role, state, now) -> None:
    session.add(Signup(shift=shift, person=person, role=role, state=state, created_at=now - timedelta(weeks=9)))
    session.flush()


def _report(session, shift, leader, rng) -> None:
    youths = {band: rng.randint(0, 12) for band in AGE_BANDS}
    written = ReportInput(
        started=time(22, 0),
        ended=time(1, 0),
        places_visited=rng.choice(PLACES),
        weather=rng.choice(WEATHER),
        atmosphere=rng.choice(MOODS),
        youths=youths,
    )
    incident = None
    if rng.random() < 0.35:
        category = rng.choice(list(IncidentCategory))
        incident = IncidentInput(
            category=category,
            around=time(23, rng.choice((0, 15, 30, 45))),
            place=shift.route.meeting_point,
            police_contacted=rng.random() < 0.2,
            child_welfare_contacted=rng.random() < 0.1,
            description="Snakket med en gruppe ungdommer; alt i orden etterpå.",
        )
    save_report(session, leader, shift, written, shift.ends_at + timedelta(hours=9), submit=True, incident=incident)


def _availability(person: Person, term: Term, rng: random.Random, now, *, leading: bool, partner) -> Availability:
    return Availability(
        person=person,
        term=term,
        weekdays=rng.choice([[4], [5], [4, 5], [4, 5]]),
        dates=[],
        blocked_dates=[],
        max_nights=2,
        wants_to_lead=leading,
        same_weekend_ok=rng.random() < 0.2,  # some can walk both nights of a weekend
        partner_phone=partner.phone if partner else None,
        municipality_ids=[],
        updated_at=now,
        updated_by_id=person.id,
    )


def _person(name: str, phone: str, municipality: Municipality, now) -> Person:
    return Person(
        phone=phone,
        name=name,
        locale="nb",
        municipality=municipality,
        created_at=now,
        **answered_first_questions(now),
    )


def _signup(session: Session, shift: Shift, person: Person, role: SignupRole, now, nights_of) -> None:
    """Seed directly (a live sign-up would queue a confirmation SMS for each), keeping the rules a
    live sign-up keeps: capacity, one night a day, the term's cap on walkers' places."""
    mine = nights_of.setdefault(person.id, [])
    same_day = any(s.starts_at.date() == shift.starts_at.date() for s, _ in mine)
    walks = sum(1 for _, r in mine if caps(r))
    if len(shift.signups) >= shift.max_walkers or same_day or (caps(role) and walks >= shift.term.cap):
        return
    mine.append((shift, role))
    session.add(Signup(shift=shift, person=person, role=role, state=SignupState.SIGNED_UP, created_at=now))
