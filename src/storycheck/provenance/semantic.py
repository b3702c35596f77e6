"""Rewrites that share few word sequences: found by sentence embeddings.

A paraphrasing rewrite keeps the story's sentences and their order but not its wording, so the
shingle index misses it. Lead embeddings (title and first sentences) find neighbouring
documents; sentence embeddings then align them one to one. Independent reports of one event are
neighbours too, but few of their sentences are paraphrases of each other, so the coverage and
order rules of the lexical path still separate them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from storycheck.provenance import rules
from storycheck.provenance.align import Alignment, Passage
from storycheck.provenance.features import DocFeatures

# vectors(kind, document ids) -> one array per document: "lead" is (1, dim), "sentences" (n, dim).
VectorSource = Callable[[str, Sequence[str]], list[np.ndarray]]


def neighbour_pairs(
    feats: Sequence[DocFeatures], vectors: VectorSource, known: set[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Pairs ``i < j`` whose leads are close and that the shingle index did not propose."""
    if len(feats) < 2:
        return []
    leads = np.vstack(vectors("lead", [f.id for f in feats]))
    pairs = []
    for start in range(0, len(feats), 1024):  # blocks keep the similarity matrix small
        block = leads[start : start + 1024] @ leads.T
        for i, j in zip(*np.nonzero(block >= rules.LEAD_NEIGHBOUR), strict=True):
            i = int(i) + start
            if i < j and (i, int(j)) not in known:
                pairs.append((i, int(j)))
    return pairs


def align_semantic(a: DocFeatures, b: DocFeatures, va: np.ndarray, vb: np.ndarray) -> Alignment:
    """One-to-one sentence alignment by cosine similarity, best pairs first."""
    empty = Alignment((), 0.0, 0.0, 0.0, 0, 0.0, ())
    if not len(va) or not len(vb):
        return empty
    similarity = va @ vb.T
    candidates = np.argwhere(similarity >= rules.PARAPHRASE_SIMILARITY)
    order = np.argsort(-similarity[candidates[:, 0], candidates[:, 1]])
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches = []
    for i, j in candidates[order].tolist():
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            matches.append((i, j, float(similarity[i, j])))
    if not matches:
        return empty
    by_b = sorted(matches, key=lambda m: m[1])
    steps = list(zip(by_b, by_b[1:], strict=False))
    in_order = sum(nxt[0] > cur[0] for cur, nxt in steps) / len(steps) if steps else 1.0
    span = lambda doc, k: doc.sentences[k].end - doc.sentences[k].start  # noqa: E731
    return Alignment(
        matches=tuple(by_b),
        coverage_a=sum(span(a, i) for i, _, _ in by_b) / max(1, a.chars),
        coverage_b=sum(span(b, j) for _, j, _ in by_b) / max(1, b.chars),
        identity=sum(m[2] for m in by_b) / len(by_b),
        long_runs=0,
        order=in_order,
        passages=tuple(
            Passage(a.sentences[i].start, a.sentences[i].end, b.sentences[j].start,
                    b.sentences[j].end)
            for i, j, _ in by_b
        ),
    )  # fmt: skip
