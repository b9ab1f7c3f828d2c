"""Reading what parents text back: the whole message, in bokmål, nynorsk, dialect or English. Only a
clear yes or no acts on a night; anything mixed, unsure or asking is UNKNOWN and gets a question back."""

from __future__ import annotations

import pytest

from natteravn.sms.keywords import HELP, NO, START, STOP, UNKNOWN, YES, keyword_of, written_in_english


@pytest.mark.parametrize(
    "body",
    [
        "Ja",
        "JA!",
        "ja takk",
        "Ja takk!",
        "jaaa",
        "Jada, jeg kommer",
        "Joda",
        "Jepp",
        "Japp!",
        "Jo",
        "Jo, jeg kommer",
        "Ok",
        "Greit 👍",
        "👍",
        "👍🏽",
        "Det passer fint",
        "Passer bra for meg",
        "Det går fint",
        "Kommer!",
        "jeg kommer",
        "Jeg kommer likevel",
        "Jeg kommer, men blir litt sen",
        "Ja, vi sees",
        "Vi sees på fredag!",
        "Jeg er med",
        "Blir med!",
        "Stiller!",
        "Selvfølgelig kommer jeg",
        "Ikke noe problem, jeg kommer",
        "Ikke noe problem jeg kommer",
        "Hei! Ja, jeg kommer. Mvh Per",
        "Ja\nHilsen Kari",
        "Gleder meg",
        "eg kjem",
        "Eg kjem no",  # nynorsk "no" is "now"
        "Ja, det passar fint",
        "Det høver bra",
        "Æ kjæm",
        "Yes",
        "Y",
        "Yes I'll be there",
        "Yep, see you Friday",
        "Sure, count me in",
        "I'll be there",
        "No problem, I'll be there",
        "Can't wait!",
    ],
)
def test_a_clear_yes(body):
    assert keyword_of(body) == YES


@pytest.mark.parametrize(
    "body",
    [
        "Nei",
        "NEI!",
        "nei takk",
        "Nei dessverre",
        "Nei, jeg kan dessverre ikke",
        "Kan ikke likevel",
        "Kan ikke",
        "kan ikkje",
        "Eg kan ikkje",
        "Eg kjem ikkje",
        "Æ kjæm itj",
        "Jeg kommer ikke",
        "Kommer ikke likevel",
        "Jeg kan dessverre ikke komme på fredag likevel. Beklager! Hilsen Ola",
        "Jeg har ikke mulighet til å komme",
        "Har ikke tid denne gangen",
        "Det passer ikke",
        "Det passer dårlig",
        "Funker ikke for meg",
        "Jeg er ikke med",
        "Jeg må melde avbud",
        "Må dessverre melde forfall",
        "Beklager, blir syk",
        "Ungene er syke",
        "Eg er sjuk",
        "Må jobbe",
        "Nei, kanskje neste gang",
        "👎",
        "No",
        "n",
        "No, sorry",
        "Nope",
        "Sorry, can't make it",
        "I can't come",
        "I cannot come",
        "I won't be able to make it",
        "Not coming, sorry",
        "I'm sick",
    ],
)
def test_a_clear_no(body):
    assert keyword_of(body) == NO


@pytest.mark.parametrize(
    "body",
    [
        "Nei, jeg kommer likevel",  # starts with no, means yes: asked, never cancelled
        "Nei jeg kommer likevel",
        "ja men jeg kan ikke",
        "Ja, men jeg kan ikke",
        "Yes, but I can't stay long",
        "Jeg kommer, men kan ikke bli hele kvelden",
        "Kan ikke fredag, men lørdag kommer jeg",
        "Ja nei",
        "kanskje",
        "Kommer kanskje",
        "vet ikke",
        "Veit ikkje",
        "Usikker, sjekker med jobben",
        "Kommer an på jobben",
        "Jeg kommer tilbake til deg",
        "Jeg kommer ikke før 23",
        "Ja, hvis det trengs",
        "Maybe",
        "Not sure yet",
        "I don't know",
        "Ja? Hva gjelder det?",
        "Hva er dette?",
        "Hvem er dette",
        "Når starter vi",
        "Kommer du også?",
        "Kva tid?",
        "Who is this?",
        "Hei, hva skjer?",
        "Takk for påminnelsen",
        "Hei",
        "Ok, men jeg kan ikke",
        "",
        "   ",
        "!!!",
        "Dessverre",
        # Taking news, not answering a question: to a night called off, no JA to another's call.
        "Ok, synd. God helg",
        "Greit, takk for beskjed",
        "Skjønner, leit",
        "Too bad, ok",
        "Ok, thanks for letting me know",
    ],
)
def test_mixed_unsure_or_asking_is_unknown(body):
    assert keyword_of(body) == UNKNOWN


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("Stopp", STOP),
        ("STOPP", STOP),
        ("STOPP!!!", STOP),
        ("stopp takk", STOP),
        ("Stopp å sende meg sms", STOP),
        ("STOP", STOP),
        ("Stop please", STOP),
        ("stopall", STOP),
        ("Unsubscribe", STOP),
        ("END", STOP),
        ("quit", STOP),
        ("start", START),
        ("START", START),
        ("Start igjen", START),
        ("unstop", START),
        ("hjelp", HELP),
        ("HJELP", HELP),
        ("Hjelp, hva er dette?", HELP),
        ("help?", HELP),
        ("info", HELP),
    ],
)
def test_commands_are_the_first_word(body, command):
    assert keyword_of(body) == command


@pytest.mark.parametrize(
    "body",
    [
        "ikke stopp",
        "Nei, ikke stopp",
        "Vennligst stopp",
        "Stopp, jeg kommer",  # opt out, or a yes? asked
        "Stopp, jeg kan ikke komme",
        "End time?",
        "Info om lørdag",
    ],
)
def test_a_stop_word_anywhere_else_or_with_a_yes_or_no_is_unclear(body):
    assert keyword_of(body) == UNKNOWN


@pytest.mark.parametrize(
    ("body", "english"),
    [
        ("Yes I'll be there", True),
        ("Sorry, can't make it", True),
        ("Who is this?", True),
        ("help?", True),
        ("Y", True),
        ("Ja, jeg kommer", False),
        ("Hva er dette?", False),
        ("hjelp", False),
        ("Ok", False),  # both languages: the sender's own language is used
        ("start", False),
        ("", False),
    ],
)
def test_the_language_of_a_message(body, english):
    assert written_in_english(body) is english
