"""Stance benchmark: the stance model next to an embedding-cosine baseline, on unseen pairs.

Usage: python bench/stance.py PATH_TO_SHARED_DATA [--model FOLDER] [--seed S] [--against FOLDER]
(needs scikit-learn, the ``train`` extra: ``pip install -e '.[train]'``)

Evaluation sets: the held-out split of every source of ``storycheck.train_stance`` (its split,
with the seed the model was trained with; sources the model was not trained on are marked, and
so are the curriculum tasks whose train sets a first stage used), the pooled held-out pairs of
the trained sources, FEVER-Symmetric dev and the FEVER-Symmetric v0.1 generated set (never
trained on; the generated set was never used to choose anything either). FEVER-Symmetric is also
scored apart for claims that deny something ("is not", "never", "refused to"), for claims that
restrict ("only", "solely", "exclusively") and for the rest.

Prints, for the model alone, the model reading claims plainly as verify does (a denied claim as
its affirmative with the answer flipped, ``crosscheck.negation``; a restricted one without its
restriction, ``crosscheck.exclusive``), that followed by the consistency layer (as verify
uses it) and the baseline: accuracy and macro-F1, 3-way where the set has three labels, 2-way
(supports vs refutes: the larger of the two probabilities) where the gold label is one of those,
and supports-vs-not where a set has "not entailed" labels; Climate-FEVER verdicts on the held-out
claims; pairs/s; the command line. With ``--against``, also the paired bootstrap difference of
verify's verdicts between this model and another on the same claims.

Baseline: cosine similarity of the two sentence embeddings (``load_embedder()``) cut into three
bins by two thresholds, each bin labelled with its majority class, tuned on the training split of
the same source (for FEVER-Symmetric: on the Sufficient-Facts FEVER training pairs, the closest
source; a threshold tuned on FEVER-Symmetric dev itself is printed as an upper bound).

Verdict rule (Climate-FEVER, five gold evidence sentences per claim): SUPPORTS if some sentence
supports and none refutes, REFUTES if some refutes and none supports, DISPUTED if both occur,
NOT_ENOUGH_INFO if neither. The same rule on the gold sentence labels is printed as the ceiling.
The "storycheck verify" row is what ``verify`` answers from the same five sentences: a sentence
takes a side only when the consistency layer decided it or the model is sure enough
(``Stance.takes_side``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from storycheck.crosscheck.exclusive import RESTRICTS
from storycheck.crosscheck.stance import decide, model_probabilities, readings
from storycheck.models.embed import load_embedder
from storycheck.models.stance import DEFAULT_DIR, LABELS, load_stance_model
from storycheck.records import Sentence
from storycheck.train_stance import (
    NEUTRAL,
    REFUTES,
    SHIPPED_SOURCES,
    SOURCES,
    SUPPORTS,
    Pair,
    Settings,
    build_pairs,
    climate_claims,
    fever_symmetric,
    is_heldout,
    scores,
)
from storycheck.verify.retrieve import Hit
from storycheck.verify.verdict import decide as verify_decide

VERDICTS = ("SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO", "DISPUTED")
# Claims that deny something. A model that reads a denial in the claim as "refutes" fails on
# FEVER-Symmetric's, whose evidence often denies in other words ("declined to", "never").
DENIAL = re.compile(
    r"\b(?:not|never|no|none|refused|failed|declined|unable|incapable|yet to)\b|n't\b", re.I
)
TUNE_PAIRS = 1500  # training pairs per source used to tune the baseline's thresholds


def cosines(pairs: Sequence[Pair]) -> np.ndarray:
    embedder = load_embedder()
    texts = sorted({t for p in pairs for t in (p.claim, p.evidence)})
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    return np.array([float(vectors[p.claim] @ vectors[p.evidence]) for p in pairs])


class CosineBins:
    """Two cosine thresholds, each of the three bins labelled with its majority training label."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        single = [p for p in pairs if len(p.labels) == 1]
        sims, gold = cosines(single), np.array([p.labels[0] for p in single])
        grid = np.quantile(sims, np.linspace(0.02, 0.98, 25))
        best = (-1.0, grid[0], grid[-1], (SUPPORTS, SUPPORTS, SUPPORTS))
        for i, low in enumerate(grid):
            for high in grid[i:]:
                bins = np.digitize(sims, [low, high])
                labels = tuple(
                    int(np.bincount(gold[bins == b], minlength=3).argmax())
                    if (bins == b).any()
                    else SUPPORTS
                    for b in range(3)
                )
                accuracy = float((np.array(labels)[bins] == gold).mean())
                if accuracy > best[0]:
                    best = (accuracy, low, high, labels)
        _, self.low, self.high, self.labels = best

    def probs(self, pairs: Sequence[Pair]) -> np.ndarray:
        bins = np.digitize(cosines(pairs), [self.low, self.high])
        return np.eye(3, dtype=np.float32)[np.array(self.labels)[bins]]


def two_way_threshold(pairs: Sequence[Pair]) -> float:
    """The cosine above which 'supports' is most accurate among supports / refutes pairs."""
    sims = cosines(pairs)
    gold = np.array([p.labels[0] == SUPPORTS for p in pairs])
    grid = np.quantile(sims, np.linspace(0.01, 0.99, 99))
    return float(max(grid, key=lambda t: ((sims >= t) == gold).mean()))


def two_way_probs(pairs: Sequence[Pair], threshold: float) -> np.ndarray:
    supports = cosines(pairs) >= threshold
    return np.stack([supports, ~supports, np.zeros_like(supports)], axis=1).astype(np.float32)


def verdict(stances: Sequence[int]) -> str:
    supports, refutes = SUPPORTS in stances, REFUTES in stances
    if supports and refutes:
        return "DISPUTED"
    if supports:
        return "SUPPORTS"
    return "REFUTES" if refutes else "NOT_ENOUGH_INFO"


def verdict_scores(
    gold: Sequence[str], predicted: Sequence[str], draws: int = 1000
) -> dict[str, float | tuple[float, float]]:
    """Accuracy and macro-F1, each with a 95% bootstrap interval over the claims: with a few
    hundred claims, and 24 disputed ones deciding a quarter of the macro-F1, one model's lead
    of a few points over another can be a handful of claims."""
    g, p = np.array(gold), np.array(predicted)
    accuracy, macro = _accuracy_f1(g, p, np.arange(len(g)))
    rng = np.random.default_rng(0)
    spread = np.array([_accuracy_f1(g, p, rng.integers(0, len(g), len(g))) for _ in range(draws)])
    low, high = np.percentile(spread, [2.5, 97.5], axis=0).round(4)
    return {
        "n": len(gold),
        "acc": round(float(accuracy), 4),
        "f1": round(float(macro), 4),
        "acc_95": (float(low[0]), float(high[0])),
        "f1_95": (float(low[1]), float(high[1])),
    }


def _accuracy_f1(gold: np.ndarray, predicted: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Verdict accuracy and macro-F1 over the claims at ``index`` (a bootstrap draw)."""
    g, p = gold[index], predicted[index]
    macro = f1_score(g, p, labels=list(VERDICTS), average="macro", zero_division=0)
    return np.array([(g == p).mean(), macro])


def judged(claims: Sequence, model) -> tuple[list[tuple[str, str]], np.ndarray, list]:
    """Each claim's five gold evidence sentences: the pairs, the model's raw probabilities and
    the sides verify takes (claims read plainly, then the consistency layer)."""
    pairs = [(c.claim, e) for c in claims for e in c.evidence]
    as_pairs = [Pair(claim, e, (NEUTRAL,), "climate-fever", "") for claim, e in pairs]
    raw = model_probs(model, as_pairs)
    probs = read_probs(model, as_pairs, raw)
    sides = [decide(claim, e, row) for (claim, e), row in zip(pairs, probs, strict=True)]
    return pairs, raw, sides


def verify_answers(claims: Sequence, pairs: Sequence[tuple[str, str]], sides: Sequence) -> list:
    """What verify answers: its own verdict rule (``verify.verdict.decide``) over the five
    sentences, each its own source; a sentence takes a side only when the exact checks decided
    it or the model is sure enough (``Stance.takes_side``)."""
    return [
        _VERDICTS[verify_decide(c.claim, judged, {}).verdict]
        for c, judged in zip(claims, _as_judged(pairs, sides), strict=True)
    ]


def climate_verdicts(
    claims: Sequence, model, bins: CosineBins
) -> tuple[dict[str, dict], list[str]]:
    """Verdict scores per source of stances, and verify's answer per claim (for ``--against``)."""
    stance_id = {"SUPPORTS": SUPPORTS, "REFUTES": REFUTES, "NOT_ENOUGH_INFO": NEUTRAL}
    pairs, raw, sides = judged(claims, model)
    as_pairs = [Pair(claim, e, (NEUTRAL,), "climate-fever", "") for claim, e in pairs]
    gold = [c.verdict for c in claims]
    model_stances = raw.argmax(1).reshape(len(claims), 5)
    checked_stances = np.array([LABELS.index(s.label) for s in sides]).reshape(len(claims), 5)
    cosine_stances = bins.probs(as_pairs).argmax(1).reshape(len(claims), 5)
    answers = verify_answers(claims, pairs, sides)
    return {
        "gold sentence labels (ceiling)": verdict_scores(
            gold, [verdict([stance_id[s] for s in c.stances]) for c in claims]
        ),
        "model": verdict_scores(gold, [verdict(list(row)) for row in model_stances]),
        "model + consistency layer": verdict_scores(
            gold, [verdict(list(row)) for row in checked_stances]
        ),
        "storycheck verify (model + layer, sides taken when sure)": verdict_scores(gold, answers),
        "cosine baseline": verdict_scores(gold, [verdict(list(row)) for row in cosine_stances]),
    }, answers


def paired_difference(
    gold: Sequence[str], ours: Sequence[str], theirs: Sequence[str], draws: int = 2000
) -> dict[str, tuple[float, float, float]]:
    """Median and 95% interval of (ours - theirs) in verdict accuracy and macro-F1, resampling
    the claims together: two models' verdicts on the same claims are judged on one draw."""
    g, a, b = np.array(gold), np.array(ours), np.array(theirs)
    rng = np.random.default_rng(0)
    draws_ = [rng.integers(0, len(g), len(g)) for _ in range(draws)]
    spread = np.array([_accuracy_f1(g, a, i) - _accuracy_f1(g, b, i) for i in draws_])
    low, median, high = np.percentile(spread, [2.5, 50, 97.5], axis=0)
    return {
        k: (float(low[n]), float(median[n]), float(high[n])) for n, k in enumerate(("acc", "f1"))
    }


_VERDICTS = {"supported": "SUPPORTS", "refuted": "REFUTES", "conflicting": "DISPUTED",
             "not_enough_evidence": "NOT_ENOUGH_INFO"}  # fmt: skip


def _as_judged(pairs: Sequence[tuple[str, str]], sides: Sequence) -> list[list]:
    """Each claim's five (evidence, stance) pairs as verify's retrieved sentences."""
    judged = [
        (Hit(f"e{n}", Sentence(index=0, start=0, end=len(e), text=e), 1.0, 1.0, e), side)
        for n, ((_, e), side) in enumerate(zip(pairs, sides, strict=True))
    ]
    return [judged[i : i + 5] for i in range(0, len(judged), 5)]


def model_probs(model, pairs: Sequence[Pair]) -> np.ndarray:
    return model.predict([(p.claim, p.evidence) for p in pairs])


def read_probs(model, pairs: Sequence[Pair], probs: np.ndarray) -> np.ndarray:
    """The model as verify reads it: a denied claim as its affirmative, the answer flipped, and
    a restricted one without its restriction (``crosscheck.stance.readings``). Only the pairs
    read another way go through the model again; the rest keep ``probs`` (the shipped model
    runs one pair per call, so a pair's scores do not depend on its neighbours)."""
    texts = [(p.claim, p.evidence) for p in pairs]
    again = [i for i, plain in enumerate(readings(texts)) if plain is not None]
    out = probs.copy()
    if again:
        out[again] = model_probabilities([texts[i] for i in again], model)
    return out


def checked(pairs: Sequence[Pair], probs: np.ndarray) -> np.ndarray:
    """What verify and the claim groups use: the model's scores, then the consistency layer. A
    pair the exact checks decided counts as certain of its label. A pair the rules made neutral
    without an exact check (a model side resting on nothing the two share) counts as neutral
    in the 3-way figures and keeps the model's order of supports and refutes in the 2-way ones,
    where neutral is no answer. The others keep the scores."""
    out = probs.copy()
    for row, p in zip(out, pairs, strict=True):
        found = decide(p.claim, p.evidence, row)
        if found.reasons:
            row[:] = np.eye(3)[LABELS.index(found.label)]
        elif found.label == "neutral":
            row[NEUTRAL] = 2.0  # above any probability: argmax says neutral
    return out


def row(name: str, figures: dict[str, float | None]) -> str:
    def cell(key: str) -> str:
        return "    -" if figures.get(key) is None else f"{100 * figures[key]:5.1f}"

    keys = ("acc3", "f1_3", "acc2", "f1_2", "acc_sup")
    return f"| {name:<44} | {figures['n']:>5} | " + " | ".join(cell(k) for k in keys) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--seed", type=int, help="split seed (default: the model's own)")
    parser.add_argument(
        "--against", help="another model folder: paired difference of verify's verdicts"
    )
    args = parser.parse_args(argv)

    config_path = Path(args.model or DEFAULT_DIR) / "config.json"
    # A Hugging Face folder (a user's model, or train_teacher's) has no training record: the
    # stance recipe's seed and sources are assumed, as train_teacher uses them.
    training = json.loads(config_path.read_text()).get("training", {}).get("settings", {})
    own = training.get("split_seed")
    own = training.get("seed", Settings.seed) if own is None else own
    seed = args.seed if args.seed is not None else own
    t0 = time.perf_counter()
    model = load_stance_model(args.model)
    load_s = time.perf_counter() - t0

    # Every source, so that the sources the model was not trained on show up too (zero-shot);
    # the split and the generated pairs of the trained ones are the same as in training.
    train, heldout = build_pairs(args.data, seed, tuple(SOURCES))
    trained = tuple(training.get("sources", SHIPPED_SOURCES))
    # A first stage (``--intermediate``) trains on the curriculum tasks' train sets; their val
    # sets, scored here, stay unseen, but the tasks are not new to the model.
    first_stage = ("curriculum",) if training.get("intermediate") else ()
    by_source: dict[str, list[Pair]] = {}
    for p in heldout:
        by_source.setdefault(p.source, []).append(p)
    rng = random.Random(seed)
    fs = fever_symmetric(args.data)
    sf_train = [p for p in train if p.source == "sufficient-facts-fever" and p.labels != (NEUTRAL,)]
    threshold = two_way_threshold(sf_train)
    oracle = two_way_threshold(fs["fever-symmetric-dev"])

    header = "| set | n | acc 3-way | F1 3-way | acc 2-way | F1 2-way | acc sup-vs-not |"
    print(header)
    print("|" + "---|" * 7)
    for name, pairs in fs.items():
        probs = model_probs(model, pairs)
        read = read_probs(model, pairs, probs)
        print(row(f"{name}: model", scores(pairs, probs)))
        print(row(f"{name}: model, claims read plainly", scores(pairs, read)))
        print(row(f"{name}: model + consistency layer", scores(pairs, checked(pairs, read))))
        denied = np.array([bool(DENIAL.search(p.claim)) for p in pairs])
        restricted = np.array([bool(RESTRICTS.search(p.claim)) for p in pairs]) & ~denied
        parts = (
            ("claims that deny", denied),
            ("claims that restrict", restricted),
            ("other claims", ~denied & ~restricted),
        )
        for part, mask in parts:
            subset = [p for p, keep in zip(pairs, mask, strict=True) if keep]
            print(row(f"{name}, {part}: model", scores(subset, probs[mask])))
            if part != "other claims":
                print(row(f"{name}, {part}: read plainly", scores(subset, read[mask])))
                layer = checked(subset, read[mask])
                print(row(f"{name}, {part}: + consistency layer", scores(subset, layer)))
        # The 2-way baseline never answers neutral: its 3-way figure would repeat the 2-way one.
        tuned = scores(pairs, two_way_probs(pairs, threshold)) | {"acc3": None}
        print(row(f"{name}: cosine, tuned on SF-FEVER train", tuned))
        bound = scores(pairs, two_way_probs(pairs, oracle)) | {"acc3": None}
        print(row(f"{name}: cosine, tuned on FS dev (bound)", bound))
    for source, pairs in sorted(by_source.items()):
        tune = [p for p in train if p.source == source]
        tune = rng.sample(tune, min(TUNE_PAIRS, len(tune)))
        seen = (
            "" if source.startswith(trained)
            else " (first stage)" if source.startswith(first_stage)
            else " (not trained on)"
        )  # fmt: skip
        probs = model_probs(model, pairs)
        read = read_probs(model, pairs, probs)
        print(row(f"{source}{seen}: model", scores(pairs, probs)))
        print(row(f"{source}: model, claims read plainly", scores(pairs, read)))
        print(row(f"{source}: model + consistency layer", scores(pairs, checked(pairs, read))))
        print(row(f"{source}: cosine bins", scores(pairs, CosineBins(tune).probs(pairs))))
    trained_pairs = [p for p in heldout if p.source.startswith(trained)]
    trained_probs = model_probs(model, trained_pairs)
    print(
        row(
            "held-out of the trained sources: model",
            scores(trained_pairs, trained_probs),
        )
    )
    print(
        row(
            "held-out of the trained sources: read plainly",
            scores(trained_pairs, read_probs(model, trained_pairs, trained_probs)),
        )
    )

    cf_train = [p for p in train if p.source == "climate-fever"]
    claims = [c for c in climate_claims(args.data) if is_heldout(f"cf:{c.claim_id}", seed)]
    verdicts, ours = climate_verdicts(claims, model, CosineBins(cf_train))
    print("\nClimate-FEVER verdicts, held-out claims (gold evidence, rule in the docstring)")
    print("| stances from | claims | accuracy (95% interval) | macro-F1 (95% interval) |")
    print("|---|---|---|---|")
    for name, figures in verdicts.items():
        cells = [
            f"{100 * figures[key]:.1f} ({100 * low:.1f}-{100 * high:.1f})"
            for key, (low, high) in (("acc", figures["acc_95"]), ("f1", figures["f1_95"]))
        ]
        print(f"| {name} | {figures['n']} | {cells[0]} | {cells[1]} |")
    if args.against:
        gold = [c.verdict for c in claims]
        pairs, _, sides = judged(claims, load_stance_model(args.against))
        theirs = verify_answers(claims, pairs, sides)
        print(f"\nverify's verdicts against {args.against}, on the same claims (this model minus")
        print("that one; median and 95% interval of a paired bootstrap over the claims):")
        for key, (low, median, high) in paired_difference(gold, ours, theirs).items():
            print(f"  {key}: {100 * median:+.1f} ({100 * low:+.1f} to {100 * high:+.1f})")

    speed_pairs = [(p.claim, p.evidence) for p in fs["fever-symmetric-dev"]]
    started = time.perf_counter()
    model.predict(speed_pairs)
    rate = len(speed_pairs) / (time.perf_counter() - started)
    started = time.perf_counter()
    model_probabilities(speed_pairs, model)
    read_rate = len(speed_pairs) / (time.perf_counter() - started)
    print(f"\nmodel: {getattr(model, 'name', '?')}, loaded in {load_s:.2f} s, labels {LABELS}")
    print(
        f"speed: {rate:.0f} pairs/s, {read_rate:.0f} with claims read plainly (parsing"
        " each claim; FEVER-Symmetric dev pairs, one process, this machine)"
    )
    print(f"split seed {seed}; baseline 2-way threshold {threshold:.3f} (bound {oracle:.3f})")
    print("command: python " + " ".join(shlex.quote(a) for a in sys.argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
