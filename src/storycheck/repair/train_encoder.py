"""Train the head that reads MiniLM's both-sided context for the despinner (``encoder.py``).

Usage: ``python -m storycheck.repair.train_encoder PATH_TO_BBC_NEWS [--docs N] [--epochs E]``.

Articles of the bbc-news ``ngram`` part are spun (seeds from ENCODER_SEED_BASE, random spinner
settings) and restored by pass 1; MiniLM reads each restoration once and every site gets its
contextual vector. The head learns, by softmax over the site's candidates (the word seen and its
candidate originals), which one the spinner's input had there: the original where the site was
spun, the word seen where it was left alone. The ``ngram`` part keeps these articles away from
``train_despin``'s, so the ranker and the replace model learn how far to trust the head on
articles it never saw. MiniLM itself stays frozen (it is the installed embedding model), so only
the head ships: about 1.5 MB.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from storycheck.repair.corpus import articles
from storycheck.repair.despin import PARAMS, Despinner, Params, _tokenize
from storycheck.repair.encoder import HEAD_PATH, SiteEncoder
from storycheck.repair.spinner import Spinner
from storycheck.repair.train_despin import placeholder, spin_settings

ENCODER_SEED_BASE = 3000  # train_despin uses 1000+, the benchmarks 5000+
CANDIDATES = 1 + PARAMS.top_k  # the word seen and its candidate originals
HIDDEN = 768


def collect(root: Path, docs: int, seed: int):
    """Site vectors, candidate lists, the index of the truth and of the word pass 1 left."""
    rng = random.Random(seed)
    pool = articles(root, "ngram")
    rng.shuffle(pool)
    engine = Despinner(params=Params(encoder=False), weights=placeholder())
    encoder = SiteEncoder()
    hidden, cands, truth, in_place, owner = [], [], [], [], []
    for i, (_, text) in enumerate(pool[:docs]):
        spin = Spinner(spin_settings(rng, ENCODER_SEED_BASE + i), table=engine.table).spin(text)
        toks = _tokenize(spin.text)
        sites = engine._sites(spin.text, toks)
        if not sites:
            continue
        first = engine.first_pass(spin.text, toks, sites)
        vectors = encoder.hidden(first.text, first.spans)
        spans = {(sp.start, sp.end): sp.original.lower() for sp in spin.spans}
        for site, vector, placed in zip(sites, vectors, first.in_place, strict=True):
            where = (toks[site.index].start, toks[site.index + site.length - 1].end)
            words = [site.key] + [c.text for c in engine.candidates(site.key)]
            right = spans.get(where, site.key)
            if right not in words or not vector.any():
                continue
            hidden.append(vector.astype(np.float16))
            cands.append(words)
            truth.append(words.index(right))
            in_place.append(words.index(placed) if placed in words else -1)
            owner.append(i)
    return encoder, np.array(hidden), cands, np.array(truth), np.array(in_place), np.array(owner)


def train(encoder: SiteEncoder, hidden, cands, truth, in_place, owner, epochs: int, seed: int):
    """Fit the head with torch (training only); returns its arrays and held-out accuracy."""
    import torch

    torch.manual_seed(seed)
    vocab = sorted({w for words in cands for w in words})
    index = {w: i for i, w in enumerate(vocab)}
    pieces = np.stack([encoder.piece_embedding(w) for w in vocab])
    table = torch.tensor(pieces)
    n = len(cands)
    ids = torch.zeros((n, CANDIDATES), dtype=torch.long)
    valid = torch.zeros((n, CANDIDATES), dtype=torch.bool)
    placed = torch.zeros((n, CANDIDATES))
    for r, words in enumerate(cands):
        ids[r, : len(words)] = torch.tensor([index[w] for w in words])
        valid[r, : len(words)] = True
        if in_place[r] >= 0:
            placed[r, in_place[r]] = 1.0
    seen = torch.zeros((n, CANDIDATES))
    seen[:, 0] = 1.0
    h = torch.tensor(hidden.astype(np.float32))
    y = torch.tensor(truth)
    held = torch.tensor(owner % 5 == 0)  # one article in five checks the fit

    g = torch.nn.Sequential(
        torch.nn.Linear(384, HIDDEN), torch.nn.GELU(), torch.nn.Linear(HIDDEN, 384)
    )
    proj = torch.nn.Linear(384, 384, bias=False)
    u = torch.nn.Linear(384, 1)
    keep = torch.nn.Parameter(torch.zeros(2))
    params = [*g.parameters(), *proj.parameters(), *u.parameters(), keep]
    optimiser = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)

    def scores(rows: torch.Tensor) -> torch.Tensor:
        e = table[ids[rows]]
        out = torch.einsum("nd,nkd->nk", g(h[rows]), proj(e)) + u(e).squeeze(-1)
        out = out + keep[0] * seen[rows] + keep[1] * placed[rows]
        return out.masked_fill(~valid[rows], -1e9)

    train_rows = torch.nonzero(~held).squeeze(1)
    for epoch in range(epochs):
        order = train_rows[torch.randperm(len(train_rows))]
        for start in range(0, len(order), 512):
            rows = order[start : start + 512]
            loss = torch.nn.functional.cross_entropy(scores(rows), y[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            rows = torch.nonzero(held).squeeze(1)
            best = scores(rows).argmax(1)
            spun = y[rows] > 0
            right = best == y[rows]
            print(f"epoch {epoch + 1}: held-out spun sites right {right[spun].float().mean():.3f}, "
                  f"clean sites kept {right[~spun].float().mean():.3f}", flush=True)  # fmt: skip
    arrays = {
        "w1": g[0].weight, "b1": g[0].bias, "w2": g[2].weight, "b2": g[2].bias,
        "proj": proj.weight, "u": u.weight[0], "u_bias": u.bias, "keep": keep,
    }  # fmt: skip
    return {k: v.detach().numpy().astype(np.float16) for k, v in arrays.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    encoder, *data = collect(args.bbc, args.docs, args.seed)
    print(f"{len(data[1])} sites read", flush=True)
    arrays = train(encoder, *data, epochs=args.epochs, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"head -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
