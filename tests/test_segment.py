"""Sentences with exact offsets, including headlines, abbreviations and quoted passages."""

from __future__ import annotations

import pytest

from storycheck.segment import sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Crane falls at port\nTwo men were hurt. The berth is shut.",
            ["Crane falls at port", "Two men were hurt.", "The berth is shut."],
        ),
        (
            "Mr. Okafor met Dr. Ruiz at 5 p.m. on Tuesday. They spoke for an hour.",
            ["Mr. Okafor met Dr. Ruiz at 5 p.m. on Tuesday.", "They spoke for an hour."],
        ),
        (
            "Growth was 2.5% in the U.S. economy last year. Prices rose.",
            ["Growth was 2.5% in the U.S. economy last year.", "Prices rose."],
        ),
        # A quotation of several sentences is split into its sentences, quote marks kept.
        (
            "As the Gazette reported: “The crane fell at seven. Two men were hurt.” Work stopped.",
            [
                "As the Gazette reported: “The crane fell at seven.",
                "Two men were hurt.”",
                "Work stopped.",
            ],
        ),
        (
            '"We have never seen a flow like it. The water rose in minutes," said Ana Ruiz.',
            ['"We have never seen a flow like it.', 'The water rose in minutes," said Ana Ruiz.'],
        ),
        # A list item's marker is layout, not part of its sentence; a dash inside a line stays.
        (
            "Cases reviewed:\n- May 2012 - 9 men convicted in Rochdale\n  • Reopened cases\n"
            "* Two more",
            [
                "Cases reviewed:",
                "May 2012 - 9 men convicted in Rochdale",
                "Reopened cases",
                "Two more",
            ],
        ),
        # A short quotation inside a sentence stays in it.
        (
            'Mr. Balls said "there would be no spree" before the election. He left.',
            ['Mr. Balls said "there would be no spree" before the election.', "He left."],
        ),
    ],
)
def test_sentences_and_offsets(text, expected):
    found = sentences(text)
    assert [s.text for s in found] == expected
    assert all(text[s.start : s.end] == s.text for s in found)
    assert [s.index for s in found] == list(range(len(found)))
