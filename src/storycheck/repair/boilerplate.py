"""Cut republication tails, aggregator links, credits and repeated titles; keep them as signals.

These lines are not the story, but they are the best evidence of where a copy came from: "Read
Full Article at RT.com" says the page republishes RT, a bare "Source link" marks an aggregator.
So each cut leaves a ``Signal`` behind, and an outlet named by a republication marker becomes the
document's ``republished_from``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from storycheck.records import Genre, Signal

# An outlet as written after "at"/"on"/"from": a name or domain of up to ~8 words, or a URL.
_OUTLET = r"(?P<outlet>https?://\S+|[\w&'’.\-]+(?:\s+[\w&'’.\-]+){0,7}?)"
_END = r"\s*[.!]?\s*$"


@dataclass(frozen=True)
class Marker:
    """One kind of boilerplate line. ``names_origin`` markers name the outlet a copy came from."""

    kind: str
    pattern: re.Pattern[str]
    names_origin: bool
    tail_only: bool
    whole_line: bool = False


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(body, re.IGNORECASE)


MARKERS: tuple[Marker, ...] = (
    # An aggregator's teaser ends with this; the whole teaser paragraph goes with it.
    Marker(
        "read_full_article",
        _rx(
            rf"(?:read|see) (?:the )?full (?:article|story|report)"
            rf"(?: (?:at|on|from))? {_OUTLET}{_END}"
        ),
        True,
        False,
        True,
    ),
    Marker(
        "continue_reading",
        _rx(rf"(?:continue reading|read more)(?: (?:at|on)) {_OUTLET}{_END}"),
        True,
        False,
    ),
    Marker(
        "originally_appeared",
        _rx(
            rf"(?:this (?:article|story|post|piece) )?(?:was )?(?:originally|first) "
            rf"(?:appeared|published|posted|ran)(?: (?:on|in|at|by))? {_OUTLET}{_END}"
        ),
        True,
        False,
    ),
    Marker(
        "appeared_first",
        _rx(rf"the post .{{1,300}}? appeared first on {_OUTLET}{_END}"),
        True,
        False,
    ),
    Marker(
        "republished",
        _rx(
            rf"(?:this (?:article|story) (?:is|was) )?republished "
            rf"(?:from|with permission (?:of|from)) {_OUTLET}"
            r"(?:\s+under [^.]{1,80})?" + _END
        ),
        True,
        False,
    ),
    Marker("source_link", _rx(r"^\s*source\s*link\s*$"), False, True),
    Marker("source_credit", _rx(rf"^\s*source\s*:\s*{_OUTLET}{_END}"), True, True),
    Marker(
        "contributed_reporting",
        _rx(
            rf"(?P<names>[^.]{{2,120}}?) contributed to this "
            rf"(?:report|story|article)(?: for {_OUTLET})?{_END}"
        ),
        False,
        True,
    ),
    Marker(
        "additional_reporting",
        _rx(
            r"(?:additional )?reporting by (?P<names>[^.]{2,160}?)"
            r"(?:;\s*editing by [^.]{2,120})?" + _END
        ),
        False,
        True,
    ),
    # Press releases end with "Ends" and a contact line for journalists.
    Marker("press_release_end", _rx(r"^\s*[-–—#*]*\s*ends\s*[-–—#*]*\s*$"), False, True),
    Marker(
        "media_contact",
        _rx(r"^\s*(?:media|press)\s+(?:enquiries|inquiries|contacts?)\b.{0,300}$"),
        False,
        True,
    ),
    Marker(
        "copyright",
        _rx(
            r"^\s*(?:copyright|©)\s*(?:©\s*)?(?:\d{4}\s*)?(?P<outlet>[^.]{2,80}?)"
            r"(?:\.\s*all rights reserved)?" + _END
        ),
        False,
        True,
    ),
)
# Every signal kind this module emits, so a re-run can replace exactly its own signals.
SIGNAL_KINDS = frozenset({m.kind for m in MARKERS} | {"repeated_title"})
# How many trailing lines count as the tail, where credits and links live.
TAIL_LINES = 3
# Genre a marker implies before the fuller profile of issue 4 exists.
_GENRE_BY_MARKER: dict[str, Genre] = {
    "read_full_article": "republication",
    "continue_reading": "republication",
    "originally_appeared": "republication",
    "appeared_first": "republication",
    "republished": "republication",
    "source_credit": "republication",
    "source_link": "aggregator",
}


@dataclass(frozen=True)
class Cleaned:
    text: str
    signals: list[Signal]
    title: str | None
    title_source: str | None
    republished_from: str | None
    genre: Genre


def clean(extracted: str, title: str | None) -> Cleaned:
    """Clean ``extracted`` text; offsets in the returned signals point into ``extracted``.

    ``title`` is the title the input's metadata gave, if any; without one, a first line that
    looks like a headline becomes the title.
    """
    lines = _lines(extracted)
    title_source = "metadata" if title else None
    signals: list[Signal] = []
    keep: list[tuple[int, int]] = []
    if title is None and lines and looks_like_headline(lines, 0, extracted):
        start, end = lines[0]
        title, title_source = extracted[start:end].strip(), "headline"
    title_key = _key(title) if title else None
    content = [i for i, (s, e) in enumerate(lines) if extracted[s:e].strip()]
    tail = set(content[-TAIL_LINES:])
    seen_title = False
    for i, (start, end) in enumerate(lines):
        line = extracted[start:end]
        if not line.strip():
            continue
        if title_key and _key(line) == title_key:
            if seen_title or i != content[0]:
                signals.append(Signal("repeated_title", line.strip(), None, start, end))
            seen_title = True
            continue
        cut = _match_marker(line, start, i in tail)
        if cut is None:
            keep.append((start, end))
            continue
        signal, cut_start, cut_end = cut
        signals.append(signal)
        if cut_start > start and extracted[start:cut_start].strip():
            keep.append((start, cut_start))
        if cut_end < end and extracted[cut_end:end].strip():
            keep.append((cut_end, end))
    text = "\n".join(extracted[s:e].strip() for s, e in keep if extracted[s:e].strip())
    origin = next((s.value for s in signals if s.value and _names_origin(s.kind)), None)
    genre = next(
        (_GENRE_BY_MARKER[s.kind] for s in signals if s.kind in _GENRE_BY_MARKER), "unknown"
    )
    return Cleaned(text, signals, title, title_source, origin, genre)


def looks_like_headline(lines: list[tuple[int, int]], index: int, text: str) -> bool:
    """A first line is a headline when it is short, has no closing full stop and more follows."""
    start, end = lines[index]
    line = text[start:end].strip()
    words = line.split()
    more = any(text[s:e].strip() for s, e in lines[index + 1 :])
    return (
        more
        and 2 <= len(words) <= 25
        and len(line) <= 200
        and line[0].isupper()
        and not line.endswith((".", ",", ";", ":", "…"))
    )


def _match_marker(line: str, offset: int, in_tail: bool) -> tuple[Signal, int, int] | None:
    for marker in MARKERS:
        if marker.tail_only and not in_tail:
            continue
        match = marker.pattern.search(line)
        if match is None or not _at_sentence_start(line, match.start()):
            continue
        outlet = _outlet(match.groupdict().get("outlet"))
        value = outlet or _names(match.groupdict().get("names"))
        start, end = (0, len(line)) if marker.whole_line else match.span()
        signal = Signal(marker.kind, line[start:end].strip(), value, offset + start, offset + end)
        return signal, offset + start, offset + end
    return None


def _at_sentence_start(line: str, position: int) -> bool:
    before = line[:position].rstrip()
    return not before or before.endswith((".", "!", "?", "\u201d", '"', ")"))


def _names_origin(kind: str) -> bool:
    return any(m.kind == kind and m.names_origin for m in MARKERS)


def _outlet(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().rstrip(".")
    if value.lower().startswith(("http://", "https://")):
        return (urlsplit(value).hostname or "").removeprefix("www.") or None
    return value or None


def _names(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _key(line: str) -> str:
    return re.sub(r"[\W_]+", " ", line.casefold()).strip()
