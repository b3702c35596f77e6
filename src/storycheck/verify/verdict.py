"""Verify a claim against a story: retrieve, weigh each sentence's stance, decide a verdict.

The verdict is a short cascade over *origins*, not sentences: a copy, republication or spun
copy says nothing its source did not, so all documents that share an origin (from provenance)
count as one source. Supported and refuted are each backed by the origins whose best evidence
takes that side; both at once is ``conflicting``; neither is ``not_enough_evidence``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from storycheck.crosscheck.consistency import NOT_ONLY, SAME_TOPIC, topic_overlap
from storycheck.crosscheck.stance import RESTATED, Stance, stances
from storycheck.verify.retrieve import Hit, SentenceIndex

VerdictLabel = Literal["supported", "refuted", "conflicting", "not_enough_evidence"]
# Sentences retrieved per claim and read by the stance model: enough to reach every independent
# report of a fact in a story of a few hundred documents, few enough to answer in under a second.
RETRIEVED = 12
# Sentences shown when nothing takes a side, so the reader sees what was considered.
SHOWN_NEUTRAL = 3


@dataclass(frozen=True)
class Evidence:
    document: str
    sentence: int  # the sentence's index in its document, for links to its place
    start: int
    end: int
    text: str
    stance: str
    score: float
    origin: str
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"document": self.document, "sentence": self.sentence, "start": self.start,
                "end": self.end, "text": self.text, "stance": self.stance,
                "score": round(self.score, 4), "origin": self.origin,
                "reasons": list(self.reasons)}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    claim: str
    verdict: VerdictLabel
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    independent_sources: int = 0

    def to_json(self) -> dict[str, object]:
        return {"claim": self.claim, "verdict": self.verdict,
                "confidence": round(self.confidence, 4),
                "evidence": [e.to_json() for e in self.evidence],
                "independent_sources": self.independent_sources}  # fmt: skip


def verify(claims: Sequence[str], index: SentenceIndex, origins: dict[str, str]) -> list[Verdict]:
    """A verdict for each claim; ``origins`` maps each document to the one it derives from."""
    hits = index.search(claims, k=RETRIEVED)
    compared = [index.compared(c) for c in claims]
    pairs = [(c, hit.compared) for c, found in zip(compared, hits, strict=True) for hit in found]
    judged = iter(stances(pairs))
    return [
        decide(claim, [(hit, next(judged)) for hit in found], origins, compared=text)
        for claim, text, found in zip(claims, compared, hits, strict=True)
    ]


def decide(
    claim: str,
    judged: list[tuple[Hit, Stance]],
    origins: dict[str, str],
    compared: str | None = None,
) -> Verdict:
    """The verdict from each retrieved sentence's stance (see the module docstring).
    ``compared``: the claim as its stances read it (the story's acronyms written out)."""
    evidence = [
        Evidence(hit.document, hit.sentence.index, hit.sentence.start, hit.sentence.end,
                 hit.sentence.text,
                 stance.label if stance.takes_side else "neutral", stance.confidence,
                 origins.get(hit.document, hit.document), stance.reasons)
        for hit, stance in judged
    ]  # fmt: skip
    taking_sides = [e for e in evidence if e.stance != "neutral"]
    if _checked(taking_sides, "supports") and not _checked(taking_sides, "refutes"):
        # The model alone is a weak judge of contradictions (ANLI at chance; see the model
        # card): its "refutes" do not dispute a claim that a source restates with every value
        # checked. A refutation the exact checks found still does.
        taking_sides = [e for e in taking_sides if e.stance == "supports"]
    if any(e.stance == "refutes" and _breaks_restriction(e) for e in taking_sides):
        # A sentence naming another thing beside the one the claim restricts to ("towns like
        # Rotherham, Rochdale and Telford" against "only in Rotherham") refutes it, and the
        # model's supports, read without the restriction, only say the plain fact holds.
        taking_sides = [e for e in taking_sides if e.stance == "refutes" or e.reasons]
    overlap = {
        (hit.document, hit.sentence.index): topic_overlap(compared or claim, hit.compared)
        for hit, _ in judged
    }
    taking_sides = _without_weak_dissent(taking_sides, overlap)
    best: dict[str, Evidence] = {}
    for item in taking_sides:  # each origin speaks once, through its surest sentence
        if item.origin not in best or item.score > best[item.origin].score:
            best[item.origin] = item
    sides = {"supports": [], "refutes": []}
    for item in best.values():
        sides[item.stance].append(item.score)
    if not best:
        shown = sorted(evidence, key=lambda e: -e.score)[:SHOWN_NEUTRAL]
        sure = max((1 - e.score for e in evidence if e.stance != "neutral"), default=1.0)
        return Verdict(claim, "not_enough_evidence", min(sure, 0.95), shown, 0)
    shown = sorted(taking_sides, key=lambda e: (e.stance != "supports", -e.score))
    if sides["supports"] and sides["refutes"]:
        label: VerdictLabel = "conflicting"
        confidence = min(max(sides["supports"]), max(sides["refutes"]))
    else:
        label = "supported" if sides["supports"] else "refuted"
        scores = sides["supports"] or sides["refutes"]
        # More independent origins make the verdict surer; one origin alone stays tentative.
        confidence = max(scores) * (1 - 0.5 ** (len(scores) + 1))
    return Verdict(claim, label, confidence, shown, len(best))


def _checked(evidence: list[Evidence], side: str) -> bool:
    """Whether some sentence takes ``side`` because the exact checks decided it."""
    return any(e.stance == side and e.reasons for e in evidence)


def _breaks_restriction(evidence: Evidence) -> bool:
    return any(reason.startswith(NOT_ONLY) for reason in evidence.reasons)


def _without_weak_dissent(
    evidence: list[Evidence], overlap: dict[tuple[str, int], float]
) -> list[Evidence]:
    """Drop the model's sides taken from sentences with under half of the claim's words
    (``SAME_TOPIC``) against a side that a firm sentence takes (the exact checks decided it, or
    it restates the claim: ``RESTATED`` of its words), when no firm sentence takes theirs.
    "Yukos' lawyers had also been expected to try to have Baikal's assets frozen", found word
    for word in the story, was "conflicting" on a 0.83 "refutes" from "Baikal paid 260.75bn
    roubles ... for Yugansk"; "The French were the second most likely to buy something
    (151%)", refuted by its source's "(48%)", was "conflicting" on a 0.84 "supports" from
    "France Telecom ... saw its full-year sales rise 2.2%"."""

    def shared(e: Evidence) -> float:
        return overlap.get((e.document, e.sentence), 0.0)

    firm = {e.stance for e in evidence if e.reasons or shared(e) >= RESTATED}
    if len(firm) != 1:
        return evidence
    return [e for e in evidence if e.stance in firm or shared(e) >= SAME_TOPIC]
