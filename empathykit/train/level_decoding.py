"""From level probabilities to a level: argmax, or argmax after per-level offsets chosen on validation.

A mechanism's rare level (IP's weak level is about 4 % of its pairs) can end up never predicted: its
probability is rarely the largest even where it is the second, so its F1 is 0 and macro-F1 loses a
third. Class weights in the loss move the boundary during training; :func:`choose_offsets` moves it
after training instead, the way the rationale threshold is chosen: an offset is added to each level's
log-probability, and the offsets with the best macro-F1 on the validation split are kept (ties: the
offsets nearest to zero, so plain argmax wins unless the shift helps).

Limits: the choice fits the validation split, so with few pairs of a level (IP has about a dozen weak
ones in validation) the validation macro-F1 it reports is optimistic; only the test split says what it
is worth. Offsets live on a fixed grid (:data:`GRID`) for every level but the first.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

#: offsets tried for each level after the first, in log-probability units
GRID = tuple(x / 4 for x in range(-8, 17))


def decide(probs: Sequence[Sequence[float]], offsets: Sequence[float] | None = None) -> list[int]:
    """The level of each row: the largest ``log(p) + offset`` (plain argmax without offsets)."""
    if not offsets or not any(offsets):
        return [max(range(len(p)), key=p.__getitem__) for p in probs]
    shift = list(offsets)
    return [
        max(range(len(p)), key=lambda k, p=p: math.log(max(p[k], 1e-12)) + shift[k])  # type: ignore[misc]
        for p in probs
    ]


def choose_offsets(probs: Sequence[Sequence[float]], gold: Sequence[int]) -> tuple[list[float], float]:
    """``(offsets, macro-F1)``: the grid point with the best macro-F1 of ``gold`` (numpy, all at once)."""
    import numpy as np

    if not len(probs):
        return [], 0.0
    logp = np.log(np.clip(np.asarray(probs, dtype=float), 1e-12, None))
    truth = np.asarray(gold)
    levels = logp.shape[1]
    best: tuple[float, float, list[float]] = (-1.0, 0.0, [0.0] * levels)
    for tail in itertools.product(GRID, repeat=levels - 1):
        shift = np.array((0.0, *tail))
        score = _macro_f1(truth, np.argmax(logp + shift, axis=1), levels)
        size = -float(np.abs(shift).sum())
        if (score, size) > best[:2]:
            best = (score, size, [float(x) for x in shift])
    return best[2], best[0]


def _macro_f1(truth, predicted, levels: int) -> float:
    scores = []
    for k in range(levels):
        tp = float(((predicted == k) & (truth == k)).sum())
        fp = float(((predicted == k) & (truth != k)).sum())
        fn = float(((predicted != k) & (truth == k)).sum())
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / levels
