"""Entities: spaCy mentions merged into story-wide entities under every alias the story uses."""

from __future__ import annotations

import pytest

from storycheck.claims.entities import initials, mentions, name_key, resolve
from storycheck.models.nlp import load_nlp
from storycheck.records import Mention
from storycheck.segment import sentences

FIRST = (
    "Dame Hilary Voss, the former head of the Harbour Safety Board (HSB), said the port was "
    "unsafe. Ms Voss told reporters that the Harbour Safety Board had warned Kelham Council in "
    "2019. Voss's report named Arjun Mehta."
)
SECOND = (
    "Voss has not commented since. The HSB said on Monday that it stood by the findings. "
    "Kelham Council disputed the report, and Arjun Mehta declined to speak to the Gazette."
)


def _mentions(text: str) -> list[Mention]:
    return mentions(load_nlp()(text), [s.start for s in sentences(text)])


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Sir Keir Starmer", "keir starmer"),
        ("Mr Starmer", "starmer"),
        ("Starmer's", "starmer"),
        ("the Crown Prosecution Service", "crown prosecution service"),
        ("Dr. Imogen Farrant", "imogen farrant"),
        ("Lord", "lord"),  # a lone title is a name, not nothing
    ],
)
def test_name_key_drops_honorifics_articles_and_possessives(written: str, key: str) -> None:
    assert name_key(written) == key


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("Crown Prosecution Service", "CPS"),
        ("National Crime Agency", "NCA"),
        ("Director of Public Prosecutions", "DPP"),
        ("Harbour Safety Board", "HSB"),
    ],
)
def test_initials_skip_small_words(name: str, letters: str) -> None:
    assert initials(name) == letters


def test_mentions_point_into_the_text_without_articles_or_possessives() -> None:
    found = _mentions(FIRST)
    assert found, "the model finds names in plain news text"
    for mention in found:
        assert FIRST[mention.start : mention.end] == mention.text
        assert not mention.text.lower().startswith("the ")
        assert not mention.text.endswith("'s")
    assert any(m.text == "Voss" for m in found)


def test_resolve_merges_titles_surnames_and_acronyms_across_documents() -> None:
    resolved = resolve([("a", FIRST, _mentions(FIRST)), ("b", SECOND, _mentions(SECOND))])
    by_alias = {alias: e for e in resolved.entities for alias in e.aliases}
    voss = by_alias["Voss"]
    assert voss.type == "person"
    assert voss.name == "Hilary Voss"
    assert {"Ms Voss", "Voss"} <= set(voss.aliases)
    assert voss.documents == ["a", "b"]
    board = by_alias["HSB"]
    assert board is by_alias["Harbour Safety Board"]
    assert board.type == "organisation"
    assert set(board.documents) == {"a", "b"}
    assert by_alias["Arjun Mehta"].documents == ["a", "b"]
    assert by_alias["Kelham Council"] is not voss


def test_every_mention_is_linked_and_ids_are_stable() -> None:
    docs = [("a", FIRST, _mentions(FIRST)), ("b", SECOND, _mentions(SECOND))]
    first, again = resolve(docs), resolve(list(reversed(docs)))
    assert {e.id for e in first.entities} == {e.id for e in again.entities}
    ids = {e.id for e in first.entities}
    for doc, text in (("a", FIRST), ("b", SECOND)):
        for mention, entity in first.mentions[doc]:
            assert entity in ids
            assert text[mention.start : mention.end] == mention.text
    # "Voss" opens the second document untagged or tagged: either way it is linked to her.
    voss = next(e.id for e in first.entities if "Voss" in e.aliases)
    assert any(m.text == "Voss" and e == voss for m, e in first.mentions["b"])
    assert first.by_name("Dame Hilary Voss") == voss


def test_a_surname_shared_by_two_people_is_left_unmerged() -> None:
    text = "Anna Blake met Tom Blake in Leeds. Blake said the deal was done."
    resolved = resolve([("a", text, _mentions(text))])
    people = [e for e in resolved.entities if e.type == "person" and " " in e.name]
    assert {e.name for e in people} >= {"Anna Blake", "Tom Blake"}
    for person in people:
        assert "Blake" not in person.aliases


def test_a_city_is_not_merged_into_a_person_of_that_surname() -> None:
    mentions_ = [
        Mention(0, 17, "George Washington", "person"),
        Mention(30, 40, "Washington", "place"),
    ]
    resolved = resolve([("a", "George Washington visited the Washington area", mentions_)])
    assert len(resolved.entities) == 2
