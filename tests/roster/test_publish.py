"""Draft and publish: a draft's nights are the coordinator's alone; publishing shows them to
parents and sends everyone already on the roster one SMS listing their nights."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape

import pytest
from sqlalchemy import func, select

from natteravn.accounts import service as accounts
from natteravn.audit.models import AuditEvent
from natteravn.i18n import translations
from natteravn.roster import service as roster
from natteravn.roster import terms
from natteravn.shifts.models import SignupRole, Term
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories


@pytest.fixture
def draft(db, clock):
    """Solør's term, not yet published."""
    built = factories.solor(db, clock(), published=False)
    for person in (built.parent, built.other_parent, built.leader, built.coordinator):
        person.locale = "en"
    db.commit()
    return built


def _summaries(db) -> list[SmsMessage]:
    return list(db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.ROSTER_PUBLISHED)))


def test_parents_cannot_see_a_draft_terms_nights(draft, login):
    client = login(draft.parent)
    assert "Flisa sentrum" not in client.get("/nights").text
    assert client.get(f"/nights/{draft.nights[0].id}").status_code == 404


def test_publishing_shows_the_nights_and_sends_each_person_on_the_roster_one_summary(db, draft, clock, links):
    first, second = draft.nights[0], draft.nights[-1]
    roster.assign(db, first, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, second, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, first, draft.leader, SignupRole.LEADER, clock(), links, draft.coordinator)
    assert db.scalar(select(func.count()).select_from(SmsMessage)) == 0

    published = terms.publish(db, draft.term, clock(), links, draft.coordinator)

    assert published.told == 2
    assert draft.term.published_at == clock()
    summaries = _summaries(db)
    assert sorted(m.to for m in summaries) == sorted([draft.parent.phone, draft.leader.phone])
    to_parent = next(m for m in summaries if m.to == draft.parent.phone)
    assert "20.11" in to_parent.body and "19.12" in to_parent.body
    assert "Høst 2026" in to_parent.body
    reminders = db.scalars(select(SmsMessage.purpose).where(SmsMessage.to == draft.parent.phone)).all()
    assert Purpose.REMINDER_BEFORE in reminders  # planned at publishing, not while the term was a draft
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "term.published"))["told"] == 2


def test_the_list_of_a_persons_nights_still_goes_out_when_the_first_of_them_is_called_off(db, draft, clock, links):
    first, second = draft.nights[0], draft.nights[-1]
    first_place = roster.assign(db, first, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, second, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    roster.remove(db, first_place, clock(), links, draft.coordinator)
    roster.cancel_night(db, second, "Storm", clock(), links, draft.coordinator)
    (summary,) = _summaries(db)
    assert summary.state == MessageState.PENDING  # each change is told on its own; the list is not withdrawn
    assert summary.region_id == draft.region.id


def test_a_summary_waiting_is_written_again_in_the_language_the_person_chooses(db, draft, clock, links):
    first, second = draft.nights[0], draft.nights[-1]
    first_place = roster.assign(db, first, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, second, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    roster.remove(db, first_place, clock(), links, draft.coordinator)
    accounts.choose_language(db, draft.parent, "nb", links)
    (summary,) = _summaries(db)
    db.refresh(summary)
    assert summary.body.startswith("Natteravn: vaktlista for Høst 2026 er klar. Vaktene dine: Kjellmyra 19.12")
    assert "19.12" in summary.body and "20.11" not in summary.body  # the place she gave back is not listed
    assert summary.subject == translations("nb").gettext("Natteravn: your nights this term")


def test_publishing_plans_each_reminder_once_and_the_day_reminders_name_each_nights_leader(db, draft, clock, links):
    first, second = draft.nights[0], draft.nights[-1]
    for night in (first, second):
        roster.assign(db, night, draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, first, draft.other_parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, first, draft.leader, SignupRole.LEADER, clock(), links, draft.coordinator)

    terms.publish(db, draft.term, clock(), links, draft.coordinator)

    planned = db.scalars(select(SmsMessage).where(SmsMessage.purpose != Purpose.ROSTER_PUBLISHED)).all()
    by_night = {(m.to, m.shift_id, m.purpose): m for m in planned}
    assert len(by_night) == len(planned)  # none twice
    walkers = [(draft.parent, first), (draft.parent, second), (draft.other_parent, first)]
    for person, night in walkers:
        assert (person.phone, night.id, Purpose.REMINDER_BEFORE) in by_night
    leader = draft.leader.name.split()[0]
    assert f"Group leader: {leader}." in by_night[(draft.parent.phone, first.id, Purpose.REMINDER_DAY)].body
    assert f"Group leader: {leader}." in by_night[(draft.other_parent.phone, first.id, Purpose.REMINDER_DAY)].body
    assert "Group leader: no leader yet." in by_night[(draft.parent.phone, second.id, Purpose.REMINDER_DAY)].body
    assert "you lead" in by_night[(draft.leader.phone, first.id, Purpose.REMINDER_DAY)].body
    assert (draft.leader.phone, first.id, Purpose.REPORT_REQUEST) in by_night
    assert all(m.region_id == draft.term.region_id and m.segments == 1 for m in planned)


def test_a_summary_is_in_the_persons_language(db, draft, clock, links):
    draft.parent.locale = "en"
    roster.assign(db, draft.nights[0], draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    assert _summaries(db)[0].body.startswith(
        "Natteravn: the roster for Høst 2026 is out. Your nights: Flisa sentrum 20.11"
    )


def test_publishing_twice_is_refused_and_sends_nothing_more(db, draft, clock, links):
    roster.assign(db, draft.nights[0], draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    with pytest.raises(terms.TermRefused):
        terms.publish(db, draft.term, clock(), links, draft.coordinator)
    assert len(_summaries(db)) == 1


def test_a_coordinator_publishes_through_the_term_page_and_parents_then_see_the_nights(db, draft, login, clock, links):
    roster.assign(db, draft.nights[0], draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    db.commit()
    client = login(draft.coordinator)

    page = client.get(f"/coordinator/terms/{draft.term.id}").text
    assert "Draft: parents cannot see these nights yet" in page
    response = client.post(f"/coordinator/terms/{draft.term.id}/publish")
    assert response.status_code == 302
    told = client.get(response.location).text
    assert "1 person on the roster gets an SMS" in told and "class weekend" not in told
    again = client.post(f"/coordinator/terms/{draft.term.id}/publish")
    assert "already published" in client.get(again.location).text
    assert len(_summaries(db)) == 1

    client.post("/logout")
    assert "Flisa sentrum" in login(draft.other_parent).get("/nights").text
    db.expire_all()
    assert db.get(Term, draft.term.id).published_at is not None


def test_publishing_says_how_many_parents_are_invited_to_their_class_weekends_and_when(db, draft, login, clock, links):
    draft.term.signup_opens_at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # tomorrow, 18:00 in Oslo
    draft.parent.school_classes = [draft.school_class]
    draft.other_parent.school_classes = [draft.school_class]
    terms.give_weekend(db, draft.term, draft.school_class.id, date(2026, 11, 27), clock(), links, draft.coordinator)
    db.commit()
    client = login(draft.coordinator)
    response = client.post(f"/coordinator/terms/{draft.term.id}/publish")
    text = " ".join(unescape(client.get(response.location).text).split())
    assert "2 parents are invited to their classes' weekends when sign-up opens, Thu 19 Nov 18:00." in text


def _said(response) -> str:
    return " ".join(unescape(response.text).split())


def test_publish_first_shows_what_it_sends_and_costs_and_sends_nothing(db, draft, login, clock, links):
    draft.term.signup_opens_at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # tomorrow, 18:00 in Oslo
    roster.assign(db, draft.nights[0], draft.parent, SignupRole.WALKER, clock(), links, draft.coordinator)
    roster.assign(db, draft.nights[-1], draft.leader, SignupRole.LEADER, clock(), links, draft.coordinator)
    draft.parent.school_classes = [draft.school_class]
    draft.other_parent.school_classes = [draft.school_class]
    terms.give_weekend(db, draft.term, draft.school_class.id, date(2026, 11, 27), clock(), links, draft.coordinator)
    db.commit()
    client = login(draft.coordinator)

    term_page = client.get(f"/coordinator/terms/{draft.term.id}").text
    assert f'href="/coordinator/terms/{draft.term.id}/publish"' in term_page  # a link to the preview, no form

    preview = client.get(f"/coordinator/terms/{draft.term.id}/publish")

    assert preview.status_code == 200
    said = _said(preview)
    assert "Publishing cannot be undone." in said
    assert "2 people on the roster get an SMS with their nights." in said
    assert "2 parents are invited to their classes' weekends when sign-up opens, Thu 19 Nov 18:00." in said
    assert "In all 4 SMS, about 1.80 kr." in said  # one SMS each at 0.45 kr
    assert "Natteravn: the roster for Høst 2026 is out." in said  # the longest summary, as sent
    assert "the weekend of Fri 27 and Sat 28 November is the class weekend of Flisa skole 9A" in said
    sent = select(func.count()).where(SmsMessage.purpose.in_([Purpose.ROSTER_PUBLISHED, Purpose.CLASS_INVITATION]))
    assert db.scalar(sent) == 0
    db.expire_all()
    assert db.get(Term, draft.term.id).published_at is None

    done = client.post(f"/coordinator/terms/{draft.term.id}/publish")
    assert done.status_code == 302
    assert "2 people on the roster get an SMS" in client.get(done.location).text
    assert len(_summaries(db)) == 2


def test_the_publish_preview_warns_of_an_overlapping_term(db, draft, login, clock):
    terms.create_term(
        db,
        draft.region,
        terms.TermInput("Jul 2026", date(2026, 12, 18), date(2027, 1, 2), clock()),
        clock(),
        draft.coordinator,
    )
    db.commit()
    said = _said(login(draft.coordinator).get(f"/coordinator/terms/{draft.term.id}/publish"))
    assert "The dates overlap the term Jul 2026 (18 Dec 2026–2 Jan 2027)." in said
    assert "0 people on the roster get an SMS with their nights." in said
    assert "No parent is invited to a class weekend" in said


def test_a_published_terms_publish_page_says_so_and_leads_back(db, world, login):
    client = login(world.coordinator)
    response = client.get(f"/coordinator/terms/{world.term.id}/publish")
    assert response.status_code == 302
    assert "already published" in client.get(response.location).text


def test_another_regions_coordinator_cannot_see_or_publish_the_term(db, draft, login, clock):
    _region, _hamar, hamar_coordinator, _leader = factories.other_region(db, clock())
    db.commit()
    client = login(hamar_coordinator)
    assert client.get(f"/coordinator/terms/{draft.term.id}/publish").status_code == 404
    assert client.post(f"/coordinator/terms/{draft.term.id}/publish").status_code == 404
    client.post("/logout")
    parent = login(draft.parent)
    assert parent.get(f"/coordinator/terms/{draft.term.id}/publish").status_code in (403, 404)
