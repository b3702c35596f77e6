"""Score a despinner against the spinner's ground truth (used by the benchmarks and tuning)."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storycheck.repair.despin import DespinResult
from storycheck.repair.spinner import TOKEN, SpinResult


@dataclass
class Tally:
    spun: int = 0  # spinner replacements
    restored: int = 0  # ... undone exactly (same span, same word, case ignored)
    clean: int = 0  # word tokens the spinner left alone
    damaged: int = 0  # ... that the despinner changed anyway

    def add(self, other: Tally) -> None:
        self.spun += other.spun
        self.restored += other.restored
        self.clean += other.clean
        self.damaged += other.damaged

    @property
    def restored_share(self) -> float:
        return self.restored / self.spun if self.spun else 0.0

    @property
    def damaged_share(self) -> float:
        return self.damaged / self.clean if self.clean else 0.0


def compare(spin: SpinResult, result: DespinResult) -> Tally:
    tally = Tally(spun=len(spin.spans))
    repairs = {(r.start, r.end): r.restored.lower() for r in result.repairs}
    for span in spin.spans:
        if repairs.get((span.start, span.end)) == span.original.lower():
            tally.restored += 1
    covered = sorted((s.start, s.end) for s in spin.spans)
    changed = [(r.start, r.end) for r in result.repairs]
    ci = 0
    for m in TOKEN.finditer(spin.text):
        a, b = m.start(), m.end()
        if _inside(covered, a):
            continue
        tally.clean += 1
        while ci < len(changed) and changed[ci][1] <= a:
            ci += 1
        if ci < len(changed) and changed[ci][0] < b:
            tally.damaged += 1
    return tally


# Why a spun token was not restored, in the order the causes are checked.
MIXED = "mixed type (the word seen stands for more than one thing)"
NOT_A_CANDIDATE = "original not among the word's candidates"
OTHER_PUT_BACK = "another original put back"
REFUSED = "right original first, refused by the replace model"
OTHER_FIRST = "another original first, left alone"
NOT_PROPOSED = "no original proposed"
# A clean token changed: its word also stood for a spun one, or the whole type was replaced.
DAMAGE_MIXED = "clean token changed, in a mixed type"
DAMAGE_WHOLE = "clean token changed, its whole type replaced"


def losses(
    spin: SpinResult, result: DespinResult, candidates: Callable[[str], Iterable[str]]
) -> Counter[str]:
    """Token counts of what was lost and why: each spun token not restored and each clean token
    changed, by cause. A word the spinner used for more than one thing (the author's own word
    too, or the replacement of two originals) is a *mixed type*: one decision per type cannot be
    right everywhere. Suspects name the original ranked first for a type left alone, so the
    causes are exact only when every such type is listed (``Params.suspect_floor`` 0)."""
    spans = sorted((s.start, s.end) for s in spin.spans)
    stands_for: dict[str, set[str]] = defaultdict(set)
    for span in spin.spans:
        stands_for[spin.text[span.start : span.end].lower()].add(span.original.lower())
    for word, meanings in stands_for.items():
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", spin.text):
            if not _inside(spans, m.start()):  # not a replacement: the author's own word
                meanings.add(word)
    repairs = {(r.start, r.end): r for r in result.repairs}
    suspects = {(s.start, s.end): s for s in result.suspects}
    out: Counter[str] = Counter()
    for span in spin.spans:
        word, original = spin.text[span.start : span.end].lower(), span.original.lower()
        repair = repairs.get((span.start, span.end))
        if repair is not None and repair.restored.lower() == original:
            continue
        suspect = suspects.get((span.start, span.end))
        if len(stands_for[word]) > 1:
            out[MIXED] += 1
        elif original not in set(candidates(word)):
            out[NOT_A_CANDIDATE] += 1
        elif repair is not None:
            out[OTHER_PUT_BACK] += 1
        elif suspect is not None:
            out[REFUSED if suspect.likely.lower() == original else OTHER_FIRST] += 1
        else:
            out[NOT_PROPOSED] += 1
    for repair in result.repairs:
        mixed = len(stands_for.get(repair.observed.lower(), ())) > 1
        for m in TOKEN.finditer(spin.text, repair.start, repair.end):
            if not _inside(spans, m.start()):
                out[DAMAGE_MIXED if mixed else DAMAGE_WHOLE] += 1
    return out


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether offset ``at`` falls inside one of the sorted, disjoint ``spans``."""
    k = bisect.bisect_right(spans, (at, math.inf)) - 1
    return k >= 0 and spans[k][1] > at
