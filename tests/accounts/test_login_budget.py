"""Login codes go only to the allowed countries' numbers and count against one hourly SMS budget
for everyone, whatever address asks: through the login page, /healthz and the coordinator's outbox."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from natteravn.sms.models import Purpose, SmsMessage
from tests import factories

PAUSED = "We are sending unusually many login codes just now"


def codes_sent(db) -> int:
    return db.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.purpose == Purpose.OTP))


def ask_from_a_new_address(app, phone: str, n: int):
    asker = app.test_client()
    asker.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    asker.environ_base["REMOTE_ADDR"] = f"203.0.113.{n % 250}"
    return asker.post("/login", data={"phone": phone})


def alerts(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and "login codes" in r.getMessage().lower()]


@pytest.mark.parametrize("written", ["+44 7911 123456", "+1 202 555 0123", "+86 138 0013 8000", "+234 803 123 4567"])
def test_a_number_from_another_country_gets_no_code(client, gateway, db, written):
    response = client.post("/login", data={"phone": written})
    assert response.status_code == 422
    assert "We send login codes to mobile numbers from Norway only." in response.text
    assert gateway.sent == [] and codes_sent(db) == 0


def test_the_page_names_the_countries_in_the_readers_language(app, client, gateway):
    app.config["LOGIN_COUNTRIES"] = ["NO", "SE"]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb"
    response = client.post("/login", data={"phone": "+44 7911 123456"})
    assert "Norge og Sverige" in response.text


def test_the_allowed_countries_are_a_setting(app, client, gateway):
    app.config["LOGIN_COUNTRIES"] = ["NO", "SE"]
    assert client.post("/login", data={"phone": "+46 70 123 45 67"}).status_code == 302
    assert [number for number, _body in gateway.sent] == ["+46701234567"]


def test_rotating_addresses_spend_no_more_than_the_hourly_budget(app, db, gateway, clock, caplog, client):
    app.config["LOGIN_SMS_PER_HOUR"] = 5
    for n in range(5):
        assert ask_from_a_new_address(app, f"+474500{n:04d}", n).status_code == 302
    refused = ask_from_a_new_address(app, "+4745009999", 99)
    assert refused.status_code == 429 and PAUSED in refused.text
    assert len(gateway.sent) == 5 and codes_sent(db) == 5
    clock.advance(minutes=59)
    assert ask_from_a_new_address(app, "+4745009998", 98).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert ask_from_a_new_address(app, "+4745009998", 98).status_code == 302


def test_the_budget_used_up_is_an_alert_once_an_hour_and_fails_the_health_check(
    app, db, gateway, clock, caplog, client
):
    app.config["LOGIN_SMS_PER_HOUR"] = 3
    with caplog.at_level(logging.ERROR):
        for n in range(3):
            ask_from_a_new_address(app, f"+474500{n:04d}", n)
        health = client.get("/healthz")
        assert health.json["login_codes"] == {"last_hour": 3, "budget": 3}
        assert health.json["status"] == "failing"
        for n in range(3, 10):
            assert ask_from_a_new_address(app, f"+474500{n:04d}", n).status_code == 429
        assert len(alerts(caplog)) == 1
        clock.advance(minutes=30)
        ask_from_a_new_address(app, "+4745001000", 200)
        assert len(alerts(caplog)) == 1
        clock.advance(minutes=31)  # the first codes have left the hour: three more go, and use it up again
        for n in range(3):
            assert ask_from_a_new_address(app, f"+474501{n:04d}", 100 + n).status_code == 302
        assert len(alerts(caplog)) == 2
    assert "+47" not in alerts(caplog)[0].getMessage()


def test_under_the_budget_the_health_check_shows_the_count(app, db, gateway, client):
    ask_from_a_new_address(app, "+4745000001", 1)
    assert client.get("/healthz").json["login_codes"] == {"last_hour": 1, "budget": 200}


def test_a_coordinator_sees_the_codes_sent_to_their_regions_people_per_day(world, db, login, client, clock, app):
    _region, hamar, _coordinator, hamar_leader = factories.other_region(db, clock())
    db.commit()
    ask_from_a_new_address(app, world.parent.phone, 1)
    ask_from_a_new_address(app, world.other_parent.phone, 2)
    ask_from_a_new_address(app, hamar_leader.phone, 3)
    clock.advance(days=1)
    ask_from_a_new_address(app, world.parent.phone, 4)
    login(world.coordinator)  # a code today too; Hamar's leader is not counted
    page = client.get("/coordinator/outbox").text
    summary = page[page.index("Login codes sent") : page.index("</table>")]
    assert "<td>Thu 19 Nov</td><td>2</td>" in summary and "<td>Wed 18 Nov</td><td>2</td>" in summary
    assert world.parent.phone not in summary and hamar_leader.phone not in summary
