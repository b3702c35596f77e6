"""``storycheck scale`` on the provenance benchmark corpus: stage times, shuffles, edges, stories.

    python bench/scale_bbc.py PATH_TO_BBC_NEWS [--sizes 5000,10000,20000] [--shard-size 5000]
        [--skip-claims] [--claims-sample 200] [--seed 0] [--master local[2,4]] [--no-baseline]

The corpus is ``provenance_corpus.py``'s (originals, verbatim and trimmed copies,
republications, spun copies, rewrites, quotations, unrelated same-topic articles). One build can
hold about 7,000 documents (each original takes at most 16 derivatives and each quotation a bbc
article of its own, out of 1,859 distinct ones), so a size is made of shards of
``--shard-size`` documents, shard k built with seed ``seed + k``, its dates moved 2k years later
and ``?shard=k`` added to its urls; the sizes nest (10,000 is the first two shards of 20,000).
Shards reuse bbc articles, so a later shard republishes text of an earlier one: those edges are
real copies that no shard's ground truth lists, and the scorer counts them among "siblings"
(edges between documents of one bbc article), printed beside precision. For each size it writes
the corpus as JSONL, runs the Spark job on it and prints:

* seconds per stage (per-document stages, copy join, pairwise decisions, paraphrases, stories,
  write), and seconds per 1,000 documents so growth can be read off;
* bytes each stage shuffled (Spark's event log, summed over tasks);
* precision and recall of the derivation edges against the ground truth, beside the
  single-machine provenance (``pipeline.process`` on every record, then
  ``provenance.find_derivations`` with embeddings, as ``analyze`` runs it) on the same
  documents, and whether both found the same edges and the same stories (``--no-baseline``
  leaves the single-machine side out);
* stories: purity (share of documents whose story's most common true group is theirs) and
  completeness (share of documents whose true group's most common story is theirs), where a
  true group is an original with everything derived from it;
* peak resident memory of the driver (this process and the JVM) and of all Python workers
  together, sampled every half second.

``--skip-claims`` leaves the claims stage out of the per-document stages of those runs (spaCy
and the check-worthiness scorer, about 70 sentences/s per core, would dominate everything else);
``--claims-sample N`` then measures it separately: the job on the first N documents with and
without claims, so the claims stage's own rate is the difference.

Both paths read spun copies as published (``despin`` off), as the provenance benchmark does:
provenance tells a spun copy by its substitutions, and despinning thousands of spun texts would
time the despinner, not the job.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shlex
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds

from provenance_bbc import score
from provenance_corpus import Corpus, Edge, build, write_jsonl
from storycheck import provenance
from storycheck.config import Settings
from storycheck.errors import InputError
from storycheck.ingest import sources
from storycheck.models.embed import load_embedder
from storycheck.pipeline import process
from storycheck.provenance.semantic import day_of, vector_source
from storycheck.provenance.stories import stories, story_links
from storycheck.records import Document, RawInput
from storycheck.scale.job import Summary, run, session

CLAIMS = frozenset({"claims"})
_SETTINGS = replace(Settings(), despin=False)


class Peaks:
    """Peak resident memory of the driver (this process, the JVM) and of the Python workers."""

    def __init__(self) -> None:
        self.driver = self.workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            driver = workers = 0
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    rss = next(
                        int(line.split()[1]) for line in status.read_text().splitlines()
                        if line.startswith("VmRSS:")
                    )  # fmt: skip
                    cmdline = (status.parent / "cmdline").read_bytes()
                except (OSError, StopIteration, ValueError):
                    continue
                if b"pyspark.daemon" in cmdline:
                    workers += rss
                elif b"scale_bbc.py" in cmdline or b"org.apache.spark" in cmdline:
                    driver += rss
            self.driver, self.workers = max(self.driver, driver), max(self.workers, workers)


class EventLog:
    """Shuffle bytes per job description (the job's stage names) from Spark's event log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen = 0

    def shuffled(self) -> dict[str, int]:
        """Bytes written to the shuffle per stage name since the last call (PySpark's records
        are pickled batches, so Spark's record counts would mislead)."""
        (log,) = [p for p in self.folder.iterdir() if p.is_file()]
        lines = log.read_text(encoding="utf-8").splitlines()
        fresh, self._seen = lines[self._seen :], len(lines)
        stage_name: dict[int, str] = {}
        written: dict[str, int] = defaultdict(int)
        for line in fresh:
            event = json.loads(line)
            if event["Event"] == "SparkListenerJobStart":
                name = (event.get("Properties") or {}).get("spark.job.description", "other")
                for stage in event["Stage IDs"]:
                    stage_name.setdefault(stage, name)
            elif event["Event"] == "SparkListenerTaskEnd":
                metrics = (event.get("Task Metrics") or {}).get("Shuffle Write Metrics") or {}
                name = stage_name.get(event["Stage ID"], "other")
                written[name] += metrics.get("Shuffle Bytes Written", 0)
        return dict(written)


@dataclass
class Scaled:
    """One run of the job and what it wrote, keyed by url."""

    summary: Summary
    seconds: float
    edges: list[tuple[str, str, str]]
    story_of: dict[str, str]
    sentences: int
    claims: int
    shuffled: dict[str, int]
    peak_driver_mb: float
    peak_workers_mb: float


def scaled(
    corpus: Corpus, spark, events: EventLog, settings: Settings, skip: frozenset[str], tmp: Path
) -> Scaled:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"corpus-{len(corpus.docs)}.jsonl"
    write_jsonl(corpus, path)
    out = tmp / f"out-{len(corpus.docs)}"
    start = time.perf_counter()
    with Peaks() as peaks:
        summary = run([str(path)], out, settings=settings, spark=spark, skip=skip)
    took = time.perf_counter() - start
    docs = ds.dataset(out / "documents", partitioning="hive").to_table(
        columns=["id", "uri", "story"]
    ).to_pylist()  # fmt: skip
    uri = {d["id"]: d["uri"] for d in docs}
    edges = ds.dataset(out / "derivations").to_table().to_pylist()
    return Scaled(
        summary,
        took,
        [(uri[e["source"]], uri[e["target"]], e["kind"]) for e in edges],
        {d["uri"]: d["story"] for d in docs},
        ds.dataset(out / "sentences", partitioning="hive").count_rows(),
        ds.dataset(out / "claims", partitioning="hive").count_rows(),
        events.shuffled(),
        peaks.driver / 1024,
        peaks.workers / 1024,
    )


def shards(bbc: Path, n_shards: int, shard_size: int, seed: int) -> list[Corpus]:
    """``n_shards`` corpora of ``shard_size`` documents, each in its own years and urls."""
    built = []
    for k in range(n_shards):
        corpus = build(bbc, shard_size, seed + k)
        url = {d.url: f"{d.url}?shard={k}" for d in corpus.docs}
        later = timedelta(days=730 * k)
        docs = [
            replace(d, url=url[d.url], group=d.group + 1_000_000 * k,
                    published=(datetime.fromisoformat(d.published) + later).isoformat())
            for d in corpus.docs
        ]  # fmt: skip
        edges = [Edge(url[e.source], url[e.target], e.kind) for e in corpus.edges]
        built.append(Corpus(docs, edges, seed + k, corpus.articles_available, 0))
    return built


def joined(parts: list[Corpus]) -> Corpus:
    return Corpus([d for c in parts for d in c.docs], [e for c in parts for e in c.edges],
                  parts[0].seed, parts[0].articles_available, 0)  # fmt: skip


def stories_quality(story_of: dict[str, str], group_of: dict[str, int]) -> tuple[float, float]:
    """(purity, completeness) of predicted stories against true groups, per document."""
    by_story: dict[str, Counter[int]] = {}
    by_group: dict[int, Counter[str]] = {}
    for url, story in story_of.items():
        by_story.setdefault(story, Counter())[group_of[url]] += 1
        by_group.setdefault(group_of[url], Counter())[story] += 1
    pure = sum(c.most_common(1)[0][1] for c in by_story.values())
    complete = sum(c.most_common(1)[0][1] for c in by_group.values())
    return pure / len(story_of), complete / len(story_of)


def _processed(raw: RawInput) -> Document | None:
    try:
        return process(raw, _SETTINGS, CLAIMS)
    except InputError:
        return None


def single_machine_documents(path: Path) -> tuple[list[Document], float]:
    """Every record through ``pipeline.process`` (claims left out) on two processes, the
    documents deduplicated by id as ``analyze`` does."""
    start = time.perf_counter()
    raws = [r for r in sources.read(str(path), _SETTINGS) if isinstance(r, RawInput)]
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        found = pool.map(_processed, raws, chunksize=16)
    unique = {d.id: d for d in reversed([d for d in found if d is not None])}
    return list(unique.values()), time.perf_counter() - start


def single_machine(docs: list[Document]) -> tuple[list[tuple[str, str, str]], dict, float]:
    """Edges and stories by url as ``analyze`` finds them, and the seconds it took."""
    start = time.perf_counter()
    vectors = vector_source(docs, load_embedder())
    found = provenance.find_derivations(docs, vectors)
    ids = [d.id for d in docs]
    leads = np.vstack(vectors("lead", ids))
    links = [(ids[i], ids[j]) for i, j in story_links(leads, [day_of(d.published) for d in docs])]
    links += [(e.source, e.target) for e in found.derivations]
    uri = {d.id: d.uri for d in docs}
    edges = [(uri[e.source], uri[e.target], e.kind) for e in found.derivations]
    story_of = {uri[d]: s for d, s in stories(ids, links).items()}
    return edges, story_of, time.perf_counter() - start


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def _partition(story_of: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for url, story in story_of.items():
        members[story].add(url)
    return {frozenset(m) for m in members.values()}


def report(size: int, corpus: Corpus, result: Scaled, group_of: dict[str, int]) -> None:
    summary = result.summary
    print(f"\n== {size} documents ({len(corpus.edges)} true edges) ==")
    per_k = 1000 / max(1, summary.documents)
    stages = ", ".join(
        f"{k} {v:.1f} s ({v * per_k:.2f} s/1k docs)" for k, v in summary.seconds.items()
    )
    print(f"scale: {result.seconds:.1f} s, {summary.documents / result.seconds:.1f} documents/s")
    print(f"  stages: {stages}")
    shuffled = ", ".join(f"{k} {_mb(b)}" for k, b in result.shuffled.items() if b)
    print(f"  shuffle written: {shuffled}")
    print(f"  {summary.documents} documents, {result.sentences} sentences, {result.claims} "
          f"claims, {summary.candidates} candidate pairs, {summary.derivations} derivations, "
          f"{summary.stories} stories, {summary.errors} errors")  # fmt: skip
    ours = score(result.edges, corpus)
    print(f"  edges: precision {ours.precision:.4f}, recall {ours.recall:.4f} "
          f"({ours.correct} of {ours.found} found are true; {ours.siblings} more join documents "
          "of one bbc article, across shards or siblings)")  # fmt: skip
    purity, completeness = stories_quality(result.story_of, group_of)
    print(f"  stories: purity {purity:.4f}, completeness {completeness:.4f}")
    print(f"  peak memory: driver (Python + JVM) {result.peak_driver_mb:.0f} MB, "
          f"Python workers together {result.peak_workers_mb:.0f} MB")  # fmt: skip


def compare(result: Scaled, corpus: Corpus, docs: Iterable[Document]) -> None:
    urls = {d.url for d in corpus.docs}
    subset = [d for d in docs if d.uri in urls]
    edges, story_of, seconds = single_machine(subset)
    theirs = score(edges, corpus)
    print(f"  single machine edges: {theirs.correct} of {theirs.found} true, "
          f"{theirs.siblings} join documents of one bbc article")  # fmt: skip
    same_edges = set(edges) == set(result.edges)
    same_stories = _partition(story_of) == _partition(result.story_of)
    print(f"single machine (provenance + stories on {len(subset)} processed documents): "
          f"{seconds:.1f} s, precision {theirs.precision:.4f}, recall {theirs.recall:.4f}; "
          f"identical edges: {same_edges}, identical stories: {same_stories}")  # fmt: skip


def claims_rate(corpus: Corpus, spark, events: EventLog, settings: Settings, tmp: Path) -> None:
    """The first documents with and without the claims stage: its own rate is the difference."""
    full = scaled(corpus, spark, events, settings, frozenset(), tmp / "with")
    bare = scaled(corpus, spark, events, settings, CLAIMS, tmp / "without")
    with_s = full.summary.seconds["per-document stages"]
    without_s = bare.summary.seconds["per-document stages"]
    n = full.summary.documents
    claims_s = with_s - without_s
    print(f"\n== claims stage on the first {n} documents ({full.sentences} sentences, "
          f"{full.claims} claims) ==")  # fmt: skip
    print(f"per-document stages with claims {with_s:.1f} s ({n / with_s:.2f} documents/s), "
          f"without {without_s:.1f} s; claims alone {claims_s:.1f} s: "
          f"{n / claims_s:.2f} documents/s, {full.sentences / claims_s:.1f} sentences/s "
          "on the job's cores")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path, help="the bbc-news folder (<topic>/<NNN>.txt)")
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shard-size", type=int, default=5000)
    parser.add_argument("--master", default="local[2,4]")
    parser.add_argument("--skip-claims", action="store_true", help="leave the claims stage out")
    parser.add_argument("--claims-sample", type=int, default=0,
                        help="measure the claims stage on this many documents")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    print(f"command: python {shlex.join(sys.argv)}", flush=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    skip = CLAIMS if args.skip_claims else frozenset()
    if any(size % args.shard_size for size in sizes):
        parser.error("every size must be a multiple of --shard-size")
    start = time.perf_counter()
    parts = shards(args.bbc, sizes[-1] // args.shard_size, args.shard_size, args.seed)
    full = joined(parts)
    took = time.perf_counter() - start
    print(f"corpus: {len(full.docs)} documents in {len(parts)} shards, {len(full.edges)} true "
          f"edges, built in {took:.0f} s", flush=True)  # fmt: skip
    group_of = {d.url: d.group for d in full.docs}
    with tempfile.TemporaryDirectory(prefix="scale-bbc-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "events").mkdir()
        events = EventLog(tmp / "events")
        conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(tmp / "events"),
                "spark.eventLog.rolling.enabled": "false",
                "spark.eventLog.compress": "false"}  # fmt: skip
        spark = session(args.master, conf=conf)
        if args.claims_sample:
            claims_rate(parts[0].prefix(args.claims_sample), spark, events, _SETTINGS, tmp)
        docs: list[Document] = []
        if not args.no_baseline:
            write_jsonl(full, tmp / "all.jsonl")
            docs, seconds = single_machine_documents(tmp / "all.jsonl")
            print(f"\nsingle machine per-document stages (claims left out) on {len(docs)} "
                  f"documents, 2 processes: {seconds:.1f} s", flush=True)  # fmt: skip
        for size in sizes:
            corpus = joined(parts[: size // args.shard_size])
            result = scaled(corpus, spark, events, _SETTINGS, skip, tmp)
            report(size, corpus, result, group_of)
            if docs:
                compare(result, corpus, docs)
            sys.stdout.flush()
        spark.stop()
    print(f"\ncommand: python {shlex.join(sys.argv)}")


if __name__ == "__main__":
    main()
