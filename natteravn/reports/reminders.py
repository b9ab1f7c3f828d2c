"""Reports that are late: the nights without one, for the coordinator, and one SMS to the night's
leader when it is a day late."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from natteravn.accounts.models import Person, Scope
from natteravn.clock import local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.places.models import Route
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, SignupState, Term
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage
from natteravn.sms.quiet import after_quiet_hours

#: A night without a submitted report this long after it ended is missing.
MISSING_AFTER = timedelta(hours=24)
#: Older nights are not chased by SMS (the coordinator still sees them as missing).
REMIND_WITHIN = timedelta(days=14)
#: The last moment after a night's end that a reminder about it may go out: one planned on the last
#: day may wait out that night's quiet hours; one held back longer (a spent SMS budget) is dropped
#: rather than sent late. The report link outlasts it (see reports.access).
LAST_REMINDER_AFTER = MISSING_AFTER + REMIND_WITHIN + timedelta(days=1)


def _without_submitted_report():
    return ~exists().where(ShiftReport.shift_id == Shift.id, ShiftReport.state == ReportState.SUBMITTED)


def _walked():
    """Someone held a place: a night nobody was on was not walked and has no report to miss."""
    return exists().where(Signup.shift_id == Shift.id, Signup.state.in_(HOLDING))


def missing_reports(session: Session, scope: Scope, now: datetime, *, limit: int = 200) -> list[Shift]:
    """The coordinator's nights that ended more than a day ago and still have no submitted report,
    latest first."""
    return list(
        session.scalars(
            select(Shift)
            .join(Shift.term)
            .join(Shift.route)
            .where(
                scope.where(Term.region_id, Route.municipality_id),
                Term.published_at.is_not(None),
                Shift.cancelled_at.is_(None),
                Shift.ends_at <= now - MISSING_AFTER,
                _walked(),
                _without_submitted_report(),
            )
            .options(joinedload(Shift.route).joinedload(Route.municipality))
            .order_by(Shift.starts_at.desc())
            .limit(limit)
        )
    )


def remind_missing_reports(session: Session, now: datetime, links: Links) -> int:
    """One SMS per night to its leader when the report is a day late. The dedupe key makes
    running this every few minutes, in several processes, send it once."""
    rows = session.execute(
        select(Shift, Signup)
        .join(Shift.term)
        .join(Signup, and_(Signup.shift_id == Shift.id, Signup.role == SignupRole.LEADER))
        .where(
            Term.published_at.is_not(None),
            Shift.cancelled_at.is_(None),
            Shift.ends_at <= now - MISSING_AFTER,
            Shift.ends_at > now - MISSING_AFTER - REMIND_WITHIN,
            Signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED, SignupState.ATTENDED)),
            _without_submitted_report(),
        )
        .order_by(Shift.id, Signup.created_at, Signup.id)
    ).all()
    sent = 0
    for shift, signup in rows:
        key = f"report_missing:{shift.id}"
        if session.scalar(select(func.count()).where(SmsMessage.dedupe_key == key)):
            continue
        leader = signup.person
        if not leader.active:
            continue
        try:
            with session.begin_nested():
                _remind(session, shift, leader, key, now, links)
        except IntegrityError:  # another scheduler process planned it a moment ago
            continue
        sent += 1
    return sent


def _remind(session: Session, shift: Shift, leader: Person, key: str, now: datetime, links: Links) -> None:
    region = shift.term.region
    _ = translations(leader.locale).gettext
    sms.enqueue(
        session,
        to=leader.phone,
        body=_("The report for %(route)s on %(date)s is missing. Please file it here: %(link)s")
        % {
            "route": shift.route.name,
            "date": local(shift.starts_at).strftime("%d.%m"),
            "link": links.report(shift.id, leader.id),
        },
        purpose=Purpose.REPORT_REQUEST,
        now=now,
        due_at=after_quiet_hours(now, region.quiet_from, region.quiet_until),
        person_id=leader.id,
        shift_id=shift.id,
        region_id=region.id,
        expires_at=shift.ends_at + LAST_REMINDER_AFTER,
        dedupe_key=key,
        email=leader.mail_to,
        locale=leader.locale,
    )
