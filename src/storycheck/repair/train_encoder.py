"""Tune MiniLM and train the head that read both-sided context for the despinner (``encoder.py``).

Usage: ``python -m storycheck.repair.train_encoder PATH_TO_BBC_NEWS [--docs N] [--epochs E]
[--spins S]`` (needs the ``train`` extra: peft).

Articles of the bbc-news ``ngram`` part are spun (seeds from ENCODER_SEED_BASE, random spinner
settings; ``--spins`` times each, with other dictionaries each time, since the part has only 870
articles) and restored by pass 1; MiniLM reads each restoration in the windows the despinner uses
and every site gets its contextual vector. The head learns, by softmax over the site's candidates
(the word seen and its candidate originals), which one the spinner's input had there: the original
where the site was spun, the word seen where it was left alone. MiniLM learns with it, through
low-rank changes to its linear layers (LoRA), so that its reading answers this question rather than
sentence similarity; only the changes ship (a few MB with the head), and the install step adds them
to the packaged weights. The ``ngram`` part keeps these articles away from ``train_despin``'s, so
the ranker and the replace model learn how far to trust the reader on articles it never saw. One
article in five is held back; the trainer prints how often the truth comes first there, in float
during training and at the end through the int8 ONNX that ships.
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storycheck.models.embed import package_dir
from storycheck.models.lowrank import lora_arrays
from storycheck.repair.corpus import BENCH_SEED_BASE, articles
from storycheck.repair.despin import PARAMS, Despinner, Params, _tokenize
from storycheck.repair.encoder import (
    HEAD_PATH,
    Head,
    SiteEncoder,
    build,
    piece_embedding,
    site_rows,
    tokenize,
    windows,
)
from storycheck.repair.spinner import Spinner
from storycheck.repair.train_despin import placeholder, spin_settings

ENCODER_SEED_BASE = 3000  # train_despin uses 1000+, the benchmarks BENCH_SEED_BASE+
CANDIDATES = 1 + PARAMS.top_k  # the word seen and its candidate originals
HIDDEN = 768
RANK = 16  # of the changes to each linear layer of MiniLM
HELD_OUT = 5  # one article in this many checks the fit


@dataclass
class Article:
    """One spun article after pass 1: what MiniLM reads and, per kept site, what it should say."""

    number: int
    text: str  # the first-pass restoration
    spans: list[tuple[int, int]]
    ids: np.ndarray  # windows, as ``encoder.windows`` cuts them
    mask: np.ndarray
    rows: list[tuple[int, list[int]]]  # per site: window and word-piece rows
    cands: list[list[str]]  # per site: the word seen, then its candidate originals
    truth: list[int]  # per site: index of what the spinner's input had
    in_place: list[int]  # per site: index of the word pass 1 left there, -1 if none

    @property
    def held(self) -> bool:
        return self.number % HELD_OUT == 0


def collect(root: Path, docs: int, seed: int, spins: int = 1) -> list[Article]:
    """Spin ``docs`` articles of the ``ngram`` part ``spins`` times each (other dictionaries
    each time) and restore them by pass 1. An article's spins share its number, so an article
    held back is held back in every spin."""
    rng = random.Random(seed)
    pool = articles(root, "ngram")
    rng.shuffle(pool)
    pool = pool[:docs]
    if ENCODER_SEED_BASE + spins * len(pool) > BENCH_SEED_BASE:
        raise ValueError(f"{spins} spins of {len(pool)} articles would use benchmark seeds")
    engine = Despinner(params=Params(encoder=False), weights=placeholder())
    out = []
    for k, (i, (_, text)) in itertools.product(range(spins), enumerate(pool)):
        settings = spin_settings(rng, ENCODER_SEED_BASE + k * len(pool) + i)
        spin = Spinner(settings, table=engine.table).spin(text)
        toks = _tokenize(spin.text)
        sites = engine._sites(spin.text, toks)
        if not sites:
            continue
        first = engine.first_pass(spin.text, toks, sites)
        ids, offsets = tokenize(first.text)
        if not ids:
            continue
        batch, mask = windows(ids)
        where = site_rows(offsets, first.spans, len(batch))
        truths = {(sp.start, sp.end): sp.original.lower() for sp in spin.spans}
        art = Article(number=i, text=first.text, spans=[], ids=batch, mask=mask, rows=[],
                      cands=[], truth=[], in_place=[])  # fmt: skip
        for site, span, (k, rows), placed in zip(
            sites, first.spans, where, first.in_place, strict=True
        ):
            at = (toks[site.index].start, toks[site.index + site.length - 1].end)
            words = [site.key] + [c.text for c in engine.candidates(site.key)]
            right = truths.get(at, site.key)
            if right not in words or not rows:
                continue
            art.spans.append(span)
            art.rows.append((k, rows))
            art.cands.append(words)
            art.truth.append(words.index(right))
            art.in_place.append(words.index(placed) if placed in words else -1)
        if art.truth:
            out.append(art)
    return out


class _Scorer:
    """The head in torch, over a fixed vocabulary of candidate words."""

    def __init__(self, arts: list[Article]) -> None:
        import torch

        vocab = sorted({w for art in arts for words in art.cands for w in words})
        self.index = {w: i for i, w in enumerate(vocab)}
        self.table = torch.tensor(np.stack([piece_embedding(w) for w in vocab]))
        width = self.table.shape[1]
        self.g = torch.nn.Sequential(
            torch.nn.Linear(width, HIDDEN), torch.nn.GELU(), torch.nn.Linear(HIDDEN, width)
        )
        self.proj = torch.nn.Linear(width, width, bias=False)
        self.u = torch.nn.Linear(width, 1)
        self.keep = torch.nn.Parameter(torch.zeros(2))

    def parameters(self) -> list:
        return [*self.g.parameters(), *self.proj.parameters(), *self.u.parameters(), self.keep]

    def __call__(self, h, art: Article):
        """Scores of each site's candidates (n, CANDIDATES), padding at -1e9."""
        import torch

        n = len(art.cands)
        ids = torch.zeros((n, CANDIDATES), dtype=torch.long)
        valid = torch.zeros((n, CANDIDATES), dtype=torch.bool)
        extra = torch.zeros((n, CANDIDATES))
        for r, words in enumerate(art.cands):
            ids[r, : len(words)] = torch.tensor([self.index[w] for w in words])
            valid[r, : len(words)] = True
        extra[:, 0] = self.keep[0]
        placed = torch.tensor(art.in_place)
        rows = torch.nonzero(placed >= 0).squeeze(1)
        extra = extra.index_put((rows, placed[rows]), self.keep[1], accumulate=True)
        e = self.table[ids]
        out = torch.einsum("nd,nkd->nk", self.g(h), self.proj(e)) + self.u(e).squeeze(-1)
        return (out + extra).masked_fill(~valid, -1e9)

    def arrays(self) -> dict[str, np.ndarray]:
        g = self.g
        arrays = {
            "w1": g[0].weight, "b1": g[0].bias, "w2": g[2].weight, "b2": g[2].bias,
            "proj": self.proj.weight, "u": self.u.weight[0], "u_bias": self.u.bias,
            "keep": self.keep,
        }  # fmt: skip
        return {k: v.detach().numpy().astype(np.float16) for k, v in arrays.items()}


def _site_states(model, art: Article):
    """MiniLM's last hidden state averaged over each site's word pieces (n, width)."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        states = model(
            input_ids=torch.from_numpy(art.ids), attention_mask=torch.from_numpy(art.mask)
        ).last_hidden_state.float()
    width = states.shape[1]
    flat = states.reshape(-1, states.shape[-1])
    longest = max(len(rows) for _, rows in art.rows)
    index = torch.zeros((len(art.rows), longest), dtype=torch.long)
    weight = torch.zeros((len(art.rows), longest))
    for r, (k, rows) in enumerate(art.rows):
        index[r, : len(rows)] = torch.tensor(rows) + k * width
        weight[r, : len(rows)] = 1.0 / len(rows)
    return (flat[index] * weight[..., None]).sum(1)


def _accuracy(right: list[tuple[int, bool]]) -> tuple[float, float]:
    """(share right at spun sites, share right at sites left alone) from (truth, right) pairs."""
    spun = [ok for t, ok in right if t > 0]
    clean = [ok for t, ok in right if t == 0]
    return float(np.mean(spun)) if spun else 0.0, float(np.mean(clean)) if clean else 0.0


def train(arts: list[Article], epochs: int, seed: int, lr: float = 5e-4) -> dict[str, np.ndarray]:
    """Fit the head and MiniLM's low-rank changes with torch (training only); returns the
    arrays to ship: the head's and MiniLM's low-rank changes (``models.lowrank``)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel

    torch.manual_seed(seed)
    rng = random.Random(seed)
    config = LoraConfig(
        r=RANK, lora_alpha=2 * RANK, lora_dropout=0.05,
        target_modules=r".*encoder\.layer\.\d+\..*(query|key|value|dense)",
    )  # fmt: skip
    model = get_peft_model(AutoModel.from_pretrained(str(package_dir())), config)
    scorer = _Scorer(arts)
    tuned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": tuned, "lr": lr}, {"params": scorer.parameters(), "lr": 2 * lr}],
        weight_decay=1e-2,
    )
    fit = [a for a in arts if not a.held]
    steps = max(1, epochs * len(fit))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 1 - s / steps)
    for epoch in range(epochs):
        model.train()
        rng.shuffle(fit)
        for art in fit:
            scores = scorer(_site_states(model, art), art)
            loss = torch.nn.functional.cross_entropy(scores, torch.tensor(art.truth))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        model.eval()
        right = []
        with torch.no_grad():
            for art in (a for a in arts if a.held):
                best = scorer(_site_states(model, art), art).argmax(1).tolist()
                right += [(t, b == t) for t, b in zip(art.truth, best, strict=True)]
        spun, clean = _accuracy(right)
        print(f"epoch {epoch + 1}: held-out spun sites right {spun:.3f}, "
              f"clean sites kept {clean:.3f} (float)", flush=True)  # fmt: skip
    return scorer.arrays() | lora_arrays(model)


def reader_right(encoder: SiteEncoder, arts: list[Article]) -> list[tuple[int, bool]]:
    """(truth index, whether the reader put the truth first) per site of ``arts``, read by an
    ONNX reader the way the despinner reads: head score plus the keep terms."""
    keep = encoder.head.keep
    right = []
    for art in arts:
        vectors = encoder.read(art.text, art.spans)
        for r, words in enumerate(art.cands):
            scores = np.array([encoder.scores(vectors[r : r + 1], w)[0] for w in words])
            scores[0] += keep[0]
            if art.in_place[r] >= 0:
                scores[art.in_place[r]] += keep[1]
            right.append((art.truth[r], int(scores.argmax()) == art.truth[r]))
    return right


def shipped_accuracy(arts: list[Article], path: Path) -> tuple[float, float]:
    """The held-out figures through what ships: the int8 reader built from ``path``."""
    with tempfile.TemporaryDirectory() as folder:
        encoder = SiteEncoder(Head.load(path), build(Path(folder), path))
        return _accuracy(reader_right(encoder, [a for a in arts if a.held]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--spins", type=int, default=1, help="spins of each article")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    arts = collect(args.bbc, args.docs, args.seed, args.spins)
    sites = sum(len(a.truth) for a in arts)
    print(f"{sites} sites in {len(arts)} articles", flush=True)
    arrays = train(arts, epochs=args.epochs, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"head and MiniLM changes -> {args.out}", flush=True)
    spun, clean = shipped_accuracy(arts, args.out)
    print(f"held-out spun sites right {spun:.3f}, clean sites kept {clean:.3f} (int8, as shipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
