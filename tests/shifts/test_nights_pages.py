"""The parent's pages, through HTTP: the nights, one night, signing up and off, My nights, offers."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from natteravn.accounts.models import told_apart
from natteravn.accounts.service import display_phone
from natteravn.places.models import Route
from natteravn.roster import terms
from natteravn.shifts import replies, service
from natteravn.shifts.models import Signup, SignupRole, SignupState, Term
from natteravn.sms.models import Channel, SmsMessage
from tests import factories

FRIDAY = date(2026, 11, 20)
SATURDAY = date(2026, 11, 21)


def live(db, person, night) -> list[Signup]:
    db.expire_all()
    return list(
        db.scalars(
            select(Signup).where(
                Signup.person_id == person.id, Signup.shift_id == night.id, Signup.state != SignupState.CANCELLED
            )
        )
    )


@contextmanager
def counting_queries(app):
    statements: list[str] = []

    def _count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.extensions["natteravn.engine"]
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def test_the_nights_page_needs_a_login(client, world):
    response = client.get("/nights")
    assert response.status_code == 302 and "/login" in response.location


def test_the_nights_are_listed_by_weekend_and_evening_with_route_time_places_and_leader(
    world, db, client, login, clock
):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    page = login(world.parent).get("/nights").text
    assert "Week 47" in page and "Week 48" in page
    assert page.index("<h3>Friday 20 November</h3>") < page.index("<h3>Saturday 21 November</h3>")
    assert "Flisa sentrum" in page and "Kirkenær" in page
    assert "22:00–01:00" in page
    assert "5 places left" in page and "Leader on it" in page and "No leader yet" in page
    assert "<dd>Flisa skysstasjon</dd>" in client.get(f"/nights/{night.id}").text  # the meeting point


def test_the_list_starts_with_the_next_weekends_and_steps_on_to_later_ones(world, client, login):
    client = login(world.parent)
    first = client.get("/nights").text
    assert "Week 47" in first and "Week 48" in first and "Week 49" not in first
    later = client.get("/nights?start=2").text
    assert "Week 49" in later and "Week 50" in later and "Week 48" not in later
    assert 'href="/nights?start=2">Later weekends, from Fri 4 Dec' in first
    assert 'href="/nights?start=0">Earlier weekends' in later


def test_two_taps_find_the_parents_friday_in_their_municipality(world, client, login):
    client = login(world.parent)  # Kari lives in Åsnes
    page = client.get("/nights").text
    asnes = re.search(r'<a class="chip" href="([^"]+)">Åsnes</a>', page).group(1)
    page = client.get(html.unescape(asnes)).text
    friday = re.search(r'<a class="chip" href="([^"]+)">Friday</a>', page).group(1)
    page = client.get(html.unescape(friday)).text
    first = page[page.index("<h3>") :]
    assert first.startswith("<h3>Friday 20 November</h3>")
    assert "Saturday" not in first and "Kirkenær" not in first
    assert {"Flisa sentrum", "Kjellmyra"} <= set(re.findall(r'<span class="route">([^<]+)</span>', first))


def test_a_parent_sees_which_weekend_is_their_school_classs(world, db, client, login, clock, links):
    world.parent.school_classes = [world.school_class]
    terms.give_weekend(db, world.term, world.school_class.id, date(2026, 12, 11), clock(), links, world.coordinator)
    db.commit()

    own = login(world.parent).get("/nights").text
    assert own.index("Week 47") < own.index("Week 48")
    assert "Your school class's weekend: Fri 11 Dec–Sat 12 Dec" in own  # a later step, linked from the top
    assert 'href="/nights?start=2#week-2026-50"' in own
    assert "Your school class's weekend: your class is asked" in login(world.parent).get("/nights?start=2").text
    client.post("/logout")
    other = login(world.other_parent).get("/nights").text
    assert "Your school class's weekend" not in other


def test_draft_terms_and_other_regions_are_not_listed(world, db, client, login, clock):
    _, hamar, _, _ = factories.other_region(db, clock())
    term = Term(
        region=hamar.region,
        name="Hamar høst",
        starts_on=FRIDAY,
        ends_on=SATURDAY,
        signup_opens_at=clock() - timedelta(days=1),
        published_at=clock() - timedelta(days=1),
    )
    route = Route(municipality=hamar, name="Stortorget", meeting_point="Hamar stasjon")
    draft = Term(region=world.region, name="Kladd", starts_on=FRIDAY, ends_on=SATURDAY, signup_opens_at=clock())
    draft_route = Route(municipality=world.asnes, name="Hemmelig rute", meeting_point="Et sted")
    db.add_all([term, route, draft, draft_route])
    hamar_night = factories.night(db, term, route, FRIDAY)
    draft_night = factories.night(db, draft, draft_route, SATURDAY)
    db.commit()
    client = login(world.parent)
    page = client.get("/nights").text
    assert "Stortorget" not in page and "Hemmelig rute" not in page
    for night in (hamar_night, draft_night):
        assert client.get(f"/nights/{night.id}").status_code == 404
        assert client.get(f"/nights/{night.id}.ics").status_code == 404
        assert client.post(f"/nights/{night.id}/signup", data={"role": "walker"}).status_code == 302
        assert live(db, world.parent, night) == []


def test_the_nights_page_does_not_query_per_night(world, db, client, login, clock, app):
    client = login(world.parent)
    with counting_queries(app) as few:
        client.get("/nights")
    for night in world.nights[:12]:
        factories.signup(db, night, world.other_parent, clock())
        factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    factories.signup(db, world.nights[0], world.parent, clock())
    db.commit()
    with counting_queries(app) as many:
        page = client.get("/nights").text
    assert "You are signed up" in page
    assert len(many) == len(few) <= 12


def test_one_tap_signs_up_and_a_second_tap_changes_nothing(world, db, client, login):
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.parent)
    response = client.post(f"/nights/{night.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "You are signed up. See you on the night!" in response.text
    client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    [mine] = live(db, world.parent, night)
    assert mine.state == SignupState.SIGNED_UP


def test_a_screen_reader_says_what_a_tap_came_to_errors_at_once(world, db, client, login):
    """The message after an action is a live region as the page arrives (WCAG 4.1.3): an error
    interrupts (alert), anything else waits its turn (status). No script is needed for either."""
    client = login(world.parent)
    signed_up = client.post(
        f"/nights/{world.night_on('Flisa sentrum', FRIDAY).id}/signup", data={"role": "walker"}, follow_redirects=True
    )
    assert '<p class="flash flash-success" role="status">You are signed up. See you on the night!</p>' in signed_up.text
    refused = client.post(
        f"/nights/{world.night_on('Kjellmyra', FRIDAY).id}/signup", data={"role": "walker"}, follow_redirects=True
    )
    assert (
        '<p class="flash flash-error" role="alert">You are already on another night at that time.</p>' in refused.text
    )
    assert 'class="flashes"' not in client.get("/my").text  # said once, then gone


def test_a_night_at_the_same_time_as_ones_own_says_so_instead_of_offering_a_button(world, db, client, login):
    mine, other = world.night_on("Flisa sentrum", FRIDAY), world.night_on("Kirkenær", FRIDAY)
    client = login(world.parent)
    client.post(f"/nights/{mine.id}/signup", data={"role": "walker"})

    listed = client.get("/nights").text
    row = listed.split(f'href="/nights/{other.id}"', 1)[1].split("</li>", 1)[0]
    assert "You walk Flisa sentrum at that time" in row and "<button" not in row
    page = client.get(f"/nights/{other.id}").text
    assert "You walk Flisa sentrum at that time, so you cannot take a place on this night too." in page
    assert f'href="/nights/{mine.id}">Your night</a>' in page
    assert 'name="role"' not in page
    saturday = client.get(f"/nights/{world.night_on('Kirkenær', SATURDAY).id}").text
    assert "at that time" not in saturday and 'value="walker"' in saturday


def test_a_full_night_puts_the_parent_on_the_waitlist(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    night.max_walkers = 1
    factories.signup(db, night, world.other_parent, clock())
    db.commit()
    client = login(world.parent)
    assert "Join waitlist" in client.get(f"/nights/{night.id}").text
    response = client.post(f"/nights/{night.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "You are on the waitlist" in response.text
    assert live(db, world.parent, night)[0].state == SignupState.WAITLISTED


def test_someone_waiting_sees_their_place_in_the_queue(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    night.max_walkers = 1
    factories.signup(db, night, world.coordinator, clock())
    factories.signup(db, night, world.other_parent, clock(), state=SignupState.WAITLISTED)
    db.commit()
    client = login(world.parent)
    world.parent.email = "kari@example.no"  # she chose e-mail: she hears by a message, not an SMS
    world.parent.channel = Channel.EMAIL
    db.commit()
    answer = client.post(f"/nights/{night.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "You are on the waitlist and get a message if a place frees up." in answer.text
    assert "You are number 2 on the waitlist. You get a message if a place frees up." in answer.text


def test_only_leaders_get_the_leader_button_and_a_forged_leader_tap_is_refused(world, db, client, login):
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.parent)
    assert "Sign up as group leader" not in client.get(f"/nights/{night.id}").text
    response = client.post(f"/nights/{night.id}/signup", data={"role": "leader"}, follow_redirects=True)
    assert "Only group leaders can sign up as leader." in response.text
    assert live(db, world.parent, night) == []


def test_a_leader_signs_up_as_leader(world, db, client, login):
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.leader)
    assert "Sign up as group leader" in client.get(f"/nights/{night.id}").text
    client.post(f"/nights/{night.id}/signup", data={"role": "leader"})
    assert live(db, world.leader, night)[0].role == SignupRole.LEADER


def test_a_nonsense_role_gets_a_message_not_an_error(world, db, client, login):
    night = world.night_on("Kirkenær", FRIDAY)
    response = login(world.parent).post(f"/nights/{night.id}/signup", data={"role": "boss"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Choose to sign up as walker or as group leader." in response.text
    assert live(db, world.parent, night) == []


def test_rule_refusals_are_shown_on_the_night(world, db, client, login, clock):
    client = login(world.parent)
    client.post(f"/nights/{world.night_on('Flisa sentrum', FRIDAY).id}/signup", data={"role": "walker"})
    same_time = world.night_on("Kjellmyra", FRIDAY)
    response = client.post(f"/nights/{same_time.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "You are already on another night at that time." in response.text
    cancelled = world.night_on("Kirkenær", SATURDAY)
    cancelled.cancelled_at = clock()
    db.commit()
    response = client.post(f"/nights/{cancelled.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "This night is cancelled." in response.text


def test_cancel_before_the_cut_off_and_be_refused_after(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    mine = factories.signup(db, night, world.parent, clock())
    later = factories.signup(db, world.night_on("Kirkenær", SATURDAY), world.parent, clock())
    db.commit()
    client = login(world.parent)
    response = client.post(f"/signups/{mine.id}/cancel", follow_redirects=True)
    assert "You are no longer on this night." in response.text
    clock.set(later.shift.starts_at - timedelta(hours=2))
    page = client.get(f"/nights/{later.shift_id}").text
    assert "It is too late to cancel online." in page
    response = client.post(f"/signups/{later.id}/cancel", follow_redirects=True)
    assert "It is too late to cancel this night online." in response.text
    assert live(db, world.parent, later.shift)[0].state == SignupState.SIGNED_UP


def test_after_the_cut_off_a_parent_on_sms_is_told_that_nei_still_works(world, db, client, login, clock, links):
    night = world.night_on("Kirkenær", SATURDAY)
    mine = factories.signup(db, night, world.parent, clock())
    db.commit()
    clock.set(night.starts_at - timedelta(hours=2))
    client = login(world.parent)
    nei_works = "you can still answer NEI to our SMS until the night starts"
    for page in ("/my", f"/nights/{night.id}", f"/signups/{mine.id}/cancel"):
        assert nei_works in client.get(page).text, page
    assert nei_works in client.post(f"/signups/{mine.id}/cancel", follow_redirects=True).text
    # ... and it does: unasked, the NEI is asked about ("cancel Kirkenær?"), and a JA gives the place back.
    assert "Answer JA to cancel it." in replies.reply_no(db, world.parent.phone, clock(), links, "NEI")
    replies.reply_yes(db, world.parent.phone, clock(), links, "JA")
    db.commit()
    assert live(db, world.parent, night) == []


def test_after_the_cut_off_a_parent_on_e_mail_is_not_sent_to_sms(world, db, client, login, clock):
    client = login(world.parent)
    world.parent.email, world.parent.channel = "kari@example.no", Channel.EMAIL
    night = world.night_on("Kirkenær", SATURDAY)
    mine = factories.signup(db, night, world.parent, clock())
    db.commit()
    clock.set(night.starts_at - timedelta(hours=2))
    for page in ("/my", f"/nights/{night.id}", f"/signups/{mine.id}/cancel"):
        text = client.get(page).text
        assert "If you cannot come, tell your group leader." in text and "NEI" not in text, page
    response = client.post(f"/signups/{mine.id}/cancel", follow_redirects=True)
    assert "Ask for a stand-in, or tell your group leader." in response.text


def test_a_parent_who_signed_up_for_tonight_by_mistake_can_cancel_at_once(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    clock.set(night.starts_at - timedelta(hours=5))
    client = login(world.parent)
    client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    page = client.get(f"/nights/{night.id}").text
    assert "Cancel my place" in page and "It is too late to cancel online." not in page
    (mine,) = live(db, world.parent, night)
    response = client.post(f"/signups/{mine.id}/cancel", follow_redirects=True)
    assert "You are no longer on this night." in response.text


def test_another_persons_cancel_url_is_not_found(world, db, client, login, clock):
    theirs = factories.signup(db, world.night_on("Kirkenær", FRIDAY), world.other_parent, clock())
    db.commit()
    assert login(world.parent).post(f"/signups/{theirs.id}/cancel").status_code == 404
    assert live(db, world.other_parent, theirs.shift)[0].state == SignupState.SIGNED_UP
    assert client.post("/signups/999999/cancel").status_code == 404


def test_my_nights_shows_upcoming_and_past_with_co_walkers(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", SATURDAY)
    past = world.night_on("Kirkenær", FRIDAY)
    for person in (world.parent, world.leader):
        factories.signup(db, night, person, clock())
    factories.signup(db, past, world.parent, clock())
    db.commit()
    clock.set(past.ends_at + timedelta(minutes=1))
    page = login(world.parent).get("/my").text
    coming, earlier = page.split("Earlier")
    assert "Flisa sentrum" in coming and "Kirkenær" not in coming
    assert "Kirkenær" in earlier
    assert "Lise" in coming and world.leader.phone in coming
    assert world.parent.phone not in page  # one's own number is not a co-walker
    # Named as those walking with them, in sight: under the status "Walker" the names read as its own.
    mine = next(s for s in night.signups if s.person_id == world.parent.id)
    title = f'<p class="company-title" id="walking-with-{mine.id}">Walking with you:</p>'
    assert title in coming and f'aria-labelledby="walking-with-{mine.id}"' in coming


def test_the_routes_notes_for_the_walkers_are_on_the_night_and_under_my_nights_as_typed(
    world, db, client, login, clock
):
    night = world.night_on("Flisa sentrum", SATURDAY)
    waited = world.night_on("Kirkenær", SATURDAY)
    night.route.notes = "Ta med refleksvest fra skapet på biblioteket.\nNøkkel: <b>kode</b> i boksen"
    waited.route.notes = "Møt ved kirken."
    db.commit()
    login(world.parent)
    page = client.get(f"/nights/{night.id}").text
    # Before signing up too: it may be what decides whether to come.
    assert "<dt>Notes for the walkers</dt>" in page
    typed = "Ta med refleksvest fra skapet på biblioteket.\nNøkkel: &lt;b&gt;kode&lt;/b&gt; i boksen"
    assert f'<dd class="route-notes">{typed}</dd>' in page  # escaped, its line break kept
    assert "Møt ved kirken." not in page

    client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    waiting = factories.signup(db, waited, world.parent, clock())
    waiting.state = SignupState.WAITLISTED
    db.commit()
    mine = client.get("/my").text
    assert "Notes for the walkers: Ta med refleksvest fra skapet på biblioteket.\nNøkkel: &lt;b&gt;kode" in mine
    assert "Møt ved kirken." not in mine  # a night only waited for is not theirs yet
    planned = db.scalars(select(SmsMessage.body).where(SmsMessage.to == world.parent.phone)).all()
    assert planned and not [body for body in planned if "refleksvest" in body]  # not in SMS: every character costs


def test_two_co_walkers_of_one_first_name_are_told_apart_and_numbers_read_as_written(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", SATURDAY)
    world.region.phones_visible_days = 14
    linhs = [factories.person(db, world.asnes, name, clock()) for name in ("Linh Berg", "Linh Nguyen")]
    for person in (world.parent, world.leader, *linhs):
        factories.signup(db, night, person, clock())
    db.commit()
    page = login(world.parent).get(f"/nights/{night.id}").text
    assert "Linh B." in page and "Linh N." in page
    assert "<li>Lise\n    –" in page  # alone with her first name: no initial
    assert f'href="tel:{world.leader.phone}">{display_phone(world.leader.phone)}</a>' in page


@pytest.mark.parametrize(
    ("names", "told"),
    [
        (["Linh Berg", "Linh Nguyen", "Kari Nordmann"], ["Linh B.", "Linh N.", "Kari"]),
        (["Linh Berg", "Linh Bakken", "Linh Nguyen"], ["Linh Berg", "Linh Bakken", "Linh N."]),
        (["Linh", "Linh Berg"], ["Linh", "Linh B."]),
    ],
)
def test_namesakes_are_told_apart_by_as_much_of_the_last_name_as_it_takes(names, told):
    assert told_apart(names) == told


def test_co_walkers_phones_are_hidden_from_the_waitlist_and_other_nights(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", SATURDAY)
    night.max_walkers = 1
    factories.signup(db, night, world.leader, clock())
    factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)
    factories.signup(db, world.night_on("Kirkenær", SATURDAY), world.other_parent, clock())
    db.commit()
    client = login(world.parent)
    assert world.leader.phone not in client.get("/my").text
    assert world.leader.phone not in client.get(f"/nights/{night.id}").text
    client.post("/logout")
    client = login(world.other_parent)
    assert world.leader.phone not in client.get("/my").text
    assert world.leader.phone not in client.get(f"/nights/{night.id}").text


def test_my_nights_does_not_query_per_night(world, db, client, login, clock, app):
    client = login(world.parent)
    factories.signup(db, world.nights[0], world.parent, clock())
    db.commit()
    with counting_queries(app) as one:
        client.get("/my")
    world.region.phones_visible_days = 14  # every night's numbers shown, so they are read too
    for night in world.nights[4:12:4]:
        factories.signup(db, night, world.parent, clock())
        factories.signup(db, night, world.leader, clock())
        factories.signup(db, night, world.other_parent, clock())
    db.commit()
    with counting_queries(app) as three:
        page = client.get("/my").text
    assert world.other_parent.phone in page
    assert len(three) == len(one)


@pytest.fixture
def offered(world, db, clock, links):
    """Kirkenær on Friday is full; Ola gives his place up and Kari, first in line, is offered it."""
    night = world.night_on("Kirkenær", FRIDAY)
    night.max_walkers = 1
    ola = service.sign_up(db, world.other_parent, night.id, SignupRole.WALKER, clock(), links)
    kari = service.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    per = factories.person(db, world.asnes, "Per Pedersen", clock(), locale="en")
    service.sign_up(db, per, night.id, SignupRole.WALKER, clock(), links)
    service.cancel_signup(db, world.other_parent, ola.id, clock(), links)
    db.commit()
    assert kari.state == SignupState.OFFERED
    return night, kari, per


def offer_path(links, signup) -> str:
    return links.offer(signup.id).removeprefix(links.base_url)


def test_the_offer_link_takes_the_place_without_logging_in(offered, db, client, links):
    night, kari, _ = offered
    page = client.get(offer_path(links, kari)).text
    assert "Do you take it?" in page
    response = client.post(offer_path(links, kari), data={"accept": "1"}, follow_redirects=True)
    assert "You have the place." in response.text
    again = client.post(offer_path(links, kari), data={"accept": "1"}, follow_redirects=True)
    assert "You have the place." in again.text
    db.expire_all()
    assert db.get(Signup, kari.id).state == SignupState.CONFIRMED


def test_declining_by_link_passes_the_place_on(offered, db, client, links):
    night, kari, per = offered
    response = client.post(offer_path(links, kari), data={"decline": "1"}, follow_redirects=True)
    assert "This offer is no longer open" in response.text
    assert live(db, per, night)[0].state == SignupState.OFFERED


def test_an_expired_offer_link_says_so(offered, db, client, links, clock, world):
    night, kari, per = offered
    clock.set(kari.offer_expires_at)
    assert "This offer expired at" in client.get(offer_path(links, kari)).text
    response = client.post(offer_path(links, kari), data={"accept": "1"}, follow_redirects=True)
    assert "The offer has expired and the place went to the next on the list." in response.text
    assert live(db, kari.person, night) == []
    assert live(db, per, night)[0].state == SignupState.OFFERED


def test_a_forged_offer_link_is_not_found(offered, client, links):
    _, kari, _ = offered
    assert client.get(f"/offer/{links.sign('calendar-feed', kari.id)}").status_code == 404
    assert client.get("/offer/not-a-token").status_code == 404
    assert client.get(f"/offer/{links.sign('offer', 999999)}").status_code == 404


def test_the_night_page_links_to_the_offer(offered, client, login, links, db):
    night, kari, _ = offered
    page = login(kari.person).get(f"/nights/{night.id}").text
    assert "A place is offered to you." in page and offer_path(links, kari) in page


def test_a_sign_up_without_the_forms_csrf_token_is_refused(world, app, client, login, db):
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.parent)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/nights/{night.id}/signup", data={"role": "walker"})
    assert response.status_code == 400
    assert live(db, world.parent, night) == []


def test_before_the_window_opens_the_pages_say_when_instead_of_offering_a_button(world, db, client, login, clock):
    world.term.signup_opens_at = clock() + timedelta(days=2)
    db.commit()
    night = world.night_on("Kirkenær", FRIDAY)
    client = login(world.parent)
    for page in (client.get("/nights").text, client.get(f"/nights/{night.id}").text):
        assert "Sign-up opens" in page and "Sign up as walker" not in page
    response = client.post(f"/nights/{night.id}/signup", data={"role": "walker"}, follow_redirects=True)
    assert "Sign-up for this term opens" in response.text
    assert live(db, world.parent, night) == []


def test_the_offer_page_speaks_the_language_of_the_person_it_was_sent_to(offered, db, client, links):
    night, kari, _ = offered
    page = client.get(offer_path(links, kari), headers={"Accept-Language": "nb"}).text
    assert '<html lang="en"' in page and "Do you take it?" in page
    kari.person.locale = "nn"
    db.commit()
    assert '<html lang="nn"' in client.get(offer_path(links, kari), headers={"Accept-Language": "en"}).text


# --- Cancelling, after being told what it does. ---


def test_cancelling_first_says_what_happens_and_only_the_button_cancels(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    mine = factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    db.commit()
    clock.set(clock() + timedelta(hours=1))  # counted on since: no tap by mistake
    client = login(world.parent)
    assert f'href="/signups/{mine.id}/cancel"' in client.get(f"/nights/{night.id}").text
    page = client.get(f"/signups/{mine.id}/cancel").text
    assert "Cancel your place?" in page and "What happens" in page
    assert "Nobody is waiting for the place, so the group leader is told that you cannot come." in page
    assert live(db, world.parent, night)[0].state == SignupState.SIGNED_UP  # looking changes nothing

    response = client.post(f"/signups/{mine.id}/cancel", follow_redirects=True)
    assert "You are no longer on this night." in response.text
    assert live(db, world.parent, night) == []
    [told] = db.scalars(select(SmsMessage).where(SmsMessage.to == world.leader.phone)).all()
    assert "Kari cannot come" in told.body


def test_a_place_someone_waits_for_goes_to_them_and_the_leader_is_not_troubled(world, db, client, login, clock):
    night = world.night_on("Kirkenær", FRIDAY)
    night.max_walkers = 2
    mine = factories.signup(db, night, world.parent, clock())
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)
    waiting = factories.signup(db, night, world.other_parent, clock(), state=SignupState.WAITLISTED)
    db.commit()
    client = login(world.parent)
    page = client.get(f"/signups/{mine.id}/cancel").text
    assert "Your place goes to the first on the waitlist" in page and "group leader is told" not in page
    client.post(f"/signups/{mine.id}/cancel")
    assert live(db, world.other_parent, night)[0].id == waiting.id
    assert live(db, world.other_parent, night)[0].state == SignupState.OFFERED
    assert db.scalars(select(SmsMessage).where(SmsMessage.to == world.leader.phone)).all() == []


def test_my_nights_cancels_too_and_comes_back_to_my_nights(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", SATURDAY)
    mine = factories.signup(db, night, world.parent, clock())
    db.commit()
    client = login(world.parent)
    assert f'href="/signups/{mine.id}/cancel?next=/my"' in client.get("/my").text
    page = client.get(f"/signups/{mine.id}/cancel?next=/my").text
    assert 'action="/signups/' in page and "next=/my" in page
    response = client.post(f"/signups/{mine.id}/cancel?next=/my")
    assert response.headers["Location"] == "/my"
    assert live(db, world.parent, night) == []


def test_after_the_cut_off_the_cancel_page_says_it_is_too_late(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", FRIDAY)
    mine = factories.signup(db, night, world.parent, clock())
    db.commit()
    clock.set(night.starts_at - timedelta(hours=2))
    page = login(world.parent).get(f"/signups/{mine.id}/cancel").text
    assert "It is too late to cancel online." in page and "Yes, cancel my place" not in page


# --- One's own history. ---


def test_my_nights_counts_the_nights_walked_this_term_and_year_with_the_routes(world, db, client, login, clock):
    for route, day in (
        ("Flisa sentrum", FRIDAY),
        ("Kjellmyra", date(2026, 11, 28)),
        ("Flisa sentrum", date(2026, 12, 4)),
    ):
        factories.signup(db, world.night_on(route, day), world.parent, clock(), state=SignupState.ATTENDED)
    factories.signup(
        db, world.night_on("Kirkenær", date(2026, 12, 5)), world.parent, clock(), state=SignupState.NO_SHOW
    )
    db.commit()
    clock.set(world.night_on("Kirkenær", date(2026, 12, 5)).ends_at + timedelta(hours=1))
    page = login(world.parent).get("/my").text
    assert "<dt>Høst 2026</dt><dd>3 nights</dd>" in page and "<dt>2026</dt><dd>3 nights</dd>" in page
    assert "Flisa sentrum (2), Kjellmyra (1)" in page
    assert "Thank you" not in page  # three is no milestone


def test_a_group_leaders_night_over_without_a_logbook_reads_as_walked_not_signed_up(world, db, client, login, clock):
    night = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, night, world.leader, clock(), role=SignupRole.LEADER)  # nobody ticked in the logbook
    db.commit()
    client = login(world.leader)
    clock.set(night.starts_at + timedelta(minutes=30))  # under way: still a coming night
    assert '<span class="status">Signed up</span>' not in client.get("/my").text
    clock.set(night.ends_at + timedelta(hours=1))
    page = client.get("/my").text
    earlier = page[page.index("Earlier") :]
    assert '<span class="status">Walked</span>' in earlier and "Signed up" not in earlier
    assert "<dt>2026</dt><dd>1 night</dd>" in page  # the line says what the count says


@pytest.mark.parametrize(
    ("walked", "thanks"), [(1, "Thank you for your first night"), (5, "5 nights walked. Thank you")]
)
def test_a_parent_is_thanked_at_milestones(world, db, client, login, clock, walked, thanks):
    for night in world.nights[: walked * 4 : 4]:
        factories.signup(db, night, world.parent, clock(), state=SignupState.ATTENDED)
    db.commit()
    clock.set(world.nights[walked * 4 - 4].ends_at + timedelta(hours=1))
    assert thanks in login(world.parent).get("/my").text


def test_at_the_terms_cap_the_nights_say_so_instead_of_offering_a_sign_up_that_would_be_refused(
    world, db, client, login, clock, links
):
    first = service.sign_up(
        db, world.parent, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links
    )
    service.sign_up(db, world.parent, world.night_on("Kirkenær", SATURDAY).id, SignupRole.WALKER, clock(), links)
    db.commit()
    client = login(world.parent)
    other = world.night_on("Våler sentrum", FRIDAY + timedelta(weeks=1))
    listed = client.get("/nights").text
    assert "You have the most nights this term allows" in listed
    assert f'action="/nights/{other.id}/signup"' not in listed
    page = client.get(f"/nights/{other.id}").text
    assert "You already have 2 nights as walker this term, the most allowed." in page
    assert f'action="/nights/{other.id}/signup"' not in page

    service.cancel_signup(db, world.parent, first.id, clock(), links)
    db.commit()
    assert f'action="/nights/{other.id}/signup"' in client.get(f"/nights/{other.id}").text


def test_at_the_cap_a_group_leader_is_still_offered_to_lead_a_night_without_one(world, db, client, login, clock, links):
    service.sign_up(db, world.leader, world.night_on("Flisa sentrum", FRIDAY).id, SignupRole.WALKER, clock(), links)
    service.sign_up(db, world.leader, world.night_on("Kirkenær", SATURDAY).id, SignupRole.WALKER, clock(), links)
    led = world.night_on("Kjellmyra", FRIDAY + timedelta(weeks=1))
    factories.signup(db, led, world.other_parent, clock(), role=SignupRole.LEADER)
    db.commit()
    client = login(world.leader)
    leaderless = world.night_on("Våler sentrum", FRIDAY + timedelta(weeks=1))

    page = client.get(f"/nights/{leaderless.id}").text
    assert "This night has no group leader yet: as group leader you can still take it." in page
    assert 'name="role" value="leader"' in page and 'name="role" value="walker"' not in page
    listed = client.get("/nights").text
    card = listed[listed.index(f'action="/nights/{leaderless.id}/signup"') :]
    card = card[: card.index("</form>")]
    assert 'name="role" value="leader"' in card and "Sign up as group leader" in card

    assert f'action="/nights/{led.id}/signup"' not in listed  # it has a leader: only a walker's place is left
    assert f'action="/nights/{led.id}/signup"' not in client.get(f"/nights/{led.id}").text


def test_more_choices_offers_only_the_days_nights_fall_on(world, client, login):
    page = login(world.parent).get("/nights").text
    days = page[page.index('name="day"') :]
    days = days[: days.index("</select>")]
    assert "Friday" in days and "Saturday" in days
    assert "Monday" not in days and "Sunday" not in days


@pytest.mark.parametrize(
    ("state", "said"),
    [
        (SignupState.ATTENDED, "You walked this night as walker. Thank you!"),
        (SignupState.NO_SHOW, "The logbook says you did not come."),
    ],
)
def test_after_the_night_its_page_says_what_the_logbook_says(world, db, client, login, clock, state, said):
    night = world.nights[0]
    factories.signup(db, night, world.parent, clock(), state=state)
    db.commit()
    clock.set(night.ends_at + timedelta(hours=2))
    page = login(world.parent).get(f"/nights/{night.id}").text
    assert said in page
    assert "You are signed up" not in page and "too late to cancel" not in page
