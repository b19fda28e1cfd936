"""Metrics as the papers' tables print them, plus what a modeler checks next.

- choice: accuracy, macro-F1, per-class precision/recall/F1/support, the confusion
  matrix; for two classes also precision, recall and F1 of the positive class
  (index 1, e.g. ``empathy_bin`` = 1), the NewsEmp/TwittEmp tables' figure.
- multichoice: micro- and macro-F1, exact-match accuracy, per-class scores.
- rating: Pearson and Spearman correlation, MSE and MAE.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int], names: Sequence[str]) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(range(len(names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    result: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, name in enumerate(names)},
        "confusion_matrix": np.asarray(confusion_matrix(y_true, y_pred, labels=labels)).tolist(),
        "examples": len(y_true),
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
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, name in enumerate(names)},
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
    }


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
            ax.text(j, i, str(values[i, j]), ha="center", va="center",
                    color="white" if values[i, j] > high / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def retrieval_metrics(a_ids: Sequence[str], b_ids: Sequence[str], human: Sequence[float],
                      model: Sequence[float]) -> dict[str, Any]:
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
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    return {"precision_at_1": mean(p1), "kendall_tau": mean(taus), "spearman_rho": mean(rhos),
            "queries": len(p1), "queries_ranked": len(taus)}
