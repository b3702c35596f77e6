"""The stance teacher (SmolLM2-135M with a 3-way head), saved as train_teacher saves it, loads as
a stance model that reads its prompt, and scores a pair the same alone or in a batch of longer
and shorter ones: the head must read each text's own last token, not padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from storycheck.models.stance import HuggingFaceStanceModel, load_stance_model
from storycheck.train_teacher import PROMPT, base_model


def test_a_saved_teacher_scores_a_pair_the_same_alone_and_in_a_padded_batch(
    tmp_path: Path,
) -> None:
    torch.manual_seed(0)  # the untrained head's weights
    model, tokenizer = base_model()
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = load_stance_model(str(tmp_path))
    assert isinstance(loaded, HuggingFaceStanceModel)
    pairs = [
        ("The bridge opened in 1932.", "The bridge, built by a Danish firm, opened in 1932."),
        ("Nine men were convicted.", "A jury convicted nine men after a trial of eleven weeks."),
        ("It rained.", "Rain fell."),
    ]
    together = loaded.predict(pairs)
    alone = np.vstack([loaded.predict([pair]) for pair in pairs])
    assert together.shape == (3, 3)
    assert np.allclose(together.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)
    assert len({tuple(row.round(4)) for row in together}) == 3, "each pair has its own scores"
    # The scores are those of the prompt read alone, from its last token.
    text = PROMPT.format(claim=pairs[2][0], evidence=pairs[2][1])
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    assert np.allclose(together[2], torch.softmax(logits, -1).numpy(), atol=1e-4)


def test_the_prompt_gives_the_evidence_first_and_asks_last() -> None:
    text = PROMPT.format(claim="Nine men were convicted.", evidence="A jury convicted nine men.")
    assert text.index("A jury") < text.index("Nine men") < text.index("Does the evidence")
