"""Annotation exports: the task-variant configs and their grouped splits.

- Each variant becomes one :class:`~empathykit.exports.writer.ExportConfig`
  with the column layout the release importers write for the same data
  (``label``, EPITOME's ``rationales``), so a model trained on a release
  reads an annotation export and back.
- Choice configs carry the annotators' votes: ``annotations`` (each
  annotator's label, in annotation order) and ``label_distribution`` (one
  probability per class of the config), for soft-label training.
- Splits are whole groups (``--group-by``; EPITOME: the seeker post, story
  pairs: the story ids, tweets: the conversation) through the importers'
  grouped splitter, so no seeker post or story falls in two splits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from empathykit.errors import ExportError
from empathykit.exports.splits import SPLIT_NAMES, group_keys, grouped_split, stratified_split
from empathykit.schemas.variants import variants_for
from empathykit.exports.writer import ExportConfig
from empathykit.releases.registry import ImportedConfig
from empathykit.schemas.base import Schema
from empathykit.table.annotations import latest_annotations
from empathykit.table.columns import decode_value

#: Default group columns per schema, used when the items carry them.
DEFAULT_GROUPS = {"epitome": ("seeker_post",), "story-pair": ("story_a_id", "story_b_id"),
                  "seek-provide": ("conversation_id",)}


def votes_by_field(tidy: pd.DataFrame, schema: Schema) -> dict[str, dict[str, list[str]]]:
    """``{choice field: {item_id: [label per annotator]}}`` from the latest annotations."""
    latest = latest_annotations(tidy)
    choices = {f.name for f in schema.fields if f.kind == "choice"}
    rows = latest[latest["field"].isin(choices)]
    votes: dict[str, dict[str, list[str]]] = {name: {} for name in choices}
    codes, uniques = pd.factorize(rows["value"])  # each distinct JSON value decoded once
    decoded = [decode_value(u) for u in uniques]
    for item_id, name, code in zip(rows["item_id"].astype(str), rows["field"], codes):
        label = decoded[code]
        if isinstance(label, str):
            votes[name].setdefault(item_id, []).append(label)
    return votes


def _vote_columns(split, variant, votes: dict[str, list[str]]) -> dict[str, list]:
    names = list(variant.label_names)
    index = {n: i for i, n in enumerate(names)}
    mapped = {label: variant.map_label(label) for label in set().union(*votes.values())}
    # the column as one list (iterating split["item_id"] formats row by row: seconds per 100,000 rows)
    annotations = [[mapped[v] for v in votes.get(item_id, [])] for item_id in split.select_columns(["item_id"])[:]["item_id"]]
    counts = np.zeros((len(annotations), len(names)))
    for row, mine in enumerate(annotations):
        for label in mine:
            if label in index:
                counts[row, index[label]] += 1
    totals = counts.sum(axis=1, keepdims=True)
    distribution = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return {"annotations": annotations, "label_distribution": distribution.tolist()}


def _config_split(split, schema: Schema, variant, votes: dict[str, list[str]] | None):
    from datasets import ClassLabel, List, Value

    source = "label" if variant.source in ("label", schema.target) else variant.source
    keep = [c for c in split.column_names if c != "label" or source == "label"]
    part = split.select_columns(keep)
    if source != "label":  # another field of the schema is this config's label
        part = part.rename_column(source, "label")
        lost = [i for i, v in enumerate(part["label"]) if v is None or v == -1]
        if lost:  # tied or unannotated on this field: not in this config
            part = part.select(sorted(set(range(len(part))) - set(lost)))
    rationales = variant.extra.get("rationales")
    if rationales and rationales in part.column_names:
        part = part.rename_column(rationales, "rationales")
    features = part.features.copy()
    if variant.mapping:
        names = list(features["label"].names)
        recode = {i: variant.label_names.index(variant.map_label(n)) for i, n in enumerate(names)}
        features["label"] = ClassLabel(names=list(variant.label_names))
        part = part.map(lambda b: {"label": [recode.get(v, -1) for v in b["label"]]}, batched=True, features=features)
    if variant.kind == "choice" and votes is not None:
        columns = _vote_columns(part, variant, votes)
        # a fingerprint given, so datasets does not pickle the whole column to hash it (11 s per 100,000 rows)
        fingerprint = f"{part._fingerprint}-{variant.name}-votes"
        part = part.add_column("annotations", columns["annotations"], new_fingerprint=fingerprint + "a",
                               feature=List(Value("string"))).add_column(
            "label_distribution", columns["label_distribution"], new_fingerprint=fingerprint + "d",
            feature=List(Value("float32")))
    return part


def variant_configs(schema: Schema, dataset, schema_options: dict[str, Any] | None = None, variants=None,
                    votes: dict[str, dict[str, list[str]]] | None = None) -> list[ExportConfig]:
    """One :class:`ExportConfig` per task variant of ``schema`` (``votes``: :func:`votes_by_field`)."""

    configs = []
    for variant in variants or variants_for(schema):
        field = schema.target if variant.source == "label" else variant.source
        field_votes = (votes or {}).get(field) if votes is not None else None
        splits = {name: _config_split(dataset[name], schema, variant, field_votes) for name in SPLIT_NAMES}
        configs.append(ExportConfig(variant.name, variant.kind, list(variant.inputs), splits,
                                    label_names=list(variant.label_names) if variant.label_names else None,
                                    scale=variant.scale, schema=schema.name, schema_options=dict(schema_options or {}),
                                    description=variant.description))
    return configs


def group_columns(schema: Schema, items: pd.DataFrame, group_by: str | None) -> tuple[str, ...]:
    """The columns whose shared values keep rows in one split; checked before any work."""
    if group_by:
        if group_by not in items.columns:
            raise ExportError(f"--group-by {group_by!r}: no such column in the items table "
                              f"(columns: {', '.join(map(str, items.columns))})",
                              hint="pass --group-by with a column of the pushed items")
        return (group_by,)
    return tuple(c for c in DEFAULT_GROUPS.get(schema.name, ()) if c in items.columns)


def annotation_splits(labelled: pd.DataFrame, strata, items: pd.DataFrame, columns: tuple[str, ...],
                      fractions, seed: int) -> tuple[np.ndarray, list[str]]:
    """A split per row of ``labelled`` and warnings (an empty split, when no group forced it)."""

    fractions = tuple(float(f) for f in fractions)
    rows = [{"item_id": str(i), "label": s} for i, s in zip(labelled["item_id"], strata)]
    if columns:
        keyed = items.assign(item_id=items["item_id"].astype(str)).drop_duplicates("item_id").set_index("item_id")
        for row in rows:
            for c in columns:
                value = keyed[c].get(row["item_id"], "")
                row[c] = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    config = ImportedConfig("annotations", rows, "choice", [], group_by=columns or None)
    if columns and len(set(group_keys(config, None))) < len(rows):
        # strict: whole groups within TOLERANCE of the fractions, else pairs split by story (crossing pairs
        # left out, as None) or one line saying why; never a silent 97/2/1
        try:
            by_item = grouped_split(config, None, fractions, seed, strict=True)
        except ExportError:  # too few groups per label to stratify: whole groups, unstratified; raises if still off
            flat = ImportedConfig("annotations", [{**r, "label": "all"} for r in rows], "choice", [], group_by=columns)
            by_item = grouped_split(flat, None, fractions, seed, strict=True)
        assigned = np.array([by_item[r["item_id"]] for r in rows], dtype=object)
    else:
        assigned = stratified_split([r["label"] for r in rows], fractions, seed)
    warnings = [f"split {name!r} is empty ({len(rows)} labelled items at fractions {list(fractions)})"
                for name, share in zip(SPLIT_NAMES, fractions) if share > 0 and name not in set(assigned.tolist())]
    left_out = sum(a is None for a in assigned.tolist())
    if left_out:
        warnings.append(f"{left_out} of {len(rows)} labelled items left out: their {' and '.join(columns)} fell in "
                        "different splits, and either split would show the model a test story in training")
    return assigned, warnings
