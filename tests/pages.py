"""Every page of the app with something on it, for the tests that look at all of them: a night
walked and reported, a night to come with a sign-up, an offered place, a draft term and every
kind of place, in the Solør test region (`factories.solor`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from natteravn.accounts.models import Role, RoleKind
from natteravn.places.models import School, SchoolClass
from natteravn.reports import council
from natteravn.reports.models import Assessment, IncidentCategory
from natteravn.reports.writing import IncidentInput, ReportInput, save_report
from natteravn.roster import terms
from natteravn.roster.service import cancel_nights, move_person
from natteravn.shifts.models import Invitation, SignupRole, SignupState, Term
from tests import factories

#: Who opens a page: someone not logged in, someone who has just asked for a code, someone logged in
#: for the first time, or one of the Solør people (its coordinator is an administrator too).
VISITOR, ASKED_FOR_CODE, NEWCOMER, PARENT, LEADER, COORDINATOR = (
    "visitor",
    "asked for a code",
    "newcomer",
    "parent",
    "leader",
    "coordinator",
)
#: Pages that answer with something other than a page to read: files, feeds, redirects, health.
NOT_PAGES = {
    "static",
    "accounts.home",
    "shifts.feed",
    "shifts.night_ics",
    "privacy.download",
    "reports.from_link",
    "reports.statistics_csv",
    "roster.export_csv",
    "health.healthz",
    "accounts.invitation",
    "accounts.join_municipality",
    "reports.summary_csv",
    "shifts.join_qr",
}
NEWCOMER_PHONE = "+4741234999"


@dataclass(frozen=True)
class Page:
    who: str
    path: str

    @property
    def on_a_phone(self) -> bool:
        """Parents' and leaders' pages are used on a phone; the coordinator's on a laptop."""
        return self.who != COORDINATOR


def every_page(db: Session, world: factories.Solor, clock, links) -> list[Page]:
    """Builds what the pages show and lists them, each with who opens it."""
    now = clock()
    walked = factories.night(db, world.term, world.routes["Flisa sentrum"], date(2026, 11, 13))
    factories.signup(db, walked, world.leader, now - timedelta(days=9), role=SignupRole.LEADER)
    factories.signup(db, walked, world.parent, now - timedelta(days=9), state=SignupState.ATTENDED)
    report = _reported(db, world, walked, now)
    coming = world.night_on("Flisa sentrum", date(2026, 11, 20))
    mine = factories.signup(db, coming, world.parent, now)
    factories.signup(db, coming, world.leader, now, role=SignupRole.LEADER)
    # The parent is asked, by a call for walkers, to take a place on a night they are not on.
    db.add(
        Invitation(
            shift=world.night_on("Kjellmyra", date(2026, 11, 21)),
            person=world.parent,
            role=SignupRole.WALKER,
            created_at=now,
        )
    )
    offered = factories.signup(db, world.night_on("Kirkenær", date(2026, 11, 27)), world.other_parent, now)
    offered.state, offered.offer_expires_at = SignupState.OFFERED, now + timedelta(hours=12)
    # A night called off with the parent on it, to be moved to another.
    stormy = world.night_on("Våler sentrum", date(2026, 11, 28))
    factories.signup(db, stormy, world.parent, now)
    factories.signup(db, stormy, world.other_parent, now, state=SignupState.WAITLISTED)
    # Someone moved from it, whose messages are in the language the others read.
    per = factories.person(db, world.valer, "Per Pedersen", now, locale=world.parent.locale)
    moved = factories.signup(db, stormy, per, now)
    cancel_nights(db, [stormy], "Storm", now, world.coordinator)
    move_person(db, moved, world.night_on("Kjellmyra", date(2026, 11, 28)).id, now, links, world.coordinator)
    school = world.school_class.school
    world.parent.school_classes = [world.school_class]
    terms.give_weekend(db, world.term, world.school_class.id, date(2026, 12, 4), now, links, world.coordinator)
    draft = Term(
        region=world.region,
        name="Vår 2027",
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 3, 27),
        signup_opens_at=now + timedelta(days=30),
    )
    db.add(draft)
    db.flush()
    pattern = terms.save_pattern(
        db,
        draft,
        terms.PatternInput([4, 5], time(22, 0), time(1, 0), [world.routes["Flisa sentrum"].id]),
        now,
        world.coordinator,
    )
    # A second published term: the parent chooses which one to say when they can walk.
    db.add(
        Term(
            region=world.region,
            name="Vinter 2027",
            starts_on=date(2027, 1, 8),
            ends_on=date(2027, 2, 27),
            signup_opens_at=now,
            published_at=now,
        )
    )
    db.add(SchoolClass(school=School(municipality=world.grue, name="Grue skole"), name="10A"))
    world.coordinator.roles.append(Role(kind=RoleKind.ADMIN))  # the administrator's pages too
    # An assessment written before it was checked, naming someone: held back, with its parts to check.
    db.add(
        Assessment(
            region_id=world.region.id,
            first_day=date(2026, 8, 1),
            last_day=date(2026, 11, 30),
            municipalities="",
            text="Roligere enn i fjor. Ola Nordmann (16) ble fulgt hjem.",
            updated_at=now,
        )
    )
    db.commit()
    autumn = council.Selection(world.region.id, council.Period(date(2026, 8, 1), date(2026, 11, 30)))
    council_link = council.link_for(autumn, date(2026, 12, 31), links).removeprefix(links.base_url)
    term, region, asnes, flisa = world.term.id, world.region.id, world.asnes.id, world.routes["Flisa sentrum"].id
    return [
        Page(VISITOR, "/login"),
        Page(ASKED_FOR_CODE, "/login/code"),
        Page(VISITOR, links.offer(offered.id).removeprefix(links.base_url)),
        Page(VISITOR, f"/join/{world.region.slug}/{asnes}"),
        Page(VISITOR, council_link),
        Page(NEWCOMER, "/welcome"),
        Page(PARENT, "/nights"),
        Page(PARENT, f"/nights?municipality={asnes}&day=4"),
        Page(PARENT, f"/nights/{coming.id}"),
        Page(PARENT, f"/nights/{world.night_on('Kjellmyra', date(2026, 11, 21)).id}"),
        Page(PARENT, f"/signups/{mine.id}/cancel"),
        Page(PARENT, "/my"),
        Page(PARENT, "/profile"),
        Page(PARENT, "/conduct"),
        Page(PARENT, "/profile/data"),
        Page(PARENT, "/availability"),
        Page(PARENT, f"/availability/{term}"),
        Page(LEADER, "/nights"),
        Page(LEADER, "/my"),
        Page(LEADER, f"/nights/{walked.id}/logbook"),
        Page(LEADER, f"/nights/{walked.id}/report"),
        Page(LEADER, f"/nights/{walked.id}/report/incidents/{report.incidents[0].id}"),
        Page(LEADER, f"/nights/{walked.id}/report/incidents/{report.incidents[0].id}/remove"),
        Page(COORDINATOR, "/coordinator"),
        Page(COORDINATOR, "/coordinator/terms"),
        Page(COORDINATOR, "/coordinator/terms/new"),
        Page(COORDINATOR, f"/coordinator/terms/{term}"),
        Page(COORDINATOR, f"/coordinator/terms/{draft.id}"),
        Page(COORDINATOR, f"/coordinator/terms/{draft.id}/delete"),
        Page(COORDINATOR, f"/coordinator/terms/{draft.id}/publish"),
        Page(COORDINATOR, f"/coordinator/terms/{draft.id}/patterns/{pattern.id}/delete"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/edit"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/copy"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/grid"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/print/{asnes}"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/autofill"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/ask"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/answers"),
        Page(COORDINATOR, f"/coordinator/terms/{term}/availability/{world.parent.id}"),
        Page(COORDINATOR, f"/coordinator/nights/{coming.id}"),
        Page(COORDINATOR, f"/coordinator/nights/{stormy.id}"),
        Page(COORDINATOR, "/coordinator/nights/cancel"),
        Page(COORDINATOR, "/coordinator/messages"),
        Page(COORDINATOR, f"/coordinator/messages?to=night:{walked.id}"),  # a night just over
        Page(COORDINATOR, "/coordinator/messages?to=night:999999"),  # one the list cannot offer
        Page(COORDINATOR, "/coordinator/messages?to=region:999999"),
        Page(COORDINATOR, "/coordinator/people"),
        Page(COORDINATOR, f"/coordinator/people/{world.parent.id}"),
        Page(COORDINATOR, "/coordinator/people/import"),
        Page(COORDINATOR, "/coordinator/people/new"),
        Page(COORDINATOR, "/coordinator/places"),
        Page(COORDINATOR, f"/coordinator/places/regions/{region}"),
        Page(COORDINATOR, f"/coordinator/places/regions/{region}/municipalities/new"),
        Page(COORDINATOR, f"/coordinator/places/municipalities/{asnes}"),
        Page(COORDINATOR, f"/coordinator/places/municipalities/{asnes}/routes/new"),
        Page(COORDINATOR, f"/coordinator/places/municipalities/{asnes}/schools/new"),
        Page(COORDINATOR, f"/coordinator/places/routes/{flisa}"),
        Page(COORDINATOR, f"/coordinator/places/schools/{school.id}"),
        Page(COORDINATOR, f"/coordinator/places/schools/{school.id}/classes/new"),
        Page(COORDINATOR, f"/coordinator/places/classes/{world.school_class.id}"),
        Page(COORDINATOR, "/coordinator/reports"),
        Page(COORDINATOR, f"/coordinator/reports/{report.id}"),
        Page(COORDINATOR, "/coordinator/reports/statistics"),
        Page(COORDINATOR, "/coordinator/reports/summary"),
        Page(COORDINATOR, "/coordinator/reports/summary?first_day=2026-08-01&last_day=2026-11-30"),
        Page(COORDINATOR, "/coordinator/reports/summary?first_day=2025-01-01&last_day=2025-12-31"),
        Page(COORDINATOR, f"/coordinator/reports/statistics?term={term}"),
        Page(COORDINATOR, "/coordinator/reports/statistics?first_day=2025-01-01&last_day=2025-12-31"),
        Page(COORDINATOR, "/coordinator/outbox"),
        Page(COORDINATOR, "/coordinator/audit"),
        Page(COORDINATOR, "/admin"),
        Page(COORDINATOR, f"/admin/regions/{region}"),
        Page(COORDINATOR, "/admin/regions/new"),
        Page(COORDINATOR, f"/admin/regions/{region}/municipalities/new"),
        Page(COORDINATOR, f"/admin/regions/{region}/coordinators/new"),
    ]


def _reported(db: Session, world: factories.Solor, night, now):
    written = ReportInput(
        started=time(22, 0),
        ended=time(1, 0),
        places_visited="Skysstasjonen og skolen",
        weather="Regn",
        atmosphere="Rolig",
        youths={"youths_13_15": 8, "youths_16_17": 5},
    )
    incident = IncidentInput(
        category=IncidentCategory.HELPED,
        around=time(23, 30),
        place="Skysstasjonen",
        police_contacted=False,
        child_welfare_contacted=False,
        description="Fulgte en til bussen.",
    )
    saved = save_report(db, world.leader, night, written, now, submit=True, incident=incident)
    db.flush()
    return saved.report


def person_for(world: factories.Solor, who: str):
    return {PARENT: world.parent, LEADER: world.leader, COORDINATOR: world.coordinator}[who]
