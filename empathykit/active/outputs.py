"""What active learning reads from a trained model: per item its class probabilities (or, for a
rating model, predictions over dropout samples), its embedding (the pooled encoder state the
head reads) and its prediction row, from one :meth:`LoadedModel.run` call. For the families with
one linear head on an encoder (``classifier``, ``kd``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from empathykit.errors import InputError
from empathykit.predict.models import LoadedModel, open_model
from empathykit.progress import Progress
from empathykit.train.choices import HEAD_FAMILIES


@dataclass
class ModelOutputs:
    kind: str
    outputs: np.ndarray  # (n, classes) probabilities, or (n, passes) rating samples
    embeddings: np.ndarray  # (n, hidden)
    label_names: list[str] | None
    rows: list[dict[str, Any]] = field(default_factory=list)  # the prediction rows ``predict`` writes


def check_scoring_model(model: str | Path | LoadedModel) -> LoadedModel:
    """The model opened once, or one line, before any pool is read, for a folder that is no model or
    one active learning cannot choose with (no classification or rating head)."""
    loaded = model if isinstance(model, LoadedModel) else open_model(model)
    if loaded.family not in HEAD_FAMILIES:
        raise InputError(
            f"{loaded.dirs[0]}: a {loaded.family!r} model; choosing the next round needs a model with "
            f"a classification or rating head ({', '.join(HEAD_FAMILIES)})"
        )
    return loaded


def model_outputs(
    model: str | Path | LoadedModel,
    records: list[dict[str, Any]],
    *,
    dropout_passes: int = 8,
    on_progress: Progress | None = None,
) -> ModelOutputs:
    """Probabilities (or rating samples), embeddings and prediction rows of ``records`` under ``model``
    (a loaded model, or a folder opened for this call)."""
    loaded = check_scoring_model(model)
    if not records:
        raise InputError("no pool items to score")
    missing = [c for c in loaded.inputs if not any(c in r for r in records)]
    if missing:
        raise InputError(f"the pool has no column(s) {missing} that this model reads (inputs {loaded.inputs})")
    out = loaded.run(
        records,
        embeddings=True,
        dropout_passes=dropout_passes if loaded.kind == "rating" else 0,
        on_progress=on_progress,
    )
    scores = out.samples if loaded.kind == "rating" else out.probabilities
    return ModelOutputs(str(loaded.kind), np.asarray(scores), np.asarray(out.embeddings), loaded.label_names, out.rows)
