"""Despin a real spun article (seed 000) and show what changed.

Usage: python bench/despin_seed.py PATH_TO_SEED_000 [--json]

Prints the document score, the repaired text, every repair as ``observed -> restored`` and
every suspect (a word left alone that may still be spun) with its likely original, grouped by
word type with its count, then the timing. There is no ground truth for a real
spinner's output: the share restored is judged by reading (docs/despin.md records it).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import Counter
from pathlib import Path

from storycheck.repair.despin import Despinner, to_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--json", action="store_true", help="print the repair log as JSON")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        parser.error(f"{args.path} is not a file: give the path of seed 000's article")
    text = args.path.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    engine = Despinner()
    # The despinner loads SmolLM2 and MiniLM with the first spun text: count them as load here.
    if engine.lm is None or engine.encoder is None:
        raise SystemExit("the benchmark expects the shipped settings, with SmolLM2 and MiniLM")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = engine.despin(text)
    run_s = time.perf_counter() - t0
    if args.json:
        print(json.dumps(to_json(result), indent=1))
        return 0
    print(f"score {result.score:.4f}  spun {result.spun}  repairs {len(result.repairs)}  "
          f"suspects {len(result.suspects)}")  # fmt: skip
    print("=" * 80)
    print(result.text)
    print("=" * 80)
    pairs = Counter((r.observed.lower(), r.restored.lower()) for r in result.repairs)
    for (observed, restored), n in sorted(pairs.items()):
        print(f"{n:3d}  {observed} -> {restored}")
    suspects = Counter((s.observed.lower(), s.likely.lower(), s.suspicion) for s in result.suspects)
    for (observed, likely, suspicion), n in sorted(suspects.items()):
        print(f"{n:3d}  {observed} left alone, likely {likely} ({suspicion:.2f})")
    words = len(text.split())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{words} words in {run_s:.2f} s ({words / run_s:,.0f} words/s); load {load_s:.2f} s; "
          f"peak memory {peak_mb:,.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
