"""Find the story's sentences that bear on a claim: BM25 and sentence embeddings, fused.

BM25 (bm25s) finds sentences that share the claim's rare words, names and numbers; embeddings
find those that say it in other words. Each ranks every sentence, and the two rankings are
fused by reciprocal rank (a sentence high in either list rises), which needs no tuning of how
BM25 scores compare with cosines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storycheck.crosscheck.acronyms import expand, find_acronyms
from storycheck.models.embed import Embedder
from storycheck.records import Document, Sentence

# Reciprocal rank fusion's damping constant: the usual value, which keeps one list's top hit
# from drowning the other list's.
_RRF_K = 60
# Each ranking contributes its best this-many sentences to the fusion.
_DEPTH = 50


@dataclass(frozen=True)
class Hit:
    """A retrieved sentence, with its document, its fused rank score and its cosine, and its
    text as it is compared (the story's acronyms written out)."""

    document: str
    sentence: Sentence
    score: float
    cosine: float
    compared: str


class SentenceIndex:
    """Every sentence of a story, searchable by words and by meaning."""

    def __init__(
        self, docs: Sequence[Document], embedder: Embedder, vectors: Sequence[np.ndarray]
    ) -> None:
        """``vectors[i]`` holds one embedding per sentence of ``docs[i]`` (as the provenance
        stage caches them in the store)."""
        import bm25s
        from bm25s.tokenization import Tokenizer

        self._embedder = embedder
        self._entries = [(d.id, s) for d in docs for s in d.sentences]
        # What the story's acronyms stand for, written out in every text that is compared.
        self.acronyms = find_acronyms(s.text for _, s in self._entries)
        self._compared = [self.compared(s.text) for _, s in self._entries]
        rows = [v for v in vectors if len(v)]
        dim = rows[0].shape[1] if rows else 384
        self._vectors = np.concatenate(rows) if rows else np.zeros((0, dim), dtype=np.float32)
        self._tokenizer = Tokenizer(stopwords="en")
        self._bm25 = bm25s.BM25()
        if self._entries:
            ids = self._tokenizer.tokenize(self._compared, return_as="ids", show_progress=False)
            self._bm25.index(ids, show_progress=False)

    def __len__(self) -> int:
        return len(self._entries)

    def compared(self, text: str) -> str:
        """``text`` as it is compared: with the story's acronyms written out."""
        return expand(text, self.acronyms)

    def search(self, claims: Sequence[str], k: int = 10) -> list[list[Hit]]:
        """The ``k`` best sentences for each claim, best first."""
        if not self._entries or not claims:
            return [[] for _ in claims]
        depth = min(_DEPTH, len(self._entries))
        cosines = self._embedder.embed(list(claims)) @ self._vectors.T
        query = self._tokenizer.tokenize(
            [self.compared(c) for c in claims],
            update_vocab=False,
            return_as="ids",
            show_progress=False,
        )
        lexical, lexical_scores = self._bm25.retrieve(query, k=depth, show_progress=False)
        found = []
        for row, claim_cosines in enumerate(cosines):
            fused: dict[int, float] = {}
            semantic = np.argsort(-claim_cosines)[:depth]
            for rank, n in enumerate(semantic):
                fused[int(n)] = fused.get(int(n), 0.0) + 1.0 / (_RRF_K + rank)
            for rank, (n, score) in enumerate(zip(lexical[row], lexical_scores[row], strict=True)):
                if score > 0:
                    fused[int(n)] = fused.get(int(n), 0.0) + 1.0 / (_RRF_K + rank)
            best = sorted(fused, key=lambda n: -fused[n])[:k]
            found.append(
                [
                    Hit(*self._entries[n], fused[n], float(claim_cosines[n]), self._compared[n])
                    for n in best
                ]
            )
        return found
