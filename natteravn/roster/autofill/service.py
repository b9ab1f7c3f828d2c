"""Auto-fill against the database: availability in, a draft out, sign-ups only on acceptance."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import InvalidPhone, normalise_phone
from natteravn.audit import service as audit
from natteravn.clock import local, weekend_of
from natteravn.i18n import N_, Refusal
from natteravn.places.models import Municipality, Route, School, SchoolClass
from natteravn.roster.autofill import costs
from natteravn.roster.autofill.models import (
    Availability,
    DraftAssignment,
    DraftState,
    RegionWeights,
    RosterDraft,
    RosterLock,
)
from natteravn.roster.autofill.problem import Night, Problem, Volunteer, Weights
from natteravn.roster.grid import standing_nights
from natteravn.roster.service import assign
from natteravn.shifts.models import HOLDING, LIVE, ClassWeekend, Shift, Signup, SignupRole, SignupState, Term
from natteravn.shifts.service import caps

#: Nights walked before, from which a volunteer counts as experienced.
EXPERIENCED_AFTER = 2


#: What the audit log says about auto-fill.
AUDIT = audit.Vocabulary(
    actions={
        "autofill.drafted": N_("Ran auto-fill: %(proposed)s places proposed, %(short)s nights still short"),
        "autofill.accepted": N_(
            "Accepted the auto-fill draft: %(signed_up)s signed up, %(excluded)s excluded, %(left_out)s left out"
        ),
    },
    defaults={"excluded": 0},  # drafts accepted before exclusions were kept out
)


class AutofillRefused(Refusal):
    pass


#: Why auto-fill has nobody to propose, said on the page and when running it is refused.
NOBODY_HAS_SAID = N_(
    "Nobody has said when they can walk this term yet, so auto-fill has nobody to put on the nights."
    " Ask the volunteers when they can walk, and run it when the answers come in."
)


def anyone_has_said(session: Session, term: Term) -> bool:
    """Whether any volunteer auto-fill may propose (active and approved) has said when they can
    walk this term, themselves or through the coordinator."""
    return bool(_term_availabilities(session, term))


@dataclass
class AvailabilityInput:
    weekdays: list[int]
    dates: list[date]
    blocked_dates: list[date]
    max_nights: int
    wants_to_lead: bool
    same_weekend_ok: bool
    partner_phone: str | None
    municipality_ids: list[int]


def availability_for(session: Session, person: Person, term: Term) -> Availability | None:
    return session.scalar(
        select(Availability).where(Availability.person_id == person.id, Availability.term_id == term.id)
    )


@dataclass(frozen=True)
class OwnAnswer:
    """What a volunteer has said about walking in a term still open, as My nights shows it."""

    term: Term
    availability: Availability | None  # None: not said yet

    @property
    def filled_in_by_coordinator(self) -> bool:
        """Entered for them (they told the coordinator by phone or in person): no need to ask them again."""
        return self.availability is not None and self.availability.updated_by_id not in (
            None,
            self.availability.person_id,
        )


def own_answers(session: Session, person: Person, today: date) -> list[OwnAnswer]:
    """The terms of the person's region that have not ended (`terms.open_terms`), each with what
    they said about it, whoever filled it in: one statement."""
    if person.municipality is None:
        return []
    rows = session.execute(
        select(Term, Availability)
        .outerjoin(Availability, (Availability.term_id == Term.id) & (Availability.person_id == person.id))
        .where(Term.region_id == person.municipality.region_id, Term.ends_on >= today)
        .order_by(Term.starts_on)
    )
    return [OwnAnswer(term, availability) for term, availability in rows]


def save_availability(
    session: Session, person: Person, term: Term, given: AvailabilityInput, now: datetime, actor: Person
) -> Availability:
    """What a volunteer can do this term (entered by them, or by the coordinator for them). The
    partner's number is kept as typed (normalised) whether or not anyone has it: `_partners` finds
    them when auto-fill runs."""
    if person.municipality is None or person.municipality.region_id != term.region_id:
        raise AutofillRefused(N_("That term is not in your region."))
    if not (given.weekdays or given.dates):
        raise AutofillRefused(N_("Choose at least one weekday or date you can walk."))
    most = most_nights_offered(term, person)
    if not 0 <= given.max_nights <= most:
        if most == term.cap:
            raise AutofillRefused(
                N_("Choose a number from 0 to %(cap)d: nobody walks more nights than that in a term."),
                field="max_nights",
                cap=term.cap,
            )
        # A group leader's, who may lead beyond the cap.
        raise AutofillRefused(N_("Choose a number from 0 to %(most)d."), field="max_nights", most=most)
    if given.max_nights > term.cap and not given.wants_to_lead:
        raise AutofillRefused(
            N_("More than %(cap)d nights are for leading: tick that you can be group leader, or choose fewer."),
            field="max_nights",
            cap=term.cap,
        )
    for day in [*given.dates, *given.blocked_dates]:
        if not term.starts_on <= day <= term.ends_on:
            raise AutofillRefused(N_("The date %(date)s is outside the term."), date=day.strftime("%d.%m.%Y"))
    partner_phone = _partner_phone(given.partner_phone, person, actor)
    allowed = set(
        session.scalars(
            select(Municipality.id).where(Municipality.region_id == term.region_id, Municipality.archived.is_(False))
        )
    )
    availability = availability_for(session, person, term) or Availability(person=person, term=term)
    availability.weekdays = sorted(set(given.weekdays) & set(range(7)))
    availability.dates = sorted({d.isoformat() for d in given.dates})
    availability.blocked_dates = sorted({d.isoformat() for d in given.blocked_dates})
    availability.max_nights = given.max_nights
    availability.wants_to_lead = given.wants_to_lead and person.holds(RoleKind.LEADER, term.region_id)
    availability.same_weekend_ok = given.same_weekend_ok
    availability.partner_phone = partner_phone
    availability.municipality_ids = sorted(set(given.municipality_ids) & allowed)
    availability.updated_at = now
    availability.updated_by_id = actor.id
    session.add(availability)
    session.flush()
    return availability


#: A weekday with at least this share of a term's nights is one its nights are usually on.
USUAL_SHARE = 0.25


def usual_weekdays(term: Term) -> list[int]:
    """The weekdays (Monday=0) most of the term's nights fall on, ticked for someone who has not
    said yet: those with at least a quarter of the nights (Friday and Saturday, as a rule), so
    that the eve of 17 May on a Sunday does not have everyone who just presses Save offer every
    Sunday. With no weekday that common, the commonest; with no nights, Friday and Saturday."""
    per_weekday = Counter(local(s.starts_at).weekday() for s in term.shifts if s.cancelled_at is None)
    if not per_weekday:
        return [4, 5]
    total = per_weekday.total()
    usual = [day for day, count in per_weekday.items() if count >= USUAL_SHARE * total]
    commonest = max(per_weekday.values())
    return sorted(usual or [day for day, count in per_weekday.items() if count == commonest])


def most_nights_offered(term: Term, person: Person) -> int:
    """The most nights a person may offer for the term, all of them counted: the term's cap on
    walker's places; a group leader may lead beyond it (`shifts.service.caps`), up to a night a
    week of the term."""
    if not person.holds(RoleKind.LEADER, term.region_id):
        return term.cap
    return max(term.cap, (term.ends_on - term.starts_on).days // 7 + 1)


def _partner_phone(typed: str | None, person: Person, actor: Person) -> str | None:
    """The partner's number as stored, refused beside the partner field when it is no mobile
    number or is the volunteer's own: auto-fill would pair them with nobody, without a word."""
    if not typed:
        return None
    try:
        phone = normalise_phone(typed)
    except InvalidPhone as refusal:
        raise AutofillRefused(refusal.msgid, field="partner_phone", **refusal.params) from refusal
    if phone != person.phone:
        return phone
    if actor.id == person.id:
        raise AutofillRefused(
            N_("That is your own number. Write the number of the person you walk with, or leave it empty."),
            field="partner_phone",
        )
    raise AutofillRefused(
        N_("That is %(name)s's own number. Write the number of the person they walk with, or leave it empty."),
        field="partner_phone",
        name=person.name,
    )


def weights_for(session: Session, region_id: int) -> Weights:
    stored = session.scalar(select(RegionWeights).where(RegionWeights.region_id == region_id))
    known = {f.name for f in fields(Weights)}
    values = {k: int(v) for k, v in (stored.values if stored else {}).items() if k in known}
    return Weights(**values)


def save_weights(session: Session, region_id: int, weights: Weights) -> None:
    stored = session.scalar(select(RegionWeights).where(RegionWeights.region_id == region_id))
    if stored is None:
        stored = RegionWeights(region_id=region_id)
        session.add(stored)
    stored.values = asdict(weights)


def build_problem(session: Session, term: Term, now: datetime) -> Problem:
    """The term's coming nights and its volunteers' availability as plain data."""
    shifts = standing_nights(session, term, after=now)
    experienced_ids = _experienced(session, term.region_id, now)
    on_night = _people_on(session, [s.id for s in shifts])
    waiting = set(
        session.scalars(
            select(Signup.shift_id).where(
                Signup.shift_id.in_([s.id for s in shifts]), Signup.state == SignupState.WAITLISTED
            )
        )
    )
    class_weekends = _class_weekends(session, term)
    nights = []
    for shift in shifts:
        people = on_night.get(shift.id, [])
        day = local(shift.starts_at).date()
        weekend = weekend_of(day)
        nights.append(
            Night(
                id=shift.id,
                municipality_id=shift.route.municipality_id,
                day=day,
                weekend=weekend,
                free_places=max(0, shift.max_walkers - len(people)),
                walkers_needed=max(0, shift.min_walkers - len(people)),
                needs_leader=shift.needs_leader and not any(role == SignupRole.LEADER for _, role in people),
                has_waitlist=shift.id in waiting,
                has_experienced=any(person_id in experienced_ids for person_id, _ in people),
                class_ids=frozenset(class_weekends.get((weekend, shift.route.municipality_id), ())),
            )
        )
    return Problem(
        nights=nights,
        volunteers=_volunteers(session, term, nights, experienced_ids),
        weights=weights_for(session, term.region_id),
        locks={(lock.person_id, lock.shift_id): lock.must for lock in _locks(session, term)},
        past_pairs=_past_pairs(session, term.region_id, now),
    )


def _people_on(session: Session, shift_ids: list[int]) -> dict[int, list[tuple[int, SignupRole]]]:
    rows = session.execute(
        select(Signup.shift_id, Signup.person_id, Signup.role).where(
            Signup.shift_id.in_(shift_ids), Signup.state.in_(HOLDING)
        )
    )
    found: dict[int, list[tuple[int, SignupRole]]] = defaultdict(list)
    for shift_id, person_id, role in rows:
        found[shift_id].append((person_id, role))
    return found


def _experienced(session: Session, region_id: int, now: datetime) -> set[int]:
    walked = (
        select(Signup.person_id)
        .join(Signup.shift)
        .join(Shift.term)
        .where(
            Term.region_id == region_id,
            Shift.ends_at <= now,
            Shift.cancelled_at.is_(None),
            Signup.state.in_((SignupState.ATTENDED, SignupState.SIGNED_UP, SignupState.CONFIRMED)),
        )
        .group_by(Signup.person_id)
        .having(func.count() >= EXPERIENCED_AFTER)
    )
    return set(session.scalars(walked))


def _class_weekends(session: Session, term: Term) -> dict[tuple[tuple[int, int], int], set[int]]:
    """School classes by the weekend given to them (klassevakt) and the municipality of their
    school, whose nights they walk that weekend."""
    found: dict[tuple[tuple[int, int], int], set[int]] = defaultdict(set)
    given = session.execute(
        select(ClassWeekend.weekend_on, ClassWeekend.school_class_id, School.municipality_id)
        .join(ClassWeekend.school_class)
        .join(SchoolClass.school)
        .where(ClassWeekend.term_id == term.id)
    )
    for weekend_on, class_id, municipality_id in given:
        found[(weekend_of(weekend_on), municipality_id)].add(class_id)
    return found


def _locks(session: Session, term: Term) -> list[RosterLock]:
    return list(session.scalars(select(RosterLock).join(RosterLock.shift).where(Shift.term_id == term.id)))


def _past_pairs(session: Session, region_id: int, now: datetime) -> frozenset[frozenset[int]]:
    """People who walked the same night before, from the last year's nights."""
    rows = session.execute(
        select(Signup.shift_id, Signup.person_id)
        .join(Signup.shift)
        .join(Shift.term)
        .where(
            Term.region_id == region_id,
            Shift.ends_at <= now,
            Shift.starts_at > now.replace(year=now.year - 1),
            Signup.state.in_(HOLDING),
        )
    )
    by_night: dict[int, list[int]] = defaultdict(list)
    for shift_id, person_id in rows:
        by_night[shift_id].append(person_id)
    return frozenset(frozenset((a, b)) for people in by_night.values() for a in people for b in people if a < b)


def _volunteers(session: Session, term: Term, nights: list[Night], experienced: set[int]) -> list[Volunteer]:
    availabilities = _term_availabilities(session, term)
    theirs: dict[int, list[tuple[int, date]]] = defaultdict(list)
    walks: Counter[int] = Counter()  # what the term's cap counts (`shifts.service.caps`)
    for person_id, shift_id, starts_at, role in session.execute(
        select(Signup.person_id, Signup.shift_id, Shift.starts_at, Signup.role)
        .join(Signup.shift)
        .where(Shift.term_id == term.id, Signup.state.in_(LIVE), Shift.cancelled_at.is_(None))
    ):
        theirs[person_id].append((shift_id, local(starts_at).date()))
        walks[person_id] += caps(role)
    partners = _partners(availabilities, term.region_id)
    volunteers = []
    for availability in availabilities:
        person = availability.person
        if person.municipality_id is None:  # a deleted profile keeps no home and walks nowhere
            continue
        accepted = {person.municipality_id, *availability.municipality_ids}
        existing = theirs.get(person.id, [])
        # Their own most counts all their nights; the term's cap only those they walk (as the
        # coordinator's `assign` counts them when the draft is accepted), so a leader at the cap
        # may still lead.
        volunteers.append(
            Volunteer(
                id=person.id,
                municipality_id=person.municipality_id,
                available=frozenset(
                    n.id for n in nights if n.municipality_id in accepted and availability.covers(n.day)
                ),
                max_new_nights=max(0, availability.max_nights - len(existing)),
                max_new_walks=max(0, term.cap - walks[person.id]),
                can_lead=availability.wants_to_lead and person.holds(RoleKind.LEADER, term.region_id),
                partner_id=partners.get(person.id),
                same_weekend_ok=availability.same_weekend_ok,
                experienced=person.id in experienced,
                class_ids=frozenset(person.school_class_ids),
                busy_days=frozenset(day for _, day in existing),
                existing_nights=len(existing),
            )
        )
    return volunteers


def _term_availabilities(session: Session, term: Term) -> list[Availability]:
    """What the term's active, approved volunteers said, with each person, their home and roles loaded."""
    return list(
        session.scalars(
            select(Availability)
            .join(Availability.person)
            # Someone a coordinator has yet to approve is decided on in the people list, not by auto-fill.
            .where(Availability.term_id == term.id, Person.active.is_(True), ~Person.awaiting_approval)
            .options(
                joinedload(Availability.person).joinedload(Person.municipality),
                joinedload(Availability.person).selectinload(Person.roles),
                joinedload(Availability.person).selectinload(Person.school_classes),
            )
        ).unique()
    )


def _partners(availabilities: list[Availability], region_id: int) -> dict[int, int]:
    """Who walks with whom: the number someone typed as partner, matched to a volunteer of the
    region who said when they can walk this term. Matched here rather than when saved, so that
    the form answers alike for every number. One of them naming the other binds both."""
    by_phone = {
        a.person.phone: a.person_id
        for a in availabilities
        if a.person.municipality is not None and a.person.municipality.region_id == region_id
    }
    partners = {}
    for availability in availabilities:
        partner_id = by_phone.get(availability.partner_phone or "")
        if partner_id is not None and partner_id != availability.person_id:
            partners[availability.person_id] = partner_id
    for person_id, partner_id in list(partners.items()):
        partners.setdefault(partner_id, person_id)
    return partners


def run_autofill(session: Session, term: Term, actor: Person, now: datetime, time_limit_s: float = 10.0) -> RosterDraft:
    """Solve and keep the result as the term's draft; earlier drafts are set aside."""
    if term.published_at is None and not term.shifts:
        raise AutofillRefused(N_("The term has no nights yet."))
    # The solver brings OR-Tools (and with it pandas and numpy: 70 MB) into the process: only the
    # worker that runs auto-fill pays for it, not every worker serving parents.
    from natteravn.roster.autofill.solver import solve

    problem = build_problem(session, term, now)
    if not problem.volunteers:
        # An empty draft would call itself the best roster the rules allow, and list every night
        # as short for want of volunteers, when the truth is that nobody has answered yet.
        raise AutofillRefused(NOBODY_HAS_SAID)
    solution = solve(problem, time_limit_s=time_limit_s)
    session.execute(
        update(RosterDraft)
        .where(RosterDraft.term_id == term.id, RosterDraft.state == DraftState.DRAFT)
        .values(state=DraftState.DISCARDED)
    )
    draft = RosterDraft(
        term=term,
        created_at=now,
        created_by_id=actor.id,
        state=DraftState.DRAFT,
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        optimal=solution.optimal,
        seconds=round(solution.seconds, 2),
        breakdown=solution.breakdown,
        tally=costs.tally(problem, solution.assignments, solution.leaders),
        short=[
            {
                "shift_id": s.night_id,
                "walkers_missing": s.walkers_missing,
                "leader_missing": s.leader_missing,
                "reasons": list(s.reasons),
                "held": s.held,
            }
            for s in solution.short
        ],
        weights=asdict(problem.weights),
    )
    draft.assignments = [
        DraftAssignment(
            shift_id=night_id,
            person_id=person_id,
            role=SignupRole.LEADER if (person_id, night_id) in solution.leaders else SignupRole.WALKER,
        )
        for person_id, night_id in sorted(solution.assignments)
    ]
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="autofill.drafted",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
        proposed=len(draft.assignments),
        short=len(draft.short),
    )
    return draft


def latest_draft(session: Session, term: Term) -> RosterDraft | None:
    return session.scalar(
        select(RosterDraft)
        .where(RosterDraft.term_id == term.id, RosterDraft.state == DraftState.DRAFT)
        .order_by(RosterDraft.id.desc())
        .limit(1)
    )


def set_lock(session: Session, term: Term, shift_id: int, person_id: int, must: bool | None) -> None:
    """Pin a cell for the next run: must walk (True), must not (False), or free again (None)."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.term_id != term.id or session.get(Person, person_id) is None:
        raise AutofillRefused(N_("That night does not exist."))
    lock = session.scalar(select(RosterLock).where(RosterLock.shift_id == shift_id, RosterLock.person_id == person_id))
    if must is None:
        if lock is not None:
            session.delete(lock)
        return
    if lock is None:
        lock = RosterLock(shift_id=shift_id, person_id=person_id, must=must)
        session.add(lock)
    lock.must = must


def availability_summary(session: Session, term: Term) -> dict[str, int]:
    row = session.execute(
        select(
            func.count(Availability.id),
            func.coalesce(func.sum(Availability.max_nights), 0),
            func.coalesce(func.sum(case((Availability.wants_to_lead.is_(True), 1), else_=0)), 0),
        ).where(Availability.term_id == term.id)
    ).one()
    return {"volunteers": row[0], "nights_offered": row[1], "leaders": row[2]}


@dataclass
class Cell:
    shift: Shift
    taken: int
    proposed: list[DraftAssignment]
    locks: dict[int, bool]
    short: dict | None

    @property
    def standing(self) -> list[DraftAssignment]:
        """The proposals accepting the draft signs up: all but those excluded."""
        return [p for p in self.proposed if self.locks.get(p.person_id) is not False]

    @property
    def excluded_elsewhere(self) -> list[int]:
        """People excluded from this night whom the draft does not propose for it (those it does
        propose are shown, excluded, among the proposals)."""
        proposed = {p.person_id for p in self.proposed}
        return [person_id for person_id, must in self.locks.items() if must is False and person_id not in proposed]


@dataclass
class Review:
    routes: list[Route]
    weekends: list[tuple[tuple[int, int], dict[int, list[Cell]]]]  # (weekend, route id -> cells)
    people: dict[int, Person]

    @property
    def cells(self) -> list[Cell]:
        return [cell for _, by_route in self.weekends for cells in by_route.values() for cell in cells]

    @property
    def places_proposed(self) -> int:
        """Places the draft fills as it stands, exclusions taken out."""
        return sum(len(cell.standing) for cell in self.cells)

    @property
    def people_proposed(self) -> int:
        return len({p.person_id for cell in self.cells for p in cell.standing})

    @property
    def excluded(self) -> int:
        """Proposals the coordinator excluded since the draft was made."""
        return sum(len(cell.proposed) - len(cell.standing) for cell in self.cells)


def review(session: Session, term: Term) -> Review:
    """The term's nights as a grid, weekends down and routes across, with what the latest draft
    proposes and the coordinator's locks in each cell."""
    draft = latest_draft(session, term)
    shifts = standing_nights(session, term)
    taken = {sid: len(people) for sid, people in _people_on(session, [s.id for s in shifts]).items()}
    proposed: dict[int, list[DraftAssignment]] = defaultdict(list)
    short: dict[int, dict] = {}
    if draft is not None:
        for assignment in session.scalars(
            select(DraftAssignment)
            .where(DraftAssignment.draft_id == draft.id)
            .options(joinedload(DraftAssignment.person))
        ):
            proposed[assignment.shift_id].append(assignment)
        short = {s["shift_id"]: s for s in draft.short}
    locks: dict[int, dict[int, bool]] = defaultdict(dict)
    for lock in _locks(session, term):
        locks[lock.shift_id][lock.person_id] = lock.must
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({pid for v in locks.values() for pid in v})))
    }
    routes = sorted({s.route for s in shifts}, key=lambda r: (r.municipality.name, r.name))
    weekends: dict[tuple[int, int], dict[int, list[Cell]]] = {}
    for shift in shifts:
        weekend = weekend_of(local(shift.starts_at).date())
        cells = weekends.setdefault(weekend, defaultdict(list))
        cells[shift.route_id].append(
            Cell(
                shift, taken.get(shift.id, 0), proposed.get(shift.id, []), locks.get(shift.id, {}), short.get(shift.id)
            )
        )
    return Review(routes=routes, weekends=list(weekends.items()), people=people)


@dataclass
class Accepted:
    made: int
    skipped: int  # no longer fitted: the night filled up, or the person took another night
    excluded: int = 0  # excluded by the coordinator after the draft was made
    partners_out: int = 0  # partners of someone excluded, who walk together or not at all


def accept_draft(session: Session, draft: RosterDraft, actor: Person, now: datetime, links) -> Accepted:
    """Sign the proposed people up, as the coordinator would one by one in the grid; a proposal
    the night or the person no longer has room for is left out, never forced, and partners are
    left out together.

    The locks are read as they stand now, not as they stood when the draft was made: a proposal
    the coordinator excluded since is not signed up (nor the partner who would walk with them),
    whether or not the draft was run again. A kept proposal is signed up like any other: keeping
    pins it for the next run and adds nobody the draft does not propose."""
    if draft.state != DraftState.DRAFT:
        raise AutofillRefused(N_("This draft has already been used."))
    partner_of = _partners(_term_availabilities(session, draft.term), draft.term.region_id)
    excluded_cells = {(lock.person_id, lock.shift_id) for lock in _locks(session, draft.term) if lock.must is False}
    groups: dict[tuple[int, frozenset[int]], list[DraftAssignment]] = defaultdict(list)
    for proposal in draft.assignments:
        couple = frozenset({proposal.person_id, partner_of.get(proposal.person_id, proposal.person_id)})
        groups[(proposal.shift_id, couple)].append(proposal)
    result = Accepted(made=0, skipped=0)
    for group in groups.values():
        excluded = sum((p.person_id, p.shift_id) in excluded_cells for p in group)
        if excluded:
            result.excluded += excluded
            result.partners_out += len(group) - excluded
            continue
        try:
            with session.begin_nested():
                for proposal in sorted(group, key=lambda a: a.role != SignupRole.LEADER):
                    assign(session, proposal.shift, proposal.person, proposal.role, now, links, actor)
        except Refusal:
            result.skipped += len(group)
        else:
            result.made += len(group)
    draft.state = DraftState.ACCEPTED
    audit.record(
        session,
        actor_id=actor.id,
        action="autofill.accepted",
        object_type="term",
        object_id=draft.term_id,
        now=now,
        region_id=draft.term.region_id,
        signed_up=result.made,
        excluded=result.excluded,
        left_out=result.skipped + result.partners_out,
    )
    return result
