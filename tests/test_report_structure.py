"""The report's structure as a browser would parse it, on the real demo story.

The page is parsed with the standard library's HTML parser into a small element tree, and every
view is checked against story.json: the stable ids other code relies on, the claim matrix, the
timeline, quotes, entities, the documents' sentences, claims and repairs, the no-script fallback,
the Content-Security-Policy, and that hostile text in every view stays text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from storycheck.report import render_report
from storycheck.report.views import MATRIX_ROWS, STATUS

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [
            e
            for e in self.walk()
            if e is not self
            and (tag is None or e.tag == tag)
            and (cls is None or cls in (e.attrs.get("class") or "").split())
        ]

    def text(self, skip: frozenset[str] = frozenset()) -> str:
        out = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            elif child.tag not in skip:
                out.append(child.text(skip))
        return "".join(out)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class _Tree(HTMLParser):
    """Builds the element tree; end tags close up to the nearest open element of that name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.open)
        self.open.children.append(element)
        if tag not in VOID:
            self.open = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.children.append(Element(tag, dict(attrs), self.open))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.open = node.parent

    def handle_data(self, data: str) -> None:
        self.open.children.append(data)


@dataclass
class Page:
    html: str
    root: Element
    ids: dict[str, Element]

    def id(self, name: str) -> Element:
        return self.ids[name]


def parse(page: str) -> Page:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    ids: dict[str, Element] = {}
    for element in tree.root.walk():
        name = element.attrs.get("id")
        if name:
            assert name not in ids, f"duplicate id {name}"
            ids[name] = element
    return Page(page, tree.root, ids)


@pytest.fixture(scope="module")
def story(demo: tuple[Path, dict]) -> dict:
    return demo[1]


@pytest.fixture(scope="module")
def page(story: dict) -> Page:
    return parse(render_report(story))


@pytest.fixture(scope="module")
def live(story: dict) -> Page:
    return parse(render_report(story, verify_api="api/verify"))


def _anchor(doc_id: str) -> str:
    return f"doc-{doc_id}"


def _sentence_of(doc: dict, offset: int) -> int:
    return max(s["index"] for s in doc["sentences"] if s["start"] <= offset)


def _hrefs(element: Element) -> list[str]:
    return [a.attrs["href"] or "" for a in element.find("a") if "href" in a.attrs]


def test_stable_ids_and_one_article_per_document(page: Page, story: dict) -> None:
    for name in ("overview", "claim-matrix", "graph", "timeline", "quotes", "entities"):
        assert name in page.ids, name
    articles = page.id("documents").find("article")
    assert [a.attrs["id"] for a in articles] == [_anchor(d["id"]) for d in story["documents"]]
    assert page.id("claim-matrix").tag == "table"
    for name in ("verify", "verify-form", "verify-claim", "verify-result"):
        assert name not in page.ids  # the file on disk has no server to ask
    internal = [h[1:] for h in _hrefs(page.root) if h.startswith("#")]
    assert internal and set(internal) <= set(page.ids)


def test_every_sentence_is_an_anchor_holding_its_text(page: Page, story: dict) -> None:
    for doc in story["documents"]:
        for sentence in doc["sentences"]:
            span = page.id(f"{_anchor(doc['id'])}-s{sentence['index']}")
            # the published words (<del>) are additions; the rest is the text as repaired
            assert span.text(skip=frozenset({"del"})) == sentence["text"]


def test_claims_are_marked_where_they_are(page: Page, story: dict) -> None:
    claimed = {f"{_anchor(c['document'])}-s{c['sentence']}" for c in story["claims"]}
    articles = page.id("documents").find("article")
    marked = {e.attrs["id"] for a in articles for e in a.find("span", "claim")}
    assert marked == claimed


def test_repairs_show_the_published_word_struck_beside_the_restored_one(
    page: Page, story: dict
) -> None:
    spun = [d for d in story["documents"] if d["spin"] and d["spin"]["repairs"]]
    assert spun, "the demo has a spun copy"
    for doc in spun:
        article = page.id(_anchor(doc["id"]))
        shown = [
            (r.find("del")[0].text(), r.find("ins")[0].text())
            for r in article.find("span", "repair")
        ]
        expected = [
            (r["observed"], doc["text"][r["start"] : r["end"]])
            for r in sorted(doc["spin"]["repairs"], key=lambda r: r["start"])
        ]
        assert any(published != restored for published, restored in shown)
        assert shown == expected


def test_matrix_has_a_row_per_group_contested_first_with_stances_in_words(
    page: Page, story: dict
) -> None:
    table = page.id("claim-matrix")
    rows = table.find("tbody")[0].find("tr")
    groups = story["claim_groups"]
    assert len(rows) == min(len(groups), MATRIX_ROWS)
    order = list(STATUS)
    statuses = [next(c for c in r.classes if c in STATUS) for r in rows]
    assert statuses == sorted(statuses, key=order.index)
    assert statuses.count("contested") == sum(g["status"] == "contested" for g in groups) > 0
    columns = [a.attrs["href"][1:] for a in table.find("th", "doccol") for a in a.find("a")]
    by_statement = {g["statement"]: g for g in groups}
    claims = {c["id"]: c for c in story["claims"]}
    for row in rows:
        group = by_statement[row.find("td", "statement")[0].text()]
        assert row.find("td", "sources")[0].text().split()[0] == str(group["independent_sources"])
        cells = row.find("td", "cell")
        assert len(cells) == len(columns)
        expected = {}
        for member in group["members"]:
            anchor = _anchor(member["document"])
            if expected.get(anchor) != "contradicts":
                expected[anchor] = member["stance"]
        for column, cell in zip(columns, cells, strict=True):
            stance = expected.get(column, "silent")
            words = cell.text().split()
            assert words[-1] == stance and len(words) == 2  # a symbol and the word
            links = _hrefs(cell)
            if stance == "silent":
                assert not links
                continue
            member_sentences = {
                f"#{column}-s{claims[m['claim']]['sentence']}"
                for m in group["members"]
                if _anchor(m["document"]) == column and m["stance"] == stance
            }
            assert links and links[0] in member_sentences


def test_timeline_draws_dated_events_to_scale_and_links_their_claims(
    page: Page, story: dict
) -> None:
    section = page.id("timeline")
    drawings = section.find("svg")
    assert drawings
    for svg in drawings:
        ticks = [t.text() for t in svg.find("text", "tick")]
        assert len(ticks) >= 2 and all(ticks)
        bars = svg.find("rect", "bar")
        assert bars and all(float(b.attrs["width"] or 0) > 0 for b in bars)
        assert {h[1:] for h in _hrefs(svg)} <= {f"event-{n}" for n in range(1, 10_000)}
    items = [e for e in section.find("li") if (e.attrs.get("id") or "").startswith("event-")]
    assert len(items) == len(story["events"])
    claims = {c["id"]: c for c in story["claims"]}
    by_text = {e["text"]: e for e in story["events"]}
    for item in items:
        event = next(e for t, e in by_text.items() if t in item.text())
        expected = {
            f"#{_anchor(claims[c]['document'])}-s{claims[c]['sentence']}" for c in event["claims"]
        }
        assert set(_hrefs(item)) == expected


def test_quotes_are_listed_by_speaker_and_link_to_their_sentence(page: Page, story: dict) -> None:
    section = page.id("quotes")
    docs = {d["id"]: d for d in story["documents"]}
    names = {e["id"]: e["name"] for e in story["entities"]}
    speakers = {h.text().split(" · ")[0].strip(): h.parent for h in section.find("h3")}
    for quote in story["quotes"]:
        name = names.get(quote["speaker"]) or quote["speaker_name"] or "Speaker not named"
        doc = docs[quote["document"]]
        href = f"#{_anchor(doc['id'])}-s{_sentence_of(doc, quote['start'])}"
        said = quote["text"].casefold()  # the same words in another case are one quote
        lines = [li for li in speakers[name].find("li") if said in li.text().casefold()]
        assert any(href in _hrefs(li) for li in lines), (name, quote["text"])


def test_entities_link_to_their_first_mention_in_each_document(page: Page, story: dict) -> None:
    rows = page.id("entities").find("tbody")[0].find("tr")
    assert len(rows) == len(story["entities"])
    docs = {d["id"]: d for d in story["documents"]}
    by_name = {e["name"]: e for e in story["entities"]}
    for row in rows:
        entity = by_name[row.find("td")[0].text()]
        first: dict[str, int] = {}
        for mention in entity["mentions"]:
            first.setdefault(mention["document"], mention["start"])
        expected = {f"#{_anchor(d)}-s{_sentence_of(docs[d], start)}" for d, start in first.items()}
        assert set(_hrefs(row)) == expected


def test_everything_shows_without_script(page: Page) -> None:
    assert not [e.tag for e in page.root.walk() if "hidden" in e.attrs]
    paged = [e for e in page.root.walk() if "data-page" in e.attrs]
    assert page.id("documents").find("div")[0] in paged  # documents page in with the script
    assert all(int(e.attrs["data-page"] or 0) > 0 for e in paged)


def _policy(page: Page) -> dict[str, str]:
    meta = next(
        m for m in page.root.find("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    parts = [p.strip().split(" ", 1) for p in (meta.attrs["content"] or "").split(";")]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts if p[0]}


def _scripts(page: Page) -> tuple[Element, Element]:
    data, code = page.root.find("script")
    return data, code


def test_policy_lets_only_the_pages_own_script_run(page: Page, live: Page) -> None:
    for view in (page, live):
        policy = _policy(view)
        data, code = _scripts(view)
        assert data.attrs == {"type": "application/json", "id": "report-data"}
        digest = hashlib.sha256(code.text().encode("utf-8")).digest()
        assert policy["script-src"] == f"'sha256-{base64.b64encode(digest).decode()}'"
        assert policy["default-src"] == "'none'" and policy["img-src"] == "data:"
        assert policy["style-src"] == "'unsafe-inline'"
    assert "connect-src" not in _policy(page)
    assert _policy(live)["connect-src"] == "'self'"


def test_data_block_maps_documents_to_their_articles(page: Page, story: dict) -> None:
    data = json.loads(_scripts(page)[0].text())
    assert data["verify_api"] is None
    for doc in story["documents"]:
        entry = data["documents"][doc["id"]]
        assert entry["anchor"] == _anchor(doc["id"]) and entry["title"] == doc["title"]
        assert page.id(entry["anchor"]).tag == "article"


def test_live_page_has_the_verify_form_near_the_top(live: Page) -> None:
    form = live.id("verify-form")
    assert form.tag == "form" and form.parent is live.id("verify")
    claim = live.id("verify-claim")
    assert claim.tag in ("textarea", "input") and claim.attrs["name"] == "claim"
    assert [b for b in form.find("button") if b.attrs.get("type") == "submit"]
    assert live.id("verify-result").attrs.get("aria-live") == "polite"
    sections = [e.attrs["id"] for e in live.id("main").children if isinstance(e, Element)]
    assert sections.index("verify") < sections.index("overview")
    assert json.loads(_scripts(live)[0].text())["verify_api"] == "api/verify"


HOSTILE = (
    "</script><script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '<a href="javascript:alert(3)">more</a>',
    "<svg onload=alert(4)>",
)


def _hostile_story() -> dict:
    """One document and every story-wide view filled with markup an attacker could plant."""
    evil = " ".join(HOSTILE)
    text = f"{evil} fell by 40% in 2024. {evil} said so."
    cut = text.index(" said so")
    doc = {
        "id": "0123456789abcdef",
        "uri": "javascript:alert(5)",
        "title": evil,
        "source": evil,
        "text": text,
        "sentences": [
            {
                "index": 0,
                "start": 0,
                "end": cut - len(evil) - 1,
                "text": text[: cut - len(evil) - 1],
            },
            {
                "index": 1,
                "start": cut - len(evil),
                "end": len(text),
                "text": text[cut - len(evil) :],
            },
        ],
        "spin": {"score": 0.9, "spun": True, "repairs": [{"start": 0, "end": 5, "restored": evil}]},
    }
    claim = {"id": "c-1", "document": doc["id"], "sentence": 0, "text": evil}
    return {
        "documents": [doc],
        "claims": [claim],
        "claim_groups": [
            {
                "statement": evil,
                "status": "contested",
                "independent_sources": 1,
                "members": [{"claim": "c-1", "document": doc["id"], "stance": "agrees"}],
            }
        ],  # fmt: skip
        "quotes": [
            {
                "document": doc["id"],
                "start": cut,
                "end": len(text),
                "text": evil,
                "speaker": "e-1",
                "speaker_name": evil,
                "direct": True,
                "via": evil,
            }
        ],  # fmt: skip
        "entities": [
            {
                "id": "e-1",
                "name": evil,
                "type": evil,
                "aliases": [evil, "javascript:x"],
                "mentions": [{"document": doc["id"], "start": 0, "end": 3}],
            }
        ],  # fmt: skip
        "events": [
            {
                "date": {"start": "2024-01-01", "end": "2024-12-31", "text": evil},
                "text": evil,
                "claims": ["c-1"],
            }
        ],  # fmt: skip
        "errors": [{"input": evil, "reason": evil}],
    }


@pytest.mark.parametrize("verify_api", [None, "api/verify"])
def test_hostile_text_in_every_view_stays_text(verify_api: str | None) -> None:
    html = render_report(_hostile_story(), verify_api=verify_api)
    page = parse(html)
    assert len(page.root.find("script")) == 2  # the data block and the page's own script
    assert not page.root.find("img")
    for element in page.root.walk():
        assert not [a for a in element.attrs if a.lower().startswith("on")], element.tag
        for name in ("href", "src", "xlink:href", "action"):
            value = (element.attrs.get(name) or "").strip().lower()
            assert not value.startswith("javascript:"), (element.tag, value)
    assert len(page.root.find("svg")) == len(page.id("timeline").find("svg"))  # no planted svg
    data = _scripts(page)[0].text()
    assert "<" not in data and ">" not in data and json.loads(data)["documents"]
    visible = page.id("main").text()
    for section in ("claim-matrix", "timeline", "quotes", "entities", "documents"):
        assert HOSTILE[0] in page.id(section).text(), section  # shown, as text
    assert visible.count(HOSTILE[1]) >= 5
