"""Verify benchmark: how long one claim takes against a 1,000-document story, after loading.

    python bench/verify_speed.py ../shared/data/bbc-news [--docs 1000] [--claims 30]

Segments ``--docs`` articles into a story's sentences, embeds them and builds the index (the
load, timed apart), then verifies ``--claims`` claims one at a time: sentences taken from the
story (so evidence exists), the same with their first quantity changed, and sentences from
articles left out of the story. Prints the median and 90th-percentile latency, the verdicts
(and how many are the one each claim was made for), and stance-model pairs/s.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

from storycheck.claims.quantities import find_quantities
from storycheck.crosscheck.stance import stances
from storycheck.models.embed import load_embedder
from storycheck.records import Document
from storycheck.segment import sentences
from storycheck.verify.retrieve import SentenceIndex
from storycheck.verify.verdict import RETRIEVED, verify


def _documents(files: list[Path]) -> list[Document]:
    docs = []
    for n, path in enumerate(files):
        text = path.read_text(encoding="latin-1")
        doc = Document(id=f"d{n}", uri=str(path), input=str(path), format="text", raw=b"",
                       extracted=text, text=text)  # fmt: skip
        doc.sentences = sentences(text)
        docs.append(doc)
    return docs


_DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")


def _change_number(text: str) -> str:
    """``text`` with each whole number of its first written quantity tripled plus seven
    ("800,000" becomes "2,400,007", the range "6-7%" becomes "25-28%"; decimals are kept): a
    count, sum or share, never a year, a time or part of a name ("EOS 300D")."""
    quantity = next(q for q in find_quantities(text) if _DIGITS.search(q.text))
    start, end = quantity.char_start, quantity.char_end
    return text[:start] + _WHOLE.sub(_tripled, text[start:end]) + text[end:]


_WHOLE = re.compile(rf"(?<![\d.])(?:{_DIGITS.pattern})")  # a whole number, not a decimal's digits


def _tripled(match: re.Match[str]) -> str:
    value = int(match.group().replace(",", "")) * 3 + 7
    return f"{value:,}" if "," in match.group() else str(value)


def _claims(
    docs: list[Document], spare: list[Document], n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """(claim, the verdict it was made for): a sentence of the story (supported), one with its
    first quantity changed (refuted), one from an article left out that the story does not hold
    word for word (not enough evidence; another article may still report the same thing)."""
    pool = [s.text for d in docs for s in d.sentences if 60 < len(s.text) < 250]
    taken = rng.sample(pool, n // 3)
    counted = [t for t in pool if any(_DIGITS.search(q.text) for q in find_quantities(t))]
    changed = [_change_number(t) for t in rng.sample(counted, n // 3)]
    # bbc-news holds some articles twice: a sentence the story has word for word is no claim
    # it lacks evidence for.
    held = {s.text for d in docs for s in d.sentences}
    unseen = [
        s.text for d in spare for s in d.sentences if 60 < len(s.text) < 250 and s.text not in held
    ]
    return (
        [(t, "supported") for t in taken]
        + [(t, "refuted") for t in changed]
        + [(t, "not_enough_evidence") for t in rng.sample(unseen, n - 2 * (n // 3))]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--claims", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = sorted(args.folder.rglob("*.txt"))
    rng.shuffle(files)
    docs, spare = _documents(files[: args.docs]), _documents(files[args.docs : args.docs + 50])

    start = time.perf_counter()
    embedder = load_embedder()
    vectors = [embedder.embed([s.text for s in d.sentences]) for d in docs]
    index = SentenceIndex(docs, embedder, vectors)
    stances([("warm up", "the model")])
    load = time.perf_counter() - start

    origins = {d.id: d.id for d in docs}
    latencies, verdicts = [], []
    right: dict[str, list[bool]] = {}
    for claim, expected in _claims(docs, spare, args.claims, rng):
        start = time.perf_counter()
        (verdict,) = verify([claim], index, origins)
        latencies.append(time.perf_counter() - start)
        verdicts.append(verdict.verdict)
        right.setdefault(expected, []).append(verdict.verdict == expected)
    latencies.sort()
    print(f"command: python {' '.join(sys.argv)}")
    print(f"story: {len(docs)} documents, {len(index)} sentences; load (embed all sentences, "
          f"index, models) {load:.1f} s")  # fmt: skip
    print(f"verify, one claim at a time ({RETRIEVED} sentences read each): median "
          f"{statistics.median(latencies):.3f} s, p90 {latencies[int(0.9 * len(latencies))]:.3f}"
          f" s, max {latencies[-1]:.3f} s over {len(latencies)} claims")  # fmt: skip
    counts = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    print(f"verdicts: {counts}")
    made_for = ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in right.items())
    print(f"verdict the claim was made for: {made_for}")
    pairs = [(c, s.text) for c, _ in _claims(docs, spare, 30, rng) for s in docs[0].sentences[:8]]
    start = time.perf_counter()
    stances(pairs)
    print(f"stance (model + consistency checks): {len(pairs) / (time.perf_counter() - start):.0f}"
          " pairs/s")  # fmt: skip


if __name__ == "__main__":
    main()
