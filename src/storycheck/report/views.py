"""View data for the story-wide sections of the report: the claim matrix, the timeline, quotes by
speaker and entities with their mentions.

Every function takes parsed, untrusted ``story.json`` parts and returns plain strings, numbers
and lists for the template, which escapes all of it. Anything that points into a document goes
through :class:`Places`, so every link lands on a sentence anchor the page really has.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

#: Statuses in the order the report lists them, with the words shown beside each.
STATUS = {
    "contested": "contested: an independent source contradicts it",
    "corroborated": "corroborated by independent sources",
    "single_source": "single source (copies do not count)",
}
STANCE_MARK = {"agrees": "✓", "contradicts": "✗", "silent": "·"}
#: Most document columns the claim matrix draws; members in other documents are counted in a
#: last column. Past a few dozen columns a reader can no longer follow a row across the table.
MATRIX_COLUMNS = 30
#: Most groups the matrix draws (contested first); the list under it holds every group. Past
#: a few hundred rows the table is only bytes: a page of a 1,000-document story stays light.
MATRIX_ROWS = 200
#: Most document links a line of the timeline, quotes or entities shows before "and N more":
#: a quote repeated by hundreds of copies is still one readable line, and the page stays light.
LINKS = 20
# Timeline geometry, in SVG user units; the drawing scales to the page width.
_TL_WIDTH = 1000
_TL_PAD = 24
_TL_LANE = 26
_TL_MARK = 22  # the least width an event takes on its lane, so numbered marks never overlap
_TL_CHAR = 9  # width of one more digit of a mark's label
_TL_AXIS = 34


def text_of(value: Any) -> str | None:
    """Untrusted field -> display string, with null and empty both meaning "not known"."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def int_of(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_str, _int = text_of, int_of


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Ref:
    """A document as the sections show it: its number in the overview, anchor and title."""

    number: int
    anchor: str
    name: str


class Places:
    """Turns (document, offset) and (document, sentence) into links to sentence anchors."""

    def __init__(self, docs: list[Mapping[str, Any]], refs: list[Ref]) -> None:
        self.refs: dict[str, Ref] = {}
        self._starts: dict[str, tuple[list[int], list[int]]] = {}
        for doc, ref in zip(docs, refs, strict=True):
            doc_id = _str(doc.get("id"))
            if doc_id is None or doc_id in self.refs:
                continue
            self.refs[doc_id] = ref
            spans = sorted(
                (start, index)
                for s in _dicts(doc.get("sentences"))
                for start, index in [(_int(s.get("start")), _int(s.get("index")))]
                if start is not None and index is not None
            )
            self._starts[doc_id] = ([s for s, _ in spans], [i for _, i in spans])

    def ref(self, doc_id: Any) -> Ref | None:
        return self.refs.get(_str(doc_id) or "")

    def sentence_at(self, doc_id: Any, offset: Any) -> int | None:
        """The index of the sentence of ``doc_id`` that holds character ``offset``."""
        starts, indexes = self._starts.get(_str(doc_id) or "", ([], []))
        at = _int(offset)
        if at is None or not starts:
            return None
        position = bisect.bisect_right(starts, at) - 1
        return indexes[max(position, 0)]

    def href(self, doc_id: Any, sentence: Any = None) -> str | None:
        """``#anchor-sN`` for a sentence, ``#anchor`` for a document, None if not in the story."""
        ref = self.ref(doc_id)
        if ref is None:
            return None
        index = _int(sentence)
        return f"#{ref.anchor}" if index is None else f"#{ref.anchor}-s{index}"


def claim_index(story: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c["id"]: c for c in _dicts(story.get("claims")) if isinstance(c.get("id"), str)}


def claim_matrix(story: Mapping[str, Any], places: Places) -> dict[str, Any]:
    """Claim groups as rows and the documents they touch as columns, contested rows first.

    A cell says whether that document agrees with the group's statement, contradicts it, or is
    silent, and links to the member claim's sentence. Only documents in some group get a
    column, at most ``MATRIX_COLUMNS`` of those in the most groups; the others' stances are
    counted in ``others``, so a row still adds up in a story of a thousand documents.
    """
    claims = claim_index(story)
    rows = []
    for group in _dicts(story.get("claim_groups")):
        status = _str(group.get("status"))
        status = status if status in STATUS else "single_source"
        cells: dict[str, dict[str, Any]] = {}
        members = []
        for member in _dicts(group.get("members")):
            doc_id = _str(member.get("document")) or ""
            ref = places.ref(doc_id)
            stance = "contradicts" if member.get("stance") == "contradicts" else "agrees"
            claim = claims.get(_str(member.get("claim")) or "", {})
            href = places.href(doc_id, claim.get("sentence")) if claim else places.href(doc_id)
            members.append({"ref": ref, "name": ref.name if ref else doc_id, "stance": stance,
                            "href": href, "text": _str(claim.get("text"))})  # fmt: skip
            if ref is not None and (doc_id not in cells or stance == "contradicts"):
                cells[doc_id] = {"stance": stance, "href": href}
        rows.append({
            "statement": _str(group.get("statement")),
            "status": status,
            "status_label": STATUS[status],
            "sources": _int(group.get("independent_sources")) or 0,
            "against": _int(group.get("contradicting_sources")) or 0,
            "cells": cells,
            "members": members,
        })  # fmt: skip
    order = list(STATUS)
    rows.sort(key=lambda r: (order.index(r["status"]), -r["sources"], -len(r["members"])))
    used = Counter(doc_id for row in rows for doc_id in row["cells"])
    chosen = {doc_id for doc_id, _ in used.most_common(MATRIX_COLUMNS)}
    columns = sorted(((d, places.refs[d]) for d in chosen), key=lambda c: c[1].number)
    for number, row in enumerate(rows, start=1):
        row["anchor"] = f"group-{number}"
        row["row"] = [
            {"ref": ref, **row["cells"].get(doc_id, {"stance": "silent", "href": None})}
            for doc_id, ref in columns
        ]
        rest = [c["stance"] for d, c in row["cells"].items() if d not in chosen]
        row["others"] = {"agrees": rest.count("agrees"), "contradicts": rest.count("contradicts")}
    return {"rows": rows, "columns": [ref for _, ref in columns], "more": len(used) > len(chosen)}


def sentence_groups(matrix: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """For each ``#anchor-sN`` sentence, the groups it belongs to that more than one origin
    speaks in (contested or corroborated), so the text links back to the cross-check."""
    found: dict[str, list[dict[str, str]]] = {}
    for row in matrix["rows"]:
        if row["status"] == "single_source":
            continue
        for member in row["members"]:
            if member["href"] and "-s" in member["href"]:
                links = found.setdefault(member["href"][1:], [])
                if all(link["href"] != f"#{row['anchor']}" for link in links):
                    links.append({"href": f"#{row['anchor']}", "status": row["status"]})
    return found


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _ticks(first: date, last: date) -> list[date]:
    """Axis ticks on whole years, months or days, whichever gives two to twelve of them."""
    years = range(first.year, last.year + 2)
    for step in (1, 2, 5, 10, 25, 50, 100):
        ticks = [date(y, 1, 1) for y in years if y % step == 0 and first <= date(y, 1, 1) <= last]
        if 2 <= len(ticks) <= 12:
            return ticks
    months = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    for step in (1, 2, 3, 6):
        ticks = [m for m in months if (m.month - 1) % step == 0]
        if 2 <= len(ticks) <= 12:
            return ticks
    span = (last - first).days
    step = max(1, math.ceil(span / 10))
    return [date.fromordinal(first.toordinal() + d) for d in range(0, span + 1, step)]


def _tick_label(tick: date, ticks: list[date]) -> str:
    if all(t.month == 1 and t.day == 1 for t in ticks):
        return str(tick.year)
    if all(t.day == 1 for t in ticks):
        return tick.strftime("%b %Y")
    return tick.strftime("%d %b %Y")


def _events(story: Mapping[str, Any], places: Places) -> list[dict[str, Any]]:
    """The story's dated events in date order, numbered, each with links to its claims."""
    claims = claim_index(story)
    events = []
    for event in _dicts(story.get("events")):
        when = event.get("date") if isinstance(event.get("date"), Mapping) else {}
        start, end = _day(when.get("start")), _day(when.get("end"))
        if start is None:
            continue
        end = end if end is not None and end >= start else start
        sources = []
        for claim_id in event.get("claims") or []:
            claim = claims.get(claim_id) if isinstance(claim_id, str) else None
            ref = places.ref(claim.get("document")) if claim else None
            if claim and ref:
                href = places.href(claim.get("document"), claim.get("sentence"))
                sources.append({"ref": ref, "href": href})
        events.append({"start": start, "end": end, "text": _str(event.get("text")),
                       "when": _str(when.get("text")),
                       "sources": sources, "range": _range(start, end)})  # fmt: skip
    events.sort(key=lambda e: (e["start"], e["end"]))
    for number, event in enumerate(events, start=1):
        event["number"] = number
    return events


def _scale(first: date, last: date) -> Callable[[date, bool], float]:
    """The x of a day's start (or, with ``end_of_day``, its end) on an axis of those days."""
    span = max((last - first).days + 1, 1)
    inner = _TL_WIDTH - 2 * _TL_PAD

    def x(day: date, end_of_day: bool) -> float:
        return _TL_PAD + inner * ((day - first).days + end_of_day) / span

    return x


def _strip(events: list[dict[str, Any]], first: date, last: date) -> dict[str, Any]:
    """One drawing of ``events`` on an axis from ``first`` to ``last``, to scale.

    A bar runs from a date's first to its last day, numbered by its first event (events of the
    same dates share a bar), on as few lanes as keep the bars apart.
    """
    x = _scale(first, last)
    bars: dict[tuple[date, date], dict[str, Any]] = {}
    for event in events:
        bars.setdefault((event["start"], event["end"]), {"events": []})["events"].append(event)
    lanes: list[float] = []
    for (start, end), bar in bars.items():  # one bar per date range, however many events
        lead, more = bar["events"][0], len(bar["events"]) - 1
        label = f"{lead['number']}+{more}" if more else str(lead["number"])
        mark = _TL_MARK + _TL_CHAR * max(len(label) - 2, 0)  # room for the label's digits
        left, right = x(start, False), x(end, True)
        left = min(left, _TL_WIDTH - _TL_PAD / 2 - mark)  # a late day's mark stays in view
        right = max(right, left + mark)
        lane = next((i for i, edge in enumerate(lanes) if edge + 4 <= left), len(lanes))
        lanes[lane:lane + 1] = [right]  # fmt: skip
        bar.update(x=round(left, 1), w=round(right - left, 1), y=_TL_PAD + lane * _TL_LANE,
                   label_x=round(left + 4, 1), number=lead["number"], label=label,
                   when=lead["when"] or lead["range"])  # fmt: skip
    height = _TL_PAD + len(lanes) * _TL_LANE + _TL_AXIS
    ticks = _ticks(first, last)
    return {
        "bars": list(bars.values()),
        "events": len(events),
        "first": first,
        "last": last,
        "width": _TL_WIDTH,
        "height": height,
        "axis_y": height - _TL_AXIS + 8,
        "axis_x": (_TL_PAD, _TL_WIDTH - _TL_PAD),
        "ticks": [_tick(x(t, False), _tick_label(t, ticks)) for t in ticks],
        "range": _range(first, last),
        "zoom": None,  # where the close-up sits on this axis, if there is one
    }


def _tick(x: float, label: str) -> dict[str, Any]:
    """A tick at ``x``; labels near either end are aligned inward so they are not cut off."""
    room = _TL_CHAR * len(label) / 2
    anchor = "start" if x - room < 0 else "end" if x + room > _TL_WIDTH else "middle"
    return {"x": round(x, 1), "label": label, "anchor": anchor}


def _busiest(events: list[dict[str, Any]]) -> tuple[date, date] | None:
    """The stretch to draw again closer up, or None: the shortest stretch of days holding half
    the events, widened to the events close around it, when under a quarter of the whole span.

    A story's days of news otherwise crowd into one corner of an axis that also has to reach
    back years for background.
    """
    if len(events) < 4:
        return None
    need = -(-len(events) // 2)
    ends: list[int] = []  # a max-heap (negated) of the ``need`` earliest ends seen so far
    best: tuple[int, date, date] | None = None
    for event in reversed(events):  # by start, latest first: the heap holds later-starting ones
        heapq.heappush(ends, -event["end"].toordinal())
        if len(ends) > need:
            heapq.heappop(ends)
        if len(ends) == need:
            end = date.fromordinal(-ends[0])
            length = (end - event["start"]).days
            if best is None or length <= best[0]:
                best = (length, event["start"], end)
    if best is None:
        return None
    span = (max(e["end"] for e in events) - events[0]["start"]).days + 1
    length, lo, hi = best
    reach = timedelta(days=max(length + 1, 3))  # take in the events close around it too
    near = [e for e in events if lo - reach <= e["start"] and e["end"] <= hi + reach]
    wide = (min(e["start"] for e in near), max(e["end"] for e in near))
    for first, last in (wide, (lo, hi)):
        if 4 * ((last - first).days + 1) <= span:
            return first, last
    return None


def timeline(story: Mapping[str, Any], places: Places) -> dict[str, Any] | None:
    """Dated events drawn to scale over the whole story, plus a close-up of its busiest
    stretch where that stretch is short (see :func:`_busiest`); the numbered list under the
    drawings says the same in words."""
    events = _events(story, places)
    if not events:
        return None
    first, last = events[0]["start"], max(e["end"] for e in events)
    whole = _strip(events, first, last)
    strips = [whole]
    busiest = _busiest(events)
    if busiest is not None:
        lo, hi = busiest
        inside = [e for e in events if lo <= e["start"] and e["end"] <= hi]
        close = _strip(inside, lo, hi)
        x = _scale(first, last)
        left, right = x(lo, False), x(hi, True)
        whole["zoom"] = {"x": round(left, 1), "w": round(max(right - left, 2.0), 1)}
        strips.append(close)
    return {"events": events, "strips": strips, "range": whole["range"]}


def _range(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def quotes_by_speaker(story: Mapping[str, Any], places: Places) -> list[dict[str, Any]]:
    """Quotes grouped by who said them (the story-wide entity where known), most quoted first.

    The same words from the same speaker are one quote with every place they appear: copies
    of a report repeat its quotes, and a reader wants to see them once, with where.
    """
    names = {e["id"]: _str(e.get("name")) for e in _dicts(story.get("entities")) if "id" in e}
    speakers: dict[str, dict[str, Any]] = {}
    for quote in _dicts(story.get("quotes")):
        doc_id = quote.get("document")
        ref = places.ref(doc_id)
        if ref is None:
            continue
        entity = _str(quote.get("speaker"))
        name = names.get(entity or "") or _str(quote.get("speaker_name"))
        speaker = speakers.setdefault(
            entity or (name or "").lower(), {"name": name, "quotes": {}, "said": 0}
        )
        text = _str(quote.get("text"))
        direct = bool(quote.get("direct"))
        same = speaker["quotes"].setdefault(
            (" ".join((text or "").casefold().split()), direct),
            {"text": text, "direct": direct, "via": None, "places": {}},
        )
        same["via"] = same["via"] or _str(quote.get("via"))
        href = places.href(doc_id, places.sentence_at(doc_id, quote.get("start")))
        same["places"].setdefault(href, {"ref": ref, "href": href})
        speaker["said"] += 1
    found = sorted(speakers.values(), key=lambda s: (s["name"] is None, -s["said"]))
    for number, speaker in enumerate(found, start=1):
        speaker["anchor"] = f"speaker-{number}"
        speaker["quotes"] = list(speaker["quotes"].values())
        for quote in speaker["quotes"]:
            quote["places"] = sorted(quote["places"].values(), key=lambda p: p["ref"].number)
        speaker["documents"] = len(
            {p["ref"].number for q in speaker["quotes"] for p in q["places"]}
        )
    return found


def entities(story: Mapping[str, Any], places: Places) -> list[dict[str, Any]]:
    """Entities with their mentions: for each document, how often and where first."""
    out = []
    for entity in _dicts(story.get("entities")):
        per_doc: dict[int, dict[str, Any]] = {}
        for mention in _dicts(entity.get("mentions")):
            doc_id = mention.get("document")
            ref = places.ref(doc_id)
            if ref is None:
                continue
            if ref.number not in per_doc:
                href = places.href(doc_id, places.sentence_at(doc_id, mention.get("start")))
                per_doc[ref.number] = {"ref": ref, "href": href, "count": 0}
            per_doc[ref.number]["count"] += 1
        for place in per_doc.values():
            place["detail"] = f": {place['count']} mention{'' if place['count'] == 1 else 's'}"
        name = _str(entity.get("name"))
        aliases = [a for a in (_str(a) for a in entity.get("aliases") or []) if a and a != name]
        out.append({"name": name, "type": _str(entity.get("type")), "aliases": aliases,
                    "mentions": sum(d["count"] for d in per_doc.values()),
                    "documents": [per_doc[n] for n in sorted(per_doc)]})  # fmt: skip
    out.sort(key=lambda e: (-len(e["documents"]), -e["mentions"], e["name"] or ""))
    return out
