"""The per-item aggregation of ``aggregate.aggregate`` as pandas group-bys, for tables
whose annotated fields are all choices or ratings (the bulk of large exports).

Same rules and the same result frame as the per-item loop: majority vote with
ties flagged (value empty), mean for ratings, adjudicated values final, fields
an item lacks left empty. Other field kinds return ``None`` and the loop runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from empathykit.schemas.base import Schema
from empathykit.table.columns import decode_value

KINDS = ("choice", "rating")


def _decoded(values: pd.Series) -> pd.Series:
    """Decode each distinct JSON value once."""
    codes, uniques = pd.factorize(values, sort=False)
    return pd.Series(np.asarray([decode_value(u) for u in uniques], dtype=object)[codes], index=values.index)


def _choice(sub: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    counts = sub.groupby(["item_id", "decoded"], sort=False).size().rename("n").reset_index()
    best = counts.groupby("item_id", sort=False)["n"].transform("max")
    top = counts[counts["n"].to_numpy() == best.to_numpy()]
    n_top = top.groupby("item_id", sort=False).size()
    label = top.drop_duplicates("item_id").set_index("item_id")["decoded"]
    tie = n_top > 1
    return label.where(~tie.reindex(label.index), None), tie


def aggregate_vectorised(
    latest: pd.DataFrame, schema: Schema, final: dict[tuple[str, str], Any]
) -> pd.DataFrame | None:
    """``aggregate``'s table from the latest annotations, or None when a field is not a choice or rating."""
    kinds = {f.name: f.kind for f in schema.fields}
    present = set(latest["field"].unique())
    if any(kinds[name] not in KINDS for name in present):
        return None
    latest = latest.assign(item_id=latest["item_id"].astype(str))
    order = np.sort(latest["item_id"].unique())
    out = pd.DataFrame({"item_id": order})
    out["n_annotators"] = latest.groupby("item_id")["annotator_id"].nunique().reindex(order).astype(int).to_numpy()
    for f in schema.fields:
        sub = latest[(latest["field"] == f.name).to_numpy()]
        value = pd.Series([None] * len(order), index=order, dtype=object)
        tie = pd.Series(False, index=order)
        if len(sub):
            sub = sub.assign(decoded=_decoded(sub["value"]))
            if f.kind == "choice":
                label, ties = _choice(sub)
                value.loc[label.index] = label.to_numpy()
                tie.loc[ties.index] = ties.to_numpy()
            else:
                means = sub.assign(decoded=sub["decoded"].astype(float)).groupby("item_id")["decoded"].mean()
                value.loc[means.index] = means.to_numpy()
        adjudicated = pd.Series(False, index=order)
        for (item, name), final_value in final.items():
            if name == f.name and item in adjudicated.index:
                value.loc[item], tie.loc[item], adjudicated.loc[item] = final_value, False, True
        out[f.name] = value.to_numpy()
        if f.kind == "choice":
            out[f"{f.name}_tie"] = tie.to_numpy()
        out[f"{f.name}_adjudicated"] = adjudicated.to_numpy()
    return pd.DataFrame(out.to_dict("list"))  # the loop's frame: columns typed as pandas infers them from rows
