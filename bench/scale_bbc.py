"""``storycheck scale`` on the provenance benchmark corpus: stage times, edges and stories.

    python bench/scale_bbc.py PATH_TO_BBC_NEWS --sizes 500,1000,2000 [--seed 0]
        [--master local[2,4]] [--no-baseline]

For each size, builds the corpus of ``provenance_corpus.py`` (originals, verbatim and trimmed
copies, republications, spun copies, rewrites, quotations, unrelated same-topic articles),
writes it as JSONL and runs the Spark job on it in local mode. Prints, per size:

* seconds per stage (per-document stages, copy join, pairwise decisions, paraphrases,
  stories, write) and documents/s;
* precision and recall of the derivation edges against the ground truth, beside the
  single-machine provenance (``analyze``'s pipeline and ``find_derivations``) on the same
  documents, unless ``--no-baseline``;
* stories: purity (share of documents whose story's most common true group is theirs) and
  completeness (share of documents whose true group's most common story is theirs), where a
  true group is an original with everything derived from it;
* peak resident memory of the driver (Python and JVM) and of the Python workers, sampled.

Both paths read spun copies as published (``despin`` off), as the provenance benchmark does:
provenance tells a spun copy by its substitutions, and despinning thousands of spun texts would
time the despinner, not the job.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow.dataset as ds

from provenance_bbc import score
from provenance_corpus import Corpus, build, write_jsonl
from storycheck import provenance
from storycheck.config import Settings
from storycheck.models.embed import load_embedder
from storycheck.pipeline import ingest
from storycheck.provenance.semantic import vector_source
from storycheck.scale.job import run, session
from storycheck.store import Store


class Peaks:
    """Peak resident memory of this process's family, sampled every half second from /proc."""

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


def baseline(corpus_path: Path, settings: Settings, tmp: Path) -> tuple[list, float]:
    """Single-machine provenance on the same records: edges by url and seconds."""
    start = time.perf_counter()
    with Store.open(tmp / "story.db") as store:
        ingest([str(corpus_path)], store, settings)
        docs = store.documents()
        found = provenance.find_derivations(docs, vector_source(docs, load_embedder(), store))
    uri = {d.id: d.uri for d in docs}
    edges = [(uri[e.source], uri[e.target], e.kind) for e in found.derivations]
    return edges, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument("--sizes", default="500,1000,2000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--master", default="local[2,4]")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    settings = replace(Settings(), despin=False)
    spark = session(args.master)
    for size in (int(s) for s in args.sizes.split(",")):
        corpus: Corpus = build(args.bbc, size, args.seed)
        group_of = {d.url: d.group for d in corpus.docs}
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            path = tmp / "corpus.jsonl"
            write_jsonl(corpus, path)
            start = time.perf_counter()
            with Peaks() as peaks:
                summary = run([str(path)], tmp / "out", settings=settings, spark=spark)
            took = time.perf_counter() - start
            docs = ds.dataset(tmp / "out" / "documents", partitioning="hive").to_table(
                columns=["id", "uri", "story"]
            ).to_pylist()  # fmt: skip
            uri = {d["id"]: d["uri"] for d in docs}
            edges = ds.dataset(tmp / "out" / "derivations").to_table().to_pylist()
            ours = score([(uri[e["source"]], uri[e["target"]], e["kind"]) for e in edges], corpus)
            purity, completeness = stories_quality({d["uri"]: d["story"] for d in docs}, group_of)
            print(f"\n== {len(corpus.docs)} documents, {len(corpus.edges)} true edges ==")
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items())
            print(f"scale: {took:.1f} s ({len(docs) / took:.1f} documents/s): {stages}")
            print(f"  {summary.candidates} candidate pairs, {summary.derivations} derivations, "
                  f"{summary.stories} stories, {summary.errors} errors")  # fmt: skip
            print(f"  edges: precision {ours.precision:.3f}, recall {ours.recall:.3f}")
            print(f"  stories: purity {purity:.3f}, completeness {completeness:.3f}")
            print(f"  peak memory: driver (Python + JVM) {peaks.driver / 1024:.0f} MB, "
                  f"Python workers {peaks.workers / 1024:.0f} MB")  # fmt: skip
            if not args.no_baseline:
                single, seconds = baseline(path, replace(settings, workers=2), tmp)
                theirs = score(single, corpus)
                same = set(single) == {
                    (uri[e["source"]], uri[e["target"]], e["kind"]) for e in edges
                }
                print(f"single machine: {seconds:.1f} s, precision {theirs.precision:.3f}, "
                      f"recall {theirs.recall:.3f}; identical edges: {same}")  # fmt: skip
    spark.stop()
    print(f"\ncommand: python bench/scale_bbc.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
