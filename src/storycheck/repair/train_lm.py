"""Tune SmolLM2 for the despinner's question: which word did the spinner's input have here?

Usage: ``python -m storycheck.repair.train_lm PATH_TO_BBC_NEWS [--docs N] [--out FILE]`` (needs
the ``train`` extra: peft). One epoch over the 870 articles takes about half an hour on two cores.

The despinner asks SmolLM2 how likely each candidate original is after the text before a site,
and that text is pass 1's restoration of a spun article, with some words still spun. The
packaged model learnt from clean text. Here it learns through low-rank changes (LoRA, rank
``RANK`` on the 210 linear layers of its 30 blocks: 2.4 M weights, 4.6 MB as shipped) from the
articles and pass-1 restorations that MiniLM's reader learns from (``train_encoder.collect``: the
bbc-news ``ngram`` part, which the ranker and the benchmarks never see). At the token before each
site the target is the first piece of what the spinner's input had there: the original where
the site was spun, the word seen where it was not. The site's later pieces get no target (they
belong to the word seen), and every other token keeps its plain next-token target, so the model
stays a language model of news. One article in five is held back; the trainer prints the loss
there, at the sites and over all targets, before and after.

The despinner's weights (``train_despin``, both rounds) are fitted with the changes in place:
refit them after every run of this trainer.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import numpy as np

from storycheck.models.lm import cache_dir
from storycheck.models.lowrank import lora_arrays
from storycheck.repair.despin import LM_CHANGES_PATH
from storycheck.repair.train_encoder import Article, collect

RANK = 8  # of the changes to each linear layer
MAX_TOKENS = 1024  # longer articles are cut: the despinner reads in chunks of about this size
HELD_SHOWN = 60  # held-back articles whose loss is printed
LAYERS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def example(tokenizer, art: Article) -> tuple[list[int], list[int], list[int]]:
    """Token ids of the restoration, each position's target (-100: none) and the positions
    whose target is a site's answer."""
    enc = tokenizer(art.text, return_offsets_mapping=True)
    ids = enc["input_ids"][:MAX_TOKENS]
    offsets = enc["offset_mapping"][:MAX_TOKENS]
    labels = ids[1:] + [-100]
    sites = []
    for (start, end), cands, truth in zip(art.spans, art.cands, art.truth, strict=True):
        first = next((k for k in range(1, len(ids)) if offsets[k][1] > start), None)
        if first is None:
            continue
        lead = " " if start > 0 and art.text[start - 1] == " " else ""
        labels[first - 1] = tokenizer(lead + cands[truth], add_special_tokens=False)["input_ids"][0]
        last = first
        while last < len(ids) and offsets[last][0] < end:
            last += 1
        for k in range(first, last - 1):
            labels[k] = -100
        sites.append(first - 1)
    return ids, labels, sites


def held_loss(model, data: list[tuple[list[int], list[int], list[int]]]) -> tuple[float, float]:
    """Mean loss (nats) over all targets and over the sites' targets."""
    import torch

    total = at_sites = 0.0
    n = n_sites = 0
    model.eval()
    with torch.inference_mode():
        for ids, labels, sites in data:
            logits = model(torch.tensor([ids])).logits[0].float()
            target = torch.tensor(labels)
            losses = torch.nn.functional.cross_entropy(logits, target, reduction="none")
            total += float(losses[target >= 0].sum())
            n += int((target >= 0).sum())
            at_sites += float(losses[sites].sum())
            n_sites += len(sites)
    return total / max(n, 1), at_sites / max(n_sites, 1)


def _show_loss(model, held: list[tuple[list[int], list[int], list[int]]], what: str) -> None:
    every, sites = held_loss(model, held)
    print(f"held-back loss, all / sites: {every:.3f} / {sites:.3f} ({what})", flush=True)


def train(arts: list[Article], seed: int, lr: float = 3e-4) -> dict[str, np.ndarray]:
    """One epoch of LoRA over the articles not held back (one article per step, learning rate
    falling linearly to zero); returns the changes to ship."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(cache_dir())
    data = [example(tokenizer, art) for art in arts]
    held = [d for art, d in zip(arts, data, strict=True) if art.held][:HELD_SHOWN]
    fit = [d for art, d in zip(arts, data, strict=True) if not art.held]
    random.Random(seed).shuffle(fit)
    model = AutoModelForCausalLM.from_pretrained(cache_dir(), dtype=torch.float32)
    _show_loss(model, held, "packaged")
    torch.manual_seed(seed)
    config = LoraConfig(r=RANK, lora_alpha=2 * RANK, lora_dropout=0.0, target_modules=LAYERS)
    model = get_peft_model(model, config)
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0
    )
    steps = max(1, len(fit))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: max(0.0, 1 - s / steps))
    model.train()
    for step, (ids, labels, _) in enumerate(fit):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(torch.tensor([ids])).logits[0].float()
        target = torch.tensor(labels)
        loss = torch.nn.functional.cross_entropy(logits[target >= 0], target[target >= 0])
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 100 == 0:
            print(f"step {step}/{steps}: loss {loss.item():.3f}", flush=True)
    _show_loss(model, held, "tuned")
    return lora_arrays(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path)
    parser.add_argument("--docs", type=int, default=870)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=LM_CHANGES_PATH)
    args = parser.parse_args(argv)
    arts = collect(args.bbc, args.docs, args.seed)
    print(f"{sum(len(a.truth) for a in arts)} sites in {len(arts)} articles", flush=True)
    arrays = train(arts, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"SmolLM2 changes -> {args.out}; refit the despinner's weights (train_despin)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
