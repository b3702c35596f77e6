"""Learn the despinner's three small models from synthetic spins of clean news.

Usage: ``python -m storycheck.repair.train_despin PATH_TO_BBC_NEWS [--docs N] [--rounds 2]
[--out FILE]``.

Training data is free: articles of the bbc-news *training* split are spun by our spinner, each
with its own dictionary (seed TRAIN_SEED_BASE + i; benchmarks use other seeds) and a random share
of words left alone. Two passes over the same spins:

1. The *rank* model (linear, conditional logit over each spun type's candidate originals)
   learns which candidate is the true original, from pass 2's candidate features
   (``RANK_FEATURES``) while the hand-set ranking is in place. Those features do not depend on
   the ranker, so one pass suffices.
2. With that ranker in place, the despinner proposes its best original for every observed word
   type; the *replace* model learns from the ranking features whether the type was really spun
   (label 1 when the proposal is the true original, 0 when the type was left alone). The
   *detect* model learns spun vs clean from the cheap document features. Its threshold and the
   replace threshold are set so that on the training data the share of clean tokens changed
   stays under TARGET_DAMAGE.

``--rounds 2 --out FILE`` fits the models of the rounds after the first instead (the despinner
reads them from ``LATER_WEIGHTS_PATH`` when set; otherwise those rounds use the first round's):
the first round decides with the shipped weights, held fixed, and both passes above learn from
the second round's features, read from the text the first round restored. Run it after every
change to the first round's weights, and keep its file only where it beats the first round's
weights at equal damage on development spins (``bench/despin_bbc.py --rounds 2 --later``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from pathlib import Path

import numpy as np

from storycheck.repair.corpus import articles
from storycheck.repair.despin import (
    LATER_WEIGHTS_PATH,
    PARAMS,
    RANK_FEATURES,
    WEIGHTS_PATH,
    Despinner,
    Linear,
    Logistic,
    Trees,
    Weights,
)
from storycheck.repair.spinner import Spinner, SpinSettings

TRAIN_SEED_BASE = 1000  # benchmarks draw dictionaries from corpus.BENCH_SEED_BASE up
TARGET_DAMAGE = 0.002  # clean-token damage allowed on held-back training spins; held-out
# articles show about twice as much (0.25% here gave 0.52% in bench/despin_bbc.py with
# version 7's sites; 0.3% gave 0.50% in an earlier version), and the issue allows 0.5%.
# Version 8's tuned reader broke that ratio (0.2% gave 0.35%): its shipped threshold was set
# on development spins instead (docs/despin.md, version 8), and this one is only a start.
N_REPLACE_FEATURES = 26
CALIBRATION_FOLD = 4
TREES = 200  # boosting rounds of the replace model
LEAVES = 15  # leaves per tree
RANK_L2 = 1e-2  # ridge penalty of the ranker (features are on natural scales, not standardised)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-3) -> Logistic:
    """Weighted L2 logistic regression by Newton's method on standardised features."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -50, 50)))
        grad = z.T @ (w * (p - y)) + l2 * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + l2 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return Logistic(
        weights=tuple(float(b) for b in beta[:-1]),
        bias=float(beta[-1]),
        mean=tuple(float(m) for m in mean),
        scale=tuple(float(s) for s in scale),
    )


def fit_trees(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Trees:
    """Gradient-boosted trees (scikit-learn, a training-only dependency), exported as plain
    tuples. Few shallow trees keep the shipped file small and run time fast."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=TREES, max_leaf_nodes=LEAVES, learning_rate=0.1, random_state=0
    )
    model.fit(x, y, sample_weight=w)
    trees = []
    for (predictor,) in model._predictors:
        trees.append(
            tuple(
                (int(n["feature_idx"]), round(float(n["num_threshold"]), 6), int(n["left"]),
                 int(n["right"]), round(float(n["value"]), 6), bool(n["is_leaf"]))
                for n in predictor.nodes
            )
        )  # fmt: skip
    return Trees(trees=tuple(trees), baseline=float(np.ravel(model._baseline_prediction)[0]))


def fit_ranker(types: list[tuple[np.ndarray, int, float]], l2: float = RANK_L2) -> Linear:
    """Conditional logit: for each spun type (its candidates' features, the index of the true
    original, its token count as weight), maximise the softmax probability of the truth."""
    from scipy.optimize import minimize

    width = len(RANK_FEATURES)
    stacked = np.vstack([x for x, _, _ in types])
    bounds = np.cumsum([0] + [len(x) for x, _, _ in types])
    starts = bounds[:-1]
    truth = starts + np.array([t for _, t, _ in types])
    weight = np.array([w for _, _, w in types])
    owner = np.repeat(np.arange(len(types)), np.diff(bounds))

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        scores = stacked @ beta
        top = np.maximum.reduceat(scores, starts)
        exp = np.exp(scores - top[owner])
        norm = np.add.reduceat(exp, starts)
        prob = exp / norm[owner]
        nll = -(weight * (scores[truth] - top - np.log(norm))).sum()
        expected = np.add.reduceat(prob[:, None] * stacked, starts)
        grad = -(weight[:, None] * (stacked[truth] - expected)).sum(axis=0)
        return nll + l2 * beta @ beta, grad + 2 * l2 * beta

    result = minimize(loss, np.zeros(width), jac=True, method="L-BFGS-B")
    return Linear(tuple(round(float(b), 6) for b in result.x))


def spin_settings(rng: random.Random, seed: int) -> SpinSettings:
    """One training spinner: its own dictionary (``seed``) and random shares of words left
    alone, linked replacements and phrases, so the models see many spinners' habits."""
    return SpinSettings(
        seed=seed,
        keep_share=rng.uniform(0.1, 0.6),
        linked_share=rng.uniform(0.15, 0.45),
        phrase_share=rng.uniform(0.3, 0.7),
    )


def placeholder(rank: Linear | None = None) -> Weights:
    """Weights that replace nothing and call everything spun: the trainer needs the pipeline
    to run before the replace and detect models exist."""
    n = N_REPLACE_FEATURES
    return Weights(
        replace=Logistic((0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n, threshold=2.0),
        detect=Logistic((0.0,) * 4, 10.0, (0.0,) * 4, (1.0,) * 4, threshold=0.5),
        rank=rank,
    )


class _RoundOneOnce(Despinner):
    """Two rounds, the first with the shipped weights: it decides the same in both of
    training's passes over the same spins, so it runs once (``memo`` is shared by both)."""

    def __init__(self, later: Weights, memo: dict) -> None:
        super().__init__(dataclasses.replace(PARAMS, rounds=2), later=later)
        self.memo = memo

    def _second_pass(self, sites, fp, intensity, weights):
        if weights is not self.weights:
            return super()._second_pass(sites, fp, intensity, weights)
        key = (fp.text, tuple(site.key for site in sites))
        if key not in self.memo:
            self.memo[key] = super()._second_pass(sites, fp, intensity, weights)
        return self.memo[key]


def collect(root: Path, docs: int, seed: int, engine: Despinner):
    """Spin ``docs`` training articles and run ``engine`` on them. Returns the replace
    model's rows, the ranker's rows and the detect model's rows of its last round."""
    rng = random.Random(seed)
    pool = articles(root, "classifier")
    rng.shuffle(pool)
    rows, labels, weights, groups = [], [], [], []
    rank_rows: list[tuple[np.ndarray, int, float]] = []
    doc_x, doc_y = [], []
    clean_words = 0
    ranking = [0, 0]
    for i, (_, text) in enumerate(pool[:docs]):
        settings = spin_settings(rng, TRAIN_SEED_BASE + i)
        spin = Spinner(settings, table=engine.table).spin(text)
        toks, sites, _, decisions = engine.analyse(spin.text, force=True)
        doc_x.append(engine.doc_features(toks, sites))
        doc_y.append(1.0)
        clean_toks = engine_tokens(engine, text)
        doc_x.append(engine.doc_features(*clean_toks))
        doc_y.append(0.0)
        # Short excerpts too (a paragraph, a few sentences): detection must work on them.
        words = text.split()
        size = rng.randint(15, 80)
        start = rng.randint(0, max(0, len(words) - size))
        excerpt = " ".join(words[start : start + size]) + "\n"
        spun_excerpt = Spinner(settings, table=engine.table).spin(excerpt).text
        for sample, label in ((excerpt, 0.0), (spun_excerpt, 1.0)):
            doc_x.append(engine.doc_features(*engine_tokens(engine, sample)))
            doc_y.append(label)
        truth: dict[str, set[str]] = {}
        starts = {sp.start: sp for sp in spin.spans}
        for site in sites:
            span = starts.get(toks[site.index].start)
            if span is not None and span.end == toks[site.index + site.length - 1].end:
                truth.setdefault(site.key, set()).add(span.original.lower())
            else:
                truth.setdefault(site.key, set()).add("")  # left alone
        counts: dict[str, int] = {}
        for site in sites:
            counts[site.key] = counts.get(site.key, 0) + 1
        clean_words += sum(1 for t in toks if t.raw) - len(spin.spans)
        for key, decision in (decisions or {}).items():
            origins, original = truth.get(key, set()), decision.best
            if "" not in origins:
                ranking[0] += counts[key]
                ranking[1] += counts[key] * (origins == {original})
            names = [row.orig.text for row in decision.ranking.rows]
            if len(origins) == 1 and "" not in origins and origins <= set(names):
                features = np.array([row.features for row in decision.ranking.rows])
                rank_rows.append((features, names.index(next(iter(origins))), counts[key]))
            if origins == {""}:
                label = 0.0
            elif origins == {original}:
                label = 1.0
            else:
                continue
            rows.append(decision.features)
            groups.append(i)
            labels.append(label)
            weights.append(float(counts[key]))
    print(f"best original right for {ranking[1] / max(ranking[0], 1):.3f} of spun tokens")
    return (np.array(rows), np.array(labels), np.array(weights), rank_rows, np.array(doc_x),
            np.array(doc_y), clean_words, np.array(groups))  # fmt: skip


def engine_tokens(engine: Despinner, text: str):
    from storycheck.repair.despin import _tokenize

    toks = _tokenize(text)
    return toks, engine._sites(text, toks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: fit the rounds after the first (module docstring)",
    )
    parser.add_argument("--out", type=Path, help="default: the shipped file of those rounds")
    args = parser.parse_args(argv)
    out = args.out or (WEIGHTS_PATH if args.rounds == 1 else LATER_WEIGHTS_PATH)
    if out is None:
        parser.error("--rounds 2 needs --out: no weights of their own ship (LATER_WEIGHTS_PATH)")
    memo: dict = {}

    def engine(rank: Linear | None) -> Despinner:
        if args.rounds == 1:
            return Despinner(weights=placeholder(rank))
        return _RoundOneOnce(placeholder(rank), memo)

    rank_rows = collect(args.bbc, args.docs, args.seed, engine(None))[3]
    rank = fit_ranker(rank_rows)
    print(f"ranker from {len(rank_rows)} spun word types: {rank.weights}")
    x, y, w, _, dx, dy, clean_words, groups = collect(args.bbc, args.docs, args.seed, engine(rank))
    # The threshold is set on documents the trees did not see (one in CALIBRATION_FOLD), then
    # the trees are refitted on everything.
    held = groups % CALIBRATION_FOLD == 0
    probe = fit_trees(x[~held], y[~held], w[~held])
    probs = np.array([probe.prob(list(row)) for row in x[held]])
    x_all, y_all, w_all = x, y, w
    x, y, w = x[held], y[held], w[held]
    clean_words = clean_words / CALIBRATION_FOLD
    # Lowest threshold whose damage (clean tokens replaced) stays under the target.
    threshold = 0.5
    for t in np.arange(0.2, 0.99, 0.01):
        damage = w[(probs >= t) & (y == 0)].sum() / max(clean_words, 1)
        if damage <= TARGET_DAMAGE:
            threshold = float(t)
            break
    restored = w[(probs >= threshold) & (y == 1)].sum() / max(w[y == 1].sum(), 1)
    replace = fit_trees(x_all, y_all, w_all)
    detect = fit_logistic(dx, dy, np.ones(len(dy)), l2=1e-2)
    payload = {
        "replace": {"trees": replace.trees, "baseline": replace.baseline, "threshold": threshold},
        "detect": detect.__dict__,
        "rank": {"features": RANK_FEATURES, "weights": rank.weights},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(
        f"{len(y)} word types from {args.docs} documents; replace threshold {threshold:.2f}: "
        f"restores {restored:.3f} of correctly-ranked spun tokens; weights -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
