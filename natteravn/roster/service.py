"""The coordinator's changes to the roster: putting people on nights and taking them off, moving
them, and moving, resizing or cancelling a night, or many nights at once (a stormy weekend). Locks
are taken person first, then night, as signing up does. Whoever a change concerns is told by SMS
(or e-mail) once the term is published."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import approve
from natteravn.audit import service as audit
from natteravn.audit.models import AuditEvent
from natteravn.clock import at_local, local, night_span
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.places.models import Route
from natteravn.shifts import messages
from natteravn.shifts.locks import lock_night, lock_person_and_nights, lock_signup
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, SignupRole, SignupState, Term
from natteravn.shifts.service import capped, caps, free_places, promote_waitlist, withdraw
from natteravn.sms import notes
from natteravn.sms.models import Purpose

#: What the audit log says about the coordinator's changes to nights and who walks them.
AUDIT = audit.Vocabulary(
    actions={
        "signup.assigned": N_("Put %(person)s on night %(object)s"),
        "signup.removed": N_("Took %(person)s off night %(object)s"),
        "signup.moved": N_("Moved %(person)s from night %(object)s to night %(to_shift)s"),
        "signup.made_leader": N_("Made %(person)s group leader of night %(object)s"),
        "shift.added": N_("Added night %(object)s for %(min_walkers)s–%(max_walkers)s walkers"),
        "shift.moved": N_("Moved night %(object)s: from %(old_starts_at)s to %(starts_at)s"),
        "shift.cancelled": N_("Cancelled night %(object)s: %(reason)s"),
        "shift.capacity_changed": N_("Changed how many walk night %(object)s"),
        "shift.note_changed": N_("Changed the note on night %(object)s"),
        "term.roster_downloaded": N_("Downloaded the roster of term %(object)s, with phone numbers"),
    },
    moments=frozenset({"old_starts_at", "starts_at"}),
)


def roster_downloaded(session: Session, term: Term, actor: Person, now: datetime) -> None:
    """The roster file holds everyone's phone number: who took it, and when, is kept."""
    audit.record(
        session,
        actor_id=actor.id,
        action="term.roster_downloaded",
        object_type="term",
        object_id=term.id,
        now=now,
        region_id=term.region_id,
    )


class RosterRefused(Refusal):
    pass


#: Those going on a night: reminded of it, and able to answer NEI to it. Others on it wait for a
#: place or have one offered.
_GOING = (SignupState.SIGNED_UP, SignupState.CONFIRMED)


def _check_walkers(min_walkers: int, max_walkers: int) -> None:
    if not 1 <= min_walkers <= max_walkers:
        raise RosterRefused(N_("The minimum must be at least 1 and no more than the maximum."))


def _taken(session: Session, shift: Shift) -> int:
    return session.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))) or 0


def _check_assignable(
    session: Session, person: Person, shift: Shift, role: SignupRole, now: datetime, leaving: Signup | None = None
) -> None:
    """The rules a coordinator cannot bypass: the night's capacity, one night at a time, the term's
    cap on walkers' places, and who may lead. The sign-up window is the parents' and does not apply here."""
    term = shift.term
    if person.municipality is None or person.municipality.region_id != term.region_id or not person.active:
        raise RosterRefused(N_("That person is not a volunteer in this region."))
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    if shift.starts_at <= now:
        raise RosterRefused(N_("This night has already started."))
    if role == SignupRole.LEADER and not person.holds(RoleKind.LEADER, term.region_id):
        raise RosterRefused(N_("Only group leaders can be put on a night as leader."))
    others = select(func.count()).select_from(Signup).join(Signup.shift)
    others = others.where(
        Signup.person_id == person.id,
        Signup.state.in_(LIVE),
        Shift.cancelled_at.is_(None),
        Shift.id != shift.id,
    )
    if leaving is not None:
        others = others.where(Signup.id != leaving.id)
    if session.scalar(others.where(Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at)):
        raise RosterRefused(N_("%(name)s is already on another night at that time."), name=person.name)
    walks = others.where(Shift.term_id == term.id, capped())
    if caps(role) and (session.scalar(walks) or 0) >= term.cap:
        raise RosterRefused(
            N_("%(name)s already has %(cap)d nights as walker this term."), name=person.name, cap=term.cap
        )


def _check_room(session: Session, shift: Shift) -> None:
    """The coordinator may fill a night to its maximum, the place kept for a group leader too."""
    if _taken(session, shift) >= shift.max_walkers:
        raise RosterRefused(N_("This night is full. Raise its maximum first if more may walk."))


def assign(
    session: Session, shift: Shift, person: Person, role: SignupRole, now: datetime, links: Links, actor: Person
) -> Signup:
    """Put a person on a night. Someone on its waitlist takes a free place; someone already on it
    is refused. People on a published term's night are told by SMS (in the morning, when this is
    done in quiet hours and the night is not tonight); a draft's are told when it is published.
    Someone waiting for approval is approved: the coordinator chose them."""
    person, (locked,) = lock_person_and_nights(session, person.id, shift.id)
    if locked is None:
        raise RosterRefused(N_("That night does not exist."))
    existing = session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    if existing is not None and existing.state != SignupState.WAITLISTED:
        raise RosterRefused(N_("%(name)s is already on this night."), name=person.name)
    _check_assignable(session, person, shift, role, now, leaving=existing)
    _check_room(session, shift)
    if existing is not None:
        existing.state, existing.role, existing.queued_at = SignupState.SIGNED_UP, role, None
        signup = existing
    else:
        signup = Signup(shift=shift, person=person, role=role, state=SignupState.SIGNED_UP, created_at=now)
        session.add(signup)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as error:  # the person signed up themselves a moment ago
            raise RosterRefused(N_("%(name)s is already on this night."), name=person.name) from error
    if shift.term.published_at is not None:
        messages.signed_up(session, signup, now, links, own_action=False)
    approved = approve(person, now)
    _record(session, "signup.assigned", signup, actor, now, role=role.value, approved=approved)
    return signup


def remove(session: Session, signup: Signup, now: datetime, links: Links, actor: Person) -> Signup:
    """Take someone off a night (or its waitlist); the freed place is offered onwards."""
    _person, shift = lock_signup(session, signup)
    if signup.state not in LIVE:
        return signup
    if shift.ends_at <= now:
        raise RosterRefused(N_("This night is over; mark attendance in its log instead."))
    withdraw(session, signup, now, links)
    if shift.term.published_at is not None:
        _tell_removed(session, signup, now)
    _record(session, "signup.removed", signup, actor, now)
    return signup


def _record(session: Session, action: str, signup: Signup, actor: Person, now: datetime, **details) -> None:
    """The audit entry of a coordinator's change to someone's place, on the night it was made on."""
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="shift",
        object_id=signup.shift_id,
        now=now,
        region_id=signup.shift.term.region_id,
        signup_id=signup.id,
        person_id=signup.person_id,
        **details,
    )


def removed_text(signup: Signup) -> str | None:
    """What the person taken off a night is told, in their language; None on a draft's night,
    which tells nobody anything."""
    if signup.shift.term.published_at is None:
        return None
    _ = translations(signup.person.locale).gettext
    words = messages.night_words(signup.shift)
    return _("Natteravn: the coordinator has taken you off %(route)s on %(date)s at %(time)s.") % words


def _tell_removed(session: Session, signup: Signup, now: datetime) -> None:
    body = removed_text(signup)
    assert body is not None, "told only on a published night"
    messages.plan_news(session, signup, key=f"removed:{signup.id}", body=body, purpose=Purpose.SHIFT_CHANGED, now=now)


def move_night(
    session: Session, shift: Shift, starts_at: datetime, ends_at: datetime, now: datetime, links: Links, actor: Person
) -> int:
    """Give a night new times. Its sign-ups keep their places. On a published night their reminders
    are planned again for the new times and each person is told (and may answer NEI); a draft's
    nobody has heard of yet, so it just moves. Returns how many are told."""
    if (starts_at, ends_at) == (shift.starts_at, shift.ends_at):
        return 0
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    if ends_at <= starts_at:
        raise RosterRefused(N_("The night must end after it starts."))
    if starts_at <= now:
        raise RosterRefused(N_("A night cannot be moved to a time that has passed."))
    _check_new_time(session, shift, starts_at, ends_at)
    old = (shift.starts_at, shift.ends_at)
    shift.starts_at, shift.ends_at = starts_at, ends_at
    told = 0
    if shift.term.published_at is not None:
        messages.cancel_pending(
            session, shift_id=shift.id, purposes=messages.PLANNED, reason=notes.NIGHT_MOVED.text(), release_keys=True
        )
        for signup in _live_signups(session, shift):
            if signup.state in _GOING:
                messages.plan_reminders(session, signup, now, links)
            told += _tell_moved(session, signup, old, now, links)
    audit.record(
        session,
        actor_id=actor.id,
        action="shift.moved",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        old_starts_at=old[0].isoformat(),
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    return told


def told_of_new_time(session: Session, shift: Shift) -> int:
    """How many get an SMS when the night's date or time changes: everyone on it or waiting for it,
    once its term is published (a draft's people have not heard of the night)."""
    if shift.term.published_at is None:
        return 0
    return session.scalar(select(func.count()).where(Signup.shift_id == shift.id, Signup.state.in_(LIVE))) or 0


@dataclass(frozen=True)
class NewNight:
    """One night beside the term's patterns: a peak night such as the eve of 17 May, or a night
    on a day no pattern covers."""

    route_id: int
    day: date
    starts_local: time
    ends_local: time
    min_walkers: int
    max_walkers: int
    needs_leader: bool = True
    note: str = ""


def add_night(session: Session, term: Term, new: NewNight, now: datetime, actor: Person) -> Shift:
    """Add one night to the term, kept by the rules every night keeps. On a published term parents
    see it at once; nobody is on it yet, so nobody is told."""
    route = session.get(Route, new.route_id)
    if route is None or route.municipality.region_id != term.region_id or route.archived:
        raise RosterRefused(N_("That route is not in this region."))
    _check_walkers(new.min_walkers, new.max_walkers)
    starts_at, ends_at = night_span(new.day, new.starts_local, new.ends_local, ZoneInfo(term.region.timezone))
    if starts_at <= now:
        raise RosterRefused(N_("A night cannot be added at a time that has passed."))
    _check_night_time(session, term, route, starts_at, ends_at)
    night = Shift(
        term=term,
        route=route,
        starts_at=starts_at,
        ends_at=ends_at,
        min_walkers=new.min_walkers,
        max_walkers=new.max_walkers,
        needs_leader=new.needs_leader,
        note=new.note.strip(),
        cancel_reason="",
    )
    session.add(night)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="shift.added",
        object_type="shift",
        object_id=night.id,
        now=now,
        region_id=term.region_id,
        min_walkers=new.min_walkers,
        max_walkers=new.max_walkers,
    )
    return night


def _check_new_time(session: Session, shift: Shift, starts_at: datetime, ends_at: datetime) -> None:
    """What a night's new time must keep, as a new night's does (`_check_night_time`), and nobody
    on it at two nights at once."""
    _check_night_time(session, shift.term, shift.route, starts_at, ends_at, besides=shift.id)
    on_this_night = select(Signup.person_id).where(Signup.shift_id == shift.id, Signup.state.in_(LIVE))
    elsewhere_then = (
        select(Person.name)
        .join(Signup, Signup.person_id == Person.id)
        .join(Signup.shift)
        .where(
            Signup.person_id.in_(on_this_night),
            Signup.state.in_(LIVE),
            Shift.id != shift.id,
            Shift.cancelled_at.is_(None),
            Shift.starts_at < ends_at,
            Shift.ends_at > starts_at,
        )
        .distinct()
    )
    names = sorted(session.scalars(elsewhere_then))
    if names:
        raise RosterRefused(N_("This would put %(names)s on two nights at the same time."), names=", ".join(names))


def _check_night_time(
    session: Session, term: Term, route: Route, starts_at: datetime, ends_at: datetime, *, besides: int | None = None
) -> None:
    """What every night of a term keeps, as its pattern does: a start and an end that differ, a day
    inside the term, and one night a day on the route (`besides` the night being moved)."""
    tz = ZoneInfo(term.region.timezone)
    starts, ends = local(starts_at, tz), local(ends_at, tz)
    if starts.time() == ends.time():
        raise RosterRefused(N_("A night must end at another time than it starts."))
    if not term.starts_on <= starts.date() <= term.ends_on:
        raise RosterRefused(
            N_("A night of this term must be between %(first)s and %(last)s."),
            first=term.starts_on.strftime("%d.%m.%Y"),
            last=term.ends_on.strftime("%d.%m.%Y"),
        )
    same_day = select(Shift.id).where(
        Shift.route_id == route.id,
        Shift.id != besides if besides is not None else true(),
        Shift.cancelled_at.is_(None),
        Shift.starts_at >= at_local(starts.date(), time(0), tz),
        Shift.starts_at < at_local(starts.date() + timedelta(days=1), time(0), tz),
    )
    if session.scalar(same_day.limit(1)) is not None:
        raise RosterRefused(N_("%(route)s already has a night that day."), route=route.name)


def _live_signups(session: Session, shift: Shift) -> list[Signup]:
    return list(
        session.scalars(select(Signup).where(Signup.shift_id == shift.id, Signup.state.in_(LIVE)).order_by(Signup.id))
    )


def _tell_moved(session: Session, signup: Signup, old: tuple[datetime, datetime], now: datetime, links: Links) -> bool:
    """Tell the person the night's new times, from the times they last heard of: a move they were
    not told of yet (held in the quiet hours) is withdrawn, and one back to what they know sends
    nothing. Returns whether a message is planned."""
    shift = signup.shift
    known = messages.withdraw_untold_move(session, signup) or old
    if known == (shift.starts_at, shift.ends_at):
        return False
    _ = translations(signup.person.locale).gettext
    old_date = local(known[0], messages.zone(shift)).strftime("%d.%m")
    words = {**messages.night_words(shift), "old": old_date, "link": links.night(shift.id)}
    messages.plan_news(
        session,
        signup,
        key=messages.moved_key(signup, known),
        body=messages.moved_text(_, words, by_email=messages.wants_email(signup.person))
        if signup.state in _GOING
        else messages.moved_waiting_text(_, words),
        purpose=Purpose.SHIFT_CHANGED,
        now=now,
    )
    return True


def cancel_night(session: Session, shift: Shift, reason: str, now: datetime, links: Links, actor: Person) -> Shift:
    """Call a night off. Nothing planned for it is sent. On a published night everyone on it or
    waiting for it gets one SMS saying so; their sign-ups stay, so My nights and calendars show the
    night as cancelled. A draft's people have not been told of the night, so they are not told now."""
    shift = lock_night(session, shift.id)  # a second press waits here, then finds the night cancelled
    if shift.cancelled_at is None:
        cancel_nights(session, [shift], reason, now, actor)
    return shift


@dataclass
class Notice:
    """The one message a person gets about the nights of theirs that are called off together."""

    person: Person
    signups: list[Signup]  # on those nights, earliest first
    body: str


def cancel_nights(session: Session, shifts: list[Shift], reason: str, now: datetime, actor: Person) -> list[Notice]:
    """Call several nights off in one go (bad weather on a weekend), each as `cancel_night` does,
    but with one message per person naming all of their nights, not one per night. Returns the
    messages planned."""
    standing = [shift for shift in shifts if shift.cancelled_at is None]
    if any(shift.ends_at <= now for shift in standing):
        raise RosterRefused(N_("A night that is over cannot be cancelled."))
    reason = " ".join((reason or "").split())
    notices = cancellation_notices(session, standing, reason)
    for shift in standing:
        shift.cancelled_at, shift.cancel_reason = now, reason
        if shift.term.published_at is not None:
            messages.cancel_pending(session, shift_id=shift.id, reason=notes.NIGHT_CANCELLED.text())
        audit.record(
            session,
            actor_id=actor.id,
            action="shift.cancelled",
            object_type="shift",
            object_id=shift.id,
            now=now,
            region_id=shift.term.region_id,
            reason=reason,
        )
    for notice in notices:
        _tell_cancelled(session, notice, now)
    return notices


def cancellation_notices(session: Session, shifts: list[Shift], reason: str) -> list[Notice]:
    """What each person on these nights (or waiting for them) would be told if they were called off
    with `reason`: for the preview, and for cancelling. A draft's people are not told."""
    reason = " ".join((reason or "").split())
    published = [shift.id for shift in shifts if shift.term.published_at is not None]
    signups = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Signup.shift_id.in_(published), Signup.state.in_(LIVE))
        .options(joinedload(Signup.person), joinedload(Signup.shift).joinedload(Shift.route))
        .order_by(Shift.starts_at, Signup.id)
    )
    theirs: dict[int, list[Signup]] = defaultdict(list)
    for signup in signups:
        theirs[signup.person_id].append(signup)
    return [Notice(on[0].person, on, _cancelled_text(on, reason)) for on in theirs.values()]


def _cancelled_text(signups: list[Signup], reason: str) -> str:
    _ = translations(signups[0].person.locale).gettext
    if len(signups) == 1:
        return messages.cancelled_text(_, {**messages.night_words(signups[0].shift), "reason": reason})
    nights = ", ".join(_("%(route)s %(date)s %(time)s") % messages.night_words(s.shift) for s in signups)
    text = _("Natteravn: your nights are cancelled: %(nights)s.") % {"nights": nights}
    return f"{text} {reason}".strip()


def _tell_cancelled(session: Session, notice: Notice, now: datetime) -> None:
    first = notice.signups[0]
    one = len(notice.signups) == 1
    messages.plan_news(
        session,
        first if one else None,
        # The earliest night names a message about several: no two such messages share it.
        key=f"shift_cancelled:{first.id}" if one else f"shifts_cancelled:{notice.person.id}:{first.shift_id}",
        body=notice.body,
        purpose=Purpose.SHIFT_CANCELLED,
        now=now,
        person=notice.person,
        shift=first.shift,
        until=max(s.shift.ends_at for s in notice.signups),
    )


def move_person(
    session: Session, signup: Signup, to_shift_id: int, now: datetime, links: Links, actor: Person
) -> Signup:
    """Move someone from one night to another of the same term, with the same role. Someone with
    a place keeps one: a full night refuses them. Someone waiting on a cancelled night gets a place
    on the new one if a sign-up would, and else waits on its waitlist."""
    person, (source, target) = lock_person_and_nights(session, signup.person_id, signup.shift_id, to_shift_id)
    session.refresh(signup)
    if source is None or target is None or target.term_id != source.term_id:
        raise RosterRefused(N_("That night does not exist."))
    if signup.state not in LIVE:  # moved or taken off a moment ago: a second click, or Back
        raise RosterRefused(N_("%(name)s is no longer on this night."), name=person.name)
    if not _movable(signup, source, now):
        raise RosterRefused(N_("Only someone on a night that has not begun can be moved."))
    on_target = session.scalar(
        select(Signup).where(Signup.shift_id == target.id, Signup.person_id == person.id, Signup.state.in_(LIVE))
    )
    if on_target is not None:
        raise RosterRefused(N_("%(name)s is already on this night."), name=person.name)
    _check_assignable(session, person, target, signup.role, now, leaving=signup)
    placed = signup.state in HOLDING
    if placed:
        _check_room(session, target)
    else:
        placed = free_places(session, target, signup.role, now) > 0
    # What waited for them about the old night (its cancellation, held in the quiet hours) is said
    # in the outbox to have given way to the move, not to a cancellation of their own.
    messages.cancel_pending(session, signup_id=signup.id, reason=notes.PERSON_MOVED.text())
    withdraw(session, signup, now, links)
    moved = Signup(
        shift=target,
        person=person,
        role=signup.role,
        state=SignupState.SIGNED_UP if placed else SignupState.WAITLISTED,
        queued_at=None if placed else now,
        created_at=now,
    )
    session.add(moved)
    session.flush()
    if target.term.published_at is not None:
        messages.moved_to(session, moved, source, now, links)
    _record(session, "signup.moved", signup, actor, now, new_signup_id=moved.id, to_shift_id=target.id)
    return moved


def _movable(signup: Signup, source: Shift, now: datetime) -> bool:
    """Before the night begins, someone with a place; on a cancelled night, those waiting too,
    for whom it will never have a place."""
    if source.starts_at <= now:
        return False
    return signup.state in HOLDING or source.cancelled_at is not None


@dataclass(frozen=True)
class MovedAway:
    """Someone the coordinator moved from a night, and the sign-up they were given on another."""

    person: Person
    to: Signup


def moved_away(session: Session, shift: Shift) -> list[MovedAway]:
    """Who was moved from this night, and where to, as the audit log keeps it: a cancelled night's
    page says where its people went. Someone since deleted is left out."""
    moves = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "shift",
            AuditEvent.object_id == shift.id,
            AuditEvent.action == "signup.moved",
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    new_ids = [event.details.get("new_signup_id") for event in moves]
    given = session.scalars(
        select(Signup)
        .where(Signup.id.in_([i for i in new_ids if i]))
        .options(joinedload(Signup.person), joinedload(Signup.shift).joinedload(Shift.route))
    )
    by_id = {signup.id: signup for signup in given}
    return [MovedAway(by_id[i].person, by_id[i]) for i in new_ids if i in by_id]


def make_leader(session: Session, signup: Signup, now: datetime, links: Links, actor: Person) -> Signup:
    """Make a walker on the night who can lead its group leader, in their place: nobody has to be
    taken off and put back. A night that kept its last place for a leader now offers it to its
    waitlist. On a published night the person is told they lead it."""
    person, shift = lock_signup(session, signup)
    if signup.state not in LIVE:  # moved or taken off a moment ago
        raise RosterRefused(N_("%(name)s is no longer on this night."), name=person.name)
    if signup.role == SignupRole.LEADER:  # a second click
        return signup
    if signup.state not in _GOING:
        raise RosterRefused(N_("Only someone with a place on the night can be made its group leader."))
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    if shift.starts_at <= now:
        raise RosterRefused(N_("This night has already started."))
    if not person.holds(RoleKind.LEADER, shift.term.region_id):
        raise RosterRefused(N_("Only group leaders can be put on a night as leader."))
    signup.role = SignupRole.LEADER
    session.flush()
    if shift.term.published_at is not None:
        messages.now_leading(session, signup, now, links)
        promote_waitlist(session, shift, now, links)
    _record(session, "signup.made_leader", signup, actor, now)
    return signup


def left_without_leader(session: Session, gone: Signup) -> bool:
    """The group leader just taken off (moved or removed) left a night that needs one without any
    holding a place: what the coordinator should hear at once."""
    shift = gone.shift
    return (
        gone.role == SignupRole.LEADER
        and shift.needs_leader
        and shift.cancelled_at is None
        and not messages.leaders_of(session, {shift.id})
    )


def set_capacity(
    session: Session,
    shift: Shift,
    min_walkers: int,
    max_walkers: int,
    needs_leader: bool,
    now: datetime,
    links: Links,
    actor: Person,
) -> list[Signup]:
    """Change how many may walk a night. Lowering the maximum below those on it keeps the earliest
    sign-ups; the rest go to the top of the waitlist, in their order, and are told. Raising it
    offers the new places to the waitlist. Returns who was moved to the waitlist."""
    _check_walkers(min_walkers, max_walkers)
    lock_night(session, shift.id)
    if shift.cancelled_at is not None:
        raise RosterRefused(N_("This night is cancelled."))
    before = (shift.min_walkers, shift.max_walkers, shift.needs_leader)
    if before == (min_walkers, max_walkers, needs_leader):
        return []
    shift.min_walkers, shift.max_walkers, shift.needs_leader = min_walkers, max_walkers, needs_leader
    bumped = _bump_to_waitlist(session, shift, now, links)
    if shift.term.published_at is not None:
        for signup in bumped:
            _tell_bumped(session, signup, now)
        if shift.max_walkers > before[1]:
            promote_waitlist(session, shift, now, links)
    audit.record(
        session,
        actor_id=actor.id,
        action="shift.capacity_changed",
        object_type="shift",
        object_id=shift.id,
        now=now,
        region_id=shift.term.region_id,
        before={"min": before[0], "max": before[1], "needs_leader": before[2]},
        after={"min": min_walkers, "max": max_walkers, "needs_leader": needs_leader},
        to_waitlist=[s.person_id for s in bumped],
    )
    return bumped


def _bump_to_waitlist(session: Session, shift: Shift, now: datetime, links: Links) -> list[Signup]:
    holding = session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.state.in_(HOLDING))
        .order_by(Signup.created_at, Signup.id)
    ).all()
    bumped = list(holding[shift.max_walkers :])
    if not bumped:
        return []
    first_waiting = session.scalar(
        select(func.min(Signup.queued_at)).where(Signup.shift_id == shift.id, Signup.state == SignupState.WAITLISTED)
    )
    # Ahead of everyone already waiting, in the order they signed up.
    head = min([s.created_at for s in bumped] + ([first_waiting] if first_waiting else []))
    for place, signup in enumerate(bumped):
        signup.state = SignupState.WAITLISTED
        signup.queued_at = min(signup.created_at, head - timedelta(seconds=len(bumped) - place))
        signup.offer_expires_at = None
        messages.withdrawn(session, signup, now, links)
    return bumped


def _tell_bumped(session: Session, signup: Signup, now: datetime) -> None:
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    if messages.wants_email(signup.person):
        body = _(
            "Natteravn: %(route)s on %(date)s now takes fewer walkers. You are first on the waitlist "
            "and get a message if a place frees up."
        )
    else:
        body = _(
            "Natteravn: %(route)s on %(date)s now takes fewer walkers. You are first on the waitlist "
            "and get an SMS if a place frees up."
        )
    messages.plan_news(
        session,
        signup,
        key=f"bumped:{signup.id}:{shift.max_walkers}",
        body=body % messages.night_words(shift),
        purpose=Purpose.SHIFT_CHANGED,
        now=now,
    )


def update_note(session: Session, shift: Shift, note: str, now: datetime, actor: Person) -> None:
    note = note.strip()
    if note != shift.note:
        shift.note = note
        audit.record(
            session,
            actor_id=actor.id,
            action="shift.note_changed",
            object_type="shift",
            object_id=shift.id,
            now=now,
            region_id=shift.term.region_id,
            note=note,
        )
