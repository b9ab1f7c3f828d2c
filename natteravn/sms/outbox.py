"""The coordinator's outbox page, read: messages to the people of their regions, newest first, and
what the SMS cost per municipality and month. The only part of `sms` that knows people and places:
the page names each recipient, shows a coordinator only their own region's messages and their
regions' budgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Scope
from natteravn.clock import local, month_span
from natteravn.db import Page, paginate
from natteravn.places.budget import BudgetUse, budget_uses
from natteravn.places.models import Municipality
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.service import billed_between

PAGE_SIZE = 50
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
    query = (
        select(SmsMessage, Person)
        .join(Person, SmsMessage.person_id == Person.id)
        .join(Municipality, Person.municipality_id == Municipality.id)
        .where(scope.where(Municipality.region_id, Municipality.id))
    )
    if state:
        query = query.where(SmsMessage.state == state)
    if purpose:
        query = query.where(SmsMessage.purpose == purpose)
    return paginate(session, query.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()), number, PAGE_SIZE)


@dataclass(frozen=True)
class MonthCost:
    month: date  # its first day
    municipality: str
    messages: int
    segments: int
    cost: Decimal  # NOK, estimated


def monthly_costs(session: Session, scope: Scope, now: datetime, *, price: Decimal) -> list[MonthCost]:
    """SMS sent to the people of each of the coordinator's municipalities, per month, newest month
    first: how many, their segments and what they cost at `price` a segment. E-mail costs nothing."""
    months = _months_back(now, COST_MONTHS)
    moment = func.coalesce(SmsMessage.sent_at, SmsMessage.claimed_at)
    sent = (
        select(
            case(*((moment >= start, index) for index, (start, _end) in enumerate(months))).label("month"),
            Municipality.name.label("municipality"),
            SmsMessage.segments,
        )
        .join(Person, SmsMessage.person_id == Person.id)
        .join(Municipality, Person.municipality_id == Municipality.id)
        .where(scope.where(Municipality.region_id, Municipality.id), billed_between(months[-1][0], months[0][1]))
        .subquery()
    )
    rows = session.execute(
        select(sent.c.month, sent.c.municipality, func.count(), func.sum(sent.c.segments))
        .group_by(sent.c.month, sent.c.municipality)
        .order_by(sent.c.month, sent.c.municipality)
    )
    return [
        MonthCost(local(months[index][0]).date(), municipality, count, int(segments), int(segments) * price)
        for index, municipality, count, segments in rows
    ]


def _months_back(now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """This calendar month and the `count - 1` before it, newest first, as UTC spans."""
    months = [month_span(now)]
    while len(months) < count:
        months.append(month_span(months[-1][0] - timedelta(seconds=1)))
    return months


def budgets(session: Session, scope: Scope, now: datetime, *, price: Decimal) -> list[BudgetUse]:
    """This month's SMS spending of the coordinator's regions that have a budget."""
    return budget_uses(session, scope.touched, now, price=price)
