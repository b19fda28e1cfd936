"""Metrics as the papers' tables print them, plus what a modeler checks next.

- choice: accuracy, macro-F1, per-class precision/recall/F1/support, the confusion
  matrix; for two classes also precision, recall and F1 of the positive class
  (index 1, e.g. ``empathy_bin`` = 1), the NewsEmp/TwittEmp tables' figure.
- multichoice: micro- and macro-F1, exact-match accuracy, per-class scores.
- rating: Pearson and Spearman correlation, MSE and MAE.

Each also gives ``ci95``: a percentile bootstrap 95 % interval of its headline metric (macro-F1,
or Pearson for ratings) over the split's items (:func:`bootstrap_interval`), so a reader sees
when two models' difference is within noise.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from empathykit.io import atomic_path


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int], names: Sequence[str]) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(range(len(names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    result: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {
            name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(names)
        },
        "confusion_matrix": np.asarray(confusion_matrix(y_true, y_pred, labels=labels)).tolist(),
        "examples": len(y_true),
        "ci95": bootstrap_interval("macro_f1", one_hot(y_true, len(names)), one_hot(y_pred, len(names))),
    }
    if len(names) == 2:
        result.update(precision=float(p[1]), recall=float(r[1]), f1=float(f[1]), positive_class=names[1])
    return result


def multilabel_metrics(y_true, y_pred, names: Sequence[str]) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "exact_match": float((y_true == y_pred).all(axis=1).mean()) if len(y_true) else 0.0,
        "ci95": bootstrap_interval("macro_f1", y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)),
        "per_class": {
            name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(names)
        },
        "examples": int(len(y_true)),
    }


def regression_metrics(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, Any]:
    import numpy as np
    from scipy.stats import pearsonr, spearmanr

    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    constant = len(t) < 2 or np.std(t) == 0 or np.std(p) == 0
    return {
        "pearson": float("nan") if constant else float(pearsonr(t, p)[0]),
        "spearman": float("nan") if constant else float(spearmanr(t, p)[0]),
        "mse": float(np.mean((t - p) ** 2)) if len(t) else float("nan"),
        "mae": float(np.mean(np.abs(t - p))) if len(t) else float("nan"),
        "examples": int(len(t)),
        "ci95": bootstrap_interval("pearson", t, p),
    }


#: resamples and seed of every bootstrap interval (fixed: the same predictions give the same interval)
RESAMPLES, SEED, CONFIDENCE = 1000, 0, 0.95


def one_hot(indices: Sequence[int], size: int):
    """Rows of ``size`` zeros with a one at each index (none for an index outside ``0..size-1``)."""
    import numpy as np

    indices = np.asarray(indices, dtype=int).reshape(-1)
    hot = np.zeros((len(indices), size), dtype=float)
    inside = (indices >= 0) & (indices < size)
    hot[np.flatnonzero(inside), indices[inside]] = 1.0
    return hot


def resample_counts(n: int, resamples: int = RESAMPLES, seed: int = SEED):
    """``(resamples, n)``: how often each item is drawn in each bootstrap resample (``rng.integers``
    draws of ``numpy.random.default_rng(seed)``, one row of ``n`` indices per resample)."""
    import numpy as np

    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n))
    np.add.at(counts, (np.repeat(np.arange(resamples), n), draws.reshape(-1)), 1.0)
    return counts


def bootstrap_interval(
    metric: str, gold, predicted, *, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> dict[str, Any] | None:
    """Percentile bootstrap interval of ``metric`` over the items: ``macro_f1`` from one-hot (or
    multi-label) ``gold``/``predicted`` rows, or ``pearson`` from two value columns.
    Each resample is scored as the metric function scores the whole split; None for under two items."""
    import numpy as np

    gold, predicted = np.asarray(gold, dtype=float), np.asarray(predicted, dtype=float)
    if len(gold) < 2:
        return None
    counts = resample_counts(len(gold), resamples, seed)
    if metric == "macro_f1":
        tp, fp, fn = (counts @ (gold * predicted), counts @ ((1 - gold) * predicted), counts @ (gold * (1 - predicted)))
        denominator = 2 * tp + fp + fn
        values = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 0.0).mean(axis=1)
    elif metric == "pearson":
        values = _weighted_pearson(counts, gold, predicted)
    else:
        raise ValueError(f"no bootstrap for metric {metric!r}")
    tail = 100 * (1 - confidence) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail]) if np.isfinite(values).any() else (np.nan, np.nan)
    return {
        "metric": metric,
        "low": float(low),
        "high": float(high),
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed,
        "examples": int(len(gold)),
    }


def _weighted_pearson(counts, x, y):
    import numpy as np

    n = counts.sum(axis=1)
    mx, my = counts @ x / n, counts @ y / n
    cov = counts @ (x * y) / n - mx * my
    vx, vy = counts @ (x * x) / n - mx**2, counts @ (y * y) / n - my**2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(vx * vy)
    return np.where((vx > 1e-12) & (vy > 1e-12), r, np.nan)


def confusion_png(matrix: Sequence[Sequence[int]], names: Sequence[str], path: Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.asarray(matrix)
    size = max(3.5, 0.6 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(values, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title or "confusion matrix")
    high = values.max() if values.size else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(
                j, i, str(values[i, j]), ha="center", va="center", color="white" if values[i, j] > high / 2 else "black"
            )
    fig.tight_layout()
    with atomic_path(path, suffix=".png", output="figure", label="figure") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def add_confusion_figure(
    result: dict[str, Any], names: Sequence[str], out_dir: str | Path | None, model_dir: str | Path, split: str
) -> dict[str, Any]:
    """``result`` with ``figures``: its confusion matrix drawn into ``out_dir/confusion_SPLIT.png``
    (nothing without an ``out_dir`` or a matrix)."""
    if out_dir is not None and "confusion_matrix" in result:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        path = Path(out_dir) / f"confusion_{split}.png"
        confusion_png(result["confusion_matrix"], names, path, f"{Path(model_dir).name}: {split}")
        result["figures"] = [str(path)]
    return result


def retrieval_metrics(
    a_ids: Sequence[str], b_ids: Sequence[str], human: Sequence[float], model: Sequence[float]
) -> dict[str, Any]:
    """EmpathicStories' retrieval metrics over the pairs' stories (each story a query)."""
    from scipy.stats import kendalltau, spearmanr

    by_query: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for a, b, h, m in zip(a_ids, b_ids, human, model):
        by_query[a].append((float(h), float(m)))
        by_query[b].append((float(h), float(m)))
    p1, taus, rhos = [], [], []
    for candidates in by_query.values():
        if len(candidates) < 2:
            continue
        h = [c[0] for c in candidates]
        m = [c[1] for c in candidates]
        best = max(m)
        top_model = [i for i, v in enumerate(m) if v == best]
        p1.append(float(any(h[i] == max(h) for i in top_model)))
        if len(set(h)) > 1 and len(set(m)) > 1:
            taus.append(float(kendalltau(m, h)[0]))
            rhos.append(float(spearmanr(m, h)[0]))
    mean = lambda xs: sum(xs) / len(xs) if xs else None
    return {
        "precision_at_1": mean(p1),
        "kendall_tau": mean(taus),
        "spearman_rho": mean(rhos),
        "queries": len(p1),
        "queries_ranked": len(taus),
    }
