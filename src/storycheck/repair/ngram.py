"""A small trigram language model: the despinner's context model.

Why not a neural LM: the despinner scores tens of candidate originals at every spun word, and
SmolLM2 on 2 CPU cores manages ~400 tokens/s (the baseline's bottleneck). Trigram counts answer
in microseconds, and what spinning breaks is mostly local ("successful the" for "in the",
"helium said" for "he said"), which is what n-grams see. Counts come from clean news (the
training split of bbc-news, built by ``python -m storycheck.repair.train_ngrams``); n-grams seen
once are pruned, so the shipped file stays around a megabyte and holds no article text. The
base of the back-off is wordfreq's broad unigram distribution, so words the news corpus never
saw still get a sensible probability.

Smoothing is Witten-Bell: P(w | h) = (c(h, w) + T(h) P(w | shorter h)) / (c(h) + T(h)), with
T(h) the number of distinct words seen after h.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from storycheck.errors import MissingResourceError

MODEL_PATH = Path(__file__).parent / "data" / "ngrams-v1.npz"
# Context tokens: words (inner hyphen/apostrophe), numbers as one token, or one punctuation mark.
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
BOS = "<s>"
NUM = "<num>"
FLOOR = 1e-9  # unigram probability of a word wordfreq has never seen


def normalize(token: str) -> str:
    """The form the model counts: lowercase, multi-digit numbers folded to one symbol."""
    if token[:1].isdigit():
        return token if len(token) == 1 else NUM
    return token.lower().replace("’", "'")


def context_tokens(text: str) -> list[str]:
    """Normalised tokens of a text, with a sentence mark at each line start."""
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out.append(BOS)
            out.extend(normalize(m.group()) for m in TOKEN.finditer(line))
    return out


@lru_cache(maxsize=1)
def _unigrams() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en")


@dataclass
class NgramModel:
    """Counts keyed by vocabulary ids; unknown words have id -1 and only a unigram probability."""

    vocab: dict[str, int]
    uni_count: list[int]  # c(v) as a history
    uni_types: list[int]  # T(v)
    bigram: dict[int, tuple[int, int]]  # key -> (count, distinct followers)
    trigram: dict[int, int]

    def __post_init__(self) -> None:
        self.size = len(self.vocab)
        self.freq = _unigrams()
        self._p1: dict[str, float] = {}

    def p1(self, word: str) -> float:
        p = self._p1.get(word)
        if p is None:
            if word == BOS:
                p = 0.04
            elif word == NUM:
                p = 0.01
            else:
                p = self.freq.get(word, 0.0) or FLOOR
            self._p1[word] = p
        return p

    def p2(self, prev: str, word: str) -> float:
        base = self.p1(word)
        a = self.vocab.get(prev, -1)
        if a < 0:
            return base
        b = self.vocab.get(word, -1)
        count = 0
        if b >= 0:
            hit = self.bigram.get(a * self.size + b)
            count = hit[0] if hit else 0
        types = self.uni_types[a]
        if not types:
            return base
        return (count + types * base) / (self.uni_count[a] + types)

    def p3(self, prev2: str, prev: str, word: str) -> float:
        base = self.p2(prev, word)
        a, b = self.vocab.get(prev2, -1), self.vocab.get(prev, -1)
        if a < 0 or b < 0:
            return base
        hist = self.bigram.get(a * self.size + b)
        if not hist or not hist[1]:
            return base
        c = self.vocab.get(word, -1)
        count = self.trigram.get((a * self.size + b) * self.size + c, 0) if c >= 0 else 0
        return (count + hist[1] * base) / (hist[0] + hist[1])

    def logprob(self, left: tuple[str, str], words: list[str], right: tuple[str, ...]) -> float:
        """log P(words, right | left): the terms of a sentence's probability that change when
        ``words`` is swapped for another candidate in the same context."""
        seq = [left[0], left[1], *words, *right]
        total = 0.0
        for i in range(2, len(seq)):
            total += math.log(self.p3(seq[i - 2], seq[i - 1], seq[i]))
        return total


def save(path: Path, vocab: list[str], uni_count, uni_types, bi_keys, bi_counts, bi_types,
         tri_keys, tri_counts) -> None:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        vocab=np.array("\n".join(vocab)),
        uni_count=np.asarray(uni_count, dtype=np.uint32),
        uni_types=np.asarray(uni_types, dtype=np.uint32),
        bi_keys=np.asarray(bi_keys, dtype=np.uint64),
        bi_counts=np.asarray(bi_counts, dtype=np.uint32),
        bi_types=np.asarray(bi_types, dtype=np.uint32),
        tri_keys=np.asarray(tri_keys, dtype=np.uint64),
        tri_counts=np.asarray(tri_counts, dtype=np.uint32),
    )


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> NgramModel:
    if not path.is_file():
        raise MissingResourceError(
            f"despinning n-gram model missing at {path}: reinstall storycheck (`bash setup.sh`)"
        )
    data = np.load(path)
    words = str(data["vocab"]).split("\n")
    bigram = dict(
        zip(
            data["bi_keys"].tolist(),
            zip(data["bi_counts"].tolist(), data["bi_types"].tolist(), strict=True),
            strict=True,
        )
    )
    trigram = dict(zip(data["tri_keys"].tolist(), data["tri_counts"].tolist(), strict=True))
    return NgramModel(
        vocab={w: i for i, w in enumerate(words)},
        uni_count=data["uni_count"].tolist(),
        uni_types=data["uni_types"].tolist(),
        bigram=bigram,
        trigram=trigram,
    )
