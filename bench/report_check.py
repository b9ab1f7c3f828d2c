"""The check for identifying details on a very long night report.

    python bench/report_check.py [--runs 7] [--words 40000]

Builds a report of ordinary sentences from night walks with, now and then, a name, an age, a school class,
a user name or a phone number in it, and times `redaction.flags()` on it (median of the runs), first on a
fifth of the words and then on all of them, so the two figures show how the time grows with the length.

Last line: words=<words> ms=<median> flags=<count>.
"""

from __future__ import annotations

import argparse
import random
import statistics
from time import perf_counter

from natteravn.reports.redaction import flags, known_words

ORDINARY = [
    "Rolig kveld, ca. 15 ungdommer ved Flisa sentrum.",
    "Vi snakket med noen gutter ved bensinstasjonen.",
    "Politiet kom kl. 23.40 og ble en stund.",
    "To jenter trengte følge hjem, vi gikk med dem til bussen.",
    "Fredag var det mye folk på Torget, men stemningen var god.",
    "Per i dag ingen hendelser å melde fra Kirkenær stasjon.",
    "Det regnet hele kvelden, så det var få ute.",
    "Noen hadde knust en flaske ved skolen, vi ryddet opp glasset.",
    "En gruppe på 3 gutter spurte om vi hadde vann.",
    "Vi delte ut 20 stk refleksbånd ved Kiwi.",
    "Storm og regn, kort runde i sentrum.",
    "Mange spurte hva natteravnene gjør, og vi fortalte om oss.",
    "Ungdommene var hyggelige og takket for kaffen.",
    "Runden gikk fra Kjellmyra butikk via skolen til Coop.",
    "Barnevernsvakten ble varslet om en ungdom som var alene.",
]
IDENTIFYING = [
    "Emma fra 9A var full.",
    "Snakket med jonas hansen (14) ved kiosken.",
    "Mohammed og Sara satt på benken.",
    "Sønnen til rektor ble hentet av faren.",
    "Han sa at snappen hans er @jonas_h.",
    "En 15-åring i 10B ringte 912 34 567.",
    "Hun bor i Storgata 12, sa hun.",
    "Jente på 14 med rød jakke gråt.",
]


def report(words: int, rng: random.Random) -> str:
    """Exactly `words` words of ordinary sentences, about one in twelve with something identifying."""
    written: list[str] = []
    while len(written) < words:
        written += rng.choice(IDENTIFYING if rng.random() < 1 / 12 else ORDINARY).split()
    return " ".join(written[:words])


def measure(text: str, allowed: frozenset[str], runs: int) -> tuple[float, int]:
    timings, found = [], []
    for _ in range(runs):
        begun = perf_counter()
        found = flags(text, allowed)
        timings.append((perf_counter() - begun) * 1000)
    return statistics.median(timings), len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=int, default=40_000)
    args = parser.parse_args()
    allowed = known_words(["Flisa sentrum", "Flisa skysstasjon", "Kirkenær stasjon", "Kjellmyra butikk"])
    for words in (args.words // 5, args.words):
        text = report(words, random.Random(2026))
        median, count = measure(text, allowed, args.runs)
        print(f"words={len(text.split())} ms={median:.1f} flags={count}")


if __name__ == "__main__":
    main()
