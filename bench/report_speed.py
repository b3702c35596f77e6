"""Report generation time for a large story, and the size of the page.

    python bench/report_speed.py --docs 1000 --repeat 3

A story of ``--docs`` documents is made from an analyzed story (the bundled demo by default,
or ``--story DIR`` written by ``storycheck analyze``) by cloning its documents under new ids,
with their claims, claim groups, quotes, entity mentions, events and derivations remapped, so
the big story has the demo's shape at scale: every section full, a derivation graph past its
drawing limit, a claim matrix past its column limit. Prints the median render time over
``--repeat`` runs, the page size, and the command. ``--browser`` also opens the big page in
headless Chromium and times its load, a jump to the last document (on a page the script has
hidden) and a "show more" click: the page must stay responsive, not only render fast.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storycheck.api import analyze
from storycheck.report import render_report

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"


def clone(story: dict, copies: int) -> dict:
    """``copies`` copies of every document of ``story``, each copy with its own ids."""

    def rename(doc_id: str, k: int) -> str:
        return f"{doc_id}-{k}"

    def claim(claim_id: str, k: int) -> str:
        return f"{claim_id}-{k}"

    out: dict = {key: [] for key in ("documents", "derivations", "claims", "claim_groups",
                                     "quotes", "events")}  # fmt: skip
    out["entities"] = [{**e, "mentions": [], "documents": []} for e in story["entities"]]
    out["errors"] = story.get("errors", [])
    for k in range(copies):
        for doc in story["documents"]:
            origin = doc.get("origin")
            out["documents"].append({**doc, "id": rename(doc["id"], k),
                                     "origin": origin and rename(origin, k)})  # fmt: skip
        for edge in story["derivations"]:
            out["derivations"].append(
                {**edge, "source": rename(edge["source"], k), "target": rename(edge["target"], k)}
            )
        for item in story["claims"]:
            out["claims"].append(
                {**item, "id": claim(item["id"], k), "document": rename(item["document"], k)}
            )
        for group in story["claim_groups"]:
            members = [{**m, "claim": claim(m["claim"], k), "document": rename(m["document"], k),
                        "origin": rename(m["origin"], k)} for m in group["members"]]  # fmt: skip
            out["claim_groups"].append({**group, "id": f"{group['id']}-{k}", "members": members})
        for quote in story["quotes"]:
            out["quotes"].append({**quote, "document": rename(quote["document"], k)})
        for event in story["events"]:
            out["events"].append({**event, "claims": [claim(c, k) for c in event["claims"]]})
        for mine, theirs in zip(out["entities"], story["entities"], strict=True):
            mine["mentions"] += [{**m, "document": rename(m["document"], k)}
                                 for m in theirs["mentions"]]  # fmt: skip
    return out


def browse(page: str) -> None:
    """Load ``page`` in headless Chromium and time what a reader does first."""
    from playwright.sync_api import sync_playwright

    from storycheck.web.browser import launch

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = Path(tmp) / "report.html"
        path.write_text(page, encoding="utf-8")
        browser = launch(playwright)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        tab.goto(path.as_uri(), timeout=300_000)
        loaded = time.perf_counter() - start
        last = tab.eval_on_selector_all("article.doc", "docs => docs[docs.length - 1].id")
        start = time.perf_counter()
        tab.evaluate("id => { location.hash = id + '-s0'; }", last)
        tab.wait_for_function("id => !document.getElementById(id).closest('[hidden]')", arg=last)
        jumped = time.perf_counter() - start
        start = time.perf_counter()
        tab.locator("button.more").first.click()
        more = time.perf_counter() - start
        browser.close()
    print(f"browser: load {loaded:.2f} s, jump to the last document {jumped:.2f} s, "
          f"show more {more:.2f} s, {len(errors)} page errors")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--story", type=Path, help="a folder written by storycheck analyze")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.story or analyze([DEMO], Path(tmp) / "demo").story.parent
        story = json.loads((folder / "story.json").read_text(encoding="utf-8"))
    copies = -(-args.docs // len(story["documents"]))
    big = clone(story, copies)
    small_times, times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        render_report(story)
        small_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        page = render_report(big)
        times.append(time.perf_counter() - start)
    n_docs = len(big["documents"])
    median = statistics.median(times)
    print(f"story: {n_docs} documents, {sum(len(d['sentences']) for d in big['documents'])} "
          f"sentences, {len(big['claims'])} claims, {len(big['claim_groups'])} claim groups, "
          f"{len(big['quotes'])} quotes, {len(big['events'])} events")  # fmt: skip
    print(f"render: median {median:.2f} s over {args.repeat} runs "
          f"({n_docs / median:.0f} documents/s); the {len(story['documents'])}-document story: "
          f"{statistics.median(small_times) * 1000:.0f} ms")  # fmt: skip
    print(f"page: {len(page.encode('utf-8')) / 1e6:.1f} MB")
    if args.browser:
        browse(page)
    print(f"command: python bench/report_speed.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
