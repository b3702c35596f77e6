"""Raw input to document: the main text and the metadata the input itself gives.

Each format has one function that returns the same ``Extracted`` shape. Nothing is guessed:
a field the input does not give stays ``None``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from markdown_it import MarkdownIt

from storycheck.errors import InputError
from storycheck.ingest.decode import decode_bytes
from storycheck.records import Document, RawInput, Signal

# Fewer words than this is a navigation stub or an error page, not a document.
MIN_WORDS = 5
# Keys that news crawlers (news-please, CC-News dumps, NewsAPI, custom scrapers) use.
TEXT_KEYS = ("text", "content", "body", "maintext", "article", "full_text")
HTML_KEYS = ("html", "raw_html")
TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "link", "canonical_url")
DATE_KEYS = ("date_publish", "published", "date", "date_published", "publish_date", "published_at")
SOURCE_KEYS = ("source_domain", "source", "site_name", "outlet", "publisher")
AUTHOR_KEYS = ("author", "authors", "byline")


@dataclass
class Extracted:
    """What a format parser found; the cleaning stage works on ``text``."""

    text: str
    encoding: str
    title: str | None = None
    title_source: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    url: str | None = None
    signals: list[Signal] = field(default_factory=list)


def content_id(data: bytes) -> str:
    """Document id: a prefix of the SHA-256 of the raw bytes, so the same input is one document."""
    return hashlib.sha256(data).hexdigest()[:16]


def to_document(raw: RawInput) -> Document:
    """Parse one raw input into a Document whose ``extracted`` text awaits cleaning."""
    parser = {"html": _from_html, "json": _from_json, "markdown": _from_markdown}.get(
        raw.format, _from_text
    )
    found = parser(raw)
    words = len(found.text.split())
    if words < MIN_WORDS:
        raise InputError(raw.where, f"no document text found ({words} words)")
    url = found.url or raw.fields.get("url") or _url_or_none(raw.uri)
    source = domain_of(url) if url else None
    return Document(
        id=content_id(raw.data),
        uri=raw.uri,
        input=raw.where,
        format=raw.format,
        raw=raw.data,
        extracted=found.text,
        title=found.title,
        title_source=found.title_source,
        author=found.author,
        published=found.published,
        source=source or found.site_name,
        site_name=found.site_name,
        canonical_url=found.url,
        encoding=found.encoding,
        signals=found.signals,
    )


def domain_of(url: str) -> str | None:
    """The host of a URL without ``www.``: the outlet as far as the URL tells."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _url_or_none(uri: str) -> str | None:
    return uri if uri.startswith(("http://", "https://")) else None


def _decoded(raw: RawInput, declared: str | None = None) -> tuple[str, str, list[Signal]]:
    decoded = decode_bytes(raw.data, raw.where, declared)
    signals = (
        [Signal("mojibake_repaired", "text encoding repaired")] if decoded.mojibake_fixed else []
    )
    return decoded.text, decoded.encoding, signals


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def _from_text(raw: RawInput) -> Extracted:
    text, encoding, signals = _decoded(raw, _charset(raw.fields.get("content_type")))
    return Extracted(text=_normalise_newlines(text), encoding=encoding, signals=signals)


def _from_markdown(raw: RawInput) -> Extracted:
    """Markdown to plain text, one block per line; a leading heading becomes the title."""
    text, encoding, signals = _decoded(raw)
    tokens = MarkdownIt().parse(text)
    blocks: list[str] = []
    title = None
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        words = "".join(
            "\n"
            if child.type == "hardbreak"
            else " "
            if child.type == "softbreak"
            else child.content
            for child in token.children or []
            if child.type in ("text", "code_inline", "softbreak", "hardbreak")
        ).strip()
        if not words:
            continue
        if not blocks and title is None and i > 0 and tokens[i - 1].type == "heading_open":
            title = words
        blocks.append(words)
    return Extracted(
        text="\n".join(blocks),
        encoding=encoding,
        title=title,
        title_source="headline" if title else None,
        signals=signals,
    )


def _from_html(raw: RawInput) -> Extracted:
    text, encoding, signals = _decoded(raw, _charset(raw.fields.get("content_type")))
    try:
        page = trafilatura.bare_extraction(
            text,
            url=raw.fields.get("url"),
            with_metadata=True,
            include_comments=False,
            include_tables=True,
        )
    except Exception as err:  # trafilatura raises many lxml/parsing types on broken pages
        raise InputError(raw.where, f"malformed HTML: {type(err).__name__}: {err}") from err
    if page is None or not (page.text or "").strip():
        raise InputError(raw.where, "no article text found in this HTML page")
    title = _clean(page.title)
    return Extracted(
        text=_normalise_newlines(page.text),
        encoding=encoding,
        title=title,
        title_source="metadata" if title else None,
        author=_clean(page.author),
        published=iso_date(page.date),
        site_name=_clean(page.sitename),
        url=page.url if page.url and page.url.startswith(("http://", "https://")) else None,
        signals=signals,
    )


def _from_json(raw: RawInput) -> Extracted:
    record = raw.fields
    text_key = next((k for k in TEXT_KEYS if _nonempty_str(record.get(k))), None)
    if text_key is None:
        html_key = next((k for k in HTML_KEYS if _nonempty_str(record.get(k))), None)
        if html_key is None:
            keys = ", ".join(TEXT_KEYS + HTML_KEYS)
            raise InputError(raw.where, f"no text field (expected one of: {keys})")
        page = _from_html(
            RawInput(raw.where, raw.uri, record[html_key].encode("utf-8"), "html", raw.fields)
        )
        return _overlay(page, record)
    text = _normalise_newlines(str(record[text_key]))
    return _overlay(Extracted(text=text, encoding="utf-8"), record)


def _overlay(found: Extracted, record: dict[str, Any]) -> Extracted:
    """Fill an extraction's metadata from a JSON record's own fields, which take precedence."""
    title = _first(record, TITLE_KEYS)
    if title:
        found.title, found.title_source = title, "metadata"
    found.author = _first(record, AUTHOR_KEYS) or found.author
    found.published = iso_date(_first(record, DATE_KEYS)) or found.published
    found.site_name = _first(record, SOURCE_KEYS) or found.site_name
    url = _first(record, URL_KEYS)
    if url and url.startswith(("http://", "https://")):
        found.url = url
    return found


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first usable value among ``keys``: strings, lists of names, or {"name": ...} objects."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("domain")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if isinstance(v, str | int) and str(v).strip())
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def iso_date(value: str | None) -> str | None:
    """An ISO 8601 date (or date-time when the input gives a time) from common feed formats.

    Returns ``None`` for anything it cannot read exactly; a publication date is never guessed.
    """
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or (
        parsed.hour == parsed.minute == parsed.second == 0 and parsed.tzinfo is None
    ):
        return parsed.date().isoformat()
    return parsed.isoformat()
