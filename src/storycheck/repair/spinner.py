"""A WordNet article spinner of our own, for tests, benchmarks and the demo's spun copy.

It behaves like the spinners found in the wild (see seed 000: in->successful, he->helium,
as->arsenic): every word type that is a WordNet lemma gets *one* replacement per dictionary,
drawn from the lemmas of any of its synsets (wrong senses included) or of linked synsets, so the
output keeps the word count roughly but loses the meaning. Function words are spun too; only a
short stop list of words real spinners leave alone is exempt. A dictionary is a pure function of
``seed`` and the word, so the same seed spins every document the same way (as one spinner
account would) and different seeds give unseen dictionaries for held-out benchmarks.

Returns the spun text and the ground truth: which output spans replaced which input words.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from storycheck.repair.wordnet import SpinTable, load_table

# Words seed 000's spinner never touched although WordNet lists them (a, the, of, to, and, ...).
DEFAULT_STOPWORDS = frozenset(
    "a the of to and is was for with by from that it are i not this were has have "
    "had been do does did but if so than its their his her they we you she there's".split()
)
# A word: letters/digits, with inner hyphens or apostrophes. Numbers with separators (1,400 or
# 3.5) are one token so that their parts are never spun on their own.
TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class SpinSettings:
    """How aggressively to spin; defaults mimic seed 000 (about a quarter of tokens changed)."""

    seed: int = 0
    keep_share: float = 0.3  # share of spinnable word types left alone
    linked_share: float = 0.3  # share of replacements drawn from linked synsets/derivations
    phrase_share: float = 0.5  # share of multi-word lemmas ("prime minister") spun as a unit
    touch_capitalized: bool = False  # spin Capitalized words too (case kept); off like seed 000
    stopwords: frozenset[str] = field(default=DEFAULT_STOPWORDS)


@dataclass(frozen=True)
class SpinSpan:
    """One replacement: output ``text[start:end]`` replaced input ``[src_start:src_end]``."""

    start: int
    end: int
    src_start: int
    src_end: int
    original: str
    spun: str


@dataclass(frozen=True)
class SpinResult:
    text: str
    spans: list[SpinSpan]


def tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(text)]


class Spinner:
    """A seeded spinner; one instance holds one dictionary (filled lazily, word by word)."""

    def __init__(self, settings: SpinSettings | None = None, table: SpinTable | None = None):
        self.settings = settings or SpinSettings()
        self.table = table or load_table()
        self._choice: dict[str, str | None] = {}

    def _rng(self, key: str) -> random.Random:
        digest = hashlib.blake2b(f"{self.settings.seed}\0{key}".encode(), digest_size=8).digest()
        return random.Random(int.from_bytes(digest, "big"))

    def replacement(self, word: str) -> str | None:
        """The dictionary entry for a lowercased word or phrase, or None to leave it."""
        if word in self._choice:
            return self._choice[word]
        choice = None
        entry = self.table.forward.get(word)
        if entry and word not in self.settings.stopwords:
            rng = self._rng(word)
            synonyms, linked = entry
            if rng.random() >= self.settings.keep_share:
                pool = synonyms
                if linked and (not synonyms or rng.random() < self.settings.linked_share):
                    pool = linked
                choice = rng.choice(pool)
        self._choice[word] = choice
        return choice

    def _as_phrase(self, phrase: str) -> bool:
        return self._rng("phrase\0" + phrase).random() < self.settings.phrase_share

    def _eligible(self, word: str) -> bool:
        if word[:1].isdigit():
            return False  # seed 000's spinner never touched digits (it made "five" into "5")
        if word.islower():
            return True
        return self.settings.touch_capitalized and word[:1].isupper() and word[1:].islower()

    def spin(self, text: str) -> SpinResult:
        toks = tokens(text)
        out: list[str] = []
        spans: list[SpinSpan] = []
        cursor = 0
        length = 0
        i = 0
        while i < len(toks):
            start, end = toks[i]
            word = text[start:end]
            if not self._eligible(word):
                i += 1
                continue
            n, repl = 1, None
            for size in range(min(self.table.max_words, len(toks) - i), 1, -1):
                last = toks[i + size - 1]
                gaps = [text[toks[j][1] : toks[j + 1][0]] for j in range(i, i + size - 1)]
                if any(g != " " for g in gaps):
                    continue
                if not all(self._eligible(text[a:b]) for a, b in toks[i : i + size]):
                    continue
                phrase = text[start : last[1]].lower()
                if phrase in self.table.forward and self._as_phrase(phrase):
                    repl = self.replacement(phrase)
                    if repl is not None:
                        n, end = size, last[1]
                        break
            if n == 1:
                repl = self.replacement(word.lower())
            if repl is None:
                i += 1
                continue
            if word[:1].isupper():
                repl = repl[:1].upper() + repl[1:]
            out.append(text[cursor:start])
            length += start - cursor
            spans.append(SpinSpan(length, length + len(repl), start, end, text[start:end], repl))
            out.append(repl)
            length += len(repl)
            cursor = end
            i += n
        out.append(text[cursor:])
        return SpinResult("".join(out), spans)


def spin(text: str, seed: int = 0) -> SpinResult:
    return Spinner(SpinSettings(seed=seed)).spin(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Spin a text with a seeded WordNet dictionary.")
    parser.add_argument("file", help="input text file, or - for standard input")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-share", type=float, default=SpinSettings.keep_share)
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    settings = SpinSettings(seed=args.seed, keep_share=args.keep_share)
    sys.stdout.write(Spinner(settings).spin(text).text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
