"""Candidate pairs without comparing every pair: an exact inverted index of hashed 3-grams.

MinHash LSH estimates Jaccard similarity, which is small when one text quotes a third of another
(containment is high, Jaccard is not) and when a spinner has swapped most words. Counting the
shared 3-grams exactly costs one sort of all shingles, grows linearly with the corpus, and gives
containment directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storycheck.provenance import rules
from storycheck.provenance.features import DocFeatures


def candidate_pairs(
    docs: Sequence[DocFeatures], rank: Sequence[int] | None = None
) -> list[tuple[int, int, int]]:
    """``(i, j, shared)`` for document index pairs ``i < j`` worth aligning.

    ``rank`` orders the documents by age (earliest first). A 3-gram found in more than
    ``rules.ALL_PAIRS_DOCS`` documents pairs each of them only with the earliest few: in a story
    copied hundreds of times those are where the original is, and all pairs would be quadratic.
    """
    if len(docs) < 2:
        return []
    n = len(docs)
    age = np.asarray(rank if rank is not None else range(n), dtype=np.int64)
    sizes = np.array([len(d.shingles) for d in docs])
    owners = np.repeat(np.arange(n, dtype=np.int64), sizes)
    hashes = np.concatenate([d.shingles for d in docs])
    order = np.lexsort((age[owners], hashes))  # by 3-gram, then earliest document first
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    counts = np.diff(np.r_[starts, len(hashes)])
    codes = [_codes(owners[starts[counts == 2]], owners[starts[counts == 2] + 1], n)]
    for start, count in zip(starts[counts > 2], counts[counts > 2], strict=True):
        group = owners[start : start + count]
        if count <= rules.ALL_PAIRS_DOCS:
            i, j = np.triu_indices(count, 1)
        else:
            hubs = min(rules.HUB_SOURCES, count)
            i = np.repeat(np.arange(hubs), count)
            j = np.tile(np.arange(count), hubs)
            i, j = i[i < j], j[i < j]
        codes.append(_codes(group[i], group[j], n))
    pairs, shared = np.unique(np.concatenate(codes), return_counts=True)
    found = []
    for code, count in zip(pairs.tolist(), shared.tolist(), strict=True):
        i, j = divmod(code, n)
        smaller = max(1, min(sizes[i], sizes[j]))
        if count >= rules.MIN_SHARED_SHINGLES and count / smaller >= rules.MIN_SHINGLE_CONTAINMENT:
            found.append((i, j, count))
    return found


def _codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Unordered pairs as single integers, ``min * n + max``, so counting them is one unique."""
    return np.minimum(a, b) * n + np.maximum(a, b)
