"""A person's own data: the download, and deletion that leaves the anonymous counts intact."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from natteravn.accounts.models import LoginCode, Person
from natteravn.privacy import service as privacy
from natteravn.reports import writing
from natteravn.reports.stats import statistics
from natteravn.reports.writing import ReportInput
from natteravn.roster.autofill.models import Availability
from natteravn.roster.autofill.service import AvailabilityInput, save_availability
from natteravn.shifts.models import Signup, SignupRole, SignupState
from natteravn.sms.models import SmsMessage
from tests import factories

PAST_FRIDAY = date(2026, 11, 20)
COMING_FRIDAY = date(2026, 12, 4)


def _history(db, world, clock):
    """Lise led a night that was reported, and is signed up for one to come."""
    walked = world.night_on("Flisa sentrum", PAST_FRIDAY)
    factories.signup(db, walked, world.leader, clock(), role=SignupRole.LEADER, state=SignupState.ATTENDED)
    coming = world.night_on("Flisa sentrum", COMING_FRIDAY)
    factories.signup(db, coming, world.leader, clock(), role=SignupRole.LEADER)
    clock.set(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    writing.save_report(db, world.leader, walked, ReportInput(time(22, 0), time(1, 0)), clock(), submit=True)
    db.commit()
    return walked, coming


def test_the_download_holds_the_profile_nights_and_reports_written(db, world, clock):
    _history(db, world, clock)
    data = privacy.export(db, world.leader, clock())
    assert data["profile"]["phone"] == world.leader.phone
    assert data["profile"]["roles"] == [{"role": "leader", "region": "Solør"}]
    assert data["profile"]["approved_at"] == data["profile"]["created_at"]
    assert [n["state"] for n in data["nights"]] == ["attended", "signed_up"]
    assert data["reports_written"][0]["night"] == "2026-11-20"
    json.dumps(data)  # it is plain JSON


def test_deleting_scrubs_the_person_and_keeps_the_counts(db, world, clock, links):
    walked, coming = _history(db, world, clock)
    before = statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock()).total
    person_id, phone = world.leader.id, world.leader.phone
    privacy.delete_person(db, world.leader, clock(), links)
    db.commit()
    person = db.get(Person, person_id)
    assert (person.name, person.active, person.roles, person.municipality_id) == ("", False, [], None)
    assert person.phone != phone and not person.onboarded
    states = dict(db.execute(select(Signup.shift_id, Signup.state).where(Signup.person_id == person_id)).all())
    assert states == {walked.id: SignupState.ATTENDED, coming.id: SignupState.CANCELLED}
    assert statistics(db, world.region.id, date(2026, 11, 1), date(2026, 12, 31), clock()).total == before
    assert db.scalar(select(func.count()).where(SmsMessage.to == phone)) == 0


def test_deleting_forgets_what_the_person_said_they_could_do(db, world, clock, links):
    said = AvailabilityInput([4], [], [], 2, False, False, world.leader.phone, [])
    save_availability(db, world.parent, world.term, said, clock(), world.parent)
    save_availability(db, world.leader, world.term, replace(said, partner_phone=None), clock(), world.leader)
    assert privacy.export(db, world.leader, clock())["availability"][0]["weekdays"] == [4]

    privacy.delete_person(db, world.leader, clock(), links)
    db.commit()

    assert db.scalars(select(Availability.person_id)).all() == [world.parent.id]
    assert db.scalar(select(Availability.partner_phone)) is None


def test_the_person_downloads_their_data_from_the_profile(login, client, world):
    login(world.parent)
    assert "/profile/data" in client.get("/profile").text
    page = client.get("/profile/data")
    assert page.status_code == 200
    response = client.get("/profile/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json["profile"]["name"] == "Kari Nordmann"


def test_asking_to_be_deleted_needs_a_tick_then_logs_out(login, client, db, world, clock):
    login(world.parent)
    refused = client.post("/profile/delete", data={})
    assert refused.status_code == 422
    response = client.post("/profile/delete", data={"understood": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/my").status_code == 302  # logged out
    db.expire_all()
    assert db.get(Person, world.parent.id).active is False
    assert db.scalar(select(func.count()).select_from(LoginCode).where(LoginCode.phone == "+4791234567")) == 0


def test_the_same_number_can_start_afresh_after_deletion(login, client, db, world, clock, gateway):
    login(world.parent)
    client.post("/profile/delete", data={"understood": "y"})
    clock.advance(minutes=20)
    login("+4791234567")
    db.expire_all()
    fresh = db.scalar(select(Person).where(Person.phone == "+4791234567"))
    assert fresh.id != world.parent.id and fresh.name == ""
    assert client.get("/nights").status_code == 302  # asked to fill in the profile again
