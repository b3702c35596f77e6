"""Despinning benchmark on held-out bbc-news articles spun with dictionaries never seen in training.

Usage: python bench/despin_bbc.py PATH_TO_BBC_NEWS [--seed 5000] [--docs 200] [--thresholds T,...]
[--rounds N] [--later WEIGHTS]

Prints: share of spun tokens restored exactly, share of clean tokens changed (inside spun
documents, and in the unspun originals), ROC AUC of the document score (spun vs the same
articles unspun), ROC AUC of the words' suspicion (spun vs clean words of the spun articles;
words never weighed count as 0, and the figure among the words weighed follows),
how many words left alone are listed as suspects and what share of them the spinner replaced,
why each spun token not restored and each clean token changed was lost (``evaluate.losses``),
tokens/s on clean and on spun text, model load time and peak memory.
``--thresholds`` also despins the spun articles again at other thresholds of the replace model
and prints restoration against damage for each: the trade-off the shipped threshold (set by
``train_despin`` on training spins) picks a point of, so that two versions can be compared at
equal damage. With ``--rounds 2`` those thresholds are the second round's, whose decisions
stand; ``--later`` gives that round other weights (the first round's file: the same weights in
every round).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import math
import random
import resource
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from storycheck.repair.corpus import BENCH_SEED_BASE, articles
from storycheck.repair.despin import PARAMS, Despinner, DespinResult, Weights, load_weights
from storycheck.repair.evaluate import (
    DAMAGE_MIXED,
    DAMAGE_WHOLE,
    MIXED,
    NOT_A_CANDIDATE,
    NOT_PROPOSED,
    OTHER_FIRST,
    OTHER_PUT_BACK,
    REFUSED,
    Tally,
    compare,
    losses,
)
from storycheck.repair.spinner import TOKEN, Spinner, SpinResult, SpinSettings


def roc_auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half), from
    the positives' mean rank (Mann-Whitney U), so that tens of thousands of tokens are cheap."""
    _, where, counts = np.unique(positives + negatives, return_inverse=True,
                                 return_counts=True)  # fmt: skip
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[where]
    n = len(positives)
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * len(negatives)))


def token_suspicion(
    spin: SpinResult, result: DespinResult
) -> tuple[list[float | None], list[float | None]]:
    """Each word's suspicion (its repair's confidence or its suspect's suspicion; None where the
    despinner saw nothing to weigh), split into words the spinner replaced and words it left."""
    at = {(r.start, r.end): r.confidence for r in result.repairs}
    at.update({(s.start, s.end): s.suspicion for s in result.suspects})
    sites = sorted(at)
    spans = [(s.start, s.end) for s in spin.spans]
    spun: list[float | None] = []
    clean: list[float | None] = []
    for m in TOKEN.finditer(spin.text):
        a = m.start()
        k = bisect.bisect_right(sites, (a, math.inf)) - 1
        score = at[sites[k]] if k >= 0 and sites[k][1] > a else None
        (spun if any(s <= a < e for s, e in spans) else clean).append(score)
    return spun, clean


def with_threshold(weights: Weights, threshold: float) -> Weights:
    return dataclasses.replace(
        weights, replace=dataclasses.replace(weights.replace, threshold=threshold)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument(
        "--seed",
        type=int,
        default=BENCH_SEED_BASE,
        help=f"first spinner seed (>= {BENCH_SEED_BASE})",
    )
    parser.add_argument("--docs", type=int, default=200, help="held-out articles used")
    parser.add_argument("--keep-share", type=float, default=SpinSettings.keep_share)
    parser.add_argument("--show", type=int, default=0, help="print this many errors")
    parser.add_argument("--rounds", type=int, default=PARAMS.rounds, help="runs of pass 2")
    parser.add_argument("--later", type=Path, help="weights of the rounds after the first")
    parser.add_argument("--thresholds", default="", help="other replace thresholds, e.g. 0.85,0.9")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    later = load_weights(args.later) if args.later else None
    # Every word left alone is scored (floor 0), for the token-level figures; the floor only
    # filters what is listed, so the decisions are the shipped ones.
    params = dataclasses.replace(PARAMS, rounds=args.rounds, suspect_floor=0.0)
    engine = Despinner(params, later=later)
    # The despinner loads SmolLM2 and MiniLM with the first spun text: count them as load here.
    if engine.lm is None or engine.encoder is None:
        raise SystemExit("the benchmark expects the shipped settings, with SmolLM2 and MiniLM")
    load_s = time.perf_counter() - t0

    pool = articles(args.bbc, "heldout")
    random.Random(args.seed).shuffle(pool)
    pool = pool[: args.docs]
    spins = []
    for i, (_, text) in enumerate(pool):
        settings = SpinSettings(seed=args.seed + i, keep_share=args.keep_share)
        spins.append(Spinner(settings, table=engine.table).spin(text))

    clean_tokens = sum(len(TOKEN.findall(text)) for _, text in pool)
    spun_tokens = sum(len(TOKEN.findall(s.text)) for s in spins)

    t0 = time.perf_counter()
    clean_results = [engine.despin(text) for _, text in pool]
    clean_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    spun_results = [engine.despin(s.text) for s in spins]
    spun_s = time.perf_counter() - t0

    tally = Tally()
    lost: Counter[str] = Counter()
    errors = []
    spun_scores: list[float | None] = []
    clean_scores: list[float | None] = []
    listed = listed_spun = 0
    for spin, result in zip(spins, spun_results, strict=True):
        tally.add(compare(spin, result))
        lost += losses(spin, result, lambda word: [o.text for o in engine.candidates(word)])
        spun_part, clean_part = token_suspicion(spin, result)
        spun_scores += spun_part
        clean_scores += clean_part
        spans = {(s.start, s.end) for s in spin.spans}
        for suspect in result.suspects:
            if suspect.suspicion >= PARAMS.suspect_floor:
                listed += 1
                listed_spun += (suspect.start, suspect.end) in spans
        if args.show:
            got = {(r.start, r.end): r.restored for r in result.repairs}
            for span in spin.spans:
                if got.get((span.start, span.end), "").lower() != span.original.lower():
                    errors.append((span.original, span.spun, got.get((span.start, span.end))))
    unchanged = sum(r.text == text for r, (_, text) in zip(clean_results, pool, strict=True))
    clean_flagged = sum(r.spun for r in clean_results)
    spun_flagged = sum(r.spun for r in spun_results)
    auc = roc_auc([r.score for r in spun_results], [r.score for r in clean_results])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]]))
    print(f"held-out articles: {len(pool)}  spinner seeds {args.seed}..{args.seed + len(pool) - 1}"
          f"  keep share {args.keep_share}  rounds {args.rounds}")  # fmt: skip
    print(f"spun tokens restored exactly: {tally.restored_share:.4f} "
          f"({tally.restored}/{tally.spun})")  # fmt: skip
    print(f"clean tokens changed in spun documents: {tally.damaged_share:.4f} "
          f"({tally.damaged}/{tally.clean})")  # fmt: skip
    print(
        f"clean articles left byte-identical: {unchanged}/{len(pool)}"
        f"  (flagged spun: {clean_flagged}; spun articles flagged: {spun_flagged}/{len(pool)})"
    )
    print(f"document score ROC AUC (spun vs same articles unspun): {auc:.4f}")
    every = roc_auc([x or 0.0 for x in spun_scores], [x or 0.0 for x in clean_scores])
    weighed = roc_auc([x for x in spun_scores if x is not None],
                      [x for x in clean_scores if x is not None])  # fmt: skip
    print(f"word suspicion ROC AUC (spun vs clean words of spun articles): {every:.4f}; "
          f"among words weighed as possibly spun: {weighed:.4f}")  # fmt: skip
    print(f"suspects listed (left alone, suspicion >= {PARAMS.suspect_floor}): {listed}, "
          f"of them spun {listed_spun / max(listed, 1):.2f}; "
          f"spun words not restored: {tally.spun - tally.restored}")  # fmt: skip
    print("spun tokens not restored, by cause (share of spun tokens):")
    for cause in (MIXED, NOT_A_CANDIDATE, OTHER_PUT_BACK, REFUSED, OTHER_FIRST, NOT_PROPOSED):
        print(f"  {cause}: {lost[cause]} ({lost[cause] / max(tally.spun, 1):.2%})")
    print("clean tokens changed, by cause (share of clean tokens):")
    for cause in (DAMAGE_MIXED, DAMAGE_WHOLE):
        print(f"  {cause}: {lost[cause]} ({lost[cause] / max(tally.clean, 1):.2%})")
    print(f"speed: clean {clean_tokens / clean_s:,.0f} tokens/s, spun {spun_tokens / spun_s:,.0f} "
          f"tokens/s (after load)")  # fmt: skip
    print(f"model load: {load_s:.2f} s   peak memory: {peak_mb:,.0f} MB")
    for original, spun, got in errors[: args.show]:
        print(f"  {spun!r:28} truth {original!r:20} got {got!r}")
    shipped = (engine.later if args.rounds > 1 else engine.weights).replace.threshold
    print(f"replace threshold {shipped:.2f} (shipped): restored {tally.restored_share:.4f}, "
          f"clean tokens changed {tally.damaged_share:.4f}")  # fmt: skip
    for threshold in [float(t) for t in args.thresholds.split(",") if t]:
        if args.rounds > 1:
            engine.later = with_threshold(engine.later, threshold)
        else:
            engine.weights = with_threshold(engine.weights, threshold)
        other = Tally()
        for spin in spins:
            other.add(compare(spin, engine.despin(spin.text)))
        print(f"replace threshold {threshold:.2f}: restored {other.restored_share:.4f}, "
              f"clean tokens changed {other.damaged_share:.4f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
