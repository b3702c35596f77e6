"""Provenance: which documents derive from which, how, and which share an origin.

``find_derivations`` runs the whole judgement: candidate pairs from an exact shingle index,
sentence alignment of each candidate, direction and kind from the documents' own evidence, and
one source per derived document, so that copies of a copy point at the original rather than at
each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from storycheck.provenance import rules
from storycheck.provenance.align import Alignment, align
from storycheck.provenance.candidates import candidate_pairs
from storycheck.provenance.decide import direct, kind
from storycheck.provenance.features import DocFeatures, features
from storycheck.provenance.semantic import (
    VectorSource,
    align_semantic,
    day_of,
    neighbour_pairs,
)
from storycheck.records import Document

# Kinds that pass a whole story on: the target shares the source's origin.
COPY_KINDS = frozenset({"copy", "republication", "spun_copy", "rewrite"})


@dataclass(frozen=True)
class SharedPassage:
    source_start: int
    source_end: int
    target_start: int
    target_end: int


@dataclass(frozen=True)
class Derivation:
    """``target`` derives from ``source`` by ``kind``; ``score`` is the share of the target the
    source accounts for."""

    source: str
    target: str
    kind: str
    score: float
    source_coverage: float
    target_coverage: float
    identity: float
    order: float
    direction: str
    shared: tuple[SharedPassage, ...]


@dataclass
class Provenance:
    derivations: list[Derivation]
    origins: dict[str, str] = field(default_factory=dict)  # document id -> origin document id

    def independent_sources(self, documents: Sequence[str]) -> int:
        """Distinct origins among ``documents``: copies of one report count once."""
        return len({self.origins.get(d, d) for d in documents})


def derivation_json(edge: Derivation) -> dict[str, Any]:
    """A derivation as story.json and the store carry it."""
    return asdict(edge) | {"shared": [asdict(p) for p in edge.shared]}


def find_derivations(docs: Sequence[Document], vectors: VectorSource | None = None) -> Provenance:
    """All derivations among ``docs``. With ``vectors`` (sentence embeddings), paraphrasing
    rewrites that share little wording are found too."""
    feats = [features(d) for d in docs]
    edges: list[Derivation] = []
    # Oldest first, ties by id: results do not depend on the order documents were read in, and
    # ``scale`` orders its pairs the same way.
    by_age = sorted(range(len(docs)), key=lambda k: (docs[k].published or "\uffff", docs[k].id))
    rank = [0] * len(docs)
    for position, k in enumerate(by_age):
        rank[k] = position
    lexical = candidate_pairs(feats, rank)
    for i, j, _ in lexical:
        i, j = sorted((i, j), key=rank.__getitem__)
        edge = judge_pair(docs[i], docs[j], feats[i], feats[j])
        if edge is not None:
            edges.append(edge)
    if vectors is not None:
        derived = {e.target for e in edges if e.kind in COPY_KINDS}
        unexplained = [k for k, d in enumerate(docs) if d.id not in derived]
        known = {(i, j) for i, j, _ in lexical}
        edges.extend(_paraphrases(docs, feats, vectors, unexplained, known, rank))
    return choose(edges, {d.id: d.published for d in docs})


def judge_pair(
    a: Document, b: Document, fa: DocFeatures | None = None, fb: DocFeatures | None = None
) -> Derivation | None:
    """The derivation between one candidate pair that shares wording, if any: sentence
    alignment, then direction and kind. The unit of work ``scale`` spreads over a cluster."""
    alignment = align(fa or features(a), fb or features(b))
    if len(alignment.matches) < rules.MIN_MATCHED_SENTENCES:
        return None
    return _derivation(a, b, alignment)


def judge_paraphrase(a: Document, b: Document, va: np.ndarray, vb: np.ndarray) -> Derivation | None:
    """The same for a pair of lead-embedding neighbours, aligned by sentence embeddings."""
    alignment = align_semantic(features(a), features(b), va, vb)
    if len(alignment.matches) < rules.MIN_MATCHED_SENTENCES:
        return None
    return _derivation(a, b, alignment, paraphrase=True)


def choose(edges: list[Derivation], published: dict[str, str | None]) -> Provenance:
    """One source per derived document, and each document's origin, from every edge found.

    Needs only each document's publication date, so ``scale`` runs it on the driver over the
    edges its workers found."""
    chosen = _one_source_each(edges, published)
    return Provenance(chosen, _origins(chosen, list(published)))


def _paraphrases(
    docs: Sequence[Document],
    feats: Sequence[DocFeatures],
    vectors: VectorSource,
    unexplained: list[int],
    known: set[tuple[int, int]],
    rank: list[int],
) -> list[Derivation]:
    """Paraphrase rewrites among documents the lexical pass left unexplained.

    A document already found to copy another is not a paraphrase of a third, and its source is
    the better source for any paraphrase of it, so copy-heavy crawls embed only a fraction.
    """
    subset = [feats[k] for k in unexplained]
    pairs = [
        (unexplained[a], unexplained[b])
        for a, b in neighbour_pairs(
            subset, vectors, [day_of(docs[k].published) for k in unexplained]
        )
        if (unexplained[a], unexplained[b]) not in known
    ]
    needed = sorted({k for pair in pairs for k in pair})
    sentence_vectors = dict(
        zip(needed, vectors("sentences", [docs[k].id for k in needed]), strict=True)
    )
    found = []
    for i, j in pairs:
        i, j = sorted((i, j), key=rank.__getitem__)
        edge = judge_paraphrase(docs[i], docs[j], sentence_vectors[i], sentence_vectors[j])
        if edge is not None:
            found.append(edge)
    return found


def _derivation(
    a: Document, b: Document, alignment: Alignment, paraphrase: bool = False
) -> Derivation | None:
    direction = direct(a, b, alignment)
    if paraphrase:
        rewritten = (
            direction.target_coverage >= rules.PARAPHRASE_COVERAGE
            and alignment.order >= rules.PARAPHRASE_ORDER
        )
        reuse = "rewrite" if rewritten else None
    else:
        reuse = kind(direction, alignment)
    if reuse is None:
        return None
    forward = direction.source is a
    shared = tuple(
        SharedPassage(p.a_start, p.a_end, p.b_start, p.b_end)
        if forward
        else SharedPassage(p.b_start, p.b_end, p.a_start, p.a_end)
        for p in alignment.passages
    )
    return Derivation(
        source=direction.source.id,
        target=direction.target.id,
        kind=reuse,
        score=round(direction.target_coverage, 4),
        source_coverage=round(direction.source_coverage, 4),
        target_coverage=round(direction.target_coverage, 4),
        identity=round(alignment.identity, 4),
        order=round(alignment.order, 4),
        direction=direction.reason,
        shared=shared,
    )


def _one_source_each(edges: list[Derivation], dates: dict[str, str | None]) -> list[Derivation]:
    """For each target keep the best source: the one that accounts for most of it, preferring
    documents that are not derived themselves, then the earliest. A quotation may quote several
    sources; each further one is kept when it accounts for a passage no earlier one did."""
    published = {doc_id: date or "\uffff" for doc_id, date in dates.items()}
    derived = {e.target for e in edges}
    by_target: dict[str, list[Derivation]] = defaultdict(list)
    for edge in edges:
        by_target[edge.target].append(edge)
    chosen: list[Derivation] = []
    for target_edges in by_target.values():
        target_edges.sort(
            key=lambda e: (
                -round(e.target_coverage, 1),
                e.source in derived,
                published[e.source],
                -e.identity,
            )
        )
        best = target_edges[0]
        chosen.append(best)
        if best.kind != "quotation":
            continue
        covered = [(p.target_start, p.target_end) for p in best.shared]
        for edge in target_edges[1:]:
            spans = [(p.target_start, p.target_end) for p in edge.shared]
            new = [s for s in spans if not any(_overlaps(s, c) for c in covered)]
            if edge.kind == "quotation" and new:
                chosen.append(edge)
                covered.extend(new)
    return sorted(chosen, key=lambda e: (e.source, e.target))


def _overlaps(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def _origins(edges: list[Derivation], ids: Sequence[str]) -> dict[str, str]:
    """Follow copy-kind edges back to the document each story started from."""
    parent = {e.target: e.source for e in edges if e.kind in COPY_KINDS}
    origins = {}
    for doc_id in ids:
        node, seen = doc_id, {doc_id}
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        origins[doc_id] = node
    return origins
