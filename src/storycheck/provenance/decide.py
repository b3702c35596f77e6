"""Decide a derivation's direction and kind from an alignment and what each document says.

Direction is a cascade of evidence, strongest first: a republication tail, a spun text, the
publication dates, an attribution of one outlet by the other, and finally which text the other
accounts for more fully (a copy trims; a quotation adds its own text). Each rule that decides
is recorded as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storycheck.provenance import rules
from storycheck.provenance.align import Alignment
from storycheck.records import Document

# Signals that mark a document as somebody else's story passed on.
REPUBLICATION_SIGNALS = frozenset(
    {
        "read_full_article",
        "continue_reading",
        "originally_appeared",
        "appeared_first",
        "republished",
        "source_link",
        "source_credit",
    }
)


@dataclass(frozen=True)
class Direction:
    source: Document
    target: Document
    reason: str
    source_coverage: float
    target_coverage: float


def is_republication(doc: Document) -> bool:
    return doc.republished_from is not None or any(
        s.kind in REPUBLICATION_SIGNALS for s in doc.signals
    )


def direct(a: Document, b: Document, alignment: Alignment) -> Direction:
    """Which of ``a`` and ``b`` derives from the other, and why."""
    forward = Direction(a, b, "", alignment.coverage_a, alignment.coverage_b)
    backward = Direction(b, a, "", alignment.coverage_b, alignment.coverage_a)
    for reason, a_is_target, b_is_target in (
        ("target carries a republication tail", is_republication(a), is_republication(b)),
        ("target is spun", a.spun, b.spun),
        ("source published earlier", *_later(a, b)),
        ("target names the source's outlet", _names_outlet(a, b), _names_outlet(b, a)),
    ):
        if a_is_target != b_is_target:
            return _because(backward if a_is_target else forward, reason)
    if alignment.coverage_a > alignment.coverage_b:
        return _because(backward, "target is the more fully accounted for")
    return _because(forward, "target is the more fully accounted for, or added later")


def kind(direction: Direction, alignment: Alignment) -> str | None:
    """The kind of reuse, or ``None`` when the shared text is no evidence of derivation."""
    target = direction.target
    if direction.target_coverage < rules.COPY_COVERAGE:
        needed = 1 if _names_outlet(target, direction.source) else rules.QUOTE_MIN_SENTENCES
        return "quotation" if alignment.long_runs >= needed else None
    if target.spun:
        return "spun_copy"
    if alignment.identity >= rules.VERBATIM_IDENTITY and alignment.order >= rules.VERBATIM_ORDER:
        return "republication" if is_republication(target) else "copy"
    if (
        alignment.identity < rules.SPUN_MAX_IDENTITY
        and alignment.order >= rules.SPUN_MIN_ORDER
        and alignment.substitution >= rules.SPUN_MIN_SUBSTITUTION
    ):
        return "spun_copy"
    return "rewrite"


def _because(direction: Direction, reason: str) -> Direction:
    return Direction(
        direction.source,
        direction.target,
        reason,
        direction.source_coverage,
        direction.target_coverage,
    )


def _later(a: Document, b: Document) -> tuple[bool, bool]:
    """(a is later, b is later) by publication time; both False when unknown or equal.

    Dates are compared as dates unless both give a time, so "2026-03-14" and
    "2026-03-14T21:40:00+00:00" count as the same day rather than as ordered strings.
    """
    if not a.published or not b.published:
        return False, False
    x, y = a.published, b.published
    if "T" not in x or "T" not in y:
        x, y = x[:10], y[:10]
    return x > y, y > x


def _names_outlet(target: Document, source: Document) -> bool:
    """Whether ``target``'s text names ``source``'s outlet (by site name or domain)."""
    # Three letters is enough for an outlet ("BBC", "CNN"); the word boundaries keep it exact.
    names = {n for n in (source.site_name, source.source) if n and len(n) >= 3}
    for name in list(names):
        if "." in name:  # a domain: its first label is how prose names it ("corranherald")
            names.add(name.split(".")[0])
    text = target.text.lower()
    return any(re.search(rf"\b{re.escape(name.lower())}\b", text) for name in names)
