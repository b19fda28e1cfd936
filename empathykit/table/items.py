"""The items table beside a pull (``OUT.items.parquet``): one row per task, ``item_id``,
``task_id``, ``round``, then the task's data, with one type rule for every round.

Rounds push items from different sources (a first round from Parquet with yes/no and count
columns, next-round's chosen items with their scores, a later pool read from CSV as text), and an
incremental pull sees one round at a time. So a column's type depends only on its values, never
on which of them a batch happens to miss: a missing value is null in any type; yes/no, whole
numbers, numbers and text keep their Arrow type; anything else (nested values, mixed kinds) is
JSON text, strings kept as they are. When a merge meets a column typed differently in the output
and in the new rows, both sides become text by that same rule, which is what one full pull of
all the rounds gives.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pyarrow as pa

FIRST = ("item_id", "task_id", "round")


def items_table(tasks: list[dict[str, Any]]) -> pa.Table:
    """``tasks`` (``{"id", "data"}``) as the items table."""
    rows = [t["data"] for t in tasks]
    names = sorted({key for row in rows for key in row} - set(FIRST))
    columns = {
        "item_id": pa.array([None if r.get("item_id") is None else str(r["item_id"]) for r in rows], pa.string()),
        "task_id": pa.array([t["id"] for t in tasks], pa.int64()),
        "round": pa.array([_whole(r.get("round")) for r in rows], pa.int64()),
    }
    for name in names:
        columns[name] = typed_column([r.get(name) for r in rows])
    return pa.table(columns)


def typed_column(values: list[Any]) -> pa.Array:
    """The values in their own Arrow type when they share a plain one, else as text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool} or kinds <= {str} or kinds <= {int, float}:
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # an integer beyond 64 bits: text keeps it whole
    return as_text(values)


def as_text(values: list[Any]) -> pa.Array:
    return pa.array(
        [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values],
        pa.string(),
    )


def align_types(old: pa.Table, fresh: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Both tables with every column they type differently as text (nulls and numbers promote alone)."""
    for name in set(old.column_names) & set(fresh.column_names):
        a, b = old.schema.field(name).type, fresh.schema.field(name).type
        if (
            a == b
            or pa.types.is_null(a)
            or pa.types.is_null(b)
            or (_number(a) and _number(b))
            or (pa.types.is_string(a) or pa.types.is_large_string(a))
            and (pa.types.is_string(b) or pa.types.is_large_string(b))
        ):
            continue
        old = old.set_column(old.schema.get_field_index(name), name, as_text(old[name].to_pylist()))
        fresh = fresh.set_column(fresh.schema.get_field_index(name), name, as_text(fresh[name].to_pylist()))
    return old, fresh


def _number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None


def ordered(table: pa.Table) -> pa.Table:
    """``item_id``, ``task_id``, ``round``, then the data columns by name (a merge appends new ones)."""
    rest = sorted(name for name in table.column_names if name not in FIRST)
    return table.select([name for name in FIRST if name in table.column_names] + rest)
