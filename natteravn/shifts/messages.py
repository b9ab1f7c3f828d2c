"""The SMS a night's sign-ups cause, planned into the outbox in the caller's transaction.

Texts are written to fit one SMS segment (160 GSM-7 characters) in nb, nn and en for routes and
meeting points of ordinary length: no en dash, no emoji, dates as 20.11.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.clock import at_local, local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, SignupState
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.segments import count_segments

#: What signing up plans ahead; moving a night plans these again.
PLANNED = (Purpose.SIGNUP_CONFIRMATION, Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY, Purpose.REPORT_REQUEST)


#: A message about a night this close may go out in quiet hours: it is about tonight.
TONIGHT = timedelta(hours=12)


def _about_tonight(shift: Shift, now: datetime) -> bool:
    return shift.starts_at - now < TONIGHT


def zone(shift: Shift) -> ZoneInfo:
    return ZoneInfo(shift.term.region.timezone)


def night_words(shift: Shift) -> dict[str, str]:
    start = local(shift.starts_at, zone(shift))
    return {
        "route": shift.route.name,
        "date": start.strftime("%d.%m"),
        "time": start.strftime("%H:%M"),
        "end": local(shift.ends_at, zone(shift)).strftime("%H:%M"),
        "place": shift.route.meeting_point,
    }


# --- Texts. Each takes the recipient's gettext, so tests can read them in any language. ---


def confirmation_text(_, words: dict, role: SignupRole) -> str:
    if role == SignupRole.LEADER:
        return _("Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s") % words
    return _("Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. Details: %(link)s") % words


def waitlisted_text(_, words: dict) -> str:
    return (
        _("Natteravn: %(route)s on %(date)s is full. You are on the waitlist and get an SMS if a place frees up.")
        % words
    )


def reminder_before_text(_, words: dict) -> str:
    return (
        _(
            "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
            "Reply JA to confirm or NEI if you cannot come."
        )
        % words
    )


def reminder_day_text(_, words: dict, role: SignupRole, leader: str | None) -> str:
    if role == SignupRole.LEADER:
        return _("Natteravn tonight: you lead %(route)s at %(time)s, meet at %(place)s. Who walks: %(link)s") % words
    return _(
        "Natteravn tonight: %(route)s at %(time)s, meet at %(place)s. Group leader: %(leader)s. "
        "Reply NEI if you cannot come."
    ) % {**words, "leader": leader or _("no leader yet")}


def report_request_text(_, words: dict) -> str:
    return _("Natteravn: thank you for leading %(route)s last night. Please write the night's report: %(link)s") % words


def call_text(_, words: dict, role: SignupRole) -> str:
    if role == SignupRole.LEADER:
        return (
            _(
                "Natteravn: %(route)s on %(date)s at %(time)s needs a group leader. Can you lead? "
                "Reply JA to take it. %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: %(route)s on %(date)s at %(time)s needs a walker. Can you come? "
            "Reply JA to take the place. %(link)s"
        )
        % words
    )


def standin_call_text(_, words: dict) -> str:
    return (
        _(
            "Natteravn: %(route)s on %(date)s at %(time)s needs a stand-in for one walker. "
            "Reply JA to take the place. %(link)s"
        )
        % words
    )


def standin_found_text(_, words: dict) -> str:
    return _("Natteravn: %(name)s takes your place on %(route)s on %(date)s. You are off the night. Thank you!") % words


def moved_text(_, words: dict) -> str:
    return (
        _(
            "Natteravn: %(route)s on %(old)s is moved to %(date)s at %(time)s-%(end)s. "
            "Reply NEI if you cannot come then."
        )
        % words
    )


def cancelled_text(_, words: dict) -> str:
    text = _("Natteravn: %(route)s on %(date)s at %(time)s is cancelled.") % words
    return f"{text} {words['reason']}".strip()


def dropout_text(_, words: dict) -> str:
    return (
        _("Natteravn: %(name)s cannot come to %(route)s on %(date)s at %(time)s. The night now has %(count)d walkers.")
        % words
    )


# --- Planning. ---


def plan_once(
    session: Session,
    signup: Signup | None,
    *,
    key: str,
    body: str,
    purpose: Purpose,
    now: datetime,
    person: Person | None = None,
    shift: Shift | None = None,
    due_at: datetime | None = None,
    urgent: bool = False,
    expires_at: datetime | None = None,
) -> SmsMessage | None:
    """Enqueue a message unless one with the same key was planned before (a double tap, a job
    run twice); the unique key in the table settles races between processes."""
    if session.scalar(select(SmsMessage.id).where(SmsMessage.dedupe_key == key)) is not None:
        return None
    if signup is not None:
        person, shift = person or signup.person, shift or signup.shift
    assert person is not None and shift is not None, "a message is to a person, about a night"
    return sms.enqueue(
        session,
        to=person.phone,
        body=body,
        purpose=purpose,
        now=now,
        due_at=due_at,
        person_id=person.id,
        signup_id=signup.id if signup else None,
        shift_id=shift.id,
        urgent=urgent,
        expires_at=expires_at,
        dedupe_key=key,
        email=person.mail_to,
        locale=person.locale,
        region_id=shift.term.region_id,
    )


def plan_news(
    session: Session,
    signup: Signup | None,
    *,
    key: str,
    body: str,
    purpose: Purpose,
    now: datetime,
    person: Person | None = None,
    shift: Shift | None = None,
    until: datetime | None = None,
) -> SmsMessage | None:
    """News about a coming night: sent in quiet hours too when the night is tonight, and dropped
    unsent once the night starts (or `until`), when it is no longer news."""
    if signup is not None:
        shift = shift or signup.shift
    assert shift is not None, "news is about a night"
    return plan_once(
        session,
        signup,
        key=key,
        body=body,
        purpose=purpose,
        now=now,
        person=person,
        shift=shift,
        urgent=_about_tonight(shift, now),
        expires_at=until or shift.starts_at,
    )


def signed_up(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """A person took a place (or joined the waitlist): tell them, and plan the reminders."""
    _ = translations(signup.person.locale).gettext
    shift = signup.shift
    words = {**night_words(shift), "link": links.night(shift.id)}
    if signup.state == SignupState.WAITLISTED:
        plan_once(
            session,
            signup,
            key=f"waitlisted:{signup.id}",
            body=waitlisted_text(_, words),
            purpose=Purpose.SIGNUP_CONFIRMATION,
            now=now,
            urgent=True,
            expires_at=shift.starts_at,
        )
        return
    plan_once(
        session,
        signup,
        key=f"signup_confirmation:{signup.id}",
        body=confirmation_text(_, words, signup.role),
        purpose=Purpose.SIGNUP_CONFIRMATION,
        now=now,
        urgent=True,  # the answer to what the person just did
        expires_at=shift.starts_at,
    )
    plan_reminders(session, signup, now, links)
    if signup.role == SignupRole.LEADER:
        refresh_day_reminders(session, shift)


def reminder_times(shift: Shift) -> dict[Purpose, datetime]:
    """When each reminder is due, on the region's local calendar (so 18:00 stays 18:00 across
    a daylight-saving change)."""
    region = shift.term.region
    tz = zone(shift)
    day = local(shift.starts_at, tz).date()
    days_before = timedelta(days=region.reminder_before_days)
    morning_after = at_local(day + timedelta(days=1), region.report_request_at, tz)
    return {
        Purpose.REMINDER_BEFORE: at_local(day - days_before, region.reminder_before_at, tz),
        Purpose.REMINDER_DAY: at_local(day, region.reminder_day_at, tz),
        Purpose.REPORT_REQUEST: max(morning_after, shift.ends_at),
    }


def plan_reminders(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """The reminders still ahead of us; one whose moment has passed (signing up on the day) is
    left out rather than sent late."""
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    words = {**night_words(shift), "link": links.night(shift.id)}
    due = reminder_times(shift)
    texts = {
        Purpose.REMINDER_BEFORE: reminder_before_text(_, words),
        Purpose.REMINDER_DAY: reminder_day_text(_, words, signup.role, leader_first_name(session, shift, signup)),
    }
    if signup.role == SignupRole.LEADER:
        texts[Purpose.REPORT_REQUEST] = report_request_text(
            _, {**words, "link": links.report(shift.id, signup.person_id)}
        )
    for purpose, body in texts.items():
        is_reminder = purpose != Purpose.REPORT_REQUEST
        if due[purpose] <= now or (is_reminder and due[purpose] >= shift.starts_at):
            continue
        plan_once(
            session,
            signup,
            # The night's start in the key: a moved night gets its reminders again.
            key=f"{purpose.value}:{signup.id}:{int(shift.starts_at.timestamp())}",
            body=body,
            purpose=purpose,
            now=now,
            due_at=due[purpose],
            expires_at=shift.starts_at if is_reminder else None,
        )


def leader_first_name(session: Session, shift: Shift, reader: Signup) -> str | None:
    leader = session.scalar(
        select(Signup)
        .where(
            Signup.shift_id == shift.id,
            Signup.role == SignupRole.LEADER,
            Signup.state.in_(HOLDING),
            Signup.id != reader.id,
        )
        .order_by(Signup.created_at, Signup.id)
        .limit(1)
    )
    return leader.person.first_name if leader else None


def refresh_day_reminders(session: Session, shift: Shift) -> None:
    """The day's reminders name the group leader: write them again when the leader changes."""
    rows = session.execute(
        select(SmsMessage.id, Signup)
        .join(Signup, SmsMessage.signup_id == Signup.id)
        .where(
            SmsMessage.shift_id == shift.id,
            SmsMessage.purpose == Purpose.REMINDER_DAY,
            SmsMessage.state == MessageState.PENDING,
            Signup.role == SignupRole.WALKER,
        )
    ).all()
    for message_id, signup in rows:
        _ = translations(signup.person.locale).gettext
        body = reminder_day_text(_, night_words(shift), signup.role, leader_first_name(session, shift, signup))
        encoding, segments = count_segments(body)
        # Only a message still pending: one the dispatcher has claimed keeps the text it was sent with.
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message_id, SmsMessage.state == MessageState.PENDING)
            .values(body=body, encoding=encoding, segments=segments)
            .execution_options(synchronize_session=False)
        )


def cancel_pending(
    session: Session,
    *,
    reason: str,
    signup_id: int | None = None,
    shift_id: int | None = None,
    purposes: tuple[Purpose, ...] | None = None,
    release_keys: bool = False,
) -> None:
    """Nothing planned that lost its point is sent. `release_keys` frees the dedupe keys of
    messages that are planned again (a moved night)."""
    query = update(SmsMessage).where(SmsMessage.state == MessageState.PENDING)
    if signup_id is not None:
        query = query.where(SmsMessage.signup_id == signup_id)
    if shift_id is not None:
        query = query.where(SmsMessage.shift_id == shift_id)
    if purposes is not None:
        query = query.where(SmsMessage.purpose.in_(purposes))
    values: dict[str, object] = {"state": MessageState.CANCELLED, "last_error": reason}
    if release_keys:
        values["dedupe_key"] = None
    session.execute(query.values(**values).execution_options(synchronize_session=False))


def withdrawn(session: Session, signup: Signup, now: datetime) -> None:
    """Nothing still planned for a sign-up that ended is sent."""
    cancel_pending(session, signup_id=signup.id, reason="sign-up cancelled")
    if signup.role == SignupRole.LEADER:
        refresh_day_reminders(session, signup.shift)


def offered(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    assert signup.offer_expires_at is not None, "an offer has a deadline"
    person = signup.person
    _ = translations(person.locale).gettext
    words = night_words(signup.shift)
    words["expires"] = local(signup.offer_expires_at).strftime("%d.%m %H:%M")
    sms.enqueue(
        session,
        to=person.phone,
        body=_("A place is free on %(route)s %(date)s at %(time)s. Tap to take it before %(expires)s: %(link)s")
        % {**words, "link": links.offer(signup.id)},
        purpose=Purpose.WAITLIST_PROMOTED,
        now=now,
        person_id=person.id,
        signup_id=signup.id,
        shift_id=signup.shift_id,
        urgent=True,
        expires_at=signup.offer_expires_at,
        dedupe_key=f"offer:{signup.id}:{int(signup.offer_expires_at.timestamp())}",
        email=person.mail_to,
        locale=person.locale,
        region_id=signup.shift.term.region_id,
    )
