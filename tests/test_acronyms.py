"""Acronyms a story defines, written out in the texts verify and the claim groups compare."""

from __future__ import annotations

from storycheck.crosscheck.acronyms import expand, find_acronyms

TEXTS = [
    "Keogh served as Director of Public Prosecutions (DPP) for five years.",
    "The Lowmoor Fire and Rescue Service (LFRS) and the Crown Prosecution Service (CPS) agreed.",
    # initials that do not spell the words before them define nothing
    "He joined the army (UK) and wrote for a paper (BBC).",
    # one acronym, two long forms: the story does not say which a bare use means
    "The Environment Agency (EA) and the Energy Authority (EA) disagreed.",
]


def test_definitions_are_found_with_their_long_form() -> None:
    assert find_acronyms(TEXTS) == {
        "DPP": "Director of Public Prosecutions",
        "LFRS": "Lowmoor Fire and Rescue Service",
        "CPS": "Crown Prosecution Service",
    }


def test_bare_uses_are_written_out_and_definitions_left_alone() -> None:
    acronyms = find_acronyms(TEXTS)
    assert expand("As DPP, Keogh led the CPS.", acronyms) == (
        "As Director of Public Prosecutions, Keogh led the Crown Prosecution Service."
    )
    assert expand(TEXTS[0], acronyms) == TEXTS[0]
    # whole words only, and an ambiguous acronym stays as written
    assert expand("DPPs and the EA met.", acronyms) == "DPPs and the EA met."
