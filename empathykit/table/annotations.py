"""The tidy annotations table: its one owner.

``annotate pull`` writes it and every reader (agreement, export, the
adjudication round) reads it through this module, so they all see the same
rows:

- Columns and Arrow types: ``TIDY_COLUMNS`` and the value encoding in
  :mod:`empathykit.table.columns`, ``TIDY_SCHEMA``; side files ``<out>.items.parquet``
  (one row per task) and ``<out>.unknown.parquet`` (results the schema does
  not know).
- Schema: pull records the schema name and options in the Parquet metadata
  (key ``empathykit.schema``); ``schema_of`` rebuilds that schema, lets
  ``-O`` override options and refuses a ``--schema`` that contradicts it.
- Normalisation: a task without ``item_id`` (created in Label Studio by other
  means) is the item ``task:<task_id>``, in the annotations and in the items
  table alike; an annotation without annotator counts as annotator ``-1``.
- The later-annotation rule (``latest_first``): latest ``updated_at``, then
  highest ``annotation_id``.
- Values outside the schema's labels are refused (``check_values``), never
  dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from empathykit.errors import EmpathykitError, InputError, SchemaError, path_problem
from empathykit.records import read_records
from empathykit.schemas import get_schema
from empathykit.schemas.base import Field, Schema
from empathykit.table.columns import DEFAULT_SCHEMA, REQUIRED, SCHEMA_KEY, TIDY_COLUMNS, decode_value

# -- the schema travels in the metadata ------------------------------------------------


def with_schema(table: pa.Table, schema: Schema) -> pa.Table:
    """``table`` carrying ``schema``'s name and options in its metadata."""
    recorded = json.dumps({"name": schema.name, "options": dict(schema.options)}, sort_keys=True)
    return table.replace_schema_metadata({**(table.schema.metadata or {}), SCHEMA_KEY: recorded.encode()})


def recorded_schema(path: str | Path) -> tuple[str, dict[str, Any]] | None:
    """``(name, options)`` pull recorded in ``path``; None when there are none
    (a table written by other means, a missing or unreadable file)."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return None
    if SCHEMA_KEY not in metadata:
        return None
    recorded = json.loads(metadata[SCHEMA_KEY])
    return recorded["name"], dict(recorded.get("options") or {})


def describe(name: str, options: dict[str, Any]) -> str:
    return f"{name!r}" + (f" with options {json.dumps(options, sort_keys=True)}" if options else "")


def schema_of(
    annotations: str | Path | pd.DataFrame | None, name: str | None = None, options: dict[str, Any] | None = None
) -> Schema:
    """The schema of a tidy table: the one pull recorded, with ``options``
    overriding recorded options. An explicit ``name`` that contradicts the
    record is refused (the labels would not match); with no record, ``name``
    or ``DEFAULT_SCHEMA``."""

    options = dict(options or {})
    recorded = None if annotations is None or isinstance(annotations, pd.DataFrame) else recorded_schema(annotations)
    if recorded is None:
        return get_schema(name or DEFAULT_SCHEMA, **options)
    recorded_name, recorded_options = recorded
    if name is not None and name != recorded_name:
        raise SchemaError(
            f"{annotations} was pulled with schema {describe(recorded_name, recorded_options)}; "
            f"--schema {name!r} contradicts it",
            hint="leave out --schema to use the recorded one, or pull again with --schema",
        )
    return get_schema(recorded_name, **{**recorded_options, **options})


# -- reading and normalising ------------------------------------------------------------


def read_annotations(path: str | Path, *, error: type[EmpathykitError] = InputError) -> pd.DataFrame:
    """A tidy table (``annotate pull``) read and normalised; problems raise ``error``."""
    path = Path(path)
    if problem := path_problem(path, PULLED):
        raise error(problem, hint=PULL_HINT)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        raise error(
            f"{path}: not a Parquet file ({type(exc).__name__})",
            hint="pass the Parquet file `empathykit annotate pull -o` wrote",
        ) from None
    return normalise(frame, source=str(path), error=error)


#: what an annotations argument expects
PULLED = "the annotations Parquet file `empathykit annotate pull -o` wrote"
PULL_HINT = "run `empathykit annotate pull -p PROJECT -o annotations.parquet` first, and pass that file"


def check_annotation_file(path: str | Path, *, error: type[EmpathykitError] = InputError) -> None:
    """One line naming ``path`` when it is no file, or a file but not a tidy annotation table
    (read from its schema alone, before anything is looked for beside it)."""
    import pyarrow.parquet as pq

    path = Path(path)
    if problem := path_problem(path, PULLED):
        raise error(problem, hint=PULL_HINT)
    try:
        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        raise error(f"{path} is not a Parquet file ({type(exc).__name__}); expected {PULLED}", hint=PULL_HINT) from None
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        columns = "column" if len(missing) == 1 else "columns"
        raise error(
            f"{path} is not an annotation table (no {', '.join(missing)} {columns}); expected {PULLED}", hint=PULL_HINT
        )


def load_annotations(
    annotations: str | Path | pd.DataFrame, *, error: type[EmpathykitError] = InputError
) -> pd.DataFrame:
    """A normalised tidy table from a Parquet path or a DataFrame."""
    if isinstance(annotations, pd.DataFrame):
        return normalise(annotations, error=error)
    return read_annotations(annotations, error=error)


def _task_ids(item_ids: pd.Series, task_ids: pd.Series | None) -> pd.Series:
    """``item_id`` as text; a missing one becomes the stable ``task:<task_id>``."""
    # column operations: a Python call per row took a second per million rows
    text = item_ids.astype("string")
    missing = (text.isna() | text.str.strip().eq("")).fillna(True).to_numpy(bool)
    ids = text.astype(object).to_numpy(copy=True)
    ids[missing] = None
    if task_ids is not None and missing.any():
        ids[missing] = ["task:" + str(int(t)) if pd.notna(t) else None for t in task_ids.to_numpy()[missing]]
    return pd.Series(ids, index=item_ids.index, dtype=object)


def normalise(
    frame: pd.DataFrame, *, source: str = "annotations", error: type[EmpathykitError] = InputError
) -> pd.DataFrame:
    """Check the columns and fill the optional ones with neutral values."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise error(
            f"{source}: not a tidy annotation table; missing columns {missing} (expected {list(TIDY_COLUMNS)})",
            hint="pass the file `empathykit annotate pull` wrote",
        )
    frame = frame.copy()
    defaults: dict[str, Any] = {
        "round": pd.NA,
        "annotator_email": None,
        "ground_truth": False,
        "lead_time": np.nan,
        "task_id": -1,
        "project_id": -1,
    }
    for column, default in defaults.items():
        if column not in frame.columns:
            frame[column] = default
    for column in ("updated_at", "created_at"):
        if column not in frame.columns:
            frame[column] = pd.NaT
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["item_id"] = _task_ids(frame["item_id"], frame["task_id"]).astype(str)
    frame["annotator_id"] = pd.to_numeric(frame["annotator_id"], errors="coerce").fillna(-1).astype(np.int64)
    frame["was_cancelled"] = frame["was_cancelled"].fillna(False).astype(bool)
    frame["ground_truth"] = frame["ground_truth"].fillna(False).astype(bool)
    frame["round"] = pd.array(frame["round"], dtype="Int64")
    frame["lead_time"] = pd.to_numeric(frame["lead_time"], errors="coerce")
    return frame


def latest_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered so that, per key, the last row is the annotation that counts."""
    return frame.sort_values(["updated_at", "annotation_id"], kind="stable", na_position="first")


def latest_annotations(tidy: pd.DataFrame) -> pd.DataFrame:
    """Submitted values only, each annotator's latest per (item, field)."""
    kept = tidy[~tidy["was_cancelled"].astype(bool).to_numpy() & tidy["value"].notna().to_numpy()]
    return latest_first(kept).drop_duplicates(["item_id", "field", "annotator_id"], keep="last")


# -- values against the schema ----------------------------------------------------------


def fits(f: Field, value: Any) -> bool:
    """Whether ``value`` is a valid answer of field ``f``."""
    if f.kind == "choice":
        return value in f.labels
    if f.kind == "multichoice":
        return isinstance(value, list) and all(v in f.labels for v in value)
    if f.kind == "rating":
        low, high = f.scale  # type: ignore[misc]
        return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    if f.kind == "spans":
        return isinstance(value, list) and all(
            isinstance(s, dict) and {"start", "end", "label"} <= set(s) for s in value
        )
    return True


def expected(f: Field) -> str:
    return {
        "choice": f"allowed labels: {list(f.labels)}",
        "multichoice": f"allowed labels: {list(f.labels)}",
        "rating": f"expected a number in {f.scale}",
        "spans": "expected a list of {start, end, label} spans",
    }.get(f.kind, "")


def value_error(f: Field, value: Any, item: str, schema_name: str | None = None) -> str:
    """One line naming the value, its item and field, and what was allowed."""
    shown = [v for v in value if v not in f.labels] if f.kind == "multichoice" and isinstance(value, list) else value
    shown = shown[0] if isinstance(shown, list) and len(shown) == 1 else shown
    where = f"schema {schema_name!r}" if schema_name else "the schema"
    return f"item {item!r}, field {f.name!r}: value {shown!r} does not fit {where}; {expected(f)}"


def check_values(tidy: pd.DataFrame, schema: Schema, *, error: type[EmpathykitError] = SchemaError) -> None:
    """Refuse the first annotated value that the schema's field does not allow
    (each distinct value is decoded once)."""
    live = tidy[~tidy["was_cancelled"].to_numpy() & tidy["value"].notna().to_numpy()]
    for f in schema.fields:
        mine = live[(live["field"] == f.name).to_numpy()].drop_duplicates("value")
        for raw, item in zip(mine["value"].tolist(), mine["item_id"].tolist()):
            decode_checked(raw, f, item, schema_name=schema.name, error=error)


def decode_checked(
    raw: Any, f: Field, item: str, *, schema_name: str | None = None, error: type[EmpathykitError] = SchemaError
) -> Any:
    """The value stored in ``raw`` (JSON text), refused in one line when it is not
    JSON or does not fit field ``f``: the one value check of every reader."""
    try:
        value = decode_value(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise error(
            f"item {item!r}, field {f.name!r}: value {raw!r} is not JSON (the tidy table stores JSON-encoded values)"
        ) from None
    if not fits(f, value):
        raise error(
            value_error(f, value, item, schema_name),
            hint="use the schema and options the project was pushed with (-s, -O KEY=VALUE)",
        )
    return value


# -- side tables -------------------------------------------------------------------------


def read_items(path: str | Path, *, error: type[EmpathykitError] = InputError) -> pd.DataFrame:
    """An items table (Parquet, CSV, JSON Lines or a JSON list; by suffix):
    ``item_id`` as text, ``task:<task_id>`` where a task had none."""

    frame = pd.DataFrame(read_records(path, string_columns=["item_id"]))
    if "item_id" not in frame.columns:
        raise error(f"{path}: items need an 'item_id' column (columns: {list(frame.columns)})")
    return normalise_items(frame)


def normalise_items(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(item_id=_task_ids(frame["item_id"], frame.get("task_id")).astype(str))


def read_adjudications(path: str | Path) -> pd.DataFrame:
    """``item_id, field, value`` rows from ``agreement adjudicated``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such adjudications file", hint="write it with `empathykit agreement adjudicated`")
    frame = pd.read_parquet(path)
    missing = [c for c in ("item_id", "field", "value") if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: adjudications need columns item_id, field, value; missing {missing}")
    return frame.assign(item_id=frame["item_id"].astype(str))
