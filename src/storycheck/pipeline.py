"""Run the stages in order over every input, skipping work the store already holds.

Each per-document stage declares what it reads; the hash of that input and the stage's version
are stored beside its output. A stage runs again only when its version or its input changed, so
re-running ``analyze`` on the same inputs is cheap, and a run killed half-way resumes where it
stopped: every document is committed whole, with its stage records, or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from storycheck import language, segment
from storycheck.config import Settings
from storycheck.errors import InputError
from storycheck.ingest import extract, sources
from storycheck.records import Document, RawInput
from storycheck.repair import boilerplate
from storycheck.store import Store

# Longest title made from a first sentence when the input gives no title.
_FALLBACK_TITLE_CHARS = 100


@dataclass(frozen=True)
class Stage:
    """A per-document stage: ``run`` fills the fields it owns from the fields ``reads`` names."""

    name: str
    version: int
    reads: Callable[[Document], str]
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
    doc.text = cleaned.text
    doc.signals = kept + cleaned.signals
    doc.title, doc.title_source = cleaned.title, cleaned.title_source
    doc.republished_from, doc.genre = cleaned.republished_from, cleaned.genre


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
    Stage("language", 1, lambda d: d.extracted, _check_language),
    Stage("clean", 1, lambda d: f"{d.extracted}\0{_metadata_title(d)}", _clean),
    Stage("segment", 1, lambda d: f"{d.text}\0{_has_own_title(d)}", _segment),
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


def ingest(
    specs: Iterable[str], store: Store, settings: Settings, progress: Progress | None = None
) -> RunResult:
    """Read every input into the store and bring every stage of every document up to date.

    ``progress`` is called after each input (a file, URL or stdin; a JSONL or WARC file is one).
    """
    result = RunResult()
    expanded = list(sources.expand(specs))
    for done, spec in enumerate(expanded, start=1):
        if isinstance(spec, InputError):
            result.errors.append(spec)
            continue
        for item in sources.read(spec, settings):
            if isinstance(item, InputError):
                result.errors.append(item)
                continue
            try:
                _process(item, store, settings, result)
            except InputError as err:
                result.errors.append(err)
        if progress is not None:
            progress(done, len(expanded), result.documents)
    store.replace_errors([(e.where, e.reason) for e in result.errors])
    return result


def _process(raw: RawInput, store: Store, settings: Settings, result: RunResult) -> None:
    doc_id = extract.content_id(raw.data)
    extract_key = _hash(f"{doc_id}\0{raw.format}")
    stored = store.document(doc_id)
    if stored is not None and store.stage_current(doc_id, "extract", EXTRACT_VERSION, extract_key):
        doc = stored
    else:
        if len(raw.data) > settings.max_document_bytes:
            raise InputError(raw.where, "larger than the document size limit (see --max-bytes)")
        doc = extract.to_document(raw)
    ran: dict[str, tuple[int, str]] = {"extract": (EXTRACT_VERSION, extract_key)}
    changed = doc is not stored
    for stage in STAGES:
        key = _hash(stage.reads(doc))
        if changed or not store.stage_current(doc.id, stage.name, stage.version, key):
            try:
                stage.run(doc, settings)
            except InputError as err:
                raise InputError(raw.where, err.reason) from err
            changed = True
        ran[stage.name] = (stage.version, key)
    if not changed:
        result.unchanged += 1
        return
    store.save(doc, ran)
    if stored is None:
        result.added += 1
    else:
        result.updated += 1


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def story_db(out_dir: Path) -> Path:
    return out_dir / "story.db"
