"""Terms: the sign-up window and cap, nights generated in bulk from a pattern (holidays skipped,
never twice, 22:00 on both sides of a daylight-saving change), and school classes' weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from natteravn.accounts import service as accounts
from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.i18n import days_written, translations
from natteravn.places import breaks
from natteravn.places import service as places
from natteravn.places.models import Municipality, Region, Route, SchoolClass
from natteravn.roster import service as roster
from natteravn.roster import terms
from natteravn.shifts import service
from natteravn.shifts.models import ClassWeekend, Shift, Term
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories


@pytest.fixture
def region(db, clock):
    """A region with two routes and its coordinator, no terms yet."""
    region = Region(name="Solør", slug="solor")
    asnes = Municipality(region=region, name="Åsnes")
    flisa = Route(municipality=asnes, name="Flisa sentrum", meeting_point="Flisa skysstasjon")
    kjellmyra = Route(municipality=asnes, name="Kjellmyra", meeting_point="Kjellmyra butikk")
    db.add_all([region, asnes, flisa, kjellmyra])
    db.flush()
    coordinator = factories.person(db, asnes, "Siri Koordinator", clock(), coordinator=True)
    db.commit()
    return {"region": region, "asnes": asnes, "routes": [flisa, kjellmyra], "coordinator": coordinator}


def _term(db, region, now, starts_on, ends_on, name="Høst 2026", **kwargs) -> Term:
    data = terms.TermInput(
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        signup_opens_at=kwargs.pop("opens", now),
        **kwargs,
    )
    return terms.create_term(db, region["region"], data, now, region["coordinator"])


def _pattern(region, **kwargs) -> terms.PatternInput:
    defaults = {
        "weekdays": [4, 5],
        "starts_local": time(22, 0),
        "ends_local": time(1, 0),
        "route_ids": [r.id for r in region["routes"]],
        "min_walkers": 3,
        "max_walkers": 6,
        "needs_leader": True,
    }
    return terms.PatternInput(**{**defaults, **kwargs})


def _generate(db, term, region, now, pattern=None, **kwargs):
    saved = terms.save_pattern(db, term, _pattern(region, **kwargs), now, region["coordinator"], pattern)
    return saved, terms.generate_nights(db, term, saved, now, region["coordinator"])


def _nights(db, term) -> list[Shift]:
    return list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at, Shift.route_id)))


# --- Terms. ---


def test_a_term_without_its_own_cap_uses_the_regions(db, region, clock):
    term = _term(db, region, clock(), date(2027, 1, 8), date(2027, 6, 19))
    assert term.cap == region["region"].nights_per_term_cap

    capped = _term(db, region, clock(), date(2027, 1, 8), date(2027, 6, 19), name="Vår 2027", nights_cap=4)
    assert capped.cap == 4


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "closes", "cap", "message"),
    [
        (date(2027, 2, 1), date(2027, 1, 1), None, None, "The term must end on or after the day it starts."),
        (
            date(2027, 1, 1),
            date(2027, 2, 1),
            datetime(2026, 1, 1, tzinfo=UTC),
            None,
            "Sign-up must close after it opens.",
        ),
        (date(2027, 1, 1), date(2027, 2, 1), None, 0, "The most nights per person must be at least 1."),
    ],
)
def test_a_term_that_makes_no_sense_is_refused_in_words(db, region, clock, starts_on, ends_on, closes, cap, message):
    with pytest.raises(terms.TermRefused) as refused:
        _term(db, region, clock(), starts_on, ends_on, signup_closes_at=closes, nights_cap=cap)
    assert refused.value.msgid == message


# --- Generating nights. ---


def test_nights_are_generated_on_the_patterns_weekdays_for_every_route_skipping_holidays(db, region, clock):
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 12, 19))

    _, made = _generate(db, term, region, clock(), skip_dates=[date(2026, 12, 4)])

    fridays_and_saturdays = 10
    assert made.skipped == 2  # the date, on both routes
    assert len(made.made) == (fridays_and_saturdays - 1) * 2
    nights = _nights(db, term)
    assert {local(n.starts_at).date().weekday() for n in nights} == {4, 5}
    assert date(2026, 12, 4) not in {local(n.starts_at).date() for n in nights}
    first = nights[0]
    assert (local(first.starts_at).time(), local(first.ends_at).time()) == (time(22, 0), time(1, 0))
    assert local(first.ends_at).date() == date(2026, 11, 21)  # ends the next morning
    assert (first.min_walkers, first.max_walkers, first.needs_leader) == (3, 6, True)


def test_generating_again_or_after_editing_the_pattern_never_duplicates_a_night(db, region, clock):
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 12, 19))
    pattern, first = _generate(db, term, region, clock())
    before = len(_nights(db, term))

    again = terms.generate_nights(db, term, pattern, clock(), region["coordinator"])
    assert (len(again.made), again.already_there) == (0, before)

    # Thursdays too, and a later start: only the Thursdays are new; existing nights keep their times.
    _, edited = _generate(db, term, region, clock(), pattern=pattern, weekdays=[3, 4, 5], starts_local=time(21, 0))
    assert len(edited.made) == 4 * 2  # 26.11, 3.12, 10.12, 17.12
    nights = _nights(db, term)
    assert len(nights) == before + 8
    per_route_and_day = {(n.route_id, local(n.starts_at).date()) for n in nights}
    assert len(per_route_and_day) == len(nights)


def test_a_cancelled_night_is_not_brought_back_by_generating_again(db, region, clock, links):
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 11, 21))
    pattern, _ = _generate(db, term, region, clock())
    roster.cancel_night(db, _nights(db, term)[0], "Storm", clock(), links, region["coordinator"])

    again = terms.generate_nights(db, term, pattern, clock(), region["coordinator"])

    assert again.made == []
    assert len(_nights(db, term)) == 4


def test_a_term_across_the_autumn_clock_change_starts_at_22_local_on_both_sides(db, region, clock):
    clock.set(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    term = _term(db, region, clock(), date(2026, 10, 23), date(2026, 10, 31))  # clocks go back 25 October

    _generate(db, term, region, clock(), route_ids=[region["routes"][0].id])

    starts = [n.starts_at for n in _nights(db, term)]
    assert starts == [
        datetime(2026, 10, 23, 20, 0, tzinfo=UTC),  # 22:00 summer time (UTC+2)
        datetime(2026, 10, 24, 20, 0, tzinfo=UTC),  # the night the clocks go back starts in summer time
        datetime(2026, 10, 30, 21, 0, tzinfo=UTC),  # 22:00 winter time (UTC+1)
        datetime(2026, 10, 31, 21, 0, tzinfo=UTC),
    ]
    night_of_change = _nights(db, term)[1]
    # 01:00 is still summer time: the clocks go back at 03:00.
    assert night_of_change.ends_at == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)


def test_a_term_across_the_spring_clock_change_starts_at_22_local_on_both_sides(db, region, clock):
    clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    term = _term(db, region, clock(), date(2027, 3, 26), date(2027, 4, 3))  # clocks go forward 28 March

    # 26 March is Good Friday: walked all the same here.
    _generate(db, term, region, clock(), route_ids=[region["routes"][0].id], skip_holidays=False)

    assert [n.starts_at for n in _nights(db, term)] == [
        datetime(2027, 3, 26, 21, 0, tzinfo=UTC),
        datetime(2027, 3, 27, 21, 0, tzinfo=UTC),
        datetime(2027, 4, 2, 20, 0, tzinfo=UTC),
        datetime(2027, 4, 3, 20, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekdays": []}, "Choose at least one weekday."),
        ({"route_ids": []}, "Choose at least one route."),
        ({"min_walkers": 7}, "The minimum must be at least 1 and no more than the maximum."),
        ({"ends_local": time(22, 0)}, "A night must end at another time than it starts."),
    ],
)
def test_a_pattern_that_makes_no_sense_is_refused_in_words(db, region, clock, changes, message):
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 12, 19))
    with pytest.raises(terms.TermRefused) as refused:
        terms.save_pattern(db, term, _pattern(region, **changes), clock(), region["coordinator"])
    assert refused.value.msgid == message


def test_another_regions_route_cannot_be_put_in_a_pattern(db, region, clock):
    _, hamar, _, _ = factories.other_region(db, clock())
    elsewhere = Route(municipality=hamar, name="Hamar sentrum", meeting_point="Stortorget")
    db.add(elsewhere)
    db.flush()
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 12, 19))
    with pytest.raises(terms.TermRefused):
        terms.save_pattern(db, term, _pattern(region, route_ids=[elsewhere.id]), clock(), region["coordinator"])


def test_creating_a_term_and_generating_nights_is_in_the_audit_log(db, region, clock):
    term = _term(db, region, clock(), date(2026, 11, 20), date(2026, 12, 19))
    _generate(db, term, region, clock())
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == term.id).order_by(AuditEvent.id))
    assert list(actions) == ["term.created", "term.pattern_saved", "term.nights_generated"]


# --- School classes' weekends (klassevakt). ---


def test_a_class_given_a_weekend_sees_it_as_its_own(db, world, clock, links):
    term = world.term
    world.parent.school_classes = [world.school_class]

    given = terms.give_weekend(
        db, term, world.school_class.id, date(2026, 11, 28), clock(), links, world.coordinator
    )  # a Saturday: the weekend of Friday 27th

    assert given.weekend_on == date(2026, 11, 27)
    assert service.class_weekends_for(db, world.parent, [term.id]) == {(2026, 48)}
    assert service.class_weekends_for(db, world.other_parent, [term.id]) == set()
    again = terms.give_weekend(db, term, world.school_class.id, date(2026, 11, 27), clock(), links, world.coordinator)
    assert again.id == given.id


def test_a_weekend_outside_the_term_or_another_regions_class_is_refused(db, world, clock, links):
    with pytest.raises(terms.TermRefused):
        terms.give_weekend(db, world.term, world.school_class.id, date(2027, 1, 8), clock(), links, world.coordinator)
    with pytest.raises(terms.TermRefused):
        terms.give_weekend(db, world.term, 999_999, date(2026, 11, 27), clock(), links, world.coordinator)


def test_a_weekend_whose_nights_are_all_off_is_not_given_to_a_class(db, world, clock, links):
    for night in world.nights:
        if night.starts_at.date() in (date(2026, 12, 4), date(2026, 12, 5)):
            night.cancelled_at = clock()  # a school break, say
    with pytest.raises(terms.TermRefused) as refused:
        terms.give_weekend(db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator)
    assert str(refused.value) == "The term has no nights in Åsnes that weekend."
    empty = Term(
        region=world.region, name="Tom", starts_on=date(2027, 1, 8), ends_on=date(2027, 3, 26), signup_opens_at=clock()
    )
    db.add(empty)
    db.flush()
    # A term without nights yet: classes may be given weekends before the nights are made.
    assert terms.give_weekend(db, empty, world.school_class.id, date(2027, 1, 8), clock(), links, world.coordinator)


def test_a_weekend_in_the_classs_own_school_break_is_not_given_and_the_list_says_whose_break_it_is(
    db, world, clock, links, login, client
):
    winter = breaks.BreakInput("Vinterferie", date(2026, 12, 4), date(2026, 12, 6), [world.asnes.id, world.grue.id])
    breaks.add_break(db, world.region.id, winter, clock(), world.coordinator)
    with pytest.raises(terms.TermRefused) as refused:
        terms.give_weekend(db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator)
    assert str(refused.value) == (
        "The weekend of 04.12.2026 is in Vinterferie in Åsnes: give the class another weekend."
    )
    db.commit()

    page = login(world.coordinator).get(f"/coordinator/terms/{world.term.id}").text
    assert "Weekend of 4 Dec 2026 – Vinterferie: Grue, Åsnes</option>" in page
    assert "Weekend of 27 Nov 2026</option>" in page
    refused_page = client.post(
        f"/coordinator/terms/{world.term.id}/class-weekends",
        data={"school_class_id": world.school_class.id, "weekend_on": "2026-12-04"},
        follow_redirects=True,
    )
    assert "is in Vinterferie in Åsnes: give the class another weekend." in refused_page.text
    assert db.scalar(select(func.count()).select_from(ClassWeekend)) == 0


def test_a_class_is_given_a_weekend_by_its_own_municipalitys_nights(db, world, clock, links):
    for night in world.nights:  # Åsnes has a break that weekend; Grue and Våler walk
        if night.route.municipality == world.asnes and night.starts_at.date() in (date(2026, 12, 4), date(2026, 12, 5)):
            night.cancelled_at = clock()
    with pytest.raises(terms.TermRefused) as refused:
        terms.give_weekend(db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator)
    assert refused.value.translated(lambda msgid: msgid) == "The term has no nights in Åsnes that weekend."


def test_parents_of_the_class_are_invited_when_the_weekend_opens_for_sign_up(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    draft.term.signup_opens_at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # tomorrow, 18:00 in Oslo
    parent, other = draft.parent, draft.other_parent
    parent.school_classes = [draft.school_class]
    terms.give_weekend(db, draft.term, draft.school_class.id, date(2026, 11, 27), clock(), links, draft.coordinator)
    assert db.scalar(select(func.count()).select_from(SmsMessage)) == 0  # nothing while the term is a draft

    terms.publish(db, draft.term, clock(), links, draft.coordinator)

    invitations = db.scalars(select(SmsMessage).where(SmsMessage.to == parent.phone)).all()
    assert len(invitations) == 1
    invitation = invitations[0]
    assert invitation.purpose == Purpose.CLASS_INVITATION
    assert invitation.due_at == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    assert invitation.body.startswith(
        "Natteravn: the weekend of Fri 27 and Sat 28 November is the class weekend of Flisa skole 9A."
    )  # the weekend's nights by weekday and date, not a date to work out the weekend from
    assert db.scalar(select(func.count()).where(SmsMessage.to == other.phone)) == 0


def test_a_parent_with_children_in_two_classes_is_invited_for_each_classs_weekend(db, world, clock, links):
    tenth = SchoolClass(school=world.school_class.school, name="10B")
    db.add(tenth)
    world.parent.school_classes = [world.school_class, tenth]
    world.other_parent.school_classes = [tenth]
    terms.give_weekend(db, world.term, world.school_class.id, date(2026, 11, 27), clock(), links, world.coordinator)
    terms.give_weekend(db, world.term, tenth.id, date(2026, 12, 4), clock(), links, world.coordinator)

    assert service.class_weekends_for(db, world.parent, [world.term.id]) == {(2026, 48), (2026, 49)}
    assert service.class_weekends_for(db, world.other_parent, [world.term.id]) == {(2026, 49)}
    invited = db.scalars(select(SmsMessage.body).where(SmsMessage.to == world.parent.phone)).all()
    assert sorted("9A" in body for body in invited) == [False, True] and any("10B" in body for body in invited)


def test_a_weekend_given_after_publishing_invites_the_class_at_once_and_only_once(db, world, clock, links):
    world.parent.school_classes = [world.school_class]
    given = terms.give_weekend(
        db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator
    )
    assert terms.invite_class(db, given, clock(), links) == 0  # already invited

    invitation = db.scalar(select(SmsMessage).where(SmsMessage.to == world.parent.phone))
    assert invitation.due_at == clock()


def test_a_class_weekend_can_be_taken_back(db, world, clock, links):
    given = terms.give_weekend(
        db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator
    )
    terms.take_weekend(db, given, clock(), world.coordinator)
    db.flush()
    assert db.scalar(select(func.count()).select_from(ClassWeekend)) == 0


# --- Through the pages. ---


def test_a_coordinator_creates_a_term_and_generates_its_nights_through_the_pages(db, world, login, clock):
    client = login(world.coordinator)
    response = client.post(
        "/coordinator/terms/new",
        data={
            "region_id": world.region.id,
            "name": "Vår 2027",
            "starts_on": "2027-01-08",
            "ends_on": "2027-01-16",
            "signup_opens_at": "2026-12-01T18:00",
            "nights_cap": "3",
        },
    )
    assert response.status_code == 302
    term = db.scalar(select(Term).where(Term.name == "Vår 2027"))
    assert term.signup_opens_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 18:00 in Oslo
    assert (term.cap, term.published_at) == (3, None)

    route_ids = [str(world.routes["Flisa sentrum"].id), str(world.routes["Kirkenær"].id)]
    form = {
        "new-weekdays": ["4", "5"],
        "new-starts_local": "20:00",
        "new-ends_local": "23:30",
        "new-route_ids": route_ids,
        "new-min_walkers": "3",
        "new-max_walkers": "5",
        "new-needs_leader": "y",
        "new-skip_dates": "9.1.2027",
    }
    response = client.post(f"/coordinator/terms/{term.id}/patterns", data=form)
    assert response.status_code == 302
    assert "6 nights made" in client.get(response.location).text
    db.expire_all()
    nights = _nights(db, term)
    assert len(nights) == 6
    assert {local(n.starts_at).time() for n in nights} == {time(20, 0)}
    assert {n.max_walkers for n in nights} == {5}

    response = client.post(f"/coordinator/terms/{term.id}/patterns", data={**form, "new-skip_dates": "in May"})
    assert response.status_code == 422
    assert "is not a date" in response.text


def test_a_new_regions_term_page_says_where_routes_are_made_until_it_has_one(db, world, login, clock):
    hamar_region, hamar, coordinator, _leader = factories.other_region(db, clock())
    term = Term(
        region=hamar_region,
        name="Vår 2027",
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 3, 26),
        signup_opens_at=clock(),
    )
    db.add(term)
    db.commit()
    client = login(coordinator)
    pointer = f'<a href="/coordinator/places#region-{hamar_region.id}">No routes yet: add them under Places</a>'
    page = client.get(f"/coordinator/terms/{term.id}").text
    generate, add_one = page.split('id="add-night"')
    assert pointer in generate.split('id="new-pattern"')[1]  # in the routes fieldset there is nothing to tick in
    assert pointer in add_one
    refused = client.post(f"/coordinator/terms/{term.id}/patterns", data={"new-weekdays": ["4"]})
    assert refused.status_code == 422 and pointer in refused.text

    places.add_route(
        db, hamar, name="Hamar sentrum", meeting_point="Stortorget", notes="", actor=coordinator, now=clock()
    )
    db.commit()
    page = client.get(f"/coordinator/terms/{term.id}").text
    assert "No routes yet" not in page and "Hamar: Hamar sentrum" in page


def test_a_term_with_impossible_dates_gets_a_clear_message_not_an_error(world, login):
    client = login(world.coordinator)
    response = client.post(
        "/coordinator/terms/new",
        data={
            "region_id": world.region.id,
            "name": "Bakvendt",
            "starts_on": "2027-02-01",
            "ends_on": "2027-01-01",
            "signup_opens_at": "2026-12-01T18:00",
        },
    )
    assert response.status_code == 422
    assert "must end on or after" in response.text


def test_a_coordinator_gives_a_class_a_weekend_through_the_term_page(db, world, login):
    client = login(world.coordinator)
    response = client.post(
        f"/coordinator/terms/{world.term.id}/class-weekends",
        data={"school_class_id": world.school_class.id, "weekend_on": "2026-11-27"},
    )
    assert response.status_code == 302
    page = client.get(f"/coordinator/terms/{world.term.id}").text
    assert "Flisa skole 9A" in page
    assert db.scalar(select(ClassWeekend.weekend_on)) == date(2026, 11, 27)


def _coordinator_pages(world) -> list[tuple[str, str]]:
    term, night, asnes = world.term.id, world.nights[0].id, world.asnes.id
    return [
        ("get", f"/coordinator/terms/{term}"),
        ("get", f"/coordinator/terms/{term}/edit"),
        ("get", f"/coordinator/terms/{term}/grid"),
        ("get", f"/coordinator/terms/{term}/roster.csv"),
        ("get", f"/coordinator/terms/{term}/print/{asnes}"),
        ("get", f"/coordinator/nights/{night}"),
        ("post", f"/coordinator/terms/{term}/edit"),
        ("post", f"/coordinator/terms/{term}/patterns"),
        ("post", f"/coordinator/terms/{term}/publish"),
        ("post", f"/coordinator/terms/{term}/class-weekends"),
        ("post", f"/coordinator/nights/{night}"),
        ("post", f"/coordinator/nights/{night}/assign"),
        ("post", f"/coordinator/nights/{night}/remove"),
        ("post", f"/coordinator/nights/{night}/move-person"),
        ("post", f"/coordinator/nights/{night}/cancel"),
    ]


def test_another_regions_coordinator_finds_none_of_these_pages(db, world, login, clock):
    _, _, hamar_coordinator, _ = factories.other_region(db, clock())
    db.commit()
    client = login(hamar_coordinator)
    for method, url in _coordinator_pages(world):
        assert getattr(client, method)(url).status_code == 404, url
    assert world.term.name not in client.get("/coordinator/terms").text
    assert "Flisa" not in client.get("/coordinator").text


def test_a_parent_is_not_allowed_on_coordinator_pages(world, login):
    client = login(world.parent)
    for method, url in [("get", "/coordinator"), ("get", "/coordinator/terms"), *_coordinator_pages(world)]:
        assert getattr(client, method)(url).status_code == 403, url


def test_a_coordinator_of_two_regions_picks_the_region_of_a_new_term(db, world, login, clock):
    hamar_region, _, _, _ = factories.other_region(db, clock())
    coordinator = db.get(Person, world.coordinator.id)
    from natteravn.accounts.models import Role, RoleKind

    coordinator.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=hamar_region.id))
    db.commit()
    page = login(coordinator).get("/coordinator/terms/new").text
    assert "Hamar" in page and "Solør" in page


def test_a_coordinator_changes_a_terms_sign_up_window_and_cap(db, world, login):
    client = login(world.coordinator)
    assert 'value="Høst 2026"' in client.get(f"/coordinator/terms/{world.term.id}/edit").text
    response = client.post(
        f"/coordinator/terms/{world.term.id}/edit",
        data={
            "name": "Høst 2026",
            "starts_on": "2026-11-20",
            "ends_on": "2026-12-19",
            "signup_opens_at": "2026-11-01T08:00",
            "signup_closes_at": "2026-12-18T12:00",
            "nights_cap": "3",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    term = db.get(Term, world.term.id)
    assert term.signup_closes_at == datetime(2026, 12, 18, 11, 0, tzinfo=UTC)
    assert term.cap == 3
    event_ = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.updated"))
    assert (event_.actor_id, event_.details["nights_cap"]) == (world.coordinator.id, 3)


def test_a_coordinator_takes_a_weekend_back_from_a_class_through_the_term_page(db, world, login, clock, links):
    given = terms.give_weekend(
        db, world.term, world.school_class.id, date(2026, 12, 4), clock(), links, world.coordinator
    )
    db.commit()
    client = login(world.coordinator)
    response = client.post(f"/coordinator/terms/{world.term.id}/class-weekends/{given.id}/delete")
    assert response.status_code == 302
    assert db.scalar(select(func.count()).select_from(ClassWeekend)) == 0
    assert client.post(f"/coordinator/terms/{world.term.id}/class-weekends/{given.id}/delete").status_code == 404


def test_the_term_page_warns_of_nights_that_start_before_the_reminder_on_the_day(db, world, login):
    client = login(world.coordinator)
    assert "before the reminder on the day" not in client.get(f"/coordinator/terms/{world.term.id}").text
    world.region.reminder_day_at = time(22, 30)  # the nights start at 22:00
    db.commit()
    page = client.get(f"/coordinator/terms/{world.term.id}").text
    assert (
        "Some nights start at 22:00, before the reminder on the day at 22:30: they get no reminder on the day." in page
    )
    assert f"/coordinator/places/regions/{world.region.id}" in page


def _invited_for_a_class_weekend(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    draft.term.signup_opens_at = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Oslo
    draft.parent.school_classes = [draft.school_class]
    terms.give_weekend(db, draft.term, draft.school_class.id, date(2026, 11, 27), clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    db.commit()
    (invitation,) = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.CLASS_INVITATION))
    return draft, invitation


def _opening(term: Term, opens: datetime) -> terms.TermInput:
    return terms.TermInput(
        name=term.name,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        signup_opens_at=opens,
        signup_closes_at=term.signup_closes_at,
        nights_cap=term.nights_cap,
    )


def test_a_class_invitation_goes_out_when_sign_up_now_opens(db, clock, links):
    draft, invitation = _invited_for_a_class_weekend(db, clock, links)
    sunday = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)  # Sunday 00:00 in Oslo
    terms.update_term(db, draft.term, _opening(draft.term, sunday), clock(), draft.coordinator)
    db.commit()
    db.refresh(invitation)
    assert invitation.due_at == sunday  # quiet hours still hold it until the morning, as any message

    terms.update_term(db, draft.term, _opening(draft.term, clock() - timedelta(hours=1)), clock(), draft.coordinator)
    db.refresh(invitation)
    assert invitation.due_at == clock()  # open already: at once


def test_the_term_page_moves_the_class_invitations_with_the_opening(db, clock, links, login):
    draft, invitation = _invited_for_a_class_weekend(db, clock, links)
    term = draft.term
    form = {
        "region_id": term.region_id,
        "name": term.name,
        "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat(),
        "signup_opens_at": "2026-11-22T00:00",
        "nights_cap": "",
    }
    assert login(draft.coordinator).post(f"/coordinator/terms/{term.id}/edit", data=form).status_code == 302
    db.refresh(invitation)
    assert invitation.due_at == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def test_a_class_invitation_waiting_is_written_again_in_the_parents_new_language(db, clock, links):
    draft, invitation = _invited_for_a_class_weekend(db, clock, links)
    accounts.choose_language(db, draft.parent, "nn", links)
    db.refresh(invitation)
    assert invitation.body.startswith("Natteravn: helga fr. 27. og la. 28. november er klassevakt for Flisa skole 9A.")
    assert invitation.subject == translations("nn").gettext("Natteravn: your school class's weekend")


def test_a_class_invitation_names_only_the_nights_its_weekend_has_in_the_parents_language(db, clock, links):
    draft = factories.solor(db, clock(), published=False)
    for night in draft.nights:  # Saturday 28 November is called off in Åsnes
        if night.route.municipality == draft.asnes and local(night.starts_at).date() == date(2026, 11, 28):
            night.cancelled_at = clock()
    draft.parent.school_classes = [draft.school_class]
    draft.parent.locale = "nb"
    terms.give_weekend(db, draft.term, draft.school_class.id, date(2026, 11, 27), clock(), links, draft.coordinator)
    terms.publish(db, draft.term, clock(), links, draft.coordinator)
    (invitation,) = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.CLASS_INVITATION))
    assert invitation.body.startswith("Natteravn: helgen fre. 27. november er klassevakt for Flisa skole 9A.")


def test_days_are_written_as_a_reader_says_a_weekends_nights():
    assert days_written([date(2027, 3, 12), date(2027, 3, 13)], "nb") == "fre. 12. og lør. 13. mars"
    assert days_written([date(2027, 3, 12), date(2027, 3, 13)], "en") == "Fri 12 and Sat 13 March"
    assert days_written([date(2027, 4, 30), date(2027, 5, 1)], "en") == "Fri 30 April and Sat 1 May"


def test_the_class_weekend_list_names_the_public_holidays_on_a_weekends_nights(db, world, clock, login):
    spring = _term(
        db,
        {"region": world.region, "coordinator": world.coordinator},
        clock(),
        date(2027, 3, 19),
        date(2027, 5, 8),
        name="Vår 2027",
    )
    winter = breaks.BreakInput("Påskeferie", date(2027, 3, 22), date(2027, 3, 29), [world.grue.id])
    breaks.add_break(db, world.region.id, winter, clock(), world.coordinator)
    db.commit()

    page = login(world.coordinator).get(f"/coordinator/terms/{spring.id}").text

    assert "Weekend of 26 Mar 2027 – Fri 26 Mar: Good Friday; Påskeferie: Grue</option>" in page
    assert "Weekend of 30 Apr 2027 – Sat 1 May: Labor Day</option>" in page
    assert "Weekend of 2 Apr 2027</option>" in page  # Easter Monday is no night of a weekend
    assert terms.weekend_holidays(spring, "nb")[date(2027, 4, 30)] == {date(2027, 5, 1): "Arbeidernes dag"}
