"""Bad input gets a one-line reason naming it, is skipped, and costs nothing already stored."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from conftest import HTML_PAGE, REPORT, settings
from storycheck.pipeline import ingest
from storycheck.store import Store


def _errors(store: Store, *paths: Path | str, **changes: object) -> dict[str, str]:
    result = ingest([str(p) for p in paths], store, settings(**changes))
    return {e.where: e.reason for e in result.errors}


def _only_reason(errors: dict[str, str], path: Path | str) -> str:
    assert list(errors) == [str(path)]
    reason = errors[str(path)]
    assert "\n" not in reason
    return reason


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary file"),
        ("archive.html", b"PK\x03\x04" + b"\x00" * 200, "binary file"),
        ("nul.txt", b"some text\x00\x00\x00 with NUL bytes in it", "binary file"),
        ("empty.txt", b"", "empty input"),
        ("blank.txt", b"  \n\n\t ", "empty input"),
        ("garbage.txt", bytes(range(128, 256)) * 4, "undecodable bytes"),
        ("bad.json", b'{"title": "x", "text": ', "malformed JSON"),
        ("string.json", b'"just a string"', "expected a JSON object"),
        ("short.txt", b"Home  News", "no document text found (2 words)"),
        ("nobody.json", b'{"title": "only a title"}', "no text field"),
        (
            "broken.warc",
            b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\nshort",
            "malformed WARC",
        ),
        (
            "empty-page.html",
            b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>",
            "no document text found",
        ),
    ],
)
def test_bad_file_is_reported_and_skipped(write, store, name, content, expected):
    good = write("good.txt", REPORT)
    bad = write(name, content)
    errors = _errors(store, good, bad)
    assert expected in _only_reason(errors, bad)
    assert store.count_documents() == 1


def test_malformed_html_still_yields_its_text(write, store):
    broken = HTML_PAGE.replace("</p>", "").replace("</article>", "<div><span><b>")[:-40]
    assert _errors(store, write("broken.html", broken)) == {}
    assert "fourteen ships" in store.documents()[0].text


def test_size_limit_is_settable(write, store):
    big = write("big.txt", REPORT * 50)
    reason = _only_reason(_errors(store, big, max_document_bytes=1000), big)
    assert "larger than the limit of 1,000 bytes" in reason and "--max-bytes" in reason
    assert _errors(store, big) == {}


def test_non_english_is_skipped_with_its_language(write, store):
    german = write(
        "de.txt",
        "Am Dienstag ist im Hafen von Selwick ein Containerkran eingestürzt. "
        "Zwei Hafenarbeiter wurden verletzt und ins Krankenhaus gebracht.",
    )
    reason = _only_reason(_errors(store, german), german)
    assert "language is 'de'" in reason and "--lang" in reason
    assert _errors(store, german, languages=("en", "de")) == {}


def test_missing_and_unmatched_paths(store, tmp_path):
    missing = tmp_path / "nope.txt"
    pattern = str(tmp_path / "*.nothing")
    errors = _errors(store, missing, pattern)
    assert errors == {
        str(missing): "no such file or folder",
        pattern: "no file matches this pattern",
    }


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_unreadable_file(store):
    # /proc/self/mem exists and stats as empty but fails on read, even for root.
    errors = _errors(store, "/proc/self/mem")
    assert errors["/proc/self/mem"].startswith("cannot read")


def test_wrong_encodings_are_decoded_and_mojibake_repaired(write, store):
    cp1252 = write("cp1252.txt", REPORT.replace("Dana", "Zoë").encode("cp1252"))
    mangled = "The port’s berth four — its busiest — stays shut, the harbourmaster said on Tuesday."
    mojibake = write("mojibake.txt", mangled.encode("utf-8").decode("cp1252").encode("utf-8"))
    utf16 = write("utf16.txt", REPORT.replace("Tuesday", "Wednesday").encode("utf-16"))
    assert _errors(store, cp1252, mojibake, utf16) == {}
    docs = {Path(d.uri).name: d for d in store.documents()}
    assert "Zoë Okafor" in docs["cp1252.txt"].text and docs["cp1252.txt"].encoding == "cp1252"
    assert docs["mojibake.txt"].text == mangled
    assert [s.kind for s in docs["mojibake.txt"].signals] == ["mojibake_repaired"]
    assert "Wednesday" in docs["utf16.txt"].text


def test_bad_records_in_a_warc_keep_the_good_ones(write, store):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            "https://selwickgazette.example/a",
            "response",
            payload=io.BytesIO(HTML_PAGE.encode()),
            http_headers=headers,
        )
    )
    truncated = buffer.getvalue() + b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n"
    path = write("half.warc", truncated)
    errors = _errors(store, path)
    assert "malformed WARC after 1 records" in errors[str(path)]
    assert store.count_documents() == 1
