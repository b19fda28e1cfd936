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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from empathykit.errors import ExportError
from empathykit.exports.splits import SPLIT_NAMES, group_keys, grouped_split, stratified_split
from empathykit.exports.writer import ExportConfig
from empathykit.releases.configs import ImportedConfig
from empathykit.schemas.base import Schema
from empathykit.schemas.variants import variants_for
from empathykit.table.annotations import latest_annotations
from empathykit.table.columns import decode_value

#: Default group columns per schema, used when the items carry them.
DEFAULT_GROUPS = {
    "epitome": ("seeker_post",),
    "story-pair": ("story_a_id", "story_b_id"),
    "seek-provide": ("conversation_id",),
}


@dataclass
class FieldVotes:
    """Every annotator's label of one choice field, per item, in annotation order: item ``i`` of
    ``items`` voted ``labels[codes[offsets[i]:offsets[i + 1]]]``. Built once per export; each
    config reads it through :meth:`columns` with array operations, never a Python loop per row."""

    items: pd.Index
    offsets: np.ndarray
    codes: np.ndarray
    labels: list[str]

    def take(self, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, codes)`` of the votes of ``item_ids`` (none for an item without votes)."""
        position = self.items.get_indexer(item_ids)
        found = position >= 0
        starts = np.where(found, self.offsets[:-1][position], 0)
        lengths = np.where(found, self.offsets[1:][position] - starts, 0)
        offsets = np.zeros(len(item_ids) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return offsets, self.codes[flat]

    def columns(self, item_ids: np.ndarray, variant) -> tuple[pa.Array, pa.Array]:
        """``annotations`` (each vote as the variant names it) and ``label_distribution`` (the
        share of the votes per class of the variant) for the rows ``item_ids``."""
        offsets, codes = self.take(item_ids)
        names = list(variant.label_names)
        mapped = [variant.map_label(label) for label in self.labels]
        onto = np.zeros((len(self.labels), len(names)))
        for code, label in enumerate(mapped):
            if label in names:
                onto[code, names.index(label)] = 1
        rows = np.repeat(np.arange(len(item_ids)), np.diff(offsets))
        counts = np.bincount(rows * len(self.labels) + codes, minlength=len(item_ids) * len(self.labels))
        counts = counts.reshape(len(item_ids), len(self.labels)) @ onto
        totals = counts.sum(axis=1, keepdims=True)
        distribution = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        annotations = pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()), pa.array(np.array(mapped, dtype=object)[codes], pa.string())
        )
        steps = pa.array(np.arange(len(item_ids) + 1, dtype=np.int32) * len(names))
        shares = pa.ListArray.from_arrays(steps, pa.array(distribution.ravel(), pa.float32()))
        return annotations, shares


def votes_by_field(tidy: pd.DataFrame, schema: Schema) -> dict[str, FieldVotes]:
    """Per choice field, every annotator's latest label per item (:class:`FieldVotes`)."""
    latest = latest_annotations(tidy)
    votes = {}
    for f in (f for f in schema.fields if f.kind == "choice"):
        rows = latest[latest["field"].to_numpy() == f.name]
        values, uniques = pd.factorize(rows["value"])  # each distinct JSON value decoded once
        labels = list(f.labels)
        decoded = np.array(
            [labels.index(v) if isinstance(v := decode_value(u), str) and v in labels else -1 for u in uniques] + [-1],
            np.int64,
        )
        codes = decoded[values]  # a missing value is code -1 of factorize, the appended -1
        keep = codes >= 0
        items, first = pd.factorize(rows["item_id"].astype(str).to_numpy()[keep])
        order = np.argsort(items, kind="stable")  # grouped by item, annotation order kept within
        offsets = np.zeros(len(first) + 1, np.int64)
        np.cumsum(np.bincount(items, minlength=len(first)), out=offsets[1:])
        votes[f.name] = FieldVotes(pd.Index(first), offsets, codes[keep][order], labels)
    return votes


def _config_split(split, schema: Schema, variant, votes: FieldVotes | None):
    """One split of one config, built on the split's Arrow table (no per-row Python)."""
    import pyarrow.compute as pc
    from datasets import ClassLabel, Dataset, DatasetInfo, Features, List, Value
    from datasets.table import InMemoryTable

    source = "label" if variant.source in ("label", schema.target) else variant.source
    table = split.flatten_indices().data.table if split._indices is not None else split.data.table
    features = split.features.copy()
    keep = [c for c in table.column_names if c != "label" or source == "label"]
    table = table.select(keep)
    renames = {source: "label"} if source != "label" else {}
    rationales = variant.extra.get("rationales")
    if rationales and rationales in table.column_names:
        renames[rationales] = "rationales"
    table = table.rename_columns([renames.get(c, c) for c in table.column_names])
    features = {renames.get(c, c): features[c] for c in keep}
    if source != "label":  # another field of the schema is this config's label; tied or unannotated: left out
        table = table.filter(pc.fill_null(pc.not_equal(table["label"], -1), False))
    if variant.mapping:
        names = list(features["label"].names)
        recode = np.array([variant.label_names.index(variant.map_label(n)) for n in names] + [-1], np.int64)
        codes = table["label"].to_numpy()
        column = table.column_names.index("label")
        table = table.set_column(column, "label", pa.array(recode[np.where(codes >= 0, codes, -1)], pa.int64()))
        features["label"] = ClassLabel(names=list(variant.label_names))
    if variant.kind == "choice" and votes is not None:
        annotations, shares = votes.columns(table["item_id"].to_numpy(zero_copy_only=False), variant)
        table = table.append_column("annotations", annotations).append_column("label_distribution", shares)
        features.update(annotations=List(Value("string")), label_distribution=List(Value("float32")))
    features = Features(features)
    # a fingerprint given, so datasets does not hash the whole table (seconds per 100,000 rows)
    return Dataset(
        InMemoryTable(table.cast(features.arrow_schema)),
        info=DatasetInfo(features=features),
        fingerprint=f"{split._fingerprint}-{variant.name}",
    )


def variant_configs(
    schema: Schema,
    dataset,
    schema_options: dict[str, Any] | None = None,
    variants=None,
    votes: dict[str, FieldVotes] | None = None,
) -> list[ExportConfig]:
    """One :class:`ExportConfig` per task variant of ``schema`` (``votes``: :func:`votes_by_field`)."""

    configs = []
    for variant in variants or variants_for(schema):
        field = schema.target if variant.source == "label" else variant.source
        field_votes = (votes or {}).get(field) if votes is not None else None
        splits = {name: _config_split(dataset[name], schema, variant, field_votes) for name in SPLIT_NAMES}
        configs.append(
            ExportConfig(
                variant.name,
                variant.kind,
                list(variant.inputs),
                splits,
                label_names=list(variant.label_names) if variant.label_names else None,
                scale=variant.scale,
                schema=schema.name,
                schema_options=dict(schema_options or {}),
                description=variant.description,
            )
        )
    return configs


def group_columns(schema: Schema, items: pd.DataFrame, group_by: str | None) -> tuple[str, ...]:
    """The columns whose shared values keep rows in one split; checked before any work."""
    if group_by:
        if group_by not in items.columns:
            raise ExportError(
                f"--group-by {group_by!r}: no such column in the items table "
                f"(columns: {', '.join(map(str, items.columns))})",
                hint="pass --group-by with a column of the pushed items",
            )
        return (group_by,)
    return tuple(c for c in DEFAULT_GROUPS.get(schema.name, ()) if c in items.columns)


def annotation_splits(
    labelled: pd.DataFrame, strata, items: pd.DataFrame, columns: tuple[str, ...], fractions, seed: int
) -> tuple[np.ndarray, list[str]]:
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
    warnings = [
        f"split {name!r} is empty ({len(rows)} labelled items at fractions {list(fractions)})"
        for name, share in zip(SPLIT_NAMES, fractions)
        if share > 0 and name not in set(assigned.tolist())
    ]
    left_out = sum(a is None for a in assigned.tolist())
    if left_out:
        warnings.append(
            f"{left_out} of {len(rows)} labelled items left out: their {' and '.join(columns)} fell in "
            "different splits, and either split would show the model a test story in training"
        )
    return assigned, warnings
