"""Run the stages in order over every input, skipping work the store already holds.

Each per-document stage declares what it reads; the hash of that input and the stage's version
are stored beside its output. A stage runs again only when its version or its input changed, so
re-running ``analyze`` on the same inputs is cheap, and a run killed half-way resumes where it
stopped: every document is committed whole, with its stage records, or not at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from storycheck import language, provenance, segment
from storycheck.claims import extract as claims
from storycheck.claims import story as story_claims
from storycheck.config import Settings
from storycheck.crosscheck import groups
from storycheck.errors import InputError
from storycheck.ingest import extract, sources
from storycheck.models.embed import load_embedder
from storycheck.models.stance import load_stance_model
from storycheck.provenance.profile import profile
from storycheck.provenance.semantic import vector_source
from storycheck.records import Document, RawInput, SpinRepair, SpinSuspect
from storycheck.repair import boilerplate, despin
from storycheck.store import Store

# Jobs queued per worker process: enough to keep each busy, few enough to bound memory.
_IN_FLIGHT_PER_WORKER = 8
# Fewer inputs than this are processed in this process: starting workers, each loading the
# models, costs more than it saves.
_POOL_MIN_JOBS = 24
# How often a worker checks that the main process is still alive, in seconds.
_PARENT_CHECK_S = 1.0
# Longest title made from a first sentence when the input gives no title.
_FALLBACK_TITLE_CHARS = 100


@dataclass(frozen=True)
class Stage:
    """A per-document stage: ``run`` fills the fields it owns from the fields ``reads`` names."""

    name: str
    version: int
    reads: Callable[[Document, Settings], str]
    run: Callable[[Document, Settings], None]


def _metadata_title(doc: Document) -> str | None:
    """The title the input itself gave; a headline taken from the text is the clean stage's."""
    return doc.title if doc.title_source == "metadata" else None


def _check_language(doc: Document, settings: Settings) -> None:
    doc.language = language.detect(doc.extracted)
    if doc.language is not None and doc.language not in settings.languages:
        raise InputError(
            doc.uri,
            f"language is '{doc.language}', not one of {', '.join(settings.languages)} "
            "(storycheck's models read English; see --lang)",
        )


def _clean(doc: Document, settings: Settings) -> None:
    cleaned = boilerplate.clean(doc.extracted, _metadata_title(doc))
    kept = [s for s in doc.signals if s.kind not in boilerplate.SIGNAL_KINDS]
    doc.cleaned = cleaned.text
    doc.signals = kept + cleaned.signals
    doc.title, doc.title_source = cleaned.title, cleaned.title_source
    doc.republished_from, doc.genre = cleaned.republished_from, cleaned.genre


def _despin(doc: Document, settings: Settings) -> None:
    """Undo article spinning; clean text passes through unchanged (and fast).

    A headline taken from the text's first line is repaired with the text: the spinner spun it
    with the same dictionary, and a headline alone is too short to judge. A title from the
    input's metadata is left as published, since the clean stage reads it back on every run.
    """
    if not settings.despin:
        doc.text, doc.spin_score, doc.spun = doc.cleaned, None, False
        doc.repairs, doc.suspects = [], []
        return
    headline = doc.title_source == "headline" and doc.title and "\n" not in doc.title
    head = f"{doc.title}\n\n" if headline else ""
    result = despin.despin(head + doc.cleaned, rounds=settings.despin_rounds)
    doc.spin_score, doc.spun = result.score, result.spun
    if headline:
        doc.title, _, doc.text = result.text.partition("\n\n")
    else:
        doc.text = result.text
    doc.repairs, doc.suspects = [], []
    shift = 0  # offsets point into the cleaned text; the report and story.json want the repaired
    for word in sorted([*result.repairs, *result.suspects], key=lambda w: w.start):
        if word.start < len(head):
            continue  # a word of the headline, which is now the title
        start = word.start - len(head) + shift
        if isinstance(word, despin.Suspect):
            doc.suspects.append(
                SpinSuspect(start, start + len(word.observed), word.observed, word.likely,
                            word.suspicion)
            )  # fmt: skip
            continue
        doc.repairs.append(
            SpinRepair(start, start + len(word.restored), word.observed, word.restored,
                       round(word.confidence, 4))
        )  # fmt: skip
        shift += len(word.restored) - (word.end - word.start)


def _has_own_title(doc: Document) -> bool:
    """Whether the input gave a title (metadata or headline) rather than needing a fallback."""
    return doc.title_source in ("metadata", "headline")


def _segment(doc: Document, settings: Settings) -> None:
    doc.sentences = segment.sentences(doc.text)
    if not _has_own_title(doc):
        first = doc.sentences[0].text if doc.sentences else ""
        doc.title = _shorten(first) or None
        doc.title_source = "first_sentence" if doc.title else None


def _shorten(text: str) -> str:
    if len(text) <= _FALLBACK_TITLE_CHARS:
        return text
    return text[:_FALLBACK_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


STAGES: tuple[Stage, ...] = (
    Stage("language", 1, lambda d, s: d.extracted, _check_language),
    Stage("clean", 1, lambda d, s: f"{d.extracted}\0{_metadata_title(d)}", _clean),
    # +1: a headline taken from the text is repaired with the text.
    Stage(
        "despin",
        despin.VERSION + 1,
        lambda d, s: f"{d.cleaned}\0{s.despin}\0{s.despin_rounds}",
        _despin,
    ),
    Stage("segment", 3, lambda d, s: f"{d.text}\0{_has_own_title(d)}", _segment),
    Stage("claims", claims.VERSION, lambda d, s: claims.reads(d), lambda d, s: claims.extract(d)),
)
# Bump when extraction (ingest/extract.py) changes what it produces from the same bytes.
EXTRACT_VERSION = 1


@dataclass
class RunResult:
    """What one ``analyze`` run did, for the CLI's summary and exit status."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[InputError] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.added + self.updated + self.unchanged


# progress(inputs_done, inputs_total, documents_so_far)
Progress = Callable[[int, int, int], None]
StageRuns = dict[str, tuple[int, str]]


@dataclass(frozen=True)
class _Job:
    """One raw input with what the store already holds for it; crosses to a worker process."""

    spec: int
    raw: RawInput
    stored: Document | None
    runs: StageRuns


@dataclass(frozen=True)
class _Done:
    spec: int
    doc: Document | None
    runs: StageRuns
    is_new: bool
    error: InputError | None = None


def ingest(
    specs: Iterable[str], store: Store, settings: Settings, progress: Progress | None = None
) -> RunResult:
    """Read every input into the store and bring every stage of every document up to date.

    Documents are processed by ``settings.workers`` processes and saved by this one, in input
    order, each in its own transaction. ``progress`` is called as each input (a file, URL or
    stdin; a JSONL or WARC file counts as one) is finished.
    """
    result = RunResult()
    expanded = list(sources.expand(specs))
    _save_all(_jobs(expanded, store, settings), len(expanded), store, settings, result, progress)
    return result


def _save_all(
    jobs: Iterator[_Job | _Done],
    total: int,
    store: Store,
    settings: Settings,
    result: RunResult,
    progress: Progress | None,
) -> None:
    """Run ``jobs`` and save each finished document, in input order, into ``result``."""
    reported = 0
    for done in _run_jobs(jobs, settings):
        if done.error is not None:
            result.errors.append(done.error)
        elif done.doc is None:
            result.unchanged += 1
        else:
            store.save(done.doc, done.runs)
            result.added += done.is_new
            result.updated += not done.is_new
        if progress is not None and done.spec > reported:
            reported = done.spec
            progress(reported, total, result.documents)
    if progress is not None:
        progress(total, total, result.documents)
    store.replace_errors([(e.where, e.reason) for e in result.errors])


def ingest_raw(
    raws: Iterable[RawInput], store: Store, settings: Settings, progress: Progress | None = None
) -> RunResult:
    """``ingest`` for inputs already read into raw records (``scale`` hands a story's records
    back this way); each record counts as one input for ``progress``."""
    records = list(raws)
    result = RunResult()

    seen: set[str] = set()
    jobs = (_job(index, raw, seen, store) for index, raw in enumerate(records, start=1))
    _save_all(jobs, len(records), store, settings, result, progress)
    return result


def process(raw: RawInput, settings: Settings, skip: frozenset[str] = frozenset()) -> Document:
    """Every per-document stage on one raw record, with no store: the unit of work that
    ``scale`` spreads over a cluster. Raises ``InputError`` for a record ``analyze`` would skip.
    ``skip`` names stages to leave out, for a benchmark that times the others on a big crawl.
    """
    done = _update(_Job(0, raw, None, {}), settings, skip)
    if done.error is not None:
        raise done.error
    assert done.doc is not None  # a new document always comes back
    return done.doc


def _jobs(
    expanded: list[str | InputError], store: Store, settings: Settings
) -> Iterator[_Job | _Done]:
    """Jobs for the workers; inputs that failed to read pass through as finished with an error,
    and an input whose bytes this run has already seen passes through as unchanged."""
    seen: set[str] = set()
    for index, spec in enumerate(expanded, start=1):
        if isinstance(spec, InputError):
            yield _Done(index, None, {}, False, spec)
            continue
        for item in sources.read(spec, settings):
            if isinstance(item, InputError):
                yield _Done(index, None, {}, False, item)
            else:
                yield _job(index, item, seen, store)


def _job(index: int, raw: RawInput, seen: set[str], store: Store) -> _Job | _Done:
    """The job for one raw input, or an unchanged result when this run already had its bytes."""
    doc_id = extract.content_id(raw.data)
    if doc_id in seen:
        return _Done(index, None, {}, False)
    seen.add(doc_id)
    return _Job(index, raw, store.document(doc_id), store.stage_runs(doc_id))


def _run_jobs(jobs: Iterator[_Job | _Done], settings: Settings) -> Iterator[_Done]:
    """Results in input order. A bounded window of jobs is in flight, so a crawl of millions of
    records never sits in memory at once."""
    workers = settings.workers or os.cpu_count() or 1
    head = list(itertools.islice(jobs, _POOL_MIN_JOBS))
    if workers == 1 or len(head) < _POOL_MIN_JOBS:
        # A small story is done before worker processes would have loaded their models.
        for job in itertools.chain(head, jobs):
            yield job if isinstance(job, _Done) else _update(job, settings)
        return
    window: deque[Future[_Done] | _Done] = deque()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:
        for job in itertools.chain(head, jobs):
            window.append(job if isinstance(job, _Done) else pool.submit(_update, job, settings))
            if len(window) >= _IN_FLIGHT_PER_WORKER * workers:
                yield _result(window.popleft())
        while window:
            yield _result(window.popleft())


def _exit_with(parent: int) -> None:
    """Worker initializer: leave when the main process is gone.

    A killed ``analyze`` cannot tell its workers to stop, and a pool worker never sees its task
    queue close (it holds both ends), so without this each would linger with its models loaded.
    """

    def watch() -> None:
        while True:
            time.sleep(_PARENT_CHECK_S)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _result(item: Future[_Done] | _Done) -> _Done:
    return item.result() if isinstance(item, Future) else item


def _update(job: _Job, settings: Settings, skip: frozenset[str] = frozenset()) -> _Done:
    """Bring one document up to date; ``doc`` is ``None`` in the result when nothing changed."""
    raw, stored = job.raw, job.stored
    extract_key = _hash(f"{extract.content_id(raw.data)}\0{raw.format}")
    runs: StageRuns = {"extract": (EXTRACT_VERSION, extract_key)}
    try:
        if stored is not None and job.runs.get("extract") == runs["extract"]:
            doc = stored
        else:
            doc = extract.to_document(raw)
        changed = doc is not stored
        for stage in (s for s in STAGES if s.name not in skip):
            key = _hash(stage.reads(doc, settings))
            if changed or job.runs.get(stage.name) != (stage.version, key):
                stage.run(doc, settings)
                changed = True
            runs[stage.name] = (stage.version, key)
    except InputError as err:
        return _Done(job.spec, None, {}, False, InputError(raw.where, err.reason))
    return _Done(job.spec, doc if changed else None, runs, stored is None)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# Cross-document stages ----------------------------------------------------------------------

PROVENANCE_VERSION = 1


def cross_document(store: Store, status: Callable[[str], None] | None = None) -> list[str]:
    """Run the cross-document stages over the whole story; returns the names of those that ran
    (a stage whose inputs are unchanged is skipped). ``status`` names each as it starts."""
    docs = store.documents()
    ran = []
    stages = (
        ("provenance", _provenance),
        ("entities and events", _story_claims),
        ("claim groups", _claim_groups),
    )
    for name, stage in stages:
        if status is not None:
            status(name)
        if stage(store, docs):
            ran.append(name)
    return ran


def _provenance(store: Store, docs: list[Document]) -> bool:
    """Find derivations and profile every document; ``False`` when the inputs were unchanged.

    Its input hash covers each field provenance reads, so adding, removing or re-cleaning any
    document reruns it.
    """
    key = _hash(
        json.dumps(
            [
                (d.id, _hash(d.text), d.published, d.site_name, d.source, d.republished_from,
                 [s.kind for s in d.signals], d.spun, d.spin_score)
                for d in docs
            ]
        )
    )  # fmt: skip
    if store.corpus_stage_current("provenance", PROVENANCE_VERSION, key):
        return False
    vectors = vector_source(docs, load_embedder(), cache=store)
    found = provenance.find_derivations(docs, vectors)
    derived_as = {e.target: e.kind for e in found.derivations if e.kind in provenance.COPY_KINDS}
    documents = {}
    for doc in docs:
        profiled = profile(doc, derived_as.get(doc.id))
        summary = {"reason": profiled.reason, "signals": profiled.signals}
        documents[doc.id] = (found.origins.get(doc.id, doc.id), profiled.genre, summary)
    rows = [provenance.derivation_json(e) for e in found.derivations]
    store.save_provenance(rows, documents, ("provenance", PROVENANCE_VERSION, key))
    return True


def _story_claims(store: Store, docs: list[Document]) -> bool:
    """Merge entities across the story and build its timeline; ``False`` when unchanged."""
    key = _hash(
        json.dumps(
            [(d.id, _hash(d.text), [m.to_json() for m in d.mentions],
              [c.to_json() for c in d.claims]) for d in docs]
        )
    )  # fmt: skip
    if store.corpus_stage_current("claims", story_claims.VERSION, key):
        return False
    found = story_claims.build(docs)
    rows = [(doc, *row) for doc, mentions in found.mentions.items() for row in mentions]
    store.save_story_claims(
        found.entities, rows, found.events, ("claims", story_claims.VERSION, key)
    )
    return True


def _claim_groups(store: Store, docs: list[Document]) -> bool:
    """Group claims across documents and judge each member's stance; ``False`` when unchanged.
    Reads provenance's origins, so it runs after provenance."""
    origins = store.origins()
    key = _hash(
        json.dumps(
            [(d.id, origins[d.id], d.published, [c.to_json() for c in d.claims]) for d in docs]
            + [load_stance_model().name]
        )
    )
    if store.corpus_stage_current("claim_groups", groups.VERSION, key):
        return False
    vectors = vector_source(docs, load_embedder(), cache=store)("sentences", [d.id for d in docs])
    found = groups.claim_groups(docs, vectors, origins)
    store.save_claim_groups(found, ("claim_groups", groups.VERSION, key))
    return True
