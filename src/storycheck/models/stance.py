"""Stance of an evidence sentence towards a claim: supports, refutes or neutral.

The default model is a small cross-encoder (all-MiniLM-L6-v2 with a 3-way head, trained by
``python -m storycheck.train_stance``) shipped inside the package as int8 ONNX, so it runs on
onnxruntime with no torch in the process. It reads ``[CLS] evidence [SEP] claim [SEP]``, the NLI
order. Its limits are measured in docs/models/stance.md: numbers, dates, names and negation are
better decided by a deterministic check beside it.

Users with a stronger NLI model point ``STORYCHECK_STANCE_MODEL`` (or ``path``) at a local Hugging
Face sequence-classification folder; its entailment / contradiction / neutral labels are mapped
onto supports / refutes / neutral, and it runs on transformers and torch. A model that reads one
prompt rather than a text pair (a causal LM with a classification head, such as the teacher that
``storycheck.train_teacher`` writes) names its template in its config as ``storycheck_prompt``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from storycheck.errors import MissingResourceError

LABELS = ("supports", "refutes", "neutral")
DEFAULT_DIR = Path(__file__).parent / "data" / "stance-v3"
BATCH = 32  # pairs per forward pass of a Hugging Face model
# Words in a model's id2label names that mean each of our labels, checked in this order.
LABEL_WORDS = {
    "supports": ("entail", "support"),
    "refutes": ("contradict", "refute"),
    "neutral": ("neutral", "not enough"),
}


class StanceModel(Protocol):
    """Anything that scores (claim, evidence) pairs: one probability row per pair."""

    name: str

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


def _length_order(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Pair indices sorted by text length, so that each batch wastes little on padding."""
    return sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class OnnxStanceModel:
    """The shipped model: int8 ONNX on one onnxruntime CPU session."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        files = [folder / name for name in ("model.onnx", "tokenizer.json", "config.json")]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise MissingResourceError(
                f"the stance model in {folder} lacks {', '.join(missing)}: reinstall storycheck, "
                "or train one with `python -m storycheck.train_stance`"
            )
        config = json.loads(files[2].read_text(encoding="utf-8"))
        if tuple(config["labels"]) != LABELS:
            raise MissingResourceError(f"{files[2]} lists labels {config['labels']}, not {LABELS}")
        self.name = config["version"]
        self.max_length = int(config["max_length"])
        self._tokenizer = Tokenizer.from_file(str(files[1]))
        self._tokenizer.enable_truncation(self.max_length, strategy="longest_first")
        self._tokenizer.no_padding()
        self._session = onnxruntime.InferenceSession(
            str(files[0]), providers=["CPUExecutionProvider"]
        )

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        # One pair per run: dynamic int8 quantisation scales activations over the whole input,
        # so in a batch a pair's probabilities would move (up to 0.07 measured) with its
        # neighbours and padding. On 2 cores one-by-one is also faster than length-sorted batches
        # of 32 (about 320 against 280 pairs/s, measured on FEVER-Symmetric dev).
        probs = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        encoded = self._tokenizer.encode_batch([(evidence, claim) for claim, evidence in pairs])
        for i, e in enumerate(encoded):
            feeds = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64),
            }
            probs[i] = _softmax(self._session.run(None, feeds)[0].astype(np.float32))[0]
        return probs


def label_columns(id2label: dict[int, str]) -> list[int]:
    """For each of LABELS, the model's output column whose name means it."""
    names = {int(i): re.sub(r"[\W_]+", " ", str(name).lower()) for i, name in id2label.items()}
    columns = []
    for label in LABELS:
        found = [i for i, name in names.items() if any(w in name for w in LABEL_WORDS[label])]
        if len(found) != 1:
            raise MissingResourceError(
                f"cannot map the model's labels {sorted(names.values())} onto {LABELS}: "
                "expected one entailment, one contradiction and one neutral label"
            )
        columns.append(found[0])
    return columns


class HuggingFaceStanceModel:
    """A user's NLI model from a local folder, on transformers and torch (float, so batches
    sorted by length give each pair the probabilities it gets alone, up to rounding).

    It reads (evidence, claim) as a text pair, or, where the config has ``storycheck_prompt``
    (a template with ``{claim}`` and ``{evidence}``), that prompt as one text; such a model is
    a decoder whose head reads the last token, so padding goes on the right."""

    def __init__(self, location: str) -> None:
        folder = Path(location)
        if not (folder / "config.json").is_file():
            raise MissingResourceError(
                f"STORYCHECK_STANCE_MODEL={location} is not a Hugging Face model folder "
                "(no config.json)"
            )
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self._model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
        self._columns = label_columns(self._model.config.id2label)
        self._prompt: str | None = getattr(self._model.config, "storycheck_prompt", None)
        if self._prompt is not None:
            self._tokenizer.padding_side = "right"
            if self._tokenizer.pad_token is None:
                self._tokenizer.pad_token = self._tokenizer.eos_token
            self._model.config.pad_token_id = self._tokenizer.pad_token_id
        self.name = folder.name or location

    def _encode(self, pairs: Sequence[tuple[str, str]]):
        if self._prompt is None:
            texts: tuple[list[str], ...] = ([e for _, e in pairs], [c for c, _ in pairs])
        else:
            texts = ([self._prompt.format(claim=c, evidence=e) for c, e in pairs],)
        return self._tokenizer(*texts, truncation=True, padding=True, return_tensors="pt")

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        import torch

        probs = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        order = _length_order(pairs)
        for start in range(0, len(order), BATCH):
            index = order[start : start + BATCH]
            encoded = self._encode([pairs[i] for i in index])
            with torch.no_grad():
                logits = self._model(**encoded).logits.float().numpy()
            probs[index] = _softmax(logits[:, self._columns])
        return probs


@cache
def load_stance_model(path: str | None = None) -> StanceModel:
    """The stance model, loaded once per process: ``path``, else ``STORYCHECK_STANCE_MODEL``
    (a Hugging Face NLI folder, or a folder that ``storycheck.train_stance`` wrote), else the
    shipped ONNX model.

    ``predict(pairs)`` takes (claim, evidence) pairs and returns an (n, 3) array of
    probabilities in the order of LABELS.
    """
    location = path or os.environ.get("STORYCHECK_STANCE_MODEL")
    if not location:
        return OnnxStanceModel(DEFAULT_DIR)
    if (Path(location) / "model.onnx").is_file():  # a folder written by storycheck.train_stance
        return OnnxStanceModel(Path(location))
    return HuggingFaceStanceModel(location)
