"""What active learning reads from a trained model: per item its class probabilities (or, for a
rating model, predictions over dropout samples) and its embedding (the pooled encoder state the
head reads). For the families with one linear head on an encoder (``classifier``, ``kd``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from empathykit.errors import InputError
from empathykit.train.choices import HEAD_FAMILIES
from empathykit.train.run import family_of


@dataclass
class ModelOutputs:
    kind: str
    outputs: np.ndarray  # (n, classes) probabilities, or (n, passes) rating samples
    embeddings: np.ndarray  # (n, hidden)
    label_names: list[str] | None


def check_scoring_model(model_dir: str | Path):
    """The family of a model folder `empathykit train` wrote, one the choice can read (else one line)."""
    family = family_of(model_dir)
    if family.name not in HEAD_FAMILIES:
        raise InputError(f"{model_dir}: a {family.name!r} model; choosing the next round needs a model with a "
                         f"classification or rating head ({', '.join(HEAD_FAMILIES)})")
    return family


def model_outputs(model_dir: str | Path, records: list[dict[str, Any]], *, dropout_passes: int = 8,
                  on_progress: Callable[..., None] | None = None, loaded: Any = None) -> ModelOutputs:
    """Probabilities and embeddings of ``records`` under the model in ``model_dir``.

    ``loaded``: the family's ``load`` answer when the caller holds the model already."""
    import torch


    family = check_scoring_model(model_dir)
    model, tokenizer, config, info, saved = loaded or family.load(Path(model_dir))
    inputs, kind = info["inputs"], info["kind"]
    missing = [c for c in inputs if not any(c in r for r in records)]
    if missing:
        raise InputError(f"the pool has no column(s) {missing} that this model reads (inputs {inputs})")
    texts = [[r.get(c) if isinstance(r.get(c), str) else "" for r in records] for c in inputs]
    size, length = int(saved.get("eval_batch_size", 64)), int(saved.get("max_length", 128))
    outputs, embeddings = [], []
    for start in range(0, len(records), size):
        chunk = [column[start:start + size] for column in texts]
        encoded = tokenizer(*chunk[:2], truncation=True, max_length=length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            model.eval()
            pooled = model.pool(**encoded)
            logits = model.heads["main"](pooled).float()
            if kind == "rating":  # dropout on: the spread of the samples is the model's uncertainty
                model.train()
                samples = [model.heads["main"](model.pool(**encoded)).float()[:, 0] for _ in range(dropout_passes)]
                model.eval()
                outputs.append(torch.stack(samples, dim=1))
            elif kind == "multichoice":
                outputs.append(torch.sigmoid(logits))
            else:
                outputs.append(torch.softmax(logits, dim=1))
        embeddings.append(pooled.float())
        if on_progress:
            on_progress(len(chunk[0]))
    if not outputs:
        raise InputError("no pool items to score")
    return ModelOutputs(kind, torch.cat(outputs).numpy(), torch.cat(embeddings).numpy(), info.get("label_names"))
