"""A claim that restricts ("X is only American", "lives in India exclusively") read without its
restricting word, so the stance model judges the plain statement.

In the claim data the model learnt from, a claim with "only", "solely" or "exclusively" is
nearly always a refuted one: FEVER's annotators wrote such words into true claims to make
false ones, and of the Sufficient-Facts FEVER train pairs with such a claim 109 are refuted
and none is supported. So the model answers "refutes" to the word whatever the evidence says (on
FEVER-Symmetric dev it refuted all 36 such pairs, half of them supported). Without the word it
reads the evidence: a sentence that refutes the plain statement ("X is French") refutes the
restricted one, and one that states it ("X is an American actor") supports it, unless the
sentence names something beside it ("an Indian TV and film producer" against "only worked in
film"), which ``consistency`` checks.

A claim is read as it is where the evidence restricts too ("He only had two daughters", which
the model reads right as it is), where the word is part of a title ("You Only Live Twice"), and
where it is not a plain restriction: "not only", "if only" (a wish), "the only" (uniqueness),
"only if" and the like (a condition), or more than one such word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# "only ever" restricts as "only" does, and goes as one.
RESTRICTS = re.compile(r"\b(?:only(?:\s+ever\b)?|solely|exclusively)\b", re.IGNORECASE)
# Words before it that make it something else: "not only" adds, "if only" wishes; "the
# only", "an only child" and "its only" single one thing out ("solely" and "exclusively" are
# never used so).
_NOT_BEFORE = re.compile(r"\b(?:not|if)\s+$", re.IGNORECASE)
_NOT_BEFORE_ONLY = re.compile(r"\b(?:the|a|an|his|her|its|their|our|my|your|whose)\s+$", re.I)
# Words after it that make it a condition or a time: "only if", "only after 2010".
_NOT_AFTER = re.compile(
    r"^\s+(?:if|when|whenever|after|because|until|once|then|to|just)\b", re.IGNORECASE
)


def readings(pairs: Sequence[tuple[str, str]]) -> list[str | None]:
    """For each (claim, evidence) pair, the claim the model should read instead; see
    ``reading``."""
    return [reading(claim, evidence) for claim, evidence in pairs]


def reading(claim: str, evidence: str) -> str | None:
    """The claim without its restricting word, where it restricts and the evidence does not;
    None where the claim is read as it is."""
    return None if RESTRICTS.search(evidence) else unrestricted(claim)


def unrestricted(claim: str) -> str | None:
    """``claim`` without its one restricting word ("Savages was exclusively a German film" ->
    "Savages was a German film"), or None when it has none, more than one, or one that does not
    simply restrict (see the module's docstring)."""
    found = list(RESTRICTS.finditer(claim))
    if len(found) != 1:
        return None
    word = found[0]
    start, end = word.span()
    if start > 0 and word.group()[0].isupper():
        return None  # inside a title
    before = claim[:start]
    if _NOT_BEFORE.search(before) or _NOT_AFTER.search(claim[end:]):
        return None
    if word.group().lower().startswith("only") and _NOT_BEFORE_ONLY.search(before):
        return None
    if start == 0:
        rest = claim[end:].lstrip()
        plain = rest[:1].upper() + rest[1:]
    else:
        plain = before.rstrip() + claim[end:]
    return plain if re.search(r"\w", plain) else None  # "Only." restricts nothing
