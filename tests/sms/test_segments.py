"""What an SMS costs: GSM-7 texts fit 160 characters, 153 a part when split; anything outside the
GSM alphabet (an emoji) makes the whole text UCS-2, 70 characters, 67 a part."""

import pytest

from natteravn.sms.segments import count_segments


def test_norwegian_letters_are_gsm_7():
    assert count_segments("Blåbærsyltetøy på Ærøy, ÆØÅ") == ("GSM-7", 1)


@pytest.mark.parametrize(("length", "parts"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm_7_splits_into_parts_of_153(length, parts):
    assert count_segments("å" * length) == ("GSM-7", parts)


def test_extension_characters_count_double():
    assert count_segments("€" * 80) == ("GSM-7", 1)
    assert count_segments("€" * 80 + "a") == ("GSM-7", 2)
    assert count_segments("[" * 81) == ("GSM-7", 2)  # 162 septets


def test_an_emoji_makes_the_text_ucs_2():
    assert count_segments("Takk for i kveld 🙂") == ("UCS-2", 1)


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs_2_splits_into_parts_of_67(length, parts):
    assert count_segments("ж" * length) == ("UCS-2", parts)


def test_an_emoji_takes_two_ucs_2_units():
    assert count_segments("🙂" * 35) == ("UCS-2", 1)
    assert count_segments("🙂" * 36) == ("UCS-2", 2)
