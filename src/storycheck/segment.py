"""Split cleaned text into sentences with exact character offsets.

Lines are split first (headlines, subheads and list items end without a full stop), then pysbd
splits each line; offsets are found by searching forward in the original text, so they are exact
even where pysbd normalises whitespace.
"""

from __future__ import annotations

import re
from functools import cache

import pysbd

from storycheck.records import Sentence

# A full stop, question or exclamation mark (with closing quotes or brackets) followed by more
# text. A line without one is a single sentence and skips pysbd, the slow part of this stage.
_INNER_END = re.compile(r"[.!?][\"'’”)\]]*\s+\S")


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order, each with ``text[start:end] == sentence.text``."""
    found: list[Sentence] = []
    line_start = 0
    for line in text.split("\n"):
        if line.strip():
            cursor = line_start
            pieces = _segmenter().segment(line) if _INNER_END.search(line) else [line]
            for piece in pieces:
                piece = piece.strip()
                if not piece:
                    continue
                start = text.find(piece, cursor)
                if start < 0:  # pysbd rewrote the piece: better to drop it than mislocate it
                    continue
                end = start + len(piece)
                found.append(Sentence(len(found), start, end, piece))
                cursor = end
        line_start += len(line) + 1
    return found
