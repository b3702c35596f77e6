"""How a sentence's stance is decided and how the verdict weighs the stances."""

from __future__ import annotations

import numpy as np
import pytest

from storycheck.crosscheck.stance import Stance
from storycheck.crosscheck.stance import decide as stance_decide
from storycheck.records import Sentence
from storycheck.verify.retrieve import Hit
from storycheck.verify.verdict import decide

CLAIM = "Nine men were convicted in the 2012 Rochdale case."


def _judged(document: str, label: str, score: float, reasons: tuple[str, ...] = (), text: str = ""):
    scores = {"supports": 0.0, "refutes": 0.0, "neutral": 0.0} | {label: score}
    sentence = Sentence(index=0, start=0, end=10, text=text or f"A sentence of {document}.")
    return Hit(document, sentence, 1.0, 0.5, sentence.text), Stance(label, scores, reasons)


@pytest.mark.parametrize(
    ("judged", "verdict", "sources"),
    [
        # a restatement whose every value the exact checks matched is not disputed by the
        # model's refutes alone
        ([_judged("a", "supports", 0.9, ("numbers agree",)), _judged("b", "refutes", 0.88)],
         "supported", 1),
        # a refutation the exact checks found still disputes it
        ([_judged("a", "supports", 0.9, ("numbers agree",)),
          _judged("b", "refutes", 0.9, ("numbers differ",))], "conflicting", 2),
        # and two model judgements against each other stay a conflict
        ([_judged("a", "supports", 0.9), _judged("b", "refutes", 0.88)], "conflicting", 2),
        # a model support from a sentence with under half of the claim's words does not
        # dispute an exact refutation; one that restates the claim does
        ([_judged("a", "refutes", 0.9, ("numbers differ",)), _judged("b", "supports", 0.8)],
         "refuted", 1),
        ([_judged("a", "refutes", 0.9, ("numbers differ",)),
          _judged("b", "supports", 0.8, text="Nine men were convicted in Rochdale in 2012.")],
         "conflicting", 2),
        # nor a model refutation from such a sentence a restatement the model supports
        ([_judged("a", "supports", 0.9, text=CLAIM), _judged("b", "refutes", 0.85)],
         "supported", 1),
    ],
)  # fmt: skip
def test_model_sides_do_not_dispute_an_exact_check(
    judged: list, verdict: str, sources: int
) -> None:
    found = decide(CLAIM, judged, {})
    assert (found.verdict, found.independent_sources) == (verdict, sources)


@pytest.mark.parametrize(
    ("evidence", "label"),
    [
        # shares no word with the claim and names nothing it could be about
        ("The study made headlines and led to long debates in Parliament.", "neutral"),
        # a pronoun may stand for the claim's subject
        ("She has written for the paper since 2001.", "supports"),
        # a shared word is enough
        ("Norfolk has written for the paper since 2001.", "supports"),
    ],
)  # fmt: skip
def test_a_sentence_with_nothing_of_the_claim_does_not_support_it(
    evidence: str, label: str
) -> None:
    probabilities = np.array([0.73, 0.02, 0.25])  # the model's support, in LABELS order
    found = stance_decide("Andrew Norfolk is a journalist at The Times.", evidence, probabilities)
    assert found.label == label


@pytest.mark.parametrize(
    ("claim", "evidence", "label"),
    [
        # the claim's span of time meets nothing comparable: other figures about other things
        ("The audit of the dam will last three months.",
         "By 2018, inspectors had visited over 1,000 dams across the region.", "neutral"),
        # a claim without a value keeps the model's refutation
        ("The audit of the dam was cancelled.",
         "By 2018, inspectors had visited over 1,000 dams across the region.", "refutes"),
        # a sentence on the claim's topic keeps it too: the exact checks had their say
        ("The audit of the dam will last three months.",
         "The audit of the dam will last until the spring, officials said.", "refutes"),
    ],
)  # fmt: skip
def test_a_model_refutation_of_an_unchecked_value_is_neutral(
    claim: str, evidence: str, label: str
) -> None:
    probabilities = np.array([0.05, 0.89, 0.06])  # the model's refutation, in LABELS order
    assert stance_decide(claim, evidence, probabilities).label == label


@pytest.mark.parametrize(
    ("evidence", "probabilities", "label"),
    [
        # every word of the claim, inside a longer sentence: a restatement
        ("Residents, who were evacuated on Sunday, blamed the water company for ignoring the "
         "cracks.", (0.46, 0.02, 0.52), "supports"),
        # one of the claim's words missing ("blamed"): the model's neutral stands
        ("Residents, who were evacuated on Sunday, met the water company about the cracks.",
         (0.46, 0.02, 0.52), "neutral"),
        # the model leaning to refutes: neutral stands
        ("Residents, who were evacuated on Sunday, blamed the water company for ignoring the "
         "cracks.", (0.20, 0.28, 0.52), "neutral"),
        # a denial is an exact difference, not a restatement
        ("Residents never blamed the water company for ignoring the cracks.",
         (0.46, 0.02, 0.52), "refutes"),
    ],
)  # fmt: skip
def test_a_sentence_holding_every_word_of_the_claim_restates_it(
    evidence: str, probabilities: tuple[float, float, float], label: str
) -> None:
    claim = "Residents blamed the water company for ignoring the cracks."
    found = stance_decide(claim, evidence, np.array(probabilities))
    assert found.label == label
    assert (found.reasons == ("restates the claim",)) == (label == "supports")


def test_a_model_support_resting_on_agreeing_values_takes_a_side() -> None:
    # Half of the claim's content words (under RESTATED), its span of time agreeing: the
    # model's support (0.53, under SURE_SUPPORTS) counts, with the check's reason.
    claim = "Engineers expect the dam audit to take 3 months."
    evidence = "Ministers ordered an audit of every dam in the valley lasting 3 months."
    found = stance_decide(claim, evidence, np.array([0.53, 0.12, 0.35]))
    assert (found.label, found.reasons, found.takes_side) == ("supports", ("numbers agree",), True)
    # The same sentence with another span of time refutes the claim whatever the model said.
    other = evidence.replace("3 months", "6 months")
    assert stance_decide(claim, other, np.array([0.53, 0.12, 0.35])).label == "refutes"


@pytest.mark.parametrize(
    ("evidence", "label"),
    [
        # the opposite verb, said by someone else of someone else: no support, however alike
        ("Mayor Osei sharply criticised Ellen Hart over the flood defences.", "neutral"),
        # the claim's own verb beside its opposite: the model's support stands
        ("Ellen Hart praised Mayor Osei's flood plan, though she criticised its cost.",
         "supports"),
    ],
)  # fmt: skip
def test_the_opposite_verb_of_another_subject_supports_nothing(evidence: str, label: str) -> None:
    claim = "Ellen Hart praised Mayor Osei's flood plan."
    found = stance_decide(claim, evidence, np.array([0.74, 0.10, 0.16]))
    assert found.label == label
