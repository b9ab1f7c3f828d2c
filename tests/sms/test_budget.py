"""What SMS cost: the outbox's segments and estimated cost per municipality and month, and a region's
monthly budget, with what waits to go out this month beside what was sent, a warning at 80 % and,
once it is spent, only login codes and news about tonight sent while everything else waits for next
month or a higher budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from natteravn.audit.models import AuditEvent
from natteravn.places.budget import budget_uses, segments_left
from natteravn.places.service import RegionSettings
from natteravn.sms.models import BUDGET_HELD, MessageState, Purpose, SmsMessage
from natteravn.sms.outbox import MonthCost, cost_total
from natteravn.sms.service import dispatch_due, enqueue
from tests import factories

#: 10 kr at the default 0.45 kr a segment: 22 segments.
BUDGET = 10


def sent(db, now, person, region, segments: int, **fields) -> SmsMessage:
    """An SMS that went out at `now`, costing `segments`."""
    message = planned(db, now, person, region, **fields)
    message.state, message.sent_at, message.claimed_at, message.attempts = MessageState.SENT, now, now, 1
    message.segments = segments
    return message


def waiting(db, due, person, region, segments: int, **fields) -> SmsMessage:
    """An SMS planned for `due`, not sent yet, costing `segments`."""
    message = planned(db, due, person, region, **fields)
    message.segments = segments
    return message


def planned(db, now, person, region, purpose=Purpose.REMINDER_DAY, body="Natteravn: husk lørdag.", **fields):
    return enqueue(
        db,
        to=person.phone,
        body=body,
        purpose=purpose,
        now=now,
        person_id=person.id,
        region_id=region.id,
        email=person.mail_to,
        **fields,
    )


@pytest.fixture
def budgeted(world, db):
    world.region.sms_budget_nok = BUDGET
    db.commit()
    return world.region


@pytest.fixture
def dispatch(app, db, gateway, mailer):
    def run(now):
        return dispatch_due(db, gateway, now, policy=app.extensions["natteravn.sms_policy"], mailer=mailer)

    return run


def test_the_outbox_shows_segments_and_cost_per_municipality_and_month(world, db, clock, login, client):
    sent(db, clock(), world.parent, world.region, 1)  # Åsnes, November
    sent(db, clock() - timedelta(days=2), world.leader, world.region, 2)  # Åsnes, November
    sent(db, clock() - timedelta(days=30), world.other_parent, world.region, 1)  # Grue, October
    planned(db, clock(), world.parent, world.region)  # not sent: costs nothing yet
    by_email = factories.person(db, world.asnes, "Eli Epost", clock(), email="eli@example.no")
    sent(db, clock(), by_email, world.region, 1)  # e-mail: free
    db.commit()
    login(world.coordinator)  # the login code is an SMS too, to Åsnes
    page = client.get("/coordinator/outbox").text
    costs = page[page.index('id="cost-title"') :]
    assert "<td>November 2026</td><td>Åsnes</td><td>3</td><td>4</td><td>1.80</td>" in costs
    assert "<td>October 2026</td><td>Grue</td><td>1</td><td>1</td><td>0.45</td>" in costs
    assert costs.index("November 2026") < costs.index("October 2026")


def test_a_municipalitys_coordinator_sees_the_cost_of_their_municipality_only(world, db, clock, login, client):
    sent(db, clock(), world.parent, world.region, 1)
    sent(db, clock(), world.other_parent, world.region, 4)
    grue = factories.person(db, world.grue, "Gunn Grue", clock())
    from natteravn.accounts.models import Role, RoleKind

    grue.roles.append(Role(kind=RoleKind.COORDINATOR, region_id=world.region.id, municipality_id=world.grue.id))
    db.commit()
    login(grue)
    costs = client.get("/coordinator/outbox").text.split('id="cost-title"')[1]
    assert "<td>Grue</td><td>2</td><td>5</td><td>2.25</td>" in costs  # their own login code included
    assert "Åsnes" not in costs


def test_the_price_per_segment_is_a_setting(app, world, db, clock, login, client):
    app.config["SMS_PRICE_PER_SEGMENT"] = 0.5
    sent(db, clock(), world.parent, world.region, 3)
    db.commit()
    login(world.coordinator)
    assert "<td>4</td><td>2.00</td>" in client.get("/coordinator/outbox").text  # with the login code


def test_the_cost_table_adds_up_its_months_and_municipalities():
    costs = [
        MonthCost(date(2026, 11, 1), "Åsnes", 3, 4, Decimal("1.80")),
        MonthCost(date(2026, 10, 1), "Grue", 1, 1, Decimal("0.45")),
    ]
    total = cost_total(costs)
    assert (total.messages, total.segments, total.cost) == (4, 5, Decimal("2.25"))
    assert cost_total([]).cost == 0


def test_the_outbox_cost_table_ends_with_its_total(world, db, clock, login, client):
    sent(db, clock(), world.parent, world.region, 2)  # Åsnes, November
    sent(db, clock() - timedelta(days=30), world.other_parent, world.region, 1)  # Grue, October
    db.commit()
    login(world.coordinator)  # and the login code, to Åsnes
    costs = client.get("/coordinator/outbox").text.split('id="cost-title"')[1]
    assert '<tfoot>\n    <tr><th scope="row" colspan="2">Total</th><td>3</td><td>4</td><td>1.80</td></tr>' in costs


def test_sms_sent_for_no_region_are_in_the_cost_table_marked_as_outside_the_budget(
    world, budgeted, db, clock, login, client
):
    """A new coordinator's first login code goes before they have a municipality, so for no region:
    the dispatcher counts it against no budget, and the budget line leaves it out. The cost table,
    which counts by where the person lives now, shows it and says it is not in the budget."""
    code = sent(db, clock(), world.parent, world.region, 1, purpose=Purpose.OTP)
    code.region_id = None
    db.commit()
    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))
    assert use.segments == 0
    login(world.coordinator)  # this code goes for the coordinator's region: in the budget
    page = client.get("/coordinator/outbox").text
    assert "Solør – SMS this month: 1 of 22" in page
    costs = page.split('id="cost-title"')[1]
    assert '<td>Åsnes</td><td>2</td><td>2<br><span class="hint">1 not in the budget</span></td>' in costs
    assert "no region’s budget counts them" in costs or "no region's budget counts them" in costs


def test_a_cost_table_without_sms_outside_the_budget_says_nothing_of_it(world, db, clock, login, client):
    sent(db, clock(), world.parent, world.region, 1)
    db.commit()
    login(world.coordinator)
    assert "not in the budget" not in client.get("/coordinator/outbox").text


def test_each_region_spends_its_month_against_its_budget_or_none(world, budgeted, db, clock):
    hamar, _town, _coordinator, hamars_leader = factories.other_region(db, clock())
    sent(db, clock(), world.parent, world.region, 6)
    sent(db, clock() - timedelta(days=20), world.parent, world.region, 40)  # October's
    sent(db, clock(), hamars_leader, hamar, 3)
    db.commit()

    hamars, solor = budget_uses(db, [world.region.id, hamar.id], clock(), price=Decimal("0.45"))  # by name

    # 10 kr pays for 22 SMS at 0.45 kr, as the dispatcher counts them.
    assert (solor.segments, solor.spent, solor.allowed, solor.left, solor.percent) == (6, Decimal("2.70"), 22, 16, 27)
    assert not solor.warning
    assert (hamars.segments, hamars.spent, hamars.budget) == (3, Decimal("1.35"), None)
    assert hamars.allowed is None and hamars.left is None
    assert not (hamars.warning or hamars.used_up)


def test_overspent_shows_none_left_not_a_negative_count(world, budgeted, db, clock):
    sent(db, clock(), world.parent, world.region, 25)  # login codes and tonight's news go out past the budget
    db.commit()
    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))
    assert (use.allowed, use.left, use.used_up) == (22, 0, True)


def test_sms_waiting_to_go_out_this_month_are_counted_beside_those_sent(world, budgeted, db, clock):
    sent(db, clock(), world.parent, world.region, 6)
    waiting(db, clock(), world.parent, world.region, 1)  # due now: the next dispatch sends it
    waiting(db, clock() + timedelta(days=10), world.leader, world.region, 3)  # Saturday week's reminder
    undelivered = sent(db, clock(), world.other_parent, world.region, 2)  # handed over, then refused: billed
    undelivered.state = MessageState.UNDELIVERED
    db.commit()

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))

    assert (use.segments, use.waiting) == (8, 4)
    assert use.waiting_cost == Decimal("1.80")


def test_sms_of_other_months_do_not_wait_this_month(world, budgeted, db, clock):
    december = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    waiting(db, december, world.parent, world.region, 5)
    # Planned for the last evening of November, held by the quiet hours until 1 December.
    late = waiting(db, datetime(2026, 11, 30, 21, 30, tzinfo=UTC), world.leader, world.region, 2)
    late.held_until = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    sent(db, clock() - timedelta(days=20), world.parent, world.region, 40)  # October's
    db.commit()

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))
    assert (use.segments, use.waiting) == (0, 0)

    (in_december,) = budget_uses(db, [world.region.id], december, price=Decimal("0.45"))
    assert (in_december.segments, in_december.waiting) == (0, 7)


def test_email_and_messages_that_will_not_go_out_are_not_waiting(world, budgeted, db, clock):
    by_email = factories.person(db, world.asnes, "Eli Epost", clock(), email="eli@example.no")
    waiting(db, clock(), by_email, world.region, 1)  # e-mail costs nothing
    cancelled = waiting(db, clock(), world.parent, world.region, 2)
    cancelled.state = MessageState.CANCELLED
    failed = waiting(db, clock(), world.parent, world.region, 3)
    failed.state = MessageState.FAILED
    waiting(db, clock() - timedelta(hours=1), world.leader, world.region, 4, expires_at=clock())  # the night began
    db.commit()

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))

    assert (use.segments, use.waiting) == (0, 0)


def test_messages_held_by_the_budget_are_waiting(world, budgeted, db, clock, dispatch):
    sent(db, clock(), world.other_parent, world.region, 22)  # all 10 kr pays for
    reminder = waiting(db, clock(), world.parent, world.region, 1)
    db.commit()
    dispatch(clock())
    db.refresh(reminder)
    assert reminder.held_by_budget and reminder.held_until == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))

    assert (use.segments, use.waiting, use.left, use.waiting_past_budget) == (22, 1, 0, 1)


def test_each_region_counts_its_own_waiting_sms(world, budgeted, db, clock):
    hamar, _town, _coordinator, hamars_leader = factories.other_region(db, clock())
    waiting(db, clock() + timedelta(days=2), world.parent, world.region, 3)
    waiting(db, clock() + timedelta(days=2), hamars_leader, hamar, 5)
    db.commit()

    hamars, solor = budget_uses(db, [world.region.id, hamar.id], clock(), price=Decimal("0.45"))

    assert (solor.waiting, hamars.waiting) == (3, 5)


def test_waiting_sms_that_fit_the_budget_say_where_they_bring_it(world, budgeted, db, clock):
    world.region.sms_budget_nok = 100  # 222 SMS
    sent(db, clock(), world.parent, world.region, 27)
    waiting(db, clock() + timedelta(hours=1), world.parent, world.region, 70)
    db.commit()

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))

    assert (use.percent_share, use.percent_with_waiting, use.waiting_past_budget) == (
        Decimal("0.12"),
        Decimal("0.43"),
        0,
    )
    assert not use.warning


def test_waiting_sms_past_what_the_budget_leaves_are_counted_and_warned_of(world, budgeted, db, clock):
    sent(db, clock(), world.parent, world.region, 2)  # 20 of the 22 left
    waiting(db, clock() + timedelta(hours=1), world.parent, world.region, 30)
    db.commit()

    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))

    assert (use.percent, use.left, use.waiting_past_budget) == (9, 20, 10)
    assert use.warning and not use.used_up  # the budget will soon be spent, but is not yet


def test_without_a_limit_nothing_waits_past_the_budget(world, db, clock):
    waiting(db, clock() + timedelta(hours=1), world.parent, world.region, 500)
    db.commit()
    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal("0.45"))
    assert (use.waiting, use.waiting_cost, use.waiting_past_budget) == (500, Decimal("225.00"), 0)
    assert not use.warning


def test_the_outbox_says_how_many_sms_wait_to_go_out_this_month(world, budgeted, db, clock, login, client):
    world.region.sms_budget_nok = 100  # 222 SMS
    sent(db, clock(), world.parent, world.region, 26)
    for person in (world.parent, world.other_parent, world.leader) * 23 + (world.parent,):
        waiting(db, clock() + timedelta(hours=12), person, world.region, 1)  # held until the quiet hours end
    db.commit()
    login(world.coordinator)  # its code is the 27th SMS

    page = client.get("/coordinator/outbox").text

    assert "Solør – SMS this month: 27 of 222 (12%), about 12.15 of 100 kr; 195 left." in page
    assert "Waiting to go out this month: 70 more SMS, which would use 43% of the budget in all." in page
    assert "of its SMS budget" not in page  # no warning: the budget has room for them


def test_sms_waiting_past_the_budget_are_warned_of_before_it_is_spent(world, budgeted, db, clock, login, client):
    waiting(db, clock() + timedelta(hours=12), world.parent, world.region, 30)
    db.commit()
    login(world.coordinator)  # one SMS sent: 21 of 22 left

    for page in (client.get("/coordinator").text, client.get("/coordinator/outbox").text):
        assert "Solør has used 4 % of its SMS budget for this month: about 0.45 of 10 kr." in page
        assert (
            "Waiting to go out this month: 30 more SMS, more than the budget leaves: 9 would wait until next"
            " month or a higher budget." in page
        )


def test_the_outbox_says_what_waits_in_a_region_without_a_budget(world, db, clock, login, client):
    waiting(db, clock() + timedelta(hours=12), world.parent, world.region, 10)
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox").text
    assert "Waiting to go out this month: 10 more SMS, about 4.50 kr." in page


def test_the_outbox_says_where_each_region_stands_this_month_before_any_warning(
    world, budgeted, db, clock, login, client
):
    sent(db, clock(), world.parent, world.region, 5)
    db.commit()
    login(world.coordinator)  # its code is the sixth SMS
    page = client.get("/coordinator/outbox").text
    assert "Solør – SMS this month: 6 of 22 (27%), about 2.70 of 10 kr; 16 left." in page
    assert "of its SMS budget" not in page  # no warning yet


def test_a_region_without_a_budget_says_so_with_what_it_spent(world, db, clock, login, client):
    sent(db, clock(), world.parent, world.region, 2)
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox").text
    assert "Solør – SMS this month: 3, about 1.35 kr; no budget set." in page
    assert f'<a href="/coordinator/places/regions/{world.region.id}">Set a budget</a>' in page


def test_the_months_figures_are_written_the_norwegian_way(world, db, clock, login, client):
    world.region.sms_budget_nok = 900  # 2 000 SMS
    world.coordinator.locale = "nb"
    sent(db, clock(), world.parent, world.region, 411)
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox").text
    status = page.split('<ul class="budget-status">')[1].split("</ul>")[0]
    for written in ("412", "2\xa0000", "(20\xa0%)", "185,40", "900 kr", "1\xa0588"):
        assert written in status


def test_another_regions_coordinator_sees_none_of_it(world, budgeted, db, clock, login, client):
    _hamar, _town, hamars_coordinator, _leader = factories.other_region(db, clock())
    sent(db, clock(), world.parent, world.region, 5)
    db.commit()
    login(hamars_coordinator)
    page = client.get("/coordinator/outbox").text
    assert "Solør" not in page
    assert "Hamar – SMS this month: 1, about 0.45 kr; no budget set." in page  # their own login code


def test_at_80_percent_the_coordinator_is_warned_on_the_dashboard_and_the_outbox(
    world, budgeted, db, clock, login, client
):
    sent(db, clock(), world.parent, world.region, 16)
    db.commit()
    login(world.coordinator)  # its code makes 17 segments: 7.65 of 10 kr, no warning yet
    assert "of its SMS budget" not in client.get("/coordinator").text
    sent(db, clock(), world.parent, world.region, 1)  # 8.10 kr: 81 %
    db.commit()
    for page in (client.get("/coordinator").text, client.get("/coordinator/outbox").text):
        assert "Solør has used 81 % of its SMS budget for this month: about 8.10 of 10 kr." in page
        assert f"/coordinator/places/regions/{world.region.id}" in page


def test_last_months_sms_do_not_count_against_this_months_budget(world, budgeted, db, clock, login, client):
    sent(db, clock() - timedelta(days=20), world.parent, world.region, 40)
    db.commit()
    login(world.coordinator)
    assert "of its SMS budget" not in client.get("/coordinator").text


def test_once_the_budget_is_spent_only_codes_and_tonights_news_are_sent(world, budgeted, db, clock, dispatch):
    clock.set(datetime(2026, 11, 20, 17, 0, tzinfo=UTC))  # Friday, 18:00 in Oslo
    sent(db, clock(), world.other_parent, world.region, 22)  # 9.90 of 10 kr: one more segment does not fit
    tonight = world.night_on("Flisa sentrum", date(2026, 11, 20))
    reminder = planned(db, clock(), world.parent, world.region)
    confirmation = planned(db, clock(), world.parent, world.region, Purpose.SIGNUP_CONFIRMATION, own_action=True)
    code = planned(db, clock(), world.parent, world.region, Purpose.OTP, body="Your code is 123456.")
    tonights = (tonight.starts_at, tonight.ends_at)
    news = planned(
        db, clock(), world.parent, world.region, Purpose.SHIFT_CANCELLED, shift_id=tonight.id, night=tonights
    )
    by_email = factories.person(db, world.asnes, "Eli Epost", clock(), email="eli@example.no")
    email = planned(db, clock(), by_email, world.region)
    db.commit()

    dispatch(clock())

    for message in (reminder, confirmation, code, news, email):
        db.refresh(message)
    assert (code.state, news.state, email.state) == (MessageState.SENT,) * 3
    assert (reminder.state, confirmation.state) == (MessageState.PENDING,) * 2
    assert reminder.last_error == BUDGET_HELD
    assert reminder.held_until == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 1 December, midnight in Oslo


def test_a_message_held_for_the_budget_says_so_in_the_outbox(world, budgeted, db, clock, dispatch, login, client):
    sent(db, clock(), world.other_parent, world.region, 22)
    planned(db, clock(), world.parent, world.region, body="Natteravn: husk refleksvest.")
    db.commit()
    dispatch(clock())
    login(world.coordinator)
    page = client.get("/coordinator/outbox?state=pending").text
    assert "the region's SMS budget for this month is spent. It goes out next month" in page
    assert "Solør has spent its SMS budget for this month" in page


def test_a_held_message_goes_out_when_the_month_turns(world, budgeted, db, clock, dispatch, gateway):
    sent(db, clock(), world.other_parent, world.region, 22)
    reminder = planned(db, clock(), world.parent, world.region, expires_at=clock() + timedelta(days=30))
    db.commit()
    dispatch(clock())
    assert dispatch(clock() + timedelta(days=5)).handled == 0  # still held, not looked at again
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    dispatch(clock())
    db.refresh(reminder)
    assert reminder.state == MessageState.SENT and reminder.last_error == ""
    assert [body for _to, body in gateway.sent] == ["Natteravn: husk lørdag."]


def test_a_held_message_whose_moment_passes_is_cancelled_not_sent_late(world, budgeted, db, clock, dispatch):
    sent(db, clock(), world.other_parent, world.region, 22)
    reminder = planned(db, clock(), world.parent, world.region, expires_at=clock() + timedelta(days=2))
    db.commit()
    dispatch(clock())
    db.refresh(reminder)
    assert reminder.held_until == clock() + timedelta(days=2)
    dispatch(clock() + timedelta(days=2))
    db.refresh(reminder)
    assert reminder.state == MessageState.CANCELLED


def test_a_message_that_would_overrun_the_budget_waits_while_a_smaller_one_fits(world, budgeted, db, clock, dispatch):
    sent(db, clock(), world.other_parent, world.region, 20)  # 2 segments left
    long = planned(db, clock(), world.parent, world.region, body="Natteravn: " + "lang tekst " * 20)
    short = planned(db, clock(), world.leader, world.region, body="Natteravn: kort.")
    db.commit()
    assert long.segments == 2 and short.segments == 1
    dispatch(clock())
    db.refresh(long), db.refresh(short)
    # The first in line took the two segments left; the second waits.
    assert (long.state, short.state) == (MessageState.SENT, MessageState.PENDING)


def test_raising_the_budget_on_the_region_page_lets_the_held_messages_go(
    world, budgeted, db, clock, dispatch, login, client, gateway
):
    sent(db, clock(), world.other_parent, world.region, 22)
    reminder = planned(db, clock(), world.parent, world.region)
    db.commit()
    dispatch(clock())
    login(world.coordinator)
    url = f"/coordinator/places/regions/{world.region.id}"
    page = client.get(url).text
    assert "Spent so far this month: about 10.35 kr, at 0.45 kr per SMS." in page  # with the login code
    form = region_form(world.region, sms_budget_nok="-5")
    assert client.post(url, data=form).status_code == 422
    assert client.post(url, data={**form, "sms_budget_nok": "50"}).status_code == 302
    dispatch(clock())
    db.refresh(reminder)
    assert reminder.state == MessageState.SENT
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "region.updated"))
    assert event.details["changed"] == {"sms_budget_nok": [BUDGET, 50]}


def test_a_region_without_a_budget_holds_nothing(world, db, clock, dispatch):
    sent(db, clock(), world.other_parent, world.region, 5000)
    reminder = planned(db, clock(), world.parent, world.region)
    db.commit()
    dispatch(clock())
    db.refresh(reminder)
    assert reminder.state == MessageState.SENT


def region_form(region, **changes) -> dict:
    """The region's settings page as it stands, with `changes` typed in."""
    values = vars(RegionSettings.of(region)) | {"name": region.name}
    shown = {k: v.strftime("%H:%M") if isinstance(v, time) else "" if v is None else v for k, v in values.items()}
    return {name: str(value) for name, value in {**shown, **changes}.items()}


def test_with_sms_priced_at_nothing_a_budget_neither_counts_nor_warns(world, db, clock):
    world.region.sms_budget_nok = 0  # even a budget of nothing: free SMS never spend it
    sent(db, clock(), world.parent, world.region, 30)
    db.commit()
    (use,) = budget_uses(db, [world.region.id], clock(), price=Decimal(0))
    assert (use.budget, use.segments, use.spent) == (0, 30, Decimal(0))
    assert use.allowed is None and use.left is None
    assert not (use.limits or use.warning or use.used_up)
    assert segments_left(db, [world.region.id], clock(), price=Decimal(0)) == {}  # the dispatcher holds none


def test_the_outbox_says_a_budget_holds_nothing_back_when_sms_cost_nothing(
    app, world, budgeted, db, clock, login, client
):
    app.config["SMS_PRICE_PER_SEGMENT"] = 0
    sent(db, clock(), world.parent, world.region, 40)  # far beyond 10 kr at the usual price
    waiting(db, clock() + timedelta(days=1), world.parent, world.region, 5)
    db.commit()
    login(world.coordinator)
    page = client.get("/coordinator/outbox").text
    assert (
        "Solør – SMS this month: 41. The price per SMS is set to 0 kr, so SMS cost nothing and the budget of 10 kr"
        " holds none back." in page
    )
    assert "Waiting to go out this month: 5 more SMS." in page
    assert "no budget set" not in page and "Set a budget" not in page
    assert "of its SMS budget" not in client.get("/coordinator").text  # no warning either
