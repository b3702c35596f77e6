"""Check-worthiness benchmark: storycheck's scorer and a TF-IDF baseline on held-out test sets.

Usage: python bench/checkworthy.py DATA_DIR

DATA_DIR holds ``claimbuster/`` and ``checkthat-checkworthiness-en/``. Both systems learn from
the same fixed split (``storycheck.train_checkworthy.training_split``): ClaimBuster crowd
sentences of 80% of the debates. Each gets two thresholds the same way: ``threshold`` maximises
F1 on the held-out ClaimBuster debates, ``strict`` maximises F1 on CheckThat! 2019. The baseline
is scikit-learn's TF-IDF (word 1-2-grams, min_df 2, sublinear tf) + logistic regression (C 4,
the best of 1/4/16 in grouped cross-validation on the training pool).

Prints, per set (the two dev sets first, then every test set present): sentences, check-worthy
ones, P/R/F1 of the check-worthy class at each threshold, average precision over the whole set
(AP: ranking quality, no threshold), its mean over debates where the set names them (MAP,
CheckThat!'s official measure; the CheckThat! 2020 copy has no debate ids, so there MAP = AP),
and the best F1 any threshold reaches on that set (an upper bound, not a figure a user gets).
Then storycheck's scoring speed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve

from storycheck.claims.checkworthy import load_scorer
from storycheck.train_checkworthy import (
    CT23,
    CT24,
    Labelled,
    best_f1_threshold,
    test_sets,
    training_split,
)

Score = Callable[[Sequence[str]], np.ndarray]


def baseline(train: list[Labelled]) -> Score:
    """TF-IDF + logistic regression fitted on the training split."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform([s.text for s in train])
    model = LogisticRegression(C=4.0, max_iter=5000).fit(x, [s.label for s in train])
    return lambda texts: model.predict_proba(vectorizer.transform(list(texts)))[:, 1]


def prf(scores: np.ndarray, labels: np.ndarray, threshold: float) -> str:
    flagged = scores >= threshold
    hits = int((flagged & (labels == 1)).sum())
    p = hits / max(int(flagged.sum()), 1)
    r = hits / max(int(labels.sum()), 1)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"{p:6.3f}{r:6.3f}{f:6.3f}"


def best_f1(scores: np.ndarray, labels: np.ndarray) -> float:
    precision, recall, _ = precision_recall_curve(labels, scores)
    return float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-12)))


def mean_ap(scores: np.ndarray, rows: list[Labelled]) -> float:
    """CheckThat!'s official measure: AP within each debate or speech, averaged over those with
    a check-worthy sentence (equals AP for a set without debate ids)."""
    groups = np.array([s.group for s in rows])
    labels = np.array([s.label for s in rows])
    values = [
        average_precision_score(labels[groups == g], scores[groups == g])
        for g in sorted(set(groups))
        if labels[groups == g].any()
    ]
    return float(np.mean(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="folder with claimbuster/ and checkthat-*/")
    args = parser.parse_args(argv)

    split = training_split(args.data)
    sets = {
        "dev: ClaimBuster held-out debates": split.dev,
        "strict dev: CheckThat! 2019 (7 debates)": split.strict_dev,
        **test_sets(args.data),
    }
    scorer = load_scorer()
    systems: dict[str, Score] = {"storycheck": scorer.score, "TF-IDF + LR": baseline(split.train)}
    scored: dict[tuple[str, str], np.ndarray] = {}
    scoring_s, scored_sentences = 0.0, 0
    for name, rows in sets.items():
        texts = [s.text for s in rows]
        for system, score in systems.items():
            t0 = time.perf_counter()
            scored[name, system] = score(texts)
            if system == "storycheck":
                scoring_s += time.perf_counter() - t0
                scored_sentences += len(texts)
    dev, strict = list(sets)[:2]
    dev_y = np.array([s.label for s in split.dev])
    strict_y = np.array([s.label for s in split.strict_dev])
    thresholds = {
        "storycheck": (scorer.threshold, scorer.strict_threshold),
        "TF-IDF + LR": (
            best_f1_threshold(scored[dev, "TF-IDF + LR"], dev_y),
            best_f1_threshold(scored[strict, "TF-IDF + LR"], strict_y),
        ),
    }

    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]]))
    print(f"train: {len(split.train)} ClaimBuster sentences "
          f"({sum(s.label for s in split.train)} check-worthy)")  # fmt: skip
    for system, (t, st) in thresholds.items():
        print(f"{system} thresholds: {t:.4f} (ClaimBuster dev), strict {st:.4f} (CheckThat! 2019)")
    print(f"\n{'':24}{'P':>6}{'R':>6}{'F1':>6}  strict{'P':>6}{'R':>6}{'F1':>6}"
          f"{'AP':>7}{'MAP':>7}{'best F1':>9}")  # fmt: skip
    for name, rows in sets.items():
        labels = np.array([s.label for s in rows])
        print(f"{name}: {len(rows)} sentences, {int(labels.sum())} check-worthy "
              f"({labels.mean():.1%})")  # fmt: skip
        for system in systems:
            scores = scored[name, system]
            threshold, strict_threshold = thresholds[system]
            ap, map_ = average_precision_score(labels, scores), mean_ap(scores, rows)
            print(f"  {system:22}{prf(scores, labels, threshold)}        "
                  f"{prf(scores, labels, strict_threshold)}{ap:7.3f}{map_:7.3f}"
                  f"{best_f1(scores, labels):9.3f}")  # fmt: skip
    for relative in (CT23, CT24):
        if not (args.data / relative).is_file():
            print(f"{relative}: not in DATA_DIR (held aside from this copy), not measured")
    print(f"\nstorycheck scoring speed: {scored_sentences / scoring_s:,.0f} sentences/s "
          f"({scored_sentences} sentences, one embedding call each, after load)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
