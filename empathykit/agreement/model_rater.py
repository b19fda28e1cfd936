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
from empathykit.errors import AgreementError
from empathykit.records import read_records
from empathykit.schemas.base import Schema
from empathykit.table.columns import decode_value


def model_agreement(annotations: str | Path | pd.DataFrame, predictions: str | Path | pd.DataFrame, schema: Schema,
                    *, model_version: str | None = None, field: str | None = None) -> dict[str, Any]:
    """``{"model_version", "field", "items_predicted", "rounds": {"all"|ROUND: {annotators, majority, gold}}}``."""
    name = field or schema.target
    if name is None:
        raise AgreementError(f"schema {schema.name!r} has no target field; name the field to compare")
    target = schema.field(name)
    if target.kind not in ("choice", "rating"):
        raise AgreementError(f"the model is compared on single-value fields; {name!r} is a {target.kind} field")
    table = annotations if isinstance(annotations, pd.DataFrame) else pd.read_parquet(annotations)
    if isinstance(predictions, pd.DataFrame):
        rows = predictions.to_dict("records")
    else:
        rows = read_records(predictions, string_columns=("item_id",))
    if not rows or "prediction" not in rows[0] or "item_id" not in rows[0]:
        raise AgreementError(f"{predictions}: model predictions need the columns item_id and prediction",
                             hint="write them with `empathykit predict` or `empathykit annotate predict`")
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
    return {"model_version": model_version or (Path(str(predictions)).stem if not isinstance(predictions, pd.DataFrame)
                                               else "model"),
            "field": name, "items_predicted": len(model), "rounds": rounds}


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
        out["annotators"].append({"annotator_id": int(annotator), "email": email,
                                  **_pair(dict(zip(rows["item_id"], rows["typed"])), model, values)})
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
    return {"units": len(shared), "kappa": None if np.isnan(kappa) else float(kappa),
            "percent": None if np.isnan(percent) else float(percent)}
