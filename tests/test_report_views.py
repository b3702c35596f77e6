"""The report's story-wide views on the demo story: claim matrix, timeline, quotes, entities,
claims marked in the text, and the live verify box."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from storycheck.report import render_report
from storycheck.report import views as sections


@pytest.fixture(scope="module")
def story(demo: tuple[Path, dict]) -> dict:
    return demo[1]


@pytest.fixture(scope="module")
def page(story: dict) -> str:
    return render_report(story)


def _places(story: dict) -> sections.Places:
    docs = story["documents"]
    refs = [sections.Ref(n, f"doc-{d['id']}", d["title"]) for n, d in enumerate(docs, start=1)]
    return sections.Places(docs, refs)


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def test_every_in_page_link_lands_on_an_element(page: str) -> None:
    ids = _ids(page)
    targets = set(re.findall(r'href="#([^"]*)"', page))
    assert targets and targets <= ids, targets - ids


def test_matrix_rows_are_groups_contested_first_with_a_mark_per_member(
    story: dict, page: str
) -> None:
    matrix = sections.claim_matrix(story, _places(story))
    statuses = [row["status"] for row in matrix["rows"]]
    assert statuses[0] == "contested"
    assert statuses == sorted(statuses, key=list(sections.STATUS).index)
    for row in matrix["rows"]:
        marked = [cell["stance"] for cell in row["row"]]
        assert set(marked) <= {"agrees", "contradicts", "silent"}
        members = {m["ref"].number for m in row["members"] if m["ref"]}
        assert {c["ref"].number for c in row["row"] if c["stance"] != "silent"} == members
    contested = matrix["rows"][0]
    stances = {c["stance"] for c in contested["row"]}
    assert {"agrees", "contradicts"} <= stances
    table = page[
        page.index('id="claim-matrix"') : page.index("</table>", page.index("claim-matrix"))
    ]
    first = re.search(r'<tr class="(\w+)" id="group-1">', table)
    assert first and first.group(1) == "contested"
    assert '<span class="vh"> contradicts</span>' in table  # in words, not in colour alone


def test_matrix_cells_link_to_the_member_claims_sentence(story: dict) -> None:
    places = _places(story)
    matrix = sections.claim_matrix(story, places)
    texts = {f"doc-{d['id']}-s{s['index']}": s["text"] for d in story["documents"]
             for s in d["sentences"]}  # fmt: skip
    claims = {c["id"]: c for c in story["claims"]}
    for row in matrix["rows"]:
        for member in row["members"]:
            assert member["href"][1:] in texts
            assert member["text"] in texts[member["href"][1:]]
    assert all(c["sentence"] is not None for c in claims.values())


def _assert_to_scale(strip: dict) -> None:
    """Each bar starts at its day's place on the strip's axis, and no two on a lane overlap."""
    span = (strip["last"] - strip["first"]).days + 1
    inner = strip["width"] - 2 * 24
    for bar in strip["bars"]:
        day = (bar["events"][0]["start"] - strip["first"]).days
        expected = 24 + inner * day / span
        edge = strip["width"] - 12  # a mark near the end is pulled back into view
        pulled = bar["x"] < expected and bar["x"] + bar["w"] == pytest.approx(edge, abs=0.2)
        assert bar["x"] == pytest.approx(expected, abs=0.2) or pulled
    lanes: dict[int, list[tuple[float, float]]] = {}
    for bar in strip["bars"]:
        lanes.setdefault(bar["y"], []).append((bar["x"], bar["x"] + bar["w"]))
    for spans in lanes.values():
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start


def test_timeline_is_to_scale_and_lists_every_dated_event(story: dict, page: str) -> None:
    timeline = sections.timeline(story, _places(story))
    assert timeline is not None
    events = timeline["events"]
    assert len(events) == len(story["events"])
    starts = [e["start"] for e in events]
    assert starts == sorted(starts)
    whole = timeline["strips"][0]
    bars = whole["bars"]
    assert sorted(e["number"] for b in bars for e in b["events"]) == list(range(1, len(events) + 1))
    assert all(len({(e["start"], e["end"]) for e in b["events"]}) == 1 for b in bars)
    assert whole["first"] == starts[0] and whole["last"] == max(e["end"] for e in events)
    for strip in timeline["strips"]:
        _assert_to_scale(strip)
    assert 'id="timeline"' in page and page.count('<li id="event-') == len(events)
    assert all(s["href"].startswith("#doc-") for e in events for s in e["sources"])


def test_busy_days_get_a_close_up(story: dict) -> None:
    """The demo's news happens over a few days of March 2026, but its background goes back to
    2019: those days are drawn again on an axis of their own."""
    timeline = sections.timeline(story, _places(story))
    whole, close = timeline["strips"]
    inside = [e for e in timeline["events"]
              if close["first"] <= e["start"] and e["end"] <= close["last"]]  # fmt: skip
    assert close["events"] == len(inside) >= len(timeline["events"]) / 2
    assert 4 * ((close["last"] - close["first"]).days + 1) <= (
        (whole["last"] - whole["first"]).days + 1
    )
    assert sorted(e["number"] for b in close["bars"] for e in b["events"]) == [
        e["number"] for e in inside
    ]
    assert whole["zoom"] is not None and close["zoom"] is None
    assert {t["label"][-8:] for t in close["ticks"]} == {"Mar 2026"}  # days, not years


def test_no_close_up_when_the_events_are_spread_out() -> None:
    events = [
        {"start": date(2020 + n, 1, 1), "end": date(2020 + n, 12, 31), "number": n + 1}
        for n in range(6)
    ]
    assert sections._busiest(events) is None
    assert sections._busiest(events[:3]) is None  # too few to need one
    days = (1, 2, 3, 4, 5, 9)
    crowded = events[:4] + [
        {"start": date(2026, 3, d), "end": date(2026, 3, d), "number": 5 + n}
        for n, d in enumerate(days)
    ]
    # the five days holding half the events, widened to take in the ninth close after them
    assert sections._busiest(crowded) == (date(2026, 3, 1), date(2026, 3, 9))


def test_ticks_suit_the_span() -> None:
    years = sections._ticks(date(2019, 1, 1), date(2026, 3, 16))
    assert years[0] == date(2019, 1, 1) and all(t.month == 1 and t.day == 1 for t in years)
    months = sections._ticks(date(2026, 1, 10), date(2026, 6, 2))
    assert all(t.day == 1 for t in months) and 2 <= len(months) <= 12
    days = sections._ticks(date(2026, 3, 12), date(2026, 3, 16))
    assert days[0] == date(2026, 3, 12) and len(days) == 5


def test_quotes_are_grouped_by_speaker_entity(story: dict, page: str) -> None:
    places = _places(story)
    speakers = sections.quotes_by_speaker(story, places)
    assert sum(s["said"] for s in speakers) == len(story["quotes"])
    said = [s["said"] for s in speakers if s["name"]]
    assert said == sorted(said, reverse=True)
    names = {e["id"]: e["name"] for e in story["entities"]}
    for quote in story["quotes"]:
        if quote["speaker"]:
            speaker = next(s for s in speakers if s["name"] == names[quote["speaker"]])
            same = [
                q for q in speaker["quotes"] if q["text"].casefold() == quote["text"].casefold()
            ]
            assert len(same) == 1  # repeated words are one quote, with each place they appear
            sentence = places.sentence_at(quote["document"], quote["start"])
            href = places.href(quote["document"], sentence)
            assert href in [p["href"] for p in same[0]["places"]]
    repeated = [q for s in speakers for q in s["quotes"] if len(q["places"]) > 1]
    assert repeated, "copies repeat their source's quotes"
    assert 'id="quotes"' in page


def test_entities_show_mentions_per_document(story: dict, page: str) -> None:
    found = sections.entities(story, _places(story))
    assert len(found) == len(story["entities"])

    def order(entity: dict) -> tuple:
        return (-len({m["document"] for m in entity["mentions"]}), -len(entity["mentions"]),
                entity["name"])  # fmt: skip

    for view, entity in zip(found, sorted(story["entities"], key=order), strict=True):
        assert view["name"] == entity["name"]
        assert view["mentions"] == len(entity["mentions"])
        assert {d["ref"].anchor for d in view["documents"]} == {
            f"doc-{m['document']}" for m in entity["mentions"]
        }
    assert 'id="entities"' in page


def test_claims_are_marked_in_the_text_and_link_to_their_groups(story: dict, page: str) -> None:
    for claim in story["claims"]:
        assert f'class="sent claim" id="doc-{claim["document"]}-s{claim["sentence"]}"' in page
    assert re.search(r'<a class="gref contested" href="#group-\d+">contested</a>', page)


def test_the_file_has_no_verify_box_and_the_live_page_has_one(story: dict, page: str) -> None:
    assert 'id="verify-form"' not in page and "connect-src" not in page
    live = render_report(story, verify_api="api/verify")
    assert 'id="verify-form"' in live and "connect-src &#39;self&#39;" in live
    assert '"verify_api": "api/verify"' in live
