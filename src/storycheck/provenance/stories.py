"""Stories: the documents of a corpus grouped by the event they report.

A crawl holds many stories; each is checked as ``analyze`` checks one. Two documents are in
the same story when one derives from the other, or when their leads (title and first
sentences) are close and they were published within ``rules.NEIGHBOUR_DAYS`` of each other
(undated documents only with undated ones). Groups are the connected components of those
links, so a story is never split across a derivation edge. ``analyze`` and ``scale`` both call
``story_links`` and ``stories``; ``scale`` feeds ``story_links`` one date block at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from storycheck.provenance import rules

#: Lead cosine at which two documents published close together report the same event.
#: Different events on one topic ("rates rise", "rates held") sit around 0.5-0.6 with
#: all-MiniLM-L6-v2; reports of one event above 0.7.
STORY_SIMILARITY = 0.7


def story_links(
    leads: np.ndarray, days: Sequence[int | None], rows: Sequence[int] | None = None
) -> set[tuple[int, int]]:
    """Index pairs ``i < j`` (``i`` in ``rows``, all by default) whose leads are close enough
    and whose dates are compatible."""
    n = len(leads)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    when = np.array([np.nan if d is None else d for d in days], dtype=np.float64)
    links = set()
    for start in range(0, len(rows), 1024):
        chunk = rows[start : start + 1024]
        similar = leads[chunk] @ leads.T >= STORY_SIMILARITY
        mine, theirs = when[chunk][:, None], when[None, :]
        compatible = (np.abs(mine - theirs) <= rules.NEIGHBOUR_DAYS) | (
            np.isnan(mine) & np.isnan(theirs)
        )
        for row, j in np.argwhere(similar & compatible).tolist():
            i = int(chunk[row])
            if i != j:
                links.add((min(i, j), max(i, j)))
    return links


def stories(ids: Sequence[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each document's story id: ``s-`` and a hash of the story's smallest document id, so
    the id does not depend on the order documents were read in."""
    parent = {doc_id: doc_id for doc_id in ids}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {doc_id: "s-" + hashlib.sha256(root(doc_id).encode()).hexdigest()[:12] for doc_id in ids}
