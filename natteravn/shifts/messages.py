"""The SMS a night's sign-ups cause, planned into the outbox in the caller's transaction.

Texts are written to fit one SMS segment (160 GSM-7 characters) in nb, nn and en for routes and
meeting points of ordinary length: no en dash, no emoji, dates as 20.11.

Someone who chose e-mail cannot answer JA or NEI: their texts are worded `by_email`, pointing to the
night's page instead, and are chosen when planned by the channel the person has then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from natteravn.accounts.models import Person
from natteravn.clock import at_local, local
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.places import service as places
from natteravn.shifts.models import HOLDING, Shift, Signup, SignupRole, SignupState
from natteravn.sms import notes
from natteravn.sms import service as sms
from natteravn.sms.mail import subject_for
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from natteravn.sms.quiet import may_wake

#: What signing up plans ahead; moving a night plans these again.
PLANNED = (
    Purpose.SIGNUP_CONFIRMATION,
    Purpose.WAITLISTED,
    Purpose.REMINDER_BEFORE,
    Purpose.REMINDER_DAY,
    Purpose.REPORT_REQUEST,
)
#: The reminders of a night a person holds, planned ahead of it; STOP cancels them, START brings back
#: those still ahead.
REMINDERS = (Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY, Purpose.REPORT_REQUEST)


def zone(shift: Shift) -> ZoneInfo:
    return ZoneInfo(shift.term.region.timezone)


def goes_out_at(shift: Shift, purpose: Purpose, now: datetime) -> datetime:
    """When a message about the night, planned now, reaches the person: at once when it may go out
    in quiet hours (`sms.quiet.may_wake`) or none are on, else when the region's quiet hours end."""
    if may_wake(purpose, now, night=(shift.starts_at, shift.ends_at)):
        return now
    return places.quiet_hours(shift.term.region).end_after(now)


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


def wants_email(person: Person) -> bool:
    """Their messages go by e-mail, where no JA or NEI comes back."""
    return person.mail_to is not None


def answers_by_sms(person: Person) -> bool:
    """Their messages come by SMS, so a NEI back gives a place up, also after the web's cut-off
    (`replies`). Someone on e-mail, or who answered STOP, is not pointed to an SMS they lack."""
    return not wants_email(person) and person.sms_opted_out_at is None


def waitlisted_text(_, words: dict, *, by_email: bool = False) -> str:
    if by_email:
        return (
            _(
                "Natteravn: %(route)s on %(date)s is full. "
                "You are on the waitlist and get a message if a place frees up."
            )
            % words
        )
    return (
        _("Natteravn: %(route)s on %(date)s is full. You are on the waitlist and get an SMS if a place frees up.")
        % words
    )


def reminder_before_text(
    _, words: dict, confirmed: bool = False, *, by_email: bool = False, role: SignupRole = SignupRole.WALKER
) -> str:
    """Asks for a JA only of someone who has not given one yet. By e-mail, the night's page (words'
    link) takes the answer. A group leader is told they lead, as on the day."""
    if role == SignupRole.LEADER:
        return _leader_reminder_before_text(_, words, confirmed, by_email)
    if by_email:
        return _email_reminder_before_text(_, words, confirmed)
    if confirmed:
        return (
            _("Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. Reply NEI if you cannot come.")
            % words
        )
    return (
        _(
            "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
            "Reply JA to confirm or NEI if you cannot come."
        )
        % words
    )


def _email_reminder_before_text(_, words: dict, confirmed: bool) -> str:
    if confirmed:
        return (
            _(
                "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
                "If you cannot come, cancel on the night's page: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: you walk %(route)s on %(date)s at %(time)s, meet at %(place)s. "
            "Please confirm that you are coming on the night's page, or cancel there if you cannot: %(link)s"
        )
        % words
    )


def _leader_reminder_before_text(_, words: dict, confirmed: bool, by_email: bool) -> str:
    if by_email and confirmed:
        return (
            _(
                "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. "
                "If you cannot come, cancel on the night's page: %(link)s"
            )
            % words
        )
    if by_email:
        return (
            _(
                "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. "
                "Please confirm that you are coming on the night's page, or cancel there if you cannot: %(link)s"
            )
            % words
        )
    if confirmed:
        return (
            _("Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. Reply NEI if you cannot come.")
            % words
        )
    return (
        _(
            "Natteravn: you lead %(route)s on %(date)s at %(time)s, meet at %(place)s. "
            "Reply JA to confirm or NEI if you cannot come."
        )
        % words
    )


def reminder_day_text(_, words: dict, role: SignupRole, leader: str | None, *, by_email: bool = False) -> str:
    """By e-mail no NEI comes back: the night's page (words' link) shows who walks, with their phone
    numbers, and what the person can still do on the day (cancel before the cut-off, find a
    stand-in, or call the group leader)."""
    if role == SignupRole.LEADER:
        return _("Natteravn tonight: you lead %(route)s at %(time)s, meet at %(place)s. Who walks: %(link)s") % words
    if by_email:
        return _(
            "Natteravn tonight: %(route)s at %(time)s, meet at %(place)s. Group leader: %(leader)s. "
            "Who walks, and what to do if you cannot come: %(link)s"
        ) % {**words, "leader": leader or _("no leader yet")}
    return _(
        "Natteravn tonight: %(route)s at %(time)s, meet at %(place)s. Group leader: %(leader)s. "
        "Reply NEI if you cannot come."
    ) % {**words, "leader": leader or _("no leader yet")}


def report_request_text(_, words: dict) -> str:
    return _("Natteravn: thank you for leading %(route)s last night. Please write the night's report: %(link)s") % words


def call_text(_, words: dict, role: SignupRole, *, by_email: bool = False) -> str:
    """By e-mail, the night's page (words' link) takes the place instead of a JA."""
    if by_email:
        return _email_call_text(_, words, role)
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
            "Natteravn: %(route)s on %(date)s at %(time)s needs walkers. Can you come? "
            "Reply JA to take the place. %(link)s"
        )
        % words
    )


def _email_call_text(_, words: dict, role: SignupRole) -> str:
    if role == SignupRole.LEADER:
        return (
            _(
                "Natteravn: %(route)s on %(date)s at %(time)s needs a group leader. Can you lead? "
                "Take it on the night's page: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: %(route)s on %(date)s at %(time)s needs walkers. Can you come? "
            "Take the place on the night's page: %(link)s"
        )
        % words
    )


def standin_call_text(_, words: dict, *, by_email: bool = False) -> str:
    if by_email:
        return (
            _(
                "Natteravn: %(route)s on %(date)s at %(time)s needs a stand-in for one walker. "
                "Take the place on the night's page: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: %(route)s on %(date)s at %(time)s needs a stand-in for one walker. "
            "Reply JA to take the place. %(link)s"
        )
        % words
    )


def standin_found_text(_, words: dict) -> str:
    return _("Natteravn: %(name)s takes your place on %(route)s on %(date)s. You are off the night. Thank you!") % words


def moved_text(_, words: dict, *, by_email: bool = False) -> str:
    if by_email:
        return (
            _(
                "Natteravn: %(route)s on %(old)s is moved to %(date)s at %(time)s-%(end)s. "
                "If you cannot come then, say so on the night's page: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: %(route)s on %(old)s is moved to %(date)s at %(time)s-%(end)s. "
            "Reply NEI if you cannot come then."
        )
        % words
    )


def moved_waiting_text(_, words: dict) -> str:
    """For someone waiting for a place: there is no place of theirs to say NEI to."""
    return (
        _("Natteravn: %(route)s on %(old)s, which you are waiting for, is moved to %(date)s at %(time)s-%(end)s.")
        % words
    )


def person_moved_text(_, words: dict, role: SignupRole, *, from_cancelled: bool = False) -> str:
    if role == SignupRole.LEADER:
        return _leader_moved_text(_, words, from_cancelled=from_cancelled)
    if from_cancelled:  # its own cancellation news may never have gone out: this one says it
        return (
            _(
                "Natteravn: %(old_route)s on %(old_date)s is cancelled. You are moved to %(route)s on %(date)s "
                "at %(time)s, meet at %(place)s. Details: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: you are moved from %(old_route)s on %(old_date)s to %(route)s on %(date)s at %(time)s, "
            "meet at %(place)s. You are off the first night. Details: %(link)s"
        )
        % words
    )


def _leader_moved_text(_, words: dict, *, from_cancelled: bool) -> str:
    if from_cancelled:
        return (
            _(
                "Natteravn: %(old_route)s on %(old_date)s is cancelled. You are moved to lead %(route)s on %(date)s "
                "at %(time)s, meet at %(place)s. Details: %(link)s"
            )
            % words
        )
    return (
        _(
            "Natteravn: you are moved from %(old_route)s on %(old_date)s to lead %(route)s on %(date)s at %(time)s, "
            "meet at %(place)s. You are off the first night. Details: %(link)s"
        )
        % words
    )


def moved_to_waitlist_text(_, words: dict) -> str:
    """Moved from a cancelled night's waitlist to another night's: still no place to say NEI to."""
    return (
        _(
            "Natteravn: %(old_route)s on %(old_date)s is cancelled. You are on the waitlist for %(route)s "
            "on %(date)s at %(time)s instead. Details: %(link)s"
        )
        % words
    )


def now_leading_text(_, words: dict) -> str:
    return (
        _(
            "Natteravn: you are now the group leader of %(route)s on %(date)s at %(time)s, meet at %(place)s. "
            "Details: %(link)s"
        )
        % words
    )


def cancelled_text(_, words: dict) -> str:
    text = _("Natteravn: %(route)s on %(date)s at %(time)s is cancelled.") % words
    return f"{text} {words['reason']}".strip()


def dropout_text(ngettext, words: dict) -> str:
    """Takes the recipient's ngettext: "1 walker", "2 walkers"."""
    return (
        ngettext(
            "Natteravn: %(name)s cannot come to %(route)s on %(date)s at %(time)s. The night now has %(count)d walker.",
            "Natteravn: %(name)s cannot come to %(route)s on %(date)s at %(time)s. "
            "The night now has %(count)d walkers.",
            words["count"],
        )
        % words
    )


# --- Planning. ---


@dataclass(frozen=True)
class Planned:
    """A message about a night, to a person, on behalf of its region: planned unless a message
    with the same key was planned before (a double tap, a job run twice). One about several
    nights (a term's roster) names no night but its region: no one night's end withdraws it."""

    key: str
    body: str
    purpose: Purpose
    person: Person
    shift: Shift | None
    signup: Signup | None = None
    due_at: datetime | None = None
    own_action: bool = False
    expires_at: datetime | None = None
    region_id: int | None = None  # for a message about no one night

    def fields(self, now: datetime) -> dict:
        """What `sms.enqueue` takes."""
        shift = self.shift
        return {
            "to": self.person.phone,
            "body": self.body,
            "purpose": self.purpose,
            "now": now,
            "due_at": self.due_at,
            "person_id": self.person.id,
            "signup_id": self.signup.id if self.signup else None,
            "shift_id": shift.id if shift else None,
            "region_id": shift.term.region_id if shift else self.region_id,
            "own_action": self.own_action,
            "night": (shift.starts_at, shift.ends_at) if shift else None,
            "expires_at": self.expires_at,
            "dedupe_key": self.key,
            "email": self.person.mail_to,
            "locale": self.person.locale,
        }


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
    own_action: bool = False,
    expires_at: datetime | None = None,
) -> None:
    """Enqueue a message about a night, on behalf of its region, unless one with the same key was
    planned before (a double tap, a job run twice); the unique key in the table settles races
    between processes. `own_action`: it answers what the person did just now."""
    if signup is not None:
        person, shift = person or signup.person, shift or signup.shift
    assert person is not None and shift is not None, "a message is to a person, about a night"
    plan_all(session, [Planned(key, body, purpose, person, shift, signup, due_at, own_action, expires_at)], now)


def plan_all(session: Session, planned: list[Planned], now: datetime) -> None:
    """`plan_once` for many messages in a few statements: those whose key was planned before are
    left out, and so is a second message with the same key in `planned`."""
    fresh = {message.key: message for message in planned}
    sms.enqueue_many(session, [message.fields(now) for message in fresh.values()])


def planned_before(session: Session, keys: list[str]) -> set[str]:
    """Which of these message keys were planned already: for a caller that tells the person so, or
    counts what is new. (Planning leaves them out either way.)"""
    return {
        key
        for part in chunks(keys)
        for key in session.scalars(select(SmsMessage.dedupe_key).where(SmsMessage.dedupe_key.in_(part)))
        if key
    }


#: Values per `IN (…)` list: SQLite takes at most 32,766 parameters in one statement.
CHUNK = 1000


def chunks(values: list) -> list[list]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


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
) -> None:
    """News about a coming night: sent in quiet hours too when the night is tonight (see
    `sms.quiet.may_wake`), and dropped unsent once the night starts (or `until`), when it is no
    longer news."""
    if signup is not None:
        shift = shift or signup.shift
    assert shift is not None, "news is about a night"
    plan_once(
        session,
        signup,
        key=key,
        body=body,
        purpose=purpose,
        now=now,
        person=person,
        shift=shift,
        expires_at=until or shift.starts_at,
    )


def signed_up(
    session: Session, signup: Signup, now: datetime, links: Links, *, own_action: bool, leaders: Leaders | None = None
) -> None:
    """A person took a place (or joined the waitlist): tell them, and plan the reminders.
    `own_action`: they did it themselves just now, so the confirmation answers them even in quiet
    hours; one a coordinator made (assigning, moving, an accepted auto-fill) waits for the morning.
    `leaders`: the night's group leaders (`leaders_of`), when the caller has read them already."""
    _ = translations(signup.person.locale).gettext
    shift = signup.shift
    words = {**night_words(shift), "link": links.night(shift.id)}
    if signup.state == SignupState.WAITLISTED:
        plan_once(
            session,
            signup,
            key=f"waitlisted:{signup.id}",
            body=waitlisted_text(_, words, by_email=wants_email(signup.person)),
            purpose=Purpose.WAITLISTED,
            now=now,
            own_action=own_action,
            expires_at=shift.starts_at,
        )
        return
    confirmation = Planned(
        key=f"signup_confirmation:{signup.id}",
        body=confirmation_text(_, words, signup.role),
        purpose=Purpose.SIGNUP_CONFIRMATION,
        person=signup.person,
        shift=shift,
        signup=signup,
        own_action=own_action,
        expires_at=shift.starts_at,
    )
    # The confirmation and the reminders in one insert: taps on the same night wait for this while
    # it holds the night's lock.
    plan_all(session, [confirmation, *reminders(session, [signup], now, links, leaders)], now)
    if signup.role == SignupRole.LEADER:
        refresh_day_reminders(session, shift, links)


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


def moved_to(session: Session, signup: Signup, old_shift: Shift, now: datetime, links: Links) -> None:
    """The coordinator moved a person to this sign-up's night from `old_shift`: one SMS names both
    nights, so nobody turns up at the old one, and the new night's reminders are planned."""
    _ = translations(signup.person.locale).gettext
    shift = signup.shift
    old = night_words(old_shift)
    words = {**night_words(shift), "old_route": old["route"], "old_date": old["date"], "link": links.night(shift.id)}
    if signup.state == SignupState.WAITLISTED:  # nothing to remind of until a place is offered
        body = moved_to_waitlist_text(_, words)
    else:
        body = person_moved_text(_, words, signup.role, from_cancelled=old_shift.cancelled_at is not None)
    plan_news(session, signup, key=f"moved:{signup.id}", body=body, purpose=Purpose.SHIFT_CHANGED, now=now)
    if signup.state == SignupState.WAITLISTED:
        return
    plan_reminders(session, signup, now, links)
    if signup.role == SignupRole.LEADER:
        refresh_day_reminders(session, shift, links)


def now_leading(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """A walker on the night was made its group leader: they are told so, unless their confirmation
    has not gone out yet (it now says they lead, and one message is enough); what still waits for
    them is worded for a leader, the report request is planned, and the walkers' day reminders
    name them."""
    waiting = set(
        session.scalars(
            select(SmsMessage.purpose).where(
                SmsMessage.signup_id == signup.id, SmsMessage.state == MessageState.PENDING
            )
        )
    )
    if Purpose.SIGNUP_CONFIRMATION not in waiting:
        _ = translations(signup.person.locale).gettext
        body = now_leading_text(_, {**night_words(signup.shift), "link": links.night(signup.shift_id)})
        plan_news(session, signup, key=f"now_leading:{signup.id}", body=body, purpose=Purpose.SHIFT_CHANGED, now=now)
    plan_reminders(session, signup, now, links)  # the report request; the reminders planned stay, reworded
    for purpose, worded in _worded_anew(signup, links, leaders_of(session, {signup.shift_id})).items():
        if purpose in waiting and purpose != Purpose.WAITLIST_PROMOTED and worded is not None:
            reword(session, worded, SmsMessage.signup_id == signup.id, SmsMessage.purpose == purpose)
    refresh_day_reminders(session, signup.shift, links)


def plan_reminders(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """The reminders still ahead of us; one whose moment has passed (signing up on the day) is
    left out rather than sent late."""
    plan_all(session, reminders(session, [signup], now, links), now)


def reminders(
    session: Session, signups: list[Signup], now: datetime, links: Links, leaders: Leaders | None = None
) -> list[Planned]:
    """The reminders still ahead for these sign-ups (see `plan_reminders`), with one query for the
    group leaders of all their nights unless the caller has read them (`leaders_of`)."""
    if leaders is None:
        leaders = leaders_of(session, {signup.shift_id for signup in signups})
    planned = []
    for signup in signups:
        shift = signup.shift
        due = reminder_times(shift)
        for purpose, body in reminder_texts(signup, links, leaders).items():
            is_reminder = purpose != Purpose.REPORT_REQUEST
            if due[purpose] <= now or (is_reminder and due[purpose] >= shift.starts_at):
                continue
            planned.append(
                Planned(
                    # The night's start in the key: a moved night gets its reminders again.
                    key=f"{purpose.value}:{signup.id}:{int(shift.starts_at.timestamp())}",
                    body=body,
                    purpose=purpose,
                    person=signup.person,
                    shift=shift,
                    signup=signup,
                    due_at=due[purpose],
                    expires_at=shift.starts_at if is_reminder else due[purpose] + REPORT_REQUEST_KEPT,
                )
            )
    return planned


def reminder_texts(signup: Signup, links: Links, leaders: Leaders) -> dict[Purpose, str]:
    """The reminders of a sign-up as they read now: in the person's language and channel, for the
    place as it stands (confirmed or not), naming the night's group leader (from `leaders_of`)."""
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    words = {**night_words(shift), "link": links.night(shift.id)}
    leader = next((name for signup_id, name in leaders.get(shift.id, []) if signup_id != signup.id), None)
    email = wants_email(signup.person)
    texts = {
        Purpose.REMINDER_BEFORE: reminder_before_text(
            _, words, signup.state == SignupState.CONFIRMED, by_email=email, role=signup.role
        ),
        Purpose.REMINDER_DAY: reminder_day_text(_, words, signup.role, leader, by_email=email),
    }
    if signup.role == SignupRole.LEADER:
        texts[Purpose.REPORT_REQUEST] = report_request_text(
            _, {**words, "link": links.report(shift.id, signup.person_id)}
        )
    return texts


#: How long the morning-after report request may wait to go out (held back by a spent SMS budget,
#: say). By then a missing report has its own reminders (reports.reminders), whose links are made
#: to last as long as they are sent; this one is dropped rather than sent late with a dead link.
REPORT_REQUEST_KEPT = timedelta(days=1)


#: Each night's group leaders, first to sign up first: (sign-up id, first name).
Leaders = dict[int, list[tuple[int, str]]]


def leaders_of(session: Session, shift_ids: set[int]) -> Leaders:
    """Each night's group leaders (see `Leaders`); a night without any is left out."""
    leaders: Leaders = defaultdict(list)
    for ids in chunks(sorted(shift_ids)):
        rows = session.execute(
            select(Signup.shift_id, Signup.id, Person)
            .join(Signup.person)
            .where(Signup.shift_id.in_(ids), Signup.role == SignupRole.LEADER, Signup.state.in_(HOLDING))
            .order_by(Signup.created_at, Signup.id)
        )
        for shift_id, signup_id, leader in rows:
            leaders[shift_id].append((signup_id, leader.first_name))
    return leaders


def leader_first_name(session: Session, shift: Shift, reader: Signup) -> str | None:
    return next((name for signup_id, name in leaders_of(session, {shift.id})[shift.id] if signup_id != reader.id), None)


def refresh_day_reminders(session: Session, shift: Shift, links: Links) -> None:
    """The day's reminders name the group leader: write them again when the leader changes, with
    the night's link that the e-mailed ones carry."""
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
    words = {**night_words(shift), "link": links.night(shift.id)}
    for message_id, signup in rows:
        _ = translations(signup.person.locale).gettext
        leader = leader_first_name(session, shift, signup)
        body = reminder_day_text(_, words, signup.role, leader, by_email=wants_email(signup.person))
        reword(session, body, SmsMessage.id == message_id)


def waiting_to(session: Session, person: Person, purpose: Purpose) -> list[tuple[int, str | None, datetime]]:
    """The person's messages of one purpose still to go out, as (id, dedupe key, when planned): what
    a new language or channel writes again, each from what its key names."""
    rows = session.execute(
        select(SmsMessage.id, SmsMessage.dedupe_key, SmsMessage.created_at).where(
            SmsMessage.person_id == person.id, SmsMessage.purpose == purpose, SmsMessage.state == MessageState.PENDING
        )
    )
    return [(message_id, key, planned_at) for message_id, key, planned_at in rows]


def reword(session: Session, body: str, *which: ColumnElement[bool], subject: str | None = None) -> None:
    """Write these messages again, if still pending (see `sms.service.reword`)."""
    sms.reword(session, body, *which, subject=subject)


def confirmed(session: Session, signup: Signup, links: Links, *, by_reply: bool = False) -> None:
    """The person said JA to their place (or "I'm coming" on the night's page): the reminder planned
    for it asks no more for one. Said as the answer to a call (`by_reply`: a JA by SMS, or the night
    page's button), the answer told them the place is theirs; the confirmation planned when they
    took it is not sent as well."""
    _ = translations(signup.person.locale).gettext
    words = {**night_words(signup.shift), "link": links.night(signup.shift_id)}
    body = reminder_before_text(_, words, confirmed=True, by_email=wants_email(signup.person), role=signup.role)
    reword(session, body, SmsMessage.signup_id == signup.id, SmsMessage.purpose == Purpose.REMINDER_BEFORE)
    if by_reply:
        cancel_pending(
            session, signup_id=signup.id, purposes=(Purpose.SIGNUP_CONFIRMATION,), reason=notes.ANSWERED.text()
        )


#: A move's message is keyed by the times the person knew and the new ones: a move there and back
#: again is told again, and a later move reads from the key the times a withdrawn message took as known.
MOVED_KEY = "shift_changed"


def moved_key(signup: Signup, known: tuple[datetime, datetime]) -> str:
    new = (signup.shift.starts_at, signup.shift.ends_at)
    return f"{MOVED_KEY}:{signup.id}:{_span_key(known)}:{_span_key(new)}"


def _span_key(span: tuple[datetime, datetime]) -> str:
    return f"{int(span[0].timestamp())}-{int(span[1].timestamp())}"


def withdraw_untold_move(session: Session, signup: Signup) -> tuple[datetime, datetime] | None:
    """The night is moved again: a message about its last move that has not gone out (held in the
    quiet hours) is withdrawn, and the times the person knew before it are returned."""
    untold = session.scalars(
        select(SmsMessage).where(
            SmsMessage.signup_id == signup.id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.dedupe_key.like(f"{MOVED_KEY}:{signup.id}:%"),
        )
    ).all()
    known = None
    for message in untold:
        parts = (message.dedupe_key or "").split(":")
        if len(parts) == 4:  # the sign-up, the times known, the new times
            first, last = (datetime.fromtimestamp(int(moment), UTC) for moment in parts[2].split("-"))
            known = (first, last)
        message.state, message.last_error = MessageState.CANCELLED, notes.NIGHT_MOVED_AGAIN.text()
        message.dedupe_key = None  # the night may come back to those times, to be told anew
    return known


def cancel_pending(
    session: Session,
    *,
    reason: str,
    signup_id: int | None = None,
    shift_id: int | None = None,
    purposes: tuple[Purpose, ...] | None = None,
    person_ids: Collection[int] | None = None,
    release_keys: bool = False,
) -> None:
    """Nothing planned that lost its point is sent. `release_keys` frees the dedupe keys of
    messages that are planned again (a moved night)."""
    query = update(SmsMessage).where(SmsMessage.state == MessageState.PENDING)
    if person_ids is not None:
        query = query.where(SmsMessage.person_id.in_(person_ids))
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


def withdrawn(session: Session, signup: Signup, now: datetime, links: Links) -> None:
    """Nothing still planned for a sign-up that ended is sent; a group leader's leaving rewrites
    the others' day reminders, which name the leader."""
    cancel_pending(session, signup_id=signup.id, reason=notes.SIGNUP_CANCELLED.text())
    if signup.role == SignupRole.LEADER:
        refresh_day_reminders(session, signup.shift, links)


def offered(session: Session, signup: Signup, now: datetime, links: Links, *, goes_out: datetime) -> None:
    """The SMS offering a freed place, due `goes_out` (see `goes_out_at`): the offer's deadline runs
    from then, so the "before" it names is the one that holds."""
    assert signup.offer_expires_at is not None, "an offer has a deadline"
    plan_once(
        session,
        signup,
        key=f"offer:{signup.id}:{int(signup.offer_expires_at.timestamp())}",
        body=offer_text(signup, links),
        purpose=Purpose.WAITLIST_PROMOTED,
        now=now,
        due_at=goes_out,
        expires_at=signup.offer_expires_at,
    )


def offer_text(signup: Signup, links: Links) -> str:
    assert signup.offer_expires_at is not None, "an offer has a deadline"
    _ = translations(signup.person.locale).gettext
    words = night_words(signup.shift)
    words["expires"] = local(signup.offer_expires_at, zone(signup.shift)).strftime("%d.%m %H:%M")
    words["link"] = links.offer(signup.id)
    if wants_email(signup.person):
        return (
            _("Natteravn: a place is free on %(route)s %(date)s at %(time)s. Take it before %(expires)s here: %(link)s")
            % words
        )
    # Named as ours, as every message is: a bare link from an unknown sender reads as a scam.
    return (
        _(
            "Natteravn: a place is free on %(route)s %(date)s at %(time)s. Answer JA, or tap the link, "
            "before %(expires)s to take it: %(link)s"
        )
        % words
    )


def offer_expired(session: Session, signup: Signup, deadline: datetime, now: datetime, links: Links) -> None:
    """An offer nobody took in time: the person hears that the place went on and that they are off
    the waitlist, instead of finding out on the night."""
    shift = signup.shift
    _ = translations(signup.person.locale).gettext
    words = {
        **night_words(shift),
        "expires": local(deadline, zone(shift)).strftime("%H:%M"),
        "link": links.url("/nights"),
    }
    plan_news(
        session,
        signup,
        key=f"offer_expired:{signup.id}",
        body=_(
            "Natteravn: the place on %(route)s on %(date)s was held for you until %(expires)s. "
            "It has gone on, and you are off the waitlist. Other nights: %(link)s"
        )
        % words,
        purpose=Purpose.OFFER_EXPIRED,
        now=now,
    )


def resume_reminders(session: Session, person: Person, now: datetime, links: Links) -> None:
    """After START: the reminders STOP cancelled come back for the nights the person still holds,
    those whose moment is still ahead (`plan_reminders` leaves out the rest), written afresh for
    the night as it is now. Nothing comes back for a night they left or that is over."""
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.state == MessageState.CANCELLED,
            SmsMessage.last_error == notes.OPTED_OUT.text(),  # START looks for what STOP cancelled
            SmsMessage.purpose.in_(REMINDERS),
        )
        .values(dedupe_key=None)
        .execution_options(synchronize_session=False)
    )
    held = session.scalars(
        select(Signup)
        .join(Signup.shift)
        .where(
            Signup.person_id == person.id,
            Signup.state.in_((SignupState.SIGNED_UP, SignupState.CONFIRMED)),
            Shift.cancelled_at.is_(None),
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Signup.id)
    )
    for signup in held:
        plan_reminders(session, signup, now, links)


#: What is planned about a sign-up and written again when the person's language or channel changes
#: (the channel matters to the waitlist answer and the reminders: no JA or NEI asked of someone
#: reading an e-mail). News of a moved night or a stand-in, and an offer gone on, keep their words:
#: what they tell (the night's old time, who took the place, the deadline) is no longer kept.
REWORDED = (
    Purpose.SIGNUP_CONFIRMATION,
    Purpose.WAITLISTED,
    Purpose.REMINDER_BEFORE,
    Purpose.REMINDER_DAY,
    Purpose.REPORT_REQUEST,
    Purpose.WAITLIST_PROMOTED,
)


def reword_waiting(person: Person, *, session: Session, links: Links) -> None:
    """The person chose another channel or language (`accounts.service.wording_changed`): what
    still waits to be sent about their nights is written again in its wording. In place, as a
    confirmation or a new group leader does: no second message is planned for the same moment, and
    one whose moment has come but is held back (quiet hours, a spent budget) is not lost. A
    confirmed place keeps its confirmed wording; what was sent stays as it went."""
    waiting = session.execute(
        select(SmsMessage.id, SmsMessage.purpose, Signup)
        .join(Signup, SmsMessage.signup_id == Signup.id)
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.purpose.in_(REWORDED),
        )
    ).all()
    leaders = leaders_of(session, {signup.shift_id for _id, _purpose, signup in waiting})
    for message_id, purpose, signup in waiting:
        body = _worded_anew(signup, links, leaders).get(purpose)
        if body is not None:
            subject = subject_for(purpose, person.locale)
            reword(session, body, SmsMessage.id == message_id, subject=subject)


def _worded_anew(signup: Signup, links: Links, leaders: Leaders) -> dict[Purpose, str | None]:
    _ = translations(signup.person.locale).gettext
    words = night_words(signup.shift)
    return {
        Purpose.SIGNUP_CONFIRMATION: confirmation_text(_, {**words, "link": links.night(signup.shift_id)}, signup.role),
        Purpose.WAITLISTED: waitlisted_text(_, words, by_email=wants_email(signup.person)),
        Purpose.WAITLIST_PROMOTED: offer_text(signup, links) if signup.offer_expires_at else None,
        **reminder_texts(signup, links, leaders),
    }
