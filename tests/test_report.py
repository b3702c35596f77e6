"""HTML report tests: escaping, structure, sentence spans, spin repairs, self-containment."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from storycheck.report import render_report, segments, write_report

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS = "javascript:alert(1)"


def _sentences(text: str, bounds: list[tuple[int, int]]) -> list[dict]:
    return [
        {"index": i, "start": s, "end": e, "text": text[s:e]} for i, (s, e) in enumerate(bounds)
    ]


def _doc(doc_id: str = "3f2a9c0011223344", **fields) -> dict:
    text = fields.pop("text", "First sentence here. Second one.\n\nA new paragraph.")
    doc = {
        "id": doc_id,
        "uri": "examples/demo/herald.html",
        "format": "html",
        "source": "corranherald.example",
        "site_name": "Corran Herald",
        "title": "Spillway fails above Corran",
        "title_source": "metadata",
        "author": "A. Reporter",
        "published": "2026-03-14",
        "language": "en",
        "genre": "report",
        "republished_from": None,
        "spin": None,
        "signals": [],
        "text": text,
        "sentences": _sentences(text or "", [(0, 20), (21, 32), (34, 50)]),
        "canonical_url": None,
        "encoding": "utf-8",
    }
    doc.update(fields)
    return doc


def _story(*docs: dict, errors: list[dict] | None = None) -> dict:
    story = {
        "storycheck_version": "0.1.0",
        "generated": "2026-11-23T15:00:00Z",
        "documents": list(docs),
    }
    if errors is not None:
        story["errors"] = errors
    return story


class _Spans(HTMLParser):
    """Collect the text inside every element that has an id, as the browser would see it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.texts: dict[str, str] = {}
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "a" and attr.get("href") is not None:
            self.hrefs.append(attr["href"] or "")
        if tag in ("meta", "br", "img", "link", "input"):
            return
        self.stack.append(attr.get("id"))
        if attr.get("id"):
            self.texts.setdefault(attr["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for open_id in self.stack:
            if open_id:
                self.texts[open_id] += data


def _parse(page: str) -> _Spans:
    parser = _Spans()
    parser.feed(page)
    return parser


def test_untrusted_strings_are_escaped():
    evil = f"{SCRIPT} {IMG} {JS}"
    doc = _doc(
        title=evil,
        text=f"Intro {SCRIPT} middle {IMG} end {JS}.",
        uri=JS,
        author=evil,
        source=evil,
        republished_from=evil,
        canonical_url=JS,
        signals=[{"kind": f"kind{SCRIPT}", "text": evil, "value": evil, "start": 0, "end": 5}],
        sentences=[],
    )
    page = render_report(_story(doc, errors=[{"input": evil, "reason": evil}]))
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert JS in page  # shown as text, not as a link
    assert all(not h.lower().startswith("javascript:") for h in _parse(page).hrefs)


def test_only_http_uris_become_links():
    docs = [
        _doc("a" * 16, uri="https://example.org/story?a=1&b=2"),
        _doc("b" * 16, uri=" JavaScript:alert(1)"),
        _doc("c" * 16, uri="data:text/html,hi"),
        _doc("d" * 16, uri="examples/demo/herald.html"),
    ]
    hrefs = _parse(render_report(_story(*docs))).hrefs
    external = [h for h in hrefs if not h.startswith("#")]
    assert external == ["https://example.org/story?a=1&b=2"]


def test_document_table_lists_every_document_with_links():
    docs = [
        _doc("aaaaaaaaaaaaaaa1", title="First story"),
        _doc("bbbbbbbbbbbbbbb2", title="Second story", genre="opinion"),
        _doc(
            "ccccccccccccccc3",
            title=None,
            source=None,
            site_name=None,
            published=None,
            author=None,
            republished_from=None,
            language=None,
        ),
    ]
    page = render_report(_story(*docs))
    table = page[page.index("<table>") : page.index("</table>")]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)[1:]
    assert len(rows) == 3
    for doc, row in zip(docs, rows, strict=True):
        assert f'href="#doc-{doc["id"]}"' in row
        assert f'id="doc-{doc["id"]}"' in page
        if doc["title"]:
            assert doc["title"] in row
    assert "—" in rows[2]
    assert "None" not in page
    assert ">opinion<" in rows[1] and "genre-opinion" in rows[1]


def test_odd_or_repeated_ids_get_safe_anchors():
    docs = [_doc('x" onclick="y'), _doc("same"), _doc("same")]
    page = render_report(_story(*docs))
    anchors = re.findall(r'<article class="doc" id="([^"]*)"', page)
    assert len(set(anchors)) == 3
    assert all(re.fullmatch(r"doc-[A-Za-z0-9_-]+", a) for a in anchors)


def test_sentence_spans_cover_sentence_text_exactly():
    text = "One & two <b>. Three\nfour.\n\nFive."
    bounds = [(0, 14), (15, 26), (28, 33)]
    doc = _doc(text=text, sentences=_sentences(text, bounds))
    page = render_report(_story(doc))
    texts = _parse(page).texts
    for i, (start, end) in enumerate(bounds):
        assert texts[f"doc-{doc['id']}-s{i}"] == text[start:end]
    assert f'<span class="sent" id="doc-{doc["id"]}-s0">One &amp; two &lt;b&gt;.</span>' in page
    # the blank line between sentences 1 and 2 starts a new paragraph; the newline inside s1 not
    assert page.count("<p>") - page.count('<p class="muted">No text') == 2


def test_spin_repairs_render_as_del_ins_pairs():
    text = "The dam was successful to the river. It broke after torrential rain."
    rep = [
        {"start": i, "end": i + len(word), "observed": word, "restored": new}
        for word, new in (("successful", "in"), ("torrential", "heavy"))
        for i in [text.index(word)]
    ]
    doc = _doc(
        text=text,
        sentences=_sentences(text, [(0, 36), (37, 68)]),
        spin={"score": 0.93, "spun": True, "repairs": rep},
    )
    page = render_report(_story(doc))
    sid = f"doc-{doc['id']}"
    pair = '<span class="repair"><del title="as published">{}</del><ins title="restored">{}</ins>'
    assert (
        f'<span class="sent" id="{sid}-s0">The dam was '
        + pair.format("successful", "in")
        + "</span> to the river.</span>"
    ) in page
    assert (
        f'<span class="sent" id="{sid}-s1">It broke after '
        + pair.format("torrential", "heavy")
        + "</span> rain.</span>"
    ) in page
    assert "0.93" in page


def test_page_is_self_contained():
    doc = _doc(uri="https://example.org/a", canonical_url="http://example.org/b")
    page = render_report(_story(doc, errors=[{"input": "bad.bin", "reason": "binary file"}]))
    assert "<script" not in page.lower()
    assert not re.search(r"<link\b", page, re.I)
    assert not re.search(r"\bsrc\s*=", page, re.I)
    assert not re.search(r"url\(|@import|@font-face", page, re.I)
    for match in re.finditer(r"https?://", page):
        before = page[max(0, match.start() - 6) : match.start()]
        assert before.endswith('href="') or before.endswith(">"), before  # links/text only
    assert "<style>" in page


def test_missing_optional_keys_render():
    bare = {"id": "0123456789abcdef", "uri": "x.txt", "text": "Just text.\nMore text."}
    page = render_report({"documents": [bare]})
    assert "storycheck report" in page
    assert "Skipped inputs" not in page
    assert "None" not in page
    assert "<p>Just text.</p>" in page and "<p>More text.</p>" in page
    empty = render_report({})
    assert "No documents." in empty
    nulls = render_report(_story(_doc(sentences=None, signals=None, spin=None, text=None)))
    assert "No text extracted." in nulls
    for later in ("derivations", "claims", "claim_groups", "quotes", "entities", "events"):
        assert later not in page.lower()


def test_header_counts_and_errors():
    page = render_report(
        _story(
            _doc(),
            _doc("ffffffffffffffff"),
            errors=[
                {"input": "bad.bin", "reason": "binary file (not text)"},
            ],
        )
    )
    assert "2 documents · 6 sentences · 1 skipped input" in page
    assert "2026-11-23T15:00:00Z" in page
    assert "Skipped inputs" in page and "binary file (not text)" in page


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], [("abcdef", None)]),
        ([(1, 3, "x")], [("a", None), ("bc", "x"), ("def", None)]),
        ([(4, 6, "y"), (0, 2, "x")], [("ab", "x"), ("cd", None), ("ef", "y")]),
        (
            [(0, 3, "x"), (2, 5, "overlap"), (5, 9, "out"), (4, 2, "back")],
            [("abc", "x"), ("def", None)],
        ),
    ],
)
def test_segments_rejoin_to_the_text(intervals, expected):
    got = segments("abcdef", intervals)
    assert [(s.text, s.mark) for s in got] == expected
    assert "".join(s.text for s in got) == "abcdef"


def test_write_report(tmp_path: Path):
    out = write_report(_story(_doc()), tmp_path / "sub" / "report.html")
    assert out == tmp_path / "sub" / "report.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
