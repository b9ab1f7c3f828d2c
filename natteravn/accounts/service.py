"""Logging in by a one-time code (by SMS, or by e-mail for those who chose it), the first-time
profile, and a person's sessions and feeds."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import cast

import phonenumbers
from babel import Locale
from babel.lists import format_list
from blinker import Signal
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Insert,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from natteravn.accounts.models import LoginCode, Person, RateEvent, RoleKind, folded
from natteravn.db import locks_rows
from natteravn.i18n import LOCALES, N_, Refusal, translations
from natteravn.links import Links
from natteravn.places.models import Municipality, Region, Registration, SchoolClass
from natteravn.sms import notes
from natteravn.sms import service as sms
from natteravn.sms.mail import subject_for
from natteravn.sms.models import ASKED_FOR, Channel, MessageState, Purpose, SmsMessage
from natteravn.sms.quiet import after_quiet_hours

#: (what is counted, how many, per how long). A client is an address on the internet, which a whole
#: parents' meeting on the school's wifi shares, and so do many phones on one mobile network: its
#: limits leave room for them. The hourly budget of login SMS (LOGIN_SMS_PER_HOUR) caps the cost.
SEND_LIMITS = (("phone", 3, timedelta(minutes=15)), ("phone", 8, timedelta(days=1)), ("client", 60, timedelta(hours=1)))
TRY_LIMITS = (("phone", 10, timedelta(hours=1)), ("client", 120, timedelta(hours=1)))
HOUR = timedelta(hours=1)
#: What counts login codes against the hourly budget (LOGIN_SMS_PER_HOUR), and the alert that it is used up.
LOGIN_BUDGET = "login-codes:everyone"
LOGIN_BUDGET_ALERT = "login-codes:alert"
CONDUCT_VERSION = 1
SMS_CAPABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
CODE_IN_TEXT = re.compile(r"\b\d{6}\b")
CODE_MASK = "******"
UNFINISHED = (MessageState.PENDING, MessageState.SENDING)
log = logging.getLogger("natteravn.accounts")
#: Longer than any way of writing a phone number; phonenumbers gives up on long input anyway.
PHONE_MAX_LENGTH = 40
#: How long the link in an invitation SMS logs its person in.
INVITATION_VALID = timedelta(days=14)
#: The longest address SMTP can carry (RFC 5321's path limit, less its brackets).
EMAIL_MAX_LENGTH = 254
#: Messages that stay SMS whatever the person chose: an answer to their SMS, a test of the gateway.
SMS_ONLY = (Purpose.REPLY, Purpose.TEST)


class InvalidPhone(Refusal):
    pass


class TextInPhone(InvalidPhone):
    """The number came with letters or other text: "412 34 567 tlf", "912 34 ABC", "+47 412 34 567 x 12"."""


class TooManyRequests(Refusal):
    pass


class CodeRejected(Refusal):
    pass


class WrongCode(CodeRejected):
    """The code typed is not the number's newest code."""


class EmailRefused(Refusal):
    pass


#: What may stand between a number's digits as people write it, besides spaces and dashes of any
#: kind: "412.34.567", "(+47) 412-34-567", and a minus sign typed for a dash.
_PHONE_SEPARATORS = frozenset(".()\u2212")
#: Unicode's dashes, and its invisible marks (a number copied from a right-to-left text carries
#: direction marks nobody can see, let alone take out).
_SEPARATOR_CATEGORIES = ("Pd", "Cf")


def only_a_number(raw: str) -> bool:
    """The text is a phone number and nothing else: digits, one "+" before the first of them, and
    separators. Anything more is refused rather than left out: phonenumbers reads "412 34 567 x" as
    the number alone, and "912 34 ABC" as the keypad's digits, a number nobody meant."""
    seen_digit = seen_plus = False
    for char in raw:
        if char.isdecimal():  # any script's digits: phonenumbers reads them all
            seen_digit = True
        elif char == "+" and not (seen_digit or seen_plus):
            seen_plus = True
        elif not (char.isspace() or char in _PHONE_SEPARATORS or unicodedata.category(char) in _SEPARATOR_CATEGORIES):
            return False
    return True


def normalise_phone(raw: str) -> str:
    """E.164 for a number typed as a person would: "900 00 000", "+47 900 00 000", "0047…".
    Every place a number is typed or imported comes through here, so one rule holds for all."""
    if len(raw or "") > PHONE_MAX_LENGTH:
        raise InvalidPhone(N_("That is not a phone number. Write it like 912 34 567."), field="phone")
    if not only_a_number(raw or ""):
        raise TextInPhone(N_("Write only the number, without letters or other text, like 912 34 567."), field="phone")
    try:
        number = phonenumbers.parse(raw or "", "NO")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(N_("That is not a phone number. Write it like 912 34 567."), field="phone") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(N_("That is not a valid phone number. Write it like 912 34 567."), field="phone")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise InvalidPhone(N_("That number cannot receive SMS. Use a mobile number."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def found_by(text: str) -> ColumnElement[bool]:
    """People a search finds: every word typed is in the name, in any order and whatever its case
    or accents (see `folded`: "nordmann kari" finds Kari Nordmann), and whether or not it was typed
    with Norwegian letters (see `_in_name`: "odegard" finds Ødegård); or, given three digits or
    more, the phone number holds them, spaces and a leading 00 ignored ("0047 412 34 567")."""
    words = [_in_name(word) for word in folded(text).split()]
    digits = "".join(c for c in text if c.isdigit()).removeprefix("00")
    if len(digits) < 3:
        return and_(*words) if words else false()
    return or_(and_(*words), Person.phone.contains(digits, autoescape=True))


def _in_name(word: str) -> ColumnElement[bool]:
    """A folded word in the name. A letter the word has means that letter (or its spelling without
    it): "ås" finds Åse and Aasen but not Thomas. A letter it lacks may have been typed without it,
    as a keyboard without Norwegian letters does: ø as o ("lokken" finds Løkken), å as a
    ("odegard" finds Ødegård), æ as e ("sether" finds Sæther). That reading is left to the query, so
    the stored key keeps the letters and "moen" still finds Moen without finding Simonsen."""
    name: ColumnElement[str] = Person.name_key.expression
    for letter, typed_without in (("ø", "o"), ("å", "a")):
        if letter not in word:
            name = func.replace(name, letter, typed_without)
    found = name.contains(word, autoescape=True)
    if "e" in word and "ae" not in word:
        found = or_(found, func.replace(name, "ae", "e").contains(word, autoescape=True))
    return found


@lru_cache(maxsize=4096)
def display_phone(e164: str) -> str:
    """A stored number as people write it. Remembered: parsing is slow, and a list of people or a
    night's company writes one for each."""
    number = phonenumbers.parse(e164)
    if number.country_code == 47 and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        digits = str(number.national_number)  # Norwegians write mobiles 3-2-3: 912 34 567
        return f"{digits[:3]} {digits[3:5]} {digits[5:]}"
    if number.country_code == 47:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- Rate limits, counted in the database so that every worker sees the same count. ---


def enforce_limits(
    session: Session,
    limits,
    action: str,
    keys: dict[str, str],
    now: datetime,
    message: str = N_("Too many attempts. Try again in %(minutes)d min."),
    *,
    serialised: bool = False,
) -> None:
    """Refuse (with `message`, which may say in how many `minutes` there is room again) once any
    limit is used up; otherwise count this action once under each key. `serialised`: the caller
    already holds a lock that every action counted under these keys takes (a person's row), so no
    lock of the keys' own is needed."""
    counted = {kind: f"{action}:{kind}:{keys[kind]}" for kind, _allowed, _window in limits}
    if not serialised:
        _serialise(session, sorted(counted.values()))
    params: dict = {"now": now}
    for n, (kind, allowed, window) in enumerate(limits):
        params[f"key_{n}"], params[f"since_{n}"], params[f"allowed_{n}"] = counted[kind], now - window, allowed
    for n, key in enumerate(counted.values()):
        params[f"count_{n}"] = key
    counting = _count_unless_used_up(len(limits), len(counted))
    if not session.execute(counting, params).first():
        raise TooManyRequests(message, minutes=_minutes_until_room(session, limits, counted, now))


def _minutes_until_room(session: Session, limits, counted: dict[str, str], now: datetime) -> int:
    """When every used-up limit has room again: a refusal is not counted, so a used-up limit holds
    exactly as many as it allows, and the oldest of them leaving its window makes room."""
    waits = [timedelta(0)]
    for kind, allowed, window in limits:
        held, oldest = session.execute(
            select(func.count(), func.min(RateEvent.at)).where(
                RateEvent.key == counted[kind], RateEvent.at > now - window
            )
        ).one()
        if held >= allowed and oldest is not None:
            waits.append(oldest + window - now)
    return max(1, -(-int(max(waits).total_seconds()) // 60))  # whole minutes, rounded up


@cache
def _count_unless_used_up(limits: int, keys: int) -> Insert:
    """One statement, built once (every sign-up runs it): count the action under each of `keys`
    keys (parameters count_0, …, at `now`), unless one of `limits` limits is used up (key_0,
    since_0, allowed_0, …): fewer than `allowed` counted under its key since its moment. Returns
    a row for each key counted, and none when refused (the driver's rowcount of an INSERT …
    SELECT is not to be relied on)."""
    used = [
        select(func.count())
        .where(RateEvent.key == bindparam(f"key_{n}"), RateEvent.at > bindparam(f"since_{n}"))
        .scalar_subquery()
        for n in range(limits)
    ]
    room = and_(*(count < bindparam(f"allowed_{n}") for n, count in enumerate(used)))
    at = bindparam("now", type_=RateEvent.at.type)
    rows = [select(bindparam(f"count_{n}", type_=RateEvent.key.type).label("key"), at.label("at")) for n in range(keys)]
    counted = union_all(*rows).subquery() if keys > 1 else rows[0].subquery()
    table = cast(Table, RateEvent.__table__)  # plain rows: no ORM bookkeeping
    chosen = select(counted.c.key, counted.c.at).where(room)
    return insert(table).from_select(["key", "at"], chosen).returning(table.c.id)  # a row each, or none


def _serialise(session: Session, keys: list[str]) -> None:
    """Without this, workers racing on one number would all count below the limit and all go
    ahead. PostgreSQL: a lock per key until commit, taken in sorted order so that two requests
    cannot wait for each other. SQLite needs nothing: every write transaction holds the one lock."""
    if locks_rows(session):
        for key in keys:
            session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


# --- Login codes. ---


def _check_country(phone: str, countries: Sequence[str], locale: str) -> None:
    if phonenumbers.region_code_for_number(phonenumbers.parse(phone)) not in countries:
        names = [Locale.parse(locale).territories.get(code, code) for code in countries]
        raise InvalidPhone(
            N_("We send login codes to mobile numbers from %(countries)s only."),
            countries=format_list(names, locale=locale),
        )


def _spend_login_budget(session: Session, budget: int, now: datetime) -> None:
    """Count a login code against the hourly budget, or refuse it. The code that uses the budget
    up raises the alert, at most once an hour; its transaction is the one that commits."""
    _serialise(session, [LOGIN_BUDGET])
    used = login_codes_last_hour(session, now)
    if used >= budget:
        raise TooManyRequests(
            N_("We are sending unusually many login codes just now and have paused them. Try again in an hour.")
        )
    session.add(RateEvent(key=LOGIN_BUDGET, at=now))
    if used + 1 == budget and not _recent(session, LOGIN_BUDGET_ALERT, now):
        session.add(RateEvent(key=LOGIN_BUDGET_ALERT, at=now))
        log.error(
            "Login codes: the budget of %d an hour is used up; more are refused until the hour has passed. "
            "Someone may be asking for codes from many numbers and addresses (LOGIN_SMS_PER_HOUR).",
            budget,
        )


def login_codes_last_hour(session: Session, now: datetime) -> int:
    """Login codes sent in the hour before `now`, to everyone (for the budget and /healthz)."""
    return _recent(session, LOGIN_BUDGET, now)


def _recent(session: Session, key: str, now: datetime) -> int:
    query = select(func.count()).select_from(RateEvent).where(RateEvent.key == key, RateEvent.at > now - HOUR)
    return session.scalar(query) or 0


def _code_digest(secret: str, phone: str, code: str) -> str:
    # Keyed with the app's secret: a copy of the database alone does not let anyone try the
    # million possible codes, and checking one costs microseconds rather than a slow hash.
    message = f"login-code:{phone}:{code}".encode()
    return "hmac-sha256$" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_code(
    session: Session,
    phone: str,
    client: str,
    now: datetime,
    *,
    secret: str,
    ttl_minutes: int = 10,
    locale: str = "nb",
    picked: bool = False,
    countries: Sequence[str] = ("NO",),
    budget: int = 200,
) -> SmsMessage:
    """Plan a message with a fresh six-digit code, by SMS or by e-mail as the number's person
    chose; earlier codes for the number stop working. Returns the planned message, for the caller
    to commit and send at once. It is in the person's language, or the page's (`locale`) for
    someone new, someone whose language is only an import's default, or who `picked` that
    language on the page.

    Only numbers of `countries` get a code, and only `budget` codes go out an hour, to everyone
    together. The countries are one list for the service, not a region's: nobody's region is known
    before they have logged in."""
    _check_country(phone, countries, locale)
    try:
        enforce_limits(session, SEND_LIMITS, "send", {"phone": phone, "client": client}, now)
    except TooManyRequests as refused:
        if _has_working_code(session, phone, now):
            raise TooManyRequests(CODES_STILL_WORK, minutes=refused.params["minutes"], valid=ttl_minutes) from None
        raise
    _spend_login_budget(session, budget, now)
    person = session.scalar(select(Person).where(Person.phone == phone))
    login, code = new_login_code(session, phone, now, secret=secret, ttl_minutes=ttl_minutes)
    # The person's own language, unless they picked one on the page just now or have none of their
    # own yet (an import's default): then the page's, which speaks as their browser asks.
    language = person.locale if person and not picked and not person.locale_guessed else locale
    _ = translations(language).gettext
    return sms.enqueue(
        session,
        to=phone,
        body=_("Your Natteravn code is %(code)s. It is valid for %(minutes)d minutes.")
        % {"code": code, "minutes": ttl_minutes},
        purpose=Purpose.OTP,
        now=now,
        person_id=person.id if person else None,
        expires_at=login.expires_at,
        email=person.mail_to if person else None,
        locale=language,
        region_id=person.municipality.region_id if person and person.municipality else None,
    )


def new_login_code(
    session: Session, phone: str, now: datetime, *, secret: str, ttl_minutes: int
) -> tuple[LoginCode, str]:
    """A fresh six-digit code for the number, kept only as its digest; earlier codes stop working."""
    session.execute(update(LoginCode).where(LoginCode.phone == phone, LoginCode.used_at.is_(None)).values(used_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    login = LoginCode(
        phone=phone,
        code_hash=_code_digest(secret, phone, code),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
        attempts=0,
    )
    session.add(login)
    return login, code


#: Someone refused a new code while the last one still works is told so, rather than left to think
#: they are locked out: the SMS on its way, or already there, still logs them in.
CODES_STILL_WORK = N_(
    "Too many attempts. Try again in %(minutes)d min. The last code we sent still works for %(valid)d minutes "
    "after it was sent."
)


def _has_working_code(session: Session, phone: str, now: datetime) -> bool:
    latest = _latest_code(session, phone, lock=False)
    return latest is not None and latest.used_at is None and latest.expires_at > now


def verify_code(
    session: Session,
    phone: str,
    code: str,
    client: str,
    now: datetime,
    *,
    secret: str,
    max_tries: int = 5,
    locale: str = "nb",
) -> Person:
    """The person behind a correct code, created on first login. Every try counts, right or
    wrong; the caller commits even when this refuses, so the count sticks."""
    enforce_limits(session, TRY_LIMITS, "try", {"phone": phone, "client": client}, now)
    digest = _code_digest(secret, phone, "".join((code or "").split()))
    latest = _latest_code(session, phone)
    try:
        login = _check_code(latest, digest, now, max_tries)
    except WrongCode:
        if latest is not None and _replaced_code(session, latest, digest, now):
            raise CodeRejected(N_("That code was replaced by a newer one. Use the code in the newest SMS.")) from None
        raise
    login.used_at = now
    person = session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        return _new_person(session, phone, locale, now)
    if not person.active:
        raise CodeRejected(N_("This profile is closed. Ask your coordinator if you want to walk again."))
    return person


def _latest_code(session: Session, phone: str, *, lock: bool = True) -> LoginCode | None:
    query = select(LoginCode).where(LoginCode.phone == phone).order_by(LoginCode.id.desc()).limit(1)
    if lock and locks_rows(session):
        query = query.with_for_update()
    return session.scalar(query)


def _replaced_code(session: Session, latest: LoginCode, digest: str, now: datetime) -> bool:
    """The typed code is one sent to the number before `latest` and would still be valid: someone
    who asked for a new code is typing the one from the older SMS. It logs nobody in; it only
    earns a clearer message than "wrong". A few codes a day at most (SEND_LIMITS) to compare."""
    older = select(LoginCode.code_hash).where(
        LoginCode.phone == latest.phone, LoginCode.id < latest.id, LoginCode.expires_at > now
    )
    return any(hmac.compare_digest(code_hash, digest) for code_hash in session.scalars(older))


def _check_code(login: LoginCode | None, digest: str, now: datetime, max_tries: int) -> LoginCode:
    """Only the newest code for a number works, until it is used, expires or is guessed at too often."""
    if login is not None and login.used_at is not None and login.attempts >= max_tries:
        raise CodeRejected(N_("Wrong code too many times. Ask for a new one."))
    if login is None or login.used_at is not None:
        raise CodeRejected(N_("That code no longer works. Ask for a new one."))
    if login.expires_at <= now:
        raise CodeRejected(N_("The code has expired. Ask for a new one."))
    login.attempts += 1
    if hmac.compare_digest(login.code_hash, digest):
        return login
    if login.attempts >= max_tries:
        login.used_at = now
        raise CodeRejected(N_("Wrong code too many times. Ask for a new one."))
    raise WrongCode(N_("Wrong code. Check the SMS and try again."))


def _new_person(session: Session, phone: str, locale: str, now: datetime) -> Person:
    person = Person(
        phone=phone,
        locale=locale if locale in LOCALES else LOCALES[0],
        created_at=now,
        session_version=1,
        calendar_version=1,
        active=True,
    )
    session.add(person)
    session.flush()
    return person


def forget_code(message: SmsMessage) -> None:
    """Take the code out of a login SMS's stored text once the message has left the outbox, so the
    database never keeps a code someone could log in with. A message still pending or sending keeps
    it: a retry needs the text, and so does asking the provider whether an interrupted send arrived."""
    if message.purpose == Purpose.OTP and message.state not in UNFINISHED:
        message.body = CODE_IN_TEXT.sub(CODE_MASK, message.body)


def purge_login_data(session: Session, now: datetime) -> int:
    """Forget codes and counters nobody can use any more, and the codes in login SMS that were
    sent (or given up) after a retry rather than at once."""
    removed = _deleted(session, delete(LoginCode).where(LoginCode.expires_at < now - timedelta(days=1)))
    removed += _deleted(session, delete(RateEvent).where(RateEvent.at < now - timedelta(days=2)))
    unmasked = select(SmsMessage).where(
        SmsMessage.purpose == Purpose.OTP,
        SmsMessage.state.not_in(UNFINISHED),
        SmsMessage.body != "",
        SmsMessage.body.not_like(f"%{CODE_MASK}%"),
    )
    for message in session.scalars(unmasked):
        forget_code(message)
    return removed


# --- Sessions. ---


def _deleted(session: Session, statement: Delete) -> int:
    return cast(CursorResult, session.execute(statement)).rowcount


def load_session_person(session: Session, session_id: str) -> Person | None:
    person_id, _, version = session_id.partition(":")
    if not (person_id.isdigit() and version.isdigit()):
        return None
    person = session.get(Person, int(person_id))
    if person is None or not person.active or person.session_version != int(version):
        return None
    return person


def log_out_everywhere(person: Person) -> None:
    person.session_version += 1


# --- The profile. ---


class ProfileRefused(Refusal):
    """Every answer that needs changing, by field, so that one submit shows them all."""

    def __init__(self, problems: dict[str, Refusal]):
        first = next(iter(problems.values()))
        super().__init__(first.msgid, **first.params)
        self.problems = problems


def complete_profile(
    session: Session,
    person: Person,
    *,
    name: str,
    adult: bool,
    accepts_conduct: bool,
    municipality_id: int | None,
    locale: str,
    school_class_ids: list[int],
    now: datetime,
    links: Links,
) -> None:
    """The first-time questions; the answers to the two promises are kept with their time. The
    invitation that asked them to answer, if still waiting, is not sent: its link would no longer
    log them in (see `withdraw_invitations`)."""
    problems: dict[str, Refusal] = {}
    answers = _check_profile(session, problems, name, municipality_id, locale, school_class_ids)
    if not adult:
        problems["adult"] = Refusal(N_("Tick the box if you are 18 or older: night walkers are adults."))
    if not accepts_conduct:
        problems["conduct"] = Refusal(N_("Tick the box to accept the code of conduct: every walker keeps it."))
    if problems:
        raise ProfileRefused(problems)
    _apply(session, person, answers, now, links)
    person.adult_confirmed_at = person.adult_confirmed_at or now
    person.conduct_accepted_at = now
    person.conduct_version = CONDUCT_VERSION
    withdraw_invitations(session, person)
    # A waiting message may carry the link that logged them in once, which from now on logs
    # nobody in: written again, it leads to the nights (see `invitation_link_until`).
    wording_changed.send(person, session=session, links=links)


def withdraw_invitations(session: Session, person: Person) -> None:
    """The person has answered the first-time questions: the invitation to answer them is not sent
    (its link logs nobody in once they have), nor one to move to the region they have just joined.
    An invitation to move to another region keeps its point, and stays."""
    assert person.municipality is not None, "someone who answered has a municipality"
    keys = [f"invitation:{person.id}", f"invitation:{person.id}:{person.municipality.region_id}"]
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.purpose == Purpose.INVITATION,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.dedupe_key.in_(keys),
        )
        .values(state=MessageState.CANCELLED, last_error=notes.JOINED.text())
        .execution_options(synchronize_session=False)
    )


#: How long after the invitation to their class's weekend a parent who has not joined by then gets
#: the invitation to join: once, as a reminder. Joining by the class message's link withdraws it.
INVITATION_FOLLOWS = timedelta(days=2)


def invitations_follow(session: Session, person_ids: Collection[int], goes_out_at: datetime, now: datetime) -> None:
    """Another message inviting these people, with their own link, goes out at `goes_out_at` (the
    invitation to their class's weekend): their invitations to join still waiting that would go out
    no sooner wait until `INVITATION_FOLLOWS` after it, so that a parent gets one SMS where they would
    get two at once. Held, not withdrawn: if the class message is withdrawn (its night called off),
    or they do not join, the invitation still comes."""
    keys = [f"invitation:{person_id}" for person_id in person_ids]
    waiting = update(SmsMessage).where(
        SmsMessage.purpose == Purpose.INVITATION,
        SmsMessage.state == MessageState.PENDING,
        SmsMessage.dedupe_key.in_(keys),
    )
    if goes_out_at > now:  # else both go at the next dispatch, however late the invitation is
        waiting = waiting.where(SmsMessage.due_at >= goes_out_at)
    session.execute(
        waiting.values(due_at=goes_out_at + INVITATION_FOLLOWS, held_until=None).execution_options(
            synchronize_session=False
        )
    )


def home_regions(session: Session, person: Person, chosen_municipality_id: int | None) -> set[int]:
    """The regions someone answering the first-time questions belongs to, as far as is known: their
    municipality's (an import's) and those they hold a role in (a coordinator an administrator
    made); failing both, the region whose public page they came from. None for someone who came by
    themselves from the login page."""
    regions = {role.region_id for role in person.roles if role.region_id is not None}
    if person.municipality is not None:
        regions.add(person.municipality.region_id)
    chosen = session.get(Municipality, chosen_municipality_id) if chosen_municipality_id else None
    if not regions and chosen is not None:
        regions.add(chosen.region_id)
    return regions


def answered_first_questions(now: datetime) -> dict[str, object]:
    """What `onboard` leaves on a person who answered at `now`, approved: for people the demo and
    seeding create as if they had logged in before."""
    return {
        "adult_confirmed_at": now,
        "conduct_accepted_at": now,
        "conduct_version": CONDUCT_VERSION,
        "approved_at": now,
    }


def update_profile(
    session: Session,
    person: Person,
    *,
    name: str,
    municipality_id: int | None,
    locale: str,
    school_class_ids: list[int],
    now: datetime,
    links: Links,
) -> None:
    problems: dict[str, Refusal] = {}
    answers = _check_profile(session, problems, name, municipality_id, locale, school_class_ids)
    if problems:
        raise ProfileRefused(problems)
    _apply(session, person, answers, now, links)


@dataclass
class _Answers:
    name: str
    municipality: Municipality | None
    locale: str
    school_classes: list[SchoolClass]


def _check_profile(
    session: Session,
    problems: dict[str, Refusal],
    name: str,
    municipality_id: int | None,
    locale: str,
    school_class_ids: list[int],
) -> _Answers:
    """The answers as they will be kept; what is wrong with them goes into `problems`, by field."""
    name = " ".join((name or "").split())
    if not name:
        problems["name"] = Refusal(N_("Write your name."))
    municipality = session.get(Municipality, municipality_id) if municipality_id else None
    if municipality is None or municipality.archived:
        problems["municipality"] = Refusal(N_("Choose the municipality you live in."))
    classes = [session.get(SchoolClass, class_id) for class_id in dict.fromkeys(school_class_ids)]
    if not all(c is not None and _open_class(c, municipality) for c in classes):
        problems["school_classes"] = Refusal(N_("Choose school classes from the list."))
    if locale not in LOCALES:
        problems["locale"] = Refusal(N_("Choose a language from the list."))
    return _Answers(name, municipality, locale, [c for c in classes if c is not None])


def _open_class(school_class: SchoolClass, municipality: Municipality | None) -> bool:
    """A class still in use, of a school in the region the person lives in."""
    school = school_class.school
    return (
        not school_class.archived
        and not school.archived
        and (municipality is None or school.municipality.region_id == municipality.region_id)
    )


def _apply(session: Session, person: Person, answers: _Answers, now: datetime, links: Links) -> None:
    assert answers.municipality is not None, "checked: a profile has a municipality"
    _join_region(person, answers.municipality, now)
    person.name = answers.name
    person.municipality = answers.municipality
    person.school_classes = answers.school_classes
    session.flush()
    _speak(session, person, answers.locale, links)


def _join_region(person: Person, municipality: Municipality, now: datetime) -> None:
    """Someone choosing a home in a region for the first time, or moving to another region by
    themselves. A region's people see its nights and, on their own nights, each other's numbers:
    a region that approves each new person waits for its coordinator, even when another region
    approved them. A region open to all takes them at once, as it would a new number. Someone
    given a role in the region by an administrator or a coordinator was vouched for then: putting
    them in the queue would have a coordinator asked to approve themselves."""
    region_id = municipality.region_id
    if _holds_a_role_in(person, region_id):
        approve(person, now)
        return
    if person.municipality is not None and person.municipality.region_id == region_id:
        return
    person.approved_at = now if municipality.region.registration == Registration.OPEN else None


def _holds_a_role_in(person: Person, region_id: int) -> bool:
    return person.holds(RoleKind.COORDINATOR, region_id) or person.holds(RoleKind.LEADER, region_id)


def approve(person: Person, now: datetime) -> bool:
    """Accept the person as a walker of their region; False when they were already."""
    if person.approved_at is not None:
        return False
    person.approved_at = now
    return True


def normalise_email(raw: str) -> str:
    """An address as typed, checked and tidied ("Kari@Example.NO" -> "Kari@example.no"); no mail
    server is asked whether it exists."""
    address = (raw or "").strip()
    if len(address) > EMAIL_MAX_LENGTH:
        raise EmailRefused(N_("That is not an e-mail address. Write it like kari@example.no."))
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise EmailRefused(N_("That is not an e-mail address. Write it like kari@example.no.")) from error


#: Sent when the messages still waiting for a person are to be worded anew: they chose another
#: channel (`choose_channel`: no JA or NEI is asked of someone reading an e-mail) or another language
#: (`choose_language`, the profile, the first-time questions), or they answered the first-time
#: questions (`complete_profile`: a link that logged them in to answer them logs nobody in now).
#: With the person as sender and the `session` and `links` as keywords, each feature whose texts
#: wait in the outbox (the reminders and calls of `shifts`, the class invitations of `roster`)
#: writes those still waiting again, in the person's language and for their channel. A signal,
#: because those features stand a floor above `accounts` and may not be imported here; the app
#: factory connects them.
wording_changed = Signal("wording changed")


def choose_channel(session: Session, person: Person, channel: Channel, email: str, links: Links) -> None:
    """How reminders, news and login codes reach the person. Messages still waiting to be sent
    follow the choice, and are worded for it (`wording_changed`)."""
    address = normalise_email(email) if (email or "").strip() else ""
    if channel == Channel.EMAIL and not address:
        raise EmailRefused(N_("Write your e-mail address to get messages by e-mail."))
    was_by_email = person.mail_to is not None
    person.email, person.channel = address, channel
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.purpose.not_in(SMS_ONLY),
        )
        .values(channel=channel, email=person.mail_to)
        .execution_options(synchronize_session=False)
    )
    if (person.mail_to is not None) != was_by_email:
        wording_changed.send(person, session=session, links=links)


def choose_language(session: Session, person: Person, locale: str, links: Links) -> None:
    if locale not in LOCALES:
        raise Refusal(N_("Choose a language from the list."))
    _speak(session, person, locale, links)


def _speak(session: Session, person: Person, locale: str, links: Links) -> None:
    """The person's language from now on. What still waits to be sent to them is written again in
    it, where it can be (`wording_changed`; the messages of `accounts` here): in place, so that
    nothing is planned twice and a message held back by quiet hours keeps its turn. What cannot be
    written again keeps the language it was planned in: a coordinator's own words (a message to
    many), news of a night moved (the old time is gone) or called off (with the coordinator's
    reason), a stand-in found, an offer gone on, an invitation to move to another region (its
    municipality is not kept), and what goes out at once (login codes, answers, tests)."""
    person.locale_guessed = False  # chosen now, even if the same as was guessed for them
    if locale == person.locale:
        return
    person.locale = locale
    _reword_own(session, person, links)
    wording_changed.send(person, session=session, links=links)


# --- Invitations: an imported parent's way in. ---


def plan_invitations(session: Session, people: list[Person], links: Links, now: datetime) -> None:
    """An SMS to each person with a link that logs them in to answer the first-time questions,
    sent once per person (a second import plans none) and not in their region's quiet hours.
    Planned in a few statements, not a few per person: a school's list brings thousands."""
    sms.enqueue_many(session, [_invitation(person, links, now) for person in people])


def _invitation(person: Person, links: Links, now: datetime) -> dict:
    assert person.municipality is not None, "an invited person has a municipality"
    body = _invitation_text(person, links, now)
    return _invitation_fields(person, person.municipality.region, f"invitation:{person.id}", body, now)


def _invitation_text(person: Person, links: Links, planned_at: datetime) -> str:
    """Its link lasts from the moment the invitation was planned (`INVITATION_VALID`), however
    often the text is written again."""
    assert person.municipality is not None, "an invited person has a municipality"
    _ = translations(person.locale).gettext
    return _("Natteravn %(municipality)s: you are invited to walk with us. Get started here: %(link)s") % {
        "municipality": person.municipality.name,
        "link": links.invitation(invitation_token(person, links, planned_at)),
    }


def plan_move_invitation(
    session: Session, person: Person, municipality: Municipality, links: Links, now: datetime
) -> SmsMessage | None:
    """A coordinator imported someone who lives in another region: they stay where they are and
    hear of the invitation, and move on their profile if they wish (where the new region approves
    each new person, it approves them first). Once per person and region."""
    _ = translations(person.locale).gettext
    body = _(
        "Natteravn %(municipality)s: you are invited to walk with us. To move here, choose %(municipality)s"
        " on your profile: %(link)s"
    ) % {"municipality": municipality.name, "link": links.url("/profile")}
    key = f"invitation:{person.id}:{municipality.region_id}"
    return _invite(session, person, municipality.region, key, body, now)


def plan_approval_notices(session: Session, people: list[Person], region: Region, links: Links, now: datetime) -> None:
    """Tell those who waited for the coordinator that they can now sign up: otherwise a parent who
    joined at a parent meeting and was told to wait may never look again. Once per person and
    region; not in the region's quiet hours."""
    sms.enqueue_many(session, [_approval_notice(person, region, links, now) for person in people])


def _approval_notice(person: Person, region: Region, links: Links, now: datetime) -> dict:
    body = _approval_text(person, region, links)
    return _fields(person, region, f"approved:{person.id}:{region.id}", body, now, purpose=Purpose.APPROVED)


def _approval_text(person: Person, region: Region, links: Links) -> str:
    _ = translations(person.locale).gettext
    return _("Natteravn %(region)s: you are approved and can sign up for nights now: %(link)s") % {
        "region": region.name,
        "link": links.url("/nights"),
    }


def plan_coordinator_notice(
    session: Session, person: Person, region: Region, municipality: Municipality | None, links: Links, now: datetime
) -> None:
    """Tell someone just made coordinator of the region (or of one of its municipalities) where to
    log in: otherwise whoever gave the role must find another way to tell them the address. Once
    per role; not in the region's quiet hours."""
    key = f"coordinator:{person.id}:{region.id}:{municipality.id if municipality else 'all'}"
    body = _coordinator_text(person, region, municipality, links)
    sms.enqueue_many(session, [_fields(person, region, key, body, now, purpose=Purpose.COORDINATOR)])


def _coordinator_text(person: Person, region: Region, municipality: Municipality | None, links: Links) -> str:
    _ = translations(person.locale).gettext
    words = {"region": region.name, "link": links.url("/login")}
    if municipality is None:
        return _("Natteravn: you are now coordinator of %(region)s. Log in with this mobile number: %(link)s") % words
    return _(
        "Natteravn: you are now coordinator of %(municipality)s in %(region)s. Log in with this mobile number: %(link)s"
    ) % {**words, "municipality": municipality.name}


def _reword_own(session: Session, person: Person, links: Links) -> None:
    """The messages of `accounts` still waiting for the person, written again in their language:
    the invitation to join, the news that they are approved, and that they are coordinator."""
    waiting = session.scalars(
        select(SmsMessage).where(
            SmsMessage.person_id == person.id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.purpose.in_((Purpose.INVITATION, Purpose.APPROVED, Purpose.COORDINATOR)),
        )
    )
    for message in waiting:
        body = _own_text(session, person, message, links)
        if body is not None:
            sms.reword(session, body, SmsMessage.id == message.id, subject=subject_for(message.purpose, person.locale))


def _own_text(session: Session, person: Person, message: SmsMessage, links: Links) -> str | None:
    """The message's text in the person's language now, read from what it is about; None for one
    whose text cannot be made again (an invitation to move: its municipality is not kept)."""
    region = session.get(Region, message.region_id) if message.region_id else None
    if region is None:
        return None
    if message.purpose == Purpose.INVITATION:
        joining = message.dedupe_key == f"invitation:{person.id}" and person.municipality is not None
        return _invitation_text(person, links, message.created_at) if joining else None
    if message.purpose == Purpose.APPROVED:
        return _approval_text(person, region, links)
    *_, place = (message.dedupe_key or "").split(":")
    municipality = session.get(Municipality, int(place)) if place.isdigit() else None
    return _coordinator_text(person, region, municipality, links)


def _invite(session: Session, person: Person, region: Region, key: str, body: str, now: datetime) -> SmsMessage | None:
    if session.scalar(select(SmsMessage.id).where(SmsMessage.dedupe_key == key)) is not None:
        return None
    return sms.enqueue(session, **_invitation_fields(person, region, key, body, now))


def _invitation_fields(person: Person, region: Region, key: str, body: str, now: datetime) -> dict:
    # Sent late it would leave too little of the link's life to use it.
    return _fields(person, region, key, body, now, purpose=Purpose.INVITATION, expires_at=now + INVITATION_VALID / 2)


def _fields(
    person: Person,
    region: Region,
    key: str,
    body: str,
    now: datetime,
    *,
    purpose: Purpose,
    expires_at: datetime | None = None,
) -> dict:
    """A message to the person on behalf of the region, once (by `key`), after its quiet hours."""
    return dict(
        to=person.phone,
        body=body,
        purpose=purpose,
        now=now,
        due_at=after_quiet_hours(now, region.quiet_from, region.quiet_until),
        person_id=person.id,
        region_id=region.id,
        expires_at=expires_at,
        dedupe_key=key,
        email=person.mail_to,
        locale=person.locale,
    )


def invitation_token(person: Person, links: Links, now: datetime) -> str:
    return _invitation_token(person, links, now + INVITATION_VALID)


def invitation_link_until(person: Person, links: Links, until: datetime) -> str:
    """A link that logs the person in to answer the first-time questions, until `until`: for a
    message that invites them to something of its own (their class's weekend) and lasts as long."""
    return links.invitation(_invitation_token(person, links, until))


def _invitation_token(person: Person, links: Links, until: datetime) -> str:
    return links.sign("invitation", [person.id, person.session_version, int(until.timestamp())])


def person_for_invitation(session: Session, token: str, links: Links, now: datetime) -> Person | None:
    """The person an invitation link was made for, while it lasts; None for a link altered, made
    for something else, expired, or revoked by logging out everywhere."""
    value = links.unsign("invitation", token)
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value)):
        return None
    person_id, version, expires = value
    if now.timestamp() >= expires:
        return None
    person = session.get(Person, person_id)
    if person is None or not person.active or person.session_version != version:
        return None
    return person


def calendar_token(person: Person, links: Links) -> str:
    return links.sign("calendar-feed", [person.id, person.calendar_version])


def person_for_calendar(session: Session, token: str, links: Links) -> Person | None:
    value = links.unsign("calendar-feed", token)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        return None
    person = session.get(Person, value[0])
    if person is None or not person.active or person.calendar_version != value[1]:
        return None
    return person


def revoke_calendar(person: Person) -> None:
    person.calendar_version += 1


# --- SMS opt-out (STOP / START). ---


def opt_out(session: Session, person: Person, now: datetime) -> None:
    """No more SMS for this person, starting with whatever is still planned. Login codes they ask
    for still reach them: they asked, and without one they could not log in to opt back in.
    E-mail, for those who chose it, goes on."""
    person.sms_opted_out_at = person.sms_opted_out_at or now
    session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.person_id == person.id,
            SmsMessage.state == MessageState.PENDING,
            SmsMessage.channel == Channel.SMS,
            SmsMessage.purpose.not_in(ASKED_FOR),
        )
        .values(state=MessageState.CANCELLED, last_error=notes.OPTED_OUT.text())
        .execution_options(synchronize_session=False)
    )


def opt_in(person: Person) -> None:
    person.sms_opted_out_at = None


def opt_out_number(session: Session, phone: str, now: datetime) -> None:
    """The SMS provider says this number has opted out (Twilio 21610)."""
    person = session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        opt_out(session, person, now)


def opted_out_among(session: Session, person_ids) -> set[int]:
    query = select(Person.id).where(Person.id.in_(person_ids), Person.sms_opted_out_at.is_not(None))
    return set(session.scalars(query))
