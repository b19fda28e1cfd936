"""A predict input read as a stream of fixed-size chunks (Arrow tables), never whole.

Chunk ``i`` holds the ``i``-th ``rows`` rows of the input (bad rows set aside do not count in
JSONL), whatever the format, so a resumed or distributed run cuts the input exactly as the
first run did. Parquet is read by record batches, CSV by pyarrow's streaming reader (every
column as text: a CSV has no types, and a column's type never changes between chunks), JSONL
line by line. A bad row (a CSV line with the wrong number of fields, a JSONL line that is not a
JSON object, values a chunk cannot hold) stops the read with one line naming the file and the
row, or with ``skip_bad`` is handed back with its chunk (:attr:`Chunk.bad`) for the side file.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from empathykit.errors import InputError, path_problem
from empathykit.textfiles import not_utf8, text_encoding

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
#: id columns kept as text (leading zeros survive), as ``read_records`` does
ID_COLUMNS = ("item_id", "id")


@dataclass
class Chunk:
    index: int
    table: Any  # pyarrow.Table
    bad: list[dict[str, Any]] = field(default_factory=list)  # {"file", "row", "error", "text"}


def input_format(path: Path) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: unknown input format; expected one of {', '.join(sorted(FORMATS))}")
    if problem := path_problem(path, f"a {kind.upper()} file of items"):
        raise InputError(problem)
    return kind


def check_input(path: str | os.PathLike) -> str:
    """The input's format, after a look at its first bytes: one line, before any work, for a file
    that is not what its name says (binary data, another encoding, an unreadable Parquet file)."""
    path = Path(path)
    kind = input_format(path)
    if kind == "parquet":
        _parquet(path)
    else:
        text_encoding(path, expected=f"{kind.upper()} text")
    return kind


def count_rows(path: str | Path) -> int | None:
    """Rows in the input, for progress: exact for Parquet, lines for text formats (cheap: bytes only)."""
    path = Path(path)
    kind = input_format(path)
    if kind == "parquet":
        return _parquet(path).metadata.num_rows
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (kind == "csv"), 0)


def iter_chunks(path: str | Path, rows: int, *, skip_bad: bool = False) -> Iterator[Chunk]:
    """The input's chunks of ``rows`` rows, in order."""
    path = Path(path)
    if rows < 1:
        raise InputError(f"chunk size must be at least 1 row, got {rows}")
    kind = input_format(path)
    encoding = None if kind == "parquet" else text_encoding(path, expected=f"{kind.upper()} text")
    if kind == "jsonl":
        yield from _jsonl_chunks(path, rows, skip_bad, encoding)
        return
    if kind == "json":  # one JSON list: read whole (it has no lines to stream), then cut alike
        yield from _json_list_chunks(path, rows, skip_bad, encoding)
        return
    batches = _parquet(path).iter_batches(batch_size=rows) if kind == "parquet" else None
    bad: list[dict[str, Any]] = []
    if batches is None:
        batches = _csv_batches(path, skip_bad, bad, encoding)
    yield from _rechunk(batches, rows, bad)


def _parquet(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None


def _rechunk(batches, rows: int, bad: list[dict[str, Any]]) -> Iterator[Chunk]:
    """Record batches regrouped into tables of exactly ``rows`` rows (the last one fewer)."""
    import pyarrow as pa

    pending, held, index = [], 0, 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held, batch = held + take, batch.slice(take)
            if held == rows:
                yield Chunk(index, pa.Table.from_batches(pending), bad[:])
                bad.clear()
                pending, held, index = [], 0, index + 1
    if held or bad:
        yield Chunk(index, pa.Table.from_batches(pending) if pending else pa.table({}), bad[:])


def _csv_batches(path: Path, skip_bad: bool, bad: list[dict[str, Any]], encoding: str):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise InputError(f"{path}: no header row (expected column names on the first line)")

    stopped: list[str] = []

    def invalid(row) -> str:  # an exception raised here would be lost inside pyarrow: say "error" instead
        where = f"row {row.number}" if row.number is not None else "a row"
        problem = f"{where}: expected {row.expected_columns} fields, got {row.actual_columns}"
        if not skip_bad:
            stopped.append(problem)
            return "error"
        bad.append({"file": str(path), "row": row.number, "error": problem, "text": row.text})
        return "skip"

    try:
        options = pcsv.ReadOptions(use_threads=False, block_size=1 << 20, encoding=encoding)
        reader = pcsv.open_csv(
            path,
            read_options=options,
            parse_options=pcsv.ParseOptions(invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=False
            ),
        )
        yield from reader
    except pa.ArrowInvalid as error:
        if stopped:
            raise InputError(f"{path}: {stopped[0]}", hint="fix the row, or pass --skip-bad to set it aside") from None
        detail = str(error).splitlines()[0].replace("CSV parse error: ", "")
        raise InputError(
            f"{path}: not readable as CSV ({detail})",
            hint="give a CSV file with a header row, or pass --skip-bad to set bad rows aside",
        ) from None
    except UnicodeDecodeError as error:
        raise not_utf8(path, f"byte {error.start}") from None


def _jsonl_chunks(path: Path, rows: int, skip_bad: bool, encoding: str) -> Iterator[Chunk]:
    index, records, bad = 0, [], []
    first = 0
    with open(path, encoding=encoding, errors="strict") as handle:
        for number, line in _lines(path, handle):
            if not line.strip():
                continue
            record, problem = _json_object(line)
            if problem is not None:
                if not skip_bad:
                    raise InputError(
                        f"{path}: line {number}: {problem}", hint="fix the line, or pass --skip-bad to set it aside"
                    )
                bad.append({"file": str(path), "row": number, "error": problem, "text": line.rstrip("\n")})
                continue
            if not records:
                first = number
            records.append((number, record))
            if len(records) == rows:
                yield _jsonl_table(path, index, records, bad, skip_bad, first)
                index, records, bad = index + 1, [], []
    if records or bad:
        yield _jsonl_table(path, index, records, bad, skip_bad, first)


def _lines(path: Path, handle) -> Iterator[tuple[int, str]]:
    number = 0
    try:
        for number, line in enumerate(handle, start=1):
            yield number, line
    except UnicodeDecodeError:
        raise not_utf8(path, f"line {number + 1}") from None


def _json_list_chunks(path: Path, rows: int, skip_bad: bool, encoding: str) -> Iterator[Chunk]:
    try:
        items = json.loads(path.read_text(encoding=encoding))
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(items, list):
        raise InputError(f"{path}: a JSON {type(items).__name__}; expected a list of objects (or JSONL)")
    lines = [json.dumps(item) for item in items]
    for start in range(0, len(lines), rows):
        records, bad = [], []
        for number, line in enumerate(lines[start : start + rows], start=start + 1):
            record, problem = _json_object(line)
            if problem is None:
                records.append((number, record))
            elif not skip_bad:
                raise InputError(f"{path}: item {number}: {problem}", hint="pass --skip-bad to set it aside")
            else:
                bad.append({"file": str(path), "row": number, "error": problem, "text": line})
        yield _jsonl_table(path, start // rows, records, bad, skip_bad, start + 1)


def _json_object(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"not valid JSON ({str(error).splitlines()[0]})"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    for column in ID_COLUMNS:
        if isinstance(value.get(column), (int, float)) and not isinstance(value.get(column), bool):
            value[column] = str(value[column])
    return value, None


def _jsonl_table(path: Path, index: int, records: list, bad: list, skip_bad: bool, first: int) -> Chunk:
    """A chunk's rows as one table; rows whose values do not fit the others' types are bad rows."""
    import pyarrow as pa

    try:
        return Chunk(index, pa.Table.from_pylist([r for _, r in records]), bad)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    kept: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for number, record in records:  # the slow way, only for a chunk that holds a misfit
        clash = [k for k, v in record.items() if (t := _kind(v)) is not None and seen.get(k, t) != t]
        if clash:
            problem = f"column(s) {clash} hold other types than in the lines before"
            if not skip_bad:
                raise InputError(
                    f"{path}: line {number}: {problem}",
                    hint="give each column one type, or pass --skip-bad to set such lines aside",
                )
            bad.append({"file": str(path), "row": number, "error": problem, "text": json.dumps(record)})
            continue
        seen.update({k: t for k, v in record.items() if (t := _kind(v)) is not None})
        kept.append(record)
    try:
        return Chunk(index, pa.Table.from_pylist(kept) if kept else pa.table({}), bad)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise InputError(
            f"{path}: lines {first} to {records[-1][0]}: values Arrow cannot hold in one column "
            f"({str(error).splitlines()[0]})"
        ) from None


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else type(value).__name__
