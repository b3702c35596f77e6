"""Shared fixtures: small news documents written for the tests, in every input format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storycheck.config import Settings
from storycheck.store import Store

REPORT = (
    "Harbour crane collapses at Port Selwick\n"
    "A container crane collapsed at Port Selwick on Tuesday, injuring two dock workers.\n"
    "The port authority said 14 ships were diverted to Kelham while engineers inspected the quay.\n"
    '"We will not reopen berth four until every crane has been checked," said harbourmaster '
    "Dana Okafor.\n"
)

HTML_PAGE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Crane collapse closes berth | Selwick Gazette</title>
<meta property="og:title" content="Crane collapse closes berth">
<meta property="og:site_name" content="Selwick Gazette">
<meta name="author" content="Priya Lund">
<meta property="article:published_time" content="2026-05-12T08:30:00Z">
<link rel="canonical" href="https://selwickgazette.example/news/crane-collapse">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Crane collapse closes berth</h1>
<p>A container crane collapsed at Port Selwick on Tuesday morning, injuring two dock workers
who were taken to the county hospital with minor injuries.</p>
<p>The port authority said fourteen ships had been diverted to the neighbouring port of Kelham
while structural engineers inspected the damaged quay and the remaining cranes.</p>
<p>"We will not reopen berth four until every crane has been checked," harbourmaster Dana Okafor
told reporters at the gate.</p>
</article>
<footer>© Selwick Gazette. Cookie settings. Privacy policy.</footer>
</body></html>
"""


DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo story analyzed once for the session: its folder and its story.json.

    Tests read it and may add caches to its store; none may change what it says.
    """
    from storycheck.api import analyze

    out = tmp_path_factory.mktemp("demo")
    outcome = analyze([DEMO], out, settings())
    return out, json.loads(Path(outcome.story).read_text(encoding="utf-8"))


def settings(**changes: object) -> Settings:
    """Test settings: the defaults with ``changes`` applied."""
    from dataclasses import replace

    return replace(Settings(workers=1), **changes)  # type: ignore[arg-type]


@pytest.fixture
def write(tmp_path: Path):
    """Write ``content`` (str or bytes) to ``tmp_path/name`` and return the path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "out" / "story.db") as opened:
        yield opened


def ngram_articles(root: Path, count: int) -> int:
    """Write ``count`` copies of a demo document where the bbc-news corpus split puts ``ngram``
    articles (the part the despinner's reader and SmolLM2's tuning learn from)."""
    from storycheck.repair.corpus import part_of

    text = (DEMO / "07-authority-statement.txt").read_text() * 2
    made = 0
    for n in range(40):
        rel = f"news/{n:03d}.txt"
        if part_of(rel) == "ngram" and made < count:
            (root / "news").mkdir(exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
            made += 1
    assert made == count
    return made


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)
