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
from typing import Any, Callable, Iterable, Mapping

from empathykit.errors import InputError, path_problem
from empathykit.textfiles import not_utf8, text_encoding

SKIP_HINT = "fix or remove that line, or pass --skip-bad to skip and count bad lines"

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet"}


def read_records(
    path: str | Path,
    *,
    string_columns: Iterable[str] = (),
    skip_bad: bool = False,
    on_bad: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows of a CSV / JSONL / JSON list / Parquet file as JSON-safe dicts.

    ``string_columns`` are read as text from CSV (ids keep leading zeros). Text files may be
    UTF-8 or carry a byte-order mark (UTF-8, UTF-16); anything else is a one-line ``InputError``.
    A malformed JSONL line stops the read, or with ``skip_bad`` goes to ``on_bad(message)``."""
    path = Path(path)
    problem = path_problem(path, "a CSV, JSONL, JSON or Parquet file")
    if problem and path.is_dir():  # before the format check: a folder has no format to name
        raise InputError(problem)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: unknown input format; expected one of {', '.join(sorted(FORMATS))}")
    if problem:
        raise InputError(problem)
    encoding = None if kind == "parquet" else text_encoding(path, expected=f"{kind.upper()} text")
    if kind == "jsonl":
        rows = _jsonl_rows(path, encoding, skip_bad, on_bad)
    elif kind == "json":
        try:
            rows = json.loads(path.read_text(encoding=encoding))
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(f"{path}: expected a JSON list of objects")
    else:
        import pandas as pd

        try:
            if kind == "csv":
                frame = pd.read_csv(
                    path,
                    dtype={c: str for c in string_columns},
                    keep_default_na=False,
                    na_values=[""],
                    encoding=encoding,
                )
            else:
                frame = pd.read_parquet(path)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except (ValueError, OSError) as error:
            raise InputError(f"{path}: cannot read as {kind} ({error})") from None
        rows = frame.to_dict(orient="records")
    if not rows:
        raise InputError(f"{path}: no records (expected at least one row)")
    return [{str(k): json_safe(v) for k, v in row.items()} for row in rows]


def _not_utf8(path: Path, where: str = "past its first 64 KiB") -> InputError:
    return not_utf8(path, where)


def _jsonl_rows(path: Path, encoding: str, skip_bad: bool, on_bad: Callable[[str], None] | None) -> list[dict]:
    rows = []
    with open(path, encoding=encoding) as handle:
        number = 0
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line.rstrip("\r\n"))  # the parser's "line 1 column N" then fits
                    problem = None if isinstance(row, dict) else f"expected a JSON object, got {type(row).__name__}"
                except json.JSONDecodeError as error:
                    problem = f"not valid JSON ({error})"  # the parser's whole message: what, column, char
                if problem is None:
                    rows.append(row)
                elif skip_bad:
                    (on_bad or (lambda _message: None))(f"{path}, line {number}: {problem}")
                else:
                    raise InputError(f"{path}, line {number}: {problem}", hint=SKIP_HINT)
        except UnicodeDecodeError:
            raise _not_utf8(path, f"line {number + 1}") from None
    return rows


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
            raise InputError(
                f"record {position}: missing id column {id_column!r}",
                hint="give every record that field, or name another one with --id-column",
            )
        value = record.get(id_column)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(
                f"record {position}: empty id in column {id_column!r}",
                hint="fill in the id, or run the file through `empathykit collect file`, "
                "which gives posts without an id a hash of their text",
            )
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        record["item_id"] = str(value)
    return f"column {id_column!r}"
