"""story.json: the machine-readable contract (see docs/story-json.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storycheck import __version__
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
        },
        "signals": [s.to_json() for s in doc.signals],
        "text": doc.text,
        "sentences": [
            {"index": s.index, "start": s.start, "end": s.end, "text": s.text}
            for s in doc.sentences
        ],
    }


def story_json(store: Store) -> dict[str, Any]:
    """The whole story as one JSON-ready dict."""
    docs = store.documents()
    extras = store.document_extras()
    return {
        "storycheck_version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "documents": [document_json(d, *extras.get(d.id, (None, None))) for d in docs],
        "derivations": store.derivations(),
        "errors": [{"input": where, "reason": reason} for where, reason in store.errors()],
    }


def write_json(story: dict[str, Any], path: Path) -> Path:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(story, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path
