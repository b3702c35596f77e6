"""Rewrites that share few word sequences: found by sentence embeddings.

A paraphrasing rewrite keeps the story's sentences and their order but not its wording, so the
shingle index misses it. Lead embeddings (title and first sentences) find neighbouring
documents; sentence embeddings then align them one to one. Independent reports of one event are
neighbours too, but few of their sentences are paraphrases of each other, so the coverage and
order rules of the lexical path still separate them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

import numpy as np

from storycheck.models.embed import Embedder
from storycheck.provenance import rules
from storycheck.provenance.align import Alignment, Passage
from storycheck.provenance.features import DocFeatures
from storycheck.records import Document

# vectors(kind, document ids) -> one array per document: "lead" is (1, dim), "sentences" (n, dim).
VectorSource = Callable[[str, Sequence[str]], list[np.ndarray]]


class VectorCache(Protocol):
    """Where computed embeddings are kept between runs (the story store)."""

    def vectors(
        self, model: str, kind: str, documents: Sequence[str]
    ) -> dict[str, tuple[str, np.ndarray]]: ...

    def save_vectors(
        self, model: str, kind: str, rows: list[tuple[str, str, np.ndarray]]
    ) -> None: ...


def lead_text(doc: Document) -> str:
    """What a document's lead embedding reads: its title and first sentences."""
    return " ".join([doc.title or "", *(s.text for s in doc.sentences[: rules.LEAD_SENTENCES])])


def vector_source(
    docs: Sequence[Document], embedder: Embedder, cache: VectorCache | None = None
) -> VectorSource:
    """Lead and sentence embeddings of ``docs``, computed on first need and kept in ``cache``.

    A cached entry is reused only while the texts it embedded are unchanged (their hash).
    """
    by_id = {d.id: d for d in docs}

    def texts(kind: str, doc: Document) -> list[str]:
        return [lead_text(doc)] if kind == "lead" else [s.text for s in doc.sentences]

    def vectors(kind: str, ids: Sequence[str]) -> list[np.ndarray]:
        cached = cache.vectors(embedder.name, kind, ids) if cache is not None else {}
        out: dict[str, np.ndarray] = {}
        todo = []
        for doc_id in ids:
            wanted = texts(kind, by_id[doc_id])
            key = hashlib.sha256("\0".join(wanted).encode()).hexdigest()[:32]
            if doc_id in cached and cached[doc_id][0] == key:
                out[doc_id] = cached[doc_id][1]
            else:
                todo.append((doc_id, key, wanted))
        # One document per call: the int8 model quantizes activations per batch, so a vector
        # would otherwise depend on the other texts in its batch (cosine off by up to 0.02), and
        # ``scale``, which sees a partition at a time, would not find what ``analyze`` finds.
        rows = []
        for doc_id, key, wanted in todo:
            embedded = embedder.embed(wanted) if wanted else np.zeros((0, 0), dtype=np.float32)
            out[doc_id] = embedded.reshape(len(wanted), -1) if wanted else embedded
            rows.append((doc_id, key, out[doc_id]))
        if cache is not None and rows:
            cache.save_vectors(embedder.name, kind, rows)
        return [out[doc_id] for doc_id in ids]

    return vectors


def day_of(published: str | None) -> int | None:
    """The day number of an ISO publication date, or None when it is missing or unreadable."""
    try:
        return date.fromisoformat((published or "")[:10]).toordinal()
    except ValueError:
        return None


def neighbours(
    leads: np.ndarray, days: Sequence[int | None], rows: Sequence[int] | None = None
) -> set[tuple[int, int]]:
    """Index pairs ``i < j`` where one is among the other's closest leads.

    Each row in ``rows`` (all by default) keeps its ``rules.LEAD_NEIGHBOURS`` closest leads at
    cosine ``rules.LEAD_NEIGHBOUR`` or more, among documents published within
    ``rules.NEIGHBOUR_DAYS`` of it (undated documents are compared with undated ones only). The
    date window is what lets ``scale`` search a crawl in date blocks and find the same pairs.
    """
    n = len(leads)
    if n < 2:
        return set()
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    when = np.array([np.nan if d is None else d for d in days], dtype=np.float64)
    keep = min(rules.LEAD_NEIGHBOURS + 1, n)  # +1: each document is its own closest
    pairs = set()
    for start in range(0, len(rows), 1024):  # blocks keep the similarity matrix small
        chunk = rows[start : start + 1024]
        block = leads[chunk] @ leads.T
        mine, theirs = when[chunk][:, None], when[None, :]
        near = np.abs(mine - theirs) <= rules.NEIGHBOUR_DAYS
        both_undated = np.isnan(mine) & np.isnan(theirs)
        block[~(near | both_undated)] = -np.inf
        closest = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
        for row, columns in enumerate(closest):
            i = int(chunk[row])
            for j in columns.tolist():
                if i != j and block[row, j] >= rules.LEAD_NEIGHBOUR:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def neighbour_pairs(feats: Sequence[DocFeatures], vectors: VectorSource,
                    days: Sequence[int | None]) -> list[tuple[int, int]]:  # fmt: skip
    """Index pairs ``i < j`` of ``feats`` whose leads are close (see ``neighbours``)."""
    if len(feats) < 2:
        return []
    leads = np.vstack(vectors("lead", [f.id for f in feats]))
    return sorted(neighbours(leads, days))


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
