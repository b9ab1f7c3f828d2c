"""The console gateway, the default: a server left on it must not write phone numbers, login codes
or login links into its log, while the demo and debug runs show them so people can log in."""

from __future__ import annotations

import logging

from natteravn.sms.gateway import ConsoleGateway, make_gateway, masked_number, masked_text
from tests.conftest import last_sms_to, log_in


def test_numbers_keep_only_their_country_and_four_digits():
    assert masked_number("+4792345601") == "+47 92 ** ** 01"
    assert masked_number("+46701234567") == "+46 70 ** ** * 67"
    assert masked_number("not a number") == "************"


def test_texts_lose_their_codes_and_the_signed_part_of_links():
    assert masked_text("Your Natteravn code is 123456. It is valid for 10 minutes.") == (
        "Your Natteravn code is ******. It is valid for 10 minutes."
    )
    assert masked_text("Write the report: https://natteravn.example/r/WzEsMl0.AbCdEfGhIjKlMnOp") == (
        "Write the report: https://natteravn.example/r/…"
    )
    assert masked_text("Flisa sentrum on 20.11 at 22:00. Details: https://natteravn.example/nights/12") == (
        "Flisa sentrum on 20.11 at 22:00. Details: https://natteravn.example/nights/12"
    )


def test_the_log_is_masked_but_what_was_sent_is_kept_whole(caplog, capsys):
    gateway = ConsoleGateway()
    with caplog.at_level(logging.INFO):
        gateway.send("+4792345601", "Your Natteravn code is 123456.")
    assert gateway.sent == [("+4792345601", "Your Natteravn code is 123456.")]
    printed = caplog.text + capsys.readouterr().out
    assert "+47 92 ** ** 01" in printed and "******" in printed
    assert "123456" not in printed and "+4792345601" not in printed


def test_debug_and_testing_show_numbers_and_codes(capsys):
    assert make_gateway({"SMS_GATEWAY": "console", "TESTING": True}).reveal
    assert make_gateway({"SMS_GATEWAY": "console", "DEBUG": True}).reveal
    assert not make_gateway({"SMS_GATEWAY": "console"}).reveal
    ConsoleGateway(reveal=True).send("+4792345601", "Your Natteravn code is 123456.")
    assert "[SMS to +4792345601] Your Natteravn code is 123456." in capsys.readouterr().out


def test_logging_in_leaves_no_code_in_any_log_line(client, gateway, world, caplog, capsys):
    with caplog.at_level(logging.DEBUG):
        log_in(client, gateway, world.parent.phone)
    code = last_sms_to(gateway, world.parent.phone).split("code is ")[1][:6]
    assert code.isdigit()
    assert code not in caplog.text + capsys.readouterr().out
