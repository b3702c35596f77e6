"""Score a despinner against the spinner's ground truth (used by the benchmarks and tuning)."""

from __future__ import annotations

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
    covered = [(s.start, s.end) for s in spin.spans]
    changed = [(r.start, r.end) for r in result.repairs]
    ci = 0
    for m in TOKEN.finditer(spin.text):
        a, b = m.start(), m.end()
        if any(s <= a < e for s, e in covered):
            continue
        tally.clean += 1
        while ci < len(changed) and changed[ci][1] <= a:
            ci += 1
        if ci < len(changed) and changed[ci][0] < b:
            tally.damaged += 1
    return tally
