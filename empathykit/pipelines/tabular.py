"""Posts from CSV/TSV (a text column, posts-schema columns kept) and posts Parquet,
as Arrow record batches of the posts schema (:mod:`empathykit.pipelines.readers`
reads every format through these for tables)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from empathykit.errors import InputError
from empathykit.pipelines import tweets
from empathykit.pipelines.ids import text_ids
from empathykit.pipelines.posts import POSTS_SCHEMA, TIMESTAMP, conform_batch
from empathykit.pipelines.sources import ReadReport, open_source, repeat_string
from empathykit.textfiles import not_utf8, text_encoding

TEXT_COLUMNS = ("text", "full_text", "tweet", "content", "body", "message", "post")
ID_COLUMNS = ("id", "id_str", "tweet_id", "post_id")
CSV_ALIASES = {
    "created_at": ("created_at", "date", "timestamp", "time"),
    "author_id": ("author_id", "user_id"),
    "author_username": ("author_username", "username", "screen_name", "user_screen_name"),
    "lang": ("lang", "language"),
}


# -- CSV and Parquet ----------------------------------------------------------------------------------------


def csv_batches(
    path: Path, text_column: str | None, id_column: str | None, skip_bad: bool, batch_size: int, report: ReadReport
) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pcsv

    delimiter = "\t" if ".tsv" in path.name.lower() else ","
    encoding = text_encoding(path, expected="CSV text", opener=open_source)
    with io.TextIOWrapper(open_source(path), encoding=encoding, newline="") as handle:
        header_line = handle.readline()
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise InputError(f"{path}, line 1: no CSV header; expected column names including a text column")
    names = {h.strip().lower(): h for h in header}
    text = _pick_column(path, names, text_column, TEXT_COLUMNS, "text", header)
    ident = _pick_column(path, names, id_column, ID_COLUMNS, "id", header, required=id_column is not None)
    wanted = {"text": text, "id": ident}
    for target, aliases in CSV_ALIASES.items():
        wanted[target] = next((names[a] for a in aliases if a in names), None)
    for name in POSTS_SCHEMA.names:
        if name not in wanted and name in names:
            wanted[name] = names[name]
    problems: list[str] = []

    def invalid_row(row) -> str:
        where = f"{path}, line {row.number}" if row.number and row.number > 0 else str(path)
        problem = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        if skip_bad:
            report.bad(where, problem, True)
            return "skip"
        problems.append(f"{where}: {problem}")
        return "error"

    def open_reader():  # opening reads the first block, so it happens inside the try below
        return pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(
                block_size=4 << 20, encoding="utf8" if encoding.startswith("utf-8") else encoding
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid_row
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )

    row_number = 0
    try:
        for batch in open_reader():
            for start in range(0, batch.num_rows, batch_size):
                part = batch.slice(start, batch_size)
                yield _csv_to_posts(part, wanted, path, row_number)
                row_number += part.num_rows
    except pa.ArrowInvalid as error:
        if not problems and "UTF8" in str(error):
            raise not_utf8(path, f"after data row {row_number}") from None
        message = problems[0] if problems else f"{path}: unreadable CSV ({error})"
        raise InputError(message, hint="fix the row, or pass --skip-bad to skip and count bad rows") from None


def _pick_column(
    path: Path,
    names: dict[str, str],
    given: str | None,
    candidates: tuple[str, ...],
    what: str,
    header: list[str],
    required: bool = True,
) -> str | None:
    if given:
        if given.lower() in names:
            return names[given.lower()]
    else:
        found = next((names[c] for c in candidates if c in names), None)
        if found or not required:
            return found
    looked = given or ", ".join(candidates)
    raise InputError(
        f"{path} has no {what} column ({looked}); its columns are: {', '.join(header)}",
        hint=f"name the {what} column with --{what}-column",
    )


def _csv_to_posts(batch: pa.RecordBatch, wanted: dict[str, str | None], path: Path, offset: int) -> pa.RecordBatch:
    n = batch.num_rows
    columns = {}
    for target, source in wanted.items():
        if source is None:
            continue
        column = batch.column(source)
        kind = POSTS_SCHEMA.field(target).type
        if kind == TIMESTAMP:
            column = _csv_times(column, path, source)
        elif kind == pa.bool_():
            lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
            column = pc.if_else(
                pc.is_in(lowered, pa.array(["", "nan", "none"])),
                None,
                pc.is_in(lowered, pa.array(["true", "1", "yes", "t", "y"])),
            )
        columns[target] = column
    if "id" not in columns:
        columns["id"] = text_ids(columns["text"])
    columns["source_format"], columns["source_file"] = repeat_string("csv", n), repeat_string(str(path), n)
    columns["source_line"] = pa.array(np.arange(offset + 1, offset + n + 1), pa.int64())
    return conform_batch(pa.table(columns))


def _csv_times(column: pa.Array, path: Path, name: str) -> pa.Array:
    for attempt in (
        lambda c: pc.cast(c, TIMESTAMP),
        lambda c: pc.cast(pc.cast(c, pa.timestamp("ms")), TIMESTAMP),
        lambda c: pc.cast(pc.strptime(c, format=tweets.V1_DATE, unit="ms"), TIMESTAMP),
    ):
        try:
            return attempt(column)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    # mixed forms in one column: parse value by value
    values = column.to_pylist()
    parsed = [tweets.parse_time(v) for v in values]
    if all(p is not None or v is None or not v.strip() for v, p in zip(values, parsed)):
        return pa.array(parsed, TIMESTAMP)
    raise InputError(
        f"{path}: column {name} holds values that are not dates; expected ISO 8601 "
        "(2020-07-01T12:00:00Z) or the v1.1 form (Wed Jul 01 12:00:00 +0000 2020)"
    )


def parquet_batches(path: Path, text_column: str | None, batch_size: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(f"{path} is not a readable Parquet file ({error})") from None
    names = parquet.schema_arrow.names
    source = text_column or "text"
    if source not in names:
        raise InputError(
            f"{path} has no {source!r} column; its columns are: {', '.join(names)}",
            hint="name the text column with --text-column",
        )
    for batch in parquet.iter_batches(batch_size=batch_size):
        if source != "text":
            batch = batch.rename_columns(["text" if c == source else c for c in batch.schema.names])
        yield conform_batch(batch)
