"""Ingest benchmark: documents per second and peak memory over a folder of news articles.

    python bench/ingest_bbc.py ../shared/data/bbc-news [--repeat 3]

Each repeat ingests the whole folder into a fresh store (the full per-document pipeline: decode,
language, clean, segment, store) with one worker process and with one per core, then once more
into the same store to time a no-op re-run. Prints medians, and ratios against the one-worker
run measured in this same process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storycheck.config import Settings
from storycheck.pipeline import ingest
from storycheck.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    rates: dict[int, list[float]] = {1: [], cores: []}
    rerun_ratios, documents, skipped, distinct = [], 0, 0, 0
    for _ in range(args.repeat):
        for workers in rates:
            settings = Settings(workers=workers)
            with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.db") as store:
                start = time.perf_counter()
                result = ingest([str(args.folder)], store, settings)
                first = time.perf_counter() - start
                start = time.perf_counter()
                again = ingest([str(args.folder)], store, settings)
                rerun = time.perf_counter() - start
                distinct = store.count_documents()
            assert again.added == again.updated == 0
            documents, skipped = result.documents, len(result.errors)
            rates[workers].append(documents / first)
            rerun_ratios.append(rerun / first)
    own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"command: python {' '.join(sys.argv)}")
    print(f"inputs: {documents} read ({distinct} distinct documents stored), {skipped} skipped")
    base = statistics.median(rates[1])
    for workers, values in rates.items():
        median = statistics.median(values)
        print(
            f"ingest, {workers} worker(s): median {median:.0f} documents/s over {args.repeat} "
            f"runs (min {min(values):.0f}, max {max(values):.0f}), {median / base:.2f}x"
        )
    print(f"no-op re-run: median {statistics.median(rerun_ratios):.2f}x the time of a first run")
    print(f"peak memory: {own_mb:.0f} MB (main process, max RSS)")


if __name__ == "__main__":
    main()
