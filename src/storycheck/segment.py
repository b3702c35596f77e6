"""Split cleaned text into sentences with exact character offsets.

Lines are split first (headlines, subheads and list items end without a full stop; a list item's
marker is left out), then pysbd splits each line; offsets are found by searching forward in the
original text, so they are exact even where pysbd normalises whitespace.
"""

from __future__ import annotations

import re
from functools import cache

import pysbd

from storycheck.records import Sentence

# A full stop, question or exclamation mark (with closing quotes or brackets) followed by more
# text. A line without one is a single sentence and skips pysbd, the slow part of this stage.
_INNER_END = re.compile(r"[.!?][\"'’”)\]]*\s+\S")


# A list item's marker at the start of a line ("- ", "• ", "* "): layout, not part of the sentence.
_BULLET = re.compile(r"\s*[-–—•*·]\s+")

# A quotation of several sentences: pysbd keeps it whole, as one "sentence".
_QUOTATION = re.compile(r"“([^”]+)”|\"([^\"]+)\"")


def _split_quotation(piece: str) -> list[str]:
    """Split the sentences inside a quotation, each piece keeping its own quote marks' side.

    ``As X reported: “A. B. C.” Then D.`` becomes ``As X reported: “A.``, ``B.``, ``C.”`` and
    the rest: each quoted sentence is a claim, a citation target and an alignment unit.
    """
    for match in _QUOTATION.finditer(piece):
        start = match.start(1) if match.group(1) is not None else match.start(2)
        inner = piece[start : match.end() - 1]
        if not _INNER_END.search(inner):
            continue
        parts = [p for p in _segmenter().segment(inner) if p.strip()]
        if len(parts) < 2:
            continue
        cuts, cursor = [], start
        for part in parts[1:]:
            cursor = piece.find(part.strip(), cursor + 1)
            if cursor < 0:
                return [piece]
            cuts.append(cursor)
        bounds = [0, *cuts, len(piece)]
        head = [piece[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        return head[:-1] + _split_quotation(head[-1])
    return [piece]


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order, each with ``text[start:end] == sentence.text``."""
    found: list[Sentence] = []
    line_start = 0
    for line in text.split("\n"):
        marker = _BULLET.match(line)
        indent = marker.end() if marker else 0
        line = line[indent:]
        if line.strip():
            cursor = line_start + indent
            pieces = _segmenter().segment(line) if _INNER_END.search(line) else [line]
            for piece in (part for whole in pieces for part in _split_quotation(whole)):
                piece = piece.strip()
                if not piece:
                    continue
                start = text.find(piece, cursor)
                if start < 0:  # pysbd rewrote the piece: better to drop it than mislocate it
                    continue
                end = start + len(piece)
                found.append(Sentence(len(found), start, end, piece))
                cursor = end
        line_start += indent + len(line) + 1
    return found
