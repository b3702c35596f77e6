"""Check-worthiness: how much a fact-checker would want to verify a sentence, from 0 to 1.

A logistic model reads the sentence embedding (all-MiniLM-L6-v2, int8 ONNX) and a dozen cheap
lexical signals: numbers and money, capitalised names, first- and second-person words, opinion
and hedging words, past tense, comparisons, questions and length. It was trained on the
ClaimBuster debate sentences (``python -m storycheck.train_checkworthy``, figures in
docs/models/checkworthy.md); inference is numpy only, scikit-learn is needed to train.

Two thresholds ship with the weights, both set on held-out debates: ``threshold`` maximises F1
for ClaimBuster's "check-worthy factual claim" (about a quarter of debate sentences), which is
what makes a sentence a claim; ``strict_threshold`` maximises F1 for CheckThat!'s much rarer
"a fact-checker actually checked it" (about 2%).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from storycheck.errors import MissingResourceError
from storycheck.models.embed import DEFAULT_NAME, Embedder, OnnxEmbedder, load_embedder, onnx_dir

WEIGHTS_PATH = Path(__file__).parent / "data" / "checkworthy-v1.json"

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million"
    r"|billion|trillion|half|percent)\b",
    re.IGNORECASE,
)
_MONEY_OR_SHARE = re.compile(r"[$%£€]|\b(?:percent|dollars?|pounds?|euros?)\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"[A-Z][a-z]")
_OPENERS = "\"'([“‘"
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've|i'll|i'd)\b", re.IGNORECASE)
_WE = re.compile(r"\b(?:we|us|our|ours|we're|we've|we'll|we'd)\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your|yours|you're|you've|you'll)\b", re.IGNORECASE)
_OPINION = re.compile(
    r"\b(?:think|believe|feel|hope|should|must|ought|want|wish|love|great|wonderful|terrible"
    r"|good|bad|best|worst|proud|agree|disagree|frankly|honestly|maybe|perhaps|probably)\b",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:was|were|had|did|\w+ed)\b", re.IGNORECASE)
_COMPARISON = re.compile(
    r"\b(?:more|less|most|least|than|\w+est|record|increase|decrease|rose|fell|doubled|cut)\b",
    re.IGNORECASE,
)

LEXICAL_FEATURES = (
    "has_number",
    "has_money_or_share",
    "capitalised_share",
    "first_person_share",
    "we_share",
    "you_share",
    "is_question",
    "log_words",
    "is_short",
    "opinion_share",
    "past_share",
    "comparison_share",
)


def lexical_features(sentence: str) -> list[float]:
    """Signals the embedding blurs (they add 0.02 AP to it in cross-validation): figures and
    names, and the person and hedging words that separate "we cut taxes by $1,000" from "I think
    we should cut taxes". Shares are per word so long sentences do not win by length alone; the
    order is LEXICAL_FEATURES."""
    words = sentence.split()
    n = max(len(words), 1)
    # A capitalised word after the first is most often a name (people, places, bodies).
    capitalised = sum(1 for w in words[1:] if _CAPITALISED.match(w.lstrip(_OPENERS)))
    return [
        float(bool(_NUMBER.search(sentence))),
        float(bool(_MONEY_OR_SHARE.search(sentence))),
        capitalised / n,
        len(_FIRST_PERSON.findall(sentence)) / n,
        len(_WE.findall(sentence)) / n,
        len(_YOU.findall(sentence)) / n,
        float(sentence.rstrip().endswith("?")),
        float(np.log1p(len(words))),
        float(len(words) < 5),
        len(_OPINION.findall(sentence)) / n,
        len(_PAST.findall(sentence)) / n,
        len(_COMPARISON.findall(sentence)) / n,
    ]


def scorer_embedder() -> Embedder:
    """The embedder the weights were trained on. A user's own ``STORYCHECK_EMBEDDER`` serves
    the rest of storycheck; the scorer keeps the default model, whose vectors it understands."""
    if os.environ.get("STORYCHECK_EMBEDDER"):
        return OnnxEmbedder(onnx_dir())
    return load_embedder()


def embed_each(embedder: Embedder, sentences: Sequence[str]) -> np.ndarray:
    """One sentence per call. The int8 model quantises activations over the whole batch, so a
    sentence embedded among others moves (cosine down to 0.97); alone, its vector and score
    depend on its text only, the same in every document and every copy of it."""
    return np.vstack([embedder.embed([s]) for s in sentences])


class Scorer:
    """Logistic regression over [embedding, standardised lexical features], with the weights'
    ``threshold`` (claims), ``strict_threshold`` and ``version`` (bumped with the weights, so
    the pipeline rescores)."""

    def __init__(self, weights: dict, embedder: Embedder) -> None:
        if weights["embedder"] != DEFAULT_NAME or weights["features"] != list(LEXICAL_FEATURES):
            raise MissingResourceError(
                f"check-worthiness weights do not match this storycheck: reinstall it "
                f"(weights for {weights['embedder']}, {len(weights['features'])} features)"
            )
        self.version: int = int(weights["version"])
        self.threshold: float = float(weights["threshold"])
        self.strict_threshold: float = float(weights["strict_threshold"])
        self._embedding_coef = np.array(weights["embedding_coef"], dtype=np.float64)
        self._lexical_coef = np.array(weights["lexical_coef"], dtype=np.float64)
        self._lexical_mean = np.array(weights["lexical_mean"], dtype=np.float64)
        self._lexical_scale = np.array(weights["lexical_scale"], dtype=np.float64)
        self._bias = float(weights["bias"])
        self._embedder = embedder

    def score(self, sentences: Sequence[str]) -> np.ndarray:
        """Check-worthiness of each sentence, 0..1, in input order."""
        if not sentences:
            return np.zeros(0, dtype=np.float64)
        vectors = embed_each(self._embedder, sentences)
        lexical = np.array([lexical_features(s) for s in sentences], dtype=np.float64)
        return self.score_features(vectors, lexical)

    def score_features(self, vectors: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """Scores from features already computed (the trainer calibrates on these). Row by row
        sums, not a matrix product: BLAS rounds differently by batch size, and a sentence's
        score must not depend on its neighbours, even in the last bit."""
        standardised = (lexical - self._lexical_mean) / self._lexical_scale
        logits = (
            (vectors.astype(np.float64) * self._embedding_coef).sum(axis=1)
            + (standardised * self._lexical_coef).sum(axis=1)
            + self._bias
        )
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))


def load_weights(path: Path = WEIGHTS_PATH) -> dict:
    if not path.is_file():
        raise MissingResourceError(
            f"check-worthiness weights missing at {path}: reinstall storycheck"
        )
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def load_scorer() -> Scorer:
    """The shipped scorer, loaded once per process."""
    return Scorer(load_weights(), scorer_embedder())
