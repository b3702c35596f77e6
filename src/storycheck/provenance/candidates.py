"""Candidate pairs without comparing every pair: an exact inverted index of hashed 3-grams.

MinHash LSH estimates Jaccard similarity, which is small when one text quotes a third of another
(containment is high, Jaccard is not) and when a spinner has swapped most words. Counting the
shared 3-grams exactly costs one sort of all shingles, grows linearly with the corpus, and gives
containment directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from storycheck.provenance import rules
from storycheck.provenance.features import DocFeatures


def candidate_pairs(docs: Sequence[DocFeatures]) -> list[tuple[int, int, int]]:
    """``(i, j, shared)`` for document index pairs ``i < j`` worth aligning."""
    if len(docs) < 2:
        return []
    sizes = np.array([len(d.shingles) for d in docs])
    owners = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
    hashes = np.concatenate([d.shingles for d in docs])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    counts = np.diff(np.r_[starts, len(hashes)])
    keep = (counts >= 2) & (counts <= rules.MAX_SHINGLE_DOCS)
    n = len(docs)
    codes = [_pair_codes(owners, starts[keep & (counts == 2)], n)]
    for start, count in zip(starts[keep & (counts > 2)], counts[keep & (counts > 2)], strict=True):
        group = owners[start : start + count]
        codes.append(np.array([a * n + b for a, b in combinations(sorted(group), 2)]))
    pairs, shared = np.unique(np.concatenate(codes), return_counts=True)
    found = []
    for code, count in zip(pairs.tolist(), shared.tolist(), strict=True):
        i, j = divmod(code, n)
        smaller = max(1, min(sizes[i], sizes[j]))
        if count >= rules.MIN_SHARED_SHINGLES and count / smaller >= rules.MIN_SHINGLE_CONTAINMENT:
            found.append((i, j, count))
    return found


def _pair_codes(owners: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    a, b = owners[starts], owners[starts + 1]
    return np.minimum(a, b) * n + np.maximum(a, b)
