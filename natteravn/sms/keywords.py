"""What a short SMS answer means: JA, NEI, STOPP, START or HJELP, however it was typed."""

from __future__ import annotations

import re
import unicodedata

YES, NO, STOP, START, HELP, UNKNOWN = "YES", "NO", "STOP", "START", "HELP", "UNKNOWN"

_WORDS = {
    YES: {"ja", "jaa", "jo", "yes", "y"},
    NO: {"nei", "no", "n", "næ", "nope"},
    STOP: {"stopp", "stop", "stopall", "avmeld", "unsubscribe", "end", "quit"},
    START: {"start", "unstop"},
    HELP: {"hjelp", "help", "info", "hjelpe"},
}
#: Keywords written in English, for answering someone whose language is not known.
ENGLISH = {"yes", "y", "no", "nope", "stop", "stopall", "unsubscribe", "end", "quit", "start", "unstop", "help"}


def _folded(text: str) -> str:
    """Lower case without accents or doubled letters: "Jå!!", "JAAA", "já" all read "ja"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"(.)\1+", r"\1", plain)


_LOOKUP = {_folded(word): keyword for keyword, words in _WORDS.items() for word in words}


def first_word(body: str) -> str:
    match = re.search(r"[^\W\d_]+", unicodedata.normalize("NFKC", body or ""))
    return match.group(0) if match else ""


def keyword_of(body: str) -> str:
    """YES, NO, STOP, START, HELP, or UNKNOWN for anything else."""
    return _LOOKUP.get(_folded(first_word(body)), UNKNOWN)


def written_in_english(body: str) -> bool:
    return _folded(first_word(body)) in {_folded(w) for w in ENGLISH}
