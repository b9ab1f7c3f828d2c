"""The coordinator's people: who volunteers in the region, what they have walked, their roles,
deactivation, and importing parents from a spreadsheet.

What "nights walked" counts: sign-ups marked attended in a logbook, plus sign-ups still signed up
or confirmed on a night that has ended and was not cancelled (a night whose leader never kept the
logbook counts as walked by those on it; keeping the logbook turns every place into attended or
no-show). "No-shows" counts sign-ups marked no-show. Both count nights of the coordinator's regions.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, case, delete, exists, func, select, union, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person, Role, RoleKind, Scope
from natteravn.accounts.service import found_by, normalise_phone
from natteravn.audit import service as audit
from natteravn.db import Page, in_norwegian_order, paginate
from natteravn.i18n import LOCALES, N_, Refusal
from natteravn.links import Links
from natteravn.places.models import Municipality, Region, Route
from natteravn.shifts import messages
from natteravn.shifts import service as shifts
from natteravn.shifts.models import LIVE, Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms import notes
from natteravn.sms.models import MessageState, SmsMessage

PAGE_SIZE = 50


#: What the audit log says about the coordinator's changes to people.
AUDIT = audit.Vocabulary(
    actions={
        "person.leader_granted": N_("Made %(person)s a group leader"),
        "person.leader_removed": N_(
            "Removed the group leader role from %(person)s (now a walker on %(nights_now_walker)s coming nights)"
        ),
        "person.deactivated": N_("Deactivated %(person)s (%(signups_cancelled)s coming sign-ups cancelled)"),
        "person.reactivated": N_("Reactivated %(person)s"),
        "person.approved": N_("Approved %(person)s as a walker"),
        "person.declined": N_("Declined %(person)s as a walker: %(reason)s"),
        "people.imported": N_("Imported parents: %(created)s new, %(updated)s updated, %(unchanged)s unchanged"),
        "person.registered": N_("Registered %(person)s by their phone number"),
        "person.added": N_("Added %(person)s by hand"),
        "person.updated": N_("Updated %(person)s by hand: the classes, municipality or name entered"),
        # Someone registered in another region, never named here (see `people.adding`).
        "person.invited": N_("Invited someone by hand to walk in %(municipality)s"),
        "person.coordinator_granted": N_("Made %(person)s coordinator of %(place)s"),
        "person.coordinator_revoked": N_("Removed %(person)s as coordinator of %(place)s"),
        "person.admin_granted": N_("Made %(person)s an administrator"),
        "person.admin_revoked": N_("Removed the administrator role from %(person)s"),
        "person.code_by_hand": N_("Gave %(person)s a login code by hand"),
    },
    objects={"person": N_("Person")},
)


class PeopleRefused(Refusal):
    pass


class RoleChange(enum.StrEnum):
    GRANTED = "granted"
    HELD = "held"  # they had it already: nothing changed
    COVERED = "covered"  # asked for one municipality of a region they coordinate whole: nothing changed
    REVOKED = "revoked"
    NOT_HELD = "not held"  # nothing to take away


class RoleFilter(enum.StrEnum):
    WALKER = "walker"  # neither group leader nor coordinator
    LEADER = "leader"
    COORDINATOR = "coordinator"


class Activity(enum.StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Order(enum.StrEnum):
    NAME = "name"
    WALKED = "walked"
    NO_SHOWS = "no_shows"


@dataclass
class PeopleQuery:
    text: str = ""
    municipality_id: int | None = None
    role: RoleFilter | None = None
    activity: Activity | None = None
    order: Order = Order.NAME
    page: int = 1


@dataclass
class PersonRow:
    person: Person
    walked: int
    no_shows: int
    leader: bool
    coordinator: bool


def _in_scope(scope: Scope):
    """People who live in the coordinator's regions or municipalities, or hold a role in a region
    the coordinator runs whole. One list of ids rather than two tests joined by OR: the database can
    then look each person up by id instead of reading everybody in the country."""
    resident = aliased(Person)
    return Person.id.in_(
        union(
            select(resident.id).where(
                resident.municipality_id.in_(
                    select(Municipality.id).where(scope.where(Municipality.region_id, Municipality.id))
                )
            ),
            select(Role.person_id).where(Role.region_id.in_(scope.regions)),
        )
    )


def _holds(kind: RoleKind, region_ids: Collection[int]):
    return exists().where(Role.person_id == Person.id, Role.kind == kind, Role.region_id.in_(region_ids))


def _night_counts(region_ids: Collection[int], now: datetime):
    held_past_night = and_(
        Signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED)),
        Shift.ends_at <= now,
        Shift.cancelled_at.is_(None),
    )
    return (
        select(
            Signup.person_id.label("person_id"),
            func.sum(case((Signup.state == SignupState.ATTENDED, 1), (held_past_night, 1), else_=0)).label("walked"),
            func.sum(case((Signup.state == SignupState.NO_SHOW, 1), else_=0)).label("no_shows"),
        )
        .join(Shift, Signup.shift_id == Shift.id)
        .join(Term, Shift.term_id == Term.id)
        .where(Term.region_id.in_(region_ids))
        .group_by(Signup.person_id)
        .subquery()
    )


def list_people(session: Session, scope: Scope, query: PeopleQuery, now: datetime) -> Page:
    """One page of the regions' people (`PersonRow`s) with their nights walked and no-shows, in
    three queries whatever the page size: a count, the page with its figures, and the page's roles."""
    region_ids = scope.touched
    counts = _night_counts(region_ids, now)
    walked = func.coalesce(counts.c.walked, 0)
    no_shows = func.coalesce(counts.c.no_shows, 0)
    conditions = [_in_scope(scope)]
    if query.text.strip():
        conditions.append(found_by(query.text))
    if query.municipality_id:
        conditions.append(Person.municipality_id == query.municipality_id)
    if query.role == RoleFilter.LEADER:
        conditions.append(_holds(RoleKind.LEADER, region_ids))
    elif query.role == RoleFilter.COORDINATOR:
        conditions.append(_holds(RoleKind.COORDINATOR, region_ids))
    elif query.role == RoleFilter.WALKER:
        conditions.append(~_holds(RoleKind.LEADER, region_ids) & ~_holds(RoleKind.COORDINATOR, region_ids))
    if query.activity is not None:
        conditions.append(Person.active.is_(query.activity == Activity.ACTIVE))

    by_name = in_norwegian_order(Person.name)
    order = {
        Order.NAME: (by_name, Person.id),
        Order.WALKED: (walked.desc(), by_name, Person.id),
        Order.NO_SHOWS: (no_shows.desc(), by_name, Person.id),
    }[query.order]
    found = paginate(
        session,
        select(Person, walked, no_shows)
        .outerjoin(counts, counts.c.person_id == Person.id)
        .where(*conditions)
        .options(joinedload(Person.municipality), selectinload(Person.roles))
        .order_by(*order),
        query.page,
        PAGE_SIZE,
    )
    rows = [
        PersonRow(
            person=person,
            walked=int(walked_count),
            no_shows=int(no_show_count),
            leader=any(r.kind == RoleKind.LEADER and r.region_id in region_ids for r in person.roles),
            coordinator=any(r.kind == RoleKind.COORDINATOR and r.region_id in region_ids for r in person.roles),
        )
        for person, walked_count, no_show_count in found.items
    ]
    return replace(found, items=rows)


def _waiting(scope: Scope):
    return select(Person).where(_in_scope(scope), Person.active.is_(True), Person.awaiting_approval)


def waiting_for_approval(session: Session, scope: Scope) -> list[Person]:
    """The coordinator's people who joined by themselves where a coordinator approves each new
    person, and wait for that: those who have waited longest first."""
    query = _waiting(scope).options(joinedload(Person.municipality), selectinload(Person.school_classes))
    return list(session.scalars(query.order_by(Person.created_at, Person.id)))


def count_waiting(session: Session, scope: Scope) -> int:
    return session.scalar(select(func.count()).select_from(_waiting(scope).subquery())) or 0


def person_in(session: Session, person_id: int, scope: Scope) -> Person | None:
    """The person, or None when they do not exist or are not one of the regions' people."""
    return session.scalar(select(Person).where(Person.id == person_id, _in_scope(scope)))


def home_region(person: Person, scope: Scope) -> int:
    """Which of the coordinator's regions the person belongs to: where they live, else where they
    hold a role."""
    if person.municipality is not None and person.municipality.region_id in scope.touched:
        return person.municipality.region_id
    return min(r.region_id for r in person.roles if r.region_id in scope.regions)


@dataclass
class PersonNights:
    walked: int
    no_shows: int
    coming: list[Signup]


def nights_of(session: Session, person: Person, scope: Scope, now: datetime) -> PersonNights:
    """What the person walked in the coordinator's regions, and their coming nights there: nights
    called off are not coming, though the sign-ups stay for the person's own list to say so."""
    counts = _night_counts(scope.touched, now)
    walked, no_shows = session.execute(
        select(func.coalesce(counts.c.walked, 0), func.coalesce(counts.c.no_shows, 0)).where(
            counts.c.person_id == person.id
        )
    ).first() or (0, 0)
    coming = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .join(Shift.term)
        .join(Shift.route)
        .where(
            Signup.person_id == person.id,
            Signup.state.in_(LIVE),
            Shift.starts_at > now,
            Shift.cancelled_at.is_(None),
            scope.where(Term.region_id, Route.municipality_id),
        )
        .options(joinedload(Signup.shift).joinedload(Shift.route))
        .order_by(Shift.starts_at)
    ).all()
    return PersonNights(walked=int(walked), no_shows=int(no_shows), coming=list(coming))


# --- Roles. The person is named in the audit log by id only: a name there would outlive a deleted
# account. ---


def make_leader(session: Session, person: Person, region_id: int, actor: Person, now: datetime) -> None:
    if person.holds(RoleKind.LEADER, region_id):
        return
    if not person.active:
        raise PeopleRefused(N_("%(name)s is deactivated. Reactivate them first."), name=person.name or person.phone)
    person.roles.append(Role(kind=RoleKind.LEADER, region_id=region_id))
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="person.leader_granted",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
    )


def remove_leader(session: Session, person: Person, region_id: int, actor: Person, now: datetime, links: Links) -> int:
    """Take away the group leader role. On coming nights where they were to lead they stay on as
    walkers (so the night may now lack a leader, which the roster shows). Returns how many nights."""
    if not person.holds(RoleKind.LEADER, region_id):
        return 0
    session.execute(
        delete(Role).where(Role.person_id == person.id, Role.kind == RoleKind.LEADER, Role.region_id == region_id)
    )
    session.expire(person, ["roles"])
    leading = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .join(Shift.term)
        .where(
            Signup.person_id == person.id,
            Signup.role == SignupRole.LEADER,
            Signup.state.in_(LIVE),
            Shift.starts_at > now,
            Term.region_id == region_id,
        )
    ).all()
    for signup in leading:
        signup.role = SignupRole.WALKER
        session.flush()
        messages.refresh_day_reminders(session, signup.shift, links)  # the reminders name the night's leader
    audit.record(
        session,
        actor_id=actor.id,
        action="person.leader_removed",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
        nights_now_walker=len(leading),
    )
    return len(leading)


# --- Approval. ---


def approve(session: Session, person: Person, region_id: int, actor: Person, now: datetime, links: Links) -> None:
    """Let someone who joined by themselves walk: sign up, and see who walks with them. They are
    told so by SMS (or e-mail)."""
    if not person.active:
        raise PeopleRefused(N_("%(name)s is deactivated. Reactivate them first."), name=person.name or person.phone)
    if not person.awaiting_approval:
        return
    accounts.approve(person, now)
    accounts.plan_approval_notices(session, [person], session.get_one(Region, region_id), links, now)
    audit.record(
        session,
        actor_id=actor.id,
        action="person.approved",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
    )


def decline(
    session: Session, person: Person, region_id: int, reason: str, actor: Person, now: datetime, links: Links
) -> None:
    """Say no to someone waiting for approval: they are deactivated, as `deactivate` does, and the
    reason is kept in the audit log."""
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise PeopleRefused(N_("Write why you decline, for the audit log."))
    if not (person.active and person.awaiting_approval):
        raise PeopleRefused(N_("%(name)s is not waiting for approval."), name=person.name or person.phone)
    if person.id == actor.id:
        raise PeopleRefused(N_("You cannot deactivate yourself."))
    _refuse_if_in_charge(person)
    cancelled = _stop(session, person, now, links)
    audit.record(
        session,
        actor_id=actor.id,
        action="person.declined",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
        reason=reason,
        signups_cancelled=cancelled,
    )


# --- Deactivation. ---


def deactivate(session: Session, person: Person, region_id: int, actor: Person, now: datetime, links: Links) -> int:
    """Stop someone from walking. Returns how many coming sign-ups were cancelled."""
    if person.id == actor.id:
        raise PeopleRefused(N_("You cannot deactivate yourself."))
    if not person.active:
        return 0
    _refuse_if_in_charge(person)
    cancelled = _stop(session, person, now, links)
    audit.record(
        session,
        actor_id=actor.id,
        action="person.deactivated",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
        signups_cancelled=cancelled,
    )
    return cancelled


def _refuse_if_in_charge(person: Person) -> None:
    """Deactivating shuts someone out of every region: a coordinator or an administrator loses
    that role first, where roles are given (`natteravn coordinator revoke`, the administrator's
    pages), not at one region's hands."""
    if any(role.kind in (RoleKind.COORDINATOR, RoleKind.ADMIN) for role in person.roles):
        raise PeopleRefused(
            N_("%(name)s is a coordinator or an administrator. That role must be taken away first."),
            name=person.name or person.phone,
        )


def _stop(session: Session, person: Person, now: datetime, links: Links) -> int:
    """They are logged out and cannot log in, every coming night of theirs is cancelled (its
    waitlist moves up as when a parent cancels), and nothing more is sent to them."""
    person.active = False
    person.session_version += 1  # ends every session they have open
    coming = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == person.id, Signup.state.in_(LIVE), Shift.starts_at > now)
        .order_by(Shift.starts_at)
    ).all()
    for signup in coming:
        shifts.withdraw(session, signup, now, links)
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.person_id == person.id, SmsMessage.state == MessageState.PENDING)
        .values(state=MessageState.CANCELLED, last_error=notes.DEACTIVATED.text())
        .execution_options(synchronize_session=False)
    )
    return len(coming)


def reactivate(session: Session, person: Person, region_id: int, actor: Person, now: datetime) -> None:
    """Let them log in again. Cancelled nights are not given back: they sign up anew."""
    if person.active:
        return
    person.active = True
    audit.record(
        session,
        actor_id=actor.id,
        action="person.reactivated",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region_id,
    )


# --- Coordinators and administrators, set up by an administrator or on the server's command line
# (actor None). ---


def _actor_id(actor: Person | None) -> int | None:
    return actor.id if actor is not None else None


def registered(session: Session, phone: str) -> Person:
    """The person with this number, however it is written; refused when nobody has it."""
    phone = normalise_phone(phone)
    person = session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        raise PeopleRefused(N_("Nobody is registered with the number %(phone)s."), field="phone", phone=phone)
    return person


def code_by_hand(session: Session, phone: str, now: datetime, *, secret: str, ttl_minutes: int) -> tuple[Person, str]:
    """A login code for the operator to pass on to a registered person whose SMS do not reach
    them: before an SMS gateway is set up, or a phone that receives none. It replaces the code the
    login page sent them, as a newer SMS would; the audit log keeps that it was given by hand."""
    person = registered(session, phone)
    if not person.active:
        raise PeopleRefused(N_("%(name)s is deactivated. Reactivate them first."), name=person.name or person.phone)
    _login, code = accounts.new_login_code(session, person.phone, now, secret=secret, ttl_minutes=ttl_minutes)
    audit.record(
        session,
        actor_id=None,
        action="person.code_by_hand",
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=person.municipality.region_id if person.municipality else None,
    )
    return person, code


def register(session: Session, phone: str, name: str, actor: Person | None, now: datetime) -> tuple[Person, bool]:
    """The person with this number, and whether they are new. A new person gets the name and
    answers the first-time questions (age, code of conduct, municipality) when they first log in;
    someone already registered keeps the name they gave, unless they have none yet."""
    phone = normalise_phone(phone)
    name = " ".join((name or "").split())[:120]
    person = session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        person.name = person.name or name
        return person, False
    if not name:
        raise PeopleRefused(N_("Nobody has this number yet: write their name."), field="name")
    person = Person(
        phone=phone,
        name=name,
        locale=LOCALES[0],
        locale_guessed=True,  # their browser's language comes first until they choose one
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(person)
    session.flush()
    audit.record(
        session,
        actor_id=_actor_id(actor),
        action="person.registered",
        object_type="person",
        object_id=person.id,
        now=now,
    )
    return person, True


def _coordinator_roles(person: Person, region: Region) -> list[Role]:
    return [r for r in person.roles if r.kind == RoleKind.COORDINATOR and r.region_id == region.id]


def _record_coordinator(
    session: Session, action: str, person: Person, region: Region, municipality: Municipality | None, actor, now
) -> None:
    audit.record(
        session,
        actor_id=_actor_id(actor),
        action=action,
        object_type="person",
        object_id=person.id,
        now=now,
        region_id=region.id,
        municipality_id=municipality.id if municipality else None,
        place=municipality.name if municipality else region.name,
    )


def grant_coordinator(
    session: Session,
    person: Person,
    region: Region,
    municipality: Municipality | None,
    actor: Person | None,
    now: datetime,
    *,
    links: Links,
) -> RoleChange:
    """Make the person coordinator of the whole region, or of one of its municipalities. The whole
    region takes the place of any municipalities of it they coordinated alone. Someone given a role
    they did not hold is told where to log in, by their channel and in their language."""
    if municipality is not None and municipality.region_id != region.id:
        raise PeopleRefused(
            N_("%(municipality)s is not in %(region)s."),
            field="municipality",
            municipality=municipality.name,
            region=region.name,
        )
    if not person.active:
        raise PeopleRefused(N_("%(name)s is deactivated. Reactivate them first."), name=person.name or person.phone)
    held = _coordinator_roles(person, region)
    if any(r.municipality_id is None for r in held):
        return RoleChange.HELD if municipality is None else RoleChange.COVERED
    if municipality is not None and any(r.municipality_id == municipality.id for r in held):
        return RoleChange.HELD
    if municipality is None:
        for role in held:
            person.roles.remove(role)
        session.flush()  # the narrower roles go before the wider one arrives
    person.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=region.id, municipality=municipality))
    accounts.approve(person, now)  # whoever gives the role vouches for them: no region's queue holds them
    session.flush()
    _record_coordinator(session, "person.coordinator_granted", person, region, municipality, actor, now)
    accounts.plan_coordinator_notice(session, person, region, municipality, links, now)
    return RoleChange.GRANTED


def revoke_coordinator(
    session: Session,
    person: Person,
    region: Region,
    municipality: Municipality | None,
    actor: Person | None,
    now: datetime,
) -> RoleChange:
    """Take away the coordinator role for the whole region, or for that municipality alone."""
    wanted = municipality.id if municipality is not None else None
    role = next((r for r in _coordinator_roles(person, region) if r.municipality_id == wanted), None)
    if role is None:
        return RoleChange.NOT_HELD
    person.roles.remove(role)
    session.flush()
    _record_coordinator(session, "person.coordinator_revoked", person, region, municipality, actor, now)
    return RoleChange.REVOKED


def coordinators_of(session: Session, region_ids: Collection[int]) -> list[Role]:
    """The coordinator roles in the regions, with their people and municipalities, by name."""
    return list(
        session.scalars(
            select(Role)
            .join(Role.person)
            .where(Role.kind == RoleKind.COORDINATOR, Role.region_id.in_(region_ids))
            .options(joinedload(Role.person), joinedload(Role.municipality))
            .order_by(in_norwegian_order(Person.name), Person.id, Role.id)
        )
    )


def grant_admin(session: Session, person: Person, actor: Person | None, now: datetime) -> RoleChange:
    """The administrator sets up regions and their coordinators; it opens no region's nights, people or reports."""
    if person.is_admin:
        return RoleChange.HELD
    if not person.active:
        raise PeopleRefused(N_("%(name)s is deactivated. Reactivate them first."), name=person.name or person.phone)
    person.roles.append(Role(kind=RoleKind.ADMIN, region_id=None))
    accounts.approve(person, now)
    session.flush()
    audit.record(
        session,
        actor_id=_actor_id(actor),
        action="person.admin_granted",
        object_type="person",
        object_id=person.id,
        now=now,
    )
    return RoleChange.GRANTED


def revoke_admin(session: Session, person: Person, actor: Person | None, now: datetime) -> RoleChange:
    roles = [r for r in person.roles if r.kind == RoleKind.ADMIN]
    if not roles:
        return RoleChange.NOT_HELD
    for role in roles:
        person.roles.remove(role)
    session.flush()
    audit.record(
        session,
        actor_id=_actor_id(actor),
        action="person.admin_revoked",
        object_type="person",
        object_id=person.id,
        now=now,
    )
    return RoleChange.REVOKED
