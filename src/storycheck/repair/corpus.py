"""The bbc-news corpus as training and benchmark material, split once for everyone.

Articles are assigned to a part by a hash of their path, so the trainers and the benchmark
agree on the split without a file listing it. Three parts: ``heldout`` (benchmarks only),
``ngram`` (counts for the context model) and ``classifier`` (synthetic spins for the learnt
decisions). The last two must differ: on articles the n-gram model has counted, context
evidence looks far stronger than on new text, and a classifier trained there trusts it too much.
Data is read from a path argument; nothing here is shipped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MODULUS = 5
# Spinner seeds: the benchmarks spin the ``heldout`` part with seeds from here up, so that the
# trainers' dictionaries (seeds below it) are never the ones a benchmark is scored on.
BENCH_SEED_BASE = 5000
PARTS = {"heldout": {0}, "ngram": {1, 2}, "classifier": {3, 4}}


def part_of(relpath: str) -> str:
    digest = hashlib.blake2b(relpath.encode(), digest_size=4).digest()
    bucket = int.from_bytes(digest, "big") % MODULUS
    return next(name for name, buckets in PARTS.items() if bucket in buckets)


def articles(root: Path, part: str) -> list[tuple[str, str]]:
    """(relative path, text) of the articles in one part of the split, sorted by path."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    out = []
    for path in sorted(root.glob("*/*.txt")):
        rel = path.relative_to(root).as_posix()
        if part_of(rel) != part:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        out.append((rel, text))
    return out
