"""What the check of a night report flags as possibly identifying a young person, and what it leaves alone.

The flagged sentences come from an audit of real reports; the clean ones are what group leaders ordinarily
write. A flag only asks the coordinator to look, so each rule is tested both ways."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natteravn.reports import redaction
from natteravn.reports.redaction import (
    FLAG_ADDRESS,
    FLAG_AGE,
    FLAG_CLASS,
    FLAG_DESCRIPTION,
    FLAG_EMAIL,
    FLAG_LABELS,
    FLAG_NAME,
    FLAG_PHONE,
    FLAG_RELATIVE,
    FLAG_USERNAME,
    flags,
    known_words,
    redact,
)

PLACES = known_words(["Flisa sentrum", "Flisa skysstasjon", "Kirkenær stasjon", "Kjellmyra butikk", "Grue"])


def found(text: str, allowed: frozenset[str] = PLACES) -> list[tuple[str, str]]:
    return [(flag.kind, flag.text) for flag in flags(text, allowed)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Emma fra 9A var full", [(FLAG_NAME, "Emma"), (FLAG_CLASS, "9A")]),
        ("Emma (14)", [(FLAG_NAME, "Emma"), (FLAG_AGE, "(14)")]),
        ("jonas hansen (14)", [(FLAG_NAME, "jonas hansen"), (FLAG_AGE, "(14)")]),
        ("Snappen hans er @jonas_h", [(FLAG_USERNAME, "@jonas_h")]),
        ("Sønnen til rektor var med.", [(FLAG_RELATIVE, "Sønnen til rektor")]),
        ("Mohammed og Sara satt på benken.", [(FLAG_NAME, "Mohammed"), (FLAG_NAME, "Sara")]),
    ],
)
def test_what_the_audit_found_is_flagged(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Rolig kveld, ca. 15 ungdommer ved Flisa sentrum.",
        "Vi snakket med noen gutter ved bensinstasjonen.",
        "Politiet kom kl. 23.40.",
        "To jenter trengte følge hjem.",
        "Fredag var det mye folk på Torget.",
        "Per i dag ingen hendelser.",
        "Storm og regn, kort runde.",
        "Sol og pent vær.",
        "Bakken var glatt ved skolen.",
        "Lykke til med neste runde!",
        "Mye liv i sentrum etter kampen.",
        "Vi fant en tom flaske og noen stein ved Kiwi.",
        "Hans bror var ikke med i kveld.",
        "En gruppe på 3 gutter spurte om vi hadde vann.",
        "Vi delte ut ca. 20 stk refleksbånd.",
        "14 ungdommer ved Kirkenær stasjon, alle rolige.",
        "Ungdommer mellom 13 og 15 år, noen 16-17 år.",
        "Jeg har gått natteravn i 3 år.",
        "For 2 år siden var det mer bråk.",
        "Mange 15-åringer ute i kveld.",
        "Ungdommer (12) samlet ved Coop.",
        "Vi fulgte jenta til bussen.",
        "En gutt falt i bakken 2 ganger, men var uskadd.",
        "Vi var på vei 2 ganger til stasjonen.",
        "Han var 2 ganger innom kiosken.",
        "Hun var 10 min unna da vi ringte.",
        "Han var 40 og hyggelig, en far som lette etter sønnen.",
        "Ho var 1 av 3 som hjelpte til.",
        "Runden gikk fra Kjellmyra butikk via skolen til Flisa skysstasjon.",
        "Barnevernvakta ble varslet, og Legevakta tok over.",
        "Noen hadde delt bilder på snap hele kvelden.",
        "Det var kaldt, så vi gikk en kortere runde.",
        "Kan vera fint å ha noko anna å gjere.",
        "Ungdommene var hyggelige og takket for kaffen.",
        "Stemningen var god. Ingen trengte hjelp.",
        "- Skolen\n- Sentrum\n- Torget",
        "",
    ],
)
def test_ordinary_report_sentences_stay_clean(text):
    assert found(text) == []


def test_a_walkers_own_name_is_flagged_too():
    # A report is read beyond the night's group: the coordinator decides whether a walker's name stays.
    assert found("Kari og jeg gikk runden.") == [(FLAG_NAME, "Kari")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vi snakket med Per ved skolen.", [(FLAG_NAME, "Per")]),  # capitalised mid-sentence
        ("Per Hansen var der.", [(FLAG_NAME, "Per Hansen")]),  # next to another name
        ("per hansen var der", [(FLAG_NAME, "per hansen")]),
        ("Liv (14) var lei seg.", [(FLAG_NAME, "Liv"), (FLAG_AGE, "(14)")]),  # next to an age
        ("Liv Storm Hansen", [(FLAG_NAME, "Liv Storm Hansen")]),
        ("Anna fra 9A", [(FLAG_NAME, "Anna"), (FLAG_CLASS, "9A")]),  # "anna" is Nynorsk, "Anna" a name
        ("Emmas bror var med", [(FLAG_RELATIVE, "Emmas bror")]),
        ("Anne-Marie var der", [(FLAG_NAME, "Anne-Marie")]),
        ("HASSAN VAR DER", [(FLAG_NAME, "HASSAN")]),
        ("Vi møtte Kowalski ved stasjonen.", [(FLAG_NAME, "Kowalski")]),  # on no list, but capitalised
    ],
)
def test_names_in_any_case_and_everyday_words_only_where_they_read_as_names(text, expected):
    assert found(text) == expected


def test_the_regions_own_place_names_are_not_names():
    text = "Mange samlet ved Sandvik i kveld."
    assert found(text) == [(FLAG_NAME, "Sandvik")]
    assert found(text, PLACES | known_words(["Sandvik sentrum"])) == []


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("Hun var (14 år) og alene.", "(14 år)"),
        ("Han sa han var 14 år.", "14 år"),
        ("En 14-åring ringte.", "14-åring"),
        ("Hun er 15 år gammel.", "15 år gammel"),
        ("He was 14 years old.", "14 years old"),
        ("We met someone aged 14.", "aged 14"),
    ],
)
def test_ages(text, age):
    assert found(text) == [(FLAG_AGE, age)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Emma Hansen (15, 9B at Åsnes ungdomsskole) was very drunk.",
            [(FLAG_NAME, "Emma Hansen"), (FLAG_AGE, "(15"), (FLAG_CLASS, "9B")],
        ),
        ("Jonas (15 years, 9B) was alone.", [(FLAG_NAME, "Jonas"), (FLAG_AGE, "(15 years"), (FLAG_CLASS, "9B")]),
        ("Jonas, 15, was drunk.", [(FLAG_NAME, "Jonas"), (FLAG_AGE, "15")]),
        ("We met Emma, 15.", [(FLAG_NAME, "Emma"), (FLAG_AGE, "15")]),
        ("En gutt, 15, var full.", [(FLAG_AGE, "15")]),
        ("Hun var 15 år og alene.", [(FLAG_AGE, "15 år")]),
        ("A 15-year-old was sick.", [(FLAG_AGE, "15-year-old")]),
        ("She is 15 years old.", [(FLAG_AGE, "15 years old")]),
    ],
)
def test_an_age_next_to_a_person_is_flagged_in_each_way_it_is_written(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Around 00.15 at the bridge.",
        "Kl. 00.15, ved brua.",
        "(00.15, Flisa sentrum) rolig.",
        "We met 15 youths at the station.",
        "Ungdommer (15, mest gutter) ved kiosken.",
        "Fredag, 15 ungdommer ved Coop.",
        "Flisa, 15, 16 grader og oppholdsvær.",
        "Quiet, as in 2015 (2015, 2016 too).",
        "We walked (15 min) along the river.",
    ],
)
def test_times_counts_and_years_are_no_ages(text):
    assert found(text) == []


def test_ages_are_up_to_twenty_five():
    assert found("Han var 30 år.") == []


@pytest.mark.parametrize("text", ["9A", "10B", "8c", "fra 10B", "i 9. klasse", "9.klasse", "klasse 9A", "går på vg2"])
def test_school_classes(text):
    assert [kind for kind, _text in found(text)] == [FLAG_CLASS]


@pytest.mark.parametrize(
    ("text", "user_name"),
    [
        ("@jonas_h", "@jonas_h"),
        ("snap: jonas_h", "jonas_h"),
        ("Snapen hans heter jonash", "jonash"),
        ("insta jonas.h2009", "jonas.h2009"),
        ("tiktok er emma_2009", "emma_2009"),
    ],
)
def test_user_names(text, user_name):
    assert found(text) == [(FLAG_USERNAME, user_name)]


def test_e_mail_addresses_and_phone_numbers():
    assert found("Skriv til emma.h@example.no eller ring 912 34 567.") == [
        (FLAG_EMAIL, "emma.h@example.no"),
        (FLAG_PHONE, "912 34 567"),
    ]
    assert found("+47 91234567") == [(FLAG_PHONE, "+47 91234567")]


@pytest.mark.parametrize(
    "address", ["Storgata 12", "storgata 12", "Kirkevegen 3B", "Parkveien 7", "Skogstien 4", "Jonas Lies vei 12"]
)
def test_addresses(address):
    assert found(f"Hun bor i {address}.") == [(FLAG_ADDRESS, address)]


@pytest.mark.parametrize(
    "relative",
    [
        "sønnen til rektor",
        "datteren til en lærer",
        "broren til Per Hansen",
        "søsteren til han",
        "kjæresten til ordføreren",
        "barnet til naboen",
        "lillebroren til treneren",
        "rektor sin sønn",
        "naboens datter",
        "the son of the headmaster",
        "the headmaster's daughter",
    ],
)
def test_someone_described_through_a_relative(relative):
    assert [kind for kind, _text in found(f"Vi snakket med {relative} i kveld.")] == [FLAG_RELATIVE]


def test_descriptions_of_a_person_are_still_flagged():
    assert found("Snakket med Mona, jente på 14 med rød jakke.") == [
        (FLAG_NAME, "Mona"),
        (FLAG_DESCRIPTION, "jente på 14"),
        (FLAG_DESCRIPTION, "jakke"),
    ]
    assert found("Blondt hår og svart hettegenser, ca. 185 cm.") == [
        (FLAG_DESCRIPTION, "Blondt hår"),
        (FLAG_DESCRIPTION, "hettegenser"),
        (FLAG_DESCRIPTION, "185 cm"),
    ]


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Ei jente på ca. 15 gret.", "jente på ca. 15"),
        ("Ho var 15 og full.", "ho var 15"),
        ("Han var omtrent 14 og lei seg.", "han var omtrent 14"),
        ("Ein høg gut sto ved kiosken.", "høg gut"),
        ("A girl of about 15 was crying.", "girl of about 15"),
    ],
)
def test_a_guessed_age_or_an_age_after_he_or_she_is_flagged(text, described):
    assert (FLAG_DESCRIPTION, described) in [(kind, part.lower()) for kind, part in found(text)]


def test_redacting_takes_out_every_flagged_part_and_leaves_the_rest():
    assert redact("Emma (14) fra 9A var full.", PLACES) == "[…] […] fra […] var full."
    # Overlapping flags are taken out as one, so nothing of the age is left behind.
    assert redact("Hun var jente på 14 år, sa hun.") == "Hun var […], sa hun."
    assert redact("Rolig kveld ved Flisa sentrum.", PLACES) == "Rolig kveld ved Flisa sentrum."


def test_every_kind_of_flag_has_a_label():
    text = "Emma (14) fra 9A, @emma_h, emma@example.no, 912 34 567, Storgata 12, sønnen til rektor, rød jakke."
    kinds = {flag.kind for flag in flags(text)}
    assert kinds == set(FLAG_LABELS)
    assert all(flag.label for flag in flags(text))


def test_everyday_names_are_names_from_the_lists():
    assert redaction.EVERYDAY_NAMES <= redaction.NAMES
    assert {"mohammed", "sara", "emma", "noah", "jonas", "hansen", "nguyen"} <= redaction.NAMES


FRAGMENTS = [
    "Emma", "per", "Per", "Hansen", "(14)", "14 år", "9A", "klasse", "@", "@jonas_h", "snap:", "sønnen", "til",
    "sin", "Storgata", "12", "vei", "hår", "jakke", "jente på", "+47", "912 34 567", "İ", "Æ", "-", "'s", ".",
    "\n", "(", ")", "år", "gammel", "aged", "s", "of", "the",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)),
        max_size=40,
    ),
    st.lists(st.sampled_from([" ", "", "  ", ", ", ". ", "\n", "-"]), min_size=1, max_size=40),
)
def test_any_text_gives_flags_that_lie_in_it_and_do_not_overlap(pieces, separators):
    text = "".join(piece + separators[index % len(separators)] for index, piece in enumerate(pieces))
    found_flags = flags(text, PLACES)
    end = 0
    for flag in found_flags:
        assert end <= flag.start < flag.end <= len(text)
        assert flag.text == text[flag.start : flag.end]
        assert flag.label
        end = flag.end
    redacted = redact(text, PLACES)
    assert redacted.count(redaction.REDACTED) >= len(found_flags)
