"""The coordinator's outbox page, read: messages to the people of their regions, newest first. The
only part of `sms` that knows people and places: the page names each recipient and shows a
coordinator only their own region's messages."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Scope
from natteravn.clock import at_local, local
from natteravn.db import Page, paginate
from natteravn.places.models import Municipality
from natteravn.sms.models import MessageState, Purpose, SmsMessage

PAGE_SIZE = 50
#: Days of login codes the outbox page counts.
LOGIN_CODE_DAYS = 14


def outbox_page(
    session: Session,
    scope: Scope,
    number: int,
    *,
    state: MessageState | None = None,
    purpose: Purpose | None = None,
) -> Page:
    """(message, recipient) pairs, for the recipients living in the coordinator's regions or municipalities."""
    query = _to_their_people(select(SmsMessage, Person), scope)
    if state:
        query = query.where(SmsMessage.state == state)
    if purpose:
        query = query.where(SmsMessage.purpose == purpose)
    return paginate(session, query.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()), number, PAGE_SIZE)


def login_codes_per_day(session: Session, scope: Scope, now: datetime) -> list[tuple[date, int]]:
    """How many login codes went to the coordinator's people each day of the last two weeks, the
    days with any, newest first: counts only, never a number or code. A day far above the others
    means someone is asking for codes with their people's numbers."""
    first_day = local(now).date() - timedelta(days=LOGIN_CODE_DAYS - 1)
    sent = session.scalars(
        _to_their_people(select(SmsMessage.created_at), scope).where(
            SmsMessage.purpose == Purpose.OTP, SmsMessage.created_at >= at_local(first_day, time(0))
        )
    )
    return sorted(Counter(local(moment).date() for moment in sent).items(), reverse=True)


def _to_their_people(query, scope: Scope):
    return (
        query.join(Person, SmsMessage.person_id == Person.id)
        .join(Municipality, Person.municipality_id == Municipality.id)
        .where(scope.where(Municipality.region_id, Municipality.id))
    )
