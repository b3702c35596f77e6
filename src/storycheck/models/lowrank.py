"""Low-rank changes to a packaged model's weights: how storycheck ships a tuned model.

Tuning MiniLM or SmolLM2 with LoRA changes a few million numbers against the tens of millions in
the model, so only the changes ship (a few MB of float16 in an ``.npz``), and they are added to
the packaged weights when the model is built or loaded. One format for all of them: per changed
weight, ``DELTA + weight name + "/up"`` and ``"/down"``, with LoRA's scaling folded into ``up``
(a file may hold other arrays beside them, as the despinner's MiniLM head does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DELTA = "delta/"  # key prefix of the changes in a shipped file
PEFT_PREFIX = "base_model.model."  # what peft puts before the tuned model's own module names


def lora_arrays(peft_model) -> dict[str, np.ndarray]:
    """The changes a peft LoRA model has learnt, as the arrays to ship (float16)."""
    arrays = {}
    for name, module in peft_model.named_modules():
        if hasattr(module, "lora_A") and "default" in module.lora_A:
            weight = name.removeprefix(PEFT_PREFIX) + ".weight"
            up = module.lora_B["default"].weight * module.scaling["default"]
            down = module.lora_A["default"].weight
            arrays[f"{DELTA}{weight}/up"] = up.detach().float().numpy().astype(np.float16)
            arrays[f"{DELTA}{weight}/down"] = down.detach().float().numpy().astype(np.float16)
    return arrays


def add_changes(model, path: Path) -> None:
    """Add the changes stored in ``path`` to a PyTorch model, in float32 and rounded once to
    each weight's own dtype (a bfloat16 model gets what merging in float32 and casting gives).
    The weight is added into its float32 change, in place: no second float32 copy of it, which
    made an earlier version three times slower (SmolLM2: 106 M weights, about 1 s here)."""
    import torch

    params = dict(model.named_parameters())
    with np.load(path) as data:
        arrays = {key: torch.from_numpy(data[key]) for key in data.files if key.startswith(DELTA)}
    with torch.no_grad():
        for key, up in arrays.items():
            if key.endswith("/up"):
                name = key[len(DELTA) : -len("/up")]
                delta = up.float() @ arrays[f"{DELTA}{name}/down"].float()
                param = params[name]
                param.copy_(delta.add_(param))
