"""A restricted claim ("only", "solely", "exclusively") is judged without its restriction
(crosscheck.exclusive), and evidence that names something beside it refutes it."""

from __future__ import annotations

import numpy as np
import pytest

from storycheck.crosscheck.consistency import check
from storycheck.crosscheck.exclusive import readings, unrestricted
from storycheck.crosscheck.stance import model_probabilities, stances
from storycheck.models.stance import LABELS, load_stance_model
from storycheck.records import Sentence
from storycheck.verify.retrieve import Hit
from storycheck.verify.verdict import decide


@pytest.mark.parametrize(
    ("claim", "plain"),
    [
        ("Ravel Quay is only a ferry port.", "Ravel Quay is a ferry port."),
        ("The mill was exclusively a wool mill.", "The mill was a wool mill."),
        ("The choir sings solely in Welsh.", "The choir sings in Welsh."),
        ("The band has toured in Norway only.", "The band has toured in Norway."),
        ("Only three bridges cross the river.", "Three bridges cross the river."),
        ("Ines Varga is only ever a stage actor.", "Ines Varga is a stage actor."),
        ("It is a solely Danish film.", "It is a Danish film."),
    ],
)  # fmt: skip
def test_the_restriction_is_taken_out(claim: str, plain: str) -> None:
    assert unrestricted(claim) == plain


@pytest.mark.parametrize(
    "claim",
    [
        "The dam is safe.",  # nothing restricted
        "She was the only witness.",  # uniqueness, not a restriction
        "He is an only child.",
        "The river not only rose but broke its banks.",  # "not only" adds
        "If only the council had listened.",  # a wish
        "The gate opens only if the tide is low.",  # a condition
        "The ferry runs only after March.",  # a time
        "You Only Live Twice was filmed in Japan.",  # a title
        "Only the mayor spoke only once.",  # two restrictions
        "Only.",  # nothing left to read
    ],
)
def test_other_uses_are_left_alone(claim: str) -> None:
    assert unrestricted(claim) is None


def test_a_restriction_against_a_restriction_is_read_as_it_is() -> None:
    claim = "The ferry only sails in summer."
    pairs = [
        (claim, "The ferry sails in summer, when the sea is calm."),
        (claim, "The ferry sails only in summer."),
        ("The ferry sails in summer.", "The ferry sails in summer."),
    ]
    assert readings(pairs) == ["The ferry sails in summer.", None, None]


def test_a_restricted_claim_gets_the_answer_of_its_plain_reading() -> None:
    evidence = "Orla Brennan is an Irish sculptor who works in bronze."
    restricted, plain = model_probabilities(
        [("Orla Brennan is only a sculptor.", evidence), ("Orla Brennan is a sculptor.", evidence)]
    )
    np.testing.assert_allclose(restricted, plain)


def test_evidence_stating_the_plain_fact_supports_the_restriction() -> None:
    """The model alone answers "refutes" to the restricting word whatever the evidence says;
    read without it, the claim is supported by a sentence that states it."""
    claim = "Tamsin Holloway is exclusively a Welsh novelist."
    evidence = "Tamsin Holloway is a Welsh novelist whose books are set in the valleys."
    assert load_stance_model().predict([(claim, evidence)])[0].argmax() == LABELS.index("refutes")
    (stance,) = stances([(claim, evidence)])
    assert stance.label == "supports", stance


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # the evidence joins the restricted thing to another
        ("Pia Lund only worked in radio.", "Pia Lund is a Danish radio and TV host.", "conflict"),
        ("The firm sells only in France.", "It sells its wine in France and Spain.", "conflict"),
        # the other is the claim's own, denied, or a second event
        ("Pia Lund only worked in radio.", "Pia Lund and her brother worked in radio.", "none"),
        ("Pia Lund had only daughters.", "Pia Lund had two daughters and no sons.", "none"),
        ("Pia Lund only served as mayor.", "Pia Lund served as mayor and then retired.", "none"),
        # no restriction in the claim
        ("Pia Lund worked in radio.", "Pia Lund is a Danish radio and television host.", "none"),
    ],
)  # fmt: skip
def test_something_named_beside_the_restricted_thing_conflicts(
    claim: str, evidence: str, finding: str
) -> None:
    found = check(claim, evidence)
    assert found.finding == finding, found
    if finding == "conflict":
        assert any(reason.startswith("not only") for reason in found.reasons), found


def test_a_broken_restriction_outweighs_the_plain_fact() -> None:
    """Sentences that state the plain fact (the model's supports, read without "only") do not
    dispute one that names another thing beside it: the claim is refuted, not conflicting."""
    claim = "The festival was held only in Galway."
    texts = [
        "The festival was held in Galway and Sligo that summer, the organisers said.",
        "Thousands came to the festival in Galway, which sold out in a week.",
    ]
    found = stances([(claim, t) for t in texts])
    judged = [
        (Hit(f"doc{i}", Sentence(0, 0, len(t), t), 1.0, 0.5, t), stance)
        for i, (t, stance) in enumerate(zip(texts, found, strict=True))
    ]
    broken, plain = (stance for _, stance in judged)
    assert any(reason.startswith("not only") for reason in broken.reasons), broken
    assert plain.label == "supports" and plain.takes_side, plain
    verdict = decide(claim, judged, {})
    assert verdict.verdict == "refuted", verdict
