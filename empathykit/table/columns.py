"""The tidy annotations table's columns, Arrow types, value encoding and side files.

One row per (annotation, field); ``annotate pull`` writes it, agreement and
export read it (:mod:`empathykit.table.annotations`). Values travel
JSON-encoded in ``value`` (``encode_value`` / ``decode_value``); the schema
that decodes them travels in the Parquet metadata under ``SCHEMA_KEY``. Side
files beside ``<out>.parquet``: ``<out>.items.parquet`` (one row per task) and
``<out>.unknown.parquet`` (results the schema does not know).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

#: Columns of the tidy annotation table written by ``annotate pull``: one row
#: per (annotation, field). Consumers: agreement, export.
TIDY_COLUMNS: dict[str, str] = {
    "project_id": "int64",
    "task_id": "int64",
    "item_id": "string",  # stable id of the pushed item (idempotent push)
    "round": "Int64",  # annotation round the task was pushed in (nullable)
    "annotation_id": "int64",
    "annotator_id": "int64",
    "annotator_email": "string",
    "field": "string",  # Field.name
    "value": "string",  # JSON-encoded typed value; null when skipped
    "was_cancelled": "bool",  # skipped / cancelled annotation
    "ground_truth": "bool",
    "lead_time": "float64",  # seconds
    "created_at": "datetime64[ns, UTC]",
    "updated_at": "datetime64[ns, UTC]",
}


def encode_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def decode_value(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


#: Schema of a table pull did not write (no metadata) and no ``--schema`` given.
DEFAULT_SCHEMA = "seek-provide"
#: Parquet metadata key holding ``{"name": ..., "options": {...}}``.
SCHEMA_KEY = b"empathykit.schema"
REQUIRED = ("item_id", "annotation_id", "annotator_id", "field", "value", "was_cancelled")
RULE = "the later annotation counts: latest updated_at, then highest annotation_id"

UNKNOWN_COLUMNS: dict[str, str] = {
    "project_id": "int64",
    "task_id": "int64",
    "item_id": "string",
    "annotation_id": "int64",
    "annotator_id": "int64",
    "annotator_email": "string",
    "from_name": "string",
    "result": "string",  # the raw Label Studio result, JSON
    "reason": "string",
    "created_at": "datetime64[ns, UTC]",
    "updated_at": "datetime64[ns, UTC]",
}


def _arrow_type(dtype: str) -> pa.DataType:
    return {
        "int64": pa.int64(),
        "Int64": pa.int64(),
        "string": pa.string(),
        "bool": pa.bool_(),
        "float64": pa.float64(),
        "datetime64[ns, UTC]": pa.timestamp("ns", tz="UTC"),
    }[dtype]


def arrow_schema(columns: dict[str, str]) -> pa.Schema:
    nullable_ok = {"Int64", "string", "float64", "datetime64[ns, UTC]"}
    return pa.schema(
        [
            pa.field(name, _arrow_type(dtype), nullable=dtype in nullable_ok or name == "annotator_id")
            for name, dtype in columns.items()
        ]
    )


TIDY_SCHEMA = arrow_schema(TIDY_COLUMNS)
UNKNOWN_SCHEMA = arrow_schema(UNKNOWN_COLUMNS)


def unknown_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".unknown.parquet")


def items_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".items.parquet")
