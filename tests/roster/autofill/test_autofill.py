"""Auto-fill against the database: availability from the phone, a draft for the coordinator,
sign-ups and SMS only once the draft is accepted."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from natteravn.accounts.service import display_phone, normalise_phone
from natteravn.places.models import Municipality, Region
from natteravn.roster.autofill import service
from natteravn.roster.autofill.models import Availability, RosterDraft
from natteravn.roster.autofill.problem import Weights
from natteravn.shifts import service as shifts
from natteravn.shifts.models import Signup, SignupRole, SignupState, Term
from natteravn.sms.models import SmsMessage
from tests import factories

MONDAY, FRIDAY, SATURDAY = 0, 4, 5


def say_available(db, person, term, actor=None, **given):
    values = dict(
        weekdays=[FRIDAY, SATURDAY],
        dates=[],
        blocked_dates=[],
        max_nights=2,
        wants_to_lead=False,
        same_weekend_ok=False,
        partner_phone=None,
        municipality_ids=[],
    )
    values.update(given)
    return service.save_availability(db, person, term, service.AvailabilityInput(**values), db_now(db), actor or person)


def db_now(db):
    from datetime import UTC, datetime

    return datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def volunteers(db, world, count, municipality=None, **extra):
    made = []
    for n in range(count):
        person = factories.person(db, municipality or world.asnes, f"Frivillig {n}", db_now(db), **extra)
        made.append(person)
    return made


def ticked_weekdays(page: str) -> set[int]:
    return {
        int(day)
        for day in re.findall(r'<input checked id="weekdays-\d" name="weekdays" type="checkbox" value="(\d)">', page)
    }


def offered_weekdays(page: str) -> set[int]:
    return {int(day) for day in re.findall(r'name="weekdays" type="checkbox" value="(\d)"', page)}


@pytest.fixture
def a_monday_peak_night(world, db):
    """The term's Friday and Saturday nights, and one Monday night with more walkers."""
    factories.night(db, world.term, world.routes["Flisa sentrum"], date(2026, 12, 7), min_walkers=6, max_walkers=10)
    db.commit()
    db.refresh(world.term)


def test_the_weekdays_ticked_at_first_are_those_most_of_the_terms_nights_are_on(world, a_monday_peak_night):
    assert service.usual_weekdays(world.term) == [FRIDAY, SATURDAY]


def test_a_parent_is_offered_a_peak_nights_weekday_but_not_ticked_for_it(world, a_monday_peak_night, login, client, db):
    login(world.parent)
    page = client.get(f"/availability/{world.term.id}").text
    assert offered_weekdays(page) == {MONDAY, FRIDAY, SATURDAY}
    assert ticked_weekdays(page) == {FRIDAY, SATURDAY}
    said = client.post(
        f"/availability/{world.term.id}", data={"weekdays": [str(FRIDAY), str(MONDAY)], "max_nights": "2"}
    )
    assert said.status_code == 302
    assert ticked_weekdays(client.get(f"/availability/{world.term.id}").text) == {MONDAY, FRIDAY}  # as saved


def test_a_parent_tells_when_they_can_walk_on_their_phone(world, login, client, db):
    login(world.parent)
    page = client.get(f"/availability/{world.term.id}")
    assert page.status_code == 200
    assert "When can you walk?" in page.text
    response = client.post(
        f"/availability/{world.term.id}",
        data={"weekdays": [str(SATURDAY)], "max_nights": "1", "blocked_dates": ["2026-11-28"], "same_weekend_ok": ""},
    )
    assert response.status_code == 302
    saved = db.scalar(select(Availability).where(Availability.person_id == world.parent.id))
    assert saved.weekdays == [SATURDAY]
    assert saved.max_nights == 1
    assert saved.blocked_dates == ["2026-11-28"]
    assert not saved.covers(date(2026, 11, 28)) and saved.covers(date(2026, 12, 5))


def test_the_dates_offered_are_those_ahead_with_their_weekdays_and_those_said_before(world, login, client, db, clock):
    login(world.parent)
    client.post(
        f"/availability/{world.term.id}",
        data={"weekdays": [str(SATURDAY)], "max_nights": "1", "blocked_dates": ["2026-11-28"]},
    )
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # the term's first two weekends are past
    page = client.get(f"/availability/{world.term.id}").text
    assert 'value="2026-11-20"' not in page and 'value="2026-11-27"' not in page
    assert "Sat 28 Nov 2026" in page  # past, but said before: kept as said
    assert "Fri 4 Dec 2026" in page
    again = client.post(
        f"/availability/{world.term.id}",
        data={"weekdays": [str(SATURDAY)], "max_nights": "1", "blocked_dates": ["2026-11-28", "2026-12-05"]},
    )
    assert again.status_code == 302


def test_the_nights_page_leads_a_parent_to_the_terms_they_can_plan(world, login, client, db, clock):
    login(world.parent)
    for page in ("/nights", "/my"):
        assert "/availability" in client.get(page).text
    only = client.get("/availability")
    assert only.headers["Location"].endswith(f"/availability/{world.term.id}")
    spring = Term(
        region=world.region,
        name="Våren 2027",
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 6, 19),
        signup_opens_at=clock(),
    )
    db.add(spring)
    db.commit()
    choice = client.get("/availability").text
    assert "Våren 2027" in choice and f"/availability/{spring.id}" in choice


def name_a_partner(client, world, written: str):
    data = {"weekdays": [str(FRIDAY)], "max_nights": "2", "partner_phone": written}
    return client.post(f"/availability/{world.term.id}", data=data, follow_redirects=True)


def test_the_partner_field_answers_alike_for_known_and_unknown_numbers(world, login, client, db, clock):
    _region, _hamar, _coordinator, hamar_leader = factories.other_region(db, clock())
    db.commit()
    login(world.parent)
    answers = []
    for written in ("912 00 000", "+47 " + world.leader.phone[3:], hamar_leader.phone):
        response = name_a_partner(client, world, written)
        answers.append((response.status_code, response.text.replace(written, "…")))
        assert "Thank you. The coordinator uses this" in response.text
        assert "We found no volunteer" not in response.text
        shown = client.get(f"/availability/{world.term.id}").text
        typed = display_phone(normalise_phone(written))
        assert f'value="{typed}"' in shown  # the number they typed, never a name
        assert "Lise" not in shown and "Hans" not in shown
    assert len({code for code, _text in answers}) == 1
    assert len({len(text) for _code, text in answers}) == 1


def test_a_partner_number_that_is_no_phone_number_is_still_refused(world, login, client, db):
    login(world.parent)
    response = name_a_partner(client, world, "my friend")
    assert response.status_code == 422  # nothing was saved
    assert "Write only the number, without letters or other text" in response.text
    assert db.scalar(select(func.count()).select_from(Availability)) == 0


def test_a_partner_number_with_a_name_after_it_is_refused_and_the_rest_stays_ticked(world, login, client, db):
    login(world.parent)
    response = name_a_partner(client, world, "912 00 000 Per")
    assert "Write only the number, without letters or other text, like 912 34 567." in response.text
    assert 'value="912 00 000 Per"' in response.text  # to correct, not to type again
    assert f'<input checked id="weekdays-0" name="weekdays" type="checkbox" value="{FRIDAY}">' in response.text
    assert db.scalar(select(func.count()).select_from(Availability)) == 0


def test_a_partner_who_registers_later_is_walked_with(world, db, clock):
    anne = volunteers(db, world, 1)[0]
    say_available(db, anne, world.term, weekdays=[FRIDAY], max_nights=1, partner_phone="987 65 432")
    per = factories.person(db, world.asnes, "Per Senere", clock(), number="+4798765432")
    say_available(db, per, world.term, weekdays=[FRIDAY], max_nights=1)
    people = {v.id: v for v in service.build_problem(db, world.term, clock()).volunteers}
    assert (people[anne.id].partner_id, people[per.id].partner_id) == (per.id, anne.id)


def test_a_partner_number_outside_the_region_or_ones_own_binds_nobody(world, db, clock):
    _region, _hamar, _coordinator, hamar_leader = factories.other_region(db, clock())
    anne, per = volunteers(db, world, 2)
    say_available(db, anne, world.term, partner_phone=hamar_leader.phone)
    said = say_available(db, per, world.term)
    said.partner_phone = per.phone  # as kept before one's own number was refused
    people = {v.id: v for v in service.build_problem(db, world.term, clock()).volunteers}
    assert people[anne.id].partner_id is None and people[per.id].partner_id is None


def refusal_of(db, person, term, actor=None, **given) -> service.AutofillRefused:
    with pytest.raises(service.AutofillRefused) as refused:
        say_available(db, person, term, actor, **given)
    return refused.value


def test_a_partner_number_one_digit_short_is_refused_about_the_partner_field(world, db):
    refusal = refusal_of(db, world.parent, world.term, partner_phone="912 00 00")
    assert refusal.field == "partner_phone"
    assert refusal.msgid == "That is not a valid phone number. Write it like 912 34 567."


def test_ones_own_number_as_partner_is_refused_about_the_partner_field(world, db):
    own = refusal_of(db, world.parent, world.term, partner_phone=display_phone(world.parent.phone))
    assert own.field == "partner_phone"
    assert str(own) == "That is your own number. Write the number of the person you walk with, or leave it empty."
    # The coordinator, filling in for a parent, is told whose number it is.
    theirs = refusal_of(db, world.parent, world.term, world.coordinator, partner_phone=world.parent.phone)
    assert theirs.field == "partner_phone"
    assert str(theirs).startswith(f"That is {world.parent.name}'s own number.")


def test_nights_are_refused_beyond_the_terms_cap_and_the_message_names_it(world, db):
    world.term.nights_cap = 3
    assert say_available(db, world.parent, world.term, max_nights=3).max_nights == 3
    for wrong in (4, -1):
        refusal = refusal_of(db, world.parent, world.term, max_nights=wrong)
        assert refusal.field == "max_nights"
        assert str(refusal) == "Choose a number from 0 to 3: nobody walks more nights than that in a term."


def errors_beside_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]*)</p>', page))


def said_before(db, world) -> Availability:
    said = say_available(db, world.parent, world.term, weekdays=[SATURDAY], max_nights=1, partner_phone="912 00 000")
    db.commit()
    return said


def test_a_partner_number_one_digit_short_is_shown_beside_the_partner_field(world, login, client, db):
    said = said_before(db, world)
    login(world.parent)
    response = name_a_partner(client, world, "912 00 00")
    assert response.status_code == 422
    assert errors_beside_fields(response.text) == {
        "partner_phone": "That is not a valid phone number. Write it like 912 34 567."
    }
    assert "error-summary" not in response.text
    assert 'value="912 00 00"' in response.text  # to correct, not to type again
    assert f'<input checked id="weekdays-0" name="weekdays" type="checkbox" value="{FRIDAY}">' in response.text
    db.refresh(said)
    assert (said.weekdays, said.max_nights, said.partner_phone) == ([SATURDAY], 1, "+4791200000")


def test_ones_own_number_as_partner_is_shown_beside_the_partner_field(world, login, client, db):
    said = said_before(db, world)
    login(world.parent)
    response = name_a_partner(client, world, display_phone(world.parent.phone))
    assert response.status_code == 422
    assert errors_beside_fields(response.text) == {
        "partner_phone": "That is your own number. Write the number of the person you walk with, or leave it empty."
    }
    db.refresh(said)
    assert (said.weekdays, said.partner_phone) == ([SATURDAY], "+4791200000")


def test_the_page_offers_as_many_nights_as_the_term_allows_and_no_more(world, login, client, db):
    world.term.nights_cap = 3
    said = said_before(db, world)
    login(world.parent)
    page = client.get(f"/availability/{world.term.id}").text
    offered = re.search(r'<select[^>]*name="max_nights"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="(\d+)"', offered) == ["0", "1", "2", "3"]
    # Sent from a page opened before the cap was lowered:
    world.term.nights_cap = 2
    db.commit()
    data = {"weekdays": [str(FRIDAY)], "max_nights": "3"}
    response = client.post(f"/availability/{world.term.id}", data=data)
    assert response.status_code == 422
    assert errors_beside_fields(response.text) == {
        "max_nights": "Choose a number from 0 to 2: nobody walks more nights than that in a term."
    }
    db.refresh(said)
    assert said.max_nights == 1


def test_nights_said_before_the_cap_was_lowered_are_shown_within_it(world, login, client, db):
    say_available(db, world.parent, world.term, max_nights=2)
    world.term.nights_cap = 1
    db.commit()
    login(world.parent)
    page = client.get(f"/availability/{world.term.id}").text
    assert '<option selected value="1">1</option>' in page


def test_another_regions_term_does_not_exist_for_a_parent(world, login, client, db, clock):
    elsewhere = Region(name="Elsewhere", slug="elsewhere")
    db.add_all([elsewhere, Municipality(region=elsewhere, name="Other")])
    term = Term(
        region=elsewhere, name="Other", starts_on=date(2027, 1, 1), ends_on=date(2027, 6, 1), signup_opens_at=clock()
    )
    db.add(term)
    db.commit()
    login(world.parent)
    assert client.get(f"/availability/{term.id}").status_code == 404


def test_the_problem_reflects_what_people_said_and_keeps_existing_signups(world, db, clock, links):
    shifts.sign_up(
        db, world.other_parent, world.night_on("Kirkenær", date(2026, 11, 20)).id, SignupRole.WALKER, clock(), links
    )
    say_available(db, world.parent, world.term, weekdays=[SATURDAY], blocked_dates=[date(2026, 11, 28)])
    say_available(db, world.other_parent, world.term, weekdays=[FRIDAY], max_nights=2)
    say_available(db, world.leader, world.term, wants_to_lead=True)
    problem = service.build_problem(db, world.term, clock())

    people = {v.id: v for v in problem.volunteers}
    nights = {n.id: n for n in problem.nights}
    kari = people[world.parent.id]
    assert {nights[n].day for n in kari.available} == {
        date(2026, 11, 21),
        date(2026, 12, 5),
        date(2026, 12, 12),
        date(2026, 12, 19),
    }
    assert {nights[n].municipality_id for n in kari.available} == {world.asnes.id}
    ola = people[world.other_parent.id]
    assert ola.existing_nights == 1 and ola.max_new_nights == 1
    assert ola.busy_days == {date(2026, 11, 20)}
    assert people[world.leader.id].can_lead and not kari.can_lead
    kirkenaer = world.night_on("Kirkenær", date(2026, 11, 20))
    assert nights[kirkenaer.id].free_places == 5 and nights[kirkenaer.id].walkers_needed == 2


def test_a_draft_proposes_without_signing_anyone_up_and_accepting_it_does(world, db, clock, links):
    for person in volunteers(db, world, 6):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=1)
    say_available(db, world.leader, world.term, weekdays=[FRIDAY], wants_to_lead=True, max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    db.commit()

    assert len(draft.assignments) == 7
    assert [a.role for a in draft.assignments].count(SignupRole.LEADER) == 1
    assert db.scalar(select(func.count()).select_from(Signup)) == 0
    assert db.scalar(select(func.count()).select_from(SmsMessage)) == 0
    # Nights stay short, and the draft says why: nobody is free on Saturdays at all, while the
    # Friday volunteers, one night each, have all the nights they offered.
    reasons = {s["shift_id"]: set(s["reasons"]) for s in draft.short}
    saturday = world.night_on("Flisa sentrum", date(2026, 11, 21))
    assert reasons[saturday.id] == {"no_leader_available", "too_few_volunteers"}
    empty_friday = next(
        s
        for s in draft.short
        if s["shift_id"] in {world.night_on("Flisa sentrum", date(2026, 12, d)).id for d in (4, 11)}
    )
    assert empty_friday["reasons"] == ["leaders_at_their_most", "volunteers_at_their_most"]
    assert empty_friday["held"] == {"leaders_at_their_most": 1, "volunteers_at_their_most": 7}  # six and the leader

    result = service.accept_draft(db, draft, world.coordinator, clock(), links)
    db.commit()
    assert result.made == 7 and result.skipped == 0
    signups = db.scalars(select(Signup)).all()
    assert {s.state for s in signups} == {SignupState.SIGNED_UP}
    assert db.scalar(select(func.count()).select_from(SmsMessage)) > 0  # each person gets their SMS
    assert db.get(RosterDraft, draft.id).state == "accepted"


def test_locks_pin_a_proposal_for_the_next_run(world, db, clock):
    people = volunteers(db, world, 2)
    for person in people:
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=1)
    first = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    proposal = first.assignments[0]
    service.set_lock(db, world.term, proposal.shift_id, proposal.person_id, False)
    second = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    assert (proposal.person_id, proposal.shift_id) not in {(a.person_id, a.shift_id) for a in second.assignments}
    assert db.get(RosterDraft, first.id).state == "discarded"


def test_the_coordinator_reviews_and_accepts_through_the_pages(world, db, login, client):
    for person in volunteers(db, world, 3):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=1)
    db.commit()
    login(world.coordinator)
    for page in (f"/coordinator/terms/{world.term.id}", f"/coordinator/terms/{world.term.id}/grid"):
        assert f"/coordinator/terms/{world.term.id}/autofill" in client.get(page).text
    assert client.get(f"/coordinator/terms/{world.term.id}/autofill").status_code == 200
    assert client.post(f"/coordinator/terms/{world.term.id}/autofill").status_code == 302
    page = client.get(f"/coordinator/terms/{world.term.id}/autofill")
    assert "Draft from" in page.text and "new" in page.text
    # No leader gave availability: the short nights say so, in one readable sentence.
    assert "walkers missing, no group leader: nobody who can lead is free that night" in " ".join(page.text.split())
    assert client.post(f"/coordinator/terms/{world.term.id}/autofill/accept").status_code == 302
    assert db.scalar(select(func.count()).select_from(Signup)) == 3
    again = client.post(f"/coordinator/terms/{world.term.id}/autofill/accept", follow_redirects=True)
    assert again.status_code == 200 and "This draft has already been used." in again.text
    assert db.scalar(select(func.count()).select_from(Signup)) == 3


def test_the_draft_says_in_plain_words_whether_a_better_roster_may_exist(world, db, login, client, clock):
    say_available(db, world.parent, world.term, weekdays=[FRIDAY], max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, db_now(db), time_limit_s=2)
    db.commit()
    login(world.coordinator)
    best = client.get(f"/coordinator/terms/{world.term.id}/autofill").text
    assert "This is the best roster the rules allow." in best
    draft.optimal, draft.gap, draft.seconds = False, 0.000011, 10
    db.commit()
    found = client.get(f"/coordinator/terms/{world.term.id}/autofill").text
    assert "This is the best roster found in the time given; a better one may exist." in found
    for page in (best, found):  # no solver's words: no proof, no costs, no percentage of a gap
        assert "proven" not in page and "%" not in page
        assert not re.search(r"\bcosts?\b", page, re.I)


def test_people_on_as_many_nights_as_they_offered_are_no_unmet_wish(world, db, login, client, clock):
    for person in volunteers(db, world, 3):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=2)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    db.commit()
    nights_each = Counter(a.person_id for a in draft.assignments)
    assert set(nights_each.values()) == {2}  # each on the two nights they offered
    assert "extra_night" not in draft.tally and "same_weekend" not in draft.tally
    login(world.coordinator)
    page = " ".join(client.get(f"/coordinator/terms/{world.term.id}/autofill").text.split())
    unmet = page.split("What the draft leaves unmet", 1)[1].split("</ul>", 1)[0]
    assert "nights without a leader" in unmet  # what is unmet is still said
    assert "more than one night" not in unmet and "twice in a weekend" not in unmet


def test_a_night_without_a_leader_says_the_leader_who_could_lead_it_has_all_the_nights_they_offered(
    world, db, login, client, clock
):
    say_available(db, world.leader, world.term, weekdays=[FRIDAY], max_nights=1, wants_to_lead=True)
    db.commit()
    login(world.coordinator)
    client.post(f"/coordinator/terms/{world.term.id}/autofill")
    page = " ".join(client.get(f"/coordinator/terms/{world.term.id}/autofill").text.split())
    assert (
        "3 walkers missing, no group leader: 1 leader who can walk that night already has all the nights they offered;"
        " too few volunteers are free that night"
    ) in page
    assert "needed on other nights" not in page


def test_autofill_pages_are_for_this_regions_coordinators_only(world, db, login, client, clock):
    elsewhere = Region(name="Elsewhere", slug="elsewhere")
    other_town = Municipality(region=elsewhere, name="Other")
    db.add_all([elsewhere, other_town])
    db.flush()
    stranger = factories.person(db, other_town, "Annen Koordinator", clock(), coordinator=True)
    db.commit()
    url = f"/coordinator/terms/{world.term.id}/autofill"
    assert client.get(url).status_code == 302  # to the login page
    login(world.parent)
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(stranger)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(f"/coordinator/terms/{world.term.id}/availability/{world.parent.id}").status_code == 404


def test_partners_are_proposed_for_the_same_nights(world, db, clock):
    anne, per = volunteers(db, world, 2)
    say_available(db, anne, world.term, weekdays=[FRIDAY], max_nights=1, partner_phone=per.phone)
    say_available(db, per, world.term, weekdays=[FRIDAY], max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    nights = {a.person_id: a.shift_id for a in draft.assignments}
    assert nights[anne.id] == nights[per.id]


def typed_weights(**changes) -> dict[str, str]:
    typed = {f.name: str(100 + n) for n, f in enumerate(fields(Weights))}
    return typed | changes


def test_the_coordinator_saves_the_regions_weights(world, login, client, db):
    login(world.coordinator)
    url = f"/coordinator/terms/{world.term.id}/autofill/weights"
    assert client.post(url, data=typed_weights()).status_code == 302
    assert service.weights_for(db, world.region.id) == Weights(**{k: int(v) for k, v in typed_weights().items()})


@pytest.mark.parametrize("wrong", ["abc", "-1", "100001", ""])
def test_one_wrong_weight_keeps_every_typed_value_and_says_which(world, login, client, db, wrong):
    login(world.coordinator)
    typed = typed_weights(repeat_pair=wrong)
    response = client.post(f"/coordinator/terms/{world.term.id}/autofill/weights", data=typed)
    assert response.status_code == 422
    page = response.text
    for name, value in typed.items():
        assert re.search(
            rf'id="{name}"[^>]*value="{re.escape(value)}"|value="{re.escape(value)}"[^>]*id="{name}"', page
        )
    errors = re.findall(r'<p class="error" id="([a-z_]+)-error">', page)
    assert errors and set(errors) == {"repeat_pair"}
    assert "<details open>" in page
    assert service.weights_for(db, world.region.id) == Weights()


def at_the_cap(db, world, someone, clock, role=SignupRole.WALKER):
    """Two places as walker (the term's cap) on the first two Fridays in Grue."""
    for day in (date(2026, 11, 20), date(2026, 11, 27)):
        factories.signup(db, world.night_on("Kirkenær", day), someone, clock(), role=role)


def proposed_to(draft, someone) -> list[tuple[int, SignupRole]]:
    return [(a.shift_id, a.role) for a in draft.assignments if a.person_id == someone.id]


def test_a_leader_at_the_walkers_cap_is_proposed_to_lead_and_signed_up_as_leader(world, db, clock, links):
    at_the_cap(db, world, world.leader, clock)
    say_available(db, world.leader, world.term, weekdays=[SATURDAY], max_nights=3, wants_to_lead=True)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    [(shift_id, role)] = proposed_to(draft, world.leader)  # her own most: three nights in all
    assert role == SignupRole.LEADER
    assert shift_id not in {s["shift_id"] for s in draft.short if s["leader_missing"]}

    assert service.accept_draft(db, draft, world.coordinator, clock(), links).made == 1
    led = db.scalar(select(Signup).where(Signup.shift_id == shift_id, Signup.person_id == world.leader.id))
    assert (led.role, led.state) == (SignupRole.LEADER, SignupState.SIGNED_UP)


def test_a_leader_at_the_cap_who_leads_no_more_than_they_offered(world, db, clock):
    at_the_cap(db, world, world.leader, clock, role=SignupRole.LEADER)
    say_available(db, world.leader, world.term, weekdays=[SATURDAY], max_nights=2, wants_to_lead=True)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    assert proposed_to(draft, world.leader) == []  # her own two nights, led or walked, are taken


def test_volunteers_at_the_cap_are_not_proposed_to_walk(world, db, clock):
    at_the_cap(db, world, world.parent, clock)
    say_available(db, world.parent, world.term, weekdays=[SATURDAY], max_nights=2)
    # A group leader who offers nights but not to lead walks no more than anyone.
    at_the_cap(db, world, world.leader, clock)
    say_available(db, world.leader, world.term, weekdays=[SATURDAY], max_nights=2, wants_to_lead=False)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    assert proposed_to(draft, world.parent) == proposed_to(draft, world.leader) == []
    saturday = world.night_on("Flisa sentrum", date(2026, 11, 21))
    assert {s["shift_id"]: s["reasons"] for s in draft.short}[saturday.id] == [
        "no_leader_available",
        "too_few_volunteers",
    ]


def test_a_group_leader_may_offer_more_nights_than_the_cap_and_a_parent_may_not(world, db, login, client):
    login(world.leader)
    page = client.get(f"/availability/{world.term.id}").text
    offered = re.search(r'<select[^>]*name="max_nights"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="(\d+)"', offered) == ["0", "1", "2", "3", "4", "5"]  # a night a week
    assert "As group leader you may offer up to 5 nights: more than the 2 you may walk are nights you lead." in page
    response = client.post(
        f"/availability/{world.term.id}", data={"weekdays": [str(SATURDAY)], "max_nights": "4", "wants_to_lead": "y"}
    )
    assert response.status_code == 302
    assert service.availability_for(db, world.leader, world.term).max_nights == 4
    too_many = client.post(f"/availability/{world.term.id}", data={"weekdays": [str(SATURDAY)], "max_nights": "6"})
    assert errors_beside_fields(too_many.text) == {"max_nights": "Choose a number from 0 to 5."}
    not_leading = client.post(f"/availability/{world.term.id}", data={"weekdays": [str(SATURDAY)], "max_nights": "4"})
    assert errors_beside_fields(not_leading.text) == {
        "max_nights": "More than 2 nights are for leading: tick that you can be group leader, or choose fewer."
    }
    assert service.availability_for(db, world.leader, world.term).max_nights == 4  # what was saved stays
    client.post("/logout")
    login(world.parent)
    assert "As group leader" not in client.get(f"/availability/{world.term.id}").text
    refused = client.post(f"/availability/{world.term.id}", data={"weekdays": [str(SATURDAY)], "max_nights": "3"})
    assert refused.status_code == 422


def test_the_coordinators_draft_puts_a_leader_at_the_cap_on_a_night_as_leader(world, db, login, client, clock):
    at_the_cap(db, world, world.leader, clock)
    say_available(db, world.leader, world.term, weekdays=[SATURDAY], max_nights=3, wants_to_lead=True)
    db.commit()
    login(world.coordinator)
    assert client.post(f"/coordinator/terms/{world.term.id}/autofill").status_code == 302
    assert client.post(f"/coordinator/terms/{world.term.id}/autofill/accept").status_code == 302
    roles = db.execute(
        select(Signup.role, func.count()).where(Signup.person_id == world.leader.id).group_by(Signup.role)
    ).all()
    assert dict(roles) == {SignupRole.WALKER: 2, SignupRole.LEADER: 1}
