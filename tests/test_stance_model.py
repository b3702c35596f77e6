"""The stance model: the shipped int8 ONNX model on pairs written here, and the Hugging Face path
with a tiny randomly initialised NLI model saved to a temporary folder (no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storycheck.errors import MissingResourceError
from storycheck.models.stance import (
    LABELS,
    HuggingFaceStanceModel,
    OnnxStanceModel,
    label_columns,
    load_stance_model,
)

SUPPORTED = (
    "The port authority diverted fourteen ships to Kelham.",
    "The port authority said 14 ships were diverted to Kelham while engineers inspected the quay.",
)
UNRELATED = (
    "The city council approved a new budget for public libraries.",
    "The striker scored twice in the second half as the visitors won the cup final.",
)
PAIRS = [
    SUPPORTED,
    UNRELATED,
    ("Dana Okafor is the harbourmaster.", "Harbourmaster Dana Okafor spoke to reporters."),
    ("The crane collapsed on Tuesday.", "A container crane collapsed at Port Selwick on Tuesday."),
    ("Two workers were hurt.", "Nobody was injured when the crane fell."),
]


@pytest.fixture(scope="module")
def shipped():
    return load_stance_model()


def test_probabilities_per_pair(shipped) -> None:
    probs = shipped.predict(PAIRS)
    assert probs.shape == (len(PAIRS), len(LABELS))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()
    assert shipped.predict([]).shape == (0, 3)


def test_deterministic(shipped) -> None:
    assert np.array_equal(shipped.predict(PAIRS), shipped.predict(PAIRS))


def test_batch_equals_one_by_one(shipped) -> None:
    batched = shipped.predict(PAIRS)
    single = np.concatenate([shipped.predict([pair]) for pair in PAIRS])
    assert np.allclose(batched, single, atol=1e-6)


def test_obvious_pairs_labelled(shipped) -> None:
    probs = shipped.predict([SUPPORTED, UNRELATED])
    assert LABELS[probs[0].argmax()] == "supports"
    assert LABELS[probs[1].argmax()] == "neutral"


def test_missing_files_reported(tmp_path: Path) -> None:
    with pytest.raises(MissingResourceError, match="model.onnx"):
        OnnxStanceModel(tmp_path)


def test_not_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingResourceError, match="config.json"):
        HuggingFaceStanceModel(str(tmp_path))


def test_label_mapping() -> None:
    assert label_columns({0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}) == [0, 2, 1]
    assert label_columns({0: "contradiction", 1: "entailment", 2: "neutral"}) == [1, 0, 2]
    assert label_columns({0: "SUPPORTS", 1: "REFUTES", 2: "NOT_ENOUGH_INFO"}) == [0, 1, 2]
    with pytest.raises(MissingResourceError, match="cannot map"):
        label_columns({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


def tiny_nli_model(folder: Path):
    """A randomly initialised two-layer BERT with NLI labels, saved as a user's model would be."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = (
        "the a port crane ships were diverted to kelham collapsed on tuesday nobody hurt".split()
    )
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(words) + 5,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
        label2id={"entailment": 0, "neutral": 1, "contradiction": 2},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(str(folder))
    return model


def test_hugging_face_folder(tmp_path: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    reference = tiny_nli_model(tmp_path)
    loaded = load_stance_model(str(tmp_path))
    assert isinstance(loaded, HuggingFaceStanceModel)
    pairs = [("the crane collapsed on tuesday", "the port crane collapsed"), ("a", "ships")]
    probs = loaded.predict(pairs)
    assert probs.shape == (2, 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # Columns come back as supports, refutes, neutral = entailment (0), contradiction (2), neutral.
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path))
    encoded = tokenizer(pairs[0][1], pairs[0][0], return_tensors="pt")
    with torch.no_grad():
        expected = torch.softmax(reference(**encoded).logits[0], -1).numpy()[[0, 2, 1]]
    assert np.allclose(probs[0], expected, atol=1e-5)
