"""Asking volunteers when they can walk in a term, so that auto-fill has something to fill from:
one message each, in their own language and by the channel they chose, to everyone in the
coordinator's part of the region who has not said yet. Previewed first, like any message to many
(see roster.broadcasts); quiet hours and the region's SMS budget hold it as they hold any message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Scope
from natteravn.audit import service as audit
from natteravn.clock import at_local, local
from natteravn.i18n import N_, Refusal, translations
from natteravn.links import Links
from natteravn.places import service as places
from natteravn.places.models import Municipality
from natteravn.roster import broadcasts
from natteravn.roster.autofill.models import Availability
from natteravn.roster.grid import standing_nights
from natteravn.shifts import messages
from natteravn.shifts.models import Term
from natteravn.sms import service as sms
from natteravn.sms.mail import subject_for
from natteravn.sms.models import Purpose, SmsMessage

#: What the audit log says about asking.
AUDIT = audit.Vocabulary(
    actions={"availability.asked": N_("Asked %(people)s people when they can walk in term %(object)s")},
)

#: The start of every request's dedupe key, followed by the term, the person and the local day:
#: asking twice the same day reaches nobody twice, asking another day reaches who has still not answered.
KEY = "availability_request"


class AskingRefused(Refusal):
    pass


@dataclass(frozen=True)
class Answers:
    """How many of those asked have said when they can walk."""

    asked: int
    answered: int


@dataclass(frozen=True)
class Said:
    """What one volunteer has said about walking in a term, and when they were last asked."""

    person: Person
    availability: Availability | None  # None: not answered
    asked_at: datetime | None  # the latest request planned to them, None: never asked

    @property
    def filled_in_by_coordinator(self) -> bool:
        return self.availability is not None and self.availability.updated_by_id not in (None, self.person.id)


def unanswered(session: Session, scope: Scope, term: Term) -> list[Person]:
    """The active volunteers living in the coordinator's part of the term's region who have not
    said when they can walk in it. Someone still waiting for approval is left out: auto-fill does
    not put them on nights either."""
    answered = select(Availability.person_id).where(Availability.term_id == term.id)
    return broadcasts.active_volunteers(session, and_(_askable(scope, term), Person.id.not_in(answered)))


def _askable(scope: Scope, term: Term):
    in_part = select(Municipality.id).where(
        Municipality.region_id == term.region_id, scope.where(Municipality.region_id, Municipality.id)
    )
    return and_(Person.municipality_id.in_(in_part), ~Person.awaiting_approval)


def roll_call(session: Session, scope: Scope, term: Term) -> list[Said]:
    """Everyone `unanswered` would pick before they answer, in the order names are read, with what
    they said and when they were last asked: who to chase, and whose answer to fill in."""
    people = broadcasts.active_volunteers(session, _askable(scope, term))
    # The term's answers and requests, whoever's: no more than the region's volunteers.
    said = {a.person_id: a for a in session.scalars(select(Availability).where(Availability.term_id == term.id))}
    last_asked = select(SmsMessage.person_id, func.max(SmsMessage.created_at)).where(_requests_about(term))
    asked = {person_id: at for person_id, at in session.execute(last_asked.group_by(SmsMessage.person_id))}
    return [Said(person, said.get(person.id), asked.get(person.id)) for person in people]


def _requests_about(term: Term):
    return and_(
        SmsMessage.purpose == Purpose.AVAILABILITY_REQUEST,
        SmsMessage.dedupe_key.startswith(f"{KEY}:{term.id}:", autoescape=True),
    )


def request_text(person: Person, term: Term, links: Links) -> str:
    """The request as `person` gets it, in their language."""
    _ = translations(person.locale).gettext
    words = {"term": term.name, "link": links.availability(term.id)}
    return _("Natteravn: which nights can you walk in %(term)s? Tell the coordinator here: %(link)s") % words


def reword_requests(person: Person, *, session: Session, links: Links) -> None:
    """The person chose another language (`accounts.service.wording_changed`): the requests to say
    when they can walk still waiting to go out are written again in it."""
    for message_id, key, _planned_at in messages.waiting_to(session, person, Purpose.AVAILABILITY_REQUEST):
        term = session.get(Term, int(key.split(":")[1])) if key else None
        if term is not None:
            subject = subject_for(Purpose.AVAILABILITY_REQUEST, person.locale)
            messages.reword(session, request_text(person, term, links), SmsMessage.id == message_id, subject=subject)


def not_asked_today(session: Session, term: Term, people: list[Person], now: datetime) -> dict[str, Person]:
    """Those of `people` not asked yet today, by the key of the request each would get."""
    today = local(now, ZoneInfo(term.region.timezone)).date().isoformat()
    keys = {f"{KEY}:{term.id}:{person.id}:{today}": person for person in people}
    asked_today = messages.planned_before(session, list(keys))
    return {key: person for key, person in keys.items() if key not in asked_today}


def preview(
    session: Session, scope: Scope, term: Term, now: datetime, links: Links, price: Decimal
) -> broadcasts.Reach:
    """Who asking now would reach, by which channel, and what the SMS cost: shown before anything is sent."""
    people = not_asked_today(session, term, unanswered(session, scope, term), now).values()
    return broadcasts.reach(((person, request_text(person, term, links)) for person in people), price)


def ask(session: Session, scope: Scope, term: Term, now: datetime, links: Links, actor: Person) -> int:
    """Ask everyone who has not answered yet; how many were asked now. Those asked earlier today
    are not asked again (a double click, a second look at the page)."""
    refuse_when_past(session, term, now)
    people = unanswered(session, scope, term)
    if not people:
        raise AskingRefused(N_("Everyone here has said when they can walk: there is nobody to ask."))
    fresh = not_asked_today(session, term, people, now)
    # Of no use once the term is over; until then it waits for the morning and for the budget.
    over = at_local(term.ends_on + timedelta(days=1), time(0), ZoneInfo(term.region.timezone))
    sms.enqueue_many(
        session,
        [
            {
                "to": person.phone,
                "body": request_text(person, term, links),
                "purpose": Purpose.AVAILABILITY_REQUEST,
                "now": now,
                "person_id": person.id,
                "region_id": term.region_id,
                "expires_at": over,
                "dedupe_key": key,
                "email": person.mail_to,
                "locale": person.locale,
            }
            for key, person in fresh.items()
        ],
    )
    if fresh:
        audit.record(
            session,
            actor_id=actor.id,
            action="availability.asked",
            object_type="term",
            object_id=term.id,
            now=now,
            region_id=term.region_id,
            people=len(fresh),
            by_email=sum(1 for person in fresh.values() if person.mail_to),
        )
    return len(fresh)


def held_until(term: Term, now: datetime) -> datetime | None:
    """When requests asked for now go out, if the region's quiet hours hold them; None: at once."""
    quiet = places.quiet_hours(term.region)
    return quiet.end_after(now) if quiet.cover(now) else None


def refuse_when_past(session: Session, term: Term, now: datetime) -> None:
    """Asking is for nights still to come: a term that is over, or has no nights ahead, is refused."""
    if term.ends_on < local(now, ZoneInfo(term.region.timezone)).date():
        raise AskingRefused(N_("The term %(term)s is over: there is nothing to ask about."), term=term.name)
    if not standing_nights(session, term, after=now):
        raise AskingRefused(
            N_("The term %(term)s has no nights ahead. Make its nights first, then ask when people can walk."),
            term=term.name,
        )


def answers(session: Session, term: Term) -> Answers:
    """How many people were asked about the term (on any day), and how many of them have answered."""
    asked = select(SmsMessage.person_id).where(_requests_about(term), SmsMessage.person_id.is_not(None)).distinct()
    asked_count = session.scalar(select(func.count()).select_from(asked.subquery())) or 0
    answered = session.scalar(
        select(func.count(Availability.id)).where(Availability.term_id == term.id, Availability.person_id.in_(asked))
    )
    return Answers(asked_count, answered or 0)
