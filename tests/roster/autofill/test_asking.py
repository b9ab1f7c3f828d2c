"""The coordinator asks the volunteers when they can walk in a term: a preview of who is asked and
the message itself, then one message to each who has not answered, in their language and by their
channel, with a link to the form; within the coordinator's own part of the region, never twice a day."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Role, RoleKind
from natteravn.audit.models import AuditEvent
from natteravn.i18n import translations
from natteravn.roster.autofill import asking
from natteravn.shifts.models import Term
from natteravn.sms.models import Channel, Purpose, SmsMessage
from tests import factories
from tests.roster.autofill.test_autofill import say_available

REQUEST = "Natteravn: which nights can you walk in %(term)s? Tell the coordinator here: %(link)s"


def requests(db) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.purpose == Purpose.AVAILABILITY_REQUEST).order_by(SmsMessage.id)
    return list(db.scalars(query))


def asked_ids(db) -> set[int]:
    return {message.person_id for message in requests(db)}


def municipal_coordinator(db, world, clock, municipality):
    gunn = factories.person(db, municipality, "Gunn Grue", clock())
    gunn.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=municipality.id))
    db.commit()
    return gunn


# --- Through the service. ---


def test_those_who_have_not_answered_are_asked_and_those_who_have_are_not(asked_world, db, clock, links):
    world = asked_world
    scope = world.coordinator.coordinator_scope
    asked = asking.ask(db, scope, world.term, clock(), links, world.coordinator)
    db.commit()
    assert asked == 3
    assert asked_ids(db) == {world.other_parent.id, world.leader.id, world.coordinator.id}
    assert world.parent.id not in asked_ids(db)  # has answered already
    _, _, hedda, hans = world.extra["hamar"]
    assert not asked_ids(db) & {hedda.id, hans.id}  # another region's people
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "availability.asked"))
    assert (event.object_id, event.details["people"]) == (world.term.id, 3)


def test_each_is_asked_in_their_language_by_their_channel_with_the_link_to_the_form(world, db, clock, links):
    kari = factories.person(db, world.valer, "Kari Bokmål", clock(), email="kari@example.no", locale="nb")
    nils = factories.person(db, world.valer, "Nils Nynorsk", clock(), locale="nn")
    db.commit()
    asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    link = f"http://natteravn.test/availability/{world.term.id}"
    by_person = {message.person_id: message for message in requests(db)}
    for person in (kari, nils):
        expected = translations(person.locale).gettext(REQUEST) % {"term": "Høst 2026", "link": link}
        assert by_person[person.id].body == expected
        assert by_person[person.id].subject == translations(person.locale).gettext("Natteravn: when can you walk?")
    assert by_person[kari.id].channel == Channel.EMAIL and by_person[kari.id].email == "kari@example.no"
    assert by_person[nils.id].channel == Channel.SMS and by_person[nils.id].to == nils.phone
    assert by_person[nils.id].region_id == world.region.id  # the region's quiet hours and SMS budget
    assert not by_person[nils.id].urgent  # never in the quiet hours


def test_a_request_waiting_is_written_again_in_the_language_the_person_chooses(world, db, clock, links):
    nils = factories.person(db, world.valer, "Nils Nynorsk", clock(), locale="nn")
    db.commit()
    asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    accounts.choose_language(db, nils, "en", links)
    (request,) = [message for message in requests(db) if message.person_id == nils.id]
    db.refresh(request)
    assert request.body == REQUEST % {
        "term": "Høst 2026",
        "link": f"http://natteravn.test/availability/{world.term.id}",
    }
    assert request.subject == "Natteravn: when can you walk?"


def test_asking_twice_the_same_day_asks_nobody_twice_and_another_day_asks_who_has_still_not_answered(
    world, db, clock, links
):
    scope = world.coordinator.coordinator_scope
    assert asking.ask(db, scope, world.term, clock(), links, world.coordinator) == 4
    assert asking.ask(db, scope, world.term, clock() + timedelta(hours=3), links, world.coordinator) == 0
    assert len(requests(db)) == 4
    say_available(db, world.other_parent, world.term)
    assert asking.ask(db, scope, world.term, clock() + timedelta(days=1), links, world.coordinator) == 3
    assert len(requests(db)) == 7
    assert [m.person_id for m in requests(db)].count(world.other_parent.id) == 1
    assert asking.answers(db, world.term) == asking.Answers(asked=4, answered=1)


def test_a_municipalitys_coordinator_asks_only_that_municipalitys_volunteers(world, db, clock, links):
    gunn = municipal_coordinator(db, world, clock, world.grue)
    asking.ask(db, gunn.coordinator_scope, world.term, clock(), links, gunn)
    assert asked_ids(db) == {world.other_parent.id, gunn.id}  # Grue's; not Åsnes's Kari, Lise or Siri


def test_the_preview_counts_the_people_and_shows_the_message(world, db, clock, links):
    factories.person(db, world.valer, "Mari Mail", clock(), email="mari@example.no")
    preview = asking.preview(db, world.coordinator.coordinator_scope, world.term, clock(), links, Decimal("0.45"))
    assert (preview.people, preview.by_email, preview.by_sms) == (5, 1, 4)
    assert preview.segments == 4 and preview.cost == Decimal("1.80")
    assert f"/availability/{world.term.id}" in preview.sample
    assert requests(db) == []  # a preview sends nothing
    asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    later = asking.preview(db, world.coordinator.coordinator_scope, world.term, clock(), links, Decimal("0.45"))
    assert later.people == 0  # asked today already: asking now would reach nobody


def test_a_term_that_is_over_is_refused(world, db, clock, links):
    clock.set(clock() + timedelta(days=40))
    with pytest.raises(asking.AskingRefused, match="is over"):
        asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    assert requests(db) == []


def test_a_term_without_nights_is_refused(world, db, clock, links):
    spring = Term(
        region=world.region,
        name="Vår 2027",
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 6, 12),
        signup_opens_at=clock(),
    )
    db.add(spring)
    db.commit()
    with pytest.raises(asking.AskingRefused, match="no nights ahead"):
        asking.ask(db, world.coordinator.coordinator_scope, spring, clock(), links, world.coordinator)


# --- Through the pages. ---


def test_the_coordinator_previews_then_asks_and_sees_who_answered(asked_world, db, login, client, gateway, clock):
    world = asked_world
    login(world.coordinator)
    autofill = client.get(f"/coordinator/terms/{world.term.id}/autofill").text
    assert f"/coordinator/terms/{world.term.id}/ask" in autofill
    page = client.get(f"/coordinator/terms/{world.term.id}/ask")
    assert page.status_code == 200
    assert "3 people: 3 by SMS, 0 by e-mail." in page.text
    assert f"http://natteravn.test/availability/{world.term.id}" in page.text
    assert requests(db) == []
    done = client.post(f"/coordinator/terms/{world.term.id}/ask")
    assert done.headers["Location"].endswith(f"/coordinator/terms/{world.term.id}/autofill")
    after = client.get(done.headers["Location"]).text
    assert "3 people are asked when they can walk." in after
    assert "0 of the 3 people asked have answered." in after
    later = client.get(f"/coordinator/terms/{world.term.id}/ask").text
    assert "Everyone who has not answered was asked today already." in later and "Ask them now" not in later
    again = client.post(f"/coordinator/terms/{world.term.id}/ask", follow_redirects=True).text
    assert "Everyone who has not answered was asked today already." in again
    assert len(requests(db)) == 3


def test_asked_in_the_quiet_hours_the_coordinator_is_told_when_the_messages_go(asked_world, login, client, clock):
    world = asked_world
    clock.set(datetime(2026, 11, 18, 21, 30, tzinfo=UTC))  # 22:30 in Oslo
    login(world.coordinator)
    after = client.post(f"/coordinator/terms/{world.term.id}/ask", follow_redirects=True).text
    assert "3 people are asked when they can walk." in after
    assert "The messages go out at Thu 19 Nov 08:00, when the quiet hours end." in after


def test_the_link_in_the_message_opens_the_form(world, db, login, client, clock, links):
    asking.ask(db, world.coordinator.coordinator_scope, world.term, clock(), links, world.coordinator)
    db.commit()
    (olas,) = [m for m in requests(db) if m.person_id == world.other_parent.id]
    path = olas.body.rsplit("http://natteravn.test", 1)[1]
    login(world.other_parent)
    form = client.get(path)
    assert form.status_code == 200 and "When can you walk?" in form.text


def test_a_municipalitys_coordinator_asks_from_the_grid(world, db, login, client, clock):
    gunn = municipal_coordinator(db, world, clock, world.grue)
    login(gunn)
    assert f"/coordinator/terms/{world.term.id}/ask" in client.get(f"/coordinator/terms/{world.term.id}/grid").text
    assert "2 people: 2 by SMS" in client.get(f"/coordinator/terms/{world.term.id}/ask").text
    done = client.post(f"/coordinator/terms/{world.term.id}/ask")
    assert done.headers["Location"].endswith(f"/coordinator/terms/{world.term.id}/grid")
    assert asked_ids(db) == {world.other_parent.id, gunn.id}


def test_a_term_that_is_over_says_so_and_offers_no_button(world, db, login, client, clock):
    clock.set(clock() + timedelta(days=40))
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}/ask").text
    assert "The term Høst 2026 is over: there is nothing to ask about." in page
    assert "Ask them now" not in page
    refused = client.post(f"/coordinator/terms/{world.term.id}/ask", follow_redirects=True)
    assert "is over" in refused.text and requests(db) == []


def test_a_parent_may_not_ask(world, login, client, db):
    login(world.parent)
    assert client.get(f"/coordinator/terms/{world.term.id}/ask").status_code == 403
    assert client.post(f"/coordinator/terms/{world.term.id}/ask").status_code == 403
    assert requests(db) == []


def test_another_regions_coordinator_finds_nothing(world, db, login, client, clock):
    _, _, hedda, _ = factories.other_region(db, clock())
    db.commit()
    login(hedda)
    assert client.get(f"/coordinator/terms/{world.term.id}/ask").status_code == 404
    assert client.post(f"/coordinator/terms/{world.term.id}/ask").status_code == 404
    assert requests(db) == []


def back_link(page: str) -> str:
    return re.search(r'<p><a href="([^"]*)">Back</a></p>', page).group(1)


@pytest.mark.parametrize(
    ("came_from", "path"), [("", "/coordinator/terms/{id}"), ("/grid", "grid"), ("/autofill", "autofill")]
)
def test_back_leads_to_the_page_the_coordinator_came_from_and_so_does_asking(
    asked_world, db, login, client, came_from, path
):
    world = asked_world
    login(world.coordinator)
    term_page = f"/coordinator/terms/{world.term.id}"
    where = term_page + came_from
    link = re.search(rf'href="({re.escape(term_page)}/ask[^"]*)"', client.get(where).text).group(1)
    ask_page = client.get(html.unescape(link)).text
    assert back_link(ask_page) == where
    form_action = re.search(r'<form method="post" action="([^"]*)"', ask_page).group(1)
    done = client.post(html.unescape(form_action))
    assert done.headers["Location"].endswith(where)
    assert len(requests(db)) == 3


@pytest.mark.parametrize("back", ["https://elsewhere.example/", "//elsewhere.example", "roster.term", ""])
def test_a_back_that_names_no_known_page_leads_to_where_the_term_is_planned(world, login, client, back):
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}/ask", query_string={"back": back}).text
    assert back_link(page) == f"/coordinator/terms/{world.term.id}/autofill"
    asking_form = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
    assert asking_form == f"/coordinator/terms/{world.term.id}/ask"


def test_a_municipalitys_coordinator_goes_back_to_the_grid_from_pages_they_cannot_open(world, db, login, client, clock):
    gunn = municipal_coordinator(db, world, clock, world.grue)
    login(gunn)
    for back in ("term", "autofill", "grid"):
        page = client.get(f"/coordinator/terms/{world.term.id}/ask?back={back}").text
        assert back_link(page) == f"/coordinator/terms/{world.term.id}/grid"
