"""A person's own data: a copy to download, and deletion on request.

Deletion scrubs the person row instead of removing it: the nights they walked and the
reports they wrote keep counting in the statistics (attendance, no-show rate, walker-hours),
but nothing left can tell who it was. Their phone number is freed, so the same number starts
afresh as a new person. This reaches into shifts, SMS and reports on purpose: it is the one
place that knows everything a person left behind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import LoginCode, Person, RateEvent
from natteravn.audit import service as audit
from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.i18n import N_
from natteravn.links import Links
from natteravn.places.models import Route
from natteravn.reports.models import ShiftReport
from natteravn.roster.autofill.models import Availability, DraftAssignment, RosterLock
from natteravn.shifts.models import LIVE, NightChoice, Shift, Signup
from natteravn.shifts.service import withdraw
from natteravn.sms import notes
from natteravn.sms.models import InboundSms, MessageState, Purpose, SmsMessage

#: What the audit log says about a person's own data.
AUDIT = audit.Vocabulary(
    actions={
        "person.exported": N_("Downloaded their own data"),
        "person.deleted": N_("Deleted their profile"),
    }
)


def _when(moment: datetime | None) -> str | None:
    return local(moment).isoformat() if moment else None


def export(session: Session, person: Person, now: datetime) -> dict:
    """Everything stored about the person, as plain JSON-ready data."""
    audit.record(
        session, actor_id=person.id, action="person.exported", object_type="person", object_id=person.id, now=now
    )
    return {
        "exported_at": _when(now),
        "profile": {
            "phone": person.phone,
            "email": person.email,
            "messages_by": person.channel.value,
            "name": person.name,
            "language": person.locale,
            "municipality": person.municipality.name if person.municipality else None,
            "school_classes": sorted(c.label for c in person.school_classes),
            "adult_confirmed_at": _when(person.adult_confirmed_at),
            "conduct_accepted_at": _when(person.conduct_accepted_at),
            "approved_at": _when(person.approved_at),
            "sms_opted_out_at": _when(person.sms_opted_out_at),
            "created_at": _when(person.created_at),
            "roles": [{"role": r.kind.value, "region": r.region.name if r.region else None} for r in person.roles],
        },
        "nights": _nights(session, person),
        "reports_written": _reports(session, person),
        "availability": [
            {
                "term": a.term.name,
                "weekdays": a.weekdays,
                "dates": a.dates,
                "cannot": a.blocked_dates,
                "max_nights": a.max_nights,
                "can_lead": a.wants_to_lead,
                "same_weekend_ok": a.same_weekend_ok,
                "partner_phone": a.partner_phone,
            }
            for a in session.scalars(select(Availability).where(Availability.person_id == person.id))
        ],
        "sms_sent_to_you": _sms(session, person),
        "sms_from_you": [
            {"received_at": _when(m.received_at), "text": m.body}
            for m in session.scalars(
                select(InboundSms).where(or_(InboundSms.person_id == person.id, InboundSms.sender == person.phone))
            )
        ],
        "your_actions": [
            {"at": _when(e.at), "action": e.action, "object": e.object_type}
            for e in session.scalars(select(AuditEvent).where(AuditEvent.actor_id == person.id).order_by(AuditEvent.at))
        ],
    }


def _nights(session: Session, person: Person) -> list[dict]:
    signups = session.scalars(
        select(Signup)
        .where(Signup.person_id == person.id)
        .options(joinedload(Signup.shift).joinedload(Shift.route).joinedload(Route.municipality))
        .order_by(Signup.created_at)
    )
    return [
        {
            "starts_at": _when(s.shift.starts_at),
            "route": s.shift.route.name,
            "municipality": s.shift.route.municipality.name,
            "role": s.role.value,
            "state": s.state.value,
            "signed_up_at": _when(s.created_at),
        }
        for s in signups
    ]


def _reports(session: Session, person: Person) -> list[dict]:
    """Which reports they wrote; what the reports say is about others and stays out."""
    return [
        {"night": r.night_on.isoformat(), "state": r.state.value, "submitted_at": _when(r.submitted_at)}
        for r in session.scalars(select(ShiftReport).where(ShiftReport.leader_id == person.id))
    ]


def _sms(session: Session, person: Person) -> list[dict]:
    messages = session.scalars(select(SmsMessage).where(SmsMessage.person_id == person.id).order_by(SmsMessage.id))
    return [
        {
            "created_at": _when(m.created_at),
            "purpose": m.purpose.value,
            "state": m.state.value,
            # A login code is a key, not information about the person.
            "text": "" if m.purpose == Purpose.OTP else m.body,
        }
        for m in messages
    ]


def delete_person(session: Session, person: Person, now: datetime, links: Links) -> None:
    """Take the person off coming nights, then scrub them (see the module's note). Logs them
    out of every session and revokes their calendar feed."""
    phone = person.phone
    coming = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(Signup.person_id == person.id, Signup.state.in_(LIVE), Shift.starts_at > now)
    ).all()
    for signup in coming:
        withdraw(session, signup, now, links)
    session.execute(delete(LoginCode).where(LoginCode.phone == phone))
    session.execute(delete(NightChoice).where(NightChoice.person_id == person.id))
    session.execute(delete(RateEvent).where(RateEvent.key.like(f"%:phone:{phone}")))
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.person_id == person.id, SmsMessage.state == MessageState.PENDING)
        .values(state=MessageState.CANCELLED, last_error=notes.PERSON_DELETED.text())
    )
    session.execute(
        update(SmsMessage)
        .where(or_(SmsMessage.person_id == person.id, SmsMessage.to == phone))
        .values(to="", email=None, body="")
    )
    session.execute(
        update(InboundSms)
        .where(or_(InboundSms.person_id == person.id, InboundSms.sender == phone))
        .values(sender="", body="", answer="")
    )
    _forget_availability(session, person)
    _scrub(person, now)
    audit.record(session, actor_id=None, action="person.deleted", object_type="person", object_id=person.id, now=now)
    session.flush()


def _forget_availability(session: Session, person: Person) -> None:
    """What they said they could do, and any auto-fill draft or pin that names them."""
    session.execute(delete(Availability).where(Availability.person_id == person.id))
    session.execute(update(Availability).where(Availability.partner_phone == person.phone).values(partner_phone=None))
    session.execute(delete(DraftAssignment).where(DraftAssignment.person_id == person.id))
    session.execute(delete(RosterLock).where(RosterLock.person_id == person.id))


def _scrub(person: Person, now: datetime) -> None:
    person.phone = f"deleted:{person.id}"
    person.email = ""
    person.name = ""
    person.municipality_id = None
    person.school_classes.clear()
    person.adult_confirmed_at = None
    person.conduct_accepted_at = None
    person.conduct_version = None
    person.approved_at = None
    person.sms_opted_out_at = now
    person.active = False
    person.roles.clear()
    person.session_version += 1
    person.calendar_version += 1
