"""The coordinator's outbox page, read: messages to the people of their regions, newest first. The
only part of `sms` that knows people and places: the page names each recipient and shows a
coordinator only their own region's messages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, Scope
from natteravn.db import Page, paginate
from natteravn.places.models import Municipality
from natteravn.sms.models import MessageState, Purpose, SmsMessage

PAGE_SIZE = 50


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
