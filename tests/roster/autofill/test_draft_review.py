"""The coordinator's review of an auto-fill draft: what Keep and Exclude do when the draft is
accepted, the counts the page shows, and the words it uses when nobody has answered yet."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import func, select

from natteravn.audit import service as audit
from natteravn.audit.models import AuditEvent
from natteravn.roster.autofill import service
from natteravn.roster.autofill.models import Availability
from natteravn.roster.autofill.views import _tally_in_words
from natteravn.shifts.models import Signup
from natteravn.sms.models import SmsMessage
from tests.roster.autofill.test_autofill import FRIDAY, say_available, volunteers


def as_read(page: str) -> str:
    """A page as read: tags and entities gone, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def page_text(client, world) -> str:
    return as_read(client.get(f"/coordinator/terms/{world.term.id}/autofill").text)


def night_cell(client, world, shift_id: int) -> str:
    page = client.get(f"/coordinator/terms/{world.term.id}/autofill").text
    return as_read(page.split(f'id="night-{shift_id}"', 1)[1].split("</div>", 1)[0])


def a_friday_draft(db, world, clock, people=3):
    """Volunteers for one Friday each, and the draft that proposes them."""
    for person in volunteers(db, world, people):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    db.commit()
    return draft


def signed_up(db, person_id: int, shift_id: int) -> bool:
    return db.scalar(select(Signup).where(Signup.person_id == person_id, Signup.shift_id == shift_id)) is not None


def messages_to(db, person_id: int) -> int:
    return db.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.person_id == person_id))


def accepted_audit(db) -> dict:
    return db.scalar(select(AuditEvent).where(AuditEvent.action == "autofill.accepted")).details


# Finding 1: an exclusion made after the run holds when the draft is accepted.


def test_a_proposal_excluded_after_the_run_is_not_signed_up_when_the_draft_is_accepted(world, db, clock, links):
    draft = a_friday_draft(db, world, clock)
    out, *kept = draft.assignments
    service.set_lock(db, world.term, out.shift_id, out.person_id, False)
    result = service.accept_draft(db, draft, world.coordinator, clock(), links)
    db.commit()

    assert (result.made, result.excluded, result.skipped) == (len(kept), 1, 0)
    assert not signed_up(db, out.person_id, out.shift_id)
    assert messages_to(db, out.person_id) == 0  # no confirmation, no reminder
    assert all(signed_up(db, p.person_id, p.shift_id) for p in kept)
    assert accepted_audit(db) == {"signed_up": len(kept), "excluded": 1, "left_out": 0}


def test_a_kept_proposal_is_signed_up_as_usual_and_keeping_adds_nobody_the_draft_does_not_propose(
    world, db, clock, links
):
    draft = a_friday_draft(db, world, clock, people=2)
    kept = draft.assignments[0]
    service.set_lock(db, world.term, kept.shift_id, kept.person_id, True)
    elsewhere = world.night_on("Kirkenær", date(2026, 12, 4))
    service.set_lock(db, world.term, elsewhere.id, world.parent.id, True)  # pinned, but not in this draft
    result = service.accept_draft(db, draft, world.coordinator, clock(), links)

    assert (result.made, result.excluded) == (2, 0)
    assert signed_up(db, kept.person_id, kept.shift_id)
    assert not signed_up(db, world.parent.id, elsewhere.id)


def test_a_proposal_unpinned_again_before_accepting_is_signed_up(world, db, clock, links):
    draft = a_friday_draft(db, world, clock, people=1)
    [proposal] = draft.assignments
    service.set_lock(db, world.term, proposal.shift_id, proposal.person_id, False)
    service.set_lock(db, world.term, proposal.shift_id, proposal.person_id, None)
    assert service.accept_draft(db, draft, world.coordinator, clock(), links).made == 1
    assert signed_up(db, proposal.person_id, proposal.shift_id)


def test_an_exclusion_on_another_night_leaves_the_proposal_standing(world, db, clock, links):
    draft = a_friday_draft(db, world, clock, people=1)
    [proposal] = draft.assignments
    another = next(n for n in world.nights if n.id != proposal.shift_id)
    service.set_lock(db, world.term, another.id, proposal.person_id, False)
    assert service.accept_draft(db, draft, world.coordinator, clock(), links).made == 1


def test_excluding_one_partner_leaves_both_out_and_says_so(world, db, clock, links):
    anne, per = volunteers(db, world, 2)
    say_available(db, anne, world.term, weekdays=[FRIDAY], max_nights=1, partner_phone=per.phone)
    say_available(db, per, world.term, weekdays=[FRIDAY], max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    night = next(a.shift_id for a in draft.assignments if a.person_id == anne.id)
    service.set_lock(db, world.term, night, anne.id, False)
    result = service.accept_draft(db, draft, world.coordinator, clock(), links)

    assert (result.made, result.excluded, result.partners_out) == (0, 1, 1)
    assert not signed_up(db, per.id, night)  # partners walk together or not at all
    assert accepted_audit(db) == {"signed_up": 0, "excluded": 1, "left_out": 1}


def test_the_coordinator_excludes_a_proposal_then_accepts_without_running_again(world, db, login, client, clock):
    draft = a_friday_draft(db, world, clock)
    out = draft.assignments[0]
    name = out.person.name
    login(world.coordinator)
    before = page_text(client, world)
    assert "3 places proposed for 3 people; " in before

    lock = client.post(
        f"/coordinator/terms/{world.term.id}/autofill/lock",
        data={"shift_id": out.shift_id, "person_id": out.person_id, "must": "exclude"},
    )
    assert lock.status_code == 302
    after = page_text(client, world)
    assert "2 places proposed for 2 people; " in after  # counted again at once
    assert "1 proposal you excluded is not signed up when you accept the draft." in after
    cell = night_cell(client, world, out.shift_id)
    on_that_night = sum(a.shift_id == out.shift_id for a in draft.assignments)
    assert f"0 on it, {on_that_night - 1} proposed" in cell
    assert f"{name} excluded" in cell
    assert f"Excluded: {name}" not in cell  # said once, beside the proposal

    accepted = client.post(f"/coordinator/terms/{world.term.id}/autofill/accept", follow_redirects=True)
    said = as_read(accepted.text)
    assert "2 places filled from the draft." in said
    assert "1 proposal you excluded was not signed up." in said
    assert not signed_up(db, out.person_id, out.shift_id)
    assert messages_to(db, out.person_id) == 0
    assert db.scalar(select(func.count()).select_from(Signup)) == 2
    audit = as_read(client.get("/coordinator/audit").text)
    assert "Accepted the auto-fill draft: 2 signed up, 1 excluded, 0 left out" in audit


# Finding 5: the page and the flash count the draft alike.


def test_the_flash_and_the_draft_header_say_places_for_people_alike(world, db, login, client):
    for person in volunteers(db, world, 2):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=2)
    db.commit()
    login(world.coordinator)
    ran = client.post(f"/coordinator/terms/{world.term.id}/autofill", follow_redirects=True)
    said = as_read(ran.text)
    assert "Draft ready: 4 places proposed for 2 people, " in said
    assert "4 places proposed for 2 people; " in said  # the header, in the same words
    assert "people proposed" not in said


def test_one_place_for_one_person_is_said_in_the_singular(world, db, login, client, clock):
    a_friday_draft(db, world, clock, people=1)
    login(world.coordinator)
    assert "1 place proposed for 1 person; " in page_text(client, world)


# Finding 6: nobody has said when they can walk.


def test_running_with_nobody_having_said_when_they_can_walk_is_refused_in_plain_words(world, db, login, client):
    login(world.coordinator)
    page = page_text(client, world)
    assert "Nobody has said when they can walk this term yet" in page  # before running it
    ran = client.post(f"/coordinator/terms/{world.term.id}/autofill", follow_redirects=True)
    said = as_read(ran.text)
    assert said.count("Nobody has said when they can walk this term yet") == 2  # the flash and the page
    assert "Ask the volunteers when they can walk" in said
    assert "best roster" not in said and "Draft from" not in said
    assert "nobody who can lead is free that night" not in said
    assert service.latest_draft(db, world.term) is None


def test_availability_the_coordinator_filled_in_for_one_is_enough_to_run(world, db, login, client):
    say_available(db, world.parent, world.term, actor=world.coordinator, weekdays=[FRIDAY], max_nights=1)
    db.commit()
    login(world.coordinator)
    assert "Nobody has said" not in page_text(client, world)
    client.post(f"/coordinator/terms/{world.term.id}/autofill")
    page = page_text(client, world)
    assert "1 place proposed for 1 person; " in page
    assert "Nobody has said" not in page


def test_an_empty_draft_made_before_anyone_answered_is_explained_not_called_the_best(world, db, login, client, clock):
    say_available(db, world.parent, world.term, weekdays=[FRIDAY], max_nights=0)  # offers no night
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    assert draft.assignments == []
    db.execute(Availability.__table__.delete())  # as a draft from before the refusal would stand
    db.commit()
    login(world.coordinator)
    page = page_text(client, world)
    assert "Nobody has said when they can walk this term yet" in page
    assert "best roster" not in page
    assert "What the draft leaves unmet" not in page
    assert "nobody who can lead is free that night" not in page
    assert "Accept the draft" not in page


# Finding 7: what the draft leaves unmet, each figure in words that say what it counts.


def test_the_unmet_wishes_are_said_in_plain_words(app):
    tally = {
        "short_walker": 251,
        "missing_leader": 3,
        "no_experienced": 77,
        "outside_class_weekend": 28,
        "other_municipality": 4,
    }
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _tally_in_words(tally) == [
            "251 places still needed to reach the nights' minimums",
            "3 nights without a leader",
            "77 nights without an experienced walker",
            "28 places given to parents outside their class's weekend",
            "4 places given to walkers outside their own municipality",
        ]
        assert _tally_in_words({"short_walker": 1, "outside_class_weekend": 1, "no_experienced": 1}) == [
            "1 place still needed to reach a night's minimum",
            "1 place given to a parent outside their class's weekend",
            "1 night without an experienced walker",
        ]


def test_the_figures_count_places_and_nights_as_their_words_say(world, db, clock):
    """One newcomer for one Friday: the places still needed are the minimums' sum less the one
    place filled, and every night is one without an experienced walker."""
    for person in volunteers(db, world, 1):
        say_available(db, person, world.term, weekdays=[FRIDAY], max_nights=1)
    draft = service.run_autofill(db, world.term, world.coordinator, clock(), time_limit_s=5)
    assert len(draft.assignments) == 1
    assert draft.tally["short_walker"] == sum(n.min_walkers for n in world.nights) - 1
    assert draft.tally["no_experienced"] == len(world.nights)


def test_a_draft_accepted_before_exclusions_were_kept_reads_as_none_excluded(world, db, clock, login):
    audit.record(
        db,
        actor_id=world.coordinator.id,
        action="autofill.accepted",
        object_type="term",
        object_id=world.term.id,
        now=clock(),
        region_id=world.region.id,
        signed_up=29,
        left_out=0,
    )
    db.commit()
    page = login(world.coordinator).get("/coordinator/audit").text
    assert "Accepted the auto-fill draft: 29 signed up, 0 excluded, 0 left out" in page
