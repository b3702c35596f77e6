"""Claims stage benchmark: sentences per second, and where the time goes.

    python bench/claims_stage.py ../shared/data/bbc-news [--docs 300] [--repeat 3]

Ingests ``--docs`` articles (every stage, despinning off), then times the claims stage
(``storycheck.claims.extract.extract``: one spaCy parse, check-worthiness of every sentence,
numbers and dates of each claim, mentions, quotes) on each document again, in this process with
its models loaded. Also times each part alone on the same texts, so the ratios show which part
dominates. The pipeline runs this stage in one worker process per core.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storycheck.claims import checkworthy, dates, extract, quantities
from storycheck.config import Settings
from storycheck.models.nlp import load_nlp
from storycheck.pipeline import ingest
from storycheck.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(p for p in args.folder.rglob("*.txt"))[: args.docs]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.db") as store:
        ingest([str(f) for f in files], store, Settings(workers=1, despin=False))
        docs = store.documents()
    sentences = sum(len(d.sentences) for d in docs)
    texts = [s.text for d in docs for s in d.sentences]
    timings: dict[str, list[float]] = {"stage": [], "parse": [], "score": [], "values": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        for doc in docs:
            extract.extract(dataclasses.replace(doc))
        timings["stage"].append(time.perf_counter() - start)
        start = time.perf_counter()
        list(load_nlp().pipe(d.text for d in docs))
        timings["parse"].append(time.perf_counter() - start)
        start = time.perf_counter()
        checkworthy.load_scorer().score(texts)
        timings["score"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts:
            dates.find_dates(text)
            quantities.find_quantities(text)
        timings["values"].append(time.perf_counter() - start)
    claims = sum(len(d.claims) for d in docs)
    stage = statistics.median(timings["stage"])
    print(f"command: python {' '.join(sys.argv)}")
    print(f"documents: {len(docs)}, sentences: {sentences}, claims: {claims} "
          f"({claims / max(sentences, 1):.0%} of sentences)")  # fmt: skip
    print(f"claims stage, 1 process: median {sentences / stage:.0f} sentences/s "
          f"({len(docs) / stage:.1f} documents/s) over {args.repeat} runs")  # fmt: skip
    for part in ("parse", "score", "values"):
        median = statistics.median(timings[part])
        print(f"  {part:7} {sentences / median:7.0f} sentences/s alone, "
              f"{median / stage:.2f}x the stage's time")  # fmt: skip
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
