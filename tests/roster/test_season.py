"""Planning a season: public holidays and school breaks left out or marked, copying last term into a
new one, names found whatever their case or Norwegian letters, a moved person told of both nights,
and outbox notes and labels in the coordinator's words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from html import unescape

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from natteravn.accounts.service import found_by
from natteravn.audit.models import AuditEvent
from natteravn.clock import OSLO, local
from natteravn.people import service as people
from natteravn.places import breaks
from natteravn.places.models import SchoolBreak
from natteravn.roster import grid, terms
from natteravn.roster import service as roster
from natteravn.shifts import service as shifts
from natteravn.shifts.models import ClassWeekend, Shift, SignupRole, Term
from natteravn.sms import notes
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests import factories

# --- Public holidays and school breaks. ---


def test_norways_public_holidays_come_named_in_the_readers_language():
    found = breaks.public_holidays(date(2027, 3, 20), date(2027, 5, 31), "nb")
    assert found[date(2027, 3, 26)] == "Langfredag"
    assert "Grunnlovsdag" in found[date(2027, 5, 17)]
    assert date(2027, 3, 28) in found  # Easter Sunday
    assert breaks.public_holidays(date(2026, 12, 24), date(2026, 12, 26), "en")[date(2026, 12, 25)] == "Christmas Day"
    nynorsk = breaks.public_holidays(date(2027, 5, 1), date(2027, 5, 31), "nn")
    assert nynorsk[date(2027, 5, 1)] == "Arbeidarane sin dag"
    assert nynorsk[date(2027, 5, 6)] == "Kristi himmelferdsdag"
    assert nynorsk[date(2027, 5, 17)] == "Andre pinsedag; Grunnlovsdag"


def _spring(db, world, clock) -> Term:
    term = terms.create_term(
        db,
        world.region,
        terms.TermInput("Vår 2027", date(2027, 2, 12), date(2027, 3, 27), datetime(2027, 1, 10, tzinfo=UTC)),
        clock(),
        world.coordinator,
    )
    db.flush()
    return term


def _pattern(world, **kwargs) -> terms.PatternInput:
    return terms.PatternInput(
        weekdays=[4, 5],
        starts_local=time(22, 0),
        ends_local=time(1, 0),
        route_ids=[world.routes["Kirkenær"].id, world.routes["Flisa sentrum"].id],
        **kwargs,
    )


def _days(db, term, route) -> set[date]:
    nights = db.scalars(select(Shift).where(Shift.term_id == term.id, Shift.route_id == route.id))
    return {local(n.starts_at).date() for n in nights}


def test_generating_leaves_out_public_holidays_and_each_municipalitys_own_school_break(db, world, clock):
    term = _spring(db, world, clock)
    winter_break = breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [world.grue.id])
    breaks.add_break(db, world.region.id, winter_break, clock(), world.coordinator)

    pattern = terms.save_pattern(db, term, _pattern(world), clock(), world.coordinator)
    made = terms.generate_nights(db, term, pattern, clock(), world.coordinator)

    grue, asnes = _days(db, term, world.routes["Kirkenær"]), _days(db, term, world.routes["Flisa sentrum"])
    assert date(2027, 3, 26) not in grue | asnes  # Good Friday, everywhere
    assert {date(2027, 2, 26), date(2027, 2, 27)}.isdisjoint(grue)  # Grue's winter break
    assert {date(2027, 2, 26), date(2027, 2, 27)} <= asnes  # Åsnes has no break that week
    assert made.skipped == 2 + 2  # Good Friday on both routes, and Grue's break weekend
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "term.nights_generated"))
    assert event.details["holidays"] == 4


def test_a_pattern_can_keep_the_holidays_and_breaks_and_the_grid_marks_them(db, world, clock):
    term = _spring(db, world, clock)
    breaks.add_break(
        db,
        world.region.id,
        breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [world.grue.id]),
        clock(),
        world.coordinator,
    )
    pattern = terms.save_pattern(
        db, term, _pattern(world, skip_holidays=False, skip_breaks=False), clock(), world.coordinator
    )
    made = terms.generate_nights(db, term, pattern, clock(), world.coordinator)
    assert made.skipped == 0
    assert date(2027, 3, 26) in _days(db, term, world.routes["Kirkenær"])

    off = terms.term_days_off(db, term, "nb")
    assert off.label(world.grue.id, date(2027, 2, 26)) == "Vinterferie"
    assert off.label(world.asnes.id, date(2027, 2, 26)) is None
    assert off.label(world.asnes.id, date(2027, 3, 26)) == "Langfredag"


def _night_on(db, term, route, day) -> Shift:
    return next(
        n
        for n in db.scalars(select(Shift).where(Shift.term_id == term.id))
        if n.route_id == route.id and local(n.starts_at).date() == day
    )


def test_a_break_added_after_the_nights_were_made_takes_out_the_empty_ones_in_it(db, world, clock):
    term = _spring(db, world, clock)
    pattern = terms.save_pattern(db, term, _pattern(world), clock(), world.coordinator)
    terms.generate_nights(db, term, pattern, clock(), world.coordinator)
    kirkenaer = world.routes["Kirkenær"]
    walked_friday = _night_on(db, term, kirkenaer, date(2027, 2, 26))
    factories.signup(db, walked_friday, world.parent, clock())

    winter_break = breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [world.grue.id])
    breaks.add_break(db, world.region.id, winter_break, clock(), world.coordinator)
    refitted = terms.refit_term(db, term, clock())

    assert (refitted.removed, refitted.left_out_kept) == (1, 1)
    assert date(2027, 2, 27) not in _days(db, term, kirkenaer)  # Grue's Saturday, nobody on it
    assert date(2027, 2, 26) in _days(db, term, kirkenaer)  # the parent's Friday stays
    assert {date(2027, 2, 26), date(2027, 2, 27)} <= _days(db, term, world.routes["Flisa sentrum"])  # no break


def test_a_pattern_put_right_takes_out_the_empty_nights_it_no_longer_makes(db, world, clock):
    term = _spring(db, world, clock)
    pattern = terms.save_pattern(db, term, _pattern(world), clock(), world.coordinator)
    terms.generate_nights(db, term, pattern, clock(), world.coordinator)
    flisa = world.routes["Flisa sentrum"]
    factories.signup(db, _night_on(db, term, flisa, date(2027, 2, 13)), world.parent, clock())

    fridays_only = _pattern(world, skip_dates=[date(2027, 3, 5)])
    fridays_only.weekdays = [4]
    pattern = terms.save_pattern(db, term, fridays_only, clock(), world.coordinator, pattern)
    refitted = terms.refit_nights(db, pattern, clock())
    made = terms.generate_nights(db, term, pattern, clock(), world.coordinator)

    saturdays = {day for day in _days(db, term, flisa) if day.weekday() == 5}
    assert saturdays == {date(2027, 2, 13)}  # the one with a parent on it stays
    assert date(2027, 3, 5) not in _days(db, term, flisa)
    assert refitted.removed == 2 * 7 - 1 + 2  # both routes' Saturdays but the parent's, and 5 March twice
    assert refitted.left_out_kept == 1
    assert made.made == []


def test_the_term_page_says_what_a_break_added_late_took_out(db, world, clock, login, client):
    term = _spring(db, world, clock)
    pattern = terms.save_pattern(db, term, _pattern(world), clock(), world.coordinator)
    terms.generate_nights(db, term, pattern, clock(), world.coordinator)
    factories.signup(db, _night_on(db, term, world.routes["Kirkenær"], date(2027, 2, 26)), world.parent, clock())
    db.commit()
    login(world.coordinator)
    added = client.post(
        f"/coordinator/terms/{term.id}/breaks",
        data={
            "break-name": "Vinterferie",
            "break-first_day": "2027-02-22",
            "break-last_day": "2027-02-28",
            "break-municipality_ids": [world.grue.id],
        },
        follow_redirects=True,
    )
    assert "The break is added." in added.text
    assert "1 night nobody was on is removed: its pattern now leaves it out." in added.text
    assert "1 night its pattern now leaves out has people on it and stays" in added.text

    fields = {
        "weekdays": ["4", "5"],
        "starts_local": "22:00",
        "ends_local": "01:00",
        "route_ids": [str(r) for r in pattern.route_ids],
        "min_walkers": "3",
        "max_walkers": "6",
        "needs_leader": "y",
        "skip_holidays": "y",
        "skip_breaks": "y",
    }
    saved_again = client.post(
        f"/coordinator/terms/{term.id}/patterns/{pattern.id}",
        data={f"p{pattern.id}-{name}": value for name, value in fields.items()},
        follow_redirects=True,
    )
    assert "0 nights made." in saved_again.text
    assert "removed" not in saved_again.text  # nothing more to take out


def test_the_summer_holiday_is_a_break(db, world, clock):
    summer = breaks.BreakInput("Sommerferie", date(2027, 6, 19), date(2027, 8, 15), [world.grue.id])
    added = breaks.add_break(db, world.region.id, summer, clock(), world.coordinator)
    assert [(b.first_day, b.last_day) for b in added] == [(date(2027, 6, 19), date(2027, 8, 15))]


@pytest.mark.parametrize(
    ("name", "first", "last", "message"),
    [
        ("", date(2027, 2, 22), date(2027, 2, 28), "Give the break a name, such as “Vinterferie”."),
        ("Vinterferie", date(2027, 2, 28), date(2027, 2, 22), "The break must end on or after the day it starts."),
        ("Vinterferie", date(2027, 1, 1), date(2027, 6, 1), "A break can be at most %(days)d days long."),
        ("Sommerferie", date(2027, 6, 1), date(2027, 8, 2), "A break can be at most %(days)d days long."),
    ],
)
def test_a_break_that_makes_no_sense_is_refused(db, world, clock, name, first, last, message):
    with pytest.raises(breaks.BreakRefused) as refused:
        breaks.add_break(
            db, world.region.id, breaks.BreakInput(name, first, last, [world.grue.id]), clock(), world.coordinator
        )
    assert refused.value.msgid == message


def test_a_break_cannot_be_put_in_another_regions_municipality(db, world, clock):
    _region, hamar, _coordinator, _leader = factories.other_region(db, clock())
    given = breaks.BreakInput("Vinterferie", date(2027, 2, 22), date(2027, 2, 28), [hamar.id])
    with pytest.raises(breaks.BreakRefused):
        breaks.add_break(db, world.region.id, given, clock(), world.coordinator)


def test_the_term_page_shows_holidays_and_adds_and_removes_a_break_for_several_municipalities(db, world, login, client):
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}")
    assert "Holidays and school breaks" in page.text
    assert "Leave out Norway's public holidays" in page.text
    assert "None yet." in page.text

    added = client.post(
        f"/coordinator/terms/{world.term.id}/breaks",
        data={
            "break-name": "Juleferie",
            "break-first_day": "2026-12-19",
            "break-last_day": "2027-01-03",
            "break-municipality_ids": [world.grue.id, world.valer.id],
        },
        follow_redirects=True,
    )
    assert "The break is added" in added.text
    assert "Juleferie, Grue: 19.12.2026–03.01.2027" in added.text
    assert "Juleferie, Våler" in added.text
    grue_break = db.scalar(select(SchoolBreak).where(SchoolBreak.municipality_id == world.grue.id))

    removed = client.post(f"/coordinator/terms/{world.term.id}/breaks/{grue_break.id}/delete", follow_redirects=True)
    assert "The break is removed" in removed.text
    assert db.scalar(select(func.count()).select_from(SchoolBreak)) == 1

    refused = client.post(
        f"/coordinator/terms/{world.term.id}/breaks",
        data={
            "break-name": "Feil",
            "break-first_day": "2027-01-03",
            "break-last_day": "2026-12-19",
            "break-municipality_ids": [world.grue.id],
        },
    )
    assert refused.status_code == 422
    assert "The break must end on or after the day it starts." in refused.text


def test_generating_from_the_term_page_says_how_many_nights_were_left_out(db, world, login, client):
    login(world.coordinator)
    term = _spring(db, world, lambda: world.term.signup_opens_at)
    db.commit()
    response = client.post(
        f"/coordinator/terms/{term.id}/patterns",
        data={
            "new-weekdays": ["4", "5"],
            "new-starts_local": "22:00",
            "new-ends_local": "01:00",
            "new-route_ids": [str(world.routes["Kirkenær"].id)],
            "new-min_walkers": "3",
            "new-max_walkers": "6",
            "new-needs_leader": "y",
            "new-skip_holidays": "y",
            "new-skip_breaks": "y",
            "new-skip_dates": "",
        },
        follow_redirects=True,
    )
    assert "13 nights made" in response.text  # 14 Fridays and Saturdays, less Good Friday
    assert "1 left out for holidays and school breaks" in response.text


# --- Copying last term. ---


def _autumn_with_patterns(db, world, clock):
    pattern = terms.save_pattern(
        db, world.term, _pattern(world, skip_dates=[date(2026, 12, 4)]), clock(), world.coordinator
    )
    db.add(
        ClassWeekend(
            term=world.term, school_class=world.school_class, weekend_on=date(2026, 11, 27), created_at=clock()
        )
    )
    db.add(
        ClassWeekend(
            term=world.term, school_class=world.school_class, weekend_on=date(2026, 12, 18), created_at=clock()
        )
    )
    world.term.nights_cap = 3
    db.flush()
    return pattern


def test_last_terms_plan_is_suggested_a_year_on_and_previewed_before_anything_is_made(db, world, clock):
    _autumn_with_patterns(db, world, clock)
    suggested = terms.suggested_copy(db, world.term)
    assert suggested.name == "Høst 2027"
    # 2026 has 53 ISO weeks: the same week a year on is 52 weeks and 7 days later.
    assert (suggested.starts_on, suggested.ends_on) == (date(2027, 11, 26), date(2027, 12, 25))
    assert suggested.starts_on.isocalendar()[1:] == world.term.starts_on.isocalendar()[1:]
    assert suggested.nights_cap == 3

    # A shorter new term: the December class weekend's week is not in it.
    data = terms.TermInput("Høst 2027", date(2027, 11, 19), date(2027, 12, 12), suggested.signup_opens_at, nights_cap=3)
    plan = terms.plan_copy(db, world.term, data, "nb")

    assert db.scalar(select(func.count()).select_from(Term)) == 1  # nothing stored
    assert plan.nights == 8 * 2  # four weekends on two routes
    [copied] = plan.patterns
    assert copied.dropped_dates == 1
    [moved] = plan.weekends_moved
    assert moved.weekend_on == date(2027, 12, 3)
    assert moved.weekend_on.isocalendar().week == date(2026, 11, 27).isocalendar().week
    [lost] = plan.weekends_lost
    assert lost.given.weekend_on == date(2026, 12, 18)


def oslo(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def test_the_copy_opens_sign_up_on_the_next_whole_hour_as_many_days_before_the_term(db, world):
    world.term.signup_opens_at = oslo(2026, 11, 6, 13, 47)  # the Friday two weeks before, when the term was made
    suggested = terms.suggested_copy(db, world.term)
    assert local(suggested.signup_opens_at) == oslo(2027, 11, 12, 14, 0)  # the Friday two weeks before the copy
    assert suggested.starts_on - local(suggested.signup_opens_at).date() == date(2026, 11, 20) - date(2026, 11, 6)


@pytest.mark.parametrize(
    ("opened", "opens"),
    [
        (oslo(2026, 3, 23, 10, 0), oslo(2027, 3, 29, 10, 0)),  # on the hour: kept, summer time a week earlier
        (oslo(2026, 3, 23, 9, 0, 30), oslo(2027, 3, 29, 10, 0)),  # half a minute past: the next hour
        (oslo(2026, 3, 23, 23, 47), oslo(2027, 3, 29, 23, 0)),  # kept to its day
    ],
)
def test_a_copied_spring_terms_sign_up_opens_at_a_round_local_hour(db, world, clock, opened, opens):
    spring = terms.TermInput("Vår 2026", date(2026, 4, 10), date(2026, 6, 13), opened)
    suggested = terms.suggested_copy(db, terms.create_term(db, world.region, spring, clock(), world.coordinator))
    assert (suggested.starts_on, local(suggested.signup_opens_at)) == (date(2027, 4, 16), opens)


def test_copying_makes_the_term_its_nights_and_class_weekends(db, world, clock, links):
    _autumn_with_patterns(db, world, clock)
    data = terms.suggested_copy(db, world.term)

    term = terms.copy_term(db, world.term, data, clock(), links, world.coordinator)

    assert (term.name, term.cap, term.published_at) == ("Høst 2027", 3, None)
    [pattern] = terms.patterns_of(db, term)
    assert (pattern.weekdays, pattern.skip_dates, pattern.skip_holidays) == ([4, 5], [], True)
    assert db.scalar(select(func.count()).where(Shift.term_id == term.id)) == (10 - 1) * 2  # less Christmas Day
    given = terms.class_weekends_of(db, term)
    assert [g.weekend_on for g in given] == [date(2027, 12, 3), date(2027, 12, 24)]
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "term.copied"))["source"] == "Høst 2026"


def test_a_class_weekend_that_would_land_in_its_schools_break_is_not_moved_and_the_copy_is_made(
    db, world, clock, links, login, client
):
    _autumn_with_patterns(db, world, clock)
    first_week = breaks.BreakInput("Høstferie", date(2027, 12, 1), date(2027, 12, 5), [world.asnes.id])
    breaks.add_break(db, world.region.id, first_week, clock(), world.coordinator)
    db.commit()
    data = terms.suggested_copy(db, world.term)

    plan = terms.plan_copy(db, world.term, data)
    assert [w.in_break.name for w in plan.weekends_lost if w.in_break] == ["Høstferie"]
    preview = login(world.coordinator).post(
        f"/coordinator/terms/{world.term.id}/copy",
        data={
            "name": data.name,
            "starts_on": data.starts_on.isoformat(),
            "ends_on": data.ends_on.isoformat(),
            "signup_opens_at": local(data.signup_opens_at).strftime("%Y-%m-%dT%H:%M"),
            "nights_cap": "3",
            "preview": "y",
        },
    )
    assert "not moved: the weekend of 03.12.2027 is in Høstferie in Åsnes" in preview.text

    term = terms.copy_term(db, world.term, data, clock(), links, world.coordinator)
    assert [g.weekend_on for g in terms.class_weekends_of(db, term)] == [date(2027, 12, 24)]


def test_the_copy_page_previews_then_makes_the_new_term(db, world, clock, login, client):
    _autumn_with_patterns(db, world, clock)
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/terms/{world.term.id}/copy")
    assert page.status_code == 200
    assert 'value="Høst 2027"' in page.text and 'value="2027-11-26"' in page.text
    opens = local(terms.suggested_copy(db, world.term).signup_opens_at)
    assert (opens.minute, f'value="{opens:%Y-%m-%dT%H}:00"' in page.text) == (0, True)

    form = {
        "name": "Høst 2027",
        "starts_on": "2027-11-19",
        "ends_on": "2027-12-18",
        "signup_opens_at": "2027-11-05T10:00",
        "nights_cap": "3",
    }
    preview = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**form, "preview": "y"})
    assert preview.status_code == 200
    assert "What the copy makes" in preview.text
    assert "20 nights" in preview.text
    assert "Flisa skole 9A: 27.11.2026 → 03.12.2027 (week 48)" in preview.text
    assert "not moved: the new term has no week 51" in preview.text
    assert "1 date typed for the old term is not copied. (4 Dec 2026)" in preview.text
    assert db.scalar(select(func.count()).select_from(Term)) == 1

    made = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**form, "submit": "y"}, follow_redirects=True)
    assert "The new term is made from Høst 2026" in made.text
    assert db.scalar(select(func.count()).select_from(Term)) == 2


def test_the_copy_preview_says_which_term_the_new_dates_overlap_and_the_nights_it_costs(
    db, world, clock, login, client
):
    _autumn_with_patterns(db, world, clock)
    db.commit()
    login(world.coordinator)
    form = {
        "name": "Vinter 2026/27",
        "starts_on": "2026-12-11",  # the last two weekends of Høst 2026, whose routes have their nights
        "ends_on": "2027-03-05",
        "signup_opens_at": "2026-12-01T10:00",
        "nights_cap": "3",
        "preview": "y",
    }

    preview = client.post(f"/coordinator/terms/{world.term.id}/copy", data=form)

    said = " ".join(unescape(preview.text).split())
    assert (
        "The dates overlap the term Høst 2026 (20 Nov 2026–19 Dec 2026). A route has one night a day, so days that "
        "already have a night in Høst 2026 get none in this term. 8 nights of the patterns are already there in "
        "Høst 2026 and are not made in this term."
    ) in said
    assert db.scalar(select(func.count()).select_from(Term)) == 1

    later = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**form, "starts_on": "2027-01-08"})
    assert "overlap" not in later.text


TYPED_COPY = {
    "name": "Høst 2027 kort",
    "starts_on": "2027-11-19",
    "ends_on": "2027-12-18",
    "signup_opens_at": "2027-11-05T10:00",
    "signup_closes_at": "2027-11-18T20:00",
    "nights_cap": "2",
}


def test_a_break_added_on_the_copy_page_keeps_what_was_typed_for_the_new_term(db, world, clock, login, client):
    _autumn_with_patterns(db, world, clock)
    db.commit()
    login(world.coordinator)
    autumn_break = {
        "break-name": "Høstferie",
        "break-first_day": "2027-11-26",
        "break-last_day": "2027-11-28",
        "break-municipality_ids": [world.asnes.id],
    }
    added = client.post(
        f"/coordinator/terms/{world.term.id}/copy", data={**TYPED_COPY, **autumn_break, "break-submit": "y"}
    )

    assert added.status_code == 200 and "The break is added." in added.text
    for typed in TYPED_COPY.values():
        assert f'value="{typed}"' in added.text
    assert "Høstferie, Åsnes: 26.11.2027–28.11.2027" in added.text
    said = " ".join(added.text.split())
    assert "18 nights · 2 nights left out for holidays and school breaks" in said  # Flisa that weekend
    assert 'value="Høstferie"' not in added.text  # the break's own fields are empty again, for the next one
    assert db.scalar(select(func.count()).select_from(SchoolBreak)) == 1
    assert db.scalar(select(func.count()).select_from(Term)) == 1  # the new term is not made yet


def test_a_break_refused_on_the_copy_page_says_why_and_keeps_both_forms(db, world, clock, login, client):
    login(world.coordinator)
    wrong_way_round = {
        "break-name": "Høstferie",
        "break-first_day": "2027-11-28",
        "break-last_day": "2027-11-26",
        "break-municipality_ids": [world.asnes.id],
        "break-submit": "y",
    }
    refused = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**TYPED_COPY, **wrong_way_round})

    assert refused.status_code == 422
    assert "<details open>" in refused.text and "The break must end on or after the day it starts." in refused.text
    assert 'value="Høst 2027 kort"' in refused.text and 'value="Høstferie"' in refused.text
    assert db.scalar(select(func.count()).select_from(SchoolBreak)) == 0


def test_a_break_added_on_the_term_page_goes_back_to_the_term_page_only(db, world, login, client):
    login(world.coordinator)
    added = client.post(
        f"/coordinator/terms/{world.term.id}/breaks?next=https://evil.example/",
        data={
            "break-name": "Juleferie",
            "break-first_day": "2026-12-19",
            "break-last_day": "2027-01-03",
            "break-municipality_ids": [world.grue.id],
        },
    )
    assert added.headers["Location"] == f"/coordinator/terms/{world.term.id}#days-off"


def _nights_beside_the_patterns(db, world, clock):
    """A peak night on a Sunday, a Thursday night whose date is a Friday next year, and a Tuesday
    night after the new term ends."""
    flisa = world.routes["Flisa sentrum"]

    def added(day, starts, ends, note=""):
        new = roster.NewNight(flisa.id, day, starts, ends, min_walkers=4, max_walkers=8, note=note)
        return roster.add_night(db, world.term, new, clock(), world.coordinator)

    return (
        added(date(2026, 11, 29), time(20, 0), time(2, 0), note="Russefeiring"),
        added(date(2026, 12, 10), time(20, 0), time(23, 0)),
        added(date(2026, 12, 15), time(20, 0), time(23, 0)),
    )


SHORTER = terms.TermInput(
    "Høst 2027", date(2027, 11, 19), date(2027, 12, 12), datetime(2027, 11, 1, 9, 0, tzinfo=UTC), nights_cap=3
)


def test_the_nights_beside_the_patterns_ticked_are_copied_to_their_dates(db, world, clock, links):
    _autumn_with_patterns(db, world, clock)
    peak, thursday, tuesday = _nights_beside_the_patterns(db, world, clock)

    plan = terms.plan_copy(db, world.term, SHORTER, "nb", {peak.id, thursday.id, tuesday.id})
    seen = {copied.night.id: copied for copied in plan.nights_beside}
    flisa = world.routes["Flisa sentrum"].id
    assert seen[peak.id].new == roster.NewNight(
        flisa, date(2027, 11, 29), time(20, 0), time(2, 0), 4, 8, True, "Russefeiring"
    )
    assert seen[thursday.id].not_copied == terms.NotCopied.NIGHT_THERE  # a Friday in 2027: the pattern's night
    assert seen[tuesday.id].not_copied == terms.NotCopied.NO_SUCH_DATE
    assert len(plan.nights_beside) == 3 + len(world.nights)  # made before patterns: copied only if ticked

    term = terms.copy_term(db, world.term, SHORTER, clock(), links, world.coordinator, {peak.id})
    [copied] = db.scalars(select(Shift).where(Shift.term_id == term.id, Shift.pattern_id.is_(None)))
    assert (local(copied.starts_at), copied.max_walkers, copied.note) == (
        datetime(2027, 11, 29, 20, 0, tzinfo=local(copied.starts_at).tzinfo),
        8,
        "Russefeiring",
    )


def test_the_copy_page_offers_the_nights_beside_the_patterns_to_tick(db, world, clock, login, client):
    _autumn_with_patterns(db, world, clock)
    peak, thursday, _tuesday = _nights_beside_the_patterns(db, world, clock)
    db.commit()
    login(world.coordinator)
    form = {
        "name": "Høst 2027",
        "starts_on": "2027-11-19",
        "ends_on": "2027-12-12",
        "signup_opens_at": "2027-11-01T10:00",
    }
    preview = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**form, "preview": "y"})
    assert "Nights beside the patterns" in preview.text
    assert f'name="nights_beside" id="night-{peak.id}" value="{peak.id}">' in preview.text  # not ticked for you
    # The date kept, its weekday not: said beside it.
    assert (
        "Flisa sentrum, Sun 29 Nov 2026 → Mon 29 Nov 2027 <strong>(another weekday)</strong>, 20:00–02:00, 4–8 walkers"
        in (preview.text)
    )
    assert "Flisa sentrum, Thu 10 Dec 2026: <strong>not copied: the route has a night that day already" in preview.text

    ticked = {**form, "nights_beside": str(peak.id)}
    again = client.post(f"/coordinator/terms/{world.term.id}/copy", data={**ticked, "preview": "y"})
    assert (
        f'value="{peak.id}" checked>' in again.text and "1 night beside the patterns copied to its date" in again.text
    )
    client.post(f"/coordinator/terms/{world.term.id}/copy", data={**ticked, "submit": "y"})
    new_term = db.scalar(select(Term).where(Term.name == "Høst 2027"))
    assert db.scalar(select(func.count()).where(Shift.term_id == new_term.id, Shift.pattern_id.is_(None))) == 1
    other = client.post(
        f"/coordinator/terms/{world.term.id}/copy", data={**form, "nights_beside": "999999", "preview": "y"}
    )
    assert other.status_code == 422  # a night not of this term: nothing to copy


# --- Finding people. ---


@pytest.mark.parametrize("typed", ["ødegård", "ØDEGÅRD", "Ødegård", "ødeg", "  åse  ødegård "])
def test_names_are_found_whatever_their_case_on_every_database(db, world, clock, typed):
    factories.person(db, world.asnes, "Åse Ødegård", clock())
    db.flush()
    found = people.list_people(db, world.coordinator.coordinator_scope, people.PeopleQuery(text=typed), clock())
    assert [row.person.name for row in found.items] == ["Åse Ødegård"]
    on_night = grid.search_people(db, world.region.id, world.coordinator.coordinator_scope, typed)
    assert [p.name for p in on_night] == ["Åse Ødegård"]


def _found(db, world, typed: str) -> list[str]:
    """Whom the night page's search finds, by name."""
    return sorted(p.name for p in grid.search_people(db, world.region.id, world.coordinator.coordinator_scope, typed))


def _found_by(db, typed: str) -> list[str]:
    """Whom the search condition itself finds, by name."""
    return sorted(db.scalars(select(Person.name).where(found_by(typed))))


def test_accents_are_folded(db, world, clock):
    factories.person(db, world.asnes, "André Ærø", clock())
    db.flush()

    assert _found(db, world, "andre") == ["André Ærø"]
    assert _found(db, world, "ANDRÉ ÆRØ") == ["André Ærø"]


NAMES_WITH_NORWEGIAN_LETTERS = ["Åse Ødegård", "Mona Løkken", "Kari Kjær", "Siri Sæther", "Nils Sæbø", "Mikael Moen"]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("odegard", "Åse Ødegård"),
        ("oedegaard", "Åse Ødegård"),
        ("odegaard", "Åse Ødegård"),
        ("oedegard", "Åse Ødegård"),
        ("ase odeg", "Åse Ødegård"),
        ("lokken", "Mona Løkken"),
        ("loekken", "Mona Løkken"),
        ("kjaer", "Kari Kjær"),
        ("saether", "Siri Sæther"),
        ("sether", "Siri Sæther"),
        ("sebo", "Nils Sæbø"),
        ("saeboe", "Nils Sæbø"),
        ("saebo", "Nils Sæbø"),
    ],
)
def test_a_name_is_found_as_a_keyboard_without_norwegian_letters_types_it(db, world, clock, typed, name):
    for someone in NAMES_WITH_NORWEGIAN_LETTERS:
        factories.person(db, world.asnes, someone, clock())
    db.flush()

    assert _found_by(db, typed) == [name]
    assert _found(db, world, typed) == [name]


def test_a_name_spelt_without_norwegian_letters_is_found_by_them(db, world, clock):
    factories.person(db, world.asnes, "Trond Oedegaard", clock())
    factories.person(db, world.asnes, "Lars Kjaer", clock())
    db.flush()

    assert _found_by(db, "ødegård") == ["Trond Oedegaard"]
    assert _found_by(db, "kjær") == ["Lars Kjaer"]


def test_a_norwegian_letter_typed_means_that_letter(db, world, clock):
    for someone in ("Åse Bø", "Trond Aasen", "Thomas Bodin", "Jonas Boe"):
        factories.person(db, world.asnes, someone, clock())
    db.flush()

    assert _found_by(db, "ås") == ["Trond Aasen", "Åse Bø"]
    assert _found_by(db, "as") == ["Jonas Boe", "Thomas Bodin", "Trond Aasen", "Åse Bø"]
    assert _found_by(db, "bø") == ["Jonas Boe", "Åse Bø"]  # Boe is how Bø is spelt without the letter
    assert _found_by(db, "bo") == ["Jonas Boe", "Thomas Bodin", "Åse Bø"]


def test_the_letters_spelt_out_find_no_more_than_they_mean(db, world, clock):
    for someone in ("Mikael Moen", "Mona Simonsen", "Kjersti Lie", "Kari Kjær"):
        factories.person(db, world.asnes, someone, clock())
    db.flush()

    assert _found_by(db, "moen") == ["Mikael Moen"]
    assert _found_by(db, "kjaer") == ["Kari Kjær"]
    assert _found_by(db, "mika") == ["Mikael Moen"]  # the start of a name with ae in it
    assert _found_by(db, "mikael") == ["Mikael Moen"]


def test_aa_finds_and_is_found_by_the_letter_aa_stands_for(db, world, clock):
    factories.person(db, world.asnes, "Trond Aasen", clock())
    factories.person(db, world.asnes, "Erling Håland", clock())
    db.flush()

    assert _found(db, world, "åsen") == ["Trond Aasen"]
    assert _found(db, world, "AAS") == ["Trond Aasen"]
    assert _found(db, world, "haaland") == ["Erling Håland"]


def test_a_renamed_person_is_found_by_the_new_name(db, world, clock):
    world.parent.name = "Kari Øvrebø"
    db.flush()
    assert [p.name for p in grid.search_people(db, world.region.id, world.coordinator.coordinator_scope, "øvrebø")] == [
        "Kari Øvrebø"
    ]


def test_the_night_page_finds_a_name_typed_in_lower_case(db, world, clock, login, client):
    factories.person(db, world.asnes, "Øyvind Ødegård", clock())
    db.commit()
    login(world.coordinator)
    page = client.get(f"/coordinator/nights/{world.nights[0].id}?q=ødeg")
    assert "Øyvind Ødegård" in page.text
    listed = client.get("/coordinator/people?q=%C3%B8deg")  # ødeg
    assert "Øyvind Ødegård" in listed.text


def test_the_night_page_and_the_people_list_find_a_name_typed_without_norwegian_letters(
    db, world, clock, login, client
):
    factories.person(db, world.asnes, "Øyvind Ødegård", clock())
    factories.person(db, world.asnes, "Siri Sæther", clock())
    db.commit()
    login(world.coordinator)
    night = client.get(f"/coordinator/nights/{world.nights[0].id}?q=odegard").text
    assert "Øyvind Ødegård" in night and "Siri Sæther" not in night
    listed = client.get("/coordinator/people?q=saether").text
    assert "Siri Sæther" in listed and "Øyvind Ødegård" not in listed
    listed = client.get("/coordinator/people?q=oyvind+oedegaard").text
    assert "Øyvind Ødegård" in listed


# --- A moved person. ---


def test_a_moved_person_gets_one_sms_naming_the_night_they_are_off_and_the_one_they_are_on(db, world, clock, links):
    source = world.night_on("Flisa sentrum", date(2026, 11, 20))
    target = world.night_on("Kjellmyra", date(2026, 11, 28))
    signup = roster.assign(db, source, world.parent, SignupRole.WALKER, clock(), links, world.coordinator)

    moved = roster.move_person(db, signup, target.id, clock(), links, world.coordinator)

    messages = db.scalars(select(SmsMessage).where(SmsMessage.signup_id == moved.id)).all()
    [told] = [m for m in messages if m.purpose == Purpose.SHIFT_CHANGED]
    assert "from Flisa sentrum on 20.11 to Kjellmyra on 28.11 at 22:00" in told.body
    assert "off the first night" in told.body
    assert {Purpose.REMINDER_BEFORE, Purpose.REMINDER_DAY} <= {m.purpose for m in messages}
    assert Purpose.SIGNUP_CONFIRMATION not in {m.purpose for m in messages}
    old = db.scalars(select(SmsMessage).where(SmsMessage.signup_id == signup.id)).all()
    assert all(m.state == MessageState.CANCELLED for m in old)
    assert {m.last_error for m in old} == {notes.PERSON_MOVED.text()}  # given way to the move


# --- The outbox in words. ---


def test_every_stored_note_is_read_back_in_the_readers_words():
    def say(msgid):
        return {"Gave up after %(attempts)s tries: %(error)s": "Ga opp etter %(attempts)s forsøk: %(error)s"}.get(
            msgid, msgid
        )

    assert notes.shown("sign-up cancelled", say) == "Not sent: the sign-up was cancelled."
    assert notes.shown(notes.GAVE_UP.text(attempts=5, error="HTTP 429"), say) == "Ga opp etter 5 forsøk: HTTP 429"
    assert notes.shown("Twilio said something new", say) == "Twilio said something new"


def test_the_outbox_labels_a_waitlist_answer_and_says_why_it_was_not_sent(db, world, clock, links, login, client):
    night = world.night_on("Flisa sentrum", date(2026, 11, 20))
    night.max_walkers = 1
    factories.signup(db, night, world.leader, clock())
    waiting = shifts.sign_up(db, world.parent, night.id, SignupRole.WALKER, clock(), links)
    shifts.withdraw(db, waiting, clock(), links)
    db.commit()
    login(world.coordinator)

    page = client.get("/coordinator/outbox?purpose=waitlisted")

    assert "Kari Nordmann · On the waitlist" in page.text
    assert "Sign-up confirmation" not in page.text.split("</form>")[-1]
    assert "Not sent: the sign-up was cancelled." in page.text
    assert "sign-up cancelled" not in page.text


# --- Auto-fill in words. ---


def test_the_draft_says_in_words_what_it_leaves_unmet(db, world, clock, login, client):
    from natteravn.roster.autofill import service as autofill
    from natteravn.roster.autofill.models import Availability

    for i in range(3):
        someone = factories.person(db, world.asnes, f"Frivillig {i}", clock())
        db.add(
            Availability(
                person=someone,
                term=world.term,
                weekdays=[4],
                dates=[],
                blocked_dates=[],
                max_nights=2,
                wants_to_lead=False,
                same_weekend_ok=False,
                municipality_ids=[],
                updated_at=clock(),
            )
        )
    db.flush()
    draft = autofill.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    nights = len(world.nights)
    assert draft.tally["missing_leader"] == nights  # nobody said they can lead
    assert draft.tally["short_walker"] > 0
    db.commit()
    login(world.coordinator)
    page = " ".join(client.get(f"/coordinator/terms/{world.term.id}/autofill").text.split())
    assert f"{nights} nights without a leader" in page
    assert (
        "places still needed to reach the nights' minimums" in page
        or "places still needed to reach the nights&#39; minimums" in page
    )
    assert 'class="wide"' in page
