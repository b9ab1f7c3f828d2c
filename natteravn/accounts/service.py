"""Logging in by SMS code, the first-time profile, and a person's sessions and feeds."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from natteravn.accounts.models import LoginCode, Person, RateEvent, Role, RoleKind
from natteravn.i18n import LOCALES, N_, Refusal, translations
from natteravn.links import Links
from natteravn.places.models import Municipality, SchoolClass
from natteravn.sms import service as sms
from natteravn.sms.models import Purpose, SmsMessage

#: (what is counted, how many, per how long)
SEND_LIMITS = (("phone", 3, timedelta(minutes=15)), ("phone", 8, timedelta(days=1)), ("client", 20, timedelta(hours=1)))
TRY_LIMITS = (("phone", 10, timedelta(hours=1)), ("client", 30, timedelta(hours=1)))
CONDUCT_VERSION = 1
SMS_CAPABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(Refusal):
    pass


class TooManyRequests(Refusal):
    pass


class CodeRejected(Refusal):
    pass


def normalise_phone(raw: str) -> str:
    """E.164 for a number typed as a person would: "900 00 000", "+47 900 00 000", "0047…"."""
    try:
        number = phonenumbers.parse(raw or "", "NO")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(N_("That is not a phone number. Write it like 912 34 567.")) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(N_("That is not a valid phone number. Write it like 912 34 567."))
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise InvalidPhone(N_("That number cannot receive SMS. Use a mobile number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    number = phonenumbers.parse(e164)
    if number.country_code == 47:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _enforce(session: Session, limits, action: str, keys: dict[str, str], now: datetime) -> None:
    for kind, allowed, window in limits:
        key = f"{action}:{kind}:{keys[kind]}"
        used = session.scalar(select(func.count()).where(RateEvent.key == key, RateEvent.at > now - window))
        if used >= allowed:
            raise TooManyRequests(N_("Too many attempts. Wait a while and try again."))
    session.add_all(RateEvent(key=f"{action}:{kind}:{keys[kind]}", at=now) for kind in {k for k, _, _ in limits})


def request_code(
    session: Session, phone: str, client: str, now: datetime, *, ttl_minutes: int = 10, locale: str = "nb"
) -> SmsMessage:
    """Plan an SMS with a fresh six-digit code; earlier codes for the number stop working.
    Returns the planned message, for the caller to send at once."""
    _enforce(session, SEND_LIMITS, "send", {"phone": phone, "client": client}, now)
    person = session.scalar(select(Person).where(Person.phone == phone))
    session.execute(update(LoginCode).where(LoginCode.phone == phone, LoginCode.used_at.is_(None)).values(used_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    login = LoginCode(
        phone=phone,
        code_hash=generate_password_hash(code),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
        attempts=0,
    )
    session.add(login)
    _ = translations(person.locale if person else locale).gettext
    return sms.enqueue(
        session,
        to=phone,
        body=_("Your Natteravn code is %(code)s. It is valid for %(minutes)d minutes.")
        % {"code": code, "minutes": ttl_minutes},
        purpose=Purpose.OTP,
        now=now,
        person_id=person.id if person else None,
        urgent=True,
        expires_at=login.expires_at,
    )


def verify_code(
    session: Session,
    phone: str,
    code: str,
    client: str,
    now: datetime,
    *,
    max_tries: int = 5,
    locale: str = "nb",
) -> Person:
    """The person behind a correct code, created on first login. Every try counts, right or
    wrong; the caller commits even when this refuses, so the count sticks."""
    _enforce(session, TRY_LIMITS, "try", {"phone": phone, "client": client}, now)
    login = session.scalar(
        select(LoginCode)
        .where(LoginCode.phone == phone, LoginCode.used_at.is_(None), LoginCode.expires_at > now)
        .order_by(LoginCode.created_at.desc())
        .limit(1)
    )
    if login is None:
        raise CodeRejected(N_("The code has expired. Ask for a new one."))
    login.attempts += 1
    if not check_password_hash(login.code_hash, "".join((code or "").split())):
        if login.attempts >= max_tries:
            login.used_at = now
            raise CodeRejected(N_("Wrong code too many times. Ask for a new one."))
        raise CodeRejected(N_("Wrong code. Check the SMS and try again."))
    login.used_at = now
    person = session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
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


def purge_login_data(session: Session, now: datetime) -> int:
    """Forget codes and counters nobody can use any more."""
    removed = session.execute(delete(LoginCode).where(LoginCode.expires_at < now - timedelta(days=1))).rowcount
    removed += session.execute(delete(RateEvent).where(RateEvent.at < now - timedelta(days=2))).rowcount
    return removed


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


def complete_profile(
    session: Session,
    person: Person,
    *,
    name: str,
    adult: bool,
    accepts_conduct: bool,
    municipality_id: int,
    locale: str,
    school_class_id: int | None,
    now: datetime,
) -> None:
    if not adult:
        raise Refusal(N_("Night walkers must be 18 or older."))
    if not accepts_conduct:
        raise Refusal(N_("You must accept the walkers' code of conduct to walk."))
    update_profile(
        session, person, name=name, municipality_id=municipality_id, locale=locale, school_class_id=school_class_id
    )
    person.adult_confirmed_at = person.adult_confirmed_at or now
    person.conduct_accepted_at = now
    person.conduct_version = CONDUCT_VERSION


def update_profile(
    session: Session, person: Person, *, name: str, municipality_id: int, locale: str, school_class_id: int | None
) -> None:
    name = " ".join((name or "").split())
    if not name:
        raise Refusal(N_("Write your name."))
    municipality = session.get(Municipality, municipality_id)
    if municipality is None or municipality.archived:
        raise Refusal(N_("Choose a municipality from the list."))
    if school_class_id is not None:
        school_class = session.get(SchoolClass, school_class_id)
        if school_class is None or school_class.school.municipality.region_id != municipality.region_id:
            raise Refusal(N_("Choose a school class from the list."))
    person.name = name[:120]
    person.municipality_id = municipality.id
    person.locale = locale if locale in LOCALES else LOCALES[0]
    person.school_class_id = school_class_id


def grant_role(session: Session, person: Person, kind: RoleKind, region_id: int) -> Role:
    role = next((r for r in person.roles if r.kind == kind and r.region_id == region_id), None)
    if role is None:
        role = Role(kind=kind, region_id=region_id)
        person.roles.append(role)
        session.flush()
    return role


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
