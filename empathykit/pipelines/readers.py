"""Read posts from files and archives as Arrow record batches of the posts
schema, streaming in bounded memory, and ``collect_files`` them into Parquet.

Formats (``fmt="auto"`` decides by name, then by content):

- ``jsonl``: JSON lines, optionally ``.gz``/``.bz2``/``.xz`` compressed. Each
  line may be an X API v2 tweet object, a v2 response page (``data`` +
  ``includes`` + ``meta``, with an ``__empathykit`` provenance key as
  ``collect search`` writes it), twarc2 output (pages or flattened tweets with
  ``__twarc``), or a v1.1 tweet; stream control records (deletes, limits) are
  skipped and counted. A file holding a single JSON document (a pretty-printed
  page or an array of tweets) is read whole. Files of plain v2 tweet objects
  take a fast path through Arrow's JSON reader (``fastjson.py``).
- ``csv``: CSV/TSV with a text column (``text_column`` or the first of
  :data:`TEXT_COLUMNS`); columns named like posts-schema columns are kept.
- ``stream-grab``: Archive Team Twitter Stream Grab tar files (members
  ``.json.bz2``/``.json.gz`` of v1.1 tweets), read as a stream: nothing is
  unpacked to disk. A corrupt member is reported by name and the rest read.
- ``parquet``: posts Parquet (what ``collect file`` writes).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import tarfile
import zlib
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from empathykit.errors import InputError, path_problem
from empathykit.io import atomic_path, check_output, stamp_schema
from empathykit.pipelines import tweets
from empathykit.pipelines.choices import INPUT_FORMATS
from empathykit.pipelines.fastjson import is_plain_v2, v2_fast_batches
from empathykit.pipelines.ids import IdChecker
from empathykit.pipelines.posts import POSTS_SCHEMA, rows_to_batch
from empathykit.pipelines.sources import FastPathUnavailable, ReadReport, open_source
from empathykit.pipelines.tabular import csv_batches, parquet_batches
from empathykit.progress import Counter, Progress
from empathykit.textfiles import text_encoding

FORMATS = INPUT_FORMATS
EXPECTED = (
    "X API v2 JSONL (tweets or response pages), twarc2 output, v1.1 tweet JSON, "
    "a CSV with a text column, or a Stream Grab tar archive"
)
BATCH_SIZE = 50_000
_MEMBER_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, tarfile.TarError)


def with_fast_path(run: Callable[[bool], object]):
    """Call ``run(fast=True)``; if a file defeats the fast path, start again with ``run(fast=False)``."""
    try:
        return run(True)
    except FastPathUnavailable:
        return run(False)


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz")):
        return "stream-grab"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".tsv", ".csv.gz", ".tsv.gz")):
        return "csv"
    return "jsonl"


def iter_posts(
    paths: Iterable[str | Path],
    *,
    fmt: str = "auto",
    text_column: str | None = None,
    id_column: str | None = None,
    skip_bad: bool = False,
    batch_size: int = BATCH_SIZE,
    report: ReadReport | None = None,
    fast: bool = True,
    strict: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Yield posts-schema record batches from every input, in order. An input without posts (empty,
    or a header alone) is listed in ``report.empty_files`` and skipped; ``strict`` stops there."""
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; expected one of {', '.join(FORMATS)}")
    report = report if report is not None else ReadReport()
    for path in map(Path, paths):
        if problem := path_problem(path, EXPECTED):
            raise InputError(problem)
        if path.stat().st_size == 0:
            _empty(path, "is empty", strict, report)
            continue
        kind = detect_format(path) if fmt == "auto" else fmt
        report.files.append(str(path))
        if kind == "parquet":
            batches = parquet_batches(path, text_column, batch_size)
        elif kind == "csv":
            batches = csv_batches(path, text_column, id_column, skip_bad, batch_size, report)
        elif kind == "stream-grab":
            batches = _batched(_tar_rows(path, skip_bad, report), batch_size)
        else:
            _check_json_text(path)
            batches = (
                _fast_or_rows(path, skip_bad, batch_size, report)
                if fast and is_plain_v2(path)
                else _batched(_json_file_rows(path, skip_bad, report), batch_size)
            )
        before = report.posts
        for batch in batches:
            report.posts += batch.num_rows
            yield batch
        if report.posts == before and kind != "stream-grab":
            _empty(path, "holds no posts", strict, report)
    if report.empty_files and not report.files:  # every input was empty
        raise InputError(f"no posts in any input: {'; '.join(report.empty_files)}; expected {EXPECTED}")


def _empty(path: Path, problem: str, strict: bool, report: ReadReport) -> None:
    if strict:
        raise InputError(
            f"input {path} {problem}; expected {EXPECTED}",
            hint="remove it from the inputs, or leave out --strict to skip and report empty inputs",
        )
    if str(path) in report.files:
        report.files.remove(str(path))
    report.empty_files.append(f"{path} {problem}")


def collect_files(
    inputs: list[str | Path],
    output: str | Path,
    *,
    fmt: str = "auto",
    text_column: str | None = None,
    id_column: str | None = None,
    skip_bad: bool = False,
    batch_size: int = BATCH_SIZE,
    strict: bool = False,
    on_progress: Progress | None = None,
) -> ReadReport:
    """Read every input into one posts Parquet file at ``output`` (atomically)."""
    import pyarrow.parquet as pq

    if not inputs:
        raise InputError(f"no inputs given; expected {EXPECTED}")
    check_output(output, "file", output="posts")

    def run(fast: bool) -> ReadReport:
        report, fix_ids = ReadReport(), IdChecker()
        report.ids = fix_ids.report
        count = Counter(on_progress, "reading posts")
        with atomic_path(output, output="posts") as tmp:
            with pq.ParquetWriter(tmp, stamp_schema(POSTS_SCHEMA, "posts"), compression="zstd") as writer:
                for batch in iter_posts(
                    inputs,
                    fmt=fmt,
                    text_column=text_column,
                    id_column=id_column,
                    skip_bad=skip_bad,
                    batch_size=batch_size,
                    report=report,
                    fast=fast,
                    strict=strict,
                ):
                    writer.write_batch(fix_ids(batch))
                    count(batch.num_rows)
            if report.posts == 0:
                raise InputError(f"no posts found in {', '.join(map(str, inputs))}; expected {EXPECTED}")
        return report

    return with_fast_path(run)


# -- JSON ---------------------------------------------------------------------------------------------------


def _check_json_text(path: Path) -> None:
    """JSON lines must be UTF-8 (a BOM is fine); binary data or UTF-16/32 stop here with one line."""
    encoding = text_encoding(path, expected="JSON text", opener=open_source)
    if not encoding.startswith("utf-8"):
        raise InputError(
            f"{path} is {encoding.upper()} text; JSON lines are read as UTF-8",
            hint=f"convert it: iconv -f {encoding} -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}",
        )


def _fast_or_rows(path: Path, skip_bad: bool, batch_size: int, report: ReadReport) -> Iterator[pa.RecordBatch]:
    """The fast path, falling back to the row path if it fails before yielding anything; a failure
    later raises :class:`FastPathUnavailable` (``with_fast_path`` restarts the whole run)."""
    started = False
    try:
        for batch in v2_fast_batches(path, batch_size):
            started = True
            yield batch
    except FastPathUnavailable:
        if started:
            raise
        yield from _batched(_json_file_rows(path, skip_bad, report), batch_size)


def _json_file_rows(path: Path, skip_bad: bool, report: ReadReport) -> Iterator[dict]:
    with open_source(path) as handle:
        first = b""
        for first in handle:
            if first.strip():
                break
        stripped = first.strip()
        if stripped in (b"{", b"["):  # pretty-printed: a single JSON document
            rest = handle.read()
            try:
                document = json.loads(first + rest)
            except ValueError as error:
                raise InputError(f"{path}: not valid JSON ({error}); expected {EXPECTED}") from None
            items = document if isinstance(document, list) else [document]
            for number, item in enumerate(items, start=1):
                yield from _object_rows(item, f"{path}, item {number}", str(path), None, skip_bad, report)
            return
        handle.seek(0)
        yield from _json_lines(handle, str(path), skip_bad, report)


def _json_lines(handle, source: str, skip_bad: bool, report: ReadReport) -> Iterator[dict]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as error:
            report.bad(
                f"{source}, line {number}", f"not valid JSON ({error}); expected one JSON object per line", skip_bad
            )
            continue
        if isinstance(obj, list):
            for item in obj:
                yield from _object_rows(item, f"{source}, line {number}", source, number, skip_bad, report)
        else:
            yield from _object_rows(obj, f"{source}, line {number}", source, number, skip_bad, report)


def _object_rows(obj, where: str, source: str, line: int | None, skip_bad: bool, report: ReadReport) -> Iterator[dict]:
    kind = tweets.kind(obj)
    try:
        if kind == "page":
            rows = tweets.page_rows(obj)
            if not rows:
                report.control_records += 1
        elif kind == "v2":
            rows = [tweets.v2_row(obj)]
        elif kind == "v1":
            rows = [tweets.v1_row(obj)]
        elif kind == "control":
            report.control_records += 1
            return
        else:
            report.bad(
                where,
                "a JSON value that is not a tweet; expected an X API v2 tweet or response page, or a v1.1 tweet",
                skip_bad,
            )
            return
    except (KeyError, TypeError, AttributeError) as error:
        report.bad(where, f"a tweet without a usable {error} field", skip_bad)
        return
    for row in rows:
        row["source_file"], row["source_line"] = source, line
        yield row


def _batched(rows: Iterator[dict], size: int) -> Iterator[pa.RecordBatch]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield rows_to_batch(chunk)
            chunk = []
    if chunk:
        yield rows_to_batch(chunk)


# -- Stream Grab archives -----------------------------------------------------------------------------------


def _tar_rows(path: Path, skip_bad: bool, report: ReadReport) -> Iterator[dict]:
    """v1.1 tweets from every ``.json[.bz2|.gz]`` member, read sequentially from the tar stream."""
    last = "(start)"
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = member.name
                if not member.isfile() or not name.lower().endswith(
                    (".json", ".jsonl", ".json.bz2", ".json.gz", ".jsonl.bz2", ".jsonl.gz")
                ):
                    continue
                last = name
                source = f"{path}:{name}"
                raw = archive.extractfile(member)
                handle = (
                    bz2.BZ2File(raw)
                    if name.endswith(".bz2")
                    else gzip.GzipFile(fileobj=raw)
                    if name.endswith(".gz")
                    else raw
                )
                rows = _json_lines(handle, source, skip_bad, report)
                while True:
                    try:
                        row = next(rows)
                    except StopIteration:
                        break
                    except _MEMBER_ERRORS as error:
                        report.corrupt_members.append(f"{source} ({type(error).__name__}: {error})")
                        break
                    row["source_format"] = "stream-grab"
                    yield row
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        if not report.corrupt_members and last == "(start)":
            raise InputError(f"{path} is not a readable tar archive ({error}); expected {EXPECTED}") from None
        report.corrupt_members.append(f"{path}: archive unreadable after member {last} ({type(error).__name__})")
