"""Every input format becomes documents with the metadata the input gives, and nothing more."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import HTML_PAGE, REPORT, jsonl, settings
from storycheck.pipeline import ingest
from storycheck.store import Store


def _ingest(store: Store, *paths: Path | str, **changes: object):
    return ingest([str(p) for p in paths], store, settings(**changes))


def test_plain_text_takes_its_headline_as_title_and_invents_nothing(write, store):
    result = _ingest(store, write("crane.txt", REPORT))
    assert result.added == 1 and not result.errors
    (doc,) = store.documents()
    assert doc.title == "Harbour crane collapses at Port Selwick"
    assert doc.title_source == "headline"
    assert doc.text.startswith("A container crane collapsed")
    assert doc.format == "text" and doc.language == "en"
    # A local text file names no outlet, author or date: they stay empty.
    assert (doc.source, doc.author, doc.published, doc.republished_from) == (None,) * 4
    assert doc.raw == REPORT.encode()
    assert [s.text for s in doc.sentences][0].startswith("A container crane collapsed")


def test_text_without_headline_gets_first_sentence_title(write, store):
    body = REPORT.split("\n", 1)[1]
    _ingest(store, write("crane.txt", body))
    (doc,) = store.documents()
    assert doc.title_source == "first_sentence"
    assert (
        doc.title
        == "A container crane collapsed at Port Selwick on Tuesday, injuring two dock workers."
    )


def test_markdown_heading_and_markup_removed(write, store):
    md = (
        "# Cranes and the quay\n\n"
        "I have worked on the **docks** for twenty years, and [the Gazette](https://x.example) "
        "is right to ask questions.\n\n- Two workers were hurt.\n- Berth four is shut.\n"
    )
    _ingest(store, write("post.md", md))
    (doc,) = store.documents()
    assert doc.title == "Cranes and the quay" and doc.format == "markdown"
    assert "**" not in doc.text and "](" not in doc.text
    assert "the Gazette is right to ask questions" in doc.text
    assert doc.text.splitlines()[-1] == "Berth four is shut."


def test_html_main_text_and_metadata(write, store):
    _ingest(store, write("page.html", HTML_PAGE))
    (doc,) = store.documents()
    assert doc.title == "Crane collapse closes berth"
    assert doc.author == "Priya Lund"
    assert doc.published == "2026-05-12"
    assert doc.site_name == "Selwick Gazette"
    assert doc.canonical_url == "https://selwickgazette.example/news/crane-collapse"
    assert doc.source == "selwickgazette.example"
    assert "fourteen ships" in doc.text
    assert "Cookie settings" not in doc.text and "Sport" not in doc.text
    # The headline is the title; it is not repeated as the first line of the text.
    assert not doc.text.startswith("Crane collapse closes berth")


def test_json_object_list_and_crawler_keys(write, store):
    one = {
        "title": "Berth reopens",
        "text": REPORT,
        "url": "https://www.harbour.example/a",
        "published": "2026-05-20T10:00:00+01:00",
        "source": "Harbour News",
    }
    many = [
        {
            "headline": "Crane inquiry",
            "body": "An inquiry into the crane collapse opened today "
            "in Selwick, with the port authority giving evidence.",
            "date": "Wed, 20 May 2026 09:00:00 GMT",
            "source": {"name": "Quay Daily"},
            "authors": ["A. Moss", "B. Lee"],
        },
        {
            "maintext": "Dock workers held a minute's silence on Friday for their injured "
            "colleagues at Port Selwick.",
            "source_domain": "dockside.example",
            "date_publish": "2026-05-22 07:15:00",
        },
    ]
    result = _ingest(
        store, write("one.json", json.dumps(one)), write("many.json", json.dumps(many))
    )
    assert result.added == 3 and not result.errors
    docs = {d.title: d for d in store.documents()}
    first = docs["Berth reopens"]
    assert first.source == "harbour.example" and first.site_name == "Harbour News"
    assert first.published == "2026-05-20T10:00:00+01:00"
    inquiry = docs["Crane inquiry"]
    assert inquiry.source == "Quay Daily" and inquiry.author == "A. Moss, B. Lee"
    assert inquiry.published == "2026-05-20T09:00:00+00:00"
    silence = next(d for d in docs.values() if d.source == "dockside.example")
    assert silence.published == "2026-05-22T07:15:00"
    assert silence.title_source == "first_sentence"


def test_jsonl_errors_name_the_line_and_the_rest_goes_on(write, store, tmp_path):
    good = {
        "title": "Crane inquiry",
        "content": "An inquiry into the crane collapse opened "
        "today in Selwick, with the port authority giving evidence.",
    }
    text = (
        jsonl(good)
        + "{not json\n"
        + jsonl({"title": "no body"})
        + "\n"
        + jsonl(
            {
                "maintext": "Dock workers held a minute's silence on Friday at Port Selwick "
                "for their injured colleagues."
            }
        )
    )
    result = _ingest(store, write("crawl.jsonl", text))
    assert result.added == 2
    wheres = sorted(e.where for e in result.errors)
    assert wheres == [f"{tmp_path}/crawl.jsonl:2", f"{tmp_path}/crawl.jsonl:3"]
    reasons = " ".join(e.reason for e in result.errors)
    assert "malformed JSON line" in reasons and "no text field" in reasons


def test_gzipped_jsonl(write, store):
    data = gzip.compress(jsonl({"text": REPORT, "url": "https://a.example/1"}).encode())
    result = _ingest(store, write("crawl.jsonl.gz", data))
    assert result.added == 1 and store.documents()[0].source == "a.example"


def _warc(records: list[tuple[str, str, bytes]], compress: bool) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    for url, content_type, body in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
    return buffer.getvalue()


def test_warc_and_warc_gz_response_records(write, store):
    records = [
        (
            "https://selwickgazette.example/news/crane",
            "text/html; charset=utf-8",
            HTML_PAGE.encode(),
        ),
        ("https://selwickgazette.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n..."),
        ("https://notes.example/crane.txt", "text/plain", REPORT.encode()),
    ]
    for name, compress in (("crawl.warc", False), ("crawl.warc.gz", True)):
        result = _ingest(store, write(name, _warc(records, compress)))
        assert not result.errors
    docs = store.documents()
    # Two documents (the image is not one); the .gz crawl holds the same bytes: no duplicates.
    assert len(docs) == 2
    page = next(d for d in docs if d.format == "html")
    assert page.uri == "https://selwickgazette.example/news/crane"
    assert page.title == "Crane collapse closes berth" and page.author == "Priya Lund"
    plain = next(d for d in docs if d.format == "text")
    assert plain.source == "notes.example"


def test_folders_recurse_and_globs_expand(write, store, tmp_path):
    write("story/a.txt", REPORT)
    write("story/deeper/b.html", HTML_PAGE)
    write("story/.hidden.txt", "A hidden file that must not be read at all by the tool.")
    write("other/c.txt", REPORT.replace("two dock workers", "three dock workers"))
    result = _ingest(store, tmp_path / "story", str(tmp_path / "oth*" / "*.txt"))
    assert result.added == 3 and not result.errors
    assert not any("hidden" in d.text for d in store.documents())


def test_stdin(monkeypatch, store):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HTML_PAGE.encode())))
    result = _ingest(store, "-")
    assert result.added == 1
    (doc,) = store.documents()
    assert doc.uri == "<stdin>" and doc.format == "html" and doc.author == "Priya Lund"


def test_same_input_twice_is_one_document(write, store):
    a = write("a.txt", REPORT)
    b = write("copy/a-again.txt", REPORT)
    result = _ingest(store, a, b)
    assert (result.added, result.unchanged) == (1, 1)
    assert store.count_documents() == 1
