"""A denied claim read as its affirmative, so the stance model judges the plain statement.

The stance model learnt from claim data where a claim that denies something ("X is not a
musician") is nearly always a false one, so it answers "refutes" to a denial whatever the
evidence says (on FEVER-Symmetric's denied claims it is right about half the time, on the
generated set about a third). It is much better at plain statements. A claim whose main verb
carries the only negation is therefore judged as its affirmative ("X is a musician"), and the
answer is flipped: evidence that supports the affirmative refutes the denial, and the other
way round; evidence that says nothing about one says nothing about the other.

Only where the evidence denies nothing itself: a pair of two denials ("X is not in talks"
against "X is not in talks with Y, it said") is most often a restatement, which the model reads
right as it is, and the affirmative against a denial is the case it reads worst.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from storycheck.models.nlp import load_nlp

# Contractions whose first part is not the word itself once "n't" is gone ("ca" + "n't").
_CONTRACTED = {"ca": "can", "wo": "will", "sha": "shall"}
# A sentence that denies something in so many words.
_DENIES = re.compile(r"\b(?:not|never)\b|n['’]t\b", re.IGNORECASE)


def readings(pairs: Sequence[tuple[str, str]]) -> list[str | None]:
    """For each (claim, evidence) pair, the affirmative claim the model should read instead,
    with its answer flipped; None where the claim is read as it is (it denies nothing, or
    not once at its main verb, or the evidence denies something too)."""
    plain = affirmatives(claim for claim, evidence in pairs if not _DENIES.search(evidence))
    return [None if _DENIES.search(evidence) else plain.get(claim) for claim, evidence in pairs]


def affirmatives(claims: Iterable[str]) -> dict[str, str]:
    """Each claim that denies its main verb once, with the denial taken out; others are left
    out of the mapping. Parses each distinct claim once."""
    return {claim: text for claim in dict.fromkeys(claims) if (text := affirmative(claim))}


@lru_cache(maxsize=4096)
def affirmative(claim: str) -> str | None:
    """``claim`` without the negation of its main verb ("did not win" -> "did win", "has never
    been" -> "has been", "can't" -> "can"), or None when the claim has no negation, more than
    one, or one that belongs to something other than the main verb ("not only", "no longer"):
    there the affirmative would not be the claim's opposite."""
    doc = load_nlp()(claim)
    negations = [t for t in doc if t.dep_ == "neg"]
    if len(negations) != 1 or negations[0].head.dep_ != "ROOT" or negations[0].i == 0:
        # A claim opening with its negation ("Never has X ...") is inverted: without the
        # negation it reads as a question.
        return None
    negation = negations[0]
    end = negation.idx + len(negation.text)
    if negation.lower_ in ("n't", "n’t"):
        before = doc[negation.i - 1]
        whole = _CONTRACTED.get(before.lower_)
        if whole:
            if before.text[0].isupper():
                whole = whole.capitalize()
            return claim[: before.idx] + whole + claim[end:]
        return claim[: negation.idx] + claim[end:]
    start = negation.idx
    while start > 0 and claim[start - 1].isspace():
        start -= 1
    return claim[:start] + claim[end:]
