"""Quote benchmark: ``storycheck.claims.quotes.find_quotes`` against PolNeAR attributions.

    python bench/quotes_polnear.py PATH_TO_POLNEAR [--split dev] [--limit N] [--show N]

PolNeAR (Newell, Margolin, Ruths 2018) annotates every attribution in 1,008 US political news
articles as brat standoff: a Content span (what is attributed, in one or more pieces), a Cue and,
usually, a Source. It is broader than quotations: beliefs ("polls show", "she thinks") count too,
so recall is reported twice, over all gold attributions and over those whose cue is a word the
quote finder knows (``CUE_VERBS`` or "according to"), the recall it can reach.

* Annotator: some articles were annotated by several people; the lexicographically first
  annotator's file is used, so every run scores against the same single gold.
* Spans are compared after trimming, on both sides, whitespace, quote marks, a leading "that" and
  trailing punctuation (the gold keeps marks and complementisers, ``Quote`` does not).
* Content match: character overlap F1 >= 0.5 between a predicted span and a gold content, or one
  piece of it (a quote interrupted by its attribution, ``"...," he said, "..."``, is one gold
  content in two pieces but two quotes here). Exact: the trimmed bounds are equal.
  Precision = share of predicted quotes that match; recall = share of gold contents matched.
* Speaker: a predicted speaker is right when its span overlaps the Source span of a gold
  attribution whose content the quote matches. Precision over quotes with a speaker; recall over
  gold attributions with a source.
* Speed: sentences per second of ``find_quotes`` alone and of parse + ``find_quotes``, one
  process.

Tune on ``train``, report on ``dev``; the corpus asks that ``test`` be kept for final evaluation.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storycheck.claims.quotes import ACCORDING_TO, CUE_VERBS, Quote, find_quotes
from storycheck.models.nlp import load_nlp

if TYPE_CHECKING:
    from spacy.tokens import Doc

MATCH_F1 = 0.5
ANNOTATION = re.compile(r"^(?P<id>T\d+)\t(?P<kind>\w[\w-]*) (?P<spans>[\d ;]+)\t", re.M)
EVENT = re.compile(r"^E\d+\t(?P<args>.+)$", re.M)
TRIM_CHARS = " \t\n\"'“”‘’,.;:!?—–-"
LEADING_THAT = re.compile(r"that\s+", re.I)

Interval = tuple[int, int]


@dataclass(frozen=True)
class GoldAttribution:
    content: tuple[Interval, ...]  # trimmed pieces, in text order
    source: tuple[Interval, ...]
    cue: tuple[Interval, ...]


@dataclass(frozen=True)
class Article:
    name: str
    text: str
    gold: tuple[GoldAttribution, ...]


@dataclass
class Tally:
    predicted: int = 0
    matched: int = 0
    exact: int = 0

    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    articles = list(load_articles(Path(args.data), args.split))[: args.limit or None]
    if not articles:
        print(f"no articles under {args.data}/{args.split}", file=sys.stderr)
        return 1
    nlp = load_nlp()
    start = time.perf_counter()
    docs = list(nlp.pipe(a.text for a in articles))
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    predictions = [find_quotes(doc) for doc in docs]
    find_s = time.perf_counter() - start
    sentences = sum(len(list(doc.sents)) for doc in docs)
    report = Scores()
    for article, doc, quotes in zip(articles, docs, predictions, strict=True):
        report.add(article, doc, quotes)
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"split {args.split}: {len(articles)} articles, {sentences} sentences")
    report.print()
    print(
        f"speed: find_quotes {sentences / find_s:,.0f} sentences/s; "
        f"parse + find_quotes {sentences / (parse_s + find_s):,.0f} sentences/s (one process)"
    )
    if args.show:
        report.print_misses(args.show)
    return 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="the PolNeAR folder (with train/, dev/, test/)")
    parser.add_argument("--split", default="dev", choices=["train", "dev"])
    parser.add_argument("--limit", type=int, default=0, help="first N articles only")
    parser.add_argument("--show", type=int, default=0, help="print N wrong and N missed quotes")
    return parser.parse_args(argv)


# --- Gold -----------------------------------------------------------------------------------------


def load_articles(root: Path, split: str) -> Iterator[Article]:
    """Articles of one split with the annotations of their lexicographically first annotator."""
    chosen: dict[str, Path] = {}
    for ann in sorted((root / split / "attributions").glob("*.ann")):
        chosen.setdefault(ann.stem.rsplit("_", 1)[0], ann)
    for name, ann in sorted(chosen.items()):
        text = (root / split / "text" / f"{name}.txt").read_text(encoding="utf-8")
        yield Article(name, text, tuple(parse_brat(ann.read_text(encoding="utf-8"), text)))


def parse_brat(ann: str, text: str) -> Iterator[GoldAttribution]:
    """Attribution events of a brat file, each with its content, source and cue pieces."""
    spans = {
        m["id"]: [tuple(map(int, piece.split())) for piece in m["spans"].split(";")]
        for m in ANNOTATION.finditer(ann)
    }
    for event in EVENT.finditer(ann):
        roles: dict[str, list[Interval]] = {}
        for arg in event["args"].split():
            role, _, ref = arg.partition(":")
            roles.setdefault(role, []).extend(spans.get(ref, []))
        pieces = [p for s, e in roles.get("Content", []) if (p := trim(text, s, e))]
        if pieces:
            yield GoldAttribution(
                tuple(sorted(pieces)),
                tuple(roles.get("Source", [])),
                tuple(roles.get("Cue", [])),
            )


def trim(text: str, start: int, end: int) -> Interval | None:
    """Bounds without surrounding whitespace, quote marks, punctuation and a leading "that"."""
    while True:
        before = (start, end)
        while start < end and text[start] in TRIM_CHARS:
            start += 1
        while end > start and text[end - 1] in TRIM_CHARS:
            end -= 1
        that = LEADING_THAT.match(text, start, end)
        if that:
            start = that.end()
        if (start, end) == before:
            return (start, end) if start < end else None


# --- Scores ---------------------------------------------------------------------------------------


def overlap(a: Interval, b: Interval) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlap_f1(pred: Interval, gold: tuple[Interval, ...]) -> float:
    common = sum(overlap(pred, g) for g in gold)
    if not common:
        return 0.0
    precision = common / (pred[1] - pred[0])
    recall = common / sum(e - s for s, e in gold)
    return 2 * precision * recall / (precision + recall)


def content_score(pred: Interval, gold: GoldAttribution) -> float:
    """Best overlap F1 with the whole gold content or with one of its pieces."""
    return max(overlap_f1(pred, p) for p in [gold.content, *((c,) for c in gold.content)])


def is_exact(pred: Interval, gold: GoldAttribution) -> bool:
    hull = (gold.content[0][0], gold.content[-1][1])
    return pred == hull or pred in gold.content


def speaker_right(quote: Quote, gold: GoldAttribution) -> bool:
    assert quote.speaker_start is not None and quote.speaker_end is not None
    return any(overlap((quote.speaker_start, quote.speaker_end), s) for s in gold.source)


class Scores:
    """Running counts over articles, and the examples behind the errors."""

    def __init__(self) -> None:
        self.all = Tally()
        self.kinds = {True: Tally(), False: Tally()}
        self.gold = self.gold_found = self.gold_exact = 0
        self.reachable = self.reachable_found = 0
        self.speakers = self.speakers_right = 0
        self.sourced = self.sourced_found = 0
        self.credited = 0
        self.wrong: list[str] = []
        self.missed: list[str] = []

    def add(self, article: Article, doc: Doc, quotes: list[Quote]) -> None:
        found: set[int] = set()
        exact: set[int] = set()
        speaker_found: set[int] = set()
        for quote in quotes:
            self.credited += quote.via is not None
            pred = trim(article.text, quote.start, quote.end) or (quote.start, quote.end)
            scored = [(content_score(pred, g), i) for i, g in enumerate(article.gold)]
            matches = [i for score, i in scored if score >= MATCH_F1]
            exact_matches = [i for i in matches if is_exact(pred, article.gold[i])]
            for tally in (self.all, self.kinds[quote.direct]):
                tally.predicted += 1
                tally.matched += bool(matches)
                tally.exact += bool(exact_matches)
            found.update(matches)
            exact.update(exact_matches)
            if not matches:
                self.wrong.append(f"{article.name}: {quote.text[:160]!r} ({quote.speaker_text})")
            if quote.speaker_start is None:
                continue
            self.speakers += 1
            right = [i for i in matches if speaker_right(quote, article.gold[i])]
            self.speakers_right += bool(right)
            speaker_found.update(right)
        for i, gold in enumerate(article.gold):
            self.gold += 1
            self.gold_found += i in found
            self.gold_exact += i in exact
            if gold.source:
                self.sourced += 1
                self.sourced_found += i in speaker_found
            if not _cue_in_lexicon(doc, gold):
                continue
            self.reachable += 1
            self.reachable_found += i in found
            if i not in found:
                s, e = gold.content[0][0], gold.content[-1][1]
                self.missed.append(f"{article.name}: {article.text[s:e][:160]!r}")

    def print(self) -> None:
        a = self.all
        print(f"predicted quotes {a.predicted}; gold attributions {self.gold}")
        print(
            f"content (overlap F1 >= {MATCH_F1}): precision {a.precision():.3f}  "
            f"recall {_ratio(self.gold_found, self.gold)}  "
            f"recall within the cue lexicon {_ratio(self.reachable_found, self.reachable)} "
            f"({self.reachable} gold)"
        )
        print(
            f"content (exact bounds): precision {_ratio(a.exact, a.predicted)}  "
            f"recall {_ratio(self.gold_exact, self.gold)}"
        )
        for direct, tally in self.kinds.items():
            label = "direct" if direct else "reported"
            print(
                f"  {label:8s} quotes {tally.predicted:5d}: precision {tally.precision():.3f}  "
                f"exact {_ratio(tally.exact, tally.predicted)}"
            )
        print(
            f"speaker (overlaps gold source of a matched content): "
            f"precision {_ratio(self.speakers_right, self.speakers)}  "
            f"recall {_ratio(self.sourced_found, self.sourced)}"
        )
        print(f"quotes credited to an outlet (via; not annotated, so not scored): {self.credited}")

    def print_misses(self, n: int) -> None:
        print(f"\nwrong ({len(self.wrong)}):")
        print("\n".join(self.wrong[:n]))
        print(f"\nmissed within the lexicon ({len(self.missed)}):")
        print("\n".join(self.missed[:n]))


def _cue_in_lexicon(doc: Doc, gold: GoldAttribution) -> bool:
    """Whether the gold cue holds a cue verb the finder knows, or is "according to"."""
    for start, end in gold.cue:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            continue
        if ACCORDING_TO in span.text.lower() or any(t.lemma_ in CUE_VERBS for t in span):
            return True
    return False


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "n/a"


if __name__ == "__main__":
    sys.exit(main())
