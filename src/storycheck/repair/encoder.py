"""Both-sided context for the despinner: which candidate original fits a site, read by MiniLM.

SmolLM2 reads left to right, so its evidence for a site is the text before it (and, for a few
types in doubt, a couple of words after). all-MiniLM-L6-v2 reads the whole first-pass restoration
in both directions at once: one pass per 254 word pieces gives every site a contextual vector. A
small head turns that vector into a score for each candidate original, against the candidate's
static word-piece embedding, so a new word costs a table lookup, not a model call. The despinner's
learnt ranker and replace model read the score as two more pieces of evidence; how much they trust
it is learnt there.

MiniLM is tuned for the job (``train_encoder``): low-rank changes to its linear layers, trained
with the head on spins of bbc-news articles the ranker never sees, ship with the head in one small
file. The install step (``python -m storycheck.repair.encoder``) adds them to the packaged weights
and exports the result as int8 ONNX, as the sentence embedder is exported, so the run time needs
onnxruntime only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir
from storycheck.models.embed import export, install, onnx_session, package_dir
from storycheck.models.lowrank import add_changes

HEAD_PATH = Path(__file__).parent / "data" / "despin-encoder-v2.npz"
READER_NAME = "despin-reader-v2"  # the installed ONNX; its version follows HEAD_PATH's
INSTALL_HINT = "run the install step `bash setup.sh` (`python -m storycheck.repair.encoder`)"
WINDOW = 254  # word pieces per pass, [CLS] and [SEP] aside (the model takes 512)
STRIDE = 127  # windows overlap by half, so every site has context on both sides
CLS, SEP = 101, 102
# Windows per ONNX call: bounds memory on huge documents. The int8 graph scales activations over
# a whole call, so a site's vector depends a little on its call's other windows; a typical
# article (up to 8 windows) is read in one call.
RUN = 8
HEAD_KEYS = ("w1", "b1", "w2", "b2", "proj", "u", "u_bias", "keep")  # the head's, in HEAD_PATH


def reader_dir() -> Path:
    return data_dir() / READER_NAME


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
            arrays = {k: data[k].astype(np.float32) for k in data.files if k in HEAD_KEYS}
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


def windows(ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A text's word pieces cut into windows of WINDOW overlapping by STRIDE, each wrapped in
    [CLS] ... [SEP] and padded: (input ids, attention mask), one row per window."""
    count = -(-max(len(ids) - WINDOW, 0) // STRIDE) + 1
    width = min(len(ids), WINDOW) + 2
    batch = np.zeros((count, width), dtype=np.int64)
    mask = np.zeros_like(batch)
    for k in range(count):
        window = ids[k * STRIDE : k * STRIDE + WINDOW]
        batch[k, : len(window) + 2] = [CLS, *window, SEP]
        mask[k, : len(window) + 2] = 1
    return batch, mask


def site_rows(
    offsets: list[tuple[int, int]], spans: list[tuple[int, int]], count: int
) -> list[tuple[int, list[int]]]:
    """For each character span (in text order), the window it is read from, the one where it
    sits nearest the middle, and its word pieces' rows there (none where it holds no piece)."""
    out = []
    first = 0
    for start, end in spans:
        while first < len(offsets) and offsets[first][1] <= start:
            first += 1
        last = first
        while last < len(offsets) and offsets[last][0] < end:
            last += 1
        k = min(max(0, (first - STRIDE // 2) // STRIDE), count - 1)
        rows = [p - k * STRIDE + 1 for p in range(first, last) if p - k * STRIDE < WINDOW]
        out.append((k, rows))
    return out


@cache
def _pieces():
    """MiniLM's tokenizer and input word-piece table (one tensor of the packaged safetensors)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    folder = package_dir()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    with safe_open(str(folder / "model.safetensors"), framework="np") as tensors:
        table = tensors.get_tensor("embeddings.word_embeddings.weight")
    return tokenizer, table


def tokenize(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Word-piece ids of ``text`` and their character offsets, without [CLS] and [SEP]."""
    encoding = _pieces()[0].encode(text, add_special_tokens=False)
    return encoding.ids, encoding.offsets


def piece_embedding(word: str) -> np.ndarray:
    """MiniLM's input embedding of ``word``: the mean of its word pieces' rows."""
    ids, _ = tokenize(word)
    table = _pieces()[1]
    if not ids:
        return np.zeros(table.shape[1], dtype=np.float32)
    return table[ids].mean(axis=0)


class SiteEncoder:
    """Reads a text once and scores candidate words at given character spans."""

    def __init__(self, head: Head | None = None, folder: Path | None = None) -> None:
        folder = folder or reader_dir()
        if not (folder / "model.onnx").is_file():
            raise MissingResourceError(f"the despinner's MiniLM reader is missing: {INSTALL_HINT}")
        self._head = head
        self._session = onnx_session(folder / "model.onnx")
        self._words: dict[str, tuple[np.ndarray, float]] = {}

    @property
    def head(self) -> Head:
        """Loaded on first use, so a reader can be checked against a head not yet saved."""
        if self._head is None:
            self._head = Head.load()
        return self._head

    def hidden(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """MiniLM's last hidden state averaged over each span's word pieces (one row per span,
        zeros where a span has no piece)."""
        ids, offsets = tokenize(text)
        out = np.zeros((len(spans), _pieces()[1].shape[1]), dtype=np.float32)
        if not ids:
            return out
        batch, mask = windows(ids)
        parts = []
        for k in range(0, len(batch), RUN):
            ids_k, mask_k = batch[k : k + RUN], mask[k : k + RUN]
            feeds = {"input_ids": ids_k, "attention_mask": mask_k, "token_type_ids": 0 * ids_k}
            parts.append(self._session.run(None, feeds)[0])
        states = np.concatenate(parts)
        for row, (k, rows) in enumerate(site_rows(offsets, spans, len(batch))):
            if rows:
                out[row] = states[k, rows].mean(axis=0)
        return out

    def read(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """The head's site vectors g(h) for the spans of ``text``."""
        return self.head.site_vectors(self.hidden(text, spans))

    def word(self, word: str) -> tuple[np.ndarray, float]:
        """(B e, u . e + bias) of a candidate word, cached: the part of its score that does not
        depend on the site."""
        hit = self._words.get(word)
        if hit is None:
            e = piece_embedding(word)
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


def build(target: Path, path: Path = HEAD_PATH) -> Path:
    """Install step: the packaged MiniLM with the shipped changes, as int8 ONNX in ``target``."""
    if not path.is_file():
        raise MissingResourceError(f"despinner encoder head missing at {path}: reinstall")
    return export(target, adapt=lambda model: add_changes(model, path))


def main(argv: list[str] | None = None) -> int:
    return install(argv, "despinner's MiniLM reader", reader_dir(), build)


if __name__ == "__main__":
    sys.exit(main())
