"""The leader's logbook and report, through the service: who may open it and when, drafts,
submission and the correction window, versions, incidents, reminders and redaction."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from natteravn.audit.models import AuditEvent
from natteravn.db import make_engine, make_session_factory
from natteravn.i18n import Refusal
from natteravn.people import service as people
from natteravn.reports import access, logbook, redaction, reminders, stats, writing
from natteravn.reports.models import IncidentCategory, ReportState, ReportVersion, WalkIn
from natteravn.reports.writing import IncidentInput, ReportInput
from natteravn.scheduler import context_from, remind_missing_reports
from natteravn.shifts import messages
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState
from natteravn.sms.models import Purpose, SmsMessage
from tests import factories
from tests.databases import POSTGRES_URL

FRIDAY = date(2026, 11, 20)
# 22:00–01:00 in Oslo is 21:00–00:00 UTC in November.
STARTS = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
ENDS = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


@pytest.fixture
def night(world, db, clock):
    """Flisa sentrum on Friday: Lise leads, Kari and Ola walk."""
    shift = world.night_on("Flisa sentrum", FRIDAY)
    factories.signup(db, shift, world.leader, clock(), role=SignupRole.LEADER)
    factories.signup(db, shift, world.parent, clock())
    factories.signup(db, shift, world.other_parent, clock(), state=SignupState.CONFIRMED)
    db.commit()
    return shift


def walk(**changes) -> ReportInput:
    values = dict(
        started=time(22, 5),
        ended=time(1, 10),
        places_visited="Skysstasjonen, skolen, Coop",
        weather="Regn",
        atmosphere="Rolig kveld.",
        youths={"youths_under_13": 2, "youths_13_15": 10, "youths_16_17": 6, "youths_18_plus": 1},
    )
    values.update(changes)
    return ReportInput(**values)


def test_the_logbook_opens_half_an_hour_before_the_night_as_walkers_gather_not_sooner(db, world, night, clock):
    clock.set(STARTS - timedelta(minutes=31))
    with pytest.raises(Refusal, match="open half an hour before the night starts"):
        access.night_for(db, world.leader, night.id, clock())
    clock.set(STARTS - timedelta(minutes=30))
    assert access.night_for(db, world.leader, night.id, clock()) == night


def test_only_the_nights_leaders_and_the_regions_coordinators_may_open_it(db, world, night, clock):
    clock.set(STARTS + timedelta(hours=1))
    _region, _hamar, hamar_coordinator, hamar_leader = factories.other_region(db, clock())
    other_night = world.night_on("Kirkenær", FRIDAY)
    factories.signup(db, other_night, hamar_leader, clock(), role=SignupRole.LEADER)
    assert access.night_for(db, world.coordinator, night.id, clock()) == night
    assert access.night_for(db, world.parent, night.id, clock()) is None
    assert access.night_for(db, hamar_coordinator, night.id, clock()) is None
    assert access.night_for(db, hamar_leader, night.id, clock()) is None


def test_ticked_walkers_attended_and_the_rest_did_not_come(db, world, night, clock):
    clock.set(STARTS + timedelta(minutes=5))
    lines = {s.person_id: s for s in logbook.logbook(db, night)}
    logbook.record_attendance(db, world.leader, night, {lines[world.leader.id].id, lines[world.parent.id].id}, clock())
    db.commit()
    assert lines[world.leader.id].state == SignupState.ATTENDED
    assert lines[world.parent.id].state == SignupState.ATTENDED
    assert lines[world.other_parent.id].state == SignupState.NO_SHOW
    assert people.nights_of(db, world.other_parent, world.coordinator.coordinator_scope, clock()).no_shows == 1


def test_a_walk_in_of_the_region_is_found_by_number_and_anyone_else_kept_by_first_name(db, world, night, clock):
    clock.set(STARTS + timedelta(minutes=5))
    volunteer = factories.person(db, world.grue, "Per Gjest", clock())
    _hamar, hamar, _coordinator, elsewhere = factories.other_region(db, clock())
    logbook.add_walk_in(db, world.leader, night, volunteer.phone, "Pelle", True, clock())
    logbook.add_walk_in(db, world.leader, night, "922 33 444", "Nina Ny", True, clock())
    logbook.add_walk_in(db, world.leader, night, elsewhere.phone, "Hans", True, clock())
    db.commit()
    walked = db.scalar(select(Signup).where(Signup.shift_id == night.id, Signup.person_id == volunteer.id))
    assert walked.state == SignupState.ATTENDED and walked.walked_in_at is not None
    assert [w.first_name for w in logbook.walk_ins(db, night)] == ["Nina", "Hans"]
    assert db.scalar(select(Person).where(Person.phone == "+4792233444")) is None  # nobody is created
    assert db.scalar(select(Signup).where(Signup.person_id == elsewhere.id)) is None  # nor linked elsewhere
    assert logbook.walkers_on(db, night) == 3


def test_a_number_of_someone_on_another_night_at_that_time_is_kept_by_the_name_typed(db, world, night, clock):
    """A digit wrong at 23:30: the volunteer it belongs to walks elsewhere, and their record is left alone."""
    clock.set(STARTS + timedelta(minutes=5))
    volunteer = factories.person(db, world.grue, "Piotr Nowak", clock())
    elsewhere_tonight = next(n for n in world.nights if n.starts_at == night.starts_at and n.id != night.id)
    placed = factories.signup(db, elsewhere_tonight, volunteer, clock())
    logbook.add_walk_in(db, world.leader, night, volunteer.phone, "Ukjend", True, clock())
    db.commit()
    assert [w.first_name for w in logbook.walk_ins(db, night)] == ["Ukjend"]
    here = select(Signup).where(Signup.shift_id == night.id, Signup.person_id == volunteer.id)
    assert db.scalar(here) is None
    assert placed.state == SignupState.SIGNED_UP


def test_a_volunteer_entered_as_a_walk_in_and_unticked_is_taken_out_not_marked_as_not_come(db, world, night, clock):
    clock.set(STARTS + timedelta(minutes=5))
    volunteer = factories.person(db, world.grue, "Per Gjest", clock())
    walked = logbook.add_walk_in(db, world.leader, night, volunteer.phone, "Per", True, clock())
    on_the_list = {s.id for s in logbook.logbook(db, night)}
    logbook.record_attendance(db, world.leader, night, on_the_list - {walked}, clock())
    db.commit()
    gone = db.get(Signup, walked)
    assert gone.state == SignupState.CANCELLED
    assert people.nights_of(db, volunteer, world.coordinator.coordinator_scope, clock()).no_shows == 0


def test_a_walk_in_sent_twice_is_kept_once_and_a_namesake_is_told_apart_by_an_initial(db, world, night, clock):
    clock.set(STARTS + timedelta(minutes=5))
    logbook.add_walk_in(db, world.leader, night, "0047 412 34 569", "Bjørn", True, clock())
    with pytest.raises(Refusal, match="Bjørn was added a moment ago"):
        logbook.add_walk_in(db, world.leader, night, "0047 412 34 569", "Bjørn", True, clock())
    logbook.add_walk_in(db, world.leader, night, "412 34 570", "Bjørn H. Hansen", True, clock())
    assert [w.first_name for w in logbook.walk_ins(db, night)] == ["Bjørn", "Bjørn H."]
    clock.advance(minutes=10)  # later in the night: another Bjørn turns up
    logbook.add_walk_in(db, world.leader, night, "412 34 571", "Bjørn", True, clock())
    assert logbook.walkers_on(db, night) == 3


def test_a_walk_in_must_be_an_adult_and_needs_a_first_name(db, world, night, clock):
    clock.set(STARTS + timedelta(minutes=5))
    with pytest.raises(Refusal, match="Only adults"):
        logbook.add_walk_in(db, world.leader, night, "922 33 444", "Nina Ny", False, clock())
    with pytest.raises(Refusal, match="first name"):
        logbook.add_walk_in(db, world.leader, night, world.parent.phone, "", True, clock())
    with pytest.raises(Refusal, match="phone number"):
        logbook.add_walk_in(db, world.leader, night, "12", "Nina", True, clock())


def test_every_save_is_a_version_and_a_draft_keeps_what_was_typed(db, world, night, clock):
    clock.set(ENDS)
    saved = writing.save_report(db, world.leader, night, walk(atmosphere="Halvveis skrevet"), clock())
    db.commit()
    assert saved.report.state == ReportState.DRAFT
    clock.advance(minutes=10)
    saved = writing.save_report(db, world.leader, night, walk(), clock())
    db.commit()
    versions = saved.report.versions
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["atmosphere"] == "Halvveis skrevet"
    assert versions[1].snapshot["atmosphere"] == "Rolig kveld."
    assert saved.report.leader_id == world.leader.id


def test_times_after_midnight_belong_to_the_same_night(db, world, night, clock):
    clock.set(ENDS)
    report = writing.save_report(db, world.leader, night, walk(), clock()).report
    assert report.started_at == datetime(2026, 11, 20, 21, 5, tzinfo=UTC)
    assert report.ended_at == datetime(2026, 11, 21, 0, 10, tzinfo=UTC)
    assert report.duration_minutes == 185


def test_submitting_needs_the_actual_times_and_saves_a_draft_meanwhile(db, world, walked, night, clock):
    clock.set(ENDS)
    saved = writing.save_report(db, world.leader, night, walk(started=None, ended=None), clock(), submit=True)
    assert saved.not_submitted is not None
    assert saved.report.state == ReportState.DRAFT
    assert saved.report.weather == "Regn"
    saved = writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    assert saved.not_submitted is None
    assert saved.report.state == ReportState.SUBMITTED
    assert saved.report.submitted_at == clock()
    assert [v.reason for v in saved.report.versions] == ["draft", "submit"]


def test_a_report_is_not_submitted_before_the_logbook_is_kept(db, world, night, clock):
    clock.set(ENDS + timedelta(days=2))  # the SMS link, days later: every sign-up still "signed up"
    saved = writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    assert saved.report.state == ReportState.DRAFT
    assert saved.not_submitted.msgid == "Keep the logbook first: tick who walked the night."
    assert saved.not_submitted.field == "logbook"
    lines = {s.person_id: s.id for s in logbook.logbook(db, night)}
    logbook.record_attendance(db, world.leader, night, {lines[world.leader.id]}, clock())
    saved = writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    assert (saved.not_submitted, saved.report.state, saved.report.walkers) == (None, ReportState.SUBMITTED, 1)


def test_a_walk_in_alone_keeps_the_logbook(db, world, night, clock):
    clock.set(ENDS)
    assert not logbook.logbook_kept(db, night)
    logbook.add_walk_in(db, world.leader, night, "+4790000999", "Per", True, clock())
    assert logbook.logbook_kept(db, night)
    assert writing.save_report(db, world.leader, night, walk(), clock(), submit=True).not_submitted is None


def test_a_refusal_names_the_first_thing_to_fill_in(db, world, walked, clock):
    clock.set(ENDS)
    counts = {"youths_under_13": 1, "youths_13_15": None, "youths_16_17": None, "youths_18_plus": 0}
    no_end = writing.save_report(db, world.leader, walked, walk(ended=None, youths=counts), clock(), submit=True)
    assert no_end.not_submitted.field == "ended"
    uncounted = writing.save_report(db, world.leader, walked, walk(youths=counts), clock(), submit=True)
    assert uncounted.not_submitted.field == "youths_13_15"


def test_a_save_tells_what_it_changed(db, world, walked, clock):
    clock.set(ENDS)
    first = writing.save_report(db, world.leader, walked, walk(), clock())
    assert {"started_at", "weather", "youths_13_15"} <= first.changed
    again = writing.save_report(
        db, world.leader, walked, walk(), clock(), incident=IncidentInput(IncidentCategory.DRUGS)
    )
    assert again.changed == {"incidents"}


def test_the_leader_may_correct_for_48_hours_then_only_the_coordinator(db, world, walked, night, clock):
    clock.set(ENDS)
    writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    db.commit()
    clock.advance(hours=47, minutes=59)
    writing.save_report(db, world.leader, night, walk(weather="Sludd"), clock())
    clock.advance(minutes=2)
    late = writing.save_report(db, world.leader, night, walk(weather="Snø"), clock())
    assert late.requested and late.report.weather == "Sludd"  # kept as a request, not taken in
    report = writing.save_report(db, world.coordinator, night, walk(weather="Snø"), clock()).report
    assert report.weather == "Snø"
    assert [v.reason for v in report.versions] == ["submit", "correction", "request", "correction"]
    assert report.submitted_at == ENDS  # the window counts from the first submission


def test_incidents_are_added_one_at_a_time_and_can_be_removed(db, world, night, clock):
    clock.set(ENDS)
    fight = IncidentInput(IncidentCategory.VIOLENCE, time(23, 30), "Skysstasjonen", police_contacted=True)
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=fight).report
    helped = IncidentInput(IncidentCategory.HELPED, None, "", description="Fulgte en til bussen.")
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=helped).report
    db.commit()
    assert [i.category for i in report.incidents] == [IncidentCategory.VIOLENCE, IncidentCategory.HELPED]
    first = report.incidents[0]
    report = writing.remove_incident(db, world.leader, night, first.id, clock())
    assert [i.category for i in report.incidents] == [IncidentCategory.HELPED]
    assert len(report.versions[1].snapshot["incidents"]) == 2  # the history keeps what was removed
    assert report.versions[-1].snapshot["incidents"][0]["category"] == "helped"
    drugs = IncidentInput(IncidentCategory.DRUGS)
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=drugs).report
    db.commit()
    db.expire_all()  # read back in the order kept: the one added after a removal comes last
    assert [(i.position, i.category) for i in report.incidents] == [
        (1, IncidentCategory.HELPED),
        (2, IncidentCategory.DRUGS),
    ]


def test_an_incident_removed_already_is_not_removed_again(db, world, night, clock):
    clock.set(ENDS)
    fight = IncidentInput(IncidentCategory.VIOLENCE)
    incident = writing.save_report(db, world.leader, night, walk(), clock(), incident=fight).report.incidents[0]
    incident_id = incident.id
    writing.remove_incident(db, world.leader, night, incident_id, clock())
    db.commit()
    with pytest.raises(Refusal, match="That incident does not exist"):  # a second tap
        writing.remove_incident(db, world.leader, night, incident_id, clock())


def test_after_48_hours_only_the_coordinator_removes_an_incident(db, world, walked, night, clock):
    clock.set(ENDS)
    fight = IncidentInput(IncidentCategory.VIOLENCE)
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=fight, submit=True).report
    incident_id = report.incidents[0].id
    db.commit()
    clock.advance(hours=49)
    with pytest.raises(Refusal, match="48 hours for corrections have passed"):
        writing.remove_incident(db, world.leader, night, incident_id, clock())
    db.rollback()
    report = writing.remove_incident(db, world.coordinator, night, incident_id, clock())
    assert report.incidents == [] and report.versions[-1].reason == "correction"


def test_an_incident_can_be_changed(db, world, night, clock):
    clock.set(ENDS)
    report = writing.save_report(
        db, world.leader, night, walk(), clock(), incident=IncidentInput(IncidentCategory.OTHER)
    ).report
    incident = report.incidents[0]
    changed = IncidentInput(IncidentCategory.DRUGS, time(0, 15), "Parken", health_contacted=True)
    writing.save_incident(db, world.leader, night, incident.id, changed, clock())
    assert (incident.category, incident.around, incident.health_contacted) == (
        IncidentCategory.DRUGS,
        time(0, 15),
        True,
    )


def test_the_logbook_count_goes_into_the_report(db, world, night, clock):
    clock.set(ENDS)
    report = writing.save_report(db, world.leader, night, walk(), clock()).report
    assert report.walkers == 0
    lines = logbook.logbook(db, night)
    logbook.record_attendance(db, world.leader, night, {s.id for s in lines}, clock())
    assert report.walkers == 3


def test_text_that_may_identify_someone_is_flagged_and_can_be_redacted_everywhere(db, world, night, clock):
    clock.set(ENDS)
    worry = IncidentInput(IncidentCategory.WORRY_NEGLECT, description="Snakket med Mona, jente på 14 med rød jakke.")
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=worry).report
    db.commit()
    assert report.flagged
    flagged = redaction.flags_in(db, report)
    assert [f.text for item in flagged for f in item.flags] == ["Mona", "jente på 14", "jakke"]
    with pytest.raises(Refusal):
        writing.redact_flagged(db, world.leader, report, clock())
    removed = writing.redact_flagged(db, world.coordinator, report, clock())
    db.commit()
    assert removed == 3
    assert report.incidents[0].description == "Snakket med […], […] med rød […]."
    assert not report.flagged
    assert all("Mona" not in str(v.snapshot) for v in report.versions)
    assert report.versions[-1].reason == "redaction"


def test_a_name_the_leader_rewrites_stays_in_no_earlier_version(db, world, night, clock):
    clock.set(ENDS)
    worry = IncidentInput(IncidentCategory.WORRY_NEGLECT, description="Ola Hansen (15) virket redd. Mora: 412 34 567")
    report = writing.save_report(db, world.leader, night, walk(), clock(), incident=worry).report
    named = report.incidents[0]
    rewritten = IncidentInput(IncidentCategory.WORRY_NEGLECT, description="En gutt virket redd.")
    writing.save_report(db, world.leader, night, walk(), clock(), incident=rewritten)
    writing.remove_incident(db, world.leader, night, named.id, clock())
    db.commit()
    assert not report.flagged
    history = " ".join(str(version.snapshot) for version in report.versions)
    assert "Ola Hansen" not in history and "412 34 567" not in history
    assert "En gutt virket redd." in history  # the rest of what was said is kept


def test_the_regions_own_place_names_are_not_flagged(db, world, night, clock):
    clock.set(ENDS)
    report = writing.save_report(
        db, world.leader, night, walk(places_visited="Fra Flisa skysstasjon til Kjellmyra"), clock()
    )
    assert not report.report.flagged


def test_follow_up_is_for_coordinators(db, world, night, clock):
    clock.set(ENDS)
    report = writing.save_report(db, world.leader, night, walk(), clock(), submit=True).report
    with pytest.raises(Refusal):
        writing.follow_up(db, world.leader, report, "Tatt opp", clock())
    writing.follow_up(db, world.coordinator, report, "Tatt opp med SLT", clock())
    assert (report.followed_up_at, report.follow_up_note) == (clock(), "Tatt opp med SLT")


def test_every_change_and_read_is_audited(db, world, walked, night, clock):
    clock.set(ENDS)
    writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    access.read_report(db, world.coordinator, night, clock())
    db.commit()
    actions = db.execute(select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id)).all()
    assert actions == [("report.submit", world.leader.id), ("report.read", world.coordinator.id)]


def test_a_night_without_a_report_a_day_later_gets_one_reminder_and_shows_as_missing(db, world, night, clock, links):
    clock.set(ENDS + timedelta(hours=23))
    assert reminders.remind_missing_reports(db, clock(), links) == 0
    clock.set(ENDS + timedelta(hours=24))
    assert reminders.remind_missing_reports(db, clock(), links) == 1
    db.commit()
    clock.advance(hours=1)
    assert reminders.remind_missing_reports(db, clock(), links) == 0
    message = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.REPORT_REQUEST))
    assert message.to == world.leader.phone
    assert links.report(night.id, world.leader.id).split("/r/")[0] in message.body
    [missing] = reminders.missing_reports(db, world.coordinator.coordinator_scope, clock())
    assert (missing.night, missing.leaders) == (night, [world.leader])


def test_a_night_shows_as_missing_from_when_its_leader_is_asked_for_the_report_the_morning_after(
    db, world, night, clock
):
    """Friday's night: the leader is asked on Saturday at the region's hour, and from then the coordinator sees it."""
    world.region.report_request_at = time(9, 30)
    db.commit()
    asked = messages.reminder_times(night)[Purpose.REPORT_REQUEST]
    assert asked == datetime(2026, 11, 21, 8, 30, tzinfo=UTC)  # 09:30 on Saturday in Oslo
    scope = world.coordinator.coordinator_scope
    assert reminders.missing_reports(db, scope, asked - timedelta(minutes=1)) == []
    assert [m.night for m in reminders.missing_reports(db, scope, asked)] == [night]


def test_a_night_nobody_walked_is_neither_chased_nor_missing_as_the_statistics_do_not_count_it(
    db, world, night, clock, links
):
    """Its only sign-ups were marked as not come: the statistics count no night walked, and nobody is asked."""
    for signup in night.signups:
        signup.state = SignupState.NO_SHOW
    db.commit()
    clock.set(ENDS + timedelta(days=1))
    assert reminders.remind_missing_reports(db, clock(), links) == 0
    assert reminders.missing_reports(db, world.coordinator.coordinator_scope, clock()) == []
    figures = stats.statistics(db, world.region.id, FRIDAY, FRIDAY, clock()).total
    assert (figures.nights, figures.unreported) == (0, 0)


def test_a_night_walked_by_a_walk_in_alone_is_missing_as_the_statistics_count_it(db, world, night, clock):
    """No leader came, but someone walked it: only a coordinator can file the report, and the list says so."""
    for signup in night.signups:
        signup.state = SignupState.NO_SHOW
    db.add(WalkIn(shift_id=night.id, first_name="Nina", created_at=clock()))
    db.commit()
    clock.set(ENDS + timedelta(days=1))
    [missing] = reminders.missing_reports(db, world.coordinator.coordinator_scope, clock())
    assert (missing.night, missing.leaders) == (night, [])
    assert stats.statistics(db, world.region.id, FRIDAY, FRIDAY, clock()).total.unreported == 1


def test_a_reminder_about_a_night_two_weeks_ago_carries_a_link_that_opens_its_report(db, world, night, clock, links):
    clock.set(ENDS + reminders.MISSING_AFTER + reminders.REMIND_WITHIN - timedelta(minutes=1))
    assert reminders.remind_missing_reports(db, clock(), links) == 1
    db.commit()
    message = db.scalar(select(SmsMessage).where(SmsMessage.purpose == Purpose.REPORT_REQUEST))
    token = message.body.rsplit("/r/", 1)[1].split()[0]
    link = links.unsign("report", token)
    # Sent now, or as late as it may still go out, the leader has a week to open it.
    for opened in (clock(), message.expires_at, message.expires_at + access.TIME_TO_OPEN):
        assert access.person_for_link(db, link, opened) == (world.leader, night)
    assert access.person_for_link(db, link, ENDS + access.REPORT_LINK_VALID_AFTER + timedelta(minutes=1)) is None


def test_nights_older_than_two_weeks_are_not_chased_by_sms(db, world, night, clock, links):
    clock.set(ENDS + reminders.MISSING_AFTER + reminders.REMIND_WITHIN)
    assert reminders.remind_missing_reports(db, clock(), links) == 0
    assert [m.night for m in reminders.missing_reports(db, world.coordinator.coordinator_scope, clock())] == [night]


def test_a_submitted_report_is_neither_reminded_nor_missing(db, world, walked, night, clock, links):
    clock.set(ENDS)
    writing.save_report(db, world.leader, night, walk(), clock(), submit=True)
    clock.set(ENDS + timedelta(days=2))
    assert reminders.remind_missing_reports(db, clock(), links) == 0
    assert reminders.missing_reports(db, world.coordinator.coordinator_scope, clock()) == []
    assert db.scalar(select(func.count()).select_from(ReportVersion)) == 1


def test_the_report_link_is_for_the_nights_leader_only(db, world, night, clock):
    clock.set(STARTS)
    assert access.person_for_link(db, [night.id, world.leader.id], clock()) == (world.leader, night)
    assert access.person_for_link(db, [night.id, world.parent.id], clock()) is None
    assert access.person_for_link(db, "nonsense", clock()) is None
    clock.set(STARTS - timedelta(days=1))  # let in: the pages say when they open
    assert access.person_for_link(db, [night.id, world.leader.id], clock()) == (world.leader, night)


def test_the_scheduler_job_plans_the_reminder_once(app, db, world, night, clock):
    clock.set(ENDS + timedelta(hours=30))
    db.commit()
    remind_missing_reports(context_from(app))
    remind_missing_reports(context_from(app))
    assert db.scalar(select(func.count()).where(SmsMessage.purpose == Purpose.REPORT_REQUEST)) == 1


def test_walked_time_counts_the_extra_hour_when_the_clocks_go_back(db, world, clock):
    # Summer time ends at 03:00 on Sunday 25 October 2026: a walk from 22:00 to 04:00 lasts seven hours.
    shift = factories.night(db, world.term, world.routes["Kirkenær"], date(2026, 10, 24), end=time(4, 0))
    factories.signup(db, shift, world.leader, clock(), role=SignupRole.LEADER)
    clock.set(datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    report = writing.save_report(db, world.leader, shift, walk(started=time(22, 0), ended=time(4, 0)), clock()).report
    assert report.duration_minutes == 7 * 60
    assert report.night_on == date(2026, 10, 24)


@pytest.mark.skipif(not POSTGRES_URL, reason="real row locks need PostgreSQL")
def test_two_taps_at_once_on_add_incident_leave_one_incident_and_one_version_each(
    db, world, night, clock, database_url
):
    clock.set(ENDS)
    fight = IncidentInput(
        IncidentCategory.VIOLENCE, time(23, 30), "Skysstasjonen", police_contacted=True, entry="form-1"
    )
    engine = make_engine(database_url, pool_size=4, max_overflow=0)
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def tap() -> None:
        with sessions() as session:
            leader, shift = session.get(Person, world.leader.id), session.get(Shift, night.id)
            barrier.wait()
            try:
                writing.save_report(session, leader, shift, walk(), clock(), incident=fight)
                session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join(timeout=60)
    engine.dispose()
    assert failures == []
    db.expire_all()
    report = access.report_of(db, night)
    assert [i.category for i in report.incidents] == [IncidentCategory.VIOLENCE]
    assert [v.number for v in report.versions] == [1, 2]


def test_an_incident_that_reads_as_one_in_the_report_is_added_only_when_said_to_be_another(db, world, night, clock):
    first = writing.IncidentInput(IncidentCategory.DRUGS, time(23, 30), "Parken", entry="form-1")
    writing.save_report(db, world.leader, night, walk(), clock(), incident=first)
    restored = writing.IncidentInput(IncidentCategory.DRUGS, time(23, 30), " Parken ", entry="form-2")  # on Back
    saved = writing.save_report(db, world.leader, night, walk(), clock(), incident=restored)
    assert (saved.same_as, len(saved.report.incidents)) == (1, 1)
    saved = writing.save_report(db, world.leader, night, walk(), clock(), incident=restored, another=True)
    assert (saved.same_as, len(saved.report.incidents)) == (None, 2)
