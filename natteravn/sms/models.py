"""The outbox: every message the service will send or has sent (by SMS, or by e-mail to those who
chose it), and every SMS it received."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from natteravn.db import Base, UTCDateTime


class Purpose(enum.StrEnum):
    OTP = "otp"
    SIGNUP_CONFIRMATION = "signup_confirmation"
    WAITLISTED = "waitlisted"  # the answer to a sign-up for a full night
    REMINDER_BEFORE = "reminder_before"
    REMINDER_DAY = "reminder_day"
    WAITLIST_PROMOTED = "waitlist_promoted"
    REPORT_REQUEST = "report_request"
    ROSTER_PUBLISHED = "roster_published"
    CLASS_INVITATION = "class_invitation"  # a school class's parents asked to walk its weekend
    CALL_FOR_WALKERS = "call_for_walkers"
    SHIFT_CHANGED = "shift_changed"
    SHIFT_CANCELLED = "shift_cancelled"
    STANDIN_FOUND = "standin_found"
    INVITATION = "invitation"
    APPROVED = "approved"  # the coordinator let someone who joined by themselves walk
    COORDINATOR = "coordinator"  # someone made coordinator told where to log in
    OFFER_EXPIRED = "offer_expired"
    REPLY = "reply"
    TEST = "test"
    BROADCAST = "broadcast"  # the coordinator's own words to a night, a municipality or the region
    AVAILABILITY_REQUEST = "availability_request"  # volunteers asked when they can walk in a term


class Channel(enum.StrEnum):
    """How a message reaches its person: the one they chose on their profile."""

    SMS = "sms"
    EMAIL = "email"


#: What a person asked for this minute: reaches them in quiet hours, and even after STOP.
ASKED_FOR = (Purpose.OTP, Purpose.REPLY, Purpose.TEST)


class MessageState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    CANCELLED = "cancelled"


#: The note on a message waiting because its region has spent this month's SMS budget.
BUDGET_HELD = "waiting: the region's SMS budget for this month is used up"


class SmsMessage(Base):
    __tablename__ = "sms_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(20))  # E.164: the person's number, whichever the channel
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=10), default=Channel.SMS, server_default=Channel.SMS.name
    )
    email: Mapped[str | None] = mapped_column(String(254))  # the address, when the channel is e-mail
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")  # an e-mail's subject line
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[Purpose] = mapped_column(Enum(Purpose, native_enum=False, length=30))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signup.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    # Sent on behalf of this region, whose quiet hours it keeps and whose SMS budget it spends (set
    # when planned, so sending needs no feature's tables); none (a login code): the global hours.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Not before this moment: the end of quiet hours, or the next try after a temporary failure.
    # `due_at` stays the planned moment, so the delay a message suffered can be measured.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After this moment the message has lost its point (the night has begun) and is cancelled.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # May be sent in quiet hours: decided when planned, by `sms.quiet.may_wake`.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[MessageState] = mapped_column(
        Enum(MessageState, native_enum=False, length=20), default=MessageState.PENDING
    )
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[int | None] = mapped_column(Integer)  # the provider's, e.g. 21610
    segments: Mapped[int] = mapped_column(Integer, default=1)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    # Guards against planning the same message twice (e.g. "reminder_day:signup:42").
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a row left in `sending` was last looked up at the provider (see sms.service).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sms_message_state_due", "state", "due_at"),)

    @property
    def held_by_budget(self) -> bool:
        return self.state == MessageState.PENDING and self.last_error == BUDGET_HELD


class InboundSms(Base):
    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(String(20), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SendWindow(Base):
    """The SMS segments handed to the provider in one second, by every dispatcher together: one
    row, which keeps all scheduler processes within the provider's rate (`SMS_RATE_PER_SECOND`)."""

    __tablename__ = "sms_send_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    second: Mapped[int] = mapped_column(BigInteger)  # Unix time, whole seconds
    used: Mapped[int] = mapped_column(Integer)  # segments counted in that second
