"""How much of other spinners' vocabulary the despinner's candidate table covers.

Usage: python bench/despin_tortured.py PATH_TO_TORTURED_PHRASES_CSV

The despinner only considers originals that WordNet relates to the word seen (the reverse spin
table, docs/despin.md), which fits spinners like seed 000's. The tortured-phrase list of the
Problematic Paper Screener (``pps_tortured_phrases.csv`` in ../shared/data/tortured-phrases:
tortured phrase, expected phrase, papers it was found in) records what other spinners did to
scientific papers ("profound learning" for deep learning). For each listed phrase with as many
words as its expected phrase, every word that differs is a spun word with a known original.
Printed for those words, counted once and weighted by the papers their phrase was found in:
the share whose original is among the table's candidates (what the despinner can restore at
all), and among those the share the context-free prior (frequency times channel, the order
candidates are kept in) already puts first; then, for the rest, the share that an inflected
form hides (the table knows "training" for "preparation" but not "training" for "preparing")
and the share that two steps through the table would reach.
"""

from __future__ import annotations

import argparse
import csv
import re
import shlex
import sys
from collections import Counter
from pathlib import Path

from nltk.corpus import wordnet

from storycheck.repair.despin import Despinner

QUOTED = re.compile(r'"([^"]+)"')
ASIDE = re.compile(r"\(.*?\)|\[.*?\]|\?")
WORDS = re.compile(r"^[a-z]+(?:[ -][a-z]+)*$")


def pairs(path: Path) -> Counter[tuple[str, str]]:
    """Papers per (word seen, original), over every differing word of same-length phrases."""
    out: Counter[tuple[str, str]] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            quoted = QUOTED.search(row["tortured_phrase"])
            expected = ASIDE.sub("", row["expected_phrase"]).strip().lower()
            if quoted is None or not WORDS.match(expected):
                continue
            seen = quoted.group(1).strip().lower()
            if not WORDS.match(seen):
                continue
            papers = int(row["num_papers"].replace(",", "") or 0)
            a, b = seen.replace("-", " ").split(), expected.replace("-", " ").split()
            if len(a) == len(b):
                for x, y in zip(a, b, strict=True):
                    if x != y:
                        out[(x, y)] += papers
    return out


def lemmas(word: str) -> set[str]:
    return {word} | {m for pos in "nvar" if (m := wordnet.morphy(word, pos))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", type=Path, help="pps_tortured_phrases.csv")
    args = parser.parse_args(argv)
    engine = Despinner()
    reverse = {k: {w for w, _ in v} for k, v in engine.table.reverse.items()}

    def reach(seen: str) -> set[str]:
        return reverse.get(seen, set())

    kinds: Counter[str] = Counter()
    papers: Counter[str] = Counter()
    for (seen, original), weight in pairs(args.csv).items():
        ranked = [c.text for c in engine.candidates(seen)]
        if original in ranked:
            first = ranked[0] == original
            kind = "a candidate, first by prior" if first else "a candidate, not first"
        elif original in reach(seen):
            kind = f"in the table, past the top {engine.params.top_k}"
        elif any(o in reach(s) for s in lemmas(seen) for o in lemmas(original)):
            kind = "hidden by inflection"
        elif any(original in reach(step) for step in reach(seen)):
            kind = "two steps away"
        else:
            kind = "out of reach"
        kinds[kind] += 1
        papers[kind] += weight
    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]]))
    total, weight = sum(kinds.values()), sum(papers.values())
    print(f"spun words with a known original: {total} (found in {weight:,} papers in all)")
    order = ("a candidate, first by prior", "a candidate, not first",
             f"in the table, past the top {engine.params.top_k}", "hidden by inflection",
             "two steps away", "out of reach")  # fmt: skip
    for kind in order:
        print(f"  {kind:30} {kinds[kind] / total:6.1%} of words, "
              f"{papers[kind] / weight:6.1%} weighted by papers")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
