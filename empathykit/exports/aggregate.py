"""From tidy annotations (one row per annotation × field) to one row per item.

Rules, per field kind (each documented in the README's export section):

- ``choice``: majority vote. A tie between the most frequent labels is *flagged*
  (``<field>_tie``) and the value left empty; it is never resolved silently.
- ``multichoice``: a label is kept when more than half of the item's annotators chose it.
- ``rating``: mean over annotators.
- ``text``: every annotator's text, in annotation order.
- ``spans`` (``--spans``): character-level ``majority`` (a character belongs to a
  label's span when more than half of the annotators covered it with that label),
  ``union`` (any annotator) or ``intersection`` (every annotator of the item);
  runs of such characters become spans.

Adjudicated values (``adjudications.parquet`` from ``agreement``) replace the
aggregate and clear a tie: adjudication is final.

The table is read and normalised by ``empathykit.table`` (the one
reader: tasks without ``item_id`` are ``task:<task_id>``); when one annotator
annotated an item twice, its later-annotation rule applies.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from empathykit.errors import ExportError
from empathykit.exports.choices import AGGREGATIONS
from empathykit.exports.vectorised import aggregate_vectorised
from empathykit.schemas.base import Field, Schema
from empathykit.table.annotations import latest_annotations
from empathykit.table.columns import decode_value


def majority(values: list[str]) -> tuple[str | None, bool]:
    """``(label, tie)`` for a list of labels; ``(None, True)`` on a tie."""
    counts = Counter(values).most_common()
    if not counts:
        return None, False
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None, True
    return counts[0][0], False


def _majority_labels(lists: list[list[str]], labels: tuple[str, ...]) -> list[str]:
    counts = Counter(label for chosen in lists for label in set(chosen))
    return [label for label in labels if counts[label] * 2 > len(lists)]


#: ``--spans`` modes: how many of ``n`` annotators must cover a character.
SPAN_MODES = {"majority": lambda n: n / 2, "union": lambda n: 0, "intersection": lambda n: n - 0.5}


def majority_spans(span_lists: list[list[dict]], mode: str = "majority") -> list[dict]:
    """Character-level vote over annotators' spans, per label (``mode``: :data:`SPAN_MODES`)."""
    by_label: dict[str, list[tuple[int, int, str]]] = {}
    for spans in span_lists:
        for s in spans:
            by_label.setdefault(s["label"], []).append((s["start"], s["end"], s.get("text", "")))
    merged: list[dict] = []
    threshold = SPAN_MODES[mode](len(span_lists))
    for label, spans in by_label.items():
        length = max(end for _, end, _ in spans)
        coverage = np.zeros(length + 1, dtype=np.int32)
        text_at: dict[int, str] = {}
        for spans_of_one in span_lists:
            covered = np.zeros(length + 1, dtype=bool)
            for s in spans_of_one:
                if s["label"] == label:
                    covered[s["start"] : s["end"]] = True
                    for offset, char in enumerate(s.get("text", "")):
                        text_at.setdefault(s["start"] + offset, char)
            coverage += covered
        keep = np.append(coverage > threshold, False)
        edges = np.flatnonzero(np.diff(np.concatenate([[False], keep]).astype(np.int8)))
        for start, end in zip(edges[0::2], edges[1::2]):
            text = "".join(text_at.get(i, "") for i in range(start, end))
            merged.append({"start": int(start), "end": int(end), "text": text, "label": label})
    return sorted(merged, key=lambda s: (s["start"], s["end"], s["label"]))


def aggregate_field(f: Field, values: list[Any], spans: str = "majority") -> tuple[Any, bool]:
    """Aggregate one field's per-annotator values; returns ``(value, tie)``."""
    if f.kind == "choice":
        return majority(values)
    if f.kind == "multichoice":
        return _majority_labels(values, f.labels), False
    if f.kind == "rating":
        return float(np.mean(values)), False
    if f.kind == "text":
        return list(values), False
    if f.kind == "spans":
        return majority_spans(values, spans), False
    raise AssertionError(f.kind)


def aggregate(
    tidy: pd.DataFrame,
    schema: Schema,
    adjudicated: pd.DataFrame | None = None,
    spans: str = "majority",
    vectorised: bool = True,
) -> pd.DataFrame:
    """One row per item: ``item_id``, ``n_annotators``, and for each schema field
    its aggregate plus ``<field>_tie`` (choice fields) and ``<field>_adjudicated``.

    ``adjudicated`` has columns ``item_id, field, value`` (JSON-encoded)."""
    if spans not in SPAN_MODES:
        raise ExportError(f"unknown --spans {spans!r}; expected one of {', '.join(SPAN_MODES)}")
    latest = latest_annotations(tidy)
    unknown = sorted(set(latest["field"].unique()) - set(schema.field_names))  # unique(): no Python pass per row
    if unknown:
        raise ExportError(
            f"annotations hold fields {unknown} that schema {schema.name!r} does not define",
            hint=f"export with the schema the project was pushed with (fields: {list(schema.field_names)})",
        )
    if latest.empty:
        raise ExportError(
            "no submitted annotations to export (all skipped or none pulled)",
            hint="check `empathykit annotate status` and pull again",
        )
    final: dict[tuple[str, str], Any] = {}
    if adjudicated is not None and len(adjudicated):
        for row in adjudicated.itertuples(index=False):
            final[(str(row.item_id), str(row.field))] = decode_value(row.value)
    if vectorised:  # choices and ratings only: group-bys, the same table (the loop below is the reference)
        table = aggregate_vectorised(latest, schema, final)
        if table is not None:
            return table

    rows: list[dict[str, Any]] = []
    for item_id, group in latest.groupby("item_id", sort=True):
        row: dict[str, Any] = {"item_id": str(item_id), "n_annotators": int(group["annotator_id"].nunique())}
        by_field = {name: [decode_value(v) for v in sub["value"]] for name, sub in group.groupby("field")}
        for f in schema.fields:
            key = (str(item_id), f.name)
            if key in final:
                value, tie, adjudicated_flag = final[key], False, True
            elif f.name in by_field:
                (value, tie), adjudicated_flag = aggregate_field(f, by_field[f.name], spans), False
            else:
                value, tie, adjudicated_flag = None, False, False
            row[f.name] = value
            if f.kind == "choice":
                row[f"{f.name}_tie"] = tie
            row[f"{f.name}_adjudicated"] = adjudicated_flag
        rows.append(row)
    return pd.DataFrame(rows)


def attach_inputs(aggregated: pd.DataFrame, items: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Join the items' input columns (the schema's inputs) onto the aggregates."""
    if "item_id" not in items.columns:
        raise ExportError(f"items table has no 'item_id' column (columns: {list(items.columns)})")
    wanted = [c for c in (*schema.inputs, *schema.optional_inputs) if c in items.columns]
    missing = [c for c in schema.inputs if c not in items.columns]
    if missing:
        raise ExportError(
            f"items table lacks the schema's input columns {missing}",
            hint=f"schema {schema.name!r} needs {list(schema.inputs)}",
        )
    items = items.assign(item_id=items["item_id"].astype(str))[["item_id", *wanted]].drop_duplicates("item_id")
    joined = aggregated.merge(items, on="item_id", how="left", validate="one_to_one")
    lost = joined[schema.inputs[0]].isna().sum() if schema.inputs else 0
    if lost:
        raise ExportError(
            f"{lost} annotated item(s) have no row in the items table",
            hint="pass the items file that was pushed (`--items`)",
        )
    return joined


#: ``--aggregate`` methods for choice fields (ratings: mean/median; ``majority`` keeps today's rules).
METHODS = AGGREGATIONS


def model_labels(tidy: pd.DataFrame, f: Field, method: str) -> dict[str, str]:
    """item_id -> label of an annotator-quality model (crowd-kit's Dawid-Skene or MACE) for choice field ``f``."""
    from crowdkit.aggregation import MACE, DawidSkene

    latest = latest_annotations(tidy)
    rows = latest[latest["field"] == f.name]
    data = pd.DataFrame(
        {
            "task": rows["item_id"].astype(str).to_numpy(),
            "worker": rows["annotator_id"].astype(str).to_numpy(),
            "label": [decode_value(v) for v in rows["value"]],
        }
    )
    model = DawidSkene(n_iter=100) if method == "dawid-skene" else MACE(random_state=0)
    with warnings.catch_warnings():
        # crowd-kit 1.4 still passes inplace=/copy= that pandas 3 deprecates (Pandas4Warning, thousands
        # per fit); the results are unaffected and the calls are crowd-kit's, so only its warnings go
        warnings.filterwarnings(
            "ignore", category=getattr(pd.errors, "Pandas4Warning", DeprecationWarning), module=r"crowdkit\."
        )
        labels = model.fit_predict(data)
    return {str(k): v for k, v in labels.items()}


def apply_method(table: pd.DataFrame, tidy: pd.DataFrame, schema: Schema, method: str) -> pd.DataFrame:
    """Re-aggregate the target field of ``aggregate``'s table with ``method`` (adjudicated values stay final)."""
    if method not in METHODS:
        raise ExportError(f"unknown aggregation {method!r}; expected one of {', '.join(METHODS)}")
    target = schema.field(schema.target)
    choice = target.kind == "choice"
    if choice != (method not in ("mean", "median")) and method not in ("majority", "majority-drop"):
        raise ExportError(
            f"--aggregate {method} does not apply to {target.kind} field {target.name!r}",
            hint="choices: majority, majority-drop, dawid-skene, mace; ratings: mean, median",
        )
    table = table.copy()
    keep = ~table[f"{target.name}_adjudicated"].astype(bool)
    if method in ("dawid-skene", "mace"):
        labels = model_labels(tidy, target, method)
        table.loc[keep, target.name] = table.loc[keep, "item_id"].map(labels)
        table.loc[keep, f"{target.name}_tie"] = False
    elif method == "majority-drop" and f"{target.name}_tie" in table:
        table = table[~table[f"{target.name}_tie"]].reset_index(drop=True)
    elif method == "median":
        latest = latest_annotations(tidy)
        rows = latest[latest["field"] == target.name]
        medians = rows.assign(v=[float(decode_value(v)) for v in rows["value"]]).groupby("item_id")["v"].median()
        table.loc[keep, target.name] = table.loc[keep, "item_id"].map(medians.rename(index=str))
    return table
