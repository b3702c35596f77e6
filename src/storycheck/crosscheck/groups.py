"""Claim groups: the same proposition across documents, who agrees, who contradicts.

Claims are grouped around a seed by meaning (sentence-embedding cosine) and topic (shared
content words); each member's stance towards the seed then says whether it agrees or
contradicts, and members that turn out to say something else leave the group. Seeds are taken
from independent origins first, earliest first, so a group is stated in the words of the report
it started from rather than a copy's. Sources are counted by origin (from provenance): a copy,
republication or spun copy of a report adds a document, never a source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storycheck.claims.story import claim_id
from storycheck.crosscheck import consistency
from storycheck.crosscheck.acronyms import expand, find_acronyms
from storycheck.crosscheck.stance import stances
from storycheck.records import Claim, Document

# Stored claim groups are recomputed when this changes: bump it with the consistency layer.
VERSION = 11
# Cosine between two claims' sentence embeddings at or above which they may state one
# proposition. Set on the demo story: independent reports of one fact in their own words score
# 0.56-0.67 (rewrites and copies far more), different facts about the same event below 0.4.
SAME_PROPOSITION = 0.55
# ...and share of the shorter claim's content words the other must have (numbers aside, so
# "1,200" against "2,100" still groups): 0.38-0.59 for those same pairs. The stance then drops
# members that say something else.
SAME_TOPIC = 0.35


@dataclass(frozen=True)
class _Candidate:
    doc: Document
    claim: Claim
    vector: np.ndarray
    origin: str
    rank: tuple
    compared: str  # the claim's text with the story's acronyms written out


def claim_groups(
    docs: Sequence[Document], vectors: Sequence[np.ndarray], origins: dict[str, str]
) -> list[dict]:
    """story.json's ``claim_groups``; ``vectors[i]`` are the sentence embeddings of ``docs[i]``.
    Groups holding a single document are left out: that claim is in ``claims`` already."""
    candidates = _candidates(docs, vectors, origins)
    if not candidates:
        return []
    matrix = np.stack([c.vector for c in candidates])
    taken = np.zeros(len(candidates), dtype=bool)
    groups = []
    for seed in range(len(candidates)):
        if taken[seed]:
            continue
        # One row at a time: a 1,000-document story has ~15,000 claims, too many for a matrix.
        members = _members(seed, candidates, matrix @ matrix[seed], taken)
        if len({candidates[m].doc.id for m in members}) < 2:
            continue
        group = _judge(candidates[seed], [candidates[m] for m in members[1:]])
        if group is not None:
            kept = {member["claim"] for member in group["members"]}
            for m in members:
                taken[m] = claim_id(candidates[m].doc.id, candidates[m].claim) in kept
            groups.append(group)
    groups.sort(key=lambda g: (_STATUS_ORDER[g["status"]], -g["independent_sources"], g["id"]))
    return groups


_STATUS_ORDER = {"contested": 0, "corroborated": 1, "single_source": 2}


def _candidates(
    docs: Sequence[Document], vectors: Sequence[np.ndarray], origins: dict[str, str]
) -> list[_Candidate]:
    """Every claim, in seed order: independent origins first, then by date and input order."""
    acronyms = find_acronyms(doc.text for doc in docs)
    found = []
    for position, (doc, sentence_vectors) in enumerate(zip(docs, vectors, strict=True)):
        origin = origins.get(doc.id, doc.id)
        for claim in doc.claims:
            rank = (origin != doc.id, doc.published or "9999", position, claim.index)
            vector = sentence_vectors[claim.sentence]
            compared = expand(claim.text, acronyms)
            found.append(_Candidate(doc, claim, vector, origin, rank, compared))
    found.sort(key=lambda c: c.rank)
    return found


def _members(
    seed: int, candidates: list[_Candidate], similar: np.ndarray, taken: np.ndarray
) -> list[int]:
    """The seed and, from each other document, its claim most like the seed (if any is)."""
    best: dict[str, int] = {}
    seed_text = candidates[seed].compared
    for n in np.flatnonzero(similar >= SAME_PROPOSITION):
        other = candidates[n]
        if taken[n] or n == seed or other.doc.id == candidates[seed].doc.id:
            continue
        if consistency.shared_words(seed_text, other.compared) < SAME_TOPIC:
            continue
        current = best.get(other.doc.id)
        if current is None or similar[n] > similar[current]:
            best[other.doc.id] = int(n)
    return [seed, *best.values()]


def _judge(seed: _Candidate, others: list[_Candidate]) -> dict | None:
    """Each member's stance towards the seed; ``None`` when no member takes a side."""
    found = stances([(seed.compared, o.compared) for o in others])
    members = [(seed, "agrees")]
    for other, stance in zip(others, found, strict=True):
        same = other.claim.text == seed.claim.text
        if same or (stance.label == "supports" and stance.takes_side):
            members.append((other, "agrees"))
        elif stance.label == "refutes" and stance.takes_side:
            members.append((other, "contradicts"))
    if len({m.doc.id for m, _ in members}) < 2:
        return None
    agreeing = {m.origin for m, side in members if side == "agrees"}
    contradicting = {m.origin for m, side in members if side == "contradicts"} - agreeing
    if contradicting:
        status = "contested"
    elif len(agreeing) >= 2:
        status = "corroborated"
    else:
        status = "single_source"
    digest = hashlib.blake2b(claim_id(seed.doc.id, seed.claim).encode(), digest_size=6)
    return {
        "id": f"g-{digest.hexdigest()}",
        "statement": seed.claim.text,
        "members": [
            {
                "claim": claim_id(m.doc.id, m.claim),
                "document": m.doc.id,
                "stance": side,
                "origin": m.origin,
            }
            for m, side in members
        ],  # fmt: skip
        "documents": list(dict.fromkeys(m.doc.id for m, _ in members)),
        "independent_sources": len(agreeing),
        "contradicting_sources": len(contradicting),
        "status": status,
    }
