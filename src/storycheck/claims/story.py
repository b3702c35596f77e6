"""The story-wide half of claims: entities merged across documents, and the timeline of events.

Which entity a name means, and which dated claims describe the same happening, can only be
decided with every document at hand; these functions take the per-document results from the
store and return story records. Ids are stable hashes, so a re-run names things the same way.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storycheck.claims.entities import Resolution, name_key, resolve
from storycheck.records import Claim, Document, Quote

VERSION = 1
# Content-word overlap above which two same-date claims are one event: rewrites of one report
# keep well over half their content words, different events rarely do; claims that name the
# same entity need fewer.
_SAME_EVENT = 0.5
_SAME_EVENT_NAMED = 0.3
# (start, end, text, entity id) of one resolved mention.
MentionRow = tuple[int, int, str, str]


def claim_id(document: str, claim: Claim) -> str:
    return f"c-{document}-{claim.index}"


def quote_id(document: str, index: int) -> str:
    return f"q-{document}-{index}"


@dataclass
class StoryClaims:
    """What the story stage stores: entities, every resolved mention, and events."""

    entities: list[dict[str, Any]]
    mentions: dict[str, list[MentionRow]]
    events: list[dict[str, Any]]


def build(docs: Sequence[Document]) -> StoryClaims:
    """Resolve entities over all documents and build the timeline."""
    resolution: Resolution = resolve((d.id, d.text, d.mentions) for d in docs)
    mentions = {
        doc: [(m.start, m.end, m.text, entity) for m, entity in pairs]
        for doc, pairs in resolution.mentions.items()
    }
    events = timeline(docs, mentions)
    return StoryClaims([e.to_json() for e in resolution.entities], mentions, events)


def entities_in(start: int, end: int, mentions: Sequence[MentionRow]) -> list[str]:
    """Entity ids mentioned inside ``[start, end)``, first mention first, each once.
    ``mentions`` must be sorted by start."""
    first = bisect.bisect_left(mentions, (start,))
    found: dict[str, None] = {}
    for m_start, m_end, _, entity in mentions[first:]:
        if m_start >= end:
            break
        if m_end <= end:
            found[entity] = None
    return list(found)


def speaker_entity(
    quote: Quote, mentions: Sequence[MentionRow], by_name: dict[str, str]
) -> str | None:
    """The entity a quote's speaker is: the mention under the speaker as written, else the
    resolved name looked up among the story's aliases (``by_name``: name key -> entity)."""
    if quote.speaker_start is not None and quote.speaker_end is not None:
        inside = entities_in(quote.speaker_start, quote.speaker_end, mentions)
        if inside:
            return inside[0]
    if quote.speaker_name:
        return by_name.get(name_key(quote.speaker_name))
    return None


def timeline(docs: Sequence[Document], mentions: dict[str, list[MentionRow]]) -> list[dict]:
    """Dated claims as events: claims with the same date span that share an entity are one
    event, told by every document behind them; the earliest document's wording names it."""
    by_date: dict[tuple[str | None, str | None], list[tuple[Document, Claim, set[str]]]]
    by_date = defaultdict(list)
    for doc in docs:
        for claim in doc.claims:
            when = _event_date(claim)
            if when is not None:
                named = set(entities_in(claim.start, claim.end, mentions.get(doc.id, [])))
                by_date[(when["start"], when["end"])].append((doc, claim, named))
    events = []
    for members in by_date.values():
        for group in _share_entities(members):
            doc, claim, _ = group[0]
            when = _event_date(claim)
            assert when is not None
            digest = hashlib.blake2b(
                f"{when['start']}\0{when['end']}\0{claim_id(doc.id, claim)}".encode(),
                digest_size=6,
            ).hexdigest()
            events.append(
                {
                    "id": f"ev-{digest}",
                    "date": {k: when.get(k) for k in ("start", "end", "text", "precision")},
                    "text": claim.text,
                    "documents": list(dict.fromkeys(d.id for d, _, _ in group)),
                    "claims": [claim_id(d.id, c) for d, c, _ in group],
                }
            )
    events.sort(key=lambda e: (e["date"]["start"] or e["date"]["end"] or "", e["id"]))
    return events


def _event_date(claim: Claim) -> dict[str, Any] | None:
    """The claim's first date that pins a time (an open "since" still has its start)."""
    for value in claim.dates:
        if value.get("start") or value.get("end"):
            return value
    return None


def _share_entities(
    members: list[tuple[Document, Claim, set[str]]],
) -> list[list[tuple[Document, Claim, set[str]]]]:
    """Split same-date claims into groups that tell one happening (see ``_same_event``)."""
    groups: list[list[tuple[Document, Claim, set[str]]]] = []
    for member in members:
        for group in groups:
            if any(_same_event(member, other) for other in group):
                group.append(member)
                break
        else:
            groups.append([member])
    return groups


def _same_event(a: tuple[Document, Claim, set[str]], b: tuple[Document, Claim, set[str]]) -> bool:
    """Two claims with the same date tell one happening when they share most content words, or
    some words and a named entity, or a number (40% and 40%): two different things the CPS did
    in 2012 stay two events."""
    (_, first, first_named), (_, second, second_named) = a, b
    overlap = _overlap(_content_words(first.text), second.text)
    return (
        overlap >= _SAME_EVENT
        or (bool(first_named & second_named) and overlap >= _SAME_EVENT_NAMED)
        or bool(_amounts(first) & _amounts(second))
    )


def _amounts(claim: Claim) -> set[tuple[float, str | None]]:
    return {(n["value"], n.get("unit")) for n in claim.numbers}


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3}


def _overlap(words: set[str], other: str) -> float:
    """Share of the smaller claim's content words that the other claim has too."""
    theirs = _content_words(other)
    return len(words & theirs) / max(1, min(len(words), len(theirs)))
