"""Changing a pattern after its nights are made: a time typed wrong is put right on every night
nobody is on yet, and the nights people are on keep theirs until changed one by one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from html import unescape

import pytest
from sqlalchemy import select

from natteravn.roster import terms
from natteravn.roster.forms import NotADate, parse_dates
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import Shift, Term
from tests import factories


def test_a_pattern_put_right_puts_right_the_nights_nobody_is_on(world, db, clock, login):
    client = login(world.coordinator)
    made = client.post(
        "/coordinator/terms/new",
        data={
            "name": "Vår 2027",
            "starts_on": "2027-01-08",
            "ends_on": "2027-01-23",
            "signup_opens_at": "2026-12-01T08:00",
            "region_id": world.region.id,
        },
    )
    assert made.status_code == 302
    term = db.scalar(select(Term).where(Term.name == "Vår 2027"))
    pattern = {
        "weekdays": ["4", "5"],
        "starts_local": "20:00",
        "ends_local": "08:00",  # meant 24:00
        "route_ids": [str(world.routes["Våler sentrum"].id)],
        "min_walkers": "3",
        "max_walkers": "6",
    }
    client.post(f"/coordinator/terms/{term.id}/patterns", data={f"new-{k}": v for k, v in pattern.items()})
    nights = list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at)))
    assert len(nights) == 6
    factories.signup(db, nights[0], world.parent, clock())
    db.commit()
    saved = db.scalar(select(NightPattern).where(NightPattern.term_id == term.id))

    fixed = {**pattern, "ends_local": "24:00", "max_walkers": "8"}
    page = unescape(
        client.post(
            f"/coordinator/terms/{term.id}/patterns/{saved.id}",
            data={f"p{saved.id}-{k}": v for k, v in fixed.items()},
            follow_redirects=True,
        ).text
    )
    assert "5 nights nobody is on have the pattern's new times and numbers." in page
    assert "1 night with people on it keeps its times" in page
    db.expire_all()
    nights = list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at)))
    assert (nights[0].ends_at, nights[0].max_walkers) == (datetime(2027, 1, 9, 7, 0, tzinfo=UTC), 6)  # Kari's
    for night in nights[1:]:
        assert night.ends_at - night.starts_at == datetime(2027, 1, 1, 4) - datetime(2027, 1, 1, 0)
        assert night.max_walkers == 8
    assert {night.starts_at.date() for night in nights} >= {date(2027, 1, 8), date(2027, 1, 22)}


def _spring_with_a_pattern(db, world, clock):
    term = terms.create_term(
        db,
        world.region,
        terms.TermInput("Vår 2027", date(2027, 3, 1), date(2027, 6, 18), datetime(2027, 2, 1, tzinfo=UTC)),
        clock(),
        world.coordinator,
    )
    pattern = terms.save_pattern(
        db,
        term,
        terms.PatternInput([4, 5], time(22, 0), time(1, 0), [world.routes["Våler sentrum"].id]),
        clock(),
        world.coordinator,
    )
    terms.generate_nights(db, term, pattern, clock(), world.coordinator)
    db.commit()
    return term, pattern


def _changed(pattern: NightPattern, skip_dates: str) -> dict:
    typed = {
        "weekdays": ["4", "5"],
        "starts_local": "21.30",
        "ends_local": "0030",
        "route_ids": [str(pattern.route_ids[0])],
        "min_walkers": "3",
        "max_walkers": "8",
        "needs_leader": "y",
        "skip_holidays": "y",
        "skip_breaks": "y",
        "skip_dates": skip_dates,
    }
    return {f"p{pattern.id}-{k}": v for k, v in typed.items()}


def test_a_pattern_refused_for_its_skip_dates_comes_back_open_with_the_error_and_what_was_typed(
    db, world, clock, login
):
    term, pattern = _spring_with_a_pattern(db, world, clock)
    client = login(world.coordinator)

    refused = client.post(f"/coordinator/terms/{term.id}/patterns/{pattern.id}", data=_changed(pattern, "32/5"))

    assert refused.status_code == 422
    page = unescape(refused.text)
    summary = page.index('class="error-summary"')
    assert summary < page.index("Nights from a pattern")  # at the top, before the patterns
    assert f'<a href="#p{pattern.id}-skip_dates">“32/5” is not a date. Write it like 01.03.2027.</a>' in page
    assert f'<p class="error" id="p{pattern.id}-skip_dates-error">“32/5” is not a date.' in page
    assert "<details open>" in page  # the pattern is not folded away as if saved
    assert 'value="21.30"' in page and 'value="8"' in page and "32/5</textarea>" in page
    db.expire_all()
    assert (db.get(NightPattern, pattern.id).starts_local, db.get(NightPattern, pattern.id).max_walkers) == (
        time(22, 0),
        6,
    )


def test_the_other_patterns_stay_folded_when_one_is_refused(db, world, clock, login):
    term, pattern = _spring_with_a_pattern(db, world, clock)
    terms.save_pattern(
        db,
        term,
        terms.PatternInput([3], time(19, 0), time(21, 0), [world.routes["Kirkenær"].id]),
        clock(),
        world.coordinator,
    )
    db.commit()
    page = login(world.coordinator).post(
        f"/coordinator/terms/{term.id}/patterns/{pattern.id}", data=_changed(pattern, "in May")
    )
    assert page.text.count("<details open>") == 1 and page.text.count("<details>") >= 1


def test_a_skip_date_without_its_year_is_the_terms_day(db, world, clock, login):
    term, pattern = _spring_with_a_pattern(db, world, clock)
    client = login(world.coordinator)

    saved = client.post(
        f"/coordinator/terms/{term.id}/patterns/{pattern.id}", data=_changed(pattern, "16/5\n14.5, 21.05.")
    )

    assert saved.status_code == 302
    db.expire_all()
    assert db.get(NightPattern, pattern.id).skip_dates == ["2027-05-14", "2027-05-16", "2027-05-21"]


def test_a_skip_date_without_its_year_outside_the_term_is_refused_with_the_terms_dates(db, world, clock, login):
    term, pattern = _spring_with_a_pattern(db, world, clock)
    refused = login(world.coordinator).post(
        f"/coordinator/terms/{term.id}/patterns/{pattern.id}", data=_changed(pattern, "16.8")
    )
    assert refused.status_code == 422
    assert "“16.8” is not a day of the term (1 Mar 2027–18 Jun 2027)." in unescape(refused.text)


def test_a_new_pattern_refused_has_its_errors_summed_up_at_the_top(db, world, clock, login):
    term, pattern = _spring_with_a_pattern(db, world, clock)
    typed = {k.replace(f"p{pattern.id}-", "new-"): v for k, v in _changed(pattern, "16/5/27").items()}
    refused = login(world.coordinator).post(f"/coordinator/terms/{term.id}/patterns", data=typed)
    page = unescape(refused.text)
    assert refused.status_code == 422
    assert '<a href="#new-skip_dates">“16/5/27” is not a date. Write it like 01.03.2027.</a>' in page


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("16.5", [date(2027, 5, 16)]),
        ("16/5", [date(2027, 5, 16)]),
        ("16.05", [date(2027, 5, 16)]),
        ("16.5.", [date(2027, 5, 16)]),
        ("16/5/2027", [date(2027, 5, 16)]),
        ("24.12.2026 2026-12-31", [date(2026, 12, 24), date(2026, 12, 31)]),
    ],
)
def test_dates_are_read_as_people_write_them(typed, days):
    assert parse_dates(typed, (date(2027, 3, 1), date(2027, 6, 18))) == days


def test_a_date_without_its_year_in_a_term_across_new_year_is_in_whichever_year_the_term_has_it():
    winter = (date(2026, 12, 11), date(2027, 3, 5))
    assert parse_dates("24.12, 5/1", winter) == [date(2026, 12, 24), date(2027, 1, 5)]
    with pytest.raises(NotADate) as outside:
        parse_dates("1.5", winter)
    assert (outside.value.word, outside.value.outside) == ("1.5", True)
    with pytest.raises(NotADate) as impossible:
        parse_dates("30.2", winter)
    assert impossible.value.outside is False
