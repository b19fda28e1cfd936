"""Circularity of class embeddings (the circumplex study's measures) and the class angle sets.

``circularity(embeddings, labels, angles)`` projects the embeddings to 2D (PCA),
takes each class centroid's angle there and reports the circular correlation
(Fisher & Lee) with the classes' angles on the circle, as an
absolute value (a projection's orientation is arbitrary: a reflection flips the
sign), and the share of neighbouring classes on the circle that stay neighbours
in the centroids' angular order.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from empathykit.errors import InputError

EMOLIT = {
    "love": 0,
    "joy": 30,
    "excitement": 60,
    "surprise": 90,
    "anger": 120,
    "fear": 150,
    "disgust": 180,
    "sadness": 210,
    "boredom": 240,
    "calmness": 270,
    "relief": 300,
    "trust": 330,
}
PLUTCHIK = {
    "joy": 0,
    "trust": 45,
    "fear": 90,
    "surprise": 135,
    "sadness": 180,
    "disgust": 225,
    "anger": 270,
    "anticipation": 315,
}
PRESETS = {"emolit": EMOLIT, "plutchik": PLUTCHIK}


def class_angles(spec: str, names: Sequence[str]) -> list[float]:
    """Radians per class name from a preset or a file of ``name,degrees`` lines; every class named."""
    if spec in PRESETS:
        table, where = PRESETS[spec], f"angles={spec}"
    else:
        path = Path(spec)
        if not path.is_file():
            raise InputError(f"angles={spec}: neither a preset ({', '.join(PRESETS)}) nor a file")
        table, where = {}, str(path)
        for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                name, _, degrees = line.replace("\t", ",").partition(",")
                try:
                    table[name.strip()] = float(degrees)
                except ValueError:
                    raise InputError(f"{path}:{n}: expected NAME,DEGREES, got {line!r}") from None
    missing = [n for n in names if n not in table]
    if missing:
        raise InputError(
            f"{where} names no angle for class(es) {', '.join(missing)}",
            hint="give every class of the data an angle (NAME,DEGREES per line)",
        )
    return [math.radians(table[n]) for n in names]


def circular_correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Fisher & Lee's (1983) circular-circular correlation: rotation invariant, needs no mean
    direction (classes spread evenly round the circle have none), sign flips under reflection."""
    import numpy as np

    a, b = np.asarray(a, float), np.asarray(b, float)
    da, db = np.sin(a[:, None] - a[None, :]), np.sin(b[:, None] - b[None, :])
    denominator = math.sqrt(float((da**2).sum() * (db**2).sum()))
    return float((da * db).sum() / denominator) if denominator else 0.0


def neighbours_kept(true_angles: Sequence[float], found_angles: Sequence[float]) -> float:
    """Share of adjacent class pairs on the circle that are adjacent in the found angular order."""

    def adjacent(angles):
        order = sorted(range(len(angles)), key=lambda i: angles[i] % (2 * math.pi))
        return {frozenset((order[i], order[(i + 1) % len(order)])) for i in range(len(order))}

    truth = adjacent(true_angles)
    return len(truth & adjacent(found_angles)) / len(truth)


def circularity(embeddings, labels: Sequence[int], angles: Sequence[float]) -> dict[str, float]:
    import numpy as np

    x = np.asarray(embeddings, float)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    plane = x @ vt[:2].T
    labels = np.asarray(labels)
    present = [c for c in range(len(angles)) if (labels == c).any()]
    centroids = [plane[labels == c].mean(axis=0) for c in present]
    found = [math.atan2(y, x_) for x_, y in centroids]
    truth = [angles[c] for c in present]
    return {
        "circular_correlation": abs(circular_correlation(truth, found)),
        "neighbours_kept": neighbours_kept(truth, found),
        "classes": len(present),
    }
