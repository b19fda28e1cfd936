"""Items to annotate: read from CSV, JSONL or Parquet, given stable ids.

An item's id comes from ``id_column`` (default: ``item_id``, else ``id``);
without one it is a hash of the schema's input fields, so re-pushing the same
texts finds the same ids. Values are made JSON-safe for Label Studio.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from empathykit.errors import InputError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet"}


def read_records(path: str | Path, *, string_columns: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Rows of a CSV / JSONL / JSON list / Parquet file as JSON-safe dicts.

    ``string_columns`` are read as text from CSV (ids keep leading zeros)."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: unknown input format; expected one of {', '.join(sorted(FORMATS))}")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if kind == "jsonl":
        rows = []
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"{path}, line {number}: not valid JSON ({error.msg})") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
                rows.append(row)
    elif kind == "json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(f"{path}: expected a JSON list of objects")
    else:
        import pandas as pd

        try:
            if kind == "csv":
                frame = pd.read_csv(path, dtype={c: str for c in string_columns}, keep_default_na=False,
                                    na_values=[""])
            else:
                frame = pd.read_parquet(path)
        except (ValueError, OSError) as error:
            raise InputError(f"{path}: cannot read as {kind} ({error})") from None
        rows = frame.to_dict(orient="records")
    if not rows:
        raise InputError(f"{path}: no records (expected at least one row)")
    return [{str(k): json_safe(v) for k, v in row.items()} for row in rows]


def json_safe(value: Any) -> Any:
    """A value Label Studio can store: NaN/NA → None, numpy → Python, times → ISO text."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas.Timestamp
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return json_safe(value.tolist())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def content_id(record: Mapping[str, Any], fields: Iterable[str]) -> str:
    """Stable id from the values of ``fields`` (16 hex digits of SHA-256)."""
    payload = json.dumps([record.get(f) for f in fields], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def assign_item_ids(records: list[dict[str, Any]], inputs: Iterable[str], id_column: str | None = None) -> str:
    """Set ``item_id`` on every record (in place); returns where ids came from.

    An explicit ``id_column`` must exist in every record; the default takes
    ``item_id``, then ``id``, then the hash of ``inputs``."""
    inputs = tuple(inputs)
    if id_column is None:
        keys = set().union(*(r.keys() for r in records[:1000]))
        id_column = next((c for c in ("item_id", "id") if c in keys), None)
    if id_column is None:
        for record in records:
            record["item_id"] = content_id(record, inputs)
        return f"hash of {', '.join(inputs)}"
    for position, record in enumerate(records):
        if id_column not in record:
            raise InputError(f"record {position}: missing id column {id_column!r}",
                             hint="give every record that field, or name another one with --id-column")
        value = record.get(id_column)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(f"record {position}: empty id in column {id_column!r}",
                             hint="fill in the id, or run the file through `empathykit collect file`, "
                                  "which gives posts without an id a hash of their text")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        record["item_id"] = str(value)
    return f"column {id_column!r}"
