"""``storycheck scale``: a crawl on Apache Spark, from raw records to stories, copies and claims.

The job is the single-machine pipeline cut at its seams, never a second version of it:

1. **read**: inputs are listed on the driver and read one file per task by
   ``ingest.sources`` (JSONL, WARC, JSON, HTML, text), or by Spark for Parquet, whose rows
   become JSON records; a record that cannot be read becomes an ``errors`` row.
2. **documents**: ``pipeline.process`` runs every per-document stage ``analyze`` runs
   (language, clean, despin, segment, claims). Each Python worker loads the models once (the
   loaders cache per process) and embeds its documents' leads.
3. **copy join**: each document's word 3-gram shingles are exploded and grouped by shingle;
   the documents sharing one become pairs (only the earliest few pair with everyone when a
   shingle is in very many, as ``provenance.candidates`` does), and pairs sharing enough
   shingles are candidates. This is the exact shingle index of the single-machine pass
   written as a Spark join: MinHash would estimate Jaccard, which misses quotations (high
   containment, low Jaccard) and heavily spun copies.
4. **pairwise decisions**: each candidate's two documents are joined in and
   ``provenance.judge_pair`` aligns them and decides kind and direction.
5. **paraphrases**: documents no copy edge explains are searched in date blocks for lead
   neighbours (``provenance.semantic.neighbours``, whose date window makes the blocks exact),
   and each pair goes to ``provenance.judge_paraphrase``.
6. **choose, origins, genres, stories** run on the driver over the edges (few and small), with
   the same functions ``analyze`` uses; story links come from date blocks like step 5.

Tables are written as Parquet under the output folder, replacing what a previous run wrote
there, so a re-run never duplicates rows.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from storycheck import provenance
from storycheck.config import DEFAULT_SETTINGS, Settings
from storycheck.errors import InputError
from storycheck.export import document_json
from storycheck.ingest import sources
from storycheck.models.embed import load_embedder
from storycheck.pipeline import process
from storycheck.provenance import rules
from storycheck.provenance.features import features
from storycheck.provenance.profile import profile
from storycheck.provenance.semantic import day_of, lead_text, neighbours
from storycheck.provenance.stories import stories, story_links
from storycheck.records import Document, RawInput

#: The default master: every local core, and a failed task retried as a cluster would retry it.
LOCAL_MASTER = "local[*,4]"
#: Tables the job writes, each a folder of Parquet files under the output folder.
TABLES = ("documents", "sentences", "claims", "derivations", "stories", "records", "errors")
#: Fault drill: when this variable (set on the executors, ``spark.executorEnv.``) names a folder
#: holding a file ``armed``, the first Python worker to finish a document claims ``fired`` there
#: and dies mid-task, as a killed executor would. The tests use it to prove retries are exact.
CRASH_DRILL = "STORYCHECK_SCALE_CRASH_DRILL"
_PARQUET_SUFFIXES = (".parquet", ".parq")


@dataclass(frozen=True)
class Summary:
    """What one run found, and the seconds each stage took (for the CLI and the benchmark)."""

    documents: int
    errors: int
    candidates: int
    derivations: int
    stories: int
    seconds: dict[str, float]


def session(
    master: str | None = LOCAL_MASTER,
    app: str = "storycheck-scale",
    conf: dict[str, str] | None = None,
) -> Any:
    """A SparkSession whose Python workers run this interpreter (and so see storycheck).

    ``master`` None leaves the master to ``spark-submit``, which sets it for a cluster (and its
    memory). In local mode the driver JVM holds the cached documents and the shuffle, so it gets
    2 GB; cached data that does not fit spills to ``spark.local.dir``. ``conf`` adds settings
    (the benchmark's event log, the tests' crash drill)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    builder = (
        builder.appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "16")
        .config("spark.python.worker.reuse", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.local.dir", tempfile.gettempdir())
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def input_files(specs: Iterable[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(files for storycheck's readers, Parquet files, errors) from paths, folders and globs."""
    readable, parquet, errors = [], [], []
    for item in sources.expand(specs):
        if isinstance(item, InputError):
            errors.append((item.where, item.reason))
        elif item.endswith(_PARQUET_SUFFIXES):
            parquet.append(item)
        else:
            readable.append(item)
    return readable, parquet, errors


def _read_file(path: str, settings: Settings) -> Iterator[tuple[str, Any]]:
    for item in sources.read(path, settings):
        if isinstance(item, InputError):
            yield "error", (item.where, item.reason)
        else:
            yield "raw", item


def _parquet_record(row_json: str, where: str) -> RawInput:
    record = json.loads(row_json)
    return RawInput(where, str(record.get("url") or where), row_json.encode("utf-8"), "json",
                    record)  # fmt: skip


def _crash_drill() -> None:
    """Die once per armed drill (see ``CRASH_DRILL``); the file claim makes it once per run."""
    folder = os.environ.get(CRASH_DRILL)
    if not folder or not (Path(folder) / "armed").exists():
        return
    try:
        (Path(folder) / "fired").touch(exist_ok=False)
    except FileExistsError:
        return
    os._exit(1)


def _documents(
    items: Iterable[tuple[str, Any]], settings: Settings, skip: frozenset[str]
) -> Iterator[tuple]:
    """Per-document stages over one partition; models load once per worker process."""
    raws, out = [], []
    for kind, value in items:
        if kind == "error":
            out.append(("error", value, None))
            continue
        try:
            raws.append((value, process(value, settings, skip)))
        except InputError as err:
            out.append(("error", (value.where, err.reason), None))
        _crash_drill()
    yield from out
    if not raws:
        return
    embedder = load_embedder()
    for raw, doc in raws:
        shingles = features(doc).shingles.tolist()
        # One lead per call, as ``provenance.semantic.vector_source`` embeds: the same vector.
        lead = embedder.embed([lead_text(doc)])[0]
        yield "doc", (raw, doc), (shingles, lead.tolist())


def _month(doc: Document) -> str:
    return (doc.published or "")[:7] if day_of(doc.published) is not None else "undated"


def _shingle_pairs(group: tuple[int, Iterable[tuple[str, str]]]) -> Iterator[tuple]:
    """Pairs of the documents sharing one shingle, earliest first; past
    ``rules.ALL_PAIRS_DOCS`` documents only the earliest ``rules.HUB_SOURCES`` pair with all."""
    members = sorted(group[1])
    ids = [doc_id for _, doc_id in members]
    hubs = len(ids) if len(ids) <= rules.ALL_PAIRS_DOCS else rules.HUB_SOURCES
    for i in range(min(hubs, len(ids))):
        for j in range(i + 1, len(ids)):
            yield (min(ids[i], ids[j]), max(ids[i], ids[j])), 1


def _judge(pair: tuple[Document, Document]) -> list[dict[str, Any]]:
    edge = provenance.judge_pair(*pair)
    return [provenance.derivation_json(edge)] if edge is not None else []


def _judge_paraphrase(pair: tuple[Document, Document]) -> list[dict[str, Any]]:
    a, b = pair
    embedder = load_embedder()
    va = embedder.embed([s.text for s in a.sentences])
    vb = embedder.embed([s.text for s in b.sentences])
    edge = provenance.judge_paraphrase(a, b, va, vb)
    return [provenance.derivation_json(edge)] if edge is not None else []


def _blocks(row: tuple[str, int | None, list[float]]) -> Iterator[tuple]:
    """A document into the date blocks that must see it: its own (where it is "home") and the
    two beside it, so every document within the window of a home document shares its block."""
    doc_id, day, lead = row
    if day is None:
        yield "undated", (doc_id, day, lead, True)
        return
    home = day // rules.NEIGHBOUR_DAYS
    for block in (home - 1, home, home + 1):
        yield f"day{block}", (doc_id, day, lead, block == home)


def _block_pairs(group: tuple[Any, Iterable[tuple]], links: str) -> Iterator[tuple[str, str]]:
    """Within one date block, the pairs of a home document and its neighbours (``links`` is
    "paraphrase" for rewrite candidates, "story" for story links)."""
    members = list(group[1])
    leads = np.array([m[2] for m in members], dtype=np.float32)
    days = [m[1] for m in members]
    rows = [k for k, m in enumerate(members) if m[3]]
    found = (
        neighbours(leads, days, rows) if links == "paraphrase" else story_links(leads, days, rows)
    )
    for i, j in found:
        a, b = members[i][0], members[j][0]
        yield (min(a, b), max(a, b))


def run(
    specs: Sequence[str],
    out: str | Path,
    master: str | None = LOCAL_MASTER,
    settings: Settings = DEFAULT_SETTINGS,
    spark: Any = None,
    skip: frozenset[str] = frozenset(),
) -> Summary:
    """Run the whole job over ``specs`` and write its tables under ``out`` (a local folder, or
    any URI Spark writes to: ``hdfs://``, ``s3a://``). ``skip`` names per-document stages to
    leave out (``pipeline.process``); the benchmark skips ``claims`` on its largest corpora.

    Each stage's Spark jobs carry the stage's name as their description, so the Spark UI and
    event log show which stage shuffled what."""
    from pyspark import StorageLevel

    spark = spark or session(master)
    sc = spark.sparkContext
    keep = StorageLevel.MEMORY_AND_DISK  # evicting documents would rerun their stages
    times: dict[str, float] = {}
    clock = time.perf_counter()
    sc.setJobDescription("per-document stages")
    readable, parquet, listing_errors = input_files(specs)
    items = sc.parallelize(readable, max(1, len(readable))).flatMap(
        lambda path: _read_file(path, settings)
    )
    if parquet:
        rows = (
            spark.read.parquet(*parquet)
            .rdd.map(lambda row: json.dumps(row.asDict(recursive=True), default=str))
            .zipWithIndex()
        )
        items = items.union(rows.map(lambda r: ("raw", _parquet_record(r[0], f"parquet#{r[1]}"))))
    # One task per file reads it; its records are then spread over every core, so one big
    # JSONL or WARC file is not processed by a single task.
    spread = items.repartition(max(sc.defaultParallelism * 4, 1))
    processed = spread.mapPartitions(lambda part: _documents(part, settings, skip))
    processed = processed.map(lambda t: (t[0], pickle.dumps(t[1:]))).persist(keep)
    errors = processed.filter(lambda t: t[0] == "error").map(lambda t: pickle.loads(t[1])[0])
    docs = (
        processed.filter(lambda t: t[0] == "doc")
        .map(lambda t: pickle.loads(t[1]))
        .map(lambda t: (t[0][1].id, t))
        .reduceByKey(lambda a, b: a if a[0][0].where <= b[0][0].where else b)  # same bytes: one
        .persist(keep)
    )
    by_id = docs.mapValues(lambda t: pickle.dumps(t[0][1])).persist(keep)
    n_docs = by_id.count()
    error_rows = errors.collect() + listing_errors
    processed.unpersist()
    times["per-document stages"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sc.setJobDescription("copy join")
    dates = dict(docs.mapValues(lambda t: t[0][1].published).collect())
    sizes = sc.broadcast(dict(docs.mapValues(lambda t: len(t[1][0])).collect()))
    age = sc.broadcast({d: (p or "\uffff", d) for d, p in dates.items()})
    counted = (
        docs.flatMap(lambda kv: [(h, kv[0]) for h in kv[1][1][0]])
        .groupByKey()
        .flatMap(lambda g: _shingle_pairs((g[0], [(age.value[d], d) for d in g[1]])))
        .reduceByKey(lambda a, b: a + b)
    )
    candidates = (
        counted.filter(
            lambda kv: (
                kv[1] >= rules.MIN_SHARED_SHINGLES
                and kv[1] / max(1, min(sizes.value[kv[0][0]], sizes.value[kv[0][1]]))
                >= rules.MIN_SHINGLE_CONTAINMENT
            )
        )
        .keys()
        .persist(keep)
    )
    n_candidates = candidates.count()
    times["copy join"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sc.setJobDescription("pairwise decisions")
    lexical = _judged(candidates, by_id, age.value, _judge)
    times["pairwise decisions"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sc.setJobDescription("paraphrases")
    explained = {e["target"] for e in lexical if e["kind"] in provenance.COPY_KINDS}
    known = sc.broadcast(set(candidates.collect()))
    leads = docs.map(lambda kv: (kv[0], day_of(kv[1][0][1].published), kv[1][1][1]))
    unexplained = leads.filter(lambda row: row[0] not in explained)
    neighbour = (
        unexplained.flatMap(_blocks).groupByKey()
        .flatMap(lambda g: _block_pairs(g, "paraphrase")).distinct()
        .filter(lambda pair: pair not in known.value)
    )  # fmt: skip
    paraphrases = _judged(neighbour, by_id, age.value, _judge_paraphrase)
    times["paraphrases"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sc.setJobDescription("stories")
    found = provenance.choose(
        [_edge(e) for e in lexical + paraphrases], {d: dates[d] for d in sorted(dates)}
    )
    edges = [provenance.derivation_json(e) for e in found.derivations]
    links = leads.flatMap(_blocks).groupByKey().flatMap(lambda g: _block_pairs(g, "story"))
    story_of = stories(
        sorted(dates), links.distinct().collect() + [(e["source"], e["target"]) for e in edges]
    )
    times["stories"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sc.setJobDescription("write")
    derived_as = {e["target"]: e["kind"] for e in edges if e["kind"] in provenance.COPY_KINDS}
    context = sc.broadcast((found.origins, derived_as, story_of))
    _write(spark, out, docs, context, edges, story_of, error_rows)
    times["write"] = time.perf_counter() - clock
    for cached in (docs, by_id, candidates):
        cached.unpersist()
    sc.setJobDescription(None)
    return Summary(n_docs, len(error_rows), n_candidates, len(edges), len(set(story_of.values())),
                   times)  # fmt: skip


def _under(out: str | Path, table: str) -> str:
    """``out/table`` for a folder or a URI (``pathlib`` would fold ``hdfs://`` to ``hdfs:/``)."""
    return f"{str(out).rstrip('/')}/{table}"


def _edge(row: dict[str, Any]) -> provenance.Derivation:
    shared = tuple(provenance.SharedPassage(**p) for p in row["shared"])
    return provenance.Derivation(**{**row, "shared": shared})


def _judged(pairs: Any, by_id: Any, age: dict, judge: Any) -> list[dict[str, Any]]:
    """Join each pair's two documents in, oldest first as ``analyze`` orders them, and judge."""
    return (
        pairs.map(lambda p: (p[0], p[1]))
        .join(by_id)
        .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
        .join(by_id)
        .map(lambda kv: _ordered(kv[1][0], (kv[0], kv[1][1]), age))
        .flatMap(judge)
        .collect()
    )


def _ordered(a: tuple[str, bytes], b: tuple[str, bytes], age: dict) -> tuple[Document, Document]:
    first, second = sorted((a, b), key=lambda item: age[item[0]])
    return pickle.loads(first[1]), pickle.loads(second[1])


def _document_rows(kv: tuple, context: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    origins, derived_as, story_of = context.value
    (raw, doc), _ = kv[1]
    profiled = profile(doc, derived_as.get(doc.id))
    row = document_json(
        doc, origins.get(doc.id, doc.id), {"reason": profiled.reason, "signals": profiled.signals}
    )
    month = _month(doc)
    yield "documents", {
        "id": doc.id, "uri": doc.uri, "input": doc.input, "format": doc.format,
        "source": doc.source, "site_name": doc.site_name, "title": doc.title,
        "published": doc.published, "author": doc.author, "language": doc.language,
        "genre": profiled.genre, "origin": row["origin"], "story": story_of[doc.id],
        "spin_score": doc.spin_score, "spun": doc.spun,
        "repairs": json.dumps(row["spin"]["repairs"]),
        "suspects": json.dumps(row["spin"]["suspects"]), "signals": json.dumps(row["signals"]),
        "profile": json.dumps(row["profile"]), "text": doc.text, "month": month,
    }  # fmt: skip
    for s in doc.sentences:
        yield "sentences", {"document": doc.id, "index": s.index, "start": s.start,
                            "end": s.end, "text": s.text, "checkworthiness": s.checkworthiness,
                            "month": month}  # fmt: skip
    for c in doc.claims:
        yield "claims", {"id": f"c-{doc.id}-{c.index}", "document": doc.id,
                         "sentence": c.sentence, "start": c.start, "end": c.end, "text": c.text,
                         "kind": c.kind, "checkworthiness": c.checkworthiness,
                         "numbers": json.dumps(list(c.numbers)),
                         "dates": json.dumps(list(c.dates)), "month": month}  # fmt: skip
    yield "records", {"document": doc.id, "story": story_of[doc.id], "where": raw.where,
                      "uri": raw.uri, "format": raw.format, "data": bytearray(raw.data),
                      "fields": json.dumps(raw.fields, default=str)}  # fmt: skip


def _write(spark: Any, out: str | Path, docs: Any, context: Any, edges: list, story_of: dict,
           error_rows: list[tuple[str, str]]) -> None:  # fmt: skip
    from pyspark import StorageLevel
    from pyspark.sql import Row

    from storycheck.scale import schema

    rows = docs.flatMap(lambda kv: _document_rows(kv, context))
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    for table in ("documents", "sentences", "claims", "records"):
        part = rows.filter(lambda t, name=table: t[0] == name).map(lambda t: Row(**t[1]))
        frame = spark.createDataFrame(part, schema.TABLES[table])
        writer = frame.write.mode("overwrite")
        if "month" in frame.columns:
            writer = writer.partitionBy("month")
        writer.parquet(_under(out, table))
    derivations = [{**e, "shared": json.dumps(e["shared"])} for e in edges]
    small = {
        "derivations": derivations,
        "stories": [{"document": d, "story": s} for d, s in sorted(story_of.items())],
        "errors": [{"input": w, "reason": r} for w, r in error_rows],
    }
    for table, items in small.items():
        frame = spark.createDataFrame([Row(**i) for i in items], schema.TABLES[table])
        frame.coalesce(1).write.mode("overwrite").parquet(_under(out, table))
    rows.unpersist()
