"""What STOP, START, HELP and unreadable SMS answers mean for a person. Wired into the SMS
inbound handler registry by the app factory; each returns the answer in the person's language,
or None for a number that belongs to nobody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from natteravn.accounts import service
from natteravn.accounts.models import Person
from natteravn.i18n import translations
from natteravn.links import Links
from natteravn.sms.inbound import Sender


def _person(session: Session, phone: str) -> Person | None:
    return session.scalar(select(Person).where(Person.phone == phone, Person.active.is_(True)))


def sender(session: Session, phone: str) -> Sender | None:
    person = _person(session, phone)
    return Sender(person_id=person.id, locale=person.locale) if person else None


def reply_stop(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _person(session, phone)
    if person is None:
        return None
    service.opt_out(session, person, now)
    _ = translations(person.locale).gettext
    return _("Natteravn: you will get no more SMS from us. Answer START to get them again.")


def reply_start(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _person(session, phone)
    if person is None:
        return None
    service.opt_in(person)
    _ = translations(person.locale).gettext
    return _("Natteravn: welcome back, you get SMS from us again. Answer STOP to stop them.")


def reply_help(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _person(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    return _("Natteravn: answer YES to confirm your next night, NO to cancel it, STOP to stop SMS. %(link)s") % {
        "link": links.url("/")
    }


def reply_unknown(session: Session, phone: str, now: datetime, links: Links, body: str = "") -> str | None:
    person = _person(session, phone)
    if person is None:
        return None
    _ = translations(person.locale).gettext
    return _("Natteravn did not understand that. Answer YES to confirm your next night, NO to cancel it, or HELP.")
