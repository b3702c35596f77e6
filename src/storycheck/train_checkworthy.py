"""Train the check-worthiness scorer (storycheck.claims.checkworthy) on public debate sentences.

Usage: ``python -m storycheck.train_checkworthy DATA_DIR [--out FILE]``, where DATA_DIR holds
``claimbuster/`` and ``checkthat-checkworthiness-en/`` (needs the ``train`` extra: scikit-learn).

The split is fixed (docs/models/checkworthy.md):

* train: ClaimBuster's crowd-labelled ``kfold_25ncs`` sentences of 80% of the debates;
* dev: the other 20% of the debates (seeded by SEED); ``threshold`` maximises F1 on them;
* strict dev: all 7 debates and speeches of the CheckThat! 2019 test set; ``strict_threshold``
  maximises F1 there. They are not trained on: in grouped cross-validation adding them to the
  training data left CheckThat!-style ranking where it was and cost ClaimBuster 0.02 AP, since
  their labels call most factual sentences "not checked";
* test, never trained or tuned on: ClaimBuster ``groundtruth.csv``, CheckThat! 2020 (and 2023,
  2024 where present). Any training or dev sentence whose text occurs in a test set is dropped.

ClaimBuster numbers sentences consecutively through each debate, and groundtruth.csv names the
debate (File_id) of its sentences, so the first sentence id of each of its 30 debates marks a
boundary. A kfold sentence belongs to the group of the boundary before it, which keeps each
debate on one side of the split up to its edge (its sentences before its first groundtruth one
fall into the previous group; the last group also holds the 3 debates groundtruth never
samples).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storycheck.claims.checkworthy import (
    LEXICAL_FEATURES,
    WEIGHTS_PATH,
    Scorer,
    embed_each,
    lexical_features,
    scorer_embedder,
)
from storycheck.models.embed import DEFAULT_NAME

SEED = 0
DEV_SHARE = 0.2  # of ClaimBuster debates
C = 2.0  # inverse L2 strength: best ClaimBuster F1 in grouped cross-validation of 1, 2, 4, 8
VERSION = 1

KFOLD = "claimbuster/claimbuster_spotter_kfold_25ncs.csv"
GROUNDTRUTH = "claimbuster/groundtruth.csv"
CHECKTHAT = "checkthat-checkworthiness-en"
CT19 = f"{CHECKTHAT}/CT19_T1_test_gold.csv"
CT20 = f"{CHECKTHAT}/CT20_T5_test_gold.tsv"
# Held aside from some copies of the data folder; used as test sets when present.
CT23 = f"{CHECKTHAT}/CT23_1B_checkworthy_english_test_gold.tsv"
CT24 = f"{CHECKTHAT}/CT24_checkworthy_english_test_gold.tsv"


@dataclass(frozen=True)
class Labelled:
    text: str
    label: int  # 1 = check-worthy
    group: str  # the debate or speech it comes from: a split never cuts one


@dataclass(frozen=True)
class Split:
    train: list[Labelled]
    dev: list[Labelled]  # held-out ClaimBuster debates: sets ``threshold``
    strict_dev: list[Labelled]  # CheckThat! 2019: sets ``strict_threshold``


def normalise(text: str) -> str:
    """Key for overlap checks: case and spacing differ between copies of one sentence."""
    return " ".join(text.lower().split())


def _unquote(field: str) -> str:
    """CheckThat! TSVs must be read with quoting off (stray quotes), yet fields holding quotes
    arrive CSV-quoted: undo that one layer."""
    if len(field) > 1 and field.startswith('"') and field.endswith('"'):
        return field[1:-1].replace('""', '"')
    return field


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_groundtruth(root: Path) -> list[Labelled]:
    """ClaimBuster's expert test set: Verdict 1 (check-worthy factual) is positive; -1
    (non-factual) and 0 (unimportant factual) are not."""
    return [
        Labelled(r["Text"], int(r["Verdict"] == "1"), r["File_id"])
        for r in _read_csv(root / GROUNDTRUTH)
    ]


def read_kfold(root: Path) -> list[Labelled]:
    """ClaimBuster's crowd-labelled two-class set, grouped by debate (see module doc)."""
    first_ids: dict[str, int] = {}
    for r in _read_csv(root / GROUNDTRUTH):
        sentence_id = int(r["Sentence_id"])
        first_ids[r["File_id"]] = min(sentence_id, first_ids.get(r["File_id"], sentence_id))
    starts = sorted(first_ids.values())
    rows = _read_csv(root / KFOLD)
    # Sentences before the first boundary belong to the first debate.
    debates = [max(bisect_right(starts, int(r["sentence_id"])), 1) for r in rows]
    return [
        Labelled(r["text"], int(r["label"]), f"claimbuster-{debate}")
        for r, debate in zip(rows, debates, strict=True)
    ]


def read_ct19(root: Path) -> list[Labelled]:
    return [Labelled(r["text"], int(r["label"]), r["file_name"]) for r in _read_csv(root / CT19)]


def read_ct_tsv(path: Path, text_column: str, label_column: str, yes: str) -> list[Labelled]:
    """A CheckThat! TSV with a header; quoting off (see _unquote)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    text_at, label_at = header.index(text_column), header.index(label_column)
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    return [Labelled(_unquote(r[text_at]), int(r[label_at] == yes), path.stem) for r in rows]


def test_sets(root: Path) -> dict[str, list[Labelled]]:
    """Every test set present under ``root``, by display name."""
    sets = {
        "ClaimBuster groundtruth": read_groundtruth(root),
        "CheckThat! 2020 T5": read_ct_tsv(root / CT20, "text", "label", "1"),
    }
    for name, relative in (("CheckThat! 2023 1B", CT23), ("CheckThat! 2024 T1", CT24)):
        if (root / relative).is_file():
            sets[name] = read_ct_tsv(root / relative, "Text", "class_label", "Yes")
    return sets


def training_split(root: Path) -> Split:
    """The fixed split (module doc); also used by bench/checkworthy.py for the baseline."""
    strict_dev = read_ct19(root)
    unseen = {normalise(s.text) for rows in test_sets(root).values() for s in rows}
    strict_dev = [s for s in strict_dev if normalise(s.text) not in unseen]
    unseen |= {normalise(s.text) for s in strict_dev}
    pool = [s for s in read_kfold(root) if normalise(s.text) not in unseen]
    groups = sorted({s.group for s in pool})
    random.Random(SEED).shuffle(groups)
    dev_groups = set(groups[: round(DEV_SHARE * len(groups))])
    return Split(
        train=[s for s in pool if s.group not in dev_groups],
        dev=[s for s in pool if s.group in dev_groups],
        strict_dev=strict_dev,
    )


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score at which ``score >= threshold`` has the highest F1 on these labels."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(labels[order])
    flagged = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (flagged + labels.sum())
    # Only cut where the score changes, so tied sentences fall on one side together.
    ends = np.r_[np.diff(scores[order]) != 0, True]
    best = int(np.argmax(np.where(ends, f1, -1.0)))
    return float(scores[order][best])


def _features(sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    vectors = embed_each(scorer_embedder(), sentences)
    lexical = np.array([lexical_features(s) for s in sentences], dtype=np.float64)
    return vectors, lexical


def fit(vectors: np.ndarray, lexical: np.ndarray, labels: np.ndarray) -> dict:
    """L2 logistic regression (scikit-learn) over [embedding, standardised lexical], exported
    as plain numbers; thresholds are added by the caller."""
    from sklearn.linear_model import LogisticRegression

    mean = lexical.mean(axis=0)
    scale = lexical.std(axis=0) + 1e-6
    x = np.hstack([vectors, (lexical - mean) / scale])
    model = LogisticRegression(C=C, max_iter=5000).fit(x, labels)
    coef = model.coef_[0]
    dims = vectors.shape[1]
    return {
        "version": VERSION,
        "embedder": DEFAULT_NAME,
        "features": list(LEXICAL_FEATURES),
        "embedding_coef": [round(float(c), 6) for c in coef[:dims]],
        "lexical_coef": [round(float(c), 6) for c in coef[dims:]],
        "lexical_mean": [round(float(m), 6) for m in mean],
        "lexical_scale": [round(float(s), 6) for s in scale],
        "bias": round(float(model.intercept_[0]), 6),
    }


def _summary(name: str, scores: np.ndarray, labels: np.ndarray, threshold: float) -> str:
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(
        labels, scores >= threshold, average="binary", zero_division=0
    )
    ap = average_precision_score(labels, scores)
    return f"{name}: {len(labels)} sentences, P {p:.3f} R {r:.3f} F1 {f:.3f} AP {ap:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="folder with claimbuster/ and checkthat-*/")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    split = training_split(args.data)
    print(
        f"train {len(split.train)} sentences ({sum(s.label for s in split.train)} check-worthy), "
        f"dev {len(split.dev)} ({len({s.group for s in split.dev})} debates), "
        f"strict dev {len(split.strict_dev)}"
    )
    train_y = np.array([s.label for s in split.train])
    weights = fit(*_features([s.text for s in split.train]), train_y)
    probe = Scorer({**weights, "threshold": 0.5, "strict_threshold": 0.5}, scorer_embedder())
    thresholds = {}
    for key, rows in (("threshold", split.dev), ("strict_threshold", split.strict_dev)):
        labels = np.array([s.label for s in rows])
        scores = probe.score_features(*_features([s.text for s in rows]))
        thresholds[key] = round(best_f1_threshold(scores, labels), 6)
        print(_summary(f"{key} {thresholds[key]:.4f}", scores, labels, thresholds[key]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {**weights, **thresholds}
    args.out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"weights -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
