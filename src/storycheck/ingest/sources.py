"""Expand what the user named (paths, folders, globs, ``-``, URLs) into raw inputs.

Containers are split here: a JSON list, a JSONL file and a WARC file each yield one RawInput per
record, so that every record is hashed, stored and reported on its own. Errors are yielded, not
raised, so one bad record or file never stops the rest of a run.
"""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from storycheck.config import Settings
from storycheck.errors import InputError
from storycheck.ingest.fetch import fetch_url
from storycheck.records import RawInput

_WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
_MARKDOWN_SUFFIXES = (".md", ".markdown")
# Record types of a WARC file that hold a page; requests and metadata are not documents.
_WARC_DOCUMENT_TYPES = ("response", "resource")
_TEXT_MEDIA = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")

Item = RawInput | InputError


def expand(specs: Iterable[str]) -> Iterator[str | InputError]:
    """Turn user-given specs into file paths, ``-`` or URLs, in a stable order.

    Folders are walked recursively (hidden files and folders skipped); a spec that does not exist
    but contains glob characters is expanded as a glob.
    """
    for spec in specs:
        if spec == "-" or spec.startswith(("http://", "https://")):
            yield spec
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _walk(path)
        elif path.exists():
            yield str(path)
        elif glob.has_magic(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield InputError(spec, "no file matches this pattern")
            for match in matches:
                yield from _walk(Path(match)) if Path(match).is_dir() else [match]
        else:
            yield InputError(spec, "no such file or folder")


def _walk(folder: Path) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(root, name)


def read(spec: str, settings: Settings) -> Iterator[Item]:
    """Yield the raw inputs held by one expanded spec (a path, ``-`` or a URL)."""
    try:
        if spec == "-":
            data = _read_capped(sys.stdin.buffer, "<stdin>", settings.max_document_bytes)
            yield from split(data, "<stdin>", "<stdin>", settings)
        elif spec.startswith(("http://", "https://")):
            fetched = fetch_url(spec, settings)
            fields = {"url": fetched.final_url, "content_type": fetched.content_type}
            yield RawInput(spec, fetched.final_url, fetched.data, _url_format(fetched), fields)
        else:
            yield from _read_path(spec, settings)
    except InputError as err:
        yield err


def _read_path(path: str, settings: Settings) -> Iterator[Item]:
    name = path.lower()
    try:
        if name.endswith(_WARC_SUFFIXES):
            with open(path, "rb") as stream:
                yield from _split_warc(stream, path, settings)
            return
        if name.endswith(_JSONL_SUFFIXES):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as stream:
                yield from _split_jsonl(stream, path, settings)
            return
        size = os.path.getsize(path)
        if size > settings.max_document_bytes:
            raise InputError(path, _too_big(size, settings))
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as err:
        raise InputError(path, f"cannot read: {err.strerror or err}") from err
    yield from split(data, path, path, settings)


def split(data: bytes, where: str, uri: str, settings: Settings) -> Iterator[Item]:
    """Split bytes whose container format is not yet known (a file, stdin) into raw inputs."""
    fmt = sniff(where, data)
    if fmt == "warc":
        yield from _split_warc(io.BytesIO(data), where, settings)
    elif fmt == "jsonl":
        yield from _split_jsonl(io.BytesIO(data), where, settings)
    elif fmt == "json":
        yield from _split_json(data, where, uri)
    else:
        yield RawInput(where, uri, data, fmt)


def sniff(name: str, data: bytes) -> str:
    """Name the format of ``data``: warc, jsonl, json, html, markdown or text.

    The file name decides when it is telling; otherwise the first bytes do, so stdin and files
    without extensions work too.
    """
    lower = name.lower()
    for suffixes, fmt in (
        (_WARC_SUFFIXES, "warc"),
        (_JSONL_SUFFIXES, "jsonl"),
        ((".json",), "json"),
        (_HTML_SUFFIXES, "html"),
        (_MARKDOWN_SUFFIXES, "markdown"),
    ):
        if lower.endswith(suffixes):
            return fmt
    head = data[:4096].lstrip().lower()
    if head.startswith(b"warc/") or (data[:2] == b"\x1f\x8b" and b"WARC/" in _gunzip_head(data)):
        return "warc"
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        first_line = data.lstrip().split(b"\n", 1)[0]
        return "json" if _is_json(data) and not _is_json(first_line + b"\n") else "jsonl"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head:
        return "html"
    return "text"


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _gunzip_head(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return stream.read(64)
    except (OSError, EOFError):
        return b""


def _url_format(fetched: Any) -> str:
    media = fetched.content_type.split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    if media in ("application/json",):
        return "json"
    return sniff(fetched.final_url, fetched.data)


def _split_json(data: bytes, where: str, uri: str) -> Iterator[Item]:
    try:
        value = json.loads(data)
    except ValueError as err:
        yield InputError(where, f"malformed JSON: {err}")
        return
    records = value if isinstance(value, list) else [value]
    for number, record in enumerate(records, start=1):
        at = f"{where}#{number}" if isinstance(value, list) else where
        yield _json_record(record, at, uri, None)


def _split_jsonl(stream: BinaryIO, where: str, settings: Settings) -> Iterator[Item]:
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            at = f"{where}:{number}"
            if len(line) > settings.max_document_bytes:
                yield InputError(at, _too_big(len(line), settings))
                continue
            try:
                record = json.loads(line)
            except ValueError as err:
                yield InputError(at, f"malformed JSON line: {err}")
                continue
            yield _json_record(record, at, where, line.strip())
    except (OSError, EOFError) as err:
        yield InputError(where, f"cannot read the rest of the file: {err}")


def _json_record(record: Any, where: str, uri: str, line: bytes | None) -> Item:
    """One JSON object as a raw input; its raw bytes are the JSONL line, or the object re-encoded
    canonically when it came from a JSON list (which has no bytes of its own per record)."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        return InputError(where, f"expected a JSON object per document, found {kind}")
    data = line or json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return RawInput(where, str(record.get("url") or uri), data, "json", record)


def _split_warc(stream: BinaryIO, where: str, settings: Settings) -> Iterator[Item]:
    number = 0
    try:
        for record in ArchiveIterator(stream):
            number += 1
            if record.rec_type not in _WARC_DOCUMENT_TYPES:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or where
            if record.http_headers is not None:
                status = record.http_headers.get_statuscode()
                if status and not status.startswith("2"):
                    continue
                media = record.http_headers.get_header("Content-Type") or ""
            else:
                media = record.rec_headers.get_header("Content-Type") or ""
            if media and not media.split(";")[0].strip().lower().startswith(_TEXT_MEDIA):
                continue
            at = f"{where}#{number} ({url})"
            data = record.content_stream().read(settings.max_document_bytes + 1)
            if len(data) > settings.max_document_bytes:
                yield InputError(at, _too_big(len(data), settings, at_least=True))
                continue
            fmt = "text" if media.startswith("text/plain") else "html"
            yield RawInput(at, url, data, fmt, {"url": url, "content_type": media})
    # warcio raises assorted types on malformed archives (even AttributeError on a record
    # without a target URI); each one means the same to the user: the file is broken here.
    except (ArchiveLoadFailed, ValueError, OSError, EOFError, AttributeError, KeyError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        yield InputError(where, f"malformed WARC after {number} records: {reason}")


def _read_capped(stream: BinaryIO, where: str, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(where, f"over {limit:,} bytes, larger than the limit (see --max-bytes)")
    return data


def _too_big(size: int, settings: Settings, at_least: bool = False) -> str:
    more = "over " if at_least else ""
    return (
        f"{more}{size:,} bytes, larger than the limit of {settings.max_document_bytes:,} bytes "
        "(see --max-bytes)"
    )
