"""The outbox: planning messages and handing due ones to the SMS gateway, or to the mailer for
people who chose e-mail.

Sending follows one rule, whatever the channel: a message is marked `sending` and that mark is
committed before the gateway is called. A row found in `sending` later (the process died, or the
provider's answer was lost) may have reached the provider, so it is looked up there, never blindly
sent again; a mail server has no record to look up, so such an e-mail is given up on."""

from __future__ import annotations

import threading
import time as wall
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from natteravn.clock import month_span
from natteravn.db import locks_rows, upsert
from natteravn.sms import notes
from natteravn.sms.gateway import Gateway, GatewayError, OutcomeUnknown, Sent
from natteravn.sms.mail import Mailer, subject_for
from natteravn.sms.models import ASKED_FOR, BUDGET_HELD, Channel, MessageState, Purpose, SendWindow, SmsMessage
from natteravn.sms.quiet import QuietHours, may_wake
from natteravn.sms.segments import count_segments

#: News about a night; when it is about tonight it goes out even once the region's SMS budget is spent.
NEWS = (Purpose.SHIFT_CANCELLED, Purpose.SHIFT_CHANGED, Purpose.BROADCAST)
#: States in which an SMS has cost its segments, or may have.
BILLED = (MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED, MessageState.UNDELIVERED)
#: How far a status may move: a late "sent" callback does not undo "delivered".
RANK = {
    MessageState.PENDING: 0,
    MessageState.SENDING: 1,
    MessageState.SENT: 2,
    MessageState.DELIVERED: 3,
    MessageState.UNDELIVERED: 3,
    MessageState.FAILED: 3,
}
PROVIDER_STATES = {
    "accepted": MessageState.SENT,
    "scheduled": MessageState.SENT,
    "queued": MessageState.SENT,
    "sending": MessageState.SENT,
    "sent": MessageState.SENT,
    "delivered": MessageState.DELIVERED,
    "read": MessageState.DELIVERED,
    "undelivered": MessageState.UNDELIVERED,
    "failed": MessageState.FAILED,
    "canceled": MessageState.FAILED,
}


@dataclass(frozen=True)
class DispatchPolicy:
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    max_attempts: int = 5
    first_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(minutes=30)
    # A row in `sending` this long is orphaned. It must exceed the time a whole claimed batch can
    # take to send (batch_size × the gateway's request timeout), or a live send would be looked up.
    stale_after: timedelta = timedelta(minutes=10)
    # After this long without an answer from the provider, an orphaned row is given up on.
    give_up_after: timedelta = timedelta(hours=6)
    batch_size: int = 20
    #: SMS segments handed to the provider per second, by all dispatchers together; 0: as fast as
    #: they go, the provider queueing what exceeds the sender's rate.
    rate_per_second: int = 0
    #: Which of these person ids have opted out (wired from accounts by the app factory).
    opted_out: Callable[[Session, Collection[int]], set[int]] | None = field(default=None, compare=False)
    #: The quiet hours of these regions, by region id (wired from places by the app factory).
    quiet_hours_of: Callable[[Session, Collection[int]], dict[int, QuietHours]] | None = field(
        default=None, compare=False
    )
    #: Called when the provider reports a number as opted out (Twilio 21610).
    on_opted_out: Callable[[Session, str, datetime], None] | None = field(default=None, compare=False)
    #: How many SMS segments each of these regions may still send this month; regions without a
    #: budget are left out (wired from places by the app factory).
    segments_left: Callable[[Session, Collection[int], datetime], dict[int, int]] | None = field(
        default=None, compare=False
    )

    def backoff(self, attempts: int) -> timedelta:
        return min(self.first_backoff * 2 ** max(attempts - 1, 0), self.max_backoff)

    @property
    def quiet_hours(self) -> QuietHours:
        """The global setting, for a message sent on behalf of no region (a login code, a test)."""
        return QuietHours(self.quiet_from, self.quiet_until)


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    unknown: int = 0
    held: int = 0
    cancelled: int = 0
    reconciled: int = 0
    resent: int = 0
    released: int = 0  # claimed, then handed back untried because the dispatcher was asked to stop

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retrying + self.unknown + self.held + self.cancelled


def enqueue(session: Session, **fields) -> SmsMessage:
    """Plan a message (see `message_fields` for what it takes)."""
    message = SmsMessage(**message_fields(**fields))
    session.add(message)
    session.flush()
    return message


def enqueue_many(session: Session, messages: list[dict]) -> None:
    """Plan many messages in a few statements, each dict what `enqueue` takes: a term's reminders
    for a whole region are planned at once. A message whose `dedupe_key` was planned before is
    left out (a double tap, a job run twice), and so is the loser of a race for one. Says nothing
    of which were: returning the rows planned made a national term's planning take 20 s instead of
    13. A caller that must know asks before."""
    table = cast(Table, SmsMessage.__table__)  # plain rows: no ORM bookkeeping
    statement = upsert(session, table).on_conflict_do_nothing()
    rows = [message_fields(**fields) for fields in messages]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(statement, rows[start : start + INSERT_CHUNK])


#: Rows per INSERT of many messages.
INSERT_CHUNK = 1000


def message_fields(
    *,
    to: str,
    body: str,
    purpose: Purpose,
    now: datetime,
    due_at: datetime | None = None,
    person_id: int | None = None,
    signup_id: int | None = None,
    shift_id: int | None = None,
    region_id: int | None = None,
    own_action: bool = False,
    night: tuple[datetime, datetime] | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
    email: str | None = None,
    locale: str = "nb",
) -> dict:
    """The outbox row of a message to the number `to`, or by e-mail to `email` when given. Its
    e-mail subject is written in `locale` either way, so the person may change channel while it
    waits. `region_id`: the region it is sent for, whose quiet hours it keeps and whose SMS budget
    it spends. `own_action` (it answers what the person did just now) and `night` (the start and
    end of the night it is about) decide whether it may go out in quiet hours (`sms.quiet.may_wake`)."""
    encoding, segments = count_segments(body)
    due_at = due_at or now
    return {
        "to": to,
        "channel": Channel.EMAIL if email else Channel.SMS,
        "email": email,
        "subject": subject_for(purpose, locale),
        "body": body,
        "purpose": purpose,
        "person_id": person_id,
        "signup_id": signup_id,
        "shift_id": shift_id,
        "region_id": region_id,
        "due_at": due_at,
        "expires_at": expires_at,
        "urgent": may_wake(purpose, due_at, own_action=own_action, night=night),
        "state": MessageState.PENDING,
        "encoding": encoding,
        "segments": segments,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "attempts": 0,
        "last_error": "",
    }


def reword(session: Session, body: str, *which: ColumnElement[bool], subject: str | None = None) -> None:
    """Write these messages again (and their e-mail subject, given one), if still pending: one the
    dispatcher has claimed keeps the text it is sent with."""
    encoding, segments = count_segments(body)
    values: dict[str, object] = {"body": body, "encoding": encoding, "segments": segments}
    if subject is not None:
        values["subject"] = subject
    session.execute(
        update(SmsMessage)
        .where(*which, SmsMessage.state == MessageState.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def record_reply(session: Session, *, to: str, body: str, now: datetime, person_id: int | None) -> SmsMessage:
    """An answer that left as the webhook's response (TwiML), kept so the outbox shows it."""
    message = enqueue(session, to=to, body=body, purpose=Purpose.REPLY, now=now, person_id=person_id)
    message.state = MessageState.SENT
    message.attempts = 1
    message.sent_at = now
    return message


# --- Sending. ---


def dispatch_due(
    session: Session,
    gateway: Gateway,
    now: datetime,
    *,
    policy: DispatchPolicy | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
    mailer: Mailer | None = None,
) -> DispatchResult:
    """Send every message that is due, batch by batch, until none is left (or `limit` were handled).
    Commits as it goes: each claim before the gateway is called, each outcome right after.
    Once `stop` is set (the process is shutting down) nothing more is claimed, the message in
    flight is finished, and the batch's untried rest goes back to `pending`. Without a `mailer`
    e-mails are left to a dispatcher that has one."""
    policy = policy or DispatchPolicy()
    result = DispatchResult()
    slots = SendSlots()
    reconcile_interrupted(session, gateway, now, policy=policy, result=result, stop=stop, mailer=mailer)
    while (limit is None or result.handled < limit) and not _stopping(stop):
        size = policy.batch_size if limit is None else min(policy.batch_size, limit - result.handled)
        claimed = _claim_batch(session, now, policy, size, result, _channels(mailer))
        if claimed is None:
            break
        for index, message in enumerate(claimed):
            if _stopping(stop) or not wait_for_send_slot(session, claimed[index:], policy, stop, slots):
                result.released += release_claims(session, claimed[index:])
                break
            began = wall.monotonic()
            _send_claimed(session, gateway, mailer, message, now, policy, result)
            slots.took(wall.monotonic() - began)
    return result


def _channels(mailer: Mailer | None) -> tuple[Channel, ...]:
    return (Channel.SMS, Channel.EMAIL) if mailer is not None else (Channel.SMS,)


def _stopping(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def release_claims(session: Session, messages: list[SmsMessage]) -> int:
    """Hand back rows this dispatcher claimed but never gave to the gateway: `pending` again with the
    attempt the claim counted taken back, so a clean stop costs no try and no ten-minute lookup.
    Returns how many were released."""
    released = 0
    for message in messages:
        _refresh(session, message)
        if message.state == MessageState.SENDING and message.provider_id is None:
            message.state = MessageState.PENDING
            message.attempts -= 1
            released += 1
    session.commit()
    return released


def send_one(
    session: Session,
    gateway: Gateway,
    message_id: int,
    now: datetime,
    *,
    policy: DispatchPolicy | None = None,
    mailer: Mailer | None = None,
) -> SmsMessage | None:
    """Send one pending message at once (a login code must not wait for the next tick). The
    planned message must be committed already; this commits its claim and its outcome."""
    policy = policy or DispatchPolicy()
    query = select(SmsMessage).where(
        SmsMessage.id == message_id,
        SmsMessage.state == MessageState.PENDING,
        SmsMessage.channel.in_(_channels(mailer)),
    )
    if locks_rows(session):
        query = query.with_for_update(skip_locked=True)
    message = session.scalars(query).one_or_none()
    if message is None:
        session.commit()
        return None
    held = _hold_or_cancel(
        message,
        now,
        policy,
        _opted_out(session, [message], policy),
        _quiet_hours(session, [message], policy),
        _segments_left(session, [message], policy, now),
    )
    if held is not None:
        session.commit()
        return message
    _mark_sending(message, now)
    session.commit()
    wait_for_send_slot(session, [message], policy, None, SendSlots())
    _send_claimed(session, gateway, mailer, message, now, policy, DispatchResult())
    return message


# --- The provider's rate. ---

#: The singleton row of `SendWindow`.
WINDOW_ID = 1
#: No send starts in the last 100 ms of the second it was counted in, so that it reaches the
#: provider within that second, not in the next, where it would be one too many. (A process held
#: up for longer between counting and sending can still be late: the margin makes it rare.)
SLOT_MARGIN = 0.1


@dataclass
class SendSlots:
    """Segments this dispatcher has counted in `second` and not yet sent. It counts several at a
    time, as many as it can send before the second ends, rather than one statement per SMS."""

    second: int = -1
    left: int = 0
    #: How long one send takes here, on average: what "as many as it can send" is reckoned by.
    pace: float = 0.01

    def took(self, seconds: float) -> None:
        self.pace = 0.8 * self.pace + 0.2 * seconds


def wait_for_send_slot(
    session: Session,
    messages: list[SmsMessage],
    policy: DispatchPolicy,
    stop: threading.Event | None,
    slots: SendSlots,
) -> bool:
    """Wait until the first of these messages, if an SMS, fits the current second's share of
    `policy.rate_per_second`, counted in the database for every dispatcher together; the rest
    are those to be sent after it. False when asked to stop while waiting.

    Measured by the wall clock, not the app's: it is the provider's seconds that count. No send
    starts in the last `SLOT_MARGIN` of the second it was counted in; what was counted and not
    sent by then is lost to this second, never carried into the next."""
    rate = policy.rate_per_second
    if messages[0].channel != Channel.SMS or not rate:
        return True
    # A message longer than a second's rate goes alone into a second of its own.
    cost = min(messages[0].segments, rate)
    while not _stopping(stop):
        moment = wall.time()
        second = int(moment)
        left_in_second = 1 - SLOT_MARGIN - (moment - second)
        if left_in_second > 0:
            if slots.second != second:
                slots.second, slots.left = second, 0
            if slots.left < cost:
                coming = sum(min(m.segments, rate) for m in messages if m.channel == Channel.SMS)
                wanted = max(cost, min(coming, rate, int(left_in_second / slots.pace)))
                slots.left += _count_in_second(session, second, wanted, cost, rate)
            if slots.left >= cost:
                slots.left -= cost
                return True
        wall.sleep(second + 1 - moment)
    return False


def _count_in_second(session: Session, second: int, wanted: int, least: int, rate: int) -> int:
    """Count up to `wanted` segments in `second`, and at least `least`, as many as fit: how many
    were counted (0: not even `least` fit). Each try is committed at once, so that the row is
    held no longer than its statement. A second already past (another process's clock runs
    ahead) counts nothing."""
    window = SendWindow.__table__.c
    while wanted >= least:
        statement = (
            upsert(session, SendWindow)
            .values(id=WINDOW_ID, second=second, used=wanted)
            .on_conflict_do_update(
                index_elements=[window.id],
                set_={"second": second, "used": case((window.second == second, window.used + wanted), else_=wanted)},
                where=or_(window.second < second, and_(window.second == second, window.used + wanted <= rate)),
            )
            .returning(window.used)
        )
        counted = session.execute(statement).scalar_one_or_none()
        session.commit()
        if counted is not None:
            return wanted
        # Near the second's end: ask for fewer.
        wanted = max(least, wanted // 2) if wanted > least else 0
    return 0


def _claim_batch(
    session: Session,
    now: datetime,
    policy: DispatchPolicy,
    size: int,
    result: DispatchResult,
    channels: tuple[Channel, ...],
) -> list[SmsMessage] | None:
    """Due pending rows, each either claimed (committed as `sending`), held back or cancelled.
    None once nothing is due."""
    query = (
        select(SmsMessage)
        .where(
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.due_at <= now,
            or_(SmsMessage.held_until.is_(None), SmsMessage.held_until <= now),
            SmsMessage.channel.in_(channels),
        )
        .order_by(SmsMessage.due_at, SmsMessage.id)
        .limit(size)
        # The rows as they are now, not as this session last saw them: another process may have
        # released or changed them since.
        .execution_options(populate_existing=True)
    )
    if locks_rows(session):
        # Another dispatcher skips what this one holds instead of waiting for it, and vice versa.
        query = query.with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    if not due:
        session.commit()
        return None
    opted_out = _opted_out(session, due, policy)
    quiet_hours = _quiet_hours(session, due, policy)
    budget = _segments_left(session, due, policy, now)
    claimed = []
    for message in due:
        outcome = _hold_or_cancel(message, now, policy, opted_out, quiet_hours, budget)
        if outcome == "held":
            result.held += 1
        elif outcome == "cancelled":
            result.cancelled += 1
        else:
            _mark_sending(message, now)
            claimed.append(message)
    session.commit()
    return claimed


def _opted_out(session: Session, messages: list[SmsMessage], policy: DispatchPolicy) -> set[int]:
    people = {
        m.person_id
        for m in messages
        if m.person_id is not None and m.channel == Channel.SMS and m.purpose not in ASKED_FOR
    }
    if not people or policy.opted_out is None:
        return set()
    return policy.opted_out(session, people)


def _quiet_hours(session: Session, messages: list[SmsMessage], policy: DispatchPolicy) -> dict[int, QuietHours]:
    regions = {m.region_id for m in messages if m.region_id is not None and not m.urgent}
    if not regions or policy.quiet_hours_of is None:
        return {}
    return policy.quiet_hours_of(session, regions)


def _segments_left(
    session: Session, messages: list[SmsMessage], policy: DispatchPolicy, now: datetime
) -> dict[int, int]:
    """What each region of these SMS may still spend this month; spent down as they are claimed."""
    regions = {m.region_id for m in messages if m.region_id is not None and m.channel == Channel.SMS}
    if not regions or policy.segments_left is None:
        return {}
    return policy.segments_left(session, regions, now)


def essential(message: SmsMessage) -> bool:
    """Login codes and news about tonight: sent even when the region's SMS budget is spent."""
    return message.purpose == Purpose.OTP or (message.urgent and message.purpose in NEWS)


def _hold_or_cancel(
    message: SmsMessage,
    now: datetime,
    policy: DispatchPolicy,
    opted_out: set[int],
    quiet_hours: dict[int, QuietHours],
    budget: dict[int, int],
) -> str | None:
    if message.expires_at is not None and message.expires_at <= now:
        _cancel(message, notes.EXPIRED.text())
        return "cancelled"
    if message.person_id in opted_out and message.channel == Channel.SMS and message.purpose not in ASKED_FOR:
        _cancel(message, notes.OPTED_OUT.text())
        return "cancelled"
    own_hours = quiet_hours.get(message.region_id) if message.region_id is not None else None
    quiet_until = held_by_quiet_hours(message, own_hours or policy.quiet_hours, now)
    if quiet_until is not None:
        message.held_until = quiet_until
        if message.expires_at is not None and message.expires_at <= message.held_until:
            _cancel(message, notes.QUIET_HOURS.text())
            return "cancelled"
        return "held"
    if not _within_budget(message, budget):
        # Until next month, or until it expires, when the dispatcher cancels it; a raised budget
        # lets it go at once (release_budget_holds).
        next_month = month_span(now)[1]
        message.held_until = min(next_month, message.expires_at) if message.expires_at else next_month
        message.last_error = BUDGET_HELD
        return "held"
    return None


def held_by_quiet_hours(message: SmsMessage, quiet: QuietHours, moment: datetime) -> datetime | None:
    """Until when the quiet hours hold the message back if it is to go at `moment`; None when they
    do not (news about tonight, and answers to what the person just did, may wake them)."""
    if message.urgent or not quiet.cover(moment):
        return None
    return quiet.end_after(moment)


def _within_budget(message: SmsMessage, budget: dict[int, int]) -> bool:
    """Whether the message fits what its region may still spend, which it then spends. Essential
    messages always go, and count."""
    if message.channel != Channel.SMS or message.region_id not in budget:
        return True
    left = budget[message.region_id]
    if message.segments > left and not essential(message):
        return False
    budget[message.region_id] = left - message.segments
    if message.last_error == BUDGET_HELD:
        message.last_error = ""
    return True


def release_budget_holds(session: Session, region_id: int) -> None:
    """The region's budget changed: what waited for it is looked at again by the next dispatch."""
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.region_id == region_id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.last_error == BUDGET_HELD,
        )
        .values(held_until=None)
        .execution_options(synchronize_session=False)
    )


def billed_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    """SMS that have cost their segments (or may have), sent (or handed to the provider) in [start, end)."""
    moment = func.coalesce(SmsMessage.sent_at, SmsMessage.claimed_at)
    return and_(
        SmsMessage.channel == Channel.SMS,
        SmsMessage.state.in_(BILLED),
        moment >= start,
        moment < end,
    )


def waiting_before(end: datetime, now: datetime) -> ColumnElement[bool]:
    """SMS planned to go out before `end` and not yet handed to the provider: pending, not past
    their moment, due (or held, by quiet hours or a failed try) until before `end`. Those held for
    the budget wait too, whenever they were due: a raised budget lets them go at once."""
    return and_(
        SmsMessage.channel == Channel.SMS,
        SmsMessage.state == MessageState.PENDING,
        or_(func.coalesce(SmsMessage.held_until, SmsMessage.due_at) < end, SmsMessage.last_error == BUDGET_HELD),
        or_(SmsMessage.expires_at.is_(None), SmsMessage.expires_at > now),
    )


def _cancel(message: SmsMessage, reason: str) -> None:
    message.state = MessageState.CANCELLED
    message.last_error = reason


def _mark_sending(message: SmsMessage, now: datetime) -> None:
    message.state = MessageState.SENDING
    message.claimed_at = now
    message.attempts += 1


def _send_claimed(
    session: Session,
    gateway: Gateway,
    mailer: Mailer | None,
    message: SmsMessage,
    now: datetime,
    policy: DispatchPolicy,
    result,
) -> None:
    try:
        if message.channel == Channel.EMAIL:
            assert mailer is not None and message.email, "only a dispatcher with a mailer claims e-mail"
            sent = mailer.send(message.email, message.subject, message.body)
        else:
            sent = gateway.send(message.to, message.body, reference=str(message.id))
    except OutcomeUnknown as error:
        _refresh(session, message)
        message.error_code = error.code
        if message.channel == Channel.EMAIL:
            _email_unknown(message, str(error))
            result.failed += 1
        else:
            # Left in `sending`: the next dispatch after `stale_after` asks the provider what happened.
            message.last_error = notes.TO_BE_CHECKED.text(error=error)
            result.unknown += 1
    except GatewayError as error:
        _refresh(session, message)
        _record_failure(session, message, error, now, policy, result)
    else:
        _refresh(session, message)
        _record_sent(message, sent, now)
        result.sent += 1
    session.commit()


def _email_unknown(message: SmsMessage, reason: str) -> None:
    """The mail server may have taken it and keeps no record anyone can ask: not sent again."""
    message.state = MessageState.FAILED
    message.last_error = notes.EMAIL_UNKNOWN.text(error=reason)


def _refresh(session: Session, message: SmsMessage) -> None:
    """Re-read the row: a status callback may have reached it while the gateway was busy."""
    session.refresh(message, with_for_update=locks_rows(session) or None)


def _record_sent(message: SmsMessage, sent: Sent, now: datetime) -> None:
    message.provider_id = message.provider_id or sent.provider_id
    if sent.segments:
        message.segments = sent.segments
    message.sent_at = message.sent_at or now
    if RANK.get(message.state, 3) < RANK[MessageState.SENT]:
        message.state = MessageState.SENT
    message.last_error = ""
    message.error_code = None


def _record_failure(
    session: Session, message: SmsMessage, error: GatewayError, now: datetime, policy: DispatchPolicy, result
) -> None:
    message.last_error = str(error)
    message.error_code = error.code
    if error.temporary and message.attempts < policy.max_attempts:
        message.state = MessageState.PENDING
        message.held_until = now + policy.backoff(message.attempts)
        result.retrying += 1
        return
    message.state = MessageState.FAILED
    if error.temporary:
        message.last_error = notes.GAVE_UP.text(attempts=message.attempts, error=error)
    result.failed += 1
    if error.opted_out and policy.on_opted_out is not None:
        policy.on_opted_out(session, message.to, now)


# --- After a crash. ---


def reconcile_interrupted(
    session: Session,
    gateway: Gateway,
    now: datetime,
    *,
    policy: DispatchPolicy | None = None,
    result: DispatchResult | None = None,
    stop: threading.Event | None = None,
    mailer: Mailer | None = None,
) -> DispatchResult:
    """Settle rows left in `sending` for longer than any send can take: the provider's record
    decides. Found there: sent. Provably not there: pending again, or failed once its attempts are
    used up (a send answered with a server error comes here too). The provider cannot tell:
    asked again next time, and after `give_up_after` failed as "outcome unknown", not resent.
    An e-mail has no record to ask for: failed as "outcome unknown" at once.
    Once `stop` is set the rest wait for the next lookup."""
    policy = policy or DispatchPolicy()
    result = result or DispatchResult()
    for message in _claim_orphans(session, now, policy, _channels(mailer)):
        if _stopping(stop):
            break
        if message.channel == Channel.EMAIL:
            _refresh(session, message)
            _email_unknown(message, notes.INTERRUPTED.text())
            session.commit()
            continue
        try:
            since = message.claimed_at or now  # a row in `sending` always has its claim time
            found = gateway.lookup(message.to, message.body, since, _known_provider_ids(session, message))
        except GatewayError as error:
            _refresh(session, message)
            _unresolved(message, error, now, policy)
        else:
            _refresh(session, message)
            if message.state != MessageState.SENDING:
                pass  # a status callback settled it meanwhile
            elif found is not None:
                _record_sent(message, found, now)
                result.reconciled += 1
            elif message.attempts < policy.max_attempts:
                message.state = MessageState.PENDING
                message.last_error = notes.RESENT.text()
                result.resent += 1
            else:
                message.state = MessageState.FAILED
                message.last_error = notes.NEVER_ARRIVED.text(attempts=message.attempts)
        session.commit()
    return result


def _claim_orphans(
    session: Session, now: datetime, policy: DispatchPolicy, channels: tuple[Channel, ...]
) -> list[SmsMessage]:
    """Orphaned `sending` rows, re-stamped (and committed) so another dispatcher leaves them be."""
    query = (
        select(SmsMessage)
        .where(
            SmsMessage.state == MessageState.SENDING,
            SmsMessage.channel.in_(channels),
            SmsMessage.provider_id.is_(None),
            SmsMessage.claimed_at <= now - policy.stale_after,
            or_(SmsMessage.checked_at.is_(None), SmsMessage.checked_at <= now - policy.stale_after),
        )
        .order_by(SmsMessage.claimed_at)
        .limit(policy.batch_size)
    )
    if locks_rows(session):
        query = query.with_for_update(skip_locked=True)
    orphans = list(session.scalars(query))
    for message in orphans:
        # `claimed_at` stays: the lookup searches the provider's records from the claim on.
        message.last_error = message.last_error or notes.INTERRUPTED.text()
        message.checked_at = now
    session.commit()
    return orphans


def _known_provider_ids(session: Session, message: SmsMessage) -> set[str]:
    rows = session.scalars(
        select(SmsMessage.provider_id).where(
            SmsMessage.to == message.to, SmsMessage.provider_id.is_not(None), SmsMessage.id != message.id
        )
    )
    return {provider_id for provider_id in rows if provider_id}


def _unresolved(message: SmsMessage, error: GatewayError, now: datetime, policy: DispatchPolicy) -> None:
    if (message.claimed_at or now) <= now - policy.give_up_after or not error.temporary:
        message.state = MessageState.FAILED
        message.last_error = notes.UNKNOWN.text(error=error)
    else:
        message.last_error = notes.NOT_CHECKED_YET.text(error=error)


def policy_from_config(config, **hooks) -> DispatchPolicy:
    return DispatchPolicy(
        quiet_from=time.fromisoformat(config.get("SMS_QUIET_FROM") or "21:00"),
        quiet_until=time.fromisoformat(config.get("SMS_QUIET_UNTIL") or "08:00"),
        max_attempts=int(config.get("SMS_MAX_ATTEMPTS") or 5),
        rate_per_second=rate_per_second(config),
        **hooks,
    )


def rate_per_second(config) -> int:
    """`SMS_RATE_PER_SECOND`, or what the configured sender is sure to manage: one segment a second
    for a number (a long code), ten for a Messaging Service. The console sends to the log, unpaced."""
    configured = config.get("SMS_RATE_PER_SECOND")
    if configured is not None:
        return int(configured)
    if (config.get("SMS_GATEWAY") or "console").lower() != "twilio":
        return 0
    return 10 if config.get("TWILIO_MESSAGING_SERVICE_SID") else 1
