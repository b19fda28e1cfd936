"""Scoring a model on another data set's labels: ``--label-map MODEL_CLASS=DATA_CLASS,...``.

``high=empathy,low=none`` scores a NewsEmp ``empathy_bin`` model (low / high) on TwittEmp's
empathy-vs-none: each gold label of the data is replaced by the model class it maps to, so the
metrics are in the model's label space (``high`` the positive class). Several data classes may
go to one model class with ``+`` (``high=seeking+providing,low=none``). A data class with no
model class, or a name that is in neither label set, is one line naming both label sets.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from empathykit.errors import InputError


def parse_label_map(value: str) -> dict[str, list[str]]:
    """``{model_class: [data_class, ...]}`` from ``high=empathy,low=none``."""
    mapping: dict[str, list[str]] = {}
    for pair in (p.strip() for p in str(value).split(",") if p.strip()):
        model_class, sep, data_classes = pair.partition("=")
        names = [n.strip() for n in data_classes.split("+") if n.strip()]
        if not sep or not model_class.strip() or not names:
            raise InputError(f"--label-map {pair!r}: expected MODEL_CLASS=DATA_CLASS (e.g. high=empathy,low=none)")
        mapping.setdefault(model_class.strip(), []).extend(names)
    if not mapping:
        raise InputError("--label-map is empty", hint="e.g. --label-map high=empathy,low=none")
    return mapping


def apply_label_map(data, model_labels: dict[str, Any], mapping: dict[str, list[str]]):
    """``data`` with its gold labels in the model's label space (a copy; choice labels only)."""
    model_names: Sequence[str] = model_labels.get("label_names") or []
    data_names: Sequence[str] = data.label_names or []
    both = f"model labels {list(model_names)}, data labels {list(data_names)} ({data.source}, task {data.task!r})"
    if data.kind != "choice" or model_labels.get("kind") != "choice":
        raise InputError(f"--label-map maps single-label classes; the model has {model_labels.get('kind')} labels "
                         f"and the data {data.kind} labels")
    unknown_model = [m for m in mapping if m not in model_names]
    if unknown_model:
        raise InputError(f"--label-map names {unknown_model}, not a class of the model; {both}")
    target: dict[int, int] = {}
    for model_class, data_classes in mapping.items():
        for name in data_classes:
            if name not in data_names:
                raise InputError(f"--label-map maps {name!r}, not a class of the data; {both}")
            if data_names.index(name) in target:
                raise InputError(f"--label-map maps data class {name!r} twice; {both}")
            target[data_names.index(name)] = list(model_names).index(model_class)
    unmapped = [n for i, n in enumerate(data_names) if i not in target]
    if unmapped:
        raise InputError(f"--label-map gives no model class for data class(es) {unmapped}; {both}",
                         hint="map every data class, e.g. high=seeking+providing,low=none")
    column = data.label_column

    def remap(row: dict[str, Any]) -> dict[str, Any]:
        value = row[column]
        return {column: target[value] if value is not None and value >= 0 else value}

    dataset = data.dataset.map(remap)
    return dataclasses.replace(data, dataset=dataset, label_names=list(model_names))
