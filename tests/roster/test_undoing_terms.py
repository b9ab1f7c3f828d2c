"""A term's mistakes, caught: a year typed wrong, a form sent twice, dates that overlap another term."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from natteravn.clock import local
from natteravn.places import breaks
from natteravn.places.models import SchoolBreak
from natteravn.roster import terms
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import Shift, Term
from tests import factories

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
