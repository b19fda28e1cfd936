"""Label kinds as the classifier heads see them: checks, targets, losses, decoded predictions.

- ``choice``: one class id per example; softmax head, cross-entropy (with soft
  targets from ``label_distribution`` when asked);
- ``multichoice``: a list of class ids; sigmoid head, binary cross-entropy on multi-hot;
- ``rating``: a number on the export's scale; one output trained with MSE on the
  value mapped to [0, 1] and mapped back for predictions.
"""

from __future__ import annotations

from typing import Any, Sequence

from empathykit.errors import InputError
from empathykit.train import metrics

DISTRIBUTION = "label_distribution"


def head_size(kind: str, names: Sequence[str] | None) -> int:
    return 1 if kind == "rating" else len(names or ())


def check_labels(data, *, kinds: Sequence[str], soft: bool = False, family: str = "classifier") -> None:
    """One line for each way ``data`` cannot train a head of ``kinds``; nothing is trained before."""
    if data.kind not in kinds:
        raise InputError(
            f"{data.source}: task {data.task!r} has {data.kind} labels; family {family!r} trains "
            f"{' / '.join(kinds)} labels"
        )
    train = data.split("train")
    columns = train.column_names
    missing = [c for c in [*data.inputs, data.label_column] if c not in columns]
    if missing:
        raise InputError(f"{data.source}: no column(s) {missing} that family {family!r} needs; it has {columns}")
    if not 1 <= len(data.inputs) <= 2:
        raise InputError(
            f"{data.source}: family {family!r} reads one text or a pair; the task has inputs {data.inputs}"
        )
    if len(train) == 0:
        raise InputError(f"{data.source}: the training split is empty")
    values = train[data.label_column]
    _check_kind(data, values)
    if data.kind == "choice":
        present = sorted({v for v in values if v is not None and v >= 0})
        if len(present) < 2:
            only = [data.label_names[v] for v in present] if data.label_names else present
            raise InputError(
                f"{data.source}: the training split has one class only ({only}); a classifier needs at least two",
                hint="check the export's splits and labels",
            )
    if soft and DISTRIBUTION not in columns:
        raise InputError(
            f"{data.source}: soft_labels=true needs a {DISTRIBUTION!r} column, which this export lacks",
            hint="export with a label distribution, or --set soft_labels=false",
        )


def _check_kind(data, values: list) -> None:
    sample = next((v for v in values if v is not None), None)
    expected = {"choice": "class ids (integers)", "multichoice": "lists of class ids", "rating": "numbers"}[data.kind]
    ok = {
        "choice": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "multichoice": lambda v: isinstance(v, list),
        "rating": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }[data.kind]
    if sample is None or not ok(sample):
        raise InputError(
            f"{data.source}: label column {data.label_column!r} holds {type(sample).__name__} values, "
            f"not {expected} as a {data.kind} task needs"
        )


def scale_of(data) -> tuple[float, float]:
    if data.scale:
        return float(data.scale[0]), float(data.scale[1])
    values = [float(v) for v in data.split("train")[data.label_column] if v is not None]
    low, high = min(values), max(values)
    return (low, high if high > low else low + 1.0)


def target(kind: str, value: Any, size: int, scale: tuple[float, float] | None) -> Any:
    """The training target of one example."""
    if kind == "choice":
        return int(value)
    if kind == "multichoice":
        hot = [0.0] * size
        for index in value or []:
            hot[int(index)] = 1.0
        return hot
    low, high = scale or (0.0, 1.0)
    return [(float(value) - low) / (high - low)]


def loss(kind: str, logits, labels, soft=None, weight=None):
    """The kind's loss; ``weight`` (one per class, choice only): weighted cross-entropy."""
    import torch
    import torch.nn.functional as F

    if kind == "choice":
        weight = torch.tensor(weight, dtype=logits.dtype, device=logits.device) if weight is not None else None
        return F.cross_entropy(logits, soft if soft is not None else labels, weight=weight)
    if kind == "multichoice":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    return F.mse_loss(logits, labels.to(logits.dtype))


def decode(kind: str, logits, names: Sequence[str] | None, scale, threshold: float = 0.5) -> list[dict[str, Any]]:
    """``{"prediction", "prediction_score", "index"}`` per row of logits."""
    import torch

    rows: list[dict[str, Any]] = []
    if kind == "choice":
        best, index = torch.softmax(logits, dim=1).max(dim=1)
        for j, p in zip(index.tolist(), best.tolist()):
            rows.append({"prediction": names[j] if names else j, "prediction_score": p, "index": j})
    elif kind == "multichoice":
        probs = torch.sigmoid(logits)
        chosen = probs >= threshold
        confidence = torch.where(chosen, probs, 1 - probs).mean(dim=1)
        for mask, c in zip(chosen.tolist(), confidence.tolist()):
            picked = [j for j, on in enumerate(mask) if on]
            rows.append(
                {"prediction": [names[j] for j in picked] if names else picked, "prediction_score": c, "index": mask}
            )
    else:
        low, high = scale
        for v in logits[:, 0].tolist():
            value = min(max(low + v * (high - low), low), high)
            rows.append({"prediction": value, "prediction_score": None, "index": value})
    return rows


def split_metrics(kind: str, gold: list, rows: list[dict[str, Any]], names: Sequence[str] | None) -> dict[str, Any]:
    if kind == "choice":
        return metrics.classification_metrics(gold, [r["index"] for r in rows], names or [])
    if kind == "multichoice":
        size = len(names or ())
        hot = [[1 if j in set(g or []) else 0 for j in range(size)] for g in gold]
        return metrics.multilabel_metrics(hot, [[int(x) for x in r["index"]] for r in rows], names or [])
    return metrics.regression_metrics([float(g) for g in gold], [r["index"] for r in rows])
