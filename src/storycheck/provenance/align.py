"""Align two documents sentence by sentence and measure how the shared text was reused.

Sentence granularity fits every kind of reuse: copies keep sentences whole, spinners swap words
inside them, rewrites reorder and drop them, quotations take a run of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

from storycheck.provenance import rules
from storycheck.provenance.features import DocFeatures


@dataclass(frozen=True)
class Passage:
    """A run of aligned sentences: ``[a_start, a_end)`` in one text, ``[b_start, b_end)`` in the
    other."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class Alignment:
    """How much of each document the other accounts for, and how faithfully."""

    matches: tuple[tuple[int, int, float], ...]  # (sentence in a, sentence in b, similarity)
    coverage_a: float
    coverage_b: float
    identity: float  # mean token-sequence ratio of matched sentences, by length
    long_runs: int  # matched sentence pairs sharing a run of QUOTE_MIN_RUN identical words
    order: float  # share of consecutive matches (in b's order) that keep a's order
    passages: tuple[Passage, ...]
    # Share of changed words that were swapped in place rather than inserted, deleted or moved:
    # a spinner substitutes word for word (0.7-0.9), a paraphrase restructures (about 0.3).
    substitution: float = 0.0


def align(a: DocFeatures, b: DocFeatures) -> Alignment:
    matches = _match_sentences(a, b)
    if not matches:
        return Alignment((), 0.0, 0.0, 0.0, 0, 0.0, ())
    matched_a = {i for i, _, _ in matches}
    matched_b = {j for _, j, _ in matches}
    coverage_a = sum(_length(a, i) for i in matched_a) / max(1, a.chars)
    coverage_b = sum(_length(b, j) for j in matched_b) / max(1, b.chars)
    weights = [_length(b, j) for _, j, _ in matches]
    matchers = [
        SequenceMatcher(None, a.sentences[i].tokens, b.sentences[j].tokens, autojunk=False)
        for i, j, _ in matches
    ]
    ratios = [m.ratio() for m in matchers]
    identity = sum(w * r for w, r in zip(weights, ratios, strict=True)) / sum(weights)
    substitution = _substitution(matchers)
    long_runs = sum(
        max(block.size for block in m.get_matching_blocks()) >= rules.QUOTE_MIN_RUN
        for m in matchers
    )
    by_b = sorted(matches, key=lambda m: m[1])
    steps = list(zip(by_b, by_b[1:], strict=False))
    order = sum(nxt[0] > cur[0] for cur, nxt in steps) / len(steps) if steps else 1.0
    return Alignment(
        tuple(by_b),
        coverage_a,
        coverage_b,
        identity,
        long_runs,
        order,
        _passages(a, b, by_b),
        substitution,
    )


def _substitution(matchers: list[SequenceMatcher[str]]) -> float:
    swapped = restructured = 0
    for matcher in matchers:
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "replace":
                swapped += min(i2 - i1, j2 - j1)
                restructured += abs((i2 - i1) - (j2 - j1))
            elif op != "equal":
                restructured += max(i2 - i1, j2 - j1)
    return swapped / (swapped + restructured) if swapped + restructured else 0.0


def _match_sentences(a: DocFeatures, b: DocFeatures) -> list[tuple[int, int, float]]:
    """One-to-one sentence matches, best first, above the bigram-overlap threshold."""
    index: dict[int, list[int]] = defaultdict(list)
    for i, sentence in enumerate(a.sentences):
        if len(sentence.tokens) >= rules.MIN_SENTENCE_WORDS:
            for gram in sentence.bigrams:
                index[gram].append(i)
    scored = []
    for j, sentence in enumerate(b.sentences):
        if len(sentence.tokens) < rules.MIN_SENTENCE_WORDS:
            continue
        shared: dict[int, int] = defaultdict(int)
        for gram in sentence.bigrams:
            for i in index.get(gram, ()):
                shared[i] += 1
        for i, count in shared.items():
            similarity = count / max(1, min(len(a.sentences[i].bigrams), len(sentence.bigrams)))
            if similarity >= rules.SENTENCE_MATCH:
                scored.append((similarity, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches = []
    for similarity, i, j in sorted(scored, reverse=True):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            matches.append((i, j, similarity))
    return matches


def _passages(
    a: DocFeatures, b: DocFeatures, by_b: list[tuple[int, int, float]]
) -> tuple[Passage, ...]:
    """Merge matches that are consecutive on both sides into passages with character offsets."""
    runs: list[list[tuple[int, int, float]]] = []
    for match in by_b:
        last = runs[-1][-1] if runs else None
        if last is not None and match[0] == last[0] + 1 and match[1] == last[1] + 1:
            runs[-1].append(match)
        else:
            runs.append([match])
    return tuple(
        Passage(
            a.sentences[run[0][0]].start,
            a.sentences[run[-1][0]].end,
            b.sentences[run[0][1]].start,
            b.sentences[run[-1][1]].end,
        )
        for run in runs
    )


def _length(doc: DocFeatures, index: int) -> int:
    sentence = doc.sentences[index]
    return sentence.end - sentence.start
