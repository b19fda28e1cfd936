"""A model as one more rater, reported apart from the humans (``agreement compute --model-predictions``).

The model's predictions (``item_id`` + ``prediction``, as ``predict``/``annotate predict`` write
them) are compared on the schema's target field with each annotator, with the annotators'
majority (items whose vote ties are left out) and with gold (ground-truth annotations), over
all items and per round: Cohen's kappa (unweighted: the model's mistakes are mistakes whatever
their distance) and the share of shared items with the same value. The humans' own
coefficients are untouched: the model never enters them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from empathykit.agreement.coefficients import finish_cohen, finish_pair_percent, pair_unit_stats
from empathykit.errors import AgreementError, InputError
from empathykit.records import assign_item_ids, read_records
from empathykit.schemas.base import Schema
from empathykit.table.columns import decode_value

#: where ``predict`` records the model version in its Parquet output's metadata
VERSION_KEY = b"empathykit.model_version"


def model_agreement(
    annotations: str | Path | pd.DataFrame,
    predictions: str | Path | pd.DataFrame,
    schema: Schema,
    *,
    model_version: str | None = None,
    field: str | None = None,
    id_column: str | None = None,
) -> dict[str, Any]:
    """``{"model_version", "field", "items_predicted", "rounds": {"all"|ROUND: {annotators, majority, gold}}}``.

    A predictions file's items are identified as ``annotate push`` identified them (``id_column``, else
    ``item_id``, else ``id``, else a hash of the schema's inputs); its model version is ``model_version``,
    else the one ``predict`` recorded in the Parquet metadata, else the file's name."""
    name = field or schema.target
    if name is None:
        raise AgreementError(f"schema {schema.name!r} has no target field; name the field to compare")
    target = schema.field(name)
    if target.kind not in ("choice", "rating"):
        raise AgreementError(f"the model is compared on single-value fields; {name!r} is a {target.kind} field")
    table = annotations if isinstance(annotations, pd.DataFrame) else pd.read_parquet(annotations)
    rows = _prediction_rows(predictions, schema, id_column)
    model = {str(r["item_id"]): _plain(r["prediction"]) for r in rows if _plain(r.get("prediction")) is not None}
    mine = table[(table["field"] == name) & ~table["was_cancelled"].astype(bool) & table["value"].notna()].copy()
    order = [c for c in ("updated_at", "annotation_id") if c in mine.columns]
    mine = mine.sort_values(order).drop_duplicates(["item_id", "annotator_id"], keep="last")  # the later counts
    mine["typed"] = [_plain(decode_value(v)) for v in mine["value"]]
    values = sorted({str(v) for v in [*model.values(), *mine["typed"]]})
    rounds: dict[str, Any] = {"all": _compare(mine, model, values)}
    if "round" in mine.columns:
        for number in sorted({int(r) for r in mine["round"].dropna()}):
            rounds[str(number)] = _compare(mine[mine["round"] == number], model, values)
    return {
        "model_version": model_version or recorded_version(predictions),
        "field": name,
        "items_predicted": len(model),
        "rounds": rounds,
    }


def _prediction_rows(
    predictions: str | Path | pd.DataFrame, schema: Schema, id_column: str | None
) -> list[dict[str, Any]]:
    """The predictions, each with the ``item_id`` push gave its item."""
    if isinstance(predictions, pd.DataFrame):
        rows = predictions.to_dict("records")
    else:
        rows = read_records(predictions, string_columns=tuple(c for c in (id_column, "item_id", "id") if c))
    hint = "write them with `empathykit predict` or `empathykit annotate predict`"
    if not rows or "prediction" not in rows[0]:
        raise AgreementError(
            f"{predictions}: model predictions need the columns item_id and prediction "
            "(or the id column push used, --id-column)",
            hint=hint,
        )
    keys = set(rows[0])
    if id_column is None and not {"item_id", "id"} & keys and not set(schema.inputs) <= keys:
        raise AgreementError(
            f"{predictions}: no item_id or id column, nor the inputs {list(schema.inputs)} that push hashes into ids",
            hint="pass --id-column, the column push identified items by",
        )
    try:
        assign_item_ids(rows, schema.inputs, id_column)
    except InputError as error:
        raise AgreementError(f"{predictions}: {error}", hint=error.hint) from None
    return rows


def recorded_version(predictions: str | Path | pd.DataFrame) -> str:
    """The model version ``predict`` wrote into the file's Parquet metadata, else the file's name."""
    if isinstance(predictions, pd.DataFrame):
        return "model"
    path = Path(predictions)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, ValueError):
            metadata = {}
        if metadata.get(VERSION_KEY):
            return metadata[VERSION_KEY].decode("utf-8", errors="replace")
    return path.stem


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _compare(frame: pd.DataFrame, model: dict[str, Any], values: list[str]) -> dict[str, Any]:
    humans = frame[~frame["ground_truth"].astype(bool)] if "ground_truth" in frame.columns else frame
    gold = frame[frame["ground_truth"].astype(bool)] if "ground_truth" in frame.columns else frame.iloc[0:0]
    out: dict[str, Any] = {"annotators": []}
    for annotator, rows in humans.groupby("annotator_id"):
        emails = rows["annotator_email"].dropna() if "annotator_email" in rows else pd.Series(dtype=str)
        email = emails.iloc[0] if len(emails) else None
        out["annotators"].append(
            {
                "annotator_id": int(annotator),
                "email": email,
                **_pair(dict(zip(rows["item_id"], rows["typed"])), model, values),
            }
        )
    majority = {}
    for item, rows in humans.groupby("item_id"):
        (top, count), *rest = Counter(str(v) for v in rows["typed"]).most_common(2) + [("", 0)]
        if rest and rest[0][1] == count:
            continue  # a tie has no majority
        majority[item] = top
    out["majority"] = _pair(majority, model, values)
    out["gold"] = _pair(dict(zip(gold["item_id"], gold["typed"])), model, values)
    return out


def _pair(reference: dict[str, Any], model: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """Cohen's kappa and % agreement of the model with one reference on the items both have."""
    shared = [item for item in reference if item in model]
    if not shared:
        return {"units": 0, "kappa": None, "percent": None}
    code = {v: i for i, v in enumerate(values)}
    a = np.array([code[str(reference[i])] for i in shared])
    b = np.array([code[str(model[i])] for i in shared])
    sums = pair_unit_stats(a, b, np.eye(len(values))).sum(axis=0)
    kappa, _ = finish_cohen(sums, np.eye(len(values)))
    percent, _ = finish_pair_percent(sums)
    return {
        "units": len(shared),
        "kappa": None if np.isnan(kappa) else float(kappa),
        "percent": None if np.isnan(percent) else float(percent),
    }
