"""Republication tails and credits are cut from the text and kept as signals."""

from __future__ import annotations

import pytest

from storycheck.repair.boilerplate import clean

BODY = (
    "Engineers inspected the collapsed crane at Port Selwick on Wednesday.\n"
    "The port authority said berth four would stay closed until next month."
)


@pytest.mark.parametrize(
    ("tail", "kind", "origin", "genre"),
    [
        (
            "Read Full Article at Selwick Gazette.",
            "read_full_article",
            "Selwick Gazette",
            "republication",
        ),
        (
            "Read the full story at https://www.quaydaily.example/news/123",
            "read_full_article",
            "quaydaily.example",
            "republication",
        ),
        (
            "This article originally appeared on Harbour News.",
            "originally_appeared",
            "Harbour News",
            "republication",
        ),
        (
            "The post Crane inquiry opens appeared first on Dockside Weekly.",
            "appeared_first",
            "Dockside Weekly",
            "republication",
        ),
        (
            "This article is republished from The Quay under a Creative Commons license.",
            "republished",
            "The Quay",
            "republication",
        ),
        ("Source link", "source_link", None, "aggregator"),
        ("Source: Selwick Gazette", "source_credit", "Selwick Gazette", "republication"),
        ("Additional reporting by Ana Ruiz and Tom Bell", "additional_reporting", None, "unknown"),
        ("Reporting by Ana Ruiz; Editing by Tom Bell", "additional_reporting", None, "unknown"),
        (
            "Ana Ruiz contributed to this report for Wire Weekly",
            "contributed_reporting",
            None,
            "unknown",
        ),
        ("© 2026 Selwick Gazette. All rights reserved.", "copyright", None, "unknown"),
        ("-ENDS-", "press_release_end", None, "unknown"),
        (
            "Media enquiries: Port Press Office, press@port.example, 01632 960 000",
            "media_contact",
            None,
            "unknown",
        ),
    ],
)
def test_tails_are_cut_and_kept(tail, kind, origin, genre):
    text = f"{BODY}\n{tail}"
    result = clean(text, None)
    assert result.text == BODY
    (signal,) = result.signals
    assert signal.kind == kind
    assert text[signal.start : signal.end] == tail.strip()
    assert result.republished_from == origin
    assert result.genre == genre


def test_credit_values_name_people_or_outlets():
    result = clean(f"{BODY}\nAna Ruiz contributed to this report for Wire Weekly", None)
    assert result.signals[0].value == "Wire Weekly"
    result = clean(f"{BODY}\nAdditional reporting by Ana Ruiz and Tom Bell", None)
    assert result.signals[0].value == "Ana Ruiz and Tom Bell"


def test_aggregator_teaser_and_repeated_title():
    title = "Crane inquiry opens in Selwick"
    text = (
        f"{title}\n"
        "An inquiry opened into the crane collapse. Read Full Article at Quay Daily.\n\n"
        f"{title}\n{BODY}\nSource link"
    )
    result = clean(text, None)
    assert result.title == title and result.title_source == "headline"
    assert result.text == BODY
    assert [s.kind for s in result.signals] == [
        "read_full_article",
        "repeated_title",
        "source_link",
    ]
    assert result.republished_from == "Quay Daily"
    assert result.genre == "republication"


def test_markers_inside_the_story_are_not_cut():
    # Credits only count in the tail, and phrases mid-sentence are not markers.
    text = (
        "Source: the port authority's own figures show 14 ships were diverted.\n"
        "Dana Okafor said she would read the full report at home before commenting.\n"
        f"{BODY}"
    )
    result = clean(text, None)
    assert result.text == text and result.signals == []
    assert result.republished_from is None and result.genre == "unknown"


def test_metadata_title_line_is_not_repeated_in_the_text():
    result = clean(f"Crane collapse closes berth\n{BODY}", "Crane collapse closes berth")
    assert result.text == BODY and result.title_source == "metadata"
    assert result.signals == []


def test_a_sentence_is_not_a_headline():
    result = clean(f"{BODY}\nMore text follows here.", None)
    assert result.title is None and result.title_source is None
