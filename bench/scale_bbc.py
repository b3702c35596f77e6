"""``storycheck scale`` on the provenance benchmark corpus: stage times, shuffles, edges, stories.

    python bench/scale_bbc.py PATH_TO_BBC_NEWS [--sizes 5000,10000,20000] [--build N]
        [--skip-claims] [--claims-sample 200] [--seed 0] [--master local[2,4]] [--no-baseline]

The corpus is ``provenance_corpus.py``'s (originals, verbatim and trimmed copies,
republications, spun copies, rewrites, quotations, unrelated same-topic articles), built once at
``--build`` documents (default: the largest size; past about 7,000 documents from bbc-news that
is the generator's large plan, with many derivatives per original). Each size is a prefix of the
next: whole groups (an original and everything derived from it), so the sizes nest and the
ground truth of a size is exactly the true edges between its documents. For each size it
writes the prefix as JSONL, runs the Spark job on it and prints:

* seconds per stage (per-document stages, copy join, pairwise decisions, paraphrases, stories,
  write), and seconds per 1,000 documents so growth can be read off;
* bytes each stage shuffled (Spark's event log, summed over tasks);
* precision and recall of the derivation edges against the ground truth, twice: **strict** (the
  found source must be the true source) and **verbatim-equivalent** (also accepted: a found
  source that is a verbatim copy of the true source, with the same text, published before the
  target: the texts cannot tell it from the true source); the remaining wrong edges by what
  they join;
* stories: purity (share of documents whose story's most common true group is theirs) and
  completeness (share of documents whose true group's most common story is theirs), where a
  true group is an original with everything derived from it;
* CPU seconds per stage, of the driver, the JVM and the Python workers together, and peak
  resident memory of the driver (this process and the JVM) and of all Python workers together,
  both sampled from /proc every half second. Wall seconds depend on what else the machine runs;
  CPU seconds hardly do, so growth is read off them.

After the Spark runs (so that its documents do not count in the driver's memory), the
single-machine side: ``pipeline.process`` on every record of the largest size (two processes),
then for each size ``provenance.find_derivations`` with embeddings and the story links, as
``analyze`` runs them, on the same documents, scored the same way, with whether both paths
found the same edges and the same stories (and where not, which documents differ);
``--no-baseline`` leaves it out.

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
import os
import shlex
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds

from provenance_bbc import Score, score
from provenance_corpus import Corpus, Doc, build, plan, write_jsonl
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


class Meter:
    """Peak resident memory of the driver (this process, the JVM) and of the Python workers, and
    the CPU seconds they all spent, sampled from /proc every half second (the sampling's own CPU
    left out). CPU seconds hardly depend on what else the machine runs; wall seconds do."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        self.driver = self.workers = 0
        self.timeline: list[tuple[float, float]] = []  # (perf_counter, CPU seconds so far)
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._sampling = 0.0  # CPU seconds of the sampling thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Meter:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()
            self._sampling = time.thread_time()

    def _sample(self) -> None:
        driver = workers = 0
        for folder in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (folder / "cmdline").read_bytes()
                if b"pyspark.daemon" not in cmdline and not (
                    b"scale_bbc.py" in cmdline or b"org.apache.spark" in cmdline
                ):
                    continue
                rss = next(
                    int(line.split()[1]) for line in (folder / "status").read_text().splitlines()
                    if line.startswith("VmRSS:")
                )  # fmt: skip
                fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, StopIteration, ValueError):
                continue
            if b"pyspark.daemon" in cmdline:
                workers += rss
            else:
                driver += rss
            pid = int(folder.name)
            self._last[pid] = (int(fields[11]) + int(fields[12])) / self.TICK  # utime + stime
            self._first.setdefault(pid, self._last[pid])
        self.driver, self.workers = max(self.driver, driver), max(self.workers, workers)
        spent = sum(self._last[p] - self._first[p] for p in self._last)
        self.timeline.append((time.perf_counter(), spent - self._sampling))

    def cpu(self, start: float, end: float) -> float:
        """CPU seconds spent between two perf_counter times (interpolated between samples)."""
        times = [t for t, _ in self.timeline]
        spent = [c for _, c in self.timeline]
        return float(np.interp(end, times, spent) - np.interp(start, times, spent))


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
    cpu: dict[str, float]  # CPU seconds per stage (driver, JVM and Python workers), and "total"


def scaled(
    corpus: Corpus, spark, events: EventLog, settings: Settings, skip: frozenset[str], tmp: Path
) -> Scaled:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"corpus-{len(corpus.docs)}.jsonl"
    write_jsonl(corpus, path)
    out = tmp / f"out-{len(corpus.docs)}"
    with Meter() as meter:
        start = time.perf_counter()
        summary = run([str(path)], out, settings=settings, spark=spark, skip=skip)
        took = time.perf_counter() - start
    cpu = {"total": meter.cpu(start, start + took)}
    clock = start
    for stage, seconds in summary.seconds.items():  # the stages run one after another
        cpu[stage] = meter.cpu(clock, clock + seconds)
        clock += seconds
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
        meter.driver / 1024,
        meter.workers / 1024,
        cpu,
    )


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


@dataclass
class Scores:
    """Edges against the ground truth: ``strict`` as the provenance benchmark scores them (the
    found source must be the true one), and the same with verbatim-equivalent sources accepted."""

    strict: Score
    equivalent: int  # found edges whose source is an older verbatim copy of the true source
    precision: float  # verbatim-equivalent sources accepted
    recall: float
    wrong: Counter[str]  # the other wrong edges, by what they join


def _equivalent(found: Doc, true: Doc, target: Doc) -> bool:
    """``found`` has the true source's text and was published before the target: a verbatim
    copy of the true source that the texts cannot tell from it."""
    return found.url != true.url and found.text == true.text and found.published < target.published


def scores(predicted: Iterable[tuple[str, str, str | None]], corpus: Corpus) -> Scores:
    predicted = list(predicted)
    docs = corpus.by_url()
    truth = {(e.source, e.target) for e in corpus.edges}
    sources_of: dict[str, list[str]] = defaultdict(list)
    for source, target in truth:
        sources_of[target].append(source)
    found = {(s, t) for s, t, _ in predicted if s != t}
    matched: set[tuple[str, str]] = set()
    equivalent = 0
    wrong: Counter[str] = Counter()
    for s, t in sorted(found):
        if (s, t) in truth:
            matched.add((s, t))
            continue
        same = [o for o in sources_of[t] if _equivalent(docs[s], docs[o], docs[t])]
        if same:
            equivalent += 1
            matched.add((same[0], t))
        elif (t, s) in truth:
            wrong["reversed"] += 1
        elif docs[s].group == docs[t].group:
            wrong[f"sibling {docs[s].variant} -> {docs[t].variant}"] += 1
        else:
            wrong["other group"] += 1
    strict = score(predicted, corpus)
    lenient = strict.correct + equivalent
    return Scores(
        strict,
        equivalent,
        lenient / len(found) if found else 0.0,
        len(matched) / len(truth) if truth else 0.0,
        wrong,
    )


def ambiguous(corpus: Corpus) -> int:
    """True edges whose source has an older verbatim copy published before the target."""
    docs = corpus.by_url()
    copies: dict[str, list[Doc]] = defaultdict(list)
    for d in corpus.docs:
        copies[d.text].append(d)
    return sum(
        any(_equivalent(c, docs[e.source], docs[e.target]) for c in copies[docs[e.source].text])
        for e in corpus.edges
    )


def _edge_line(name: str, s: Scores) -> str:
    wrong = ", ".join(f"{k} {v}" for k, v in s.wrong.most_common(6)) or "none"
    return (
        f"  {name} edges: strict precision {s.strict.precision:.4f}, recall "
        f"{s.strict.recall:.4f} ({s.strict.correct} of {s.strict.found} found are true edges, of "
        f"{s.strict.truth}); verbatim-equivalent sources accepted: precision {s.precision:.4f}, "
        f"recall {s.recall:.4f} ({s.equivalent} found edges take the target from an older "
        f"verbatim copy of its true source); other wrong edges: {wrong}"
    )


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


def report(size: int, corpus: Corpus, result: Scaled, group_of: dict[str, int]) -> dict:
    summary = result.summary
    print(f"\n== {size} documents ({len(corpus.edges)} true edges, {ambiguous(corpus)} of them "
          "with an older verbatim copy of the source published before the target) ==")  # fmt: skip
    per_k = 1000 / max(1, summary.documents)
    stages = ", ".join(
        f"{k} {v:.1f} s, CPU {result.cpu[k]:.1f} s ({result.cpu[k] * per_k:.2f} CPU s/1k docs)"
        for k, v in summary.seconds.items()
    )
    print(f"scale: {result.seconds:.1f} s, {summary.documents / result.seconds:.1f} documents/s; "
          f"CPU {result.cpu['total']:.1f} s")  # fmt: skip
    print(f"  stages (wall, CPU of the driver, JVM and Python workers): {stages}")
    shuffled = ", ".join(f"{k} {_mb(b)}" for k, b in result.shuffled.items() if b)
    print(f"  shuffle written: {shuffled}")
    print(f"  {summary.documents} documents, {result.sentences} sentences, {result.claims} "
          f"claims, {summary.candidates} candidate pairs, {summary.derivations} derivations, "
          f"{summary.stories} stories, {summary.errors} errors")  # fmt: skip
    ours = scores(result.edges, corpus)
    print(_edge_line("scale", ours))
    purity, completeness = stories_quality(result.story_of, group_of)
    print(f"  stories: purity {purity:.4f}, completeness {completeness:.4f}")
    print(f"  peak memory: driver (Python + JVM) {result.peak_driver_mb:.0f} MB, "
          f"Python workers together {result.peak_workers_mb:.0f} MB", flush=True)  # fmt: skip
    return {"size": size, "total": result.seconds, "stages": summary.seconds, "cpu": result.cpu,
            "candidates": summary.candidates, "derivations": summary.derivations,
            "stories": summary.stories, "scale": ours, "purity": purity,
            "completeness": completeness, "driver": result.peak_driver_mb,
            "workers": result.peak_workers_mb}  # fmt: skip


def _story_differences(ours: dict[str, str], theirs: dict[str, str]) -> str:
    """Documents whose story-mates differ between the two paths, and the stories they are in."""
    mates = [{url: m for m in _partition(p) for url in m} for p in (ours, theirs)]
    differ = sorted(url for url in ours if mates[0][url] != mates[1].get(url))
    shown = {(len(mates[0][u]), len(mates[1].get(u, ()))) for u in differ}
    sizes = ", ".join(f"{a} (scale) vs {b}" for a, b in sorted(shown)[:6])
    return f"{len(differ)} documents in other stories; story sizes {sizes}; e.g. {differ[:3]}"


def compare(result: Scaled, corpus: Corpus, docs: Iterable[Document], row: dict) -> None:
    urls = {d.url for d in corpus.docs}
    subset = [d for d in docs if d.uri in urls]
    edges, story_of, seconds = single_machine(subset)
    theirs = scores(edges, corpus)
    same_edges = set(edges) == set(result.edges)
    same_stories = _partition(story_of) == _partition(result.story_of)
    print(f"\n== {len(corpus.docs)} documents, single machine (provenance + stories on "
          f"{len(subset)} processed documents): {seconds:.1f} s ==")  # fmt: skip
    print(_edge_line("single machine", theirs))
    print(f"  identical edges: {same_edges}, identical stories: {same_stories}")
    if not same_edges:
        only_scale, only_single = set(result.edges) - set(edges), set(edges) - set(result.edges)
        print(f"  edges only in scale: {len(only_scale)} {sorted(only_scale)[:3]}; only on the "
              f"single machine: {len(only_single)} {sorted(only_single)[:3]}")  # fmt: skip
    if not same_stories:
        print(f"  stories: {_story_differences(result.story_of, story_of)}")
    row |= {"single": theirs, "single_seconds": seconds, "same_edges": same_edges,
            "same_stories": same_stories}  # fmt: skip
    sys.stdout.flush()


def table(rows: list[dict]) -> None:
    """The figures of every size once more, one line each."""
    print("\n== summary ==")
    for r in rows:
        stages = " / ".join(f"{v:.1f}" for v in r["stages"].values())
        cpu = " / ".join(f"{r['cpu'][k]:.1f}" for k in r["stages"])
        ours = r["scale"]
        line = (f"{r['size']}: stages {stages} s (total {r['total']:.0f} s), CPU {cpu} s "
                f"(total {r['cpu']['total']:.0f} s); "
                f"{r['candidates']} pairs, {r['derivations']} derivations, {r['stories']} "
                f"stories; scale P/R strict {ours.strict.precision:.4f}/{ours.strict.recall:.4f}, "
                f"equivalent {ours.precision:.4f}/{ours.recall:.4f}; "
                f"purity {r['purity']:.4f}, completeness {r['completeness']:.4f}; "
                f"peak driver {r['driver']:.0f} MB, workers {r['workers']:.0f} MB")  # fmt: skip
        if "single" in r:
            single = r["single"]
            line += (f"; single machine P/R strict {single.strict.precision:.4f}/"
                     f"{single.strict.recall:.4f}, equivalent {single.precision:.4f}/"
                     f"{single.recall:.4f}; identical edges {r['same_edges']}, "
                     f"stories {r['same_stories']}")  # fmt: skip
        print(line)
    print("  (stages: " + ", ".join(rows[0]["stages"]) + ")")


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
    stage = "per-document stages"
    claims_cpu = full.cpu[stage] - bare.cpu[stage]
    print(f"CPU: with claims {full.cpu[stage]:.1f} s, without {bare.cpu[stage]:.1f} s; claims "
          f"alone {claims_cpu:.1f} CPU s: {full.sentences / claims_cpu:.1f} sentences per CPU "
          "second")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path, help="the bbc-news folder (<topic>/<NNN>.txt)")
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--build", type=int, default=0, help="corpus size (default: largest)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--master", default="local[2,4]")
    parser.add_argument("--skip-claims", action="store_true", help="leave the claims stage out")
    parser.add_argument("--claims-sample", type=int, default=0,
                        help="measure the claims stage on this many documents")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    print(f"command: python {shlex.join(sys.argv)}", flush=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    n_build = args.build or sizes[-1]
    if n_build < sizes[-1]:
        parser.error("--build must be at least the largest size")
    skip = CLAIMS if args.skip_claims else frozenset()
    start = time.perf_counter()
    full = build(args.bbc, n_build, args.seed)
    took = time.perf_counter() - start
    made = plan(n_build, full.articles_available)
    mix = ", ".join(f"{v} {n}" for v, n in sorted(full.composition().items()))
    print(f"corpus: {len(full.docs)} documents, {len(full.edges)} true edges, built in "
          f"{took:.0f} s from {full.articles_available} distinct articles; "
          f"{'large' if made.large else 'even'} plan: {made.originals} originals, {made.sources} "
          f"with derivatives ({len(full.edges) / made.sources:.1f} each on average); {mix}",
          flush=True)  # fmt: skip
    corpora = [full.prefix(sizes[-1])]
    for size in reversed(sizes[:-1]):  # each size a prefix of the next: the sizes nest
        corpora.insert(0, corpora[0].prefix(size))
    assert [len(c.docs) for c in corpora] == sizes, "a prefix ran short of standalone originals"
    group_of = {d.url: d.group for d in full.docs}
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-bbc-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "events").mkdir()
        events = EventLog(tmp / "events")
        conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(tmp / "events"),
                "spark.eventLog.rolling.enabled": "false",
                "spark.eventLog.compress": "false"}  # fmt: skip
        spark = session(args.master, conf=conf)
        if args.claims_sample:
            claims_rate(full.prefix(args.claims_sample), spark, events, _SETTINGS, tmp)
        results = []
        for size, corpus in zip(sizes, corpora, strict=True):
            results.append(scaled(corpus, spark, events, _SETTINGS, skip, tmp))
            rows.append(report(size, corpus, results[-1], group_of))
        spark.stop()
        if not args.no_baseline:
            write_jsonl(corpora[-1], tmp / "all.jsonl")
            docs, seconds = single_machine_documents(tmp / "all.jsonl")
            print(f"\nsingle machine per-document stages (claims left out) on {len(docs)} "
                  f"documents, 2 processes: {seconds:.1f} s", flush=True)  # fmt: skip
            for corpus, result, row in zip(corpora, results, rows, strict=True):
                compare(result, corpus, docs, row)
    table(rows)
    print(f"\ncommand: python {shlex.join(sys.argv)}")


if __name__ == "__main__":
    main()
