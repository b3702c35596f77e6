"""Render a parsed ``story.json`` as one self-contained HTML page.

The page is meant to be opened from disk, mailed around and printed, so everything it needs is
inline: no CDN, no fonts, and one small script of storycheck's own (paging, and the verify box
when served live), allowed by its hash in the page's Content-Security-Policy. Every string in a
story comes from scraped documents and is untrusted; the template runs with autoescape on and
this module never marks document text as safe. Python prepares plain view data (strings, ints,
lists) and Jinja escapes every piece of it; the script reads its data from a JSON block.

Stable ids (browser tests and other code link to them): ``#verify`` / ``#verify-form`` /
``#verify-claim`` / ``#verify-result`` (live pages only), ``#overview``, ``#claim-matrix``
(rows ``tr.contested`` first, ``#group-N``), ``#graph``, ``#timeline`` (``#event-N``),
``#quotes``, ``#entities``, ``#documents`` with one ``<article id="{doc-anchor}">`` per
document and a ``{doc-anchor}-s{index}`` span per sentence.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from storycheck.report import views as sections
from storycheck.report.views import int_of as _int
from storycheck.report.views import text_of as _str

#: Genres that get their own colour; anything else is shown with the neutral ``unknown`` colour.
GENRES = ("report", "opinion", "republication", "aggregator", "rewrite", "unknown")

#: Derivation kinds: human label, SVG ``stroke-dasharray`` (None: solid) and whether the line is
#: drawn double. Every kind differs in line style as well as colour, and edges carry a text label,
#: so the graph never relies on colour alone. Unknown kinds are drawn in the ``other`` style.
KINDS: dict[str, tuple[str, str | None, bool]] = {
    "copy": ("copy", None, False),
    "republication": ("republication", None, True),
    "spun_copy": ("spun copy", "9 5", False),
    "rewrite": ("rewrite", "14 4 2 4", False),
    "quotation": ("quotation", "1.5 4.5", False),
}
_OTHER_KIND = ("other", "5 2 1 2 1 2", False)

#: Above this many documents the derivation graph is left out (the table stays): it stops being
#: readable, and the layout is quadratic in the worst case.
GRAPH_MAX_DOCUMENTS = 40

# Graph geometry, in CSS pixels. Labels are cut to fit by character count (no font metrics here).
_PAD = 16
_NODE_W = (180, 260)  # narrowest and widest node; wide when few layers share the page
_PAGE_W = 1120  # about the width the page gives the graph before it scrolls
_NODE_H = 58
_COL_GAP = 124
_ROW_GAP = 16
_ARROW = 10
_CHAR_W = 6.6  # a generous average width of a 12px sans-serif character

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


def _covering(
    shared: list[tuple[int, int, str]], start: int, end: int
) -> list[tuple[int, int, str]]:
    """The ``shared`` intervals clipped to ``[start, end)``, dropping those outside it."""
    return [(max(s, start), min(e, end), m) for s, e, m in shared if s < end and e > start]


def _parts(
    seg: Segment,
    words: list[tuple[int, int, Mapping[str, Any]]],
    shared: list[tuple[int, int, str]],
) -> list[dict]:
    """Split one piece of text at the despinner's words and the shared passages inside it.

    ``words`` are the spin repairs and suspects, with offsets into the repaired text. A repair
    part is the restored word as the text has it, with the published word (``observed``) to
    show struck through before it; a suspect part carries the original it likely stands for.
    Words that straddle a sentence boundary are not shown inline; they are rare and would
    otherwise be cut in two. A word is never cut by a shared passage either: it takes the
    highlight of the first passage it overlaps. Each part carries ``shared``, the highlight's
    title or None.
    """
    out = []
    for sub in segments(seg.text, words, seg.start):
        if sub.mark is not None:
            over = _covering(shared, sub.start, sub.end)
            likely, suspicion = _str(sub.mark.get("likely")), sub.mark.get("suspicion")
            repair = likely is None
            out.append({
                "text": sub.text,
                "observed": (_str(sub.mark.get("observed")) or "") if repair else None,
                "likely": likely,
                "suspicion": _number(suspicion) if isinstance(suspicion, int | float) else None,
                "shared": over[0][2] if over else None,
            })  # fmt: skip
            continue
        for piece in segments(sub.text, _covering(shared, sub.start, sub.end), sub.start):
            out.append(_plain(piece.text, piece.mark))
    return out


def _plain(text: str, shared: str | None) -> dict:
    """A part of the text the despinner left alone and had no doubt about."""
    return {"text": text, "observed": None, "likely": None, "suspicion": None, "shared": shared}


def _groups(parts: list[dict]) -> list[dict]:
    """Gather consecutive parts with the same highlight, so each highlight is one element."""
    out: list[dict] = []
    for part in parts:
        if out and out[-1]["shared"] == part["shared"]:
            out[-1]["parts"].append(part)
        else:
            out.append({"shared": part["shared"], "parts": [part]})
    return out


def _paragraphs(
    doc: Mapping[str, Any], anchor: str, shared: list[tuple[int, int, str]] | None = None
) -> list[list[dict]]:
    """Lay a document's text out as paragraphs of runs, each sentence one run with an id.

    Paragraphs break only at line breaks between sentences, so every sentence stays a single
    ``<span>`` whose text is exactly ``text[start:end]``; a line break inside a sentence just
    renders as a space. Shared passages (non-overlapping ``(start, end, title)``) are cut at
    sentence boundaries and highlighted inside each sentence span, never around one.
    """
    text = doc.get("text") if isinstance(doc.get("text"), str) else ""
    spin = doc.get("spin") if isinstance(doc.get("spin"), Mapping) else {}
    words = _intervals(spin.get("repairs")) + _intervals(spin.get("suspects"))
    sentences = _intervals(doc.get("sentences"))
    shared = shared or []

    paragraphs: list[list[dict]] = [[]]
    for position, seg in enumerate(segments(text, sentences)):
        if seg.mark is not None:
            index = _int(seg.mark.get("index"))
            sid = f"{anchor}-s{index if index is not None else position}"
            paragraphs[-1].append({"id": sid, "groups": _groups(_parts(seg, words, shared))})
            continue
        for part in _parts(seg, words, shared):
            if part["observed"] is not None or part["likely"] is not None:
                paragraphs[-1].append({"id": None, "groups": _groups([part])})
                continue
            for i, piece in enumerate(_PARAGRAPH_BREAK.split(part["text"])):
                if i:
                    paragraphs.append([])
                if piece:
                    plain = _plain(piece, part["shared"])
                    paragraphs[-1].append({"id": None, "groups": _groups([plain])})
    return [p for p in paragraphs if p]


def _shared_passages(
    text_length: int, passages: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Flatten possibly overlapping ``(start, end, source)`` passages into disjoint highlights.

    A document can share overlapping passages with several sources (a column quoting two
    reports); each stretch of text gets one highlight whose title names every source covering
    it. Offsets outside the text are clipped; empty or backwards passages are dropped.
    """
    clipped = []
    for start, end, name in passages:
        start, end = max(0, start), min(text_length, end)
        if start < end:
            clipped.append((start, end, name))
    bounds = sorted({b for s, e, _ in clipped for b in (s, e)})
    out: list[tuple[int, int, str]] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        names = list(dict.fromkeys(n for s, e, n in clipped if s <= lo and hi <= e))
        if not names:
            continue
        title = "Shared with " + "; ".join(names)
        if out and out[-1][1] == lo and out[-1][2] == title:
            out[-1] = (out[-1][0], hi, title)
        else:
            out.append((lo, hi, title))
    return out


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
        "suspects": len(_intervals(spin.get("suspects"))),
    }


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _humanize(value: str) -> str:
    return value.replace("_", " ")


def _profile_signals(signals: Any) -> list[str]:
    """Compact ``name value`` strings for a profile's signals, leaving out null, zero and false."""
    out = []
    for key, value in signals.items() if isinstance(signals, Mapping) else ():
        name = _humanize(str(key))
        if value is None or value is False or isinstance(value, Mapping):
            continue
        if value is True:
            out.append(name)
        elif isinstance(value, int | float):
            if value and math.isfinite(value):
                out.append(f"{name} {_number(value)}")
        elif isinstance(value, list):
            items = [_humanize(s) for s in (_str(v) for v in value) if s]
            if items:
                out.append(f"{name}: {', '.join(items)}")
        elif text := _str(value):
            out.append(f"{name}: {_humanize(text)}")
    return out


def _document(
    doc: Mapping[str, Any], anchor: str, shared: list[tuple[int, int, str]] | None = None
) -> dict:
    """Turn one untrusted document dict into the flat view data the template expects."""
    genre = _str(doc.get("genre")) or "unknown"
    uri = _str(doc.get("uri"))
    canonical = _str(doc.get("canonical_url"))
    sentences = doc.get("sentences")
    profile = doc.get("profile") if isinstance(doc.get("profile"), Mapping) else {}
    return {
        "anchor": anchor,
        "title": _str(doc.get("title")),
        "outlet": _str(doc.get("source")) or _str(doc.get("site_name")),
        "where": _where(doc),
        "author": _str(doc.get("author")),
        "published": _str(doc.get("published")),
        "format": _str(doc.get("format")),
        "language": _str(doc.get("language")),
        "genre": genre,
        "genre_class": genre if genre in GENRES else "unknown",
        "profile_reason": _str(profile.get("reason")),
        "profile_signals": _profile_signals(profile.get("signals")),
        "republished_from": _str(doc.get("republished_from")),
        "uri": uri,
        "uri_href": _http_href(uri),
        "canonical_url": canonical,
        "canonical_href": _http_href(canonical),
        "n_sentences": len(sentences) if isinstance(sentences, list) else 0,
        "signals": _signals(doc),
        "spin": _spin(doc),
        "paragraphs": _paragraphs(doc, anchor, shared),
        "has_shared": bool(shared),
        # filled in by render_report once all documents and derivations are known
        "origin": None,
        "derived_from": [],
        "copied_by": [],
    }


def _percent(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return f"{round(min(max(value, 0.0), 1.0) * 100)}%"


def _kind(value: Any) -> tuple[str, str, str | None, bool]:
    """``(css class, label, dasharray, double)`` for a derivation kind; unknown ones as other."""
    kind = _str(value) or "unknown"
    if kind in KINDS:
        return (kind, *KINDS[kind])
    return "other", _humanize(kind), _OTHER_KIND[1], _OTHER_KIND[2]


def _derivations(raw: Any, index: Mapping[str, int], refs: list[dict]) -> list[dict]:
    """View data for each derivation; ends that name no document here keep their bare id."""
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping):
            continue
        ends = {}
        for end in ("source", "target"):
            doc_id = _str(item.get(end))
            at = index.get(doc_id) if doc_id else None
            ref = {"anchor": None, "name": doc_id, "where": None}
            ends[end] = (at, refs[at] if at is not None else ref)
        kind, label, dash, double = _kind(item.get("kind"))
        raw_shared = item.get("shared") if isinstance(item.get("shared"), list) else []
        shared = [sh for sh in raw_shared if isinstance(sh, Mapping)]
        passages = [
            (start, end)
            for sh in shared
            for start, end in [(_int(sh.get("target_start")), _int(sh.get("target_end")))]
            if start is not None and end is not None
        ]
        out.append(
            {
                "source": ends["source"][1],
                "target": ends["target"][1],
                "source_index": ends["source"][0],
                "target_index": ends["target"][0],
                "kind_class": kind,
                "label": label,
                "dash": dash,
                "double": double,
                "score": _percent(item.get("score")),
                "direction": _str(item.get("direction")),
                "n_shared": len(shared),
                "passages": passages,
            }
        )
    return out


def _origin(
    doc: Mapping[str, Any], at: int, index: Mapping[str, int], refs: list[dict], derivations
) -> dict | None:
    """Where ``doc``'s story started: None when unknown, else independent or a linked origin."""
    origin = _str(doc.get("origin"))
    if origin is None:
        return None
    source = index.get(origin)
    if origin == _str(doc.get("id")) or source == at:
        return {"independent": True}
    direct = [d for d in derivations if d["source_index"] == source and d["target_index"] == at]
    relation = f"{direct[0]['label']} of" if source is not None and direct else "traces back to"
    ref = refs[source] if source is not None else {"anchor": None, "name": origin, "where": None}
    return {"independent": False, "relation": relation, "ref": ref}


def _ref_text(ref: Mapping[str, Any]) -> str:
    """A document reference as plain text: its title, and outlet when that adds anything."""
    name, where = ref["name"] or "(unknown document)", ref["where"]
    return f"{name} ({where})" if where and where != name else name


def _link(d: Mapping[str, Any], end: str) -> dict:
    detail = d["label"] if d["score"] is None else f"{d['label']}, {d['score']}"
    return {**d[end], "detail": detail}


def _depths(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest path from a node without sources; an edge that closes a cycle is ignored."""
    preds: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        preds[t].append(s)
    depth = [0] * n
    state = [0] * n  # 0 new, 1 on the current path, 2 done

    def visit(v: int) -> int:
        if state[v] == 2:
            return depth[v]
        state[v] = 1
        for u in preds[v]:
            if state[u] != 1:
                depth[v] = max(depth[v], visit(u) + 1)
        state[v] = 2
        return depth[v]

    for v in range(n):
        visit(v)
    return depth


def _order(layers: list[list[int]], preds: list[set[int]], succs: list[set[int]]) -> None:
    """Reorder each layer in place by the mean position of its neighbours (fewer crossings)."""
    tallest = max(len(layer) for layer in layers)
    pos: dict[int, float] = {}

    def place(layer: list[int]) -> None:
        for i, v in enumerate(layer):
            pos[v] = (tallest - len(layer)) / 2 + i

    def barycentre(v: int, near: list[set[int]]) -> float:
        return sum(pos[u] for u in near[v]) / len(near[v]) if near[v] else pos[v]

    for layer in layers:
        place(layer)
    down = [(k, preds) for k in range(1, len(layers))]  # by sources, origins first
    up = [(k, succs) for k in range(len(layers) - 2, -1, -1)]  # by targets, back again
    for k, near in down + up + down + up + down:
        layers[k].sort(key=lambda v, near=near: barycentre(v, near))
        place(layers[k])


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _where(doc: Mapping[str, Any]) -> str | None:
    """Outlet, else the last part of the URI: tells apart documents that share a title."""
    outlet = _str(doc.get("source")) or _str(doc.get("site_name"))
    uri = _str(doc.get("uri")) or ""
    return outlet or _str(re.split(r"[/\\]", uri.rstrip("/\\"))[-1])


def _node_lines(view: Mapping[str, Any], independent: bool, chars: int) -> list[str]:
    """Outlet (or file name), title, then genre and role: three short lines for a node."""
    title = view["title"] or "(untitled)"
    role = "origin" if independent else "derived"
    return [
        _cut(view["where"] or title, chars - 2),  # bold, so a little wider per character
        _cut(title, chars),
        _cut(f"{view['genre']} · {role}", chars),
    ]


def _ports(edges: list[tuple[int, int]], at: int, other: int, pos: dict) -> dict[int, float]:
    """Vertical offsets where edges leave (or enter) each node, spread to avoid overlap."""
    by_node: dict[int, list[int]] = {}
    for e, ends in enumerate(edges):
        by_node.setdefault(ends[at], []).append(e)
    out = {}
    for es in by_node.values():
        es.sort(key=lambda e: pos[edges[e][other]][1])
        step = min(14.0, (_NODE_H - 10) / (len(es) - 1)) if len(es) > 1 else 0.0
        for j, e in enumerate(es):
            out[e] = (j - (len(es) - 1) / 2) * step
    return out


def _bezier_at_x(p: list[tuple[float, float]], x: float) -> tuple[float, float]:
    """Point on the cubic Bézier ``p`` whose x is ``x``; x must grow along the curve."""

    def at(t: float) -> tuple[float, float]:
        u = 1 - t
        w = (u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t)
        return (
            sum(c * q[0] for c, q in zip(w, p, strict=True)),
            sum(c * q[1] for c, q in zip(w, p, strict=True)),
        )

    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if at(mid)[0] < x else (lo, mid)
    return at((lo + hi) / 2)


def _graph(views: list[dict], derivations: list[dict]) -> dict | None:
    """Lay the derivation graph out in layers: node boxes and edge paths in SVG coordinates.

    Returns None without derivations, ``{"omitted": True}`` above :data:`GRAPH_MAX_DOCUMENTS`.
    Every document is a node (isolated ones sit with the origins in the first column); every
    derivation between two documents of this story is an edge.
    """
    if not derivations:
        return None
    if len(views) > GRAPH_MAX_DOCUMENTS:
        return {"omitted": True}
    n = len(views)
    drawn = [
        d
        for d in derivations
        if d["source_index"] is not None
        and d["target_index"] is not None
        and d["source_index"] != d["target_index"]
    ]
    ends = [(d["source_index"], d["target_index"]) for d in drawn]
    depth = _depths(n, ends)
    layers: list[list[int]] = [[] for _ in range(max(depth) + 1)]
    for v in range(n):
        layers[depth[v]].append(v)
    preds: list[set[int]] = [set() for _ in range(n)]
    succs: list[set[int]] = [set() for _ in range(n)]
    for s, t in ends:
        preds[t].add(s)
        succs[s].add(t)
    _order(layers, preds, succs)

    columns = len(layers)
    node_w = (_PAGE_W - 2 * _PAD - (columns - 1) * _COL_GAP) / columns
    node_w = round(min(max(node_w, _NODE_W[0]), _NODE_W[1]))
    tallest = max(len(layer) for layer in layers)
    inner = tallest * _NODE_H + (tallest - 1) * _ROW_GAP
    pos: dict[int, tuple[float, float]] = {}
    for k, layer in enumerate(layers):
        top = _PAD + (inner - (len(layer) * _NODE_H + (len(layer) - 1) * _ROW_GAP)) / 2
        for i, v in enumerate(layer):
            pos[v] = (_PAD + k * (node_w + _COL_GAP), top + i * (_NODE_H + _ROW_GAP))

    nodes = []
    for v, view in enumerate(views):
        x, y = pos[v]
        independent = view["origin"]["independent"] if view["origin"] else not preds[v]
        tooltip = " — ".join(t for t in (view["title"] or "(untitled)", view["where"]) if t)
        tooltip += f"\n{view['genre']}" + (
            f": {view['profile_reason']}" if view["profile_reason"] else ""
        )
        nodes.append(
            {
                "anchor": view["anchor"],
                "x": x,
                "y": y,
                "independent": independent,
                "lines": _node_lines(view, independent, int((node_w - 18) / _CHAR_W)),
                "tooltip": tooltip,
            }
        )

    out_port = _ports(ends, 0, 1, pos)
    in_port = _ports(ends, 1, 0, pos)
    edges = []
    for e, d in enumerate(drawn):
        (sx, sy), (tx, ty) = pos[d["source_index"]], pos[d["target_index"]]
        x1, y1 = sx + node_w, sy + _NODE_H / 2 + out_port[e]
        x2, y2 = tx, ty + _NODE_H / 2 + in_port[e]
        xe = x2 - _ARROW + 1  # the line runs into the arrowhead's base
        bend = max((xe - x1) / 2, 60.0)
        curve = [(x1, y1), (x1 + bend, y1), (xe - bend, y2), (xe, y2)]
        if xe > x1 and len(preds[d["target_index"]]) > 1:  # several sources: mid-gap
            (lx, ly), anchor = _bezier_at_x(curve, x2 - _COL_GAP / 2), "middle"
        elif xe > x1:  # else just before the arrow, where edges fanning out are apart
            (lx, ly), anchor = _bezier_at_x(curve, xe - 4), "end"
        else:  # an edge closing a cycle runs backwards; label it at its start
            (lx, ly), anchor = (x1 + 4, y1), "start"
        edges.append(
            {
                "d": "M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}".format(
                    *(c for point in curve for c in point)
                ),
                "arrow": f"{x2:.1f},{y2:.1f} {x2 - _ARROW:.1f},{y2 - 5:.1f} "
                f"{x2 - _ARROW:.1f},{y2 + 5:.1f}",
                "lx": round(lx, 1),
                "ly": round(ly - 5, 1),
                "anchor": anchor,
                "kind_class": d["kind_class"],
                "label": d["label"],
                "dash": d["dash"],
                "double": d["double"],
                "tooltip": f"{_ref_text(d['source'])} → {_ref_text(d['target'])}: "
                + _link(d, "source")["detail"],
            }
        )
    legend = {d["kind_class"]: d for d in drawn}
    return {
        "omitted": False,
        "width": round(2 * _PAD + columns * node_w + (columns - 1) * _COL_GAP),
        "height": round(2 * _PAD + inner),
        "node_w": node_w,
        "node_h": _NODE_H,
        "nodes": nodes,
        "edges": edges,
        "legend": [
            {"kind_class": k, "label": v["label"], "dash": v["dash"], "double": v["double"]}
            for k, v in legend.items()
        ],
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


@functools.cache
def _script() -> tuple[str, str]:
    """The page's one script and its CSP hash: only this exact text may run in the page."""
    text = (Path(__file__).parent / "templates" / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"'sha256-{digest}'"


def _policy(verify_api: str | None) -> str:
    """Content-Security-Policy: nothing loads or runs but the page's own style and script, so
    even markup that slipped past escaping could neither run nor call out. A live page may
    also talk to the server that sent it, for verify."""
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              f"script-src {_script()[1]}; base-uri 'none'; form-action 'none'")  # fmt: skip
    return policy + ("; connect-src 'self'" if verify_api else "")


def render_report(story: dict, *, verify_api: str | None = None) -> str:
    """Render ``story`` (a parsed ``story.json``) as one self-contained HTML page.

    Keys that later stages add may be absent; missing or null fields render as a dash, and
    without ``derivations`` the page has no provenance parts at all. ``verify_api``, the URL
    (relative to the page) of a verify endpoint, adds the live verify box ``storycheck serve``
    shows; without it the page is a file that works from disk.
    """
    docs = [d for d in story.get("documents") or [] if isinstance(d, Mapping)]
    anchors = _anchors(docs)
    index: dict[str, int] = {}
    refs = []
    for at, (doc, anchor) in enumerate(zip(docs, anchors, strict=True)):
        doc_id = _str(doc.get("id"))
        if doc_id is not None:
            index.setdefault(doc_id, at)
        where = _where(doc)
        refs.append({"anchor": anchor, "name": _str(doc.get("title")) or where, "where": where})
    numbered = [
        sections.Ref(at + 1, r["anchor"], r["name"] or "(untitled)") for at, r in enumerate(refs)
    ]
    places = sections.Places(docs, numbered)
    derivations = _derivations(story.get("derivations"), index, refs)

    views = []
    for at, (doc, anchor) in enumerate(zip(docs, anchors, strict=True)):
        mine = [d for d in derivations if d["target_index"] == at]
        passages = [
            (start, end, f"{_ref_text(d['source'])}, {d['label']}")
            for d in mine
            for start, end in d["passages"]
        ]
        text = doc.get("text") if isinstance(doc.get("text"), str) else ""
        view = _document(doc, anchor, _shared_passages(len(text), passages))
        view["origin"] = _origin(doc, at, index, refs, derivations)
        view["derived_from"] = [_link(d, "source") for d in mine]
        view["copied_by"] = [_link(d, "target") for d in derivations if d["source_index"] == at]
        views.append(view)

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
    if isinstance(story.get("derivations"), list):
        origins = {
            _str(doc.get("origin")) or _str(doc.get("id")) or f"#{at}"
            for at, doc in enumerate(docs)
        }
        counts += [
            _plural(len(derivations), "derivation"),
            _plural(len(origins), "independent origin"),
        ]
    matrix = sections.claim_matrix(story, places)
    groups = matrix["rows"]
    if isinstance(story.get("claims"), list):
        counts += [
            _plural(len(story["claims"]), "claim"),
            _plural(len(groups), "claim group"),
            _plural(sum(g["status"] == "contested" for g in groups), "contested group"),
        ]
    claimed = {
        href[1:]
        for c in story.get("claims") or []
        if isinstance(c, Mapping) and (href := places.href(c.get("document"), c.get("sentence")))
    }
    data = {
        "verify_api": verify_api,
        "documents": {
            doc_id: {"anchor": ref.anchor, "title": ref.name} for doc_id, ref in places.refs.items()
        },
    }
    template = _environment().get_template("report.html.j2")
    return template.render(
        policy=_policy(verify_api),
        script=markupsafe.Markup(_script()[0]),  # storycheck's own static code, never story data
        data=data,
        live=verify_api is not None,
        matrix=matrix,
        marks=sections.STANCE_MARK,
        matrix_rows=sections.MATRIX_ROWS,
        link_limit=sections.LINKS,
        claimed=claimed,
        sentence_groups=sections.sentence_groups(matrix),
        timeline=sections.timeline(story, places),
        speakers=sections.quotes_by_speaker(story, places),
        entities=sections.entities(story, places),
        numbers={r["anchor"]: n.number for r, n in zip(refs, numbered, strict=True)},
        groups=groups,
        version=_str(story.get("storycheck_version")),
        generated=_str(story.get("generated")),
        counts=counts,
        documents=views,
        show_origin=any(v["origin"] is not None for v in views),
        derivations=derivations,
        graph=_graph(views, derivations),
        graph_limit=GRAPH_MAX_DOCUMENTS,
        errors=errors,
    )


def write_report(story: dict, path: Path) -> Path:
    """Render ``story`` and write it to ``path`` as UTF-8, creating parent folders; return path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(story), encoding="utf-8")
    return path
