"""The check-worthiness scorer with its shipped weights: factual news claims pass the bar,
opinions, questions and filler do not; scores are 0..1 and depend on the sentence only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storycheck.claims.checkworthy import (
    LEXICAL_FEATURES,
    WEIGHTS_PATH,
    Scorer,
    lexical_features,
    load_scorer,
    load_weights,
)
from storycheck.errors import MissingResourceError
from storycheck.train_checkworthy import best_f1_threshold, read_ct_tsv

CLAIMS = [
    "Unemployment in Wales fell to 3.9% in the three months to June, the lowest since 2019.",
    "The council spent £4.7 million on temporary housing last year, twice its original budget.",
    "Police said 23 people were arrested after the match at Hampden Park on Saturday.",
    "Senator Maria Delgado voted against the bill in 2021, according to Senate records.",
    "The bridge, opened in 1974, carries more than 60,000 vehicles a day.",
    "Floods in the region have killed at least 140 people since Thursday, officials said.",
    "Exports to China rose by 12 percent in the first quarter, customs figures show.",
]

NOT_CLAIMS = [
    "I think this is the best thing that could happen to our town.",
    "What will the minister do next?",
    "Thank you all for coming tonight.",
    "We should all be proud of what we have achieved together.",
    "Frankly, I feel the council could do much better.",
    "Good evening, and welcome to the programme.",
    "Who knows what the future holds?",
]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return load_scorer()


def test_factual_claims_pass_the_threshold(scorer: Scorer) -> None:
    scores = scorer.score(CLAIMS)
    assert (scores >= scorer.threshold).all(), dict(zip(CLAIMS, scores.round(3), strict=True))


def test_opinions_questions_and_filler_stay_below(scorer: Scorer) -> None:
    scores = scorer.score(NOT_CLAIMS)
    assert (scores < scorer.threshold).all(), dict(zip(NOT_CLAIMS, scores.round(3), strict=True))


def test_every_claim_outscores_every_non_claim(scorer: Scorer) -> None:
    assert scorer.score(CLAIMS).min() > scorer.score(NOT_CLAIMS).max()


def test_scores_are_probabilities_in_input_order(scorer: Scorer) -> None:
    sentences = [*CLAIMS, *NOT_CLAIMS, "", "   "]
    scores = scorer.score(sentences)
    assert scores.shape == (len(sentences),)
    assert ((scores >= 0.0) & (scores <= 1.0)).all()
    assert scorer.score([]).shape == (0,)


def test_deterministic_and_batch_equals_one_by_one(scorer: Scorer) -> None:
    """Copies of a story must score a sentence the same whatever surrounds it."""
    sentences = [*NOT_CLAIMS[:3], *CLAIMS[:3]]
    batch = scorer.score(sentences)
    assert np.array_equal(batch, scorer.score(sentences))
    assert np.array_equal(batch, np.concatenate([scorer.score([s]) for s in sentences]))
    assert np.array_equal(batch[::-1], scorer.score(sentences[::-1]))


def test_shipped_thresholds_and_version(scorer: Scorer) -> None:
    assert 0.0 < scorer.threshold < scorer.strict_threshold < 1.0
    assert scorer.version >= 1


def test_lexical_features_see_numbers_names_and_questions() -> None:
    names = list(LEXICAL_FEATURES)
    fact = dict(zip(names, lexical_features("Sales rose 5% in Leeds, Tesco said."), strict=True))
    question = dict(zip(names, lexical_features("Do you agree?"), strict=True))
    assert fact["has_number"] == fact["has_money_or_share"] == 1.0
    assert fact["capitalised_share"] > 0.0
    assert question["is_question"] == question["is_short"] == 1.0
    assert question["you_share"] > 0.0


def test_missing_weights_are_reported(tmp_path: Path) -> None:
    with pytest.raises(MissingResourceError, match="reinstall"):
        load_weights(tmp_path / "checkworthy-v1.json")


def test_weights_for_another_embedder_are_refused(scorer: Scorer) -> None:
    weights = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    with pytest.raises(MissingResourceError, match="do not match"):
        Scorer({**weights, "embedder": "some-other-model"}, embedder=None)  # type: ignore[arg-type]


def test_checkthat_tsv_reader_unquotes_and_maps_yes(tmp_path: Path) -> None:
    """CheckThat! 2023/2024 files are held aside here, so their reader is checked on a sample
    written in their layout: a header, tabs, Yes/No labels, CSV-quoted fields with quotes."""
    path = tmp_path / "CT24_sample.tsv"
    path.write_text(
        "Sentence_id\tText\tclass_label\n"
        "1\tThe deficit doubled in 2020.\tYes\n"
        '2\t"He said ""no"" twice."\tNo\n',
        encoding="utf-8",
    )
    rows = read_ct_tsv(path, "Text", "class_label", "Yes")
    assert [(r.text, r.label) for r in rows] == [
        ("The deficit doubled in 2020.", 1),
        ('He said "no" twice.', 0),
    ]


def test_threshold_maximises_f1_and_keeps_ties_together() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    labels = np.array([1, 1, 0, 0, 0])
    # Flagging both 0.8s gives F1 0.8; splitting the tie would claim 1.0 no threshold can give.
    assert best_f1_threshold(scores, labels) == 0.8
