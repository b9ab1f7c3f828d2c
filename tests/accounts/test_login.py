"""Logging in with a phone number and a one-time code sent by SMS: numbers as people write them,
codes that are hashed, expire and lock, and rate limits counted in the database."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from natteravn.accounts import service
from natteravn.accounts.models import LoginCode, RateEvent
from natteravn.i18n import translations
from natteravn.models import Base
from natteravn.sms.models import MessageState, Purpose, SmsMessage
from tests.conftest import code_from, last_sms_to
from tests.databases import POSTGRES_URL

SECRET = "test-secret"
PHONE = "+4791234567"
OTHER = "+4798765432"

#: How many codes one address may ask for, and try, in an hour.
CLIENT_SENDS = dict((kind, n) for kind, n, _window in service.SEND_LIMITS)["client"]
CLIENT_TRIES = dict((kind, n) for kind, n, _window in service.TRY_LIMITS)["client"]
#: Numbers enough to try that many wrong codes at four tries each, under each number's own limit.
GUESSED_NUMBERS = CLIENT_TRIES // 4 + 1


def ask(db, clock, phone=PHONE, client="192.0.2.1", **kwargs):
    message = service.request_code(db, phone, client, clock(), secret=SECRET, **kwargs)
    db.commit()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def verify(db, clock, code, phone=PHONE, client="192.0.2.1", **kwargs):
    try:
        return service.verify_code(db, phone, code, client, clock(), secret=SECRET, **kwargs)
    finally:
        db.commit()  # as the page does: a refused try still counts


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def everything_stored(db) -> str:
    """Every value in every table, as text."""
    rows = []
    for table in Base.metadata.sorted_tables:
        rows.extend(str(tuple(row)) for row in db.execute(table.select()))
    return "\n".join(rows)


# --- Phone numbers. ---


@pytest.mark.parametrize("written", ["912 34 567", "91234567", "+47 912 34 567", "0047 912 34 567", " 912-34-567 "])
def test_norwegian_numbers_are_accepted_with_or_without_the_country_code(written):
    assert service.normalise_phone(written) == "+4791234567"


def test_a_foreign_mobile_number_keeps_its_country():
    assert service.normalise_phone("+46 70 123 45 67") == "+46701234567"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("", "not a phone number"),
        ("my number", "Write only the number, without letters or other text"),
        ("123", "not a valid phone number"),
        ("9" * 60, "not a phone number"),
        ("22 22 22 22", "cannot receive SMS"),  # a landline in Oslo
    ],
)
def test_numbers_that_cannot_get_a_code_are_refused_with_a_reason(written, says):
    with pytest.raises(service.InvalidPhone, match=says):
        service.normalise_phone(written)


@pytest.mark.parametrize(
    "written",
    [
        "412 34 567 tlf",
        "412 34 567 x",
        "tlf 412 34 567",
        "4l2 34 567",  # a letter l for a one
        "912 34 ABC",  # phonenumbers would read the keypad: +4791234222
        "+47 412 34 567 ext. 12",
        "412 34 567#",
        "412 34 567 / 22 33 44 55",
        "47+41234567",
    ],
)
def test_a_number_with_letters_or_other_text_in_it_is_refused_not_read_without_them(written):
    with pytest.raises(service.TextInPhone, match="Write only the number, without letters or other text"):
        service.normalise_phone(written)


@pytest.mark.parametrize(
    "written",
    [
        "(+47) 412-34-567",
        "412.34.567",
        "412\u00a034\u00a0567",  # no-break spaces, as a copied number has them
        "412\u201334\u2013567",  # dashes a phone's keyboard makes of hyphens
        "\u200e+47 412 34 567",  # a direction mark from a right-to-left text
        "\u0664\u0661\u0662 \u0663\u0664 \u0665\u0666\u0667",  # Arabic-Indic digits
    ],
)
def test_the_usual_separators_and_any_scripts_digits_are_a_number(written):
    assert service.normalise_phone(written) == "+4741234567"


def test_a_number_is_shown_as_norwegians_write_it():
    assert service.display_phone("+4791234567") == "912 34 567"


# --- Codes. ---


def test_a_code_is_sent_by_sms_and_logs_in_a_new_person(db, clock):
    code = ask(db, clock, locale="en")
    person = verify(db, clock, code, locale="en")
    assert person.id is not None
    assert person.phone == PHONE
    assert person.locale == "en"
    assert not person.onboarded


def test_an_existing_person_gets_the_code_in_their_own_language(world, db, clock):
    world.parent.locale = "en"
    db.commit()
    ask(db, clock, phone=world.parent.phone, locale="nb")
    message = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.OTP)).one()
    assert message.person_id == world.parent.id
    assert message.body.startswith("Your Natteravn code is")


def test_a_code_works_once(db, clock):
    code = ask(db, clock)
    verify(db, clock, code)
    with pytest.raises(service.CodeRejected, match="no longer works"):
        verify(db, clock, code)


def test_only_a_hash_of_the_code_is_kept(db, clock):
    code = ask(db, clock)
    login = db.scalars(select(LoginCode)).one()
    assert code not in login.code_hash
    assert login.code_hash.startswith("hmac-sha256$")


def test_a_code_expires(db, clock, app):
    code = ask(db, clock, ttl_minutes=10)
    clock.advance(minutes=10)
    with pytest.raises(service.CodeRejected, match="expired"):
        verify(db, clock, code)


def test_a_code_still_works_just_before_it_expires(db, clock):
    code = ask(db, clock, ttl_minutes=10)
    clock.advance(minutes=9, seconds=59)
    assert verify(db, clock, code).phone == PHONE


def test_a_few_wrong_tries_lock_the_code(db, clock):
    code = ask(db, clock)
    for _ in range(4):
        with pytest.raises(service.CodeRejected, match="Wrong code. Check"):
            verify(db, clock, wrong(code), max_tries=5)
    with pytest.raises(service.CodeRejected, match="too many times"):
        verify(db, clock, wrong(code), max_tries=5)
    with pytest.raises(service.CodeRejected, match="too many times"):
        verify(db, clock, code, max_tries=5)


def test_the_right_code_on_the_last_try_still_works(db, clock):
    code = ask(db, clock)
    for _ in range(2):
        with pytest.raises(service.CodeRejected):
            verify(db, clock, wrong(code), max_tries=3)
    assert verify(db, clock, code, max_tries=3).phone == PHONE


def test_a_new_code_makes_the_older_ones_stop_working(db, clock):
    first = ask(db, clock)
    clock.advance(minutes=1)
    second = ask(db, clock)
    if first == second:  # one in a million: the test would prove nothing
        pytest.skip("the two random codes happened to be equal")
    with pytest.raises(service.CodeRejected):
        verify(db, clock, first)
    assert verify(db, clock, second).phone == PHONE


def two_codes(db, clock, **kwargs) -> tuple[str, str]:
    """A code, and a minute later the one that replaces it (never the same six digits)."""
    first = ask(db, clock, **kwargs)
    clock.advance(minutes=1)
    second = ask(db, clock, **kwargs)
    if first == second:  # one in a million: the test would prove nothing
        pytest.skip("the two random codes happened to be equal")
    return first, second


def test_the_code_from_an_older_sms_is_said_to_be_replaced_and_logs_nobody_in(db, clock):
    first, second = two_codes(db, clock)
    with pytest.raises(service.CodeRejected, match="replaced by a newer one. Use the code in the newest SMS"):
        verify(db, clock, first)
    assert verify(db, clock, second).phone == PHONE


def test_a_replaced_code_past_its_validity_is_simply_wrong(db, clock):
    first, _second = two_codes(db, clock, ttl_minutes=10)
    clock.advance(minutes=9)  # the first is 10 minutes old, the second 9
    with pytest.raises(service.CodeRejected, match="Wrong code. Check"):
        verify(db, clock, first)


def test_a_replaced_code_counts_as_a_wrong_try_on_the_newest(db, clock):
    first, second = two_codes(db, clock)
    for _ in range(2):
        with pytest.raises(service.CodeRejected, match="replaced"):
            verify(db, clock, first, max_tries=3)
    with pytest.raises(service.CodeRejected, match="too many times"):
        verify(db, clock, first, max_tries=3)
    with pytest.raises(service.CodeRejected, match="too many times"):
        verify(db, clock, second, max_tries=3)


def test_another_numbers_code_is_not_called_replaced(db, clock):
    theirs = ask(db, clock, phone=OTHER, client="192.0.2.2")
    mine = ask(db, clock)
    if theirs == mine:
        pytest.skip("the two random codes happened to be equal")
    with pytest.raises(service.CodeRejected, match="Wrong code. Check"):
        verify(db, clock, theirs)


def test_spaces_in_a_typed_code_do_not_matter(db, clock):
    code = ask(db, clock)
    assert verify(db, clock, f" {code[:3]} {code[3:]} ").phone == PHONE


def test_a_code_for_one_number_does_not_log_in_another(db, clock):
    code = ask(db, clock, phone=PHONE)
    ask(db, clock, phone=OTHER, client="192.0.2.2")
    with pytest.raises(service.CodeRejected):
        verify(db, clock, code, phone=OTHER)


def test_without_a_code_asked_for_nothing_logs_in(db, clock):
    with pytest.raises(service.CodeRejected, match="no longer works"):
        verify(db, clock, "123456")


def test_a_closed_profile_cannot_log_in(world, db, clock):
    world.parent.active = False
    db.commit()
    code = ask(db, clock, phone=world.parent.phone)
    with pytest.raises(service.CodeRejected, match="closed"):
        verify(db, clock, code, phone=world.parent.phone)


# --- Rate limits. ---


def test_sending_is_limited_per_number_until_the_window_passes(db, clock):
    for i in range(3):
        ask(db, clock, client=f"192.0.2.{i}")
    with pytest.raises(service.TooManyRequests):
        ask(db, clock, client="192.0.2.99")
    clock.advance(minutes=15, seconds=1)
    ask(db, clock, client="192.0.2.99")


def test_asking_too_often_while_the_last_code_still_works_says_it_does(db, clock):
    for _ in range(3):
        last = ask(db, clock, ttl_minutes=10)
    with pytest.raises(service.TooManyRequests) as refused:
        ask(db, clock, ttl_minutes=10)
    assert str(refused.value) == (
        "Too many attempts. Try again in 15 min. The last code we sent still works for 10 minutes after it was sent."
    )
    db.rollback()
    assert verify(db, clock, last).phone == PHONE


def test_the_refusal_names_the_validity_the_codes_are_sent_with(db, clock):
    for _ in range(3):
        ask(db, clock, ttl_minutes=3)
    with pytest.raises(service.TooManyRequests, match="still works for 3 minutes"):
        ask(db, clock, ttl_minutes=3)


@pytest.mark.parametrize("spent", ["used", "expired"])
def test_asking_too_often_promises_no_code_when_none_still_works(db, clock, spent):
    for _ in range(3):
        last = ask(db, clock, ttl_minutes=10)
    if spent == "used":
        verify(db, clock, last)
    else:
        clock.advance(minutes=10)
    with pytest.raises(service.TooManyRequests) as refused:
        ask(db, clock, ttl_minutes=10)
    assert "still works" not in str(refused.value)


def test_sending_is_limited_per_number_per_day(db, clock):
    for _ in range(8):
        ask(db, clock)
        clock.advance(minutes=16)
    with pytest.raises(service.TooManyRequests):
        ask(db, clock)
    clock.advance(hours=24)
    ask(db, clock)


def test_sending_is_limited_per_client_across_numbers(db, clock):
    for i in range(CLIENT_SENDS):
        ask(db, clock, phone=f"+474100{i:04d}", client="198.51.100.7")
    with pytest.raises(service.TooManyRequests):
        ask(db, clock, phone="+4741009999", client="198.51.100.7")
    ask(db, clock, phone="+4741009999", client="198.51.100.8")  # someone else is not held up
    clock.advance(hours=1, seconds=1)
    ask(db, clock, phone="+4741009998", client="198.51.100.7")


def test_a_refused_send_neither_sends_nor_counts(db, clock):
    for _ in range(3):
        ask(db, clock)
    codes = db.scalar(select(func.count()).select_from(LoginCode))
    with pytest.raises(service.TooManyRequests):
        ask(db, clock)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(LoginCode)) == codes
    clock.advance(minutes=15, seconds=1)
    ask(db, clock)  # the refused one did not stretch the window


def test_trying_is_limited_per_number_across_codes(db, clock):
    tries = 0
    while tries < 10:
        code = ask(db, clock)
        for _ in range(min(4, 10 - tries)):
            with pytest.raises(service.CodeRejected):
                verify(db, clock, wrong(code))
            tries += 1
        clock.advance(minutes=16)  # past the sending limit, still inside the hour of tries
    code = ask(db, clock)
    with pytest.raises(service.TooManyRequests):
        verify(db, clock, code)
    clock.advance(hours=1)
    assert verify(db, clock, ask(db, clock)).phone == PHONE


def test_trying_is_limited_per_client_across_numbers(db, clock):
    codes = {}
    for i in range(GUESSED_NUMBERS):
        phone = f"+474700{i:04d}"
        codes[phone] = ask(db, clock, phone=phone, client=f"203.0.113.{i}")
    tries = 0
    for phone, code in codes.items():
        for _ in range(4):
            if tries == CLIENT_TRIES:
                break
            with pytest.raises(service.CodeRejected):
                verify(db, clock, wrong(code), phone=phone, client="198.51.100.7")
            tries += 1
    phone, code = next(iter(codes.items()))
    with pytest.raises(service.TooManyRequests):
        verify(db, clock, code, phone=phone, client="198.51.100.7")
    clock.advance(hours=1, seconds=1)
    fresh = ask(db, clock, phone=phone, client="203.0.113.99")
    assert verify(db, clock, fresh, phone=phone, client="198.51.100.7").phone == phone


def test_old_codes_and_counters_are_purged(db, clock):
    ask(db, clock)
    clock.advance(days=3)
    # The code, and one count each for the number, the client and the hourly budget.
    assert service.purge_login_data(db, clock()) == 4
    db.commit()
    assert db.scalar(select(func.count()).select_from(LoginCode)) == 0


# --- Through the pages. ---


def test_a_parent_logs_in_with_a_number_written_without_47(world, client, gateway):
    response = client.post("/login", data={"phone": "912 34 567"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/code")
    page = client.get("/login/code")
    assert "912 34 567" in page.text
    response = client.post("/login/code", data={"code": code_from(gateway, "+4791234567")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/nights"
    assert client.get("/nights").status_code == 200


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("22 22 22 22", "cannot receive SMS"),
        ("123", "not a valid"),
        ("", "Write your mobile"),
        ("412 34 567 x", "Write only the number, without letters or other text, like 912 34 567."),
    ],
)
def test_the_login_page_explains_a_number_it_cannot_use(client, gateway, written, says):
    response = client.post("/login", data={"phone": written})
    assert response.status_code == 422
    assert says in response.text
    assert f'value="{written}"' in response.text or not written  # still in the box, to correct
    assert gateway.sent == []


def test_the_login_page_says_so_in_the_readers_language(client, gateway):
    response = client.post("/login", data={"phone": "412 34 567 tlf"}, headers={"Accept-Language": "nb"})
    assert response.status_code == 422
    said = translations("nb").gettext("Write only the number, without letters or other text, like 912 34 567.")
    assert said in response.text
    assert gateway.sent == []


def test_a_screen_reader_hears_the_hint_and_only_then_the_error(client):
    field = re.compile(r'<input[^>]*name="phone"[^>]*>')
    fresh = field.search(client.get("/login").text).group()
    assert 'aria-describedby="phone-hint"' in fresh and "aria-invalid" not in fresh
    refused = field.search(client.post("/login", data={"phone": "123"}).text).group()
    assert 'aria-describedby="phone-hint phone-error"' in refused and 'aria-invalid="true"' in refused


def test_the_code_is_never_kept_in_the_database(world, client, gateway, db):
    client.post("/login", data={"phone": world.parent.phone})
    code = code_from(gateway, world.parent.phone)
    assert code not in everything_stored(db)
    client.post("/login/code", data={"code": code})
    assert code not in everything_stored(db)
    message = db.scalars(select(SmsMessage).where(SmsMessage.purpose == Purpose.OTP)).one()
    assert message.state == MessageState.SENT
    assert "******" in message.body


def test_a_code_sent_later_by_the_dispatcher_is_masked_by_the_purge(world, db, clock):
    ask(db, clock, phone=world.parent.phone)
    message = db.scalars(select(SmsMessage)).one()
    message.state = MessageState.SENT  # as the dispatcher leaves it after a retry
    db.commit()
    service.purge_login_data(db, clock())
    db.commit()
    assert "******" in db.scalars(select(SmsMessage)).one().body


def test_a_wrong_code_says_so_and_the_right_one_then_works(world, client, gateway):
    client.post("/login", data={"phone": world.parent.phone})
    code = code_from(gateway, world.parent.phone)
    response = client.post("/login/code", data={"code": wrong(code)})
    assert response.status_code == 422
    assert "Wrong code" in response.text
    assert client.post("/login/code", data={"code": code}).status_code == 302


def test_the_page_locks_after_too_many_wrong_codes(world, app, client, gateway):
    app.config["OTP_MAX_TRIES"] = 2
    client.post("/login", data={"phone": world.parent.phone})
    code = code_from(gateway, world.parent.phone)
    client.post("/login/code", data={"code": wrong(code)})
    response = client.post("/login/code", data={"code": wrong(code)})
    assert "too many times" in response.text
    response = client.post("/login/code", data={"code": code})
    assert response.status_code == 422
    assert client.get("/nights").status_code == 302


def test_the_code_expires_after_the_configured_minutes(world, app, client, gateway, clock):
    app.config["OTP_TTL_MINUTES"] = 3
    client.post("/login", data={"phone": world.parent.phone})
    assert "valid for 3 minutes" in last_sms_to(gateway, world.parent.phone)
    clock.advance(minutes=3)
    response = client.post("/login/code", data={"code": code_from(gateway, world.parent.phone)})
    assert "expired" in response.text


def test_a_second_code_replaces_the_first_through_the_pages(world, client, gateway, clock):
    client.post("/login", data={"phone": world.parent.phone})
    first = code_from(gateway, world.parent.phone)
    clock.advance(minutes=1)
    client.post("/login", data={"phone": world.parent.phone})
    second = code_from(gateway, world.parent.phone)
    if first == second:
        pytest.skip("the two random codes happened to be equal")
    assert client.post("/login/code", data={"code": first}).status_code == 422
    assert client.post("/login/code", data={"code": second}).status_code == 302


def test_asking_too_often_from_one_number_is_refused_politely(world, client, gateway, clock):
    for _ in range(3):
        assert client.post("/login", data={"phone": world.parent.phone}).status_code == 302
    response = client.post("/login", data={"phone": world.parent.phone})
    assert response.status_code == 429
    assert "Too many attempts. Try again in 15 min." in response.text
    assert len(gateway.sent) == 3
    clock.advance(minutes=11)
    assert "Try again in 4 min." in client.post("/login", data={"phone": world.parent.phone}).text
    clock.advance(minutes=4, seconds=1)
    assert client.post("/login", data={"phone": world.parent.phone}).status_code == 302


def test_asking_for_a_new_code_keeps_the_number_and_the_night_she_was_going_to(world, client, gateway, clock):
    night = f"/nights/{world.nights[0].id}"
    client.post("/login", data={"phone": "912 34 567"}, query_string={"next": night})
    first = code_from(gateway, "+4791234567")
    page = client.get("/login/code", query_string={"next": night}).text
    assert f'action="/login/code/new?next={night}"' in page
    clock.advance(minutes=1)
    response = client.post("/login/code/new", query_string={"next": night})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login/code?next={night}"
    page = client.get(response.headers["Location"]).text
    assert "A new code is sent." in page and "912 34 567" in page
    second = code_from(gateway, "+4791234567")
    assert len(gateway.sent) == 2
    if first == second:
        pytest.skip("the two random codes happened to be equal")
    response = client.post("/login/code", data={"code": second}, query_string={"next": night})
    assert response.headers["Location"] == night


def test_a_new_code_asked_for_too_often_is_refused_on_the_code_page(world, client, gateway):
    client.post("/login", data={"phone": world.parent.phone})
    for _ in range(2):
        assert "A new code is sent." in client.post("/login/code/new", follow_redirects=True).text
    last = code_from(gateway, world.parent.phone)
    response = client.post("/login/code/new")
    assert response.headers["Location"] == "/login/code"
    page = client.get("/login/code").text
    assert "Too many attempts. Try again in 15 min." in page
    assert "The last code we sent still works for 10 minutes after it was sent." in page
    assert "A new code is sent." not in page
    assert len(gateway.sent) == 3
    assert client.post("/login/code", data={"code": last}).status_code == 302


def test_asking_for_a_new_code_without_a_number_goes_back_to_the_start(client, gateway):
    response = client.post("/login/code/new", query_string={"next": "/my"})
    assert response.headers["Location"] == "/login?next=/my"
    assert gateway.sent == []


def test_the_code_page_offers_another_number_without_losing_the_page_after(world, client, gateway):
    client.post("/login", data={"phone": world.parent.phone}, query_string={"next": "/my"})
    assert 'href="/login?next=/my"' in client.get("/login/code", query_string={"next": "/my"}).text


def test_the_code_from_the_older_sms_is_said_to_be_replaced_on_the_page(world, client, gateway, clock):
    client.post("/login", data={"phone": world.parent.phone})
    first = code_from(gateway, world.parent.phone)
    clock.advance(minutes=1)
    client.post("/login/code/new")
    second = code_from(gateway, world.parent.phone)
    if first == second:
        pytest.skip("the two random codes happened to be equal")
    response = client.post("/login/code", data={"code": first})
    assert response.status_code == 422
    assert "That code was replaced by a newer one. Use the code in the newest SMS." in response.text
    assert client.post("/login/code", data={"code": second}).status_code == 302


def test_the_login_page_says_the_codes_already_sent_still_work_when_it_refuses_more(world, app, client, gateway):
    app.config["OTP_TTL_MINUTES"] = 7
    for _ in range(3):
        client.post("/login", data={"phone": world.parent.phone})
    response = client.post("/login", data={"phone": world.parent.phone})
    assert response.status_code == 429
    assert "The last code we sent still works for 7 minutes after it was sent." in response.text


def test_a_parents_meeting_on_one_wifi_all_get_their_codes(world, client, gateway):
    """Sixty families behind one address ask for codes in the same hour; the sixty-first waits."""
    for n in range(60):
        assert client.post("/login", data={"phone": f"+47912{n:05d}"}).status_code == 302, n
    refused = client.post("/login", data={"phone": "+4791299999"})
    assert refused.status_code == 429 and "Try again in 60 min." in refused.text
    assert len(gateway.sent) == 60


def test_one_address_asking_for_many_numbers_is_held_up(app, client, gateway, clock):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for i in range(CLIENT_SENDS):
        assert client.post("/login", data={"phone": f"+474500{i:04d}"}).status_code == 302
    assert client.post("/login", data={"phone": "+4745009999"}).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    assert other.post("/login", data={"phone": "+4745009999"}).status_code == 302
    clock.advance(hours=1, seconds=1)
    assert client.post("/login", data={"phone": "+4745009998"}).status_code == 302


def test_one_address_guessing_codes_is_held_up(world, app, client, gateway):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    tries = 0
    for i in range(GUESSED_NUMBERS):
        phone = f"+474600{i:04d}"
        asker = app.test_client()
        asker.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        with client.session_transaction() as session:
            session["login_phone"] = phone
        asker.post("/login", data={"phone": phone})
        code = code_from(gateway, phone)
        for _ in range(4):
            if tries < CLIENT_TRIES:
                assert client.post("/login/code", data={"code": wrong(code)}).status_code == 422
                tries += 1
    assert client.post("/login/code", data={"code": code}).status_code == 429


def test_the_login_code_page_without_a_number_goes_back_to_the_start(client):
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_logged_in_person_skips_the_login_page(world, login, client):
    login(world.parent)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nights"


def test_a_number_the_provider_rejects_gets_a_clear_message(world, twilio, twilio_gateway, client):
    twilio.fail_next(21211)
    response = client.post("/login", data={"phone": world.parent.phone})
    assert response.status_code == 422
    assert "could not send an SMS" in response.text


def test_the_rate_limit_counts_live_in_the_database(db, clock):
    # What makes the limit hold across gunicorn workers: the count is rows, not process memory.
    ask(db, clock)
    keys = set(db.scalars(select(RateEvent.key)))
    assert keys == {f"send:phone:{PHONE}", "send:client:192.0.2.1", "login-codes:everyone"}


# --- Several workers at once (PostgreSQL: real row locks, real concurrency). ---


def at_once(app, work, count: int) -> list:
    """Run `work(session)` in `count` threads released together, each with its own session and
    connection, as gunicorn workers would; returns what each returned or raised."""
    sessions = app.extensions["natteravn.sessions"]
    start = threading.Barrier(count)

    def run(_):
        with sessions() as session:
            start.wait()
            try:
                return work(session)
            except Exception as error:  # noqa: BLE001 — the outcome is what the test compares
                return error
            finally:
                session.commit()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL for real concurrency")
def test_workers_asking_at_once_cannot_pass_the_limit_together(app, clock):
    def ask_once(session):
        return service.request_code(session, PHONE, "192.0.2.1", clock(), secret=SECRET)

    outcomes = at_once(app, ask_once, 8)
    assert sum(isinstance(o, SmsMessage) for o in outcomes) == 3
    assert sum(isinstance(o, service.TooManyRequests) for o in outcomes) == 5


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL for real concurrency")
def test_workers_guessing_at_once_get_no_more_tries_than_one_would(app, db, clock):
    code = ask(db, clock)

    def guess(session):
        return service.verify_code(session, PHONE, wrong(code), "192.0.2.1", clock(), secret=SECRET, max_tries=5)

    outcomes = at_once(app, guess, 9)
    messages = sorted(str(o) for o in outcomes)
    assert messages.count("Wrong code. Check the SMS and try again.") == 4
    assert messages.count("Wrong code too many times. Ask for a new one.") == 5
    with pytest.raises(service.CodeRejected):
        verify(db, clock, code)


def test_the_tab_shows_the_services_icon(client):
    page = client.get("/login").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    served = client.get(icon)
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
