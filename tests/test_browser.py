"""End-to-end: the report and the web UI in headless Chromium, driven by Playwright.

Chromium comes from the system (setup.sh installs Debian's). Where it is missing these tests
skip, unless ``STORYCHECK_REQUIRE_BROWSER`` is set, as CI sets it: there a missing browser is a
failure, not a silent skip.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from conftest import jsonl, settings
from storycheck.api import analyze
from storycheck.errors import MissingResourceError
from storycheck.web import create_app
from storycheck.web.browser import chromium_path, launch

playwright_api = pytest.importorskip("playwright.sync_api")

try:
    chromium_path()
except MissingResourceError as missing:
    if os.environ.get("STORYCHECK_REQUIRE_BROWSER"):
        raise
    pytest.skip(str(missing), allow_module_level=True)

PAYLOADS = (
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<a href=\"javascript:window.__pwned = 'link'\">read more</a>",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
)
# Any trace of a payload having run: a flag, a dialog, an event-handler attribute, a live link.
_ATTACK_TRACES = """() => ({
  pwned: window.__pwned ?? null,
  handlers: [...document.querySelectorAll('*')].filter(
      e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  scriptLinks: [...document.querySelectorAll('*')].filter(
      e => ['href', 'xlink:href', 'src', 'action', 'formaction'].some(
          n => (e.getAttribute(n) || '').trim().toLowerCase().startsWith('javascript:'))).length,
})"""


@dataclass
class Watched:
    """A page with every console error and uncaught exception it produced."""

    page: object
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: object) -> Iterator:
    """Open a URL at a viewport width; collects console errors, page errors and dialogs."""
    contexts = []

    def _open(url: str, width: int = 1280) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        page.on("console", lambda m: m.type == "error" and watched.errors.append(m.text))
        page.on("pageerror", lambda e: watched.errors.append(str(e)))
        page.on("dialog", lambda d: (watched.dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        page.wait_for_load_state("load")
        return watched

    yield _open
    for context in contexts:
        context.close()


def _serve(folder: Path) -> Iterator[str]:
    """Run the web UI for ``folder`` on a free loopback port for the duration of a fixture."""
    server = uvicorn.Server(uvicorn.Config(create_app(folder), log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the web UI did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def demo_server(demo: tuple[Path, dict]) -> Iterator[str]:
    yield from _serve(demo[0])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A story whose documents carry script, event handlers and javascript: links everywhere
    a scraped page can put them: title, outlet, URL and body, in a report and in its copy."""
    inputs = tmp_path_factory.mktemp("hostile-in")
    body = (
        "Flood waters reached 40 homes in Amberley on Monday, the county council said. "
        f"{PAYLOADS[0]} Residents were moved to the school hall. {PAYLOADS[1]}\n\n"
        f"The council said repairs to the river wall would cost £2 million. {PAYLOADS[2]} "
        f'{PAYLOADS[3]} A spokesperson said: "We acted as fast as we could {PAYLOADS[0]}."\n'
    )
    (inputs / "hostile.jsonl").write_text(
        jsonl(
            {
                "title": f"Flood in Amberley {PAYLOADS[1]}",
                "text": body,
                "url": "javascript:window.__pwned='url'",
                "source_domain": PAYLOADS[0],
                "date_publish": "2026-02-02",
            }
        ),  # fmt: skip
        encoding="utf-8",
    )
    (inputs / "copy.txt").write_text(f"Flood {PAYLOADS[3]} copied\n{body}", encoding="utf-8")
    out = tmp_path_factory.mktemp("hostile-out")
    analyze([inputs], out, settings())
    return out


@pytest.fixture(scope="module")
def hostile_server(hostile: Path) -> Iterator[str]:
    yield from _serve(hostile)


def _assert_inert(watched: Watched) -> None:
    traces = watched.page.evaluate(_ATTACK_TRACES)
    assert traces == {"pwned": None, "handlers": 0, "scriptLinks": 0}
    assert not watched.dialogs
    shown = watched.page.inner_text("body")
    assert PAYLOADS[0] in shown and PAYLOADS[1] in shown, "payloads show as plain text"
    assert not watched.errors, watched.errors


@pytest.mark.parametrize("where", ["file", "server"])
def test_hostile_documents_render_as_inert_text(
    where: str, hostile: Path, open_page, request: pytest.FixtureRequest
) -> None:
    if where == "file":
        url = (hostile / "report.html").as_uri()
    else:
        url = request.getfixturevalue("hostile_server")
    watched = open_page(url)
    _assert_inert(watched)
    hrefs = watched.page.eval_on_selector_all(
        "a[href^='#']", "as => as.map(a => a.getAttribute('href'))"
    )
    for href in hrefs:  # follow every in-page link too: none may run anything
        watched.page.evaluate("hash => { location.hash = hash; }", href)
    _assert_inert(watched)


def test_a_hostile_claim_in_the_verify_box_stays_text(hostile_server: str, open_page) -> None:
    watched = open_page(hostile_server)
    claim = PAYLOADS[1] + " 40 homes were flooded"
    watched.page.fill("#verify-claim", claim)
    watched.page.locator("#verify-form [type=submit]").click()
    result = watched.page.locator("#verify-result")
    playwright_api.expect(result).to_contain_text(re.compile("supported|refuted|conflicting|not"))
    _assert_inert(watched)


def test_demo_report_from_disk_renders_without_errors(demo: tuple[Path, dict], open_page) -> None:
    folder, story = demo
    watched = open_page((folder / "report.html").as_uri())
    assert watched.page.title()
    assert watched.page.locator("#documents article").count() == len(story["documents"])
    assert not watched.errors, watched.errors


def test_find_the_contested_group(demo_server: str, open_page) -> None:
    watched = open_page(demo_server)
    first = watched.page.locator("#claim-matrix tbody tr").first
    playwright_api.expect(first).to_have_class(re.compile(r"\bcontested\b"))
    playwright_api.expect(first).to_be_visible()
    assert re.search(r"1,200|2,100", first.inner_text()), "the disputed evacuation figure"
    assert not watched.errors, watched.errors


def test_open_a_document_from_the_overview(demo: tuple[Path, dict], demo_server: str,
                                           open_page) -> None:  # fmt: skip
    _, story = demo
    courier = next(d for d in story["documents"] if d["uri"].endswith("02-courier-report.html"))
    watched = open_page(demo_server)
    watched.page.get_by_role("link", name=courier["title"], exact=True).first.click()
    anchor = watched.page.evaluate("location.hash").lstrip("#")
    article = watched.page.locator(f"article[id='{anchor}']")
    playwright_api.expect(article).to_be_in_viewport()
    playwright_api.expect(article).to_contain_text(courier["sentences"][0]["text"][:60])
    assert not watched.errors, watched.errors


def test_verify_a_claim_and_follow_its_evidence(demo: tuple[Path, dict], demo_server: str,
                                                open_page) -> None:  # fmt: skip
    _, story = demo
    watched = open_page(demo_server)
    page = watched.page
    page.fill("#verify-claim", "About 2,100 residents were evacuated.")
    page.locator("#verify-form [type=submit]").click()
    result = page.locator("#verify-result")
    playwright_api.expect(result).to_contain_text("conflicting", timeout=60_000)
    evidence = result.locator("a[href^='#']")
    assert evidence.count() >= 2
    target = evidence.first.get_attribute("href").lstrip("#")
    evidence.first.click()
    sentence = page.locator(f"[id='{target}']")
    playwright_api.expect(sentence).to_be_in_viewport()
    texts = {s["text"] for d in story["documents"] for s in d["sentences"]}
    assert sentence.inner_text().strip() in texts, "the link lands on the evidence sentence"
    assert not watched.errors, watched.errors


def test_readable_at_phone_width(demo_server: str, open_page) -> None:
    watched = open_page(demo_server, width=390)
    overflow = watched.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at phone width"


def test_keyboard_reaches_the_content_first(demo_server: str, open_page) -> None:
    page = open_page(demo_server).page
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent")
    assert re.search("skip", first, re.IGNORECASE), "the first Tab stop skips to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash")


def test_api_json_in_the_browser(demo: tuple[Path, dict], demo_server: str, open_page) -> None:
    page = open_page(demo_server + "api/claim-groups?status=contested").page
    groups = json.loads(page.inner_text("body"))
    assert groups and all(g["status"] == "contested" for g in groups)
