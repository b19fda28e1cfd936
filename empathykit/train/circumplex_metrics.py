"""Measures of class embeddings on the class circle: the nearest class direction, the
circumplex study's metrics (macro-F1, circularity, macro-F1 after PCA) and the 2D projection PNG.

They work on any embeddings (family ``circumplex``'s, or a classifier's pooled states in the benchmark).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from empathykit.io import atomic_path
from empathykit.train.circular import circularity
from empathykit.train.metrics import classification_metrics

REDUCED_DIMS = (2, 8, 32)


def class_directions(embeddings, y, classes: int):
    """Normalised mean embedding per class (zeros for a class with no rows)."""
    import numpy as np

    y = np.asarray(y)
    means = np.stack(
        [embeddings[y == c].mean(0) if (y == c).any() else np.zeros(embeddings.shape[1]) for c in range(classes)]
    )
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return means / np.where(norms > 0, norms, 1.0)


def nearest_direction(embeddings, directions):
    """``(class ids, cosines)`` of the nearest class direction per row."""
    import numpy as np

    x = embeddings / np.clip(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12, None)
    cos = x @ directions.T
    return cos.argmax(1), cos.max(1)


def embedding_metrics(train_x, train_y, x, y, angles, names) -> dict[str, Any]:
    """Macro-F1/accuracy by nearest class direction, circularity, and macro-F1 after PCA (fit on train)
    to 2, 8 and 32 dimensions with nearest centroids there (the study's robustness measure). Works on
    any embeddings (the benchmark also scores a classifier's pooled states)."""
    import numpy as np
    from sklearn.metrics import f1_score

    train_x, x = np.asarray(train_x, float), np.asarray(x, float)
    predicted, _ = nearest_direction(x, class_directions(train_x, train_y, len(names)))
    result = classification_metrics(list(y), predicted.tolist(), names)
    result.update(circularity(x, list(y), angles))
    mean = train_x.mean(0)
    _, _, vt = np.linalg.svd(train_x - mean, full_matrices=False)
    for k in REDUCED_DIMS:
        if k > vt.shape[0]:
            continue
        reduce = lambda a: (a - mean) @ vt[:k].T  # noqa: B023 (used within this iteration)
        centroids = np.stack(
            [
                reduce(train_x)[np.asarray(train_y) == c].mean(0)
                if (np.asarray(train_y) == c).any()
                else np.full(k, np.inf)
                for c in range(len(names))
            ]
        )
        distance = ((reduce(x)[:, None, :] - centroids[None]) ** 2).sum(-1)
        result[f"macro_f1_{k}d"] = float(
            f1_score(list(y), distance.argmin(1), labels=list(range(len(names))), average="macro", zero_division=0)
        )
    return result


def projection_png(train_x, x, y, names, angles, path: Path, title: str = "") -> Path:
    """2D PCA (fit on train) of the embeddings, coloured by class, centroids named, and the class circle:
    each class's angle on the circle marked, rotated onto the centroids for comparison."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    train_x, x, y = np.asarray(train_x, float), np.asarray(x, float), np.asarray(y)
    mean = train_x.mean(0)
    _, _, vt = np.linalg.svd(train_x - mean, full_matrices=False)
    plane = (x - mean) @ vt[:2].T
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    colours = plt.get_cmap("hsv")(np.linspace(0, 1, len(names), endpoint=False))
    centroids = {}
    for c, _name in enumerate(names):
        if (y == c).any():
            ax.scatter(*plane[y == c].T, s=8, alpha=0.35, color=colours[c])
            centroids[c] = plane[y == c].mean(0)
    radius = float(np.mean([np.linalg.norm(v) for v in centroids.values()])) if centroids else 1.0
    # rotate (and, if it fits better, reflect) the circle onto the centroids: a PCA plane's
    # orientation is arbitrary
    found = {c: math.atan2(v[1], v[0]) for c, v in centroids.items()}
    fits = []
    for sign in (1, -1):
        s_, c_ = (sum(f(found[c] - sign * angles[c]) for c in found) for f in (math.sin, math.cos))
        fits.append((math.hypot(s_, c_), sign, math.atan2(s_, c_)))
    _, sign, offset = max(fits)
    t = np.linspace(0, 2 * math.pi, 200)
    ax.plot(radius * np.cos(t), radius * np.sin(t), color="grey", lw=1, ls="--")
    for c, name in enumerate(names):
        a = sign * angles[c] + offset
        ax.scatter([radius * math.cos(a)], [radius * math.sin(a)], marker="s", s=30, color=colours[c], edgecolor="k")
        if c in centroids:
            ax.scatter(*centroids[c], marker="o", s=90, color=colours[c], edgecolor="k")
            ax.annotate(name, centroids[c], fontsize=9, ha="center", va="bottom")
    ax.set_aspect("equal")
    ax.set_title(title or "2D projection (PCA); squares: class angles on the circle, dots: centroids")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    with atomic_path(path, suffix=".png", output="figure", label="figure") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
