"""Typed records that flow between stages.

Records point into one text by character offsets (like spaCy's ``Doc``), so every later stage
can cite exactly where something was said.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Genre = Literal["report", "opinion", "republication", "aggregator", "rewrite", "unknown"]
EntityType = Literal["person", "organisation", "place"]
ClaimKind = Literal["quantity", "event", "attribution", "other"]


@dataclass(frozen=True)
class RawInput:
    """Bytes of one would-be document, before any parsing.

    ``where`` names it for humans (``path``, ``path:line``, ``path#record``, a URL); ``uri`` is
    the path or URL stored with the document. ``fields`` carries metadata that the container
    already gave (a JSON record's title, a WARC record's URL and content type).
    """

    where: str
    uri: str
    data: bytes
    format: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """Evidence about a document's origin found while cleaning it, kept after the text is cut.

    ``start``/``end`` are offsets into the extracted text before cleaning; ``value`` is what the
    signal names (an outlet, a list of reporters), or ``None``.
    """

    kind: str
    text: str
    value: str | None = None
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SpinRepair:
    """A word or phrase the despinner restored: ``text[start:end]`` of the repaired text is
    ``restored``; the published text had ``observed`` there."""

    start: int
    end: int
    observed: str
    restored: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SpinSuspect:
    """A word the despinner left as published although it still looks spun: ``text[start:end]``
    of the repaired text; ``likely`` is the original it would have put back, ``suspicion`` the
    replace model's probability for that, below its threshold."""

    start: int
    end: int
    observed: str
    likely: str
    suspicion: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document's text, with offsets into that text.

    ``checkworthiness`` (0..1) is set by the claims stage: how much a fact-checker would want to
    verify the sentence, kept for every sentence so a reader can see what fell below the bar.
    """

    index: int
    start: int
    end: int
    text: str
    checkworthiness: float | None = None


@dataclass(frozen=True)
class Mention:
    """A named entity as written in one document; the story-wide entity it belongs to is found
    across documents later, when every alias ("Sir Keir Starmer", "Starmer") is known."""

    start: int
    end: int
    text: str
    type: EntityType

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Claim:
    """A check-worthy sentence with what makes it checkable.

    ``numbers`` and ``dates`` are normalised values as JSON-ready dicts (see
    ``claims.quantities`` and ``claims.dates``). The entities a claim names are known only once
    the whole story's mentions are merged, so they live with the story, not here.
    """

    index: int
    sentence: int
    start: int
    end: int
    text: str
    kind: ClaimKind
    checkworthiness: float
    numbers: tuple[dict[str, Any], ...] = ()
    dates: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Quote:
    """Words a document attributes to someone: ``text`` is ``document.text[start:end]``.

    ``speaker_text`` is the speaker as written ("he", "a CPS spokesman"); ``speaker_name`` the
    name it resolves to in the document; ``via`` the outlet the document credits the quote to.
    """

    start: int
    end: int
    text: str
    speaker_text: str | None
    speaker_name: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    direct: bool
    via: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    """One input document as stored: raw bytes, extracted metadata and cleaned text.

    ``uri`` is the document's own address (its URL when known, else its path); ``input`` is where
    this run read it (``crawl.jsonl:12``, ``crawl.warc#3 (url)``), for finding it again.
    Text moves through three states: ``extracted`` from the input, ``cleaned`` of boilerplate,
    and ``text``, with spinning undone, which every later stage reads.
    """

    id: str
    uri: str
    input: str
    format: str
    raw: bytes
    extracted: str
    cleaned: str = ""
    text: str = ""
    title: str | None = None
    title_source: str | None = None
    author: str | None = None
    published: str | None = None
    source: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    encoding: str | None = None
    republished_from: str | None = None
    genre: Genre = "unknown"
    spin_score: float | None = None
    spun: bool = False
    repairs: list[SpinRepair] = field(default_factory=list)
    suspects: list[SpinSuspect] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
