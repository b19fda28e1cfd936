"""Which pool items are most worth annotating next: uncertainty scores and batch selection.

Scores are "higher = more worth a label", per label kind:

- ``choice`` (softmax probabilities): ``uncertainty`` = 1 - max p (least confident), ``margin`` =
  1 - (p1 - p2), ``entropy`` = entropy of p; computed by scikit-activeml's ``uncertainty_scores``.
- ``multichoice`` (one sigmoid probability per label): each label is its own yes/no question, so
  every method is the mean over labels of that method on (p, 1 - p) (per-label entropy for
  ``entropy``).
- ``rating`` (one number): the variance of the model's predictions over dropout samples
  (Monte Carlo dropout), whatever the method.

Selection: ``uncertainty``/``margin``/``entropy`` take the top ``n`` scores; ``random`` a seeded
sample; ``diversity`` is k-center greedy on the model's embeddings weighted by uncertainty: each
pick maximises (distance to the nearest item already picked or labelled) x (its score), so two
near-duplicates are never picked together while another uncertain item is left far away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empathykit.active.choices import STRATEGIES
from empathykit.errors import InputError

_SKACTIVEML = {"uncertainty": "least_confident", "margin": "margin_sampling", "entropy": "entropy"}


@dataclass
class Selection:
    """Positions of the chosen pool items, in pick order, with the score each was chosen by."""

    indices: list[int]
    scores: list[float]
    strategy: str
    seed: int


def uncertainty(kind: str, outputs: np.ndarray, method: str = "uncertainty") -> np.ndarray:
    """One score per row of ``outputs`` (probabilities, or dropout samples ``(n, passes)`` for ratings)."""
    outputs = np.asarray(outputs, dtype=float)
    if method not in _SKACTIVEML:
        method = "uncertainty"  # diversity and random weigh by plain uncertainty
    if kind == "rating":
        return outputs.var(axis=1) if outputs.ndim == 2 else np.zeros(len(outputs))
    if kind == "multichoice":
        p = np.clip(outputs, 1e-12, 1 - 1e-12)
        pairs = np.stack([p, 1 - p], axis=-1).reshape(-1, 2)  # every label a yes/no question
        return _choice_scores(pairs, method).reshape(p.shape).mean(axis=1)
    if kind == "choice":
        return _choice_scores(outputs, method)
    raise InputError(f"active learning supports choice, multichoice and rating labels, not {kind!r}")


def _choice_scores(probs: np.ndarray, method: str) -> np.ndarray:
    from skactiveml.pool import uncertainty_scores

    return np.asarray(uncertainty_scores(probs, method=_SKACTIVEML[method]), dtype=float)


def select(
    scores: np.ndarray,
    n: int,
    strategy: str,
    *,
    embeddings: np.ndarray | None = None,
    labelled: np.ndarray | None = None,
    seed: int = 0,
) -> Selection:
    """Pick ``n`` of the ``len(scores)`` candidates by ``strategy`` (see the module docstring)."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if n < 1:
        raise InputError(f"the round size must be at least 1, got {n}")
    scores = np.asarray(scores, dtype=float)
    n = min(n, len(scores))
    rng = np.random.default_rng(seed)
    if strategy == "random":
        picked = rng.permutation(len(scores))[:n].tolist()
    elif strategy == "diversity":
        if embeddings is None:
            raise InputError("the diversity strategy needs the model's embeddings")
        picked = weighted_k_center(np.asarray(embeddings, dtype=float), scores, n, labelled)
    else:
        tie_break = rng.random(len(scores))  # equal scores: a seeded order, not the pool's
        picked = np.lexsort((tie_break, -scores))[:n].tolist()
    return Selection([int(i) for i in picked], [float(scores[i]) for i in picked], strategy, seed)


def weighted_k_center(x: np.ndarray, weights: np.ndarray, n: int, centres: np.ndarray | None = None) -> list[int]:
    """Greedy k-center on ``x`` (cosine geometry: rows are normalised), each step taking the item whose
    distance to the nearest centre times its weight is largest; ``centres``: already labelled items."""
    x = x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)
    weights = np.asarray(weights, dtype=float) + 1e-6  # a sure item can still be picked to cover a region
    if centres is not None and len(centres):
        c = np.asarray(centres, dtype=float)
        c = c / np.clip(np.linalg.norm(c, axis=1, keepdims=True), 1e-12, None)
        nearest = np.min(_distances(x, c), axis=1)
    else:
        nearest = np.full(len(x), np.inf)
    picked: list[int] = []
    for _ in range(n):
        gain = np.where(np.isinf(nearest), weights * 1e6, nearest * weights)
        gain[picked] = -1.0
        best = int(np.argmax(gain))
        picked.append(best)
        nearest = np.minimum(nearest, _distances(x, x[best : best + 1])[:, 0])
    return picked


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(2.0 - 2.0 * a @ b.T, 0.0, None))  # unit vectors: |a-b|^2 = 2 - 2 a.b
