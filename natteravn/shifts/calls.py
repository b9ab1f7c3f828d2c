"""Calling for walkers: when a night is short of walkers or of a group leader (from the
region's call day, by default the Tuesday before), or when someone on it asks for a stand-in,
free volunteers of its municipality get an SMS; the first to reply JA take the places. Those who
chose e-mail cannot reply: they take the place with a button on the night's page, which answers
through the same `take_place`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from natteravn.accounts.models import Person, Role, RoleKind
from natteravn.audit import service as audit
from natteravn.clock import at_local, local
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.shifts import messages, service
from natteravn.shifts.locks import lock_night, lock_person_and_nights
from natteravn.shifts.models import (
    HOLDING,
    LIVE,
    Invitation,
    InvitationOutcome,
    Shift,
    Signup,
    SignupRole,
    SignupState,
    Term,
)
from natteravn.sms import notes
from natteravn.sms.mail import subject_for
from natteravn.sms.models import MessageState, Purpose, SmsMessage

#: At most this many people are asked per night and call, those with the fewest nights this
#: term first: enough that some answer, few enough that a small night does not text a town.
CALL_SIZE = 40


class Reason(enum.StrEnum):
    SHORT = "short"
    STANDIN = "standin"


def places(session: Session, shift: Shift) -> tuple[int, int]:
    """(places taken, leaders on it)."""
    taken, leaders = session.execute(
        select(func.count(), func.count().filter(Signup.role == SignupRole.LEADER)).where(
            Signup.shift_id == shift.id, Signup.state.in_(HOLDING)
        )
    ).one()
    return taken, leaders


def call_moment(shift: Shift) -> datetime:
    """When the region calls for a night: its call weekday and time in the week before."""
    region = shift.term.region
    tz = messages.zone(shift)
    day = local(shift.starts_at, tz).date()
    days_before = (day.weekday() - region.call_weekday) % 7 or 7
    return at_local(day - timedelta(days=days_before), region.call_at, tz)


def call_for_walkers(session: Session, now: datetime, links: Links) -> int:
    """The periodic job: every published night of the coming week whose call moment has come and
    that is still short gets its call. Returns how many people were asked; a second run asks
    nobody again."""
    shift_ids = session.scalars(
        select(Shift.id)
        .join(Shift.term)
        .where(
            Term.published_at.is_not(None),
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
            Shift.starts_at <= now + timedelta(days=8),
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    asked = 0
    for shift in session.scalars(select(Shift).where(Shift.id.in_(shift_ids)).order_by(Shift.starts_at, Shift.id)):
        if call_moment(shift) > now or not _short(session, shift):
            continue
        lock_night(session, shift.id)  # two scheduler processes call for a night one after the other
        asked += call_for_night(session, shift, now, links)
    return asked


def _short(session: Session, shift: Shift) -> bool:
    return _short_of(shift, *places(session, shift))


def _short_of(shift: Shift, taken: int, leaders: int) -> bool:
    return taken < shift.max_walkers and (taken < shift.min_walkers or (shift.needs_leader and leaders == 0))


def call_for_night(session: Session, shift: Shift, now: datetime, links: Links) -> int:
    """Ask free volunteers about one short night: only group leaders when it lacks nothing but
    a leader, and leaders as leaders when it lacks one."""
    if not _short(session, shift):
        return 0
    taken, leaders = places(session, shift)
    lacks_leader = shift.needs_leader and leaders == 0
    lacks_walkers = taken < shift.min_walkers
    people = free_volunteers(session, shift, now, leaders_only=not lacks_walkers, leader_wanted=lacks_leader)
    return _invite(session, shift, people, now, links, Reason.SHORT, leader_wanted=lacks_leader)


def call_for_standin(session: Session, signup: Signup, now: datetime, links: Links) -> int:
    """Ask for someone to take `signup`'s place: those on the night's waitlist first, then free
    volunteers. A group leader's place needs a group leader unless the night has another."""
    shift = signup.shift
    _, leaders = places(session, shift)
    leader_wanted = signup.role == SignupRole.LEADER and leaders <= 1
    waiting = session.scalars(
        select(Person)
        .join(Signup, Signup.person_id == Person.id)
        .where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id)
    ).all()
    pondering = set(session.scalars(_with_open_invitation(now)))
    people = [p for p in waiting if _reachable(p) and p.id not in pondering and (not leader_wanted or _leads(p, shift))]
    people += free_volunteers(session, shift, now, leaders_only=leader_wanted, leader_wanted=leader_wanted)
    return _invite(session, shift, people, now, links, Reason.STANDIN, leader_wanted=leader_wanted)


def _reachable(person: Person) -> bool:
    return person.active and person.sms_opted_out_at is None


def _leads(person: Person, shift: Shift) -> bool:
    return person.holds(RoleKind.LEADER, shift.term.region_id)


def _with_open_invitation(now: datetime):
    """People with an invitation they have not answered yet: one question at a time, so that a
    JA is never ambiguous and nobody gets four texts from one call."""
    return (
        select(Invitation.person_id)
        .join(Invitation.shift)
        .where(Invitation.outcome == InvitationOutcome.OPEN, Shift.starts_at > now, Shift.cancelled_at.is_(None))
    )


def free_volunteers(
    session: Session, shift: Shift, now: datetime, *, leaders_only: bool = False, leader_wanted: bool = False
) -> list[Person]:
    """Onboarded, approved, reachable volunteers of the night's municipality with no sign-up at that time,
    under the term's cap, not asked about this night before and not pondering another one. When a
    leader is wanted, the region's group leaders are asked as leaders (`_invite`), and a leader's
    place is not capped (`service.caps`): they are asked even at the cap."""
    term = shift.term
    leads = Person.roles.any(and_(Role.kind == RoleKind.LEADER, Role.region_id == term.region_id))
    busy = (
        select(Signup.person_id)
        .join(Signup.shift)
        .where(
            Signup.state.in_(LIVE),
            Shift.cancelled_at.is_(None),
            and_(Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at),
        )
    )
    asked = select(Invitation.person_id).where(Invitation.shift_id == shift.id)
    nights_in_term = _places_in_term(term)
    under_cap = _places_in_term(term, service.capped()) < term.cap
    query = (
        select(Person)
        .where(
            Person.municipality_id == shift.route.municipality_id,
            Person.active.is_(True),
            Person.sms_opted_out_at.is_(None),
            Person.name != "",
            Person.adult_confirmed_at.is_not(None),
            Person.conduct_accepted_at.is_not(None),
            ~Person.awaiting_approval,
            Person.id.not_in(busy),
            Person.id.not_in(asked),
            Person.id.not_in(_with_open_invitation(now)),
            or_(under_cap, leads) if leader_wanted else under_cap,
        )
        .options(selectinload(Person.roles))
        .order_by(nights_in_term, Person.id)
        .limit(CALL_SIZE)
    )
    if leaders_only:
        query = query.where(leads)
    return list(session.scalars(query))


def _places_in_term(term: Term, *only: ColumnElement[bool]):
    """How many places each person (the query's `Person`) holds on the term's nights that are on."""
    return (
        select(func.count())
        .select_from(Signup)
        .join(Signup.shift)
        .where(
            Signup.person_id == Person.id,
            Signup.state.in_(LIVE),
            Shift.term_id == term.id,
            Shift.cancelled_at.is_(None),
            *only,
        )
        .correlate(Person)
        .scalar_subquery()
    )


def _invite(
    session: Session,
    shift: Shift,
    people: list[Person],
    now: datetime,
    links: Links,
    reason: Reason,
    *,
    leader_wanted: bool,
) -> int:
    already = set(session.scalars(select(Invitation.person_id).where(Invitation.shift_id == shift.id)))
    asked = 0
    for person in people[:CALL_SIZE]:
        if person.id in already:
            continue
        role = SignupRole.LEADER if leader_wanted and _leads(person, shift) else SignupRole.WALKER
        session.add(Invitation(shift=shift, person=person, role=role, created_at=now))
        already.add(person.id)
        messages.plan_news(
            session,
            None,
            key=f"call_for_walkers:{shift.id}:{person.id}",
            body=_call_text(person, shift, role, reason == Reason.STANDIN, links),
            purpose=Purpose.CALL_FOR_WALKERS,
            now=now,
            person=person,
            shift=shift,
        )
        asked += 1
    return asked


def _call_text(person: Person, shift: Shift, role: SignupRole, for_standin: bool, links: Links) -> str:
    """The call in the person's language, worded for their channel: no JA comes back by e-mail,
    so an e-mail points to the night's page, which takes the place."""
    _ = translations(person.locale).gettext
    words = {**messages.night_words(shift), "link": links.night(shift.id)}
    email = messages.wants_email(person)
    if for_standin and role == SignupRole.WALKER:
        return messages.standin_call_text(_, words, by_email=email)
    return messages.call_text(_, words, role, by_email=email)


def reword_calls(person: Person, *, session: Session, links: Links) -> None:
    """The person chose another channel or language (`accounts.service.wording_changed`): the calls
    still waiting to reach them are worded for it, as their reminders are (`messages.reword_waiting`)."""
    waiting = session.execute(
        select(SmsMessage.id, Invitation)
        .join(
            Invitation,
            and_(Invitation.shift_id == SmsMessage.shift_id, Invitation.person_id == SmsMessage.person_id),
        )
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.purpose == Purpose.CALL_FOR_WALKERS,
            SmsMessage.state == MessageState.PENDING,
        )
    ).all()
    for message_id, invitation in waiting:
        body = _call_text(person, invitation.shift, invitation.role, asks_for_standin(session, invitation), links)
        subject = subject_for(Purpose.CALL_FOR_WALKERS, person.locale)
        messages.reword(session, body, SmsMessage.id == message_id, subject=subject)


def open_invitation(
    session: Session, person: Person, now: datetime, *, shift_id: int | None = None, called_off_too: bool = False
) -> Invitation | None:
    """The latest unanswered invitation of the person's to a night that is still ahead (to that
    night, given `shift_id`). `called_off_too`: one to a night cancelled since counts, for an
    answer to it by SMS to be told so rather than taken as the answer to another question."""
    query = (
        select(Invitation)
        .join(Invitation.shift)
        .where(
            Invitation.person_id == person.id,
            Invitation.outcome == InvitationOutcome.OPEN,
            Shift.starts_at > now,
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )
    if not called_off_too:
        query = query.where(Shift.cancelled_at.is_(None))
    if shift_id is not None:
        query = query.where(Invitation.shift_id == shift_id)
    return session.scalar(query)


def invitation_to(session: Session, person: Person, shift_id: int) -> Invitation | None:
    """The person's invitation to the night, answered or not (a second tap, a night called off
    since), unless they said NEI to it: then, as for someone never asked, there is none."""
    return session.scalar(
        select(Invitation).where(
            Invitation.person_id == person.id,
            Invitation.shift_id == shift_id,
            Invitation.outcome != InvitationOutcome.DECLINED,
        )
    )


def asks_for_standin(session: Session, invitation: Invitation) -> bool:
    """A walker's invitation is to stand in while someone on the night gives a walker's place away
    (what `take_place` fills first); else it is to a free place."""
    return invitation.role == SignupRole.WALKER and open_standin(session, invitation.shift, invitation.role) is not None


@dataclass
class Answer:
    outcome: InvitationOutcome
    signup: Signup | None = None
    refusal: Refusal | None = None


def take_place(session: Session, invitation: Invitation, now: datetime, links: Links) -> Answer:
    """A JA to an invitation, by SMS or with the night page's button. A stand-in's place is filled
    first (that parent wants out); else a free place is taken; else the night is full. Sign-up rules
    (overlap, the term's cap) apply."""
    person, (shift,) = lock_person_and_nights(session, invitation.person_id, invitation.shift_id)
    session.refresh(invitation)
    assert shift is not None, "an invitation's night exists: the foreign key says so"
    if invitation.outcome != InvitationOutcome.OPEN:
        mine = _live_signup(session, person, shift)
        return Answer(invitation.outcome, mine)
    invitation.answered_at = now
    if shift.cancelled_at is not None or shift.starts_at <= now:
        invitation.outcome = InvitationOutcome.FULL
        return Answer(invitation.outcome)
    service.expire_offers(session, now, links, shift=shift)  # a stale offer must not take the freed place
    try:
        with session.begin_nested():
            signup = _take(session, person, shift, invitation.role, now, links)
    except service.SignupRefused as refusal:
        invitation.outcome = InvitationOutcome.REFUSED
        return Answer(invitation.outcome, refusal=refusal)
    invitation.outcome = InvitationOutcome.TAKEN if signup else InvitationOutcome.FULL
    if signup is not None:
        withdraw_waiting_calls(session, shift, taker=person)
    return Answer(invitation.outcome, signup)


def still_wanted_without(session: Session, signup: Signup) -> bool:
    """Whether the night still wants someone once `signup` leaves it and nobody on the waitlist
    takes its place: it is short without them, or someone else on it waits for a stand-in."""
    taken, leaders = places(session, signup.shift)
    held = signup.state in HOLDING
    short = _short_of(signup.shift, taken - held, leaders - (held and signup.role == SignupRole.LEADER))
    other_standin = open_standin(session, signup.shift, SignupRole.LEADER)
    return short or (other_standin is not None and other_standin.id != signup.id)


def withdraw_standin_calls(session: Session, given_up: Signup) -> None:
    """Someone who asked for a stand-in left the night themselves (cancelled, or said NEI): nobody
    is wanted in their place any more. Calls still waiting to go out are withdrawn, as when a
    stand-in is found, unless the night is still short without them: then they ask for a place
    that is there. Calls already sent cannot be; a JA to one takes a free place, or is told the
    night is full (`take_place`)."""
    if given_up.standin_requested_at is not None and given_up.state == SignupState.CANCELLED:
        withdraw_waiting_calls(session, given_up.shift)


def withdraw_waiting_calls(session: Session, shift: Shift, *, taker: Person | None = None) -> None:
    """Calls for the night still waiting to go out (held back by quiet hours, say) are not sent to
    the one who just took a place, nor to anyone once the night needs nobody more."""
    needs_more = _still_wanted(session, shift, SignupRole.LEADER)
    if needs_more and taker is None:
        return
    waiting = select(SmsMessage.person_id).where(
        SmsMessage.shift_id == shift.id,
        SmsMessage.purpose == Purpose.CALL_FOR_WALKERS,
        SmsMessage.state == MessageState.PENDING,
    )
    if needs_more and taker is not None:
        waiting = waiting.where(SmsMessage.person_id == taker.id)
    untold = {person_id for person_id in session.scalars(waiting) if person_id is not None}
    if not untold:
        return
    messages.cancel_pending(
        session,
        shift_id=shift.id,
        purposes=(Purpose.CALL_FOR_WALKERS,),
        person_ids=untold,
        reason=notes.NEED_MET.text(),
    )


def _still_wanted(session: Session, shift: Shift, role: SignupRole) -> bool:
    """The night is short, or someone on it waits for a stand-in `role` may be."""
    return _short(session, shift) or open_standin(session, shift, role) is not None


def invitation_to_answer(session: Session, person: Person, shift_id: int, now: datetime) -> Invitation | None:
    """The person's open invitation to the night that its page offers to answer: only while the
    night still wants what it asked for (filled since, the page is as for anyone), and while the
    person holds no place on it (one who waits for a place may take it)."""
    invitation = open_invitation(session, person, now, shift_id=shift_id)
    if invitation is None or not _still_wanted(session, invitation.shift, invitation.role):
        return None
    held = _live_signup(session, person, invitation.shift)
    return invitation if held is None or held.state == SignupState.WAITLISTED else None


def answer_text(_, answer: Answer, shift: Shift, now: datetime) -> str:
    """What the person who answered is told, by SMS or on the night's page, in `_`'s language."""
    words = messages.night_words(shift)
    if shift.cancelled_at is not None:
        return _("%(route)s on %(date)s is cancelled, so there is no place to take. Thank you for answering.") % words
    if answer.outcome == InvitationOutcome.TAKEN:
        return _("Thank you! The place on %(route)s on %(date)s at %(time)s is yours. Meet at %(place)s.") % words
    if shift.starts_at <= now:
        return _("This night has already started.")
    if answer.outcome == InvitationOutcome.REFUSED and answer.refusal is not None:
        return answer.refusal.translated(_)
    return _("Thank you! The place on %(route)s on %(date)s is already taken. Someone was quicker this time.") % words


def _take(
    session: Session, person: Person, shift: Shift, role: SignupRole, now: datetime, links: Links
) -> Signup | None:
    standin = open_standin(session, shift, role)
    if standin is not None:
        _release(session, standin, now, links)
    elif service.free_places(session, shift, role, now) <= 0:
        return None
    signup = _sign_up_confirmed(session, person, shift, role, now, links)
    if standin is not None:
        _tell_standin_found(session, standin, person, now)
    return signup


def open_standin(session: Session, shift: Shift, role: SignupRole) -> Signup | None:
    """The oldest place on the night given away and not yet taken. A walker may take a walker's
    place; a group leader any."""
    query = select(Signup).where(
        Signup.shift_id == shift.id,
        Signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED)),
        Signup.standin_requested_at.is_not(None),
    )
    if role == SignupRole.WALKER:
        query = query.where(Signup.role == SignupRole.WALKER)
    return session.scalar(query.order_by(Signup.role.desc(), Signup.standin_requested_at, Signup.id).limit(1))


def _release(session: Session, standin: Signup, now: datetime, links: Links) -> None:
    """Take the parent who gave the night away off it, without offering the place to the
    waitlist: it goes to the person who answered."""
    standin.state = SignupState.CANCELLED
    standin.cancelled_at = now
    messages.withdrawn(session, standin, now, links)
    session.flush()


def _live_signup(session: Session, person: Person, shift: Shift) -> Signup | None:
    return session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )


def _sign_up_confirmed(
    session: Session, person: Person, shift: Shift, role: SignupRole, now: datetime, links: Links
) -> Signup:
    existing = _live_signup(session, person, shift)
    if existing is not None and existing.state == SignupState.WAITLISTED:
        # Someone already waiting for this night answered: the place is theirs.
        existing.state = SignupState.CONFIRMED
        existing.confirmed_at = now
        existing.queued_at = None
        messages.signed_up(session, existing, now, links, own_action=True)
        messages.confirmed(session, existing, links, by_reply=True)
        return existing
    if existing is not None:
        raise service.SignupRefused(N_("You are already on this night."))
    signup = service.sign_up(session, person, shift.id, role, now, links)
    if signup.state != SignupState.SIGNED_UP:  # full after all: never more than the night's places
        raise service.SignupRefused(N_("The night is full."))
    signup.state = SignupState.CONFIRMED  # they said JA just now
    signup.confirmed_at = now
    messages.confirmed(session, signup, links, by_reply=True)
    return signup


def _tell_standin_found(session: Session, standin: Signup, taker: Person, now: datetime) -> None:
    shift = standin.shift
    _ = translations(standin.person.locale).gettext
    messages.plan_news(
        session,
        standin,
        key=f"standin_found:{standin.id}",
        body=messages.standin_found_text(_, {**messages.night_words(shift), "name": taker.first_name}),
        purpose=Purpose.STANDIN_FOUND,
        now=now,
    )
    audit.record(
        session,
        actor_id=taker.id,
        action="signup.standin_taken",
        object_type="signup",
        object_id=standin.id,
        now=now,
        region_id=shift.term.region_id,
        taker_id=taker.id,
    )


def decline(invitation: Invitation, now: datetime) -> None:
    invitation.outcome = InvitationOutcome.DECLINED
    invitation.answered_at = now
