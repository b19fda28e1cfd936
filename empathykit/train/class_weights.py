"""The ``class_weights`` setting of single-label losses: ``none``, ``balanced`` or one weight per class.

``balanced`` weighs class c by ``n / (k * n_c)`` over the training split (n examples, k
classes; scikit-learn's formula), so each class adds the same total weight to the loss; a
list (``1,3.5``) gives the weights in label order. The weights go to ``cross_entropy(weight=...)``,
which then divides by the summed weight of the batch's targets (a weighted mean).
"""

from __future__ import annotations

from typing import Sequence

from empathykit.errors import InputError, TrainError

HELP = "single-label loss weights: none | balanced (n / (k * n_class) on the training split) | W1,W2,... per class"


def check_setting(value: str) -> None:
    """One line for a value that is neither ``none``, ``balanced`` nor a list of positive numbers."""
    if value in ("none", "balanced"):
        return
    try:
        weights = [float(v) for v in value.split(",")]
    except ValueError:
        weights = []
    if not weights or any(w <= 0 for w in weights):
        raise TrainError(
            f"setting class_weights={value!r}: expected none, balanced or positive numbers W1,W2,... (one per class)"
        )


def class_weights(value: str, labels: Sequence[int | None], names: Sequence[str]) -> list[float] | None:
    """The weight of each class (``None`` for ``none``), from the training split's labels."""
    if value == "none":
        return None
    size = len(names)
    if value == "balanced":
        counts = [0] * size
        for label in labels:
            if label is not None and 0 <= label < size:
                counts[label] += 1
        total = sum(counts)
        return [total / (size * c) if c else 0.0 for c in counts]
    weights = [float(v) for v in value.split(",")]
    if len(weights) != size:
        raise InputError(
            f"setting class_weights={value!r} gives {len(weights)} weight(s); the task has {size} classes {list(names)}"
        )
    return weights
