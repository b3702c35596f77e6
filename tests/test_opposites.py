"""The verb opposites table compiled from WordNet at install time."""

from __future__ import annotations

import pytest

from storycheck.crosscheck import opposites
from storycheck.errors import MissingResourceError


@pytest.mark.parametrize(
    ("form", "verb"),
    [("rose", "rise"), ("risen", "rise"), ("began", "begin"), ("praising", "praise"),
     ("criticised", "criticize"), ("criticizes", "criticize"), ("stopped", "stop"),
     ("acquitted", "acquit")],
)  # fmt: skip
def test_inflected_and_british_forms_map_to_the_verb(form: str, verb: str) -> None:
    assert verb in opposites.load().verbs(form)


def test_opposites_are_symmetric_and_skip_converses() -> None:
    table = opposites.load().opposite
    assert "fall" in table["rise"] and "rise" in table["fall"]
    assert "criticize" in table["praise"]
    assert "sell" not in table.get("buy", ())
    assert "lend" not in table.get("borrow", ())
    # pairs news sets against each other that WordNet does not list
    assert "reject" in table["approve"] and "approve" in table["reject"]
    assert "overturn" in table["uphold"]
    assert all(verb in table[other] for verb, others in table.items() for other in others)


def test_made_up_forms_are_not_listed() -> None:
    # WordNet's morphology alone would read "praisees" as "praise"
    assert opposites.load().verbs("praisees") == ()


def test_words_capitalised_inside_a_sentence_are_names() -> None:
    assert opposites.verbs_in("Exports fell, said Rose Keogh.") == [("fall", 8)]
    assert opposites.verbs_in("Rose by 4% on Monday.") == [("rise", 0)]


def test_missing_table_names_the_install_step(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STORYCHECK_DATA_DIR", str(tmp_path))
    opposites.load.cache_clear()
    try:
        with pytest.raises(MissingResourceError, match="setup.sh"):
            opposites.load()
    finally:
        monkeypatch.delenv("STORYCHECK_DATA_DIR")
        opposites.load.cache_clear()
