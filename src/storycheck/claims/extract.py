"""The per-document claims stage: one parse of the repaired text, read by every extractor.

Every sentence gets a check-worthiness score; those at or above the scorer's threshold become
claims, each with its numbers and dates normalised (relative dates anchored on the document's
publication date) and a kind. Mentions and quotes come from the same spaCy parse of the whole
text, so a quotation that runs over several sentences is seen whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date

from storycheck.claims import checkworthy, dates, entities, quantities, quotes
from storycheck.models.nlp import load_nlp
from storycheck.records import Claim, ClaimKind, Document, Mention, Quote, Sentence

# Bump when what this stage produces from the same text changes (new scorer weights count
# through ``reads``).
VERSION = 6
# spaCy holds a whole parse in memory (about 1 GB per 100,000 words); longer texts are parsed in
# pieces of at most this many characters, cut between sentences.
_PARSE_CHARS = 100_000
_OFFSET_KEYS = ("char_start", "char_end")


def reads(doc: Document) -> str:
    """What the stage's output depends on, for the pipeline's cache: the text, its sentences,
    the date that anchors relative dates, and the version of the shipped scorer weights."""
    offsets = ",".join(f"{s.start}:{s.end}" for s in doc.sentences)
    return f"{doc.text}\0{offsets}\0{doc.published}\0{checkworthy.load_scorer().version}"


def extract(doc: Document) -> None:
    """Fill ``doc``'s sentence scores, claims, mentions and quotes from ``doc.text``."""
    found_mentions: list[Mention] = []
    found_quotes: list[Quote] = []
    starts = [s.start for s in doc.sentences]
    for offset, parsed in _parse(doc.text, doc.sentences):
        shift = [s - offset for s in starts if offset <= s < offset + len(parsed.text)]
        found_mentions += [_moved(m, offset) for m in entities.mentions(parsed, shift)]
        found_quotes += [_moved_quote(q, offset) for q in quotes.find_quotes(parsed)]
    scorer = checkworthy.load_scorer()
    scores = scorer.score([s.text for s in doc.sentences]) if doc.sentences else []
    doc.sentences = [
        dataclasses.replace(s, checkworthiness=round(float(score), 4))
        for s, score in zip(doc.sentences, scores, strict=True)
    ]
    anchor = _anchor(doc.published)
    doc.claims = [
        _claim(index, sentence, anchor, found_quotes)
        for index, sentence in enumerate(
            s for s in doc.sentences if (s.checkworthiness or 0.0) >= scorer.threshold
        )
    ]
    doc.mentions, doc.quotes = found_mentions, found_quotes


def _claim(index: int, sentence: Sentence, anchor: date | None, found: list[Quote]) -> Claim:
    numbers = [_shift_json(q.to_json(), sentence.start) for q in
               quantities.find_quantities(sentence.text)]  # fmt: skip
    spans = [_shift_json(d.to_json(), sentence.start) for d in
             dates.find_dates(sentence.text, anchor)]  # fmt: skip
    return Claim(
        index=index,
        sentence=sentence.index,
        start=sentence.start,
        end=sentence.end,
        text=sentence.text,
        kind=_kind(sentence, numbers, spans, found),
        checkworthiness=sentence.checkworthiness or 0.0,
        numbers=tuple(numbers),
        dates=tuple(spans),
    )


def _kind(
    sentence: Sentence, numbers: list[dict], spans: list[dict], found: list[Quote]
) -> ClaimKind:
    """How the claim can be checked, most specific first: a count, a dated happening, or what
    somebody said."""
    if numbers:
        return "quantity"
    if any(d.get("start") or d.get("end") for d in spans):
        return "event"
    if any(q.start < sentence.end and sentence.start < q.end for q in found):
        return "attribution"
    return "other"


def _parse(text: str, sentences: Sequence[Sentence]) -> Iterator[tuple[int, object]]:
    """(offset, spaCy Doc) for each piece of the text, pieces cut between sentences."""
    nlp = load_nlp()
    pieces, start = [], 0
    for sentence in sentences:
        if sentence.end - start > _PARSE_CHARS and sentence.start > start:
            pieces.append((start, sentence.start))
            start = sentence.start
    pieces.append((start, len(text)))
    if nlp.max_length < max(end - begin for begin, end in pieces):
        nlp.max_length = max(end - begin for begin, end in pieces) + 1
    for (begin, _), parsed in zip(pieces, nlp.pipe(text[b:e] for b, e in pieces), strict=True):
        yield begin, parsed


def _anchor(published: str | None) -> date | None:
    """The publication day that relative dates ("last year") count from, when known."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _moved(mention: Mention, offset: int) -> Mention:
    if not offset:
        return mention
    return dataclasses.replace(mention, start=mention.start + offset, end=mention.end + offset)


def _moved_quote(quote: Quote, offset: int) -> Quote:
    if not offset:
        return quote
    moved = {"start": quote.start + offset, "end": quote.end + offset}
    if quote.speaker_start is not None and quote.speaker_end is not None:
        moved |= {"speaker_start": quote.speaker_start + offset,
                  "speaker_end": quote.speaker_end + offset}  # fmt: skip
    return dataclasses.replace(quote, **moved)


def _shift_json(value: dict, offset: int) -> dict:
    """A number's or date's JSON with its offsets moved from the sentence into the document."""
    return {k: v + offset if k in _OFFSET_KEYS and isinstance(v, int) else v
            for k, v in value.items()}  # fmt: skip
