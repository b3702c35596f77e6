"""Render a parsed ``story.json`` as one self-contained HTML page.

The page is meant to be opened from disk, mailed around and printed, so everything it needs is
inline: no CDN, no fonts, no scripts. Every string in a story comes from scraped documents and is
untrusted; the template runs with autoescape on and this module never marks document text as
safe. Python prepares plain view data (strings, ints, lists) and Jinja escapes every piece of it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

#: Genres that get their own colour; anything else is shown with the neutral ``unknown`` colour.
GENRES = ("report", "opinion", "republication", "aggregator", "rewrite", "unknown")

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Any run of whitespace that contains a line break ends a paragraph.
_PARAGRAPH_BREAK = re.compile(r"[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class Segment:
    """One consecutive piece of a text: either a gap (``mark is None``) or a marked interval.

    ``start``/``end`` are offsets into the full text, so nested segmentation can reuse them.
    """

    start: int
    end: int
    text: str
    mark: Any = None


def segments(
    text: str, intervals: Iterable[tuple[int, int, Any]], offset: int = 0
) -> list[Segment]:
    """Cut ``text`` into gaps and marked pieces at ``intervals`` of ``(start, end, mark)``.

    Offsets are absolute: ``text`` is assumed to begin at ``offset`` of some larger text, which
    lets a sentence be cut again by the repairs inside it. Intervals are sorted here; ones that
    do not lie wholly inside ``text``, run backwards, or overlap an earlier one are dropped rather
    than raising, because a report should still render from a slightly inconsistent story.
    Joining the pieces' ``text`` always gives back ``text`` unchanged.
    """
    limit = offset + len(text)
    out: list[Segment] = []
    pos = offset
    for start, end, mark in sorted(intervals, key=lambda iv: (iv[0], iv[1])):
        if not (pos <= start <= end <= limit):
            continue
        if start > pos:
            out.append(Segment(pos, start, text[pos - offset : start - offset]))
        out.append(Segment(start, end, text[start - offset : end - offset], mark))
        pos = end
    if pos < limit:
        out.append(Segment(pos, limit, text[pos - offset :]))
    return out


@functools.cache
def _environment() -> jinja2.Environment:
    """Build the Jinja environment once; loading and compiling templates is the slow part."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("storycheck", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in the template should fail tests, not hide
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _str(value: Any) -> str | None:
    """Untrusted field -> display string, with null and empty both meaning "not known"."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _http_href(value: str | None) -> str | None:
    """Return ``value`` if it is a plain http(s) URL, else None, so no other scheme is clickable."""
    if not value or any(ord(ch) < 0x21 for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return value
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _intervals(items: Any) -> list[tuple[int, int, Mapping[str, Any]]]:
    """Pull ``(start, end, item)`` from a list of dicts, skipping entries without int offsets."""
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        start, end = _int(item.get("start")), _int(item.get("end"))
        if start is not None and end is not None:
            out.append((start, end, item))
    return out


def _parts(seg: Segment, repairs: list[tuple[int, int, Mapping[str, Any]]]) -> list[dict]:
    """Split one piece of text at the spin repairs inside it.

    A repair part keeps the observed text (struck through) and adds the restored word. Repairs
    that straddle a sentence boundary are not shown inline; they are rare and would otherwise
    be cut in two.
    """
    out = []
    for sub in segments(seg.text, repairs, seg.start):
        restored = None if sub.mark is None else (_str(sub.mark.get("restored")) or "")
        out.append({"text": sub.text, "restored": restored})
    return out


def _paragraphs(doc: Mapping[str, Any], anchor: str) -> list[list[dict]]:
    """Lay a document's text out as paragraphs of runs, each sentence one run with an id.

    Paragraphs break only at line breaks between sentences, so every sentence stays a single
    ``<span>`` whose text is exactly ``text[start:end]``; a line break inside a sentence just
    renders as a space.
    """
    text = doc.get("text") if isinstance(doc.get("text"), str) else ""
    spin = doc.get("spin") if isinstance(doc.get("spin"), Mapping) else {}
    repairs = _intervals(spin.get("repairs"))
    sentences = _intervals(doc.get("sentences"))

    paragraphs: list[list[dict]] = [[]]
    for position, seg in enumerate(segments(text, sentences)):
        if seg.mark is not None:
            index = _int(seg.mark.get("index"))
            sid = f"{anchor}-s{index if index is not None else position}"
            paragraphs[-1].append({"id": sid, "parts": _parts(seg, repairs)})
            continue
        for part in _parts(seg, repairs):
            if part["restored"] is not None:
                paragraphs[-1].append({"id": None, "parts": [part]})
                continue
            for i, piece in enumerate(_PARAGRAPH_BREAK.split(part["text"])):
                if i:
                    paragraphs.append([])
                if piece:
                    plain = {"text": piece, "restored": None}
                    paragraphs[-1].append({"id": None, "parts": [plain]})
    return [p for p in paragraphs if p]


def _signals(doc: Mapping[str, Any]) -> list[dict]:
    out = []
    for sig in doc.get("signals") or []:
        if isinstance(sig, Mapping):
            kind = _str(sig.get("kind")) or "unknown"
            out.append(
                {
                    "kind": kind,
                    "text": _str(sig.get("text")),
                    "value": _str(sig.get("value")),
                }
            )
    return out


def _spin(doc: Mapping[str, Any]) -> dict | None:
    spin = doc.get("spin")
    if not isinstance(spin, Mapping):
        return None
    score = spin.get("score")
    return {
        "score": f"{score:.2f}" if isinstance(score, int | float) else _str(score),
        "spun": bool(spin.get("spun")),
        "repairs": len(_intervals(spin.get("repairs"))),
    }


def _document(doc: Mapping[str, Any], anchor: str) -> dict:
    """Turn one untrusted document dict into the flat view data the template expects."""
    genre = _str(doc.get("genre")) or "unknown"
    uri = _str(doc.get("uri"))
    canonical = _str(doc.get("canonical_url"))
    sentences = doc.get("sentences")
    return {
        "anchor": anchor,
        "title": _str(doc.get("title")),
        "outlet": _str(doc.get("source")) or _str(doc.get("site_name")),
        "author": _str(doc.get("author")),
        "published": _str(doc.get("published")),
        "format": _str(doc.get("format")),
        "language": _str(doc.get("language")),
        "genre": genre,
        "genre_class": genre if genre in GENRES else "unknown",
        "republished_from": _str(doc.get("republished_from")),
        "uri": uri,
        "uri_href": _http_href(uri),
        "canonical_url": canonical,
        "canonical_href": _http_href(canonical),
        "n_sentences": len(sentences) if isinstance(sentences, list) else 0,
        "signals": _signals(doc),
        "spin": _spin(doc),
        "paragraphs": _paragraphs(doc, anchor),
    }


def _anchors(docs: list[Mapping[str, Any]]) -> list[str]:
    """``doc-<id>`` for each document; ids that are odd or repeated get a positional anchor."""
    seen: set[str] = set()
    out = []
    for position, doc in enumerate(docs):
        doc_id = _str(doc.get("id")) or ""
        anchor = f"doc-{doc_id}" if _SAFE_ID.fullmatch(doc_id) else f"doc-n{position}"
        if anchor in seen:
            anchor = f"doc-n{position}"
        seen.add(anchor)
        out.append(anchor)
    return out


def render_report(story: dict) -> str:
    """Render ``story`` (a parsed ``story.json``) as one self-contained HTML page.

    Keys that later stages add may be absent; missing or null fields render as a dash.
    """
    docs = [d for d in story.get("documents") or [] if isinstance(d, Mapping)]
    views = [_document(doc, anchor) for doc, anchor in zip(docs, _anchors(docs), strict=True)]
    errors = [
        {"input": _str(e.get("input")), "reason": _str(e.get("reason"))}
        for e in story.get("errors") or []
        if isinstance(e, Mapping)
    ]
    n_sentences = sum(v["n_sentences"] for v in views)
    counts = [
        _plural(len(views), "document"),
        _plural(n_sentences, "sentence"),
        _plural(len(errors), "skipped input"),
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        version=_str(story.get("storycheck_version")),
        generated=_str(story.get("generated")),
        counts=counts,
        documents=views,
        errors=errors,
    )


def write_report(story: dict, path: Path) -> Path:
    """Render ``story`` and write it to ``path`` as UTF-8, creating parent folders; return path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(story), encoding="utf-8")
    return path
