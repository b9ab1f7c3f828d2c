"""Who may open a night's logbook and report, and change it: the night's leaders and the region's
coordinators; the leader until the correction window closes. Every read is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person, RoleKind
from natteravn.audit import service as audit
from natteravn.clock import local
from natteravn.i18n import N_, Refusal
from natteravn.reports.models import ReportState, ShiftReport
from natteravn.reports.reminders import LAST_REMINDER_AFTER
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole
from natteravn.shifts.service import logbook_opens_at

#: How long a leader has to open the link in the last reminder about a night: one that comes on a
#: Monday still works the weekend after.
TIME_TO_OPEN = timedelta(days=7)
#: How long after the night its report link still logs the leader in: every reminder about the
#: night carries a link that works, and the last one still does a week on. After that the leader
#: logs in and writes the report from My nights.
REPORT_LINK_VALID_AFTER = LAST_REMINDER_AFTER + TIME_TO_OPEN
#: How long after submitting the leader may still correct the report; after that, the coordinator.
CORRECTION_WINDOW = timedelta(hours=48)


#: What the audit log says about reading reports.
AUDIT = audit.Vocabulary(
    actions={"report.read": N_("Read the report of night %(shift)s")},
    objects={"shift_report": N_("Report")},
)


class ReportRefused(Refusal):
    pass


def coordinates(person: Person, region_id: int) -> bool:
    return person.holds(RoleKind.COORDINATOR, region_id)


def leads(session: Session, person_id: int, shift_id: int) -> bool:
    """The person is (or was, if the logbook says they did not come) a group leader of the night."""
    return bool(
        session.scalar(
            select(func.count()).where(
                Signup.shift_id == shift_id,
                Signup.person_id == person_id,
                Signup.role == SignupRole.LEADER,
                Signup.state.in_(HOLDING),
            )
        )
    )


def night_for(session: Session, person: Person, shift_id: int, now: datetime, *, by_link: bool = False) -> Shift | None:
    """The night whose logbook and report the person may open, or None when they may not see it
    at all: its leaders and the region's coordinators, from just before the night (before that
    this refuses, saying when: `logbook_opens_at`). Someone let in `by_link` (a report SMS) comes as the night's
    leader only: a forwarded SMS must not carry a coordinator's powers."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.cancelled_at is not None or not person.active:
        return None
    coordinator = coordinates(person, shift.term.region_id) and not by_link
    if not (coordinator or leads(session, person.id, shift.id)):
        return None
    opens = logbook_opens_at(shift)
    if now < opens:
        raise ReportRefused(
            N_("The logbook and report open half an hour before the night starts, %(when)s."),
            when=local(opens).strftime("%d.%m %H:%M"),
        )
    return shift


def report_of(session: Session, shift: Shift) -> ShiftReport | None:
    return session.scalar(select(ShiftReport).where(ShiftReport.shift_id == shift.id))


def led_nights_reports(session: Session, person_id: int) -> dict[int, ReportState]:
    """The report of each night the person is a group leader of, by night, as far as one exists: a
    night without a report is not in it. One statement however many nights they led (My nights)."""
    rows = session.execute(
        select(ShiftReport.shift_id, ShiftReport.state)
        .join(Signup, Signup.shift_id == ShiftReport.shift_id)
        .where(Signup.person_id == person_id, Signup.role == SignupRole.LEADER, Signup.state.in_(HOLDING))
    )
    return {shift_id: state for shift_id, state in rows}


def read_report(session: Session, person: Person, shift: Shift, now: datetime) -> ShiftReport | None:
    """The night's report as shown to someone `night_for` let in; the read is audited."""
    report = report_of(session, shift)
    if report is not None:
        audit.record(
            session,
            actor_id=person.id,
            action="report.read",
            object_type="shift_report",
            object_id=report.id,
            now=now,
            region_id=report.region_id,
            shift_id=report.shift_id,
        )
    return report


def may_change(person: Person, report: ShiftReport | None, now: datetime, *, by_link: bool = False) -> bool:
    if report is None:
        return True
    if report.purged_at is not None:
        return False
    if coordinates(person, report.region_id) and not by_link:
        return True
    deadline = correction_deadline(report)
    return report.state == ReportState.DRAFT or (deadline is not None and now <= deadline)


def correction_deadline(report: ShiftReport) -> datetime | None:
    return report.submitted_at + CORRECTION_WINDOW if report.submitted_at else None


def check_may_change(person: Person, report: ShiftReport | None, now: datetime, *, by_link: bool = False) -> None:
    if report is not None and report.purged_at is not None:
        raise ReportRefused(N_("This report is past its retention period; its text has been erased."))
    if not may_change(person, report, now, by_link=by_link):
        raise ReportRefused(N_("The 48 hours for corrections have passed. Ask your coordinator to change the report."))


def _night_and_person(token_value) -> tuple[int, int] | None:
    """The [night, leader] ids a report link carries, or None for a value of any other shape."""
    if not (isinstance(token_value, list) and len(token_value) == 2 and all(isinstance(v, int) for v in token_value)):
        return None
    return token_value[0], token_value[1]


def person_named_by_link(session: Session, token_value) -> Person | None:
    """Whom a report link was made for, working or not: a page about a dead link speaks their language."""
    ids = _night_and_person(token_value)
    return session.get(Person, ids[1]) if ids else None


def person_for_link(session: Session, token_value, now: datetime) -> tuple[Person, Shift] | None:
    """The leader and night a report link was made for, while they still lead it, until the link's
    days are over. Before the night it lets them in too: the pages then say when they open."""
    ids = _night_and_person(token_value)
    if ids is None:
        return None
    shift_id, person_id = ids
    person = session.get(Person, person_id)
    shift = session.get(Shift, shift_id)
    if person is None or shift is None or not person.active or shift.cancelled_at is not None:
        return None
    if not leads(session, person.id, shift.id) or now > shift.ends_at + REPORT_LINK_VALID_AFTER:
        return None
    return person, shift
