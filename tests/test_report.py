"""HTML report tests: escaping, structure, sentence spans, spin repairs, self-containment."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
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


def _assert_only_own_scripts(page: str) -> None:
    """The page's only scripts are its JSON data block, which holds no markup, and storycheck's
    own script, whose hash the Content-Security-Policy names as the one script allowed to run."""
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.I | re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="report-data"', ""]
    data, code = scripts[0][1], scripts[1][1]
    assert "<" not in data and ">" not in data
    json.loads(data)
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    policy = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    )
    assert f"script-src 'sha256-{digest}';" in policy and "default-src 'none'" in policy
    assert len(re.findall(r"<script", page, re.I)) == 2


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
    _assert_only_own_scripts(page)
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
    table = page[page.index('<table class="stack">') : page.index("</table>")]
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
    """story.json's text is the repaired one: the published word comes from ``observed``."""
    text = "The dam was in to the river. It broke after heavy rain."
    rep = [
        {"start": i, "end": i + len(new), "observed": word, "restored": new}
        for word, new in (("successful", "in"), ("torrential", "heavy"))
        for i in [text.index(f" {new} ") + 1]
    ]
    doc = _doc(
        text=text,
        sentences=_sentences(text, [(0, 28), (29, 55)]),
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


def test_spin_suspects_are_marked_with_their_likely_original():
    text = "The dam was in the river. It broke after achromatic rain today."
    at = text.index("achromatic")
    repair = {"start": 12, "end": 14, "observed": "successful", "restored": "in"}
    evil = 'heavy"><script>alert(1)</script>'
    suspect = {"start": at, "end": at + 10, "observed": "achromatic", "likely": evil,
               "suspicion": 0.7}  # fmt: skip
    doc = _doc(
        text=text,
        sentences=_sentences(text, [(0, 25), (26, 63)]),
        spin={"score": 0.93, "spun": True, "repairs": [repair], "suspects": [suspect]},
    )
    page = render_report(_story(doc))
    sid = f"doc-{doc['id']}"
    likely = markupsafe.escape(evil)
    title = f"left as published, may still be spun: likely {likely} (0.7)"
    assert (
        f'<span class="sent" id="{sid}-s1">It broke after '
        f'<span class="suspect" title="{title}">achromatic</span> rain today.</span>'
    ) in page
    assert "<script>alert" not in page
    assert "1 left as published that may still be spun" in page
    assert "1 repaired, 1 suspected" in page
    # A story.json written before suspects existed still renders.
    del doc["spin"]["suspects"]
    assert 'class="suspect" title' not in render_report(_story(doc))


def test_page_is_self_contained():
    doc = _doc(uri="https://example.org/a", canonical_url="http://example.org/b")
    page = render_report(_story(doc, errors=[{"input": "bad.bin", "reason": "binary file"}]))
    _assert_only_own_scripts(page)
    assert re.findall(r"<link\b[^>]*>", page, re.I) == ['<link rel="icon" href="data:,">']
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
    shown = page[page.index("<body>") : page.index('<script type="application/json"')].lower()
    for later in ("derivation", "claim", "timeline", "quote", "entities", "event"):
        assert later not in shown, later


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


# --- provenance: derivations, origins, genre profiles ------------------------------------------

KIND_LABELS = {
    "copy": "copy",
    "republication": "republication",
    "spun_copy": "spun copy",
    "rewrite": "rewrite",
    "quotation": "quotation",
}


def _derivation(source: str, target: str, kind: str = "copy", **fields) -> dict:
    derivation = {
        "source": source,
        "target": target,
        "kind": kind,
        "score": 0.87,
        "source_coverage": 1.0,
        "target_coverage": 0.9,
        "identity": 0.95,
        "order": 1.0,
        "direction": "source published earlier",
        "shared": [{"source_start": 0, "source_end": 20, "target_start": 0, "target_end": 20}],
    }
    derivation.update(fields)
    return derivation


def _profile(reason: str = "attributes what it says to named sources", **signals) -> dict:
    base = {
        "first_person_per_100_words": 0.0,
        "profanity": 0,
        "emotive_words": 0,
        "exclamations": 0,
        "quotations": 0,
        "attributions_per_sentence": 0.0,
        "dateline": False,
        "tails": None,
        "spin_score": None,
        "derived_as": None,
    }
    return {"reason": reason, "signals": {**base, **signals}}


def _provenance_story() -> dict:
    """An origin copied four ways and quoted once, plus an unrelated independent report."""
    ids = [f"{c}" * 16 for c in "abcdefg"]
    docs = [_doc(i, title=f"Story {n}", origin=ids[0]) for n, i in enumerate(ids)]
    docs[0]["profile"] = _profile(quotations=3, attributions_per_sentence=0.5)
    docs[5]["origin"] = ids[5]  # quotes the origin but is a story of its own
    docs[6]["origin"] = ids[6]
    derivations = [
        _derivation(ids[0], ids[1], "copy"),
        _derivation(ids[0], ids[2], "republication"),
        _derivation(ids[0], ids[3], "spun_copy"),
        _derivation(ids[3], ids[4], "rewrite"),  # second generation
        _derivation(ids[0], ids[5], "quotation", score=0.2108),
    ]
    story = _story(*docs)
    story["derivations"] = derivations
    return story


def _graph_svg(page: str) -> str:
    start = page.index('<svg class="graph"')
    return page[start : page.index("</svg>", start) + len("</svg>")]


def _edges(svg: str) -> list[str]:
    return re.findall(r'<g class="edge k-[\w-]+">.*?</g>', svg, re.S)


def test_graph_has_a_node_per_document_and_an_edge_per_derivation():
    story = _provenance_story()
    page = render_report(story)
    svg = _graph_svg(page)
    assert "Derivation graph" in page
    nodes = re.findall(r'<a href="#(doc-[a-g]{16})" class="node node-(origin|derived)"', svg)
    assert sorted(a for a, _ in nodes) == sorted(f"doc-{d['id']}" for d in story["documents"])
    roles = dict(nodes)
    assert roles["doc-" + "a" * 16] == roles["doc-" + "f" * 16] == "origin"
    assert roles["doc-" + "b" * 16] == roles["doc-" + "e" * 16] == "derived"
    edges = _edges(svg)
    assert len(edges) == len(story["derivations"])
    for derivation, edge in zip(story["derivations"], edges, strict=True):
        label = KIND_LABELS[derivation["kind"]]
        assert f"k-{derivation['kind']}" in edge
        assert f">{label}</text>" in edge  # a visible label on the edge itself
    at = page.index('<ul class="legend"')
    legend = page[at : page.index("</ul>", at)]
    for label in ("independent origin", "derived document", *KIND_LABELS.values()):
        assert label in legend
    # origins sit left of what is derived from them, second generation further right
    xs = {
        a: float(x)
        for a, x in re.findall(
            r'<a href="#(doc-\w+)" class="node[^"]*">.*?<rect x="([\d.]+)"', svg, re.S
        )
    }
    a, d, e = ("doc-" + c * 16 for c in "ade")
    assert xs[a] < xs[d] < xs[e]


def test_kinds_are_distinguishable_without_colour():
    story = _provenance_story()
    svg = _graph_svg(render_report(story))
    styles = {}
    for edge in _edges(svg):
        kind = re.search(r"k-([\w-]+)", edge).group(1)
        dash = re.search(r'class="line[^"]*" d="[^"]*"(?: stroke-dasharray="([^"]*)")?', edge)
        styles[kind] = (dash.group(1), 'class="line double"' in edge)
    assert len(styles) == len(KIND_LABELS)
    assert len(set(styles.values())) == len(styles), styles  # line style alone tells them apart
    assert styles["republication"][1] and styles["spun_copy"][0] and styles["quotation"][0]


def test_graph_labels_and_highlight_titles_are_escaped():
    story = _provenance_story()
    evil = f"</svg>{SCRIPT}<a href=x>"
    for doc in story["documents"][:2]:
        doc["title"] = evil
        doc["source"] = evil
        doc["profile"] = _profile(reason=evil, tails=evil)
    story["derivations"][0]["kind"] = evil  # an unknown kind is shown, escaped, as "other"
    story["derivations"][0]["direction"] = evil
    page = render_report(story)
    _assert_only_own_scripts(page)
    assert "<a href=x>" not in page
    assert page.count("<svg") == page.count("</svg>")
    svg = _graph_svg(page)
    assert "&lt;/svg&gt;&lt;script&gt;" in svg
    assert 'class="edge k-other"' in svg
    assert "&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.split("</svg>", 1)[1]
    assert all(h.startswith("#") for h in _parse(page).hrefs)


def test_shared_passages_are_highlighted_at_their_offsets():
    text = "One two three. Four five six. Seven eight nine."
    bounds = [(0, 14), (15, 29), (30, 47)]
    source = _doc("a" * 16, title="The source", origin="a" * 16)
    target = _doc(
        "b" * 16,
        title="The copy",
        text=text,
        sentences=_sentences(text, bounds),
        origin="a" * 16,
        spin={
            "score": 0.9,
            "spun": True,
            "repairs": [{"start": 20, "end": 24, "observed": "5", "restored": "five"}],
        },
    )
    other = _doc("c" * 16, title="Another source", source="other.example", origin="c" * 16)
    # 4..24 crosses a sentence boundary; 36..42 comes from two sources, one running past the end
    story = _story(source, target, other)
    story["derivations"] = [
        _derivation(
            "a" * 16,
            "b" * 16,
            shared=[
                {"source_start": 0, "source_end": 9, "target_start": 4, "target_end": 24},
                {"source_start": 9, "source_end": 13, "target_start": 36, "target_end": 42},
            ],
        ),
        _derivation(
            "c" * 16,
            "b" * 16,
            "quotation",
            shared=[{"source_start": 0, "source_end": 9, "target_start": 36, "target_end": 400}],
        ),
    ]
    page = render_report(story)
    article = page[page.index('<article class="doc" id="doc-bbbb') :]
    article = article[: article.index("</article>")]
    marks = re.findall(r'<mark class="shared" title="([^"]*)">(.*?)</mark>', article)
    pieces = [re.sub(r"<del[^>]*>.*?</del><ins[^>]*>(.*?)</ins>", r"\1", m) for _, m in marks]
    pieces = [re.sub(r"<[^>]+>", "", p) for p in pieces]
    # split at the sentence boundary (the gap between sentences is a highlight of its own)
    assert pieces == ["two three.", " ", "Four five", "eight ", "nine."]
    assert marks[0][0] == "Shared with The source (corranherald.example), copy"
    assert marks[3][0] == (
        "Shared with The source (corranherald.example), copy; "
        "Another source (other.example), quotation"
    )
    assert marks[4][0] == "Shared with Another source (other.example), quotation"
    # the repair at 20..24 sits inside the highlight, whole
    assert (
        '<span class="repair"><del title="as published">5</del><ins title="restored">five'
        in marks[2][1]
    )
    # sentence spans still hold exactly their sentences
    texts = _parse(page).texts
    sid = "doc-" + "b" * 16
    for i, (start, end) in enumerate(bounds):
        got = texts[f"{sid}-s{i}"]
        if i == 1:
            got = got.replace("5five", "five")  # the restored word follows the struck one
        assert got == text[start:end]
    assert f'<span class="sent" id="{sid}-s0">One <mark class="shared"' in page


def test_document_sections_show_genre_origin_and_links():
    story = _provenance_story()
    page = render_report(story)
    a, b, d = ("a" * 16, "b" * 16, "d" * 16)
    origin = page[page.index(f'<article class="doc" id="doc-{a}"') :]
    origin = origin[: origin.index("</article>")]
    assert "attributes what it says to named sources" in origin
    tags = re.findall(r'<span class="tag">([^<]*)</span>', origin)
    assert tags == ["quotations 3", "attributions per sentence 0.5"]  # no zero or null signals
    assert "independent origin" in origin
    assert "Copied by" in origin and "Derived from" not in origin
    assert f'href="#doc-{b}">Story 1</a>' in origin and "(copy, 87%)" in origin
    assert "(quotation, 21%)" in origin
    copy = page[page.index(f'<article class="doc" id="doc-{b}"') :]
    copy = copy[: copy.index("</article>")]
    assert "Derived from" in copy and f'href="#doc-{a}">Story 0</a>' in copy
    # the document table: origin column and counts in the overview
    table = page[page.index('<table class="stack">') : page.index("</table>")]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)[1:]
    assert "copy of" in rows[1] and f'href="#doc-{a}"' in rows[1]
    assert "traces back to" in rows[4]  # a rewrite of a spun copy
    assert "spun copy of" in rows[3] and f'href="#doc-{a}"' in rows[3]
    assert f'href="#doc-{d}"' in rows[3]  # its own title link
    assert "independent origin" in rows[0]
    assert "5 derivations · 3 independent origins" in page
    # the accessible table of derivations
    section = page[page.index('id="derivations-h"') :]
    section = section[: section.index("</table>")]
    drows = re.findall(r"<tr>.*?</tr>", section, re.S)[1:]
    assert len(drows) == 5
    assert "spun copy" in drows[2] and "87%" in drows[2] and "source published earlier" in drows[2]
    assert ">21%<" in drows[4]


def test_story_without_derivations_has_no_graph():
    story = _story(_doc(origin="3f2a9c0011223344"))
    story["derivations"] = []
    page = render_report(story)
    assert "Derivation graph" not in page
    assert "<svg" not in page
    assert "0 derivations · 1 independent origin" in page
    assert "<mark" not in page


def test_graph_omitted_above_forty_documents_but_table_kept():
    ids = [f"{n:016x}" for n in range(41)]
    story = _story(*(_doc(i, title=f"Story {n}", origin=ids[0]) for n, i in enumerate(ids)))
    story["derivations"] = [_derivation(ids[0], i) for i in ids[1:]]
    page = render_report(story)
    assert "Derivation graph" in page and '<svg class="graph"' not in page
    assert "omitted" in page
    section = page[page.index('id="derivations-h"') :]
    assert len(re.findall(r"<tr>", section[: section.index("</table>")])) == 41
    # forty documents still get the drawing
    story["documents"].pop()
    story["derivations"].pop()
    svg = _graph_svg(render_report(story))
    assert len(re.findall(r'class="node ', svg)) == 40 and len(_edges(svg)) == 39


def test_graph_survives_cycles_and_dangling_ends():
    a, b = "a" * 16, "b" * 16
    story = _story(_doc(a), _doc(b))
    story["derivations"] = [
        _derivation(a, b),
        _derivation(b, a, "rewrite"),
        _derivation(a, "f" * 16, score=None, shared=None),
        _derivation(b, a, "copy", shared=7, score="high"),
        "not a derivation",
    ]
    page = render_report(story)
    svg = _graph_svg(page)
    assert len(_edges(svg)) == 3  # the one naming an unknown document is in the table only
    assert "f" * 16 in page
