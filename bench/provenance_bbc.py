"""Provenance benchmark: derivation edges found by storycheck and by MinHash LSH on bbc-news.

    python bench/provenance_bbc.py PATH_TO_BBC_NEWS [--sizes 1000,2000,5000] [--seed 0]
        [--separate] [--show N] [--workers N]

Builds the corpus of ``provenance_corpus.py`` at the largest size (the smaller sizes are prefixes
of it: whole groups of an original and its derivatives, so every size has the same mix; with
``--separate`` each size is built on its own, half originals where the articles suffice), ingests
it with the real pipeline into a temporary store, then for each size times
``storycheck.provenance.find_derivations`` and scores its edges against the ground truth:

* an edge is correct when its (source, target) is a true edge; precision and recall overall and
  per kind (precision by predicted kind, recall by true kind); kind accuracy separately (share of
  correct edges with the right kind);
* direction: share of found edges whose unordered pair is a true edge that point the right way;
* wrong edges split into reversed true edges, siblings (two derivatives of one original, or a
  derivative and a text quoting the same original: not true edges, shown on their own), and
  unrelated pairs, same topic or not, with the count between two originals of the same topic.

The baseline is datasketch's MinHashLSH over word 5-gram shingles (num_perm=128) at thresholds
0.1 to 0.9, each pair directed by publication date (earlier = source), scored the same way; its
best threshold by F1 is printed beside storycheck. Without ``storycheck.provenance`` the baseline
runs alone.
"""

from __future__ import annotations

import argparse
import re
import resource
import shlex
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from provenance_corpus import KINDS, Corpus, build, split_sentences, write_jsonl
from storycheck.config import Settings
from storycheck.pipeline import ingest
from storycheck.records import Document
from storycheck.store import Store

NUM_PERM = 128
SHINGLE = 5
THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 10))
_WORD = re.compile(r"\w+")

# A predicted edge by url: (source, target, kind or None when the method gives no kind).
Predicted = tuple[str, str, str | None]


@dataclass
class Score:
    found: int = 0
    correct: int = 0
    truth: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    kind_right: int = 0
    pair_hits: int = 0  # found edges whose unordered pair is a true edge
    reversed: int = 0
    siblings: int = 0
    unrelated_same_topic: int = 0
    unrelated_originals_same_topic: int = 0
    unrelated_other_topic: int = 0
    predicted_by_kind: Counter[str] = field(default_factory=Counter)
    correct_by_predicted_kind: Counter[str] = field(default_factory=Counter)
    truth_by_kind: Counter[str] = field(default_factory=Counter)
    found_by_true_kind: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (true, predicted)

    @property
    def kind_accuracy(self) -> float | None:
        """Share of correct edges with the right kind; None when the method gives no kinds."""
        typed = self.correct_by_predicted_kind.total()
        return self.kind_right / typed if typed else None

    @property
    def direction_accuracy(self) -> float | None:
        return self.correct / self.pair_hits if self.pair_hits else None

    def kind_precision(self, kind: str) -> float | None:
        n = self.predicted_by_kind[kind]
        return self.correct_by_predicted_kind[kind] / n if n else None

    def kind_recall(self, kind: str) -> float | None:
        n = self.truth_by_kind[kind]
        return self.found_by_true_kind[kind] / n if n else None


def score(predicted: Iterable[Predicted], corpus: Corpus) -> Score:
    docs = corpus.by_url()
    truth = {(e.source, e.target): e.kind for e in corpus.edges}
    pairs = {frozenset(p) for p in truth}
    s = Score(truth=len(truth), truth_by_kind=Counter(truth.values()))
    seen: set[tuple[str, str]] = set()
    for source, target, kind in predicted:
        if (source, target) in seen or source == target:
            continue
        seen.add((source, target))
        s.found += 1
        if kind is not None:
            s.predicted_by_kind[kind] += 1
        true_kind = truth.get((source, target))
        if true_kind is not None:
            s.correct += 1
            s.pair_hits += 1
            s.found_by_true_kind[true_kind] += 1
            if kind is not None:
                s.correct_by_predicted_kind[kind] += 1
                s.confusion[(true_kind, kind)] += 1
                s.kind_right += kind == true_kind
            continue
        if frozenset((source, target)) in pairs:
            s.pair_hits += 1
            s.reversed += 1
            continue
        a, b = docs[source], docs[target]
        if set(a.roots) & set(b.roots):
            s.siblings += 1
        elif {t.split("/")[0] for t in a.roots} & {t.split("/")[0] for t in b.roots}:
            s.unrelated_same_topic += 1
            if a.variant == b.variant == "original":
                s.unrelated_originals_same_topic += 1
        else:
            s.unrelated_other_topic += 1
    s.precision = s.correct / s.found if s.found else 0.0
    s.recall = s.correct / s.truth if s.truth else 0.0
    total = s.precision + s.recall
    s.f1 = 2 * s.precision * s.recall / total if total else 0.0
    return s


# --- baseline -----------------------------------------------------------------------------------


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def minhashes(docs: Sequence[Document]):
    from datasketch import MinHash

    out = {}
    for doc in docs:
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(shingles(doc.text)))
        out[doc.id] = m
    return out


def lsh_edges(docs: Sequence[Document], hashes, threshold: float) -> list[Predicted]:
    """Every pair LSH returns, directed by publication date (earlier = source)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for doc in docs:
        lsh.insert(doc.id, hashes[doc.id])
    by_id = {d.id: d for d in docs}
    pairs: set[tuple[str, str]] = set()
    for doc in docs:
        for other in lsh.query(hashes[doc.id]):
            if other != doc.id:
                pairs.add((min(doc.id, other), max(doc.id, other)))
    edges: list[Predicted] = []
    for a, b in sorted(pairs):
        da, db = by_id[a], by_id[b]
        if (_when(db), db.id) < (_when(da), da.id):
            da, db = db, da
        edges.append((da.uri, db.uri, None))
    return edges


def _when(doc: Document) -> datetime:
    """Publication time in UTC (a date alone counts as its midnight; none sorts last)."""
    if not doc.published:
        return datetime.max.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(doc.published)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- printing -----------------------------------------------------------------------------------


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def side_by_side(ours: Score | None, ours_s: float | None, base: Score, base_t: float, base_s):
    rows: list[tuple[str, str, str]] = []

    def row(name: str, get, fmt=_f) -> None:
        rows.append((name, fmt(get(ours)) if ours is not None else "n/a", fmt(get(base))))

    count = str
    row("edges found", lambda s: s.found, count)
    row("correct edges (of true)", lambda s: s.correct, count)
    row("true edges", lambda s: s.truth, count)
    row("precision", lambda s: s.precision)
    row("recall", lambda s: s.recall)
    row("F1", lambda s: s.f1)
    for kind in KINDS:
        row(f"  {kind} P (pred. kind)", lambda s, k=kind: s.kind_precision(k))
        row(f"  {kind} R (true kind)", lambda s, k=kind: s.kind_recall(k))
    row("kind accuracy (correct edges)", lambda s: s.kind_accuracy)
    row("direction accuracy", lambda s: s.direction_accuracy)
    row("reversed true edges", lambda s: s.reversed, count)
    row("sibling edges (not true)", lambda s: s.siblings, count)
    row("unrelated, same topic", lambda s: s.unrelated_same_topic, count)
    row("  of which original-original", lambda s: s.unrelated_originals_same_topic, count)
    row("unrelated, other topic", lambda s: s.unrelated_other_topic, count)
    rows.append(("seconds", "n/a" if ours_s is None else f"{ours_s:.2f}", f"{base_s:.2f}"))
    width = max(len(r[0]) for r in rows)
    print(f"  {'':{width}}  {'storycheck':>12}  {f'MinHash LSH t={base_t:.1f}':>18}")
    for name, a, b in rows:
        print(f"  {name:{width}}  {a:>12}  {b:>18}")


def confusion(s: Score) -> None:
    kinds = sorted({k for pair in s.confusion for k in pair})
    if not kinds:
        return
    print("  kind confusion on correct edges (rows: true kind, columns: predicted kind):")
    print("  " + " " * 14 + "".join(f"{k[:12]:>13}" for k in kinds))
    for t in kinds:
        print(f"  {t:14}" + "".join(f"{s.confusion[(t, p)]:>13}" for p in kinds))


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bbc", type=Path, help="the bbc-news folder (<topic>/<NNN>.txt)")
    parser.add_argument("--sizes", default="1000,2000,5000", help="corpus sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="ingest processes (0: one a core)")
    parser.add_argument("--show", type=int, default=0, help="print this many storycheck errors")
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help="also run the sentence-embedding pass for paraphrased rewrites (as analyze does; "
        "the time includes computing the embeddings, which analyze caches in story.db)",
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="build and ingest each size on its own (half originals up to ~3,000 documents) "
        "instead of taking prefixes of the largest",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    print(f"command: python {shlex.join(sys.argv)}")

    try:
        from storycheck.provenance import find_derivations
    except ImportError as err:
        find_derivations = None
        print(f"storycheck.provenance is not importable ({err}): MinHash LSH baseline only")

    if args.separate:
        builds = {size: _built(args.bbc, size, args.seed) for size in sizes}
    else:
        full = _built(args.bbc, sizes[-1], args.seed)
        builds = {size: full.prefix(size) for size in sizes}
        print(f"smaller sizes are prefixes of this corpus (whole groups): {args.sizes}")

    ingested: dict[int, list[Document]] = {}  # id(corpus) -> stored documents
    hashed: dict[int, tuple[dict, float]] = {}
    timings: list[tuple[int, float | None, float]] = []
    warmed = False
    for size in sizes:
        corpus = builds[size]
        whole = corpus if args.separate else full
        if id(whole) not in ingested:
            ingested[id(whole)] = _ingested(whole, args.workers)
            start = time.perf_counter()
            hashes = minhashes(ingested[id(whole)])
            hashed[id(whole)] = (hashes, time.perf_counter() - start)
            print(f"MinHash signatures: {hashed[id(whole)][1]:.1f} s")
        stored = ingested[id(whole)]
        hashes, hash_s = hashed[id(whole)]
        if find_derivations is not None and not warmed:
            start = time.perf_counter()
            find_derivations(stored[:30])
            print(f"storycheck warm-up call on 30 documents: {time.perf_counter() - start:.2f} s")
            warmed = True
        by_uri = {d.uri: d for d in stored}
        present = [by_uri[d.url] for d in corpus.docs if d.url in by_uri]
        corpus = _restrict(corpus, {d.uri for d in present})
        mix = ", ".join(f"{v} {n}" for v, n in sorted(corpus.composition().items()))
        print(f"\n== {len(present)} documents ({mix}); {len(corpus.edges)} true edges ==")

        sweep = []
        for threshold in THRESHOLDS:
            t0 = time.perf_counter()
            edges = lsh_edges(present, hashes, threshold)
            took = time.perf_counter() - t0
            sweep.append((threshold, score(edges, corpus), took))
        print(f"MinHash LSH (num_perm={NUM_PERM}, word {SHINGLE}-gram shingles), by threshold:")
        print("  t    edges      P      R     F1  siblings  unrelated(same topic)  seconds")
        for threshold, s, took in sweep:
            print(
                f"  {threshold:.1f} {s.found:>7} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                f"{s.siblings:>9} {s.unrelated_same_topic:>22} {took:8.2f}"
            )
        best_t, best, best_took = max(sweep, key=lambda r: (r[1].f1, r[1].precision))
        base_s = best_took + hash_s * len(present) / len(stored)  # signatures pro rata

        ours: Score | None = None
        ours_s: float | None = None
        if find_derivations is not None:
            id_to_uri = {d.id: d.uri for d in present}
            rss_before = _rss_mb()
            t0 = time.perf_counter()
            found = find_derivations(present, _vectors(present) if args.embeddings else None)
            ours_s = time.perf_counter() - t0
            predicted = [
                (id_to_uri[e.source], id_to_uri[e.target], e.kind) for e in found.derivations
            ]
            ours = score(predicted, corpus)
            timings.append((len(present), ours_s, base_s))
            print(
                f"storycheck: {ours_s:.2f} s, {len(present) / ours_s:.0f} documents/s; "
                f"peak RSS {rss_before:.0f} MB before, {_rss_mb():.0f} MB after"
            )
            if args.show:
                _show_errors(predicted, corpus, args.show)
        else:
            timings.append((len(present), None, base_s))
        print("side by side (LSH at its best threshold by F1; LSH gives no kind):")
        side_by_side(ours, ours_s, best, best_t, base_s)
        if ours is not None:
            confusion(ours)
            _verdict(ours, best, ours_s, len(present))

    print("\ntimes:")
    for n, ours_s, base_s in timings:
        mine = "n/a" if ours_s is None else f"{ours_s:.2f} s ({n / ours_s:.0f} docs/s)"
        print(f"  {n:>6} documents: storycheck {mine}; MinHash LSH best threshold {base_s:.2f} s")
    if len(timings) > 1 and timings[0][1] and timings[-1][1]:
        (n0, t0_, _), (n1, t1, _) = timings[0], timings[-1]
        print(f"  growth {n0} -> {n1} documents: time x{t1 / t0_:.2f} for size x{n1 / n0:.2f}")
    print(f"peak memory (RSS) of this process: {_rss_mb():.0f} MB")
    return 0


def _vectors(docs: Sequence[Document]):
    """The embedding source analyze uses, without its on-disk cache (so the time includes it)."""
    from storycheck.models.embed import load_embedder
    from storycheck.provenance.semantic import vector_source

    return vector_source(docs, load_embedder())


def _built(bbc: Path, size: int, seed: int) -> Corpus:
    start = time.perf_counter()
    corpus = build(bbc, size, seed)
    print(
        f"corpus: {len(corpus.docs)} documents, {len(corpus.edges)} true edges, built in "
        f"{time.perf_counter() - start:.1f} s from {corpus.articles_available} distinct articles "
        f"({corpus.articles_dropped} duplicates or near-duplicates dropped), seed {seed}"
    )
    return corpus


def _ingested(corpus: Corpus, workers: int) -> list[Document]:
    """The corpus through the real pipeline, as the stored documents."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        write_jsonl(corpus, path)
        start = time.perf_counter()
        with Store.open(Path(tmp) / "story.db") as store:
            # Spun copies stay as spun: provenance tells them by their substitutions, and
            # restoring 800 spun texts would time the despinner, not provenance.
            result = ingest([str(path)], store, Settings(workers=workers, despin=False))
            stored = store.documents()
        took = time.perf_counter() - start
    print(
        f"ingest: {len(stored)} stored, {len(result.errors)} errors, {took:.1f} s "
        f"({len(stored) / took:.0f} documents/s)"
    )
    for error in result.errors[:5]:
        print(f"  error: {error.where}: {error.reason}")
    return stored


def _restrict(corpus: Corpus, urls: set[str]) -> Corpus:
    """Drop documents the pipeline did not store (ingest errors) and their edges."""
    docs = [d for d in corpus.docs if d.url in urls]
    edges = [e for e in corpus.edges if e.source in urls and e.target in urls]
    return Corpus(docs, edges, corpus.seed, corpus.articles_available, corpus.articles_dropped)


def _verdict(ours: Score, base: Score, seconds: float | None, n_docs: int) -> None:
    checks = [
        ("precision >= 0.95", ours.precision >= 0.95),
        ("recall >= 0.95", ours.recall >= 0.95),
        (
            "every kind P and R >= 0.9",
            all(
                (ours.kind_precision(k) or 0) >= 0.9 and (ours.kind_recall(k) or 0) >= 0.9
                for k in KINDS
                if ours.truth_by_kind[k]
            ),
        ),
        ("direction >= 0.95", (ours.direction_accuracy or 0) >= 0.95),
        ("no unrelated same-topic edges", ours.unrelated_same_topic == 0),
        ("precision >= LSH's", ours.precision >= base.precision),
        ("recall > LSH's", ours.recall > base.recall),
    ]
    if n_docs >= 5000 and seconds is not None:
        checks.append(("5,000 documents in under 120 s", seconds < 120))
    print("  targets: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks))


def _show_errors(predicted: list[Predicted], corpus: Corpus, limit: int) -> None:
    """Some wrong and some missed edges, with how the corpus made the documents involved."""
    docs = corpus.by_url()
    truth = {(e.source, e.target): e.kind for e in corpus.edges}
    wrong = [p for p in predicted if (p[0], p[1]) not in truth][:limit]
    found = {(p[0], p[1]) for p in predicted}
    missed = [e for e in corpus.edges if (e.source, e.target) not in found][:limit]
    for source, target, kind in wrong:
        a, b = docs[source], docs[target]
        print(
            f"  wrong {kind}: {a.variant} {a.url} ({a.article}) -> {b.variant} {b.url} "
            f"({b.article}) {_meta(b)}"
        )
    for e in missed:
        a, b = docs[e.source], docs[e.target]
        print(f"  missed {e.kind}: {a.url} ({a.article}) -> {b.url} {_meta(b)}")


def _meta(doc) -> str:
    meta = dict(doc.meta)
    if "quote" in meta:
        quote = str(meta.pop("quote"))
        meta["quote_words"] = len(quote.split())
        meta["quote_sentences"] = len(split_sentences(quote))
        meta["target_words"] = len(doc.text.split())
    return str(meta)


if __name__ == "__main__":
    raise SystemExit(main())
