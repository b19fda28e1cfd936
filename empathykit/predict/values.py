"""A model's answers in a schema's terms: its label names mapped onto the target's labels
(``--label-map MODEL_LABEL=SCHEMA_LABEL``, the grammar of ``train.label_map``, one schema label
each), and one prediction row as the ``{field: value}`` that ``schema.to_results`` takes. What
``predict``, ``serve`` and ``annotate next-round`` write for a task, from one place."""

from __future__ import annotations

import json
from typing import Any, Mapping

from empathykit.errors import InputError
from empathykit.schemas.base import Field, Schema
from empathykit.train.label_map import parse_label_map as parse_class_map

#: target kinds whose values are label names (a model's names are mapped onto them)
NAMED_KINDS = ("choice", "multichoice")


def parse_label_map(text: str) -> dict[str, str]:
    """``"LABEL_0=none,LABEL_1=seeking"`` → ``{"LABEL_0": "none", "LABEL_1": "seeking"}``."""
    mapping = {}
    for model_label, schema_labels in parse_class_map(text).items():
        if len(schema_labels) != 1:
            raise InputError(
                f"label map entry {model_label}={'+'.join(schema_labels)}: a model label goes to "
                "one schema label here (e.g. LABEL_0=none,LABEL_1=seeking)"
            )
        mapping[model_label] = schema_labels[0]
    return mapping


def map_labels(id2label: dict[int, str], target: Field, label_map: str | Mapping[str, str] | None) -> dict[int, str]:
    """Model class index → schema label; every model label must land on one."""
    mapping = parse_label_map(label_map) if isinstance(label_map, str) else dict(label_map or {})
    model_labels = set(id2label.values()) | {str(i) for i in id2label}
    stray = [key for key in mapping if key not in model_labels]
    if stray:
        raise InputError(
            f"label map names {stray}, which the model does not have; its labels are "
            f"{[id2label[i] for i in sorted(id2label)]}"
        )
    wrong = [value for value in mapping.values() if value not in target.labels]
    if wrong:
        raise InputError(f"label map targets {wrong}, not labels of {target.name!r}; expected {list(target.labels)}")
    by_lower = {label.lower(): label for label in target.labels}
    names, unmapped = {}, []
    for index in sorted(id2label):
        label = id2label[index]
        found = mapping.get(label, mapping.get(str(index), by_lower.get(label.lower())))
        if found is None:
            unmapped.append(label)
        names[index] = found
    if unmapped:
        raise InputError(
            f"model labels {unmapped} match no label of {target.name!r} {list(target.labels)}",
            hint="map them with --label-map, e.g. " + ",".join(f"{m}={target.labels[0]}" for m in unmapped[:2]),
        )
    return names


def model_label_names(
    info: Mapping[str, Any], target: Field, label_map: str | Mapping[str, str] | None = None
) -> dict[str, str]:
    """Model label name → schema label for a trainer model's ``labels`` facts (``{}`` for a rating)."""
    if target.kind not in NAMED_KINDS:
        return {}
    labels = list(info.get("label_names") or [])
    return {labels[i]: name for i, name in map_labels(dict(enumerate(labels)), target, label_map).items()}


def to_values(row: Mapping[str, Any], schema: Schema, names: Mapping[str, str]) -> dict[str, Any] | None:
    """``{field: typed value}`` of one prediction row, in the schema's labels (None: no prediction)."""
    value = row.get("prediction")
    if value is None:
        return None
    if isinstance(value, str) and value.startswith("{"):  # EPITOME: levels and rationale spans per mechanism
        fields = set(schema.field_names)
        return {k: v for k, v in json.loads(value).items() if k in fields and v is not None}
    target = schema.field(schema.target)  # type: ignore[arg-type]
    if target.kind == "choice":
        return {target.name: names.get(value, value)}
    if target.kind == "multichoice":
        chosen = sorted({names.get(v, v) for v in value}, key=target.labels.index)
        return {target.name: chosen} if chosen else None
    low, high = target.scale  # type: ignore[misc]
    return {target.name: int(min(max(round(float(value)), low), high))}
