"""From the tidy annotation table to the reliability data agreement needs.

Rules:

- Skipped / cancelled annotations (``was_cancelled``) are excluded and counted
  per annotator.
- Ground-truth annotations (``ground_truth``) are the *reference*, not a
  rater: they are left out of inter-annotator coefficients and used for each
  annotator's agreement with gold. An adjudications table (``item_id, field,
  value``) overrides gold for the items it covers.
- Annotators are identified by ``annotator_id``. An id seen with two emails, or
  an email seen under two ids, is reported (never merged). An annotation with
  no annotator counts as annotator ``-1``; a task without ``item_id`` is the
  unit ``task:<task_id>``.
- A unit annotated twice by one annotator is reported; the later annotation
  counts: latest ``updated_at``, then highest ``annotation_id`` (the same rule
  ``export`` uses).
- For ``spans`` fields, an annotator who submitted an annotation of the item
  without marking spans marked none (``[]``); for other fields a missing value
  is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np
import pandas as pd

from empathykit.errors import AgreementError
from empathykit.schemas.base import Field, Schema
from empathykit.table.agreement_input import InputSummary
from empathykit.table.annotations import decode_checked, latest_first, schema_of
from empathykit.table.columns import RULE

#: Tokens for span agreement: words and single punctuation marks.
TOKEN = re.compile(r"\w+|[^\w\s]")


def as_schema(schema: Schema | str | None, annotations: Any = None) -> Schema:
    """A schema; for a name or None, the schema recorded in ``annotations``
    (``table.annotations.schema_of``: options recorded by pull, a contradicting
    name refused)."""
    if isinstance(schema, Schema):
        return schema
    return schema_of(annotations, schema)


@dataclass
class Inventory:
    """What the table held before agreement: counts and reported problems."""

    rows: int
    annotations: int
    items: int
    cancelled: dict[int, int]
    ground_truth_annotations: int
    emails: dict[int, str]
    ids_with_several_emails: list[dict[str, Any]]
    emails_with_several_ids: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    unknown_fields: list[str]
    median_lead_time: dict[int, float | None]
    annotations_by_annotator: dict[int, int]
    ground_truth_by_annotator: dict[int, int]

    def summary(self) -> InputSummary:
        return InputSummary(
            rows=self.rows,
            annotations=self.annotations,
            items=self.items,
            cancelled=int(sum(self.cancelled.values())),
            cancelled_by_annotator={str(k): v for k, v in sorted(self.cancelled.items())},
            ground_truth_annotations=self.ground_truth_annotations,
            ids_with_several_emails=self.ids_with_several_emails,
            emails_with_several_ids=self.emails_with_several_ids,
            duplicate_rule=DUPLICATE_RULE,
            duplicate_units=self.duplicates,
            unknown_fields=self.unknown_fields,
        )


DUPLICATE_RULE = RULE


def take_inventory(frame: pd.DataFrame, schema: Schema) -> Inventory:
    """Counts, identity problems and duplicates of a checked tidy table."""
    per_annotation = frame.drop_duplicates("annotation_id")
    cancelled = per_annotation[per_annotation["was_cancelled"]].groupby("annotator_id").size()
    submitted = per_annotation[~per_annotation["was_cancelled"]]

    emails_seen = frame.dropna(subset=["annotator_email"]).drop_duplicates(["annotator_id", "annotator_email"])
    several = emails_seen.groupby("annotator_id")["annotator_email"].agg(sorted)
    ids_with_several = [{"annotator_id": int(k), "emails": v} for k, v in several.items() if len(v) > 1]
    shared = emails_seen.groupby("annotator_email")["annotator_id"].agg(sorted)
    emails_with_several = [{"email": k, "annotator_ids": [int(i) for i in v]} for k, v in shared.items() if len(v) > 1]
    latest_email = latest_first(frame.dropna(subset=["annotator_email"])).drop_duplicates("annotator_id", keep="last")
    emails = dict(
        zip(latest_email["annotator_id"].astype(int).tolist(), latest_email["annotator_email"].astype(str).tolist())
    )

    raters = frame[~frame["was_cancelled"] & ~frame["ground_truth"] & frame["value"].notna()]
    keys = ["item_id", "field", "annotator_id"]
    repeated = raters.groupby(keys)["annotation_id"].transform("nunique") > 1
    duplicates = []
    for (item, name, annotator), group in latest_first(raters[repeated.to_numpy()]).groupby(keys, sort=True):
        ids = list(dict.fromkeys(int(x) for x in group["annotation_id"]))
        duplicates.append(
            {"item_id": item, "field": name, "annotator_id": int(annotator), "kept": ids[-1], "dropped": ids[:-1]}
        )

    lead = submitted.groupby("annotator_id")["lead_time"].median()
    known = set(schema.field_names)
    return Inventory(
        rows=len(frame),
        annotations=int(frame["annotation_id"].nunique()),
        items=int(frame["item_id"].nunique()),
        cancelled={int(k): int(v) for k, v in cancelled.items()},
        ground_truth_annotations=int(per_annotation["ground_truth"].sum()),
        emails=emails,
        ids_with_several_emails=ids_with_several,
        emails_with_several_ids=emails_with_several,
        duplicates=duplicates,
        unknown_fields=sorted({str(f) for f in frame["field"].dropna().unique()} - known),
        median_lead_time={int(k): (None if pd.isna(v) else float(v)) for k, v in lead.items()},
        annotations_by_annotator={int(k): int(v) for k, v in submitted.groupby("annotator_id").size().items()},
        ground_truth_by_annotator={
            int(k): int(v) for k, v in submitted.groupby("annotator_id")["ground_truth"].sum().items()
        },
    )


# -- one field as reliability data ----------------------------------------------------


@dataclass
class FieldData:
    """A field's annotations as sparse cells of a units × annotators matrix.

    Cell ``k`` holds annotator ``annotators[cell_annotator[k]]``'s raw JSON
    value for unit ``units[cell_unit[k]]``; ``ref_unit``/``ref_raw`` hold the
    reference (gold or adjudicated) values. Values stay JSON until a view
    decodes them: categorical views decode each distinct string once."""

    field: Field
    units: list[str]
    annotators: list[int]
    cell_unit: np.ndarray
    cell_annotator: np.ndarray
    cell_raw: np.ndarray
    ref_unit: np.ndarray
    ref_raw: np.ndarray
    reference_source: dict[str, int] = dc_field(default_factory=dict)

    def decoder(self) -> dict[str, Any]:
        """``{raw JSON: value}`` for every distinct raw value (cells and reference),
        each checked against the field."""
        out: dict[str, Any] = {}
        raws = np.concatenate([self.cell_raw, self.ref_raw])
        units = np.concatenate([self.cell_unit, self.ref_unit])
        distinct, first = np.unique(raws.astype(str), return_index=True) if raws.size else ([], [])
        for raw, at in zip(distinct, first):
            out[raw] = decode_checked(raw, self.field, self.units[units[at]], error=AgreementError)
        return out

    def matrix(self, decoded: dict[str, Any]) -> tuple[list[list[Any]], list[Any]]:
        """Decoded values as ``values[u][j]`` (``None`` where missing) and ``reference[u]``."""
        values: list[list[Any]] = [[None] * len(self.annotators) for _ in self.units]
        for u, j, raw in zip(self.cell_unit.tolist(), self.cell_annotator.tolist(), self.cell_raw.tolist()):
            values[u][j] = decoded[raw]
        reference: list[Any] = [None] * len(self.units)
        for u, raw in zip(self.ref_unit.tolist(), self.ref_raw.tolist()):
            reference[u] = decoded[raw]
        return values, reference


def field_data(frame: pd.DataFrame, f: Field, adjudications: pd.DataFrame | None = None) -> FieldData:
    """Reliability data of field ``f`` from a checked tidy table (all of its rows)."""
    live = frame[~frame["was_cancelled"].to_numpy()]
    raters = live[~live["ground_truth"].to_numpy()]
    rows = raters[(raters["field"] == f.name).to_numpy() & raters["value"].notna().to_numpy()]
    rows = latest_first(rows).drop_duplicates(["item_id", "annotator_id"], keep="last")
    items = rows["item_id"].to_numpy(dtype=object)
    annotator = rows["annotator_id"].to_numpy(dtype=np.int64)
    raw = rows["value"].to_numpy(dtype=object)
    if f.kind == "spans":
        # A submitted annotation without spans for this field marked none.
        seen = raters[["item_id", "annotator_id"]].drop_duplicates()
        keys = pd.MultiIndex.from_arrays([items, annotator])
        extra = seen[~pd.MultiIndex.from_frame(seen).isin(keys)]
        items = np.concatenate([items, extra["item_id"].to_numpy(dtype=object)])
        annotator = np.concatenate([annotator, extra["annotator_id"].to_numpy(dtype=np.int64)])
        raw = np.concatenate([raw, np.full(len(extra), "[]", dtype=object)])
    units = sorted(set(items.tolist()))
    annotators = sorted(set(annotator.tolist()))
    unit_index = pd.Index(units)
    cell_unit = unit_index.get_indexer(items).astype(np.int64) if len(items) else np.zeros(0, np.int64)
    cell_annotator = np.searchsorted(np.asarray(annotators, dtype=np.int64), annotator)

    gold = latest_first(
        live[live["ground_truth"].to_numpy() & (live["field"] == f.name).to_numpy() & live["value"].notna().to_numpy()]
    ).drop_duplicates("item_id", keep="last")
    reference = dict(zip(gold["item_id"].tolist(), gold["value"].tolist()))
    gold_items = set(reference)
    adjudicated = 0
    if adjudications is not None:
        mine = adjudications[adjudications["field"] == f.name]
        for item, value in zip(mine["item_id"].astype(str).tolist(), mine["value"].tolist()):
            if item in unit_index:
                reference[item] = value
                gold_items.discard(item)
                adjudicated += 1
    ref_items = [item for item in reference if item in unit_index and reference[item] is not None]
    ref_unit = unit_index.get_indexer(ref_items).astype(np.int64) if ref_items else np.zeros(0, np.int64)
    ref_raw = np.array([reference[item] for item in ref_items], dtype=object)
    source = {"gold": len(gold_items & set(units)), "adjudicated": adjudicated}
    return FieldData(f, units, annotators, cell_unit, cell_annotator, raw, ref_unit, ref_raw, source)


def tokens(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the word and punctuation tokens of ``text``."""
    spans = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
    if not spans:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts, ends = zip(*spans)
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def text_from_spans(spans_by_annotator: list[Any]) -> str:
    """The item text as far as the spans reveal it (unknown characters as spaces),
    for tokenising when the items table is not available."""
    pieces = [s for spans in spans_by_annotator if spans for s in spans]
    length = max((int(s["end"]) for s in pieces), default=0)
    chars = [" "] * length
    for s in pieces:
        text = s.get("text") or ""
        if len(text) == int(s["end"]) - int(s["start"]):
            chars[int(s["start"]) : int(s["end"])] = list(text)
    return "".join(chars)
