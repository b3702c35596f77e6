"""Per-document features for text-reuse detection: word tokens and hashed word n-grams.

Hashes are stable across runs and machines (BLAKE2 of each token, combined arithmetically), so
the Spark job and a laptop find the same shingles.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from storycheck.records import Document

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Odd multipliers for combining token hashes into n-gram hashes (wrapping uint64 arithmetic).
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


@dataclass(frozen=True)
class SentenceFeatures:
    start: int
    end: int
    tokens: tuple[str, ...]
    bigrams: frozenset[int]


@dataclass(frozen=True)
class DocFeatures:
    """What reuse detection needs of one document, computed once per run."""

    id: str
    sentences: tuple[SentenceFeatures, ...]
    shingles: np.ndarray  # unique hashed word 3-grams of the whole text (uint64)
    chars: int  # characters in sentences, the denominator of coverage


@lru_cache(maxsize=1 << 18)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


def _ngrams(hashes: np.ndarray, n: int) -> np.ndarray:
    if len(hashes) < n:
        return np.empty(0, dtype=np.uint64)
    out = np.zeros(len(hashes) - n + 1, dtype=np.uint64)
    for k in range(n):
        out += hashes[k : len(hashes) - n + 1 + k] * _MIX[k]
    return out


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def features(doc: Document) -> DocFeatures:
    sentences = []
    all_hashes = []
    for sentence in doc.sentences:
        words = tokens(sentence.text)
        hashes = np.array([_token_hash(w) for w in words], dtype=np.uint64)
        all_hashes.append(hashes)
        bigrams = frozenset(int(h) for h in _ngrams(hashes, 2))
        sentences.append(SentenceFeatures(sentence.start, sentence.end, tuple(words), bigrams))
    joined = np.concatenate(all_hashes) if all_hashes else np.empty(0, dtype=np.uint64)
    return DocFeatures(
        id=doc.id,
        sentences=tuple(sentences),
        shingles=np.unique(_ngrams(joined, 3)),
        chars=sum(s.end - s.start for s in sentences),
    )
