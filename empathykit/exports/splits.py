"""Seeded, stratified train/validation/test splits."""

from __future__ import annotations

import numpy as np

from empathykit.errors import ExportError

SPLIT_NAMES = ("train", "validation", "test")


def check_fractions(fractions) -> np.ndarray:
    """Three non-negative shares summing to 1, or a one-line ``ExportError``."""
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise ExportError(f"split fractions must be three non-negative numbers summing to 1, got {fractions.tolist()}",
                          hint="pass --train/--validation/--test that add up to 1, e.g. 0.8 0.1 0.1 or 0.6 0.2 0.2")
    return fractions


def stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> np.ndarray:
    """Assign each unit a split, keeping label proportions in every split.

    Args:
        labels: shape ``(n,)``, any hashable labels (the strata).
        fractions: shares of train, validation, test; must sum to 1.
        seed: the same seed and labels always give the same assignment.

    Returns:
        shape ``(n,)`` array of split names. Within each label, units are
        shuffled and cut at the cumulative fractions (rounded), so a label
        with ``k`` units puts ``round(0.8 k)`` in train.
    """
    fractions = check_fractions(fractions)
    labels = np.asarray(labels, dtype=object)
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=object)
    cuts = np.cumsum(fractions)[:2]
    for label in sorted(set(labels.tolist()), key=str):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        bounds = np.rint(cuts * len(members)).astype(int)
        for name, part in zip(SPLIT_NAMES, np.split(members, bounds)):
            assignment[part] = name
    return assignment
