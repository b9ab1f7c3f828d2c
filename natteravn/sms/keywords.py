"""What an SMS answer means: yes or no to the night we asked about, or STOPP, START or HJELP, however
it was typed, in bokmål, nynorsk, dialect or English.

The whole message is read, not only its first word: "Nei, jeg kommer likevel" starts with no and
means yes. A message is YES or NO only when everything in it that says yes or no agrees and it asks
nothing. Mixed ("Ja, men jeg kan ikke"), unsure ("kanskje") or asking ("Ja? Hva gjelder det?"), it
is UNKNOWN, and the answer asks for a plain JA or NEI: a misread NO gives away a place on a night
the person meant to walk, a misread YES counts on someone who will not come; asking costs one SMS."""

from __future__ import annotations

import re
import unicodedata

YES, NO, STOP, START, HELP, UNKNOWN = "YES", "NO", "STOP", "START", "HELP", "UNKNOWN"
#: Neither yes nor no, and enough to leave a message unclear: doubt, and words that take news
#: ("Ok, synd. God helg" to a night called off) rather than answer a question.
_UNSURE = "UNSURE"

# --- What people write, as they type it, phrases separated by commas. Tables and messages are
# read the same way (lower case, no accents or doubled letters, one spelling per word, filler words
# left out), so "kan ikke" also matches "Kan ikkje", "KAN ITJ" and "kan dessverre ikke". ---

# STOP, START and HELP are commands: the message's first word, the rest saying neither yes, no nor
# stop ("stopp takk" stops, "ikke stopp" does not). A stop word anywhere else leaves it unclear.
_NORWEGIAN = {
    STOP: "stopp, avmeld",
    START: "start",
    HELP: "hjelp, hjelpe",
    YES: """ja, jada, joda, jepp, japp, jupp, jess, ok, okei, greit, fint, flott, supert, topp, klart,
        gjerne, absolutt, selvfølgelig, selvsagt, sjølvsagt, bekreftet, bekrefter, kommer, komme, kjem,
        kjæm, er med, blir med, stiller, møter opp, på plass, passer, passar, høver, funker, går bra,
        går fint, går greit, rekker, sees, vi sees, gleder meg, ikke noe problem, ingen problem""",
    NO: """nei, næ, neppe, avbud, forfall, forhindret, syk, syke, sjuk, sjuke, kan ikke, får ikke til,
        går ikke, er ikke med, blir ikke med, blir ikke noe, har ikke tid, har ikke mulighet,
        har ikke anledning, passer dårlig, passar dårleg, må avlyse, må jobbe, bortreist,
        kanskje neste gang""",
    _UNSURE: """kanskje, muligens, mulig, kan hende, vet ikke, usikker, tja, tror, trur, hvis, viss,
        dersom, får se, kommer an på, kommer tilbake, ikke før,
        synd, leit, dumt, trist, kjedelig, takk for beskjed, takk for beskjeden, takk for info,
        takk for meldingen, takk for meldinga, skjønner, forstår, oppfattet, notert""",
}
_ENGLISH = {
    STOP: "stop, stopall, unsubscribe",
    START: "start, unstop",
    HELP: "help",
    YES: """yes, yeah, yep, yup, sure, ok, okay, of course, definitely, absolutely, confirmed, confirm,
        come, coming, be there, make it, i am in, count me in, see you, sounds good, works for me, fine,
        no problem, no worries, can not wait, looking forward""",
    NO: """nope, nah, can not, could not, unable, sick, ill, busy, no time, count me out, i am out,
        have to cancel, need to cancel, maybe next time""",
    _UNSURE: """maybe, perhaps, possibly, probably, might, not sure, unsure, do not know, dunno, if,
        depends, we will see, not before, not until,
        too bad, pity, shame, thanks for letting me know, thanks for the info, noted, understood""",
}
#: Everyday words that are a command only as the whole message: "End time?" is no opt-out.
_WHOLE_MESSAGE_COMMANDS = {"end": STOP, "quit": STOP, "info": HELP}
#: Yes or no only as the message's first word: "no" is also nynorsk for "now" ("eg kjem no"), and
#: "jo" a filler mid-sentence ("jeg kan jo ikke").
_OPENERS = {"no": NO, "n": NO, "y": YES, "jo": YES}
#: A negation in a clause turns its yes into no: "kommer ikke", "passer ikkje", "not coming".
_NEGATIONS = "ikke, aldri, not, never"
#: A clause that starts with one of these asks something, question mark or not.
_QUESTION_WORDS = {
    "nb/nn": "hva, hvem, hvor, hvorfor, hvordan, hvilken, hvilke, når, kva, kven, kor, korleis, kvifor, kvar, ka",
    "en": "what, who, where, when, why, how, which",
}
#: Words that change nothing, left out so that "kan dessverre ikke" reads as "kan ikke".
_FILLERS = """dessverre, desverre, likevel, allikevel, alikevel, uansett, altså, nok, vel, da, bare,
    unfortunately, sadly, really, just, actually, still, anyway"""
#: One spelling for each word: dialect and nynorsk forms, English short forms ("can't" is "ca not").
_SPELLINGS = {
    "ikke": "ikkje, ikkj, itj, ittj, itte, ikk, inte",
    "komme": "kome",
    "vet": "veit",
    "nei": "næi, nej",
    "can": "ca",
    "will": "wo",
    "can not": "cannot, cant",
    "will not": "wont",
    "do not": "dont",
    "i am": "im",
}
#: Emoji that answer as well as a word does.
_EMOJI = {"👍": "ja", "👌": "ja", "✅": "ja", "👎": "nei", "❌": "nei"}
#: Everyday words that tell which language a message is in, beyond the tables above.
_EVERYDAY = {
    "nb/nn": "jo, jeg, eg, du, er, det, hei, takk, hilsen, ikke, feil, nummer",
    "en": "no, y, end, quit, i, you, is, it, the, this, hi, hello, thanks, please",
}

_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n]+|\b(?:men|but)\b")
_CONTRACTIONS = ((re.compile(r"n't\b"), " not"), (re.compile(r"'ll\b"), " will"), (re.compile(r"'m\b"), " am"))


def _fold(text: str) -> str:
    """No accents or doubled letters: "Jå!!", "JAAA", "já" all read "ja"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"(.)\1+", r"\1", plain)


def _listed(phrases: str) -> list[str]:
    return [" ".join(phrase.split()) for phrase in phrases.split(",")]


_SAME_AS = {
    _fold(spelling): _fold(word).split() for word, spellings in _SPELLINGS.items() for spelling in _listed(spellings)
}
_LEFT_OUT = {_fold(word) for word in _listed(_FILLERS)}


def _clauses(text: str) -> list[list[str]]:
    """The message's words, clause by clause, as the tables are written."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, f" {word} ")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    clauses = []
    for clause in _CLAUSE_BREAK.split(_fold(text)):
        words = [same for word in re.findall(r"[^\W\d_]+", clause) for same in _SAME_AS.get(word, [word])]
        if words := [word for word in words if word not in _LEFT_OUT]:
            clauses.append(words)
    return clauses


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(word for clause in _clauses(text) for word in clause)


def _words(phrases: str) -> set[str]:
    return {word for phrase in _listed(phrases) for word in _phrase(phrase)}


_LANGUAGES = {"nb/nn": _NORWEGIAN, "en": _ENGLISH}
_MEANINGS = {
    _phrase(phrase): meaning
    for table in _LANGUAGES.values()
    for meaning, phrases in table.items()
    if meaning not in (START, HELP)
    for phrase in _listed(phrases)
}
_LONGEST = max(map(len, _MEANINGS))
_COMMAND_OF = {
    _phrase(word)[0]: command
    for table in _LANGUAGES.values()
    for command in (STOP, START, HELP)
    for word in _listed(table[command])
}
_NEGATION = _words(_NEGATIONS)
_QUESTION = _words(", ".join(_QUESTION_WORDS.values()))


def keyword_of(body: str) -> str:
    """YES, NO, STOP, START, HELP, or UNKNOWN when the message is unclear, mixed or a question."""
    clauses = _clauses(body or "")
    if not clauses:
        return UNKNOWN
    first = clauses[0][0]
    only_word = len(clauses) == 1 and len(clauses[0]) == 1
    command = _COMMAND_OF.get(first) or (_WHOLE_MESSAGE_COMMANDS.get(first) if only_word else None)
    if command:
        rest = [clauses[0][1:], *clauses[1:]]
        return command if _meanings(rest) <= {command} else UNKNOWN
    if "?" in body or any(clause[0] in _QUESTION for clause in clauses):
        return UNKNOWN
    meanings = _meanings(clauses, opening=True)
    return meanings.pop() if meanings in ({YES}, {NO}) else UNKNOWN


def _meanings(clauses: list[list[str]], *, opening: bool = False) -> set[str]:
    return set().union(*(_clause_meanings(words, opening and at == 0) for at, words in enumerate(clauses)))


def _clause_meanings(words: list[str], opening: bool) -> set[str]:
    """What one clause says, reading its longest phrases first ("kommer an på" is not "kommer").
    A negation outside a yes-phrase ("ikke noe problem" is one) turns the clause's yes into no."""
    meanings, negated, at = set(), False, 0
    while at < len(words):
        length = next((n for n in range(_LONGEST, 0, -1) if tuple(words[at : at + n]) in _MEANINGS), 1)
        phrase = tuple(words[at : at + length])
        meaning = _MEANINGS.get(phrase) or (_OPENERS.get(phrase[0]) if opening and at == 0 else None)
        if meaning != YES:
            negated = negated or not _NEGATION.isdisjoint(phrase)
        if meaning:
            meanings.add(meaning)
        at += length
    if negated and YES in meanings:
        meanings = (meanings - {YES}) | {NO}
    return meanings


def _vocabulary(language: str) -> set[str]:
    return _words(", ".join([*_LANGUAGES[language].values(), _QUESTION_WORDS[language], _EVERYDAY[language]]))


# A word both languages use ("ok", "start") tells nothing.
_ONLY_ENGLISH = _vocabulary("en") - _vocabulary("nb/nn")
_ONLY_NORWEGIAN = _vocabulary("nb/nn") - _vocabulary("en")


def written_in_english(body: str) -> bool:
    """More of the message's words are English than Norwegian: the language to answer a stranger in."""
    words = [word for clause in _clauses(body or "") for word in clause]
    return sum(word in _ONLY_ENGLISH for word in words) > sum(word in _ONLY_NORWEGIAN for word in words)
