"""Scoring a model on another data set's labels: ``--label-map MODEL_CLASS=DATA_CLASS,...``.

Two directions, told apart by the map itself:

- several data classes to one model class (``high=seeking+providing,low=none``, or one to one as
  ``high=empathy,low=none``): each gold label of the data is replaced by the model class it maps
  to, so the metrics are in the model's label space (``high`` the positive class);
- several model classes to one data class (``seeking=empathy,providing=empathy,none=none``): each
  prediction is replaced by the data class its model class maps to, so the metrics are in the
  data's label space (a three-class seek/provide model scored on empathy-vs-none).

A class left out, or a name that is in neither label set, is one line naming both label sets.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError
from empathykit.keyvalue import parse_list
from empathykit.train.metrics import add_confusion_figure, classification_metrics

EXAMPLE = "high=empathy,low=none"


def parse_label_map(value: str) -> dict[str, list[str]]:
    """``{model_class: [data_class, ...]}`` from ``high=empathy,low=none`` (``+`` joins data classes)."""
    mapping: dict[str, list[str]] = {}
    for model_class, data_classes in parse_list(value, "--label-map", EXAMPLE, form="MODEL_CLASS=DATA_CLASS"):
        names = [n.strip() for n in data_classes.split("+") if n.strip()]
        if not names:
            raise InputError(
                f"--label-map {model_class}={data_classes}: expected MODEL_CLASS=DATA_CLASS (e.g. {EXAMPLE})"
            )
        mapping.setdefault(model_class, []).extend(names)
    return mapping


def plan_label_map(data, model_labels: dict[str, Any], mapping: dict[str, list[str]]) -> tuple[str, Any]:
    """``("model", data with gold labels in the model's classes)`` or ``("data", {model class index:
    data class index})`` where several model classes share a data class (checked, one line each)."""
    model_names: list[str] = list(model_labels.get("label_names") or [])
    data_names: list[str] = list(data.label_names or [])
    both = f"model labels {model_names}, data labels {data_names} ({data.source}, task {data.task!r})"
    if data.kind != "choice" or model_labels.get("kind") != "choice":
        raise InputError(
            f"--label-map maps single-label classes; the model has {model_labels.get('kind')} labels "
            f"and the data {data.kind} labels"
        )
    unknown_model = [m for m in mapping if m not in model_names]
    if unknown_model:
        raise InputError(f"--label-map names {unknown_model}, not a class of the model; {both}")
    for names in mapping.values():
        for name in names:
            if name not in data_names:
                raise InputError(f"--label-map maps {name!r}, not a class of the data; {both}")
    targets = [name for names in mapping.values() for name in names]
    if len(targets) == len(set(targets)):
        return "model", _gold_in_model_classes(data, mapping, model_names, data_names, both)
    joined = [m for m, names in mapping.items() if len(names) > 1]
    if joined:
        raise InputError(
            f"--label-map joins model classes into one data class and splits {joined} over several; {both}",
            hint="map each model class to one data class, e.g. seeking=empathy,providing=empathy,none=none",
        )
    unmapped = [m for m in model_names if m not in mapping]
    if unmapped:
        raise InputError(
            f"--label-map gives no data class for model class(es) {unmapped}; {both}",
            hint="map every model class, e.g. seeking=empathy,providing=empathy,none=none",
        )
    return "data", {model_names.index(m): data_names.index(names[0]) for m, names in mapping.items()}


def _gold_in_model_classes(data, mapping, model_names: list[str], data_names: list[str], both: str):
    target = {data_names.index(name): model_names.index(m) for m, names in mapping.items() for name in names}
    unmapped = [n for i, n in enumerate(data_names) if i not in target]
    if unmapped:
        raise InputError(
            f"--label-map gives no model class for data class(es) {unmapped}; {both}",
            hint="map every data class, e.g. high=seeking+providing,low=none",
        )
    column = data.label_column

    def remap(row: dict[str, Any]) -> dict[str, Any]:
        value = row[column]
        return {column: target[value] if value is not None and value >= 0 else value}

    return dataclasses.replace(data, dataset=data.dataset.map(remap), label_names=model_names)


def score_mapped_predictions(
    family,
    model_dir: Path,
    data,
    split: str,
    model_to_data: dict[int, int],
    model_names: Sequence[str],
    figures_dir: Path | None,
) -> dict[str, Any]:
    """Metrics in the data's classes of the model's predictions on ``split``, each mapped to its data class."""
    rows = data.split(split)
    gold = rows[data.label_column]
    keep = [i for i, g in enumerate(gold) if g is not None and g >= 0]
    records = [rows[i] for i in keep]
    answers = family.predict(Path(model_dir), records)
    by_name = {name: model_to_data[i] for i, name in enumerate(model_names)}
    predicted = [
        by_name[a["prediction"][0] if isinstance(a["prediction"], list) else a["prediction"]]
        if a["prediction"] is not None
        else -1
        for a in answers
    ]
    result = classification_metrics([gold[i] for i in keep], predicted, data.label_names)
    result["label_map"] = {name: data.label_names[j] for name, j in by_name.items()}
    return add_confusion_figure(result, data.label_names, figures_dir, model_dir, split)
