"""The claims stage end to end: claims, numbers, dates, entities, quotes, events in story.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import jsonl, settings
from storycheck.api import analyze

GAZETTE = (
    "Ferry services suspended after Kelham harbour wall cracks\n\n"
    "Harbour master Dana Okafor said on Monday that at least 1,400 passengers had been moved to "
    "buses after engineers found a crack in the harbour wall.\n\n"
    "The Kelham Port Authority (KPA) said repairs would cost about £2.5 million.\n\n"
    '"We will not reopen the ferry berth until divers have checked every metre," Okafor said.\n\n'
    "In 2019 the KPA commissioned a survey that warned of erosion between 2010 and 2018.\n\n"
    "I think the town deserves better.\n"
)
TRIBUNE = (
    "Kelham ferries halted as harbour wall fails\n\n"
    "About 1,400 ferry passengers were moved to buses, Ms Okafor told the Tribune on Monday.\n\n"
    "The Kelham Port Authority said repairs would cost about £2.5m, and that nine divers were "
    "inspecting the wall.\n\n"
    "In 2019 the KPA commissioned a survey that warned of erosion along the wall.\n"
)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("claims")
    record = {
        "title": "Ferry services suspended",
        "text": GAZETTE.split("\n\n", 1)[1],
        "url": "https://gazette.example/ferry",
        "date_publish": "2026-04-13 09:00:00",
    }
    (folder / "gazette.jsonl").write_text(jsonl(record), encoding="utf-8")
    (folder / "tribune.txt").write_text(TRIBUNE, encoding="utf-8")
    outcome = analyze([folder], folder / "out", settings())
    return json.loads(Path(outcome.story).read_text(encoding="utf-8"))


def _claim(story: dict, words: str) -> dict:
    found = [c for c in story["claims"] if words in c["text"]]
    assert found, f"no claim contains {words!r}"
    return found[0]


def test_factual_sentences_are_claims_and_opinion_is_not(story: dict) -> None:
    texts = [c["text"] for c in story["claims"]]
    assert any("1,400 passengers" in t for t in texts)
    assert not any(t.startswith("I think") for t in texts)
    for claim in story["claims"]:
        doc = next(d for d in story["documents"] if d["id"] == claim["document"])
        assert doc["text"][claim["start"] : claim["end"]] == claim["text"]
        assert 0.0 <= claim["checkworthiness"] <= 1.0
    scored = [s for d in story["documents"] for s in d["sentences"]]
    assert all(s["checkworthiness"] is not None for s in scored)


def test_numbers_are_normalised_with_qualifier_and_unit(story: dict) -> None:
    claim = _claim(story, "at least 1,400 passengers")
    assert claim["kind"] == "quantity"
    (number,) = [n for n in claim["numbers"] if n["value"] == 1400]
    assert number["qualifier"] == "at_least"
    assert number["unit"] == "passenger"
    money = _claim(story, "£2.5m")["numbers"]
    assert [(n["value"], n["unit"]) for n in money][:1] == [(2_500_000, "GBP")]
    divers = _claim(story, "nine divers")["numbers"]
    assert any(n["value"] == 9 and n["unit"] == "diver" for n in divers)


def test_dates_are_periods_and_bare_years_stay_years(story: dict) -> None:
    dates = _claim(story, "between 2010 and 2018")["dates"]
    spans = {(d["start"], d["end"]) for d in dates}
    assert ("2019-01-01", "2019-12-31") in spans
    assert ("2010-01-01", "2018-12-31") in spans
    # "on Monday" is anchored on the JSONL record's publication date, a Monday.
    monday = _claim(story, "Harbour master Dana Okafor said on Monday")["dates"]
    assert ("2026-04-13", "2026-04-13") in {(d["start"], d["end"]) for d in monday}


def test_entities_merge_aliases_across_documents(story: dict) -> None:
    by_alias = {a: e for e in story["entities"] for a in e["aliases"]}
    okafor = by_alias["Dana Okafor"]
    assert okafor["type"] == "person"
    assert len(okafor["documents"]) == 2
    authority = by_alias["Kelham Port Authority"]
    assert by_alias["KPA"] is authority
    assert len(authority["documents"]) == 2
    claim = _claim(story, "commissioned a survey that warned of erosion between")
    assert authority["id"] in claim["entities"]


def test_quotes_have_speakers_resolved_to_entities(story: dict) -> None:
    okafor = next(e for e in story["entities"] if "Dana Okafor" in e["aliases"])
    direct = next(q for q in story["quotes"] if q["text"].startswith("We will not reopen"))
    assert direct["direct"] is True
    assert direct["speaker"] == okafor["id"]
    told = [q for q in story["quotes"] if q["via"] == "Tribune"]
    assert told and told[0]["speaker"] == okafor["id"]


def test_events_join_documents_that_date_the_same_happening(story: dict) -> None:
    survey = [e for e in story["events"] if e["date"]["start"] == "2019-01-01"]
    assert len(survey) == 1
    assert len(survey[0]["documents"]) == 2
    assert len(survey[0]["claims"]) == 2
    starts = [e["date"]["start"] or "" for e in story["events"]]
    assert starts == sorted(starts)
