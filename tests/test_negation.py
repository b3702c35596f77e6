"""A denied claim is judged as its affirmative with the answer flipped (crosscheck.negation)."""

from __future__ import annotations

import numpy as np
import pytest

from storycheck.crosscheck.negation import affirmative, affirmatives, readings
from storycheck.crosscheck.stance import model_probabilities, stances
from storycheck.models.stance import LABELS, load_stance_model


@pytest.mark.parametrize(
    ("claim", "plain"),
    [
        ("The council did not approve the plan.", "The council did approve the plan."),
        ("Mara Quinn is not a novelist.", "Mara Quinn is a novelist."),
        ("The ferry has never sailed in winter.", "The ferry has sailed in winter."),
        ("The mayor didn't resign.", "The mayor did resign."),
        ("The dam can't hold more water.", "The dam can hold more water."),
        ("She won't attend the hearing.", "She will attend the hearing."),
    ],
)  # fmt: skip
def test_a_denied_main_verb_is_taken_out(claim: str, plain: str) -> None:
    assert affirmative(claim) == plain


@pytest.mark.parametrize(
    "claim",
    [
        "The dam is safe.",  # nothing denied
        "Not only did the river rise, it also broke its banks.",  # "not" belongs to "only"
        "He is no longer the mayor.",  # "no" belongs to "longer"
        "Never has a team won the cup twice.",  # inverted: without "never" it is a question
        "The council did not approve the plan and did not publish it.",  # two denials
    ],
)
def test_other_negations_are_left_alone(claim: str) -> None:
    assert affirmative(claim) is None


def test_affirmatives_maps_only_denied_claims() -> None:
    claims = ["The dam is safe.", "The dam is not safe.", "The dam is not safe."]
    assert affirmatives(claims) == {"The dam is not safe.": "The dam is safe."}


def test_a_denial_against_a_denial_is_read_as_it_is() -> None:
    claim = "The ferry has not sailed since March."
    pairs = [
        (claim, "The ferry has sailed twice a day since March."),
        (claim, "The ferry hasn't sailed since March, the operator said."),
        (claim, "The ferry never sailed again."),
        ("The ferry sailed in March.", "The ferry sailed in March."),
    ]
    assert readings(pairs) == ["The ferry has sailed since March.", None, None, None]


def test_a_denied_claim_gets_the_flipped_answer_of_its_affirmative() -> None:
    evidence = "Mara Quinn is a Scottish poet who has published four collections of verse."
    pairs = [("Mara Quinn is not a poet.", evidence), ("Mara Quinn is a poet.", evidence)]
    denied, plain = model_probabilities(pairs)
    order = [LABELS.index(label) for label in ("refutes", "supports", "neutral")]
    np.testing.assert_allclose(denied, plain[order])
    # A claim without a denial keeps the model's own answer.
    np.testing.assert_allclose(plain, load_stance_model().predict(pairs[1:])[0])


def test_a_denial_supported_by_other_words_is_supported() -> None:
    """The model alone reads a denial in the claim as "refutes" whatever the evidence says;
    read as its affirmative, "not an American series" against "a French series" holds."""
    claim = "Harbour Lights is not an American television series."
    evidence = "Harbour Lights is a French animated television series made for children."
    assert load_stance_model().predict([(claim, evidence)])[0].argmax() == LABELS.index("refutes")
    (stance,) = stances([(claim, evidence)])
    assert stance.label == "supports", stance
