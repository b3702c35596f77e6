"""The stance recipe: generated training pairs (denials and the labels they get), the
running average of the weights, a teacher's soft targets and the training stages."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from storycheck.models.nlp import load_nlp
from storycheck.train_stance import (
    NEUTRAL,
    REFUTES,
    SUPPORTS,
    FrozenCache,
    Pair,
    Settings,
    Stage,
    deny,
    distil_shares,
    fit,
    is_heldout,
    negation_edits,
    pair_key,
    predict_cached,
    running_average,
    teacher_probabilities,
    upper_logits,
)

DENIALS = ("not", "never", "refuse", "fail", "decline", "unable", "no way", "no means", "yet")


def _denials(text: str, tries: int = 40) -> set[str]:
    doc = load_nlp()(text)
    return {deny(doc, random.Random(seed)) for seed in range(tries)}


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [
        ("Kate Walsh starred in a medical drama.", "in a medical drama."),
        ("The bridge was built in 1932 by a Danish firm.", "built in 1932 by a Danish firm."),
        ("Lyon is a city in the east of France.", "a city in the east of France."),
        ("The council has approved the new budget.", "the new budget."),
        ("Farmers grow rice in the delta.", "rice in the delta."),
    ],
)
def test_denial_negates_the_main_verb_only(sentence: str, kept: str) -> None:
    denials = _denials(sentence)
    assert None not in denials
    assert len(denials) >= 2, "several wordings are used"
    subject = sentence.split()[0]
    for denied in denials:
        assert denied.startswith(subject) and denied.endswith(kept), denied
        assert any(word in denied for word in DENIALS), denied


def test_tense_follows_the_verb() -> None:
    past = _denials("Kate Walsh starred in a medical drama.")
    assert "Kate Walsh did not star in a medical drama." in past
    assert "Kate Walsh never starred in a medical drama." in past
    present = _denials("Farmers grow rice in the delta.")
    assert "Farmers do not grow rice in the delta." in present
    perfect = _denials("The council has approved the new budget.")
    assert "The council has yet to approve the new budget." in perfect


def test_already_denied_sentences_are_left_alone() -> None:
    for sentence in (
        "The bridge was not built in 1932.",
        "She never visited Lyon.",
        "He refused to sign the letter.",
        "The firm didn't pay its taxes.",
    ):
        assert _denials(sentence, tries=5) == {None}, sentence


def test_negation_edits_flip_or_keep_the_label() -> None:
    pairs = [
        Pair(
            "Ana Silva is a Brazilian swimmer.",
            "Ana Silva is a Portuguese swimmer.",
            (REFUTES,),
            "t",
            "a",
        ),
        Pair(
            "Ana Silva won three medals.",
            "Ana Silva won three medals in 2012.",
            (SUPPORTS,),
            "t",
            "b",
        ),
        Pair("Ana Silva trains in Lisbon.", "The pool opened in 1990.", (NEUTRAL,), "t", "c"),
    ] * 30
    edits = negation_edits(pairs, random.Random(5))
    assert edits and all(p.source == "t-negation" for p in edits)
    flipped = {SUPPORTS: REFUTES, REFUTES: SUPPORTS, NEUTRAL: NEUTRAL}
    originals = {p.group: p for p in pairs}
    seen_kinds = set()
    for edit in edits:
        original = originals[edit.group]
        claim_denied = edit.claim != original.claim
        evidence_denied = edit.evidence != original.evidence
        assert claim_denied or evidence_denied
        if claim_denied and evidence_denied:
            assert edit.labels == original.labels == (SUPPORTS,)
        else:
            assert edit.labels == (flipped[original.labels[0]],)
        seen_kinds.add((original.group, claim_denied, evidence_denied))
    assert ("a", True, False) in seen_kinds  # a refuted claim, denied, is supported
    assert ("b", True, True) in seen_kinds and ("b", False, True) in seen_kinds
    assert not any(group == "c" and ev for group, _, ev in seen_kinds)


def test_running_average_follows_the_weights_with_a_warm_up() -> None:
    layer = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.0)
    averaged = running_average(layer, 0.998)
    averaged.update_parameters(layer)  # the first update copies the weights
    with torch.no_grad():
        layer.weight.fill_(1.0)
    averaged.update_parameters(layer)  # then keeps (1 + n) / (10 + n) of the average, n = 1
    kept = 2 / 11
    assert torch.allclose(averaged.module.weight, torch.full((1, 2), 1 - kept))
    assert torch.equal(layer.weight, torch.ones(1, 2)), "the trained weights are not touched"


def test_teacher_probabilities_follow_the_pairs_and_miss_none(tmp_path: Path) -> None:
    first = Pair("The dam was built in 1931.", "The dam opened in 1931.", (SUPPORTS,), "t", "a")
    second = Pair("The dam was built in 1931.", "The dam opened in 1952.", (REFUTES,), "t", "a")
    path = tmp_path / "teacher.npz"
    probs = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    np.savez(path, keys=np.array([pair_key(second), pair_key(first)]), probs=probs)
    found = teacher_probabilities(path, [first, second])
    assert np.allclose(found, probs[::-1])
    sharp = teacher_probabilities(path, [first, second], temperature=0.5)
    assert np.allclose(sharp.sum(axis=1), 1.0)
    assert np.array_equal(sharp.argmax(axis=1), found.argmax(axis=1))
    assert (sharp.max(axis=1) > found.max(axis=1)).all(), "below 1 the teacher is surer"
    assert np.allclose(sharp[1], np.array([0.01, 0.64, 0.01]) / 0.66)
    third = Pair("The dam was built in 1931.", "It holds 9 billion litres.", (NEUTRAL,), "t", "a")
    with pytest.raises(ValueError, match="1 train pairs"):
        teacher_probabilities(path, [first, third])


def _tiny_stage(n: int, seed: int) -> tuple[torch.nn.Module, Stage]:
    """A one-layer BERT and cached rows whose first value decides supports or refutes."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=3, hidden_dropout_prob=0.0,
    )  # fmt: skip
    model = BertForSequenceClassification(config)
    rng = np.random.default_rng(seed)
    rows = [rng.normal(size=(int(rng.integers(3, 7)), 16)).astype(np.float16) for _ in range(n)]
    pairs = [
        Pair(f"claim {i}", f"evidence {i}", (SUPPORTS if r[0, 0] > 0 else REFUTES,), "t", str(i))
        for i, r in enumerate(rows)
    ]
    return model, Stage(rows, pairs, None, None)


def test_fit_learns_a_stage_and_counts_what_it_saw() -> None:
    model, stage = _tiny_stage(96, seed=1)
    params = list(model.parameters())
    settings = Settings(lr=3e-3, batch=8)
    epochs: list[int] = []
    seen = fit(
        model, params, stage, settings, 12, random.Random(1), float("inf"),
        after_epoch=lambda epoch, loss, seen: epochs.append(epoch),
    )  # fmt: skip
    assert seen == 12 * 96 and epochs == list(range(1, 13))
    gold = np.array([p.labels[0] for p in stage.pairs])
    assert (_learnt(model, stage) == gold).mean() >= 0.9, "the stage's labels are learnt"


def test_fit_stops_at_the_deadline_after_one_batch(capsys: pytest.CaptureFixture[str]) -> None:
    model, stage = _tiny_stage(40, seed=2)
    before = upper_logits(model, *_first_batch(stage), 0).detach().clone()
    seen = fit(model, list(model.parameters()), stage, Settings(batch=8), 3, random.Random(2), 0.0)
    assert seen == 8
    assert not torch.equal(upper_logits(model, *_first_batch(stage), 0), before), "one step"
    assert "after 1 of 5 steps of epoch 1 of 3" in capsys.readouterr().err


def test_fit_that_finishes_its_schedule_warns_of_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model, stage = _tiny_stage(16, seed=2)
    fit(model, list(model.parameters()), stage, Settings(batch=8), 1, random.Random(2), 1e12)
    assert "time budget" not in capsys.readouterr().err


def _learnt(model: torch.nn.Module, stage: Stage) -> np.ndarray:
    """The label the model now gives each pair of the stage."""
    cache = FrozenCache(None, "tiny")
    cache.rows = {cache.key(p): r for p, r in zip(stage.pairs, stage.rows, strict=True)}
    return predict_cached(model, cache, stage.pairs, 0).argmax(1)


def _first_batch(stage: Stage) -> tuple[torch.Tensor, torch.Tensor]:
    row = torch.from_numpy(stage.rows[0].astype(np.float32))[None]
    return row, torch.ones(row.shape[:2], dtype=torch.long)


def test_undistilled_sources_learn_from_their_own_labels() -> None:
    pairs = [
        Pair("c", "e", (SUPPORTS,), source, source)
        for source in ("climate-fever", "climate-fever-symmetric", "wice", "sufficient-facts-fever")
    ]
    assert distil_shares(pairs, Settings(distil=0.5)).tolist() == [0.5] * 4
    shares = distil_shares(pairs, Settings(distil=0.5, undistilled=("climate-fever",)))
    assert shares.tolist() == [0.0, 0.0, 0.5, 0.5]


def test_a_run_with_another_seed_can_keep_the_shipped_split() -> None:
    groups = [f"claim {n}" for n in range(400)]

    def heldout(settings: Settings) -> set[str]:
        return {g for g in groups if is_heldout(g, settings.split)}

    shipped = heldout(Settings(seed=13))
    assert heldout(Settings(seed=14, split_seed=13)) == shipped
    assert heldout(Settings(seed=14)) != shipped
    assert 30 < len(shipped) < 90  # about 15% held out


@pytest.mark.parametrize(("share", "follows_teacher"), [(1.0, True), (0.0, False)])
def test_fit_learns_from_the_teacher_by_its_share(share: float, follows_teacher: bool) -> None:
    model, stage = _tiny_stage(96, seed=3)
    gold = np.array([p.labels[0] for p in stage.pairs])
    opposite = np.where(gold == SUPPORTS, REFUTES, SUPPORTS)
    teacher = np.eye(3, dtype=np.float32)[opposite]
    taught = Stage(stage.rows, stage.pairs, teacher, np.full(len(gold), share, dtype=np.float32))
    settings = Settings(lr=3e-3, batch=8)
    fit(model, list(model.parameters()), taught, settings, 12, random.Random(3), float("inf"))
    assert (_learnt(model, stage) == (opposite if follows_teacher else gold)).mean() >= 0.9
