"""The coordinator reaching many people at once: their own words to the people of one night, the
parents of a school class, everyone in a municipality or in the whole region; and the nights of a
weekend (or of one municipality that weekend) called off together. Nothing goes before a preview
has said how many people it reaches, by SMS and by e-mail, and what the SMS cost. A coordinator of
some municipalities reaches only the people, classes and nights of those."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, Scope, person_class
from natteravn.audit import service as audit
from natteravn.clock import at_local, local
from natteravn.db import in_norwegian_order
from natteravn.i18n import N_, Refusal, translations
from natteravn.places.models import Municipality, Region, Route, School, SchoolClass
from natteravn.roster.service import cancellation_notices
from natteravn.shifts import messages
from natteravn.shifts.models import HOLDING, LIVE, Shift, Signup, Term
from natteravn.sms import outbox
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage
from natteravn.sms.segments import TextCost, cost_of

#: What the audit log says about messages to many.
AUDIT = audit.Vocabulary(
    actions={"broadcast.sent": N_("Sent a message to %(people)s people: %(text)s")},
)
#: Every message to many starts so, for the person to know who writes.
PREFIX = "Natteravn: "
#: Three SMS, prefix included; longer belongs in a letter.
TEXT_LIMIT = 440
#: How far ahead the nights offered as a message's audience (and weekends to cancel) reach at
#: least: a message's nights reach on to the end of each term under way or beginning within it.
AHEAD = timedelta(weeks=8)
#: How long after a night ends its people can still be written to: a report is chased for two
#: weeks (`reports.reminders.REMIND_WITHIN`), and something found or forgotten turns up as late.
BEHIND = timedelta(weeks=2)


class BroadcastRefused(Refusal):
    pass


class Kind(enum.StrEnum):
    NIGHT = "night"
    DAY = "day"  # every night of one day in a region: "we decide at 16:00 whether Saturday is on"
    SCHOOL_CLASS = "class"
    MUNICIPALITY = "municipality"
    REGION = "region"


@dataclass(frozen=True)
class Target:
    """Who a message is for, as a form carries it: "night:12", "class:4", "municipality:3",
    "region:1", or a day's nights in a region, "day:1:2026-12-12"."""

    kind: Kind
    id: int
    day: date | None = None

    @classmethod
    def parse(cls, value: str | None) -> Target | None:
        kind, _, rest = (value or "").partition(":")
        number, _, day = rest.partition(":")
        if kind not in Kind.__members__.values() or not number.isdigit() or (kind == Kind.DAY) != bool(day):
            return None
        try:
            return cls(Kind(kind), int(number), date.fromisoformat(day) if day else None)
        except ValueError:  # no such day
            return None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}:{self.day.isoformat()}" if self.day else f"{self.kind.value}:{self.id}"


@dataclass
class Audience:
    target: Target
    region_id: int
    people: list[Person]
    night: Shift | None = None


@dataclass(frozen=True)
class Reach:
    """What a message to many costs, before it is sent."""

    people: int
    by_email: int
    unreachable: int  # chose SMS and have answered STOP: they get nothing
    segments: int  # all the SMS together
    sample: str  # the longest single message, as its person gets it: shown before anything is sent
    price: Decimal

    @cached_property
    def longest(self) -> TextCost:
        """What the sample costs: its characters, SMS per person, and the character forcing UCS-2."""
        return cost_of(self.sample)

    @property
    def by_sms(self) -> int:
        return self.people - self.by_email - self.unreachable

    @property
    def cost(self) -> Decimal:
        return self.segments * self.price


def reach(texts: Iterable[tuple[Person, str]], price: Decimal) -> Reach:
    """The people, channels, segments and cost of sending each person their text."""
    people = by_email = unreachable = segments = 0
    sample, longest = "", cost_of("")
    for person, text in texts:
        people += 1
        cost = cost_of(text)
        if people == 1 or _longer(cost, longest):
            sample, longest = text, cost
        if person.mail_to:
            by_email += 1
        elif person.sms_opted_out_at is not None:
            unreachable += 1
        else:
            segments += cost.segments
    return Reach(people, by_email, unreachable, segments, sample, price)


def _longer(cost: TextCost, than: TextCost) -> bool:
    """Whether a text is the one to show: the one costing most SMS, so that a preview warns of the
    dearest message; of those, the one with most characters; of those, one that forces UCS-2."""
    return (cost.segments, cost.characters, cost.forcing is not None) > (
        than.segments,
        than.characters,
        than.forcing is not None,
    )


# --- A message in the coordinator's own words. ---


def message_text(text: str) -> str:
    """What each person gets: the coordinator's words, line breaks as a phone keeps them."""
    return PREFIX + (text or "").replace("\r\n", "\n").strip()


def audience(session: Session, scope: Scope, target: Target, now: datetime) -> Audience | None:
    """The people a message to `target` reaches, or None when it is not the coordinator's to reach
    (or does not exist). A night's people are those on it or waiting for it; a class's, the active
    volunteers with a child in it, wherever they live; a municipality's and a region's, the active
    volunteers living there."""
    if target.kind == Kind.NIGHT:
        return _night_audience(session, scope, target, now)
    if target.kind == Kind.DAY:
        return _day_audience(session, scope, target, now)
    if target.kind == Kind.SCHOOL_CLASS:
        return _class_audience(session, scope, target)
    if target.kind == Kind.MUNICIPALITY:
        municipality = session.get(Municipality, target.id)
        if municipality is None or not scope.covers(municipality.region_id, municipality.id):
            return None
        return Audience(
            target, municipality.region_id, active_volunteers(session, Person.municipality_id == municipality.id)
        )
    region = session.get(Region, target.id)
    if region is None or region.id not in scope.regions:
        return None
    living_there = Person.municipality_id.in_(select(Municipality.id).where(Municipality.region_id == region.id))
    return Audience(target, region.id, active_volunteers(session, living_there))


def writable_night(night: Shift, now: datetime) -> bool:
    """Whether a night's people can be written to: its term is published (they know of it), it is
    not called off, and it is ahead or ended at most `BEHIND` ago."""
    return night.term.published_at is not None and night.cancelled_at is None and night.ends_at > now - BEHIND


def _night_audience(session: Session, scope: Scope, target: Target, now: datetime) -> Audience | None:
    night = session.get(Shift, target.id)
    if night is None or not scope.covers(night.term.region_id, night.route.municipality_id):
        return None
    if not writable_night(night, now):
        return None
    # Once the night is over its waitlist waits for nothing: its people are those who held a place.
    states = LIVE if night.ends_at > now else HOLDING
    people = session.scalars(
        select(Person)
        .join(Signup, Signup.person_id == Person.id)
        .where(Signup.shift_id == night.id, Signup.state.in_(states))
        .order_by(in_norwegian_order(Person.name), Person.id)
    )
    return Audience(target, night.term.region_id, list(people), night)


def _day_audience(session: Session, scope: Scope, target: Target, now: datetime) -> Audience | None:
    """Everyone on the nights of one day in a region (in the coordinator's part), each once: the
    nights not called off and still ahead, their waitlists too."""
    assert target.day is not None, "a day's target names its day"
    if target.id not in scope.touched:
        return None
    day_ends = at_local(target.day + timedelta(days=1), time(0))
    nights = [
        night
        for night in _nights_ahead(session, scope, now, day_ends, published=True)
        if night.term.region_id == target.id and local(night.starts_at).date() == target.day
    ]
    if not nights:
        return None
    people = session.scalars(
        select(Person)
        .where(
            Person.id.in_(
                select(Signup.person_id).where(
                    Signup.shift_id.in_([night.id for night in nights]), Signup.state.in_(LIVE)
                )
            )
        )
        .order_by(in_norwegian_order(Person.name), Person.id)
    )
    return Audience(target, target.id, list(people))


def _class_audience(session: Session, scope: Scope, target: Target) -> Audience | None:
    school_class = session.get(SchoolClass, target.id)
    if school_class is None:
        return None
    municipality = school_class.school.municipality
    if not scope.covers(municipality.region_id, municipality.id):
        return None
    parents = Person.id.in_(select(person_class.c.person_id).where(person_class.c.school_class_id == school_class.id))
    return Audience(target, municipality.region_id, active_volunteers(session, parents))


def active_volunteers(session: Session, where) -> list[Person]:
    """The active people `where` picks, in the order a list of names is read."""
    query = select(Person).where(where, Person.active.is_(True)).order_by(in_norwegian_order(Person.name), Person.id)
    return list(session.scalars(query))


def preview_message(audience: Audience, text: str, price: Decimal) -> Reach:
    body = message_text(text)
    return reach(((person, body) for person in audience.people), price)


def send_message(
    session: Session, audience: Audience, text: str, token: str, now: datetime, actor: Person, price: Decimal
) -> Reach:
    """Plan the message to everyone in the audience, each by the channel they chose. `token` is the
    preview's: sending the same preview twice (a double click) sends nothing the second time."""
    words = (text or "").strip()
    if not words:
        raise BroadcastRefused(N_("Write the message."))
    if len(words) > TEXT_LIMIT:
        raise BroadcastRefused(N_("Shorten the message to %(max)d characters."), max=TEXT_LIMIT)
    if not audience.people:
        raise BroadcastRefused(N_("Nobody would get this message."))
    body = message_text(words)
    try:
        with session.begin_nested():
            for person in audience.people:
                _plan(session, audience, person, body, _key(token, person), now)
    except IntegrityError as error:  # the same preview sent a moment ago by another request
        raise BroadcastRefused(N_("This message has been sent already.")) from error
    sent = preview_message(audience, words, price)
    audit.record(
        session,
        actor_id=actor.id,
        action="broadcast.sent",
        object_type=_AUDITED_AS.get(audience.target.kind, audience.target.kind.value),
        object_id=audience.target.id,
        now=now,
        region_id=audience.region_id,
        text=body,
        people=sent.people,
        by_sms=sent.by_sms,
        by_email=sent.by_email,
        segments=sent.segments,
    )
    return sent


def held_until(session: Session, audience: Audience, token: str, now: datetime) -> datetime | None:
    """When the message sent with the preview's `token` goes out, if the quiet hours hold it back:
    asked of a message planned, as the outbox asks (`sms.outbox.held_until`), so that what may wake
    people (news about tonight's night) stays the dispatcher's rule alone."""
    planned = session.scalars(select(SmsMessage).where(SmsMessage.dedupe_key == _key(token, audience.people[0]))).all()
    return next(iter(outbox.held_until(session, list(planned), now).values()), None)


def _key(token: str, person: Person) -> str:
    """One message per person per preview: sending the same preview twice sends nothing more."""
    return f"broadcast:{token}:{person.id}"


#: The kinds of thing the audit log knows, for targets not named so (a day's nights: their region).
_AUDITED_AS = {Kind.NIGHT: "shift", Kind.SCHOOL_CLASS: "school_class", Kind.DAY: "region"}


def _plan(session: Session, audience: Audience, person: Person, body: str, key: str, now: datetime) -> None:
    if audience.night is not None and audience.night.ends_at > now:
        # News about a night, like any other: urgent when the night is tonight, void once it ends.
        if messages.planned_before(session, [key]):
            raise BroadcastRefused(N_("This message has been sent already."))
        messages.plan_news(
            session,
            None,
            key=key,
            body=body,
            purpose=Purpose.BROADCAST,
            now=now,
            person=person,
            shift=audience.night,
            until=audience.night.ends_at,
        )
        return
    sms.enqueue(
        session,
        to=person.phone,
        body=body,
        purpose=Purpose.BROADCAST,
        now=now,
        person_id=person.id,
        dedupe_key=key,
        email=person.mail_to,
        locale=person.locale,
        region_id=audience.region_id,
    )


@dataclass(frozen=True)
class Targets:
    """What a coordinator may send a message to: their whole regions, their municipalities, the
    classes of their schools, the published nights ahead in their part and those just over
    (latest first: last weekend's is the one whose report is chased)."""

    regions: list[Region]
    municipalities: list[Municipality]
    classes: list[SchoolClass]
    nights: list[Shift]
    past_nights: list[Shift]

    @property
    def days(self) -> list[tuple[Region, date]]:
        """The days with more than one night ahead, each in its region, in order: everyone on a
        stormy Saturday's nights told at once rather than night by night."""
        nights: dict[tuple[int, date], list[Shift]] = {}
        for night in self.nights:
            nights.setdefault((night.term.region_id, local(night.starts_at).date()), []).append(night)
        return [(those[0].term.region, day) for (_region, day), those in nights.items() if len(those) > 1]


def targets(session: Session, scope: Scope, now: datetime) -> Targets:
    in_scope = scope.where(Municipality.region_id, Municipality.id)
    regions = list(session.scalars(select(Region).where(Region.id.in_(scope.regions)).order_by(Region.name)))
    municipalities = list(
        session.scalars(
            select(Municipality).where(in_scope, Municipality.archived.is_(False)).order_by(Municipality.name)
        )
    )
    classes = session.scalars(
        select(SchoolClass)
        .join(SchoolClass.school)
        .join(School.municipality)
        .where(in_scope, SchoolClass.archived.is_(False), School.archived.is_(False), Municipality.archived.is_(False))
        .options(joinedload(SchoolClass.school))
    )
    nights = _nights_ahead(session, scope, now - BEHIND, now + AHEAD, published=True, term_on=local(now).date())
    return Targets(
        regions,
        municipalities,
        sorted(classes, key=lambda c: (c.school.name, c.sort_key)),
        [night for night in nights if night.ends_at > now],
        [night for night in reversed(nights) if night.ends_at <= now],
    )


# --- Calling off a weekend's nights. ---


def weekends_ahead(session: Session, scope: Scope, now: datetime) -> list[date]:
    """The Fridays of the coming weekends with nights the coordinator could call off."""
    fridays = {_friday_of(local(night.starts_at).date()) for night in _nights_ahead(session, scope, now, now + AHEAD)}
    return sorted(fridays)


def weekend_nights(
    session: Session, scope: Scope, friday: date, municipality_id: int | None, now: datetime
) -> list[Shift]:
    """The nights of the weekend starting `friday` (Friday to Sunday) not yet over nor called off,
    in the coordinator's part, of one municipality if given."""
    since = max(at_local(friday, time(0)), now)
    nights = _nights_ahead(session, scope, since, at_local(friday + timedelta(days=3), time(0)))
    return [night for night in nights if municipality_id is None or night.route.municipality_id == municipality_id]


def preview_cancellation(session: Session, nights: list[Shift], reason: str, price: Decimal) -> Reach:
    """What cancelling these nights with `reason` would send: one message per person."""
    return reach(((notice.person, notice.body) for notice in cancellation_notices(session, nights, reason)), price)


def reason_frame(session: Session, nights: list[Shift], locale: str) -> str:
    """The text a cancel reason is added to, for counting as the coordinator types: the longest of
    the messages these nights' people would get (each in their language), or in the coordinator's
    language when nobody is on them."""
    bodies = [notice.body for notice in cancellation_notices(session, nights, "")]
    if not bodies and nights:
        _ = translations(locale).gettext
        bodies = [messages.cancelled_text(_, {**messages.night_words(nights[0]), "reason": ""})]
    return max(bodies, key=lambda body: cost_of(body).characters, default="") + " "


def _friday_of(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


def _nights_ahead(
    session: Session,
    scope: Scope,
    since: datetime,
    until: datetime,
    *,
    published: bool = False,
    term_on: date | None = None,
) -> list[Shift]:
    """Nights not called off that end after `since` and start before `until`, in the coordinator's
    part; with `term_on`, also the later nights of the terms under way that day or beginning
    before `until`, so that a message can reach any night of the term now walked, or of the one
    about to begin. One statement, however many regions."""
    ahead = Shift.starts_at < until
    if term_on is not None:
        ahead = or_(ahead, and_(Term.starts_on < local(until).date(), Term.ends_on >= term_on))
    query = (
        select(Shift)
        .join(Shift.term)
        .join(Shift.route)
        .where(
            scope.where(Term.region_id, Route.municipality_id),
            Shift.cancelled_at.is_(None),
            Shift.ends_at > since,
            ahead,
        )
        .options(joinedload(Shift.route).joinedload(Route.municipality), joinedload(Shift.term))
        .order_by(Shift.starts_at, Route.name)
    )
    if published:
        query = query.where(Term.published_at.is_not(None))
    return list(session.scalars(query))
