"""SmolLM2 tuned for the despinner: the shipped low-rank changes and the trainer that makes them."""

from __future__ import annotations

import numpy as np

from conftest import DEMO, ngram_articles
from storycheck.models.lm import load_lm
from storycheck.repair.despin import LM_CHANGES_PATH, Despinner
from storycheck.repair.spinner import Spinner, SpinSettings


def _original_logprobs(lm, spin) -> np.ndarray:
    """Log-probability of each spun word's original (its first token), given the spun text
    before it: the question the despinner asks SmolLM2."""
    ids, offsets = lm.encode(spin.text)
    rows, tokens = [], []
    for span in spin.spans:
        first = next(k for k in range(1, len(ids)) if offsets[k][1] > span.start)
        lead = " " if spin.text[span.start - 1 : span.start] == " " else ""
        rows.append(first - 1)
        tokens.append(lm.first_token(lead + span.original))
    logprobs = lm.next_token_logprobs(lm.read(ids), rows)
    return logprobs[np.arange(len(rows)), tokens]


def test_shipped_changes_make_smollm2_expect_the_originals():
    """On a spun text of our own (never trained on), the tuned model gives the spun words'
    originals more probability than the packaged one; only the blocks' linear layers change."""
    import torch

    spin = Spinner(SpinSettings(seed=4242), table=Despinner().table).spin(
        (DEMO / "07-authority-statement.txt").read_text()
    )
    assert len(spin.spans) > 30
    packaged, tuned = load_lm(), load_lm(LM_CHANGES_PATH)
    gain = _original_logprobs(tuned, spin) - _original_logprobs(packaged, spin)
    assert gain.mean() > 0.25 and (gain > 0).mean() > 0.6
    before, after = packaged.model.state_dict(), tuned.model.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert len(changed) == 30 * 7
    assert all(name.endswith("_proj.weight") for name in changed)


def test_trainer_teaches_the_sites(tmp_path, monkeypatch):
    """``train_lm`` on a few spun articles: the changes it writes load into SmolLM2 and lower
    the loss at the sites of a held-back spin of the same text."""
    from storycheck.repair import train_encoder, train_lm

    monkeypatch.setattr(train_encoder, "HELD_OUT", 1000)  # article 0 held back, the rest fit
    monkeypatch.setattr(train_lm, "MAX_TOKENS", 256)
    arts = train_encoder.collect(tmp_path, ngram_articles(tmp_path, 3), seed=1)
    arrays = train_lm.train(arts * 2, seed=0, lr=2e-3)
    assert len(arrays) == 2 * 30 * 7
    path = tmp_path / "changes.npz"
    np.savez_compressed(path, **arrays)
    packaged = load_lm()
    held = [train_lm.example(packaged.tokenizer, arts[0])]
    _, before = train_lm.held_loss(packaged.model, held)
    _, after = train_lm.held_loss(load_lm(path).model, held)
    assert after < before - 0.5
