"""story.json: the machine-readable contract (see docs/story-json.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from storycheck import __version__
from storycheck.claims import story
from storycheck.claims.entities import name_key
from storycheck.models.embed import load_embedder
from storycheck.provenance.semantic import day_of, vector_source
from storycheck.provenance.stories import stories, story_links
from storycheck.records import Document
from storycheck.store import Store


def document_json(
    doc: Document, origin: str | None, profile: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": doc.id,
        "uri": doc.uri,
        "input": doc.input,
        "format": doc.format,
        "source": doc.source,
        "site_name": doc.site_name,
        "title": doc.title,
        "title_source": doc.title_source,
        "author": doc.author,
        "published": doc.published,
        "language": doc.language,
        "encoding": doc.encoding,
        "canonical_url": doc.canonical_url,
        "genre": doc.genre,
        "profile": profile,
        "republished_from": doc.republished_from,
        "origin": origin,
        "spin": {
            "score": doc.spin_score,
            "spun": doc.spun,
            "repairs": [r.to_json() for r in doc.repairs],
            "suspects": [s.to_json() for s in doc.suspects],
        },
        "signals": [s.to_json() for s in doc.signals],
        "text": doc.text,
        "sentences": [
            {"index": s.index, "start": s.start, "end": s.end, "text": s.text,
             "checkworthiness": s.checkworthiness}
            for s in doc.sentences
        ],
    }  # fmt: skip


def claims_json(docs: list[Document], store: Store) -> dict[str, list[dict[str, Any]]]:
    """story.json's ``claims``, ``quotes``, ``entities`` and ``events``: each document's claims
    and quotes linked to the story's entities."""
    entities = store.entities()
    mentions = store.entity_mentions()
    by_name = {name_key(a): e["id"] for e in entities for a in e["aliases"]}
    claims, quotes = [], []
    for doc in docs:
        found = mentions.get(doc.id, [])
        for claim in doc.claims:
            claims.append(
                {"id": story.claim_id(doc.id, claim), "document": doc.id, "start": claim.start,
                 "end": claim.end, "sentence": claim.sentence, "text": claim.text,
                 "kind": claim.kind,
                 "checkworthiness": claim.checkworthiness, "numbers": list(claim.numbers),
                 "dates": list(claim.dates),
                 "entities": story.entities_in(claim.start, claim.end, found)}
            )  # fmt: skip
        for index, quote in enumerate(doc.quotes):
            quotes.append(
                {"id": story.quote_id(doc.id, index), "document": doc.id,
                 "speaker": story.speaker_entity(quote, found, by_name), **quote.to_json()}
            )  # fmt: skip
    where: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        for start, end, text, entity in mentions.get(doc.id, []):
            where.setdefault(entity, []).append(
                {"document": doc.id, "start": start, "end": end, "text": text}
            )
    entities = [{**e, "mentions": where.get(e["id"], [])} for e in entities]
    return {"claims": claims, "claim_groups": store.claim_groups(), "quotes": quotes,
            "entities": entities, "events": store.events()}  # fmt: skip


def stories_json(
    docs: list[Document], derivations: list[dict[str, Any]], store: Store
) -> list[dict[str, Any]]:
    """story.json's ``stories``: the documents grouped by the event they report (see
    ``provenance.stories``), largest first. Most folders hold one story; a pile of pages
    gathered by keyword often holds several."""
    ids = [d.id for d in docs]
    if not ids:
        return []
    leads = np.vstack(vector_source(docs, load_embedder(), cache=store)("lead", ids))
    found = story_links(leads, [day_of(d.published) for d in docs])
    links = [(ids[i], ids[j]) for i, j in found]
    links += [(e["source"], e["target"]) for e in derivations]
    members: dict[str, list[str]] = {}
    for doc_id, story_id in stories(ids, links).items():
        members.setdefault(story_id, []).append(doc_id)
    ordered = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [{"id": story_id, "documents": docs_of} for story_id, docs_of in ordered]


def story_json(store: Store) -> dict[str, Any]:
    """The whole story as one JSON-ready dict."""
    docs = store.documents()
    extras = store.document_extras()
    derivations = store.derivations()
    return {
        "storycheck_version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "documents": [document_json(d, *extras.get(d.id, (None, None))) for d in docs],
        "derivations": derivations,
        "stories": stories_json(docs, derivations, store),
        **claims_json(docs, store),
        "errors": [{"input": where, "reason": reason} for where, reason in store.errors()],
    }


def write_json(story: dict[str, Any], path: Path) -> Path:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(story, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path
