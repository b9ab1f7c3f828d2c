"""A parent imported from a class list, whose class is then given a weekend: one SMS inviting them
to walk that weekend, with the personal link that logs them in to answer the first-time questions
and takes them on to the nights, not an invitation and a class message at the same minute. The
invitation to join follows two days later only if they have not joined by then."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person
from natteravn.people import importing
from natteravn.roster import service as roster
from natteravn.roster import terms
from natteravn.sms import notes
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories

FILE = "name;phone;municipality;class\nPer Persen;922 22 222;Åsnes;9A\n"
PER = "+4792222222"
WEEKEND = date(2026, 11, 27)
ANSWERS = {"name": "Per Persen", "municipality": None, "locale": "en", "adult": "y", "conduct": "y"}


@pytest.fixture
def draft(db, clock, links):
    return drafted(db, clock, links)


def drafted(db, clock, links) -> factories.Solor:
    """Solør's term, not yet published; Per Persen imported into 9A; Kari Nordmann, who has walked
    before, a parent of 9A too; 9A given the weekend of 27 November."""
    built = factories.solor(db, clock(), published=False)
    built.parent.locale = "en"
    built.parent.school_classes = [built.school_class]
    importing.apply_import(db, {built.region.id}, FILE, built.coordinator, clock(), links)
    per_of(db).locale = "en"
    terms.give_weekend(db, built.term, built.school_class.id, WEEKEND, clock(), links, built.coordinator)
    db.commit()
    return built


def per_of(db) -> Person:
    return db.scalar(select(Person).where(Person.phone == PER))


def waiting_to(db, phone: str, by: datetime | None = None) -> list[SmsMessage]:
    """What waits for the number, due by `by` if given."""
    query = select(SmsMessage).where(SmsMessage.to == phone, SmsMessage.state == MessageState.PENDING)
    if by is not None:
        query = query.where(SmsMessage.due_at <= by)
    return list(db.scalars(query))


def of_purpose(db, phone: str, purpose: Purpose) -> SmsMessage:
    return db.scalars(select(SmsMessage).where(SmsMessage.to == phone, SmsMessage.purpose == purpose)).one()


def link_path(message: SmsMessage) -> str:
    return re.search(r"http://natteravn\.test(/\S+)", message.body).group(1)


def test_a_new_parent_gets_one_sms_that_invites_them_to_join_and_to_their_class_weekend(db, draft, clock, links):
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()

    (message,) = waiting_to(db, PER, by=clock())
    assert message.purpose == Purpose.CLASS_INVITATION
    assert message.body.startswith(
        "Natteravn Åsnes: you are invited to walk with us. The weekend of Fri 27 and Sat 28 November is the class"
        " weekend of Flisa skole 9A. Get started and sign up for a night here: http://natteravn.test/i/"
    )
    invitation = of_purpose(db, PER, Purpose.INVITATION)
    assert invitation.state == MessageState.PENDING and invitation.due_at == clock() + accounts.INVITATION_FOLLOWS
    # Someone who has walked before is asked to sign up as before.
    (kari,) = waiting_to(db, draft.parent.phone)
    assert kari.body.endswith("Sign up for a night: http://natteravn.test/nights")


def test_imported_and_published_in_the_quiet_hours_the_parent_gets_one_sms_at_eight(app, db, clock, links, gateway):
    clock.set(datetime(2026, 11, 18, 5, 36, tzinfo=UTC))  # 06:36 in Oslo
    draft = drafted(db, clock, links)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    policy = app.extensions["natteravn.sms_policy"]
    assert sms.dispatch_due(db, gateway, clock(), policy=policy).sent == 0
    sms.dispatch_due(db, gateway, datetime(2026, 11, 18, 7, 0, tzinfo=UTC), policy=policy)  # 08:00
    (to_per,) = [body for to, body in gateway.sent if to == PER]
    assert "you are invited to walk with us" in to_per and "class weekend of Flisa skole 9A" in to_per


def test_an_invitation_overdue_but_not_yet_sent_is_not_sent_beside_the_class_sms(db, draft, clock, links):
    clock.advance(hours=1)  # the invitation was due an hour ago; no dispatch has run since
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    (message,) = waiting_to(db, PER, by=clock())
    assert message.purpose == Purpose.CLASS_INVITATION


def test_the_invitation_follows_unless_they_join_by_the_class_sms(app, db, draft, clock, links):
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    (message,) = waiting_to(db, PER, by=clock())
    client = app.test_client()
    client.get(link_path(message))
    client.post("/welcome", data={**ANSWERS, "municipality": draft.asnes.id, "school_classes": draft.school_class.id})
    invitation = of_purpose(db, PER, Purpose.INVITATION)
    db.refresh(invitation)
    assert invitation.state == MessageState.CANCELLED
    assert invitation.last_error == notes.JOINED.text()


def test_the_invitation_still_comes_when_the_class_sms_is_withdrawn_with_its_night(db, draft, clock, links):
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    for route in ("Flisa sentrum", "Kjellmyra"):  # Friday's nights in the class's municipality
        roster.cancel_night(db, draft.night_on(route, WEEKEND), "Storm", clock(), links, draft.coordinator)
    db.commit()
    assert of_purpose(db, PER, Purpose.CLASS_INVITATION).state == MessageState.CANCELLED
    (invitation,) = waiting_to(db, PER)
    assert invitation.purpose == Purpose.INVITATION


def test_the_link_in_the_class_sms_logs_them_in_to_answer_and_then_shows_the_nights(app, db, draft, clock, links):
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    (message,) = waiting_to(db, PER, by=clock())
    client = app.test_client()

    response = client.get(link_path(message))
    assert response.status_code == 302 and response.headers["Location"] == "/welcome"
    welcome = client.get("/welcome")
    assert welcome.status_code == 200 and 'value="Per Persen"' in welcome.text
    answers = {**ANSWERS, "municipality": draft.asnes.id, "school_classes": draft.school_class.id}
    answered = client.post("/welcome", data=answers)
    assert answered.status_code == 302 and answered.headers["Location"] == "/nights"
    assert client.get("/nights").status_code == 200


def test_the_publish_preview_counts_the_sms_publishing_plans(db, draft, clock, links):
    preview = terms.publish_preview(db, draft.term, clock(), links, price=Decimal("0.45"))
    published = terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    planned = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.CLASS_INVITATION)).all()
    assert published.invited == preview.invited.people == 2
    assert preview.invited.segments == sum(message.segments for message in planned)
    assert sum(message.segments for message in planned) > len(planned)  # the new parent's SMS is longer


def test_when_sign_up_opens_later_the_invitation_goes_now_and_the_class_sms_then(db, draft, clock, links):
    opens = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # tomorrow, 18:00 in Oslo
    draft.term.signup_opens_at = opens
    db.commit()
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()

    invitation, class_sms = sorted(waiting_to(db, PER), key=lambda message: message.due_at)
    assert invitation.purpose == Purpose.INVITATION and invitation.due_at == clock()
    assert class_sms.purpose == Purpose.CLASS_INVITATION and class_sms.due_at == opens
    assert "/i/" in class_sms.body  # not logged in yet, it carries their own link too


def test_once_they_have_answered_the_waiting_class_sms_leads_to_the_nights(db, draft, clock, links):
    draft.term.signup_opens_at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    db.commit()
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()

    accounts.complete_profile(
        db,
        per_of(db),
        name="Per Persen",
        adult=True,
        accepts_conduct=True,
        municipality_id=draft.asnes.id,
        locale="en",
        school_class_ids=[draft.school_class.id],
        now=clock(),
        links=links,
    )
    db.commit()

    (class_sms,) = waiting_to(db, PER)  # the invitation went at once, and is withdrawn now they joined
    assert class_sms.purpose == Purpose.CLASS_INVITATION
    assert class_sms.body == (
        "Natteravn: the weekend of Fri 27 and Sat 28 November is the class weekend of Flisa skole 9A."
        " Sign up for a night: http://natteravn.test/nights"
    )
