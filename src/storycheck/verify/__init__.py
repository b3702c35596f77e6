"""Verify claims against a story: retrieval, stance, verdicts with evidence, ClaimReview."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storycheck.errors import StorycheckError
from storycheck.models.embed import load_embedder
from storycheck.provenance.semantic import vector_source
from storycheck.store import Store
from storycheck.verify.claimreview import claim_review
from storycheck.verify.retrieve import SentenceIndex
from storycheck.verify.verdict import Verdict, verify

__all__ = ["StoryVerifier", "Verdict", "claim_review"]


class StoryVerifier:
    """A story loaded for verifying: its sentences indexed once, then any number of claims."""

    def __init__(self, store: Store) -> None:
        docs = store.documents()
        self.origins = store.origins()
        self.documents: dict[str, dict[str, Any]] = {
            d.id: {"uri": d.uri, "title": d.title, "published": d.published} for d in docs
        }
        embedder = load_embedder()
        vectors = vector_source(docs, embedder, cache=store)("sentences", [d.id for d in docs])
        self.index = SentenceIndex(docs, embedder, vectors)

    @classmethod
    def open(cls, story: Path) -> StoryVerifier:
        """Load the story that ``analyze`` wrote to the folder ``story``."""
        database = story / "story.db"
        if not database.is_file():
            raise StorycheckError(f"{story}: no story.db here; run `storycheck analyze` first")
        with Store.open(database) as store:
            return cls(store)

    def verify(self, claims: Sequence[str]) -> list[Verdict]:
        return verify(claims, self.index, self.origins)
