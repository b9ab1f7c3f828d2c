"""The coordinator's outbox page, read: messages to the people of their regions, newest first, and
what the SMS cost per municipality and month. The only part of `sms` that knows people and places:
the page names each recipient, shows a coordinator only the messages sent for their regions, and
their regions' budgets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from natteravn.accounts.models import Person, Scope
from natteravn.clock import at_local, local, month_span
from natteravn.db import Page, paginate
from natteravn.places.budget import BudgetUse, budget_uses
from natteravn.places.models import Municipality
from natteravn.places.service import quiet_hours_of
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import billed_between, held_by_quiet_hours

PAGE_SIZE = 50
#: Days of login codes the outbox page counts.
LOGIN_CODE_DAYS = 14
#: Months of cost shown, this one included.
COST_MONTHS = 6


def outbox_page(
    session: Session,
    scope: Scope,
    number: int,
    *,
    state: MessageState | None = None,
    purpose: Purpose | None = None,
) -> Page:
    """(message, recipient) pairs, for the recipients living in the coordinator's regions or municipalities."""
    newest_first = (SmsMessage.created_at.desc(), SmsMessage.id.desc())
    query = select(SmsMessage.id).where(_theirs(scope))
    if state:
        query = query.where(SmsMessage.state == state)
    if purpose:
        query = query.where(SmsMessage.purpose == purpose)
    # The page's messages are chosen among the messages alone, and only those fifty get their person.
    page = paginate(session, query.order_by(*newest_first), number, PAGE_SIZE)
    pairs = session.execute(
        select(SmsMessage, Person)
        .join(Person, SmsMessage.person_id == Person.id)
        .where(SmsMessage.id.in_(page.items))
        .order_by(*newest_first)
    )
    return replace(page, items=list(pairs))


def held_until(session: Session, messages: list[SmsMessage], now: datetime) -> dict[int, datetime]:
    """Until when each waiting message of the page is held back: as the dispatcher held it, or, for
    one it has not yet looked at, as the region's quiet hours will hold it. The outbox says "held
    until 08:00" from the moment a message is planned at night, not only once the dispatcher has
    been by (a coordinator who looks at once is not led to think it goes out now)."""
    waiting = [m for m in messages if m.state == MessageState.PENDING]
    quiet = quiet_hours_of(session, {m.region_id for m in waiting if m.region_id is not None and not m.urgent})
    held = {}
    for message in waiting:
        hours = quiet.get(message.region_id) if message.region_id is not None else None
        until = message.held_until
        if until is None and hours is not None:
            until = held_by_quiet_hours(message, hours, max(message.due_at, now))
        if until is not None:
            held[message.id] = until
    return held


def login_codes_per_day(session: Session, scope: Scope, now: datetime) -> list[tuple[date, int]]:
    """How many login codes went to the coordinator's people each day of the last two weeks, the
    days with any, newest first: counts only, never a number or code. A day far above the others
    means someone is asking for codes with their people's numbers."""
    first_day = local(now).date() - timedelta(days=LOGIN_CODE_DAYS - 1)
    sent = session.scalars(
        select(SmsMessage.created_at).where(
            _theirs(scope), SmsMessage.purpose == Purpose.OTP, SmsMessage.created_at >= at_local(first_day, time(0))
        )
    )
    return sorted(Counter(local(moment).date() for moment in sent).items(), reverse=True)


def _theirs(scope: Scope) -> ColumnElement[bool]:
    """Messages a coordinator's regions sent, to whoever got them: someone who moved to another
    region leaves what was sent before with the region that sent it. A municipality's coordinator
    sees what their region sent to the municipality's people. A message sent for no region (the
    answer to someone's SMS) goes with the person's home. Messages to no one known (a deleted
    person's) are nobody's."""
    if not scope:
        return false()
    # Said on the message's own columns, each way with an indexed one, so that the database reads
    # one region's messages rather than every message in the country.
    return and_(
        SmsMessage.person_id.is_not(None),
        or_(
            SmsMessage.region_id.in_(scope.regions),
            and_(
                SmsMessage.region_id.is_(None),
                _lives_in(lambda home: or_(home.region_id.in_(scope.regions), home.id.in_(scope.municipalities))),
            ),
            and_(
                SmsMessage.region_id.in_(scope.partial_regions),
                _lives_in(lambda home: and_(home.id.in_(scope.municipalities), home.region_id == SmsMessage.region_id)),
            ),
        ),
    )


#: The recipient and their municipality in `_lives_in`, apart from any the outer query joins. Made
#: once: every outbox page asks three times, and an alias is costly to make.
_RECIPIENT, _HOME = aliased(Person), aliased(Municipality)


def _lives_in(where: Callable[[type[Municipality]], ColumnElement[bool]]) -> ColumnElement[bool]:
    """The message went to someone whose municipality is `where`."""
    recipients = select(_RECIPIENT.id).join(_HOME, _RECIPIENT.municipality_id == _HOME.id)
    return SmsMessage.person_id.in_(recipients.where(where(_HOME)))


@dataclass(frozen=True)
class MonthCost:
    month: date  # its first day
    municipality: str
    messages: int
    segments: int
    cost: Decimal  # NOK, estimated
    # Segments sent for no region, so in no region's budget: a login code to someone who had not
    # chosen a municipality yet (a new coordinator's first), an answer to an SMS.
    outside_budget: int = 0


def monthly_costs(session: Session, scope: Scope, now: datetime, *, price: Decimal) -> list[MonthCost]:
    """SMS sent to the people of each of the coordinator's municipalities, per month, newest month
    first: how many, their segments and what they cost at `price` a segment, and how many of those
    segments no region's budget counts (`MonthCost.outside_budget`). E-mail costs nothing."""
    months = _months_back(now, COST_MONTHS)
    moment = func.coalesce(SmsMessage.sent_at, SmsMessage.claimed_at)
    billed = select(
        case(*((moment >= start, index) for index, (start, _end) in enumerate(months))).label("month"),
        Municipality.name.label("municipality"),
        SmsMessage.segments,
        case((SmsMessage.region_id.is_(None), SmsMessage.segments), else_=0).label("outside_budget"),
    ).where(billed_between(months[-1][0], months[0][1]))
    sent = (
        billed.join(Person, SmsMessage.person_id == Person.id)
        .join(Municipality, Person.municipality_id == Municipality.id)
        .where(_theirs(scope))
        .subquery()
    )
    rows = session.execute(
        select(
            sent.c.month,
            sent.c.municipality,
            func.count(),
            func.sum(sent.c.segments),
            func.sum(sent.c.outside_budget),
        )
        .group_by(sent.c.month, sent.c.municipality)
        .order_by(sent.c.month, sent.c.municipality)
    )
    return [
        MonthCost(
            local(months[index][0]).date(),
            municipality,
            count,
            int(segments),
            int(segments) * price,
            int(outside or 0),
        )
        for index, municipality, count, segments, outside in rows
    ]


@dataclass(frozen=True)
class CostTotal:
    messages: int
    segments: int
    cost: Decimal  # NOK, estimated
    outside_budget: int = 0  # segments no region's budget counts (see `MonthCost`)


def cost_total(costs: list[MonthCost]) -> CostTotal:
    """The months and municipalities of the cost table added up."""
    messages = sum(row.messages for row in costs)
    segments = sum(row.segments for row in costs)
    outside = sum(row.outside_budget for row in costs)
    return CostTotal(messages, segments, sum((row.cost for row in costs), Decimal(0)), outside)


def _months_back(now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """This calendar month and the `count - 1` before it, newest first, as UTC spans."""
    months = [month_span(now)]
    while len(months) < count:
        months.append(month_span(months[-1][0] - timedelta(seconds=1)))
    return months


def budgets(session: Session, scope: Scope, now: datetime, *, price: Decimal) -> list[BudgetUse]:
    """This month's SMS spending of each of the coordinator's regions, against its budget where it has one."""
    return budget_uses(session, scope.touched, now, price=price)
