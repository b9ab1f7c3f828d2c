"""A term's mistakes, caught or undone: a year typed wrong, a form sent twice, dates that overlap
another term, and nights taken off again (a term's dates narrowed, a pattern or a draft term
deleted), never a night someone is on or that was walked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from natteravn.audit.models import AuditEvent
from natteravn.clock import local
from natteravn.places import breaks
from natteravn.places.models import SchoolBreak
from natteravn.reports.models import WalkIn
from natteravn.roster import terms
from natteravn.roster.autofill.models import Availability
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import ClassWeekend, Shift, Signup, SignupState, Term
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories
from tests.conftest import log_in

OPENS = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _input(name: str, first: date, last: date) -> terms.TermInput:
    return terms.TermInput(name=name, starts_on=first, ends_on=last, signup_opens_at=OPENS)


def _draft(db, world, clock, name="Vår 2027", first=date(2027, 1, 8), last=date(2027, 1, 23)) -> Term:
    return terms.create_term(db, world.region, _input(name, first, last), clock(), world.coordinator)


def _pattern(world, weekdays=(4, 5), routes=("Flisa sentrum", "Kirkenær")) -> terms.PatternInput:
    return terms.PatternInput(
        weekdays=list(weekdays),
        starts_local=time(22, 0),
        ends_local=time(1, 0),
        route_ids=[world.routes[name].id for name in routes],
        skip_holidays=False,
        skip_breaks=False,
    )


def _generate(db, world, term, clock, **kwargs) -> tuple[NightPattern, terms.Generated]:
    pattern = terms.save_pattern(db, term, _pattern(world, **kwargs), clock(), world.coordinator)
    return pattern, terms.generate_nights(db, term, pattern, clock(), world.coordinator)


def _nights(db, term) -> list[Shift]:
    return list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at, Shift.route_id)))


def _days(nights: list[Shift]) -> set[date]:
    return {local(night.starts_at).date() for night in nights}


def _term_form(term: Term, **changes) -> dict:
    form = {
        "name": term.name,
        "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat(),
        "signup_opens_at": "2026-11-01T09:00",
    }
    return {**form, **changes}


# --- A year typed wrong. ---


def test_a_term_longer_than_twelve_months_is_refused_naming_the_dates_typed(db, world, clock):
    with pytest.raises(terms.TermRefused) as refused:
        _draft(db, world, clock, first=date(2027, 8, 20), last=date(2037, 12, 18))

    assert str(refused.value) == (
        "A term is at most 12 months long, and 20.08.2027 to 18.12.2037 is longer. Check the years."
    )
    assert refused.value.field == "ends_on"
    year_less_a_day = _draft(db, world, clock, first=date(2027, 8, 20), last=date(2028, 8, 19))
    assert year_less_a_day.ends_on == date(2028, 8, 19)


def test_editing_a_term_to_end_ten_years_on_is_refused_beside_the_last_day(db, world, login):
    client = login(world.coordinator)

    page = client.post(f"/coordinator/terms/{world.term.id}/edit", data=_term_form(world.term, ends_on="2036-12-19"))

    assert page.status_code == 422
    assert 'id="ends_on-error">A term is at most 12 months long, and 20.11.2026 to 19.12.2036 is longer.' in page.text
    db.expire_all()
    assert db.get(Term, world.term.id).ends_on == date(2026, 12, 19)


# --- Dates narrowed: the nights outside go, unless someone is on them. ---


def test_nights_left_outside_a_terms_new_dates_go_when_nobody_is_on_them(db, world, clock):
    term = _draft(db, world, clock, last=date(2027, 2, 6))
    _generate(db, world, term, clock)
    assert len(_nights(db, term)) == 5 * 2 * 2  # five weekends, two nights, two routes

    removed = terms.update_term(
        db, term, _input("Vår 2027", date(2027, 1, 8), date(2027, 1, 23)), clock(), world.coordinator
    )

    assert removed == 2 * 2 * 2  # the last two weekends
    assert max(_days(_nights(db, term))) == date(2027, 1, 23)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.nights_removed"))
    assert (event.object_id, event.details["removed"]) == (term.id, 8)


def test_a_year_typed_wrong_is_undone_by_correcting_it_and_the_next_term_gets_its_nights(db, world, clock):
    """Nights made before the length was checked: ten years of Fridays and Saturdays in one term."""
    autumn = _draft(db, world, clock, name="Høst 2027", first=date(2027, 8, 20), last=date(2027, 12, 18))
    autumn.ends_on = date(2037, 12, 18)
    _generate(db, world, autumn, clock)
    assert len(_nights(db, autumn)) > 2000

    removed = terms.update_term(
        db, autumn, _input("Høst 2027", date(2027, 8, 20), date(2027, 12, 18)), clock(), world.coordinator
    )

    assert max(_days(_nights(db, autumn))) == date(2027, 12, 18)
    assert removed > 2000
    spring = _draft(db, world, clock, name="Vår 2028", first=date(2028, 1, 7), last=date(2028, 1, 15))
    _, made = _generate(db, world, spring, clock)
    assert (len(made.made), made.already_there) == (4 * 2, 0)  # 7, 8, 14 and 15 January on two routes


def test_a_night_outside_the_new_dates_with_someone_on_it_stops_the_change_and_is_named(db, world, clock):
    kept = world.night_on("Kirkenær", date(2026, 12, 18))
    factories.signup(db, kept, world.other_parent, clock())
    before = len(_nights(db, world.term))

    with pytest.raises(terms.TermRefused) as refused:
        terms.update_term(
            db, world.term, _input("Høst 2026", date(2026, 11, 20), date(2026, 12, 12)), clock(), world.coordinator
        )

    assert "Kirkenær 18.12.2026" in str(refused.value)
    assert "Nothing is changed" in str(refused.value)
    db.rollback()
    assert db.get(Term, world.term.id).ends_on == date(2026, 12, 19)
    assert len(_nights(db, world.term)) == before


def test_a_walked_night_outside_the_new_dates_stops_the_change_though_nobody_is_signed_up(db, world, clock):
    walked = world.night_on("Flisa sentrum", date(2026, 11, 20))
    db.add(WalkIn(shift_id=walked.id, first_name="Ola", created_at=clock()))
    db.flush()

    with pytest.raises(terms.TermRefused) as refused:
        terms.update_term(
            db, world.term, _input("Høst 2026", date(2026, 11, 27), date(2026, 12, 19)), clock(), world.coordinator
        )

    assert "Flisa sentrum 20.11.2026" in str(refused.value)


def test_many_nights_with_people_outside_the_new_dates_are_named_ten_and_counted_after(db, world, clock):
    for night in world.nights:
        if local(night.starts_at).date() >= date(2026, 12, 4):
            factories.signup(db, night, world.parent, clock(), state=SignupState.WAITLISTED)

    with pytest.raises(terms.TermRefused) as refused:
        terms.update_term(
            db, world.term, _input("Høst 2026", date(2026, 11, 20), date(2026, 11, 28)), clock(), world.coordinator
        )

    assert refused.value.params["more"] == 6 * 4 - 10
    assert refused.value.params["nights"].count(",") == 9


def test_a_removed_night_takes_its_cancelled_sign_ups_and_leaves_what_was_sent_in_the_outbox(db, world, clock):
    night = world.night_on("Våler sentrum", date(2026, 12, 19))
    gone = factories.signup(db, night, world.parent, clock(), state=SignupState.CANCELLED)
    sent = _message(db, world.parent, night, Purpose.SIGNUP_CONFIRMATION, MessageState.SENT, clock(), signup=gone)
    asking = _message(db, world.other_parent, night, Purpose.CALL_FOR_WALKERS, MessageState.PENDING, clock())
    night_id, signup_id = night.id, gone.id

    terms.update_term(
        db, world.term, _input("Høst 2026", date(2026, 11, 20), date(2026, 12, 18)), clock(), world.coordinator
    )
    db.flush()

    assert db.get(Shift, night_id) is None
    assert db.get(Signup, signup_id) is None
    told, asked = db.get(SmsMessage, sent), db.get(SmsMessage, asking)
    assert (told.state, told.shift_id, told.signup_id) == (MessageState.SENT, None, None)
    assert (asked.state, asked.last_error) == (MessageState.CANCELLED, notes.NIGHT_REMOVED.text())


def _message(db, person, night, purpose, state, now, signup=None) -> int:
    message = SmsMessage(
        to=person.phone,
        body="Natteravn",
        purpose=purpose,
        person_id=person.id,
        shift_id=night.id,
        signup_id=signup.id if signup else None,
        region_id=night.term.region_id,
        due_at=now,
        created_at=now,
        state=state,
    )
    db.add(message)
    db.flush()
    return message.id


def test_narrowing_a_term_through_its_page_says_how_many_nights_went(db, world, login):
    client = login(world.coordinator)

    page = client.post(
        f"/coordinator/terms/{world.term.id}/edit",
        data=_term_form(world.term, ends_on="2026-12-12"),
        follow_redirects=True,
    )

    assert page.status_code == 200
    assert "8 nights outside the new dates, with nobody on them, are taken off the term." in page.text
    db.expire_all()
    assert len(_nights(db, world.term)) == len(world.nights) - 8


def test_narrowing_a_term_past_a_night_with_someone_on_it_is_refused_on_its_page(db, world, login, clock):
    factories.signup(db, world.night_on("Kjellmyra", date(2026, 12, 19)), world.parent, clock())
    db.commit()
    client = login(world.coordinator)

    page = client.post(f"/coordinator/terms/{world.term.id}/edit", data=_term_form(world.term, ends_on="2026-12-12"))

    assert page.status_code == 422
    assert "have people on them or have been walked: Kjellmyra 19.12.2026." in page.text
    db.expire_all()
    assert len(_nights(db, world.term)) == len(world.nights)


# --- A pattern deleted. ---


def test_a_deleted_pattern_takes_its_nights_nobody_is_on_and_leaves_the_rest(db, world, clock):
    term = _draft(db, world, clock)
    fridays, _ = _generate(db, world, term, clock, weekdays=[4])
    _generate(db, world, term, clock, weekdays=[5])
    taken = next(n for n in _nights(db, term) if n.pattern_id == fridays.id)
    factories.signup(db, taken, world.parent, clock())

    assert terms.pattern_deletion(db, fridays) == terms.PatternDeletion(removed=3 * 2 - 1, kept=1)
    gone = terms.delete_pattern(db, fridays, clock(), world.coordinator)

    assert (gone.removed, gone.kept) == (5, 1)
    left = _nights(db, term)
    assert [n.id for n in left if local(n.starts_at).weekday() == 4] == [taken.id]
    assert db.get(Shift, taken.id).pattern_id is None
    assert len([n for n in left if local(n.starts_at).weekday() == 5]) == 3 * 2  # the other pattern's
    assert db.scalar(select(func.count()).select_from(NightPattern)) == 1
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.pattern_deleted"))
    assert (event.details["removed"], event.details["kept"]) == (5, 1)


def test_a_coordinator_deletes_a_pattern_after_a_page_that_says_what_goes(db, world, login, clock):
    term = _draft(db, world, clock)
    pattern, _ = _generate(db, world, term, clock)
    factories.signup(db, _nights(db, term)[0], world.parent, clock())
    db.commit()
    client = login(world.coordinator)
    assert (
        f"/coordinator/terms/{term.id}/patterns/{pattern.id}/delete" in client.get(f"/coordinator/terms/{term.id}").text
    )

    page = client.get(f"/coordinator/terms/{term.id}/patterns/{pattern.id}/delete")
    assert "11 nights it made, with nobody on them, are deleted with it." in page.text
    assert "1 night it made has people on it and stays in the term." in page.text

    done = client.post(f"/coordinator/terms/{term.id}/patterns/{pattern.id}/delete", follow_redirects=True)
    assert "The pattern is deleted. The 11 nights it made that nobody was on are gone too." in done.text
    assert "1 night it made has people on it and stays in the term." in done.text
    assert client.get(f"/coordinator/terms/{term.id}/patterns/{pattern.id}/delete").status_code == 404


# --- A draft term deleted. ---


def test_a_draft_term_is_deleted_with_everything_made_for_it(db, world, clock, links):
    term = _draft(db, world, clock)
    _generate(db, world, term, clock)
    terms.give_weekend(db, term, world.school_class.id, date(2027, 1, 8), clock(), links, world.coordinator)
    factories.signup(db, _nights(db, term)[0], world.leader, clock())
    db.add(Availability(person=world.parent, term=term, weekdays=[4], updated_at=clock()))
    db.flush()

    assert terms.term_deletion(db, term) == terms.TermDeletion(
        nights=12, patterns=1, class_weekends=1, places=1, availabilities=1
    )
    term_id = term.id
    terms.delete_term(db, term, clock(), world.coordinator)

    assert db.get(Term, term_id) is None
    for model in (Shift, NightPattern, ClassWeekend, Availability):
        assert db.scalar(select(func.count()).select_from(model).where(model.term_id == term_id)) == 0
    assert len(_nights(db, world.term)) == len(world.nights)  # the published term is untouched
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.deleted"))
    assert (event.object_id, event.details["name"], event.details["nights"]) == (term_id, "Vår 2027", 12)


def test_a_published_term_cannot_be_deleted(db, world, clock):
    with pytest.raises(terms.TermRefused) as refused:
        terms.delete_term(db, world.term, clock(), world.coordinator)
    assert "A published term cannot be deleted" in str(refused.value)
    assert "Cancel the nights" in str(refused.value)


def test_a_coordinator_deletes_a_draft_term_after_a_page_that_says_what_goes(db, world, login, clock):
    term = _draft(db, world, clock)
    _generate(db, world, term, clock)
    db.commit()
    client = login(world.coordinator)
    assert f"/coordinator/terms/{term.id}/delete" in client.get(f"/coordinator/terms/{term.id}").text

    page = client.get(f"/coordinator/terms/{term.id}/delete")
    assert page.status_code == 200
    assert "12 nights" in page.text and "1 pattern of nights" in page.text
    assert "nobody has been told of them, so nobody is told now" in page.text

    done = client.post(f"/coordinator/terms/{term.id}/delete", follow_redirects=True)
    assert "Vår 2027 is deleted, with its 12 nights." in done.text
    assert client.get(f"/coordinator/terms/{term.id}").status_code == 404


def test_the_page_of_a_published_term_offers_no_deletion_and_its_address_says_why(db, world, login):
    client = login(world.coordinator)
    shown = client.get(f"/coordinator/terms/{world.term.id}").text
    assert "Delete this draft term" not in shown and f"/terms/{world.term.id}/delete" not in shown

    page = client.get(f"/coordinator/terms/{world.term.id}/delete", follow_redirects=True)
    assert "A published term cannot be deleted: parents have seen its nights" in page.text
    refused = client.post(f"/coordinator/terms/{world.term.id}/delete", follow_redirects=True)
    assert "A published term cannot be deleted" in refused.text
    db.expire_all()
    assert db.get(Term, world.term.id) is not None


def test_another_regions_coordinator_or_a_parent_cannot_delete_a_term_or_pattern(db, world, app, gateway, clock):
    term = _draft(db, world, clock)
    pattern, _ = _generate(db, world, term, clock)
    _, _, stranger, _ = factories.other_region(db, clock())
    db.commit()
    addresses = [f"/coordinator/terms/{term.id}/delete", f"/coordinator/terms/{term.id}/patterns/{pattern.id}/delete"]

    for someone, refused in ((stranger, 404), (world.parent, 403)):
        client = app.test_client()
        log_in(client, gateway, someone.phone)
        for method in ("get", "post"):
            assert [getattr(client, method)(address).status_code for address in addresses] == [refused, refused]
    db.expire_all()
    assert db.get(Term, term.id) is not None and db.get(NightPattern, pattern.id) is not None


# --- A form sent twice. ---


def test_a_second_term_of_the_same_name_in_a_region_is_refused_on_its_name(db, world, clock):
    _draft(db, world, clock)

    with pytest.raises(terms.TermRefused) as refused:
        _draft(db, world, clock, name=" vår  2027 ", first=date(2027, 2, 1), last=date(2027, 3, 1))

    assert (str(refused.value), refused.value.field) == ("The region already has a term called vår 2027.", "name")
    other_region, *_ = factories.other_region(db, clock())
    assert terms.create_term(
        db, other_region, _input("Vår 2027", date(2027, 1, 8), date(2027, 1, 23)), clock(), world.coordinator
    )


def test_a_term_cannot_be_renamed_to_another_terms_name_but_keeps_its_own(db, world, clock):
    spring = _draft(db, world, clock)
    with pytest.raises(terms.TermRefused):
        terms.update_term(db, spring, _input("Høst 2026", spring.starts_on, spring.ends_on), clock(), world.coordinator)
    terms.update_term(db, spring, _input("Vår 2027", spring.starts_on, spring.ends_on), clock(), world.coordinator)
    assert db.get(Term, spring.id).name == "Vår 2027"


def test_the_new_term_form_sent_twice_makes_one_term(db, world, login):
    client = login(world.coordinator)
    form = {
        **_term_form(world.term, name="Vår 2027", starts_on="2027-01-08", ends_on="2027-06-19"),
        "region_id": world.region.id,
    }

    assert client.post("/coordinator/terms/new", data=form).status_code == 302
    again = client.post("/coordinator/terms/new", data=form)

    assert again.status_code == 422
    assert 'id="name-error">The region already has a term called Vår 2027.' in again.text
    assert db.scalar(select(func.count()).select_from(Term).where(Term.name == "Vår 2027")) == 1


def test_a_school_break_added_twice_is_added_once(db, world, clock):
    winter = breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [world.grue.id])
    breaks.add_break(db, world.region.id, winter, clock(), world.coordinator)

    with pytest.raises(breaks.BreakRefused) as refused:
        breaks.add_break(db, world.region.id, winter, clock(), world.coordinator)
    assert str(refused.value) == "The break from 22.02.2027 to 28.02.2027 is already there for Grue."

    both = breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [world.grue.id, world.asnes.id])
    added = breaks.add_break(db, world.region.id, both, clock(), world.coordinator)
    assert [b.municipality_id for b in added] == [world.asnes.id]
    assert db.scalar(select(func.count()).select_from(SchoolBreak)) == 2


def test_the_holiday_form_sent_twice_adds_the_break_once(db, world, login):
    client = login(world.coordinator)
    form = {
        "break-name": "Juleferie",
        "break-first_day": "2026-12-21",
        "break-last_day": "2027-01-01",
        "break-municipality_ids": [str(world.grue.id), str(world.valer.id)],
    }

    assert client.post(f"/coordinator/terms/{world.term.id}/breaks", data=form).status_code == 302
    again = client.post(f"/coordinator/terms/{world.term.id}/breaks", data=form)

    assert again.status_code == 422
    assert "The break from 21.12.2026 to 01.01.2027 is already there for Grue, Våler." in again.text
    assert db.scalar(select(func.count()).select_from(SchoolBreak)) == 2


# --- Terms that overlap. ---


def test_terms_with_a_day_in_common_overlap(db, world, clock):
    winter = _draft(db, world, clock, name="Vinter", first=date(2026, 12, 19), last=date(2027, 1, 30))
    after = _draft(db, world, clock, name="Etter", first=date(2026, 12, 20), last=date(2027, 1, 30))

    assert terms.overlapping_terms(db, world.region.id, winter.starts_on, winter.ends_on, keep=winter) == [
        world.term,
        after,
    ]
    assert world.term not in terms.overlapping_terms(db, world.region.id, after.starts_on, after.ends_on, keep=after)


def test_nights_there_already_in_an_overlapping_term_are_named_by_that_term(db, world, clock):
    overlapping = _draft(db, world, clock, name="Desember", first=date(2026, 12, 1), last=date(2026, 12, 31))

    _, made = _generate(db, world, overlapping, clock)

    assert made.already_there == 6 * 2  # 4, 5, 11, 12, 18 and 19 December are Høst 2026's, on both routes
    assert made.in_other_terms == {"Høst 2026": 6 * 2}


def test_a_coordinator_is_warned_of_overlapping_dates_when_saving_on_the_page_and_when_making_nights(db, world, login):
    client = login(world.coordinator)
    form = {
        **_term_form(world.term, name="Desember", starts_on="2026-12-01", ends_on="2026-12-31"),
        "region_id": world.region.id,
    }

    created = client.post("/coordinator/terms/new", data=form, follow_redirects=True)

    assert "The dates overlap the term Høst 2026 (20 Nov 2026–19 Dec 2026)." in created.text
    assert "so days that already have a night in Høst 2026 get none in this term." in created.text
    term = db.scalar(select(Term).where(Term.name == "Desember"))
    pattern = {
        "new-weekdays": ["4", "5"],
        "new-starts_local": "22:00",
        "new-ends_local": "01:00",
        "new-route_ids": [str(world.routes["Kirkenær"].id)],
        "new-min_walkers": "3",
        "new-max_walkers": "6",
    }
    made = client.post(f"/coordinator/terms/{term.id}/patterns", data=pattern, follow_redirects=True)
    assert "6 of the nights there already belong to the term Høst 2026, not to this one." in made.text
