"""The filter on Dask, for inputs that outgrow one machine.

Install the extra (``pip install "empathykit[dask]"``) and, for a cluster,
start a ``dask.distributed.Client`` first: Dask then sends the work to it
(without one, Dask's local scheduler runs it). The same pure
:func:`~empathykit.pipelines.filtering.filter_batch` runs on every Parquet row
group (one Dask Bag partition each, via ``map_partitions``); the survivors'
dedup keys go through two Dask DataFrame group-bys (first post per exact key,
then per near key, in input order), so the output and the counts are
identical to the local streaming runner's.

Memory: stages 1-8 run per row group; the survivors of stages 1-8 are
persisted (on the workers) until written, and the positions of the finally
kept posts (8 bytes each) are gathered to the client to select them.

Input: what the local runner reads, with the same ``fmt``, ``text_column`` and
``skip_bad``: a Parquet file is split by row group, any other input (JSONL, CSV,
stream-grab archives) is read whole by one worker with the same readers.
Output: what the local runner writes, one Parquet file at ``output`` (the
workers write parts beside it, joined in input order at the end) and the
counts JSON, with the same read report.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from empathykit.errors import InputError, path_problem
from empathykit.io import atomic_path, check_output, stamp_schema, write_json
from empathykit.pipelines.filtering import HASH_COLUMNS, STAGES, FilterConfig, FilterResult, filter_batch, stage_report
from empathykit.pipelines.posts import FILTERED_SCHEMA, POSTS_SCHEMA, conform_batch
from empathykit.pipelines.readers import FORMATS, detect_format, iter_posts, with_fast_path
from empathykit.pipelines.sources import ReadReport

_ORDER = "_order"
_ROW_BITS = 32  # a row group holds fewer than 2**32 rows


#: A unit of work: (index, path, row group or None for the whole file, format).
Fragment = tuple[int, str, "int | None", str]


def _fragments(inputs: Sequence[str | Path], fmt: str, report: ReadReport) -> list[Fragment]:
    """Row groups of Parquet inputs, whole files of the others; Parquet files are noted in
    ``report`` here (the workers note the files they read)."""
    import pyarrow.parquet as pq

    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; expected one of {', '.join(FORMATS)}")
    fragments: list[Fragment] = []
    for path in map(Path, inputs):
        if problem := path_problem(path, "a posts file (Parquet, JSONL, CSV or an archive of them)"):
            raise InputError(problem)
        kind = detect_format(path) if fmt == "auto" else fmt
        if path.stat().st_size == 0:
            report.empty_files.append(f"{path} is empty")
        elif kind != "parquet":
            fragments.append((len(fragments), str(path), None, kind))
        else:
            try:
                meta = pq.ParquetFile(path).metadata
            except (pa.ArrowInvalid, OSError) as error:
                raise InputError(f"{path} is not a readable Parquet file ({error})") from None
            if not meta.num_rows:
                report.empty_files.append(f"{path} holds no posts")
                continue
            report.files.append(str(path))
            report.posts += meta.num_rows
            fragments += [(len(fragments) + g, str(path), g, kind) for g in range(meta.num_row_groups)]
    if not fragments:
        raise InputError(f"no posts in any input: {'; '.join(report.empty_files) or 'no inputs'}")
    return fragments


def _read(fragment: Fragment, text_column: str | None, skip_bad: bool) -> tuple[pa.RecordBatch, ReadReport | None]:
    """One fragment as one posts batch, with the read report of a whole file."""
    import pyarrow.parquet as pq

    _, path, group, kind = fragment
    if group is not None:
        table = pq.ParquetFile(path).read_row_group(group)
        source = text_column or "text"
        if source not in table.column_names:
            raise InputError(
                f"{path} has no {source!r} column; its columns are: {', '.join(table.column_names)}",
                hint="name the text column with --text-column",
            )
        if source != "text":
            table = table.rename_columns(["text" if c == source else c for c in table.column_names])
        return conform_batch(table), None

    def run(fast: bool) -> tuple[list[pa.RecordBatch], ReadReport]:
        report = ReadReport()
        try:
            batches = list(
                iter_posts([path], fmt=kind, text_column=text_column, skip_bad=skip_bad, report=report, fast=fast)
            )
        except InputError:
            if not (report.empty_files and not report.files):  # alone, an input without posts stops the read
                raise
            batches = []
        return batches, report

    batches, report = with_fast_path(run)
    table = pa.Table.from_batches(batches, schema=POSTS_SCHEMA).combine_chunks()
    batch = table.to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=POSTS_SCHEMA)
    return batch, report


def _stage(partition: list, config: FilterConfig, text_column: str | None, skip_bad: bool) -> list:
    """Bag partition of fragments -> [(fragment index, rows read, survivors, counts, read report)]."""
    results = []
    for fragment in partition:
        batch, report = _read(fragment, text_column, skip_bad)
        kept, counts = filter_batch(batch, config)
        # survivors keep their input order, so (fragment, position among survivors) orders them globally
        results.append((fragment[0], batch.num_rows, kept, counts, report))
    return results


def _merge_reads(parquet: ReadReport, fragments: list[Fragment], reports: dict[int, ReadReport]) -> dict:
    """The read report the local runner writes: files in input order, counts summed."""
    merged = ReadReport(empty_files=list(parquet.empty_files))
    parquet_files = iter(parquet.files)
    for index, _path, group, _ in fragments:
        if group == 0:
            merged.files.append(next(parquet_files))
        part = reports.get(index)
        if part is None:
            continue
        merged.files += part.files
        merged.empty_files += part.empty_files
        merged.posts += part.posts
        merged.bad_lines += part.bad_lines
        merged.bad_examples = (merged.bad_examples + part.bad_examples)[:5]
        merged.control_records += part.control_records
        merged.corrupt_members += part.corrupt_members
    merged.posts += parquet.posts
    return merged.as_dict()


def _default_scheduler() -> str | None:
    """The active distributed Client if there is one (None lets Dask use it), else threads:
    Arrow compute releases the GIL."""
    try:
        from distributed import default_client

        default_client()
        return None
    except (ImportError, ValueError):
        return "threads"


def run_filter_dask(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    config: FilterConfig | None = None,
    counts_path: str | Path | None = None,
    fmt: str = "auto",
    text_column: str | None = None,
    skip_bad: bool = False,
    scheduler: str | None = None,
) -> FilterResult:
    """Filter ``inputs`` on Dask into the Parquet file ``output``; see the module docstring."""
    try:
        import dask
        import dask.bag as db
    except ImportError:
        raise InputError("the dask engine needs Dask", hint='pip install "empathykit[dask]"') from None

    config = config or FilterConfig()
    scheduler = scheduler or _default_scheduler()
    output = Path(output)
    counts_path = Path(counts_path) if counts_path else output.with_name(output.stem + ".counts.json")
    check_output(output, "file", output="filtered")
    check_output(counts_path, "file", output="filter-counts", label="counts file")
    parquet_read = ReadReport()
    fragments = _fragments(inputs, fmt, parquet_read)
    bag = db.from_sequence(fragments, npartitions=len(fragments))
    staged = bag.map_partitions(_stage, config, text_column, skip_bad)
    (staged,) = dask.persist(staged, scheduler=scheduler)
    totals, kept_orders = _dedup_counts(staged, config, scheduler)
    (partials,) = dask.compute(
        staged.map_partitions(lambda part: [(i, rows, counts, read) for i, rows, _, counts, read in part]),
        scheduler=scheduler,
    )
    n_input, reads = 0, {}
    for index, rows, counts, read in partials:
        n_input += rows
        reads[index] = read
        for name, value in counts.items():
            totals[name] += value
    _write(staged, kept_orders, output, scheduler)
    counts = stage_report(
        totals,
        n_input,
        config,
        inputs=[str(p) for p in inputs],
        output_file=str(output),
        read=_merge_reads(parquet_read, fragments, reads),
        engine="dask",
    )
    write_json(counts_path, counts, output="filter-counts")
    return FilterResult(output, counts_path, counts)


def _dedup_counts(staged, config: FilterConfig, scheduler: str | None) -> tuple[dict[str, int], np.ndarray]:
    """Exact and near duplicates over every partition's survivors (two Dask DataFrame group-bys,
    first post per key in input order): the duplicate counts and the positions finally kept."""
    import dask
    import dask.dataframe as dd
    import pandas as pd

    meta = pd.DataFrame(
        {_ORDER: pd.Series([], dtype="int64"), **{h: pd.Series([], dtype="uint64") for h in HASH_COLUMNS}}
    )

    def keys(partition: list) -> pd.DataFrame:
        frames = [
            pd.DataFrame(
                {
                    _ORDER: (np.int64(index) << _ROW_BITS) + np.arange(kept.num_rows, dtype=np.int64),
                    HASH_COLUMNS[0]: kept.column(HASH_COLUMNS[0]).to_numpy(),
                    HASH_COLUMNS[1]: kept.column(HASH_COLUMNS[1]).to_numpy(),
                }
            )
            for index, _, kept, _, _ in partition
        ]
        return pd.concat(frames) if frames else meta

    frame = dd.from_delayed([dask.delayed(keys)(part) for part in staged.to_delayed()], meta=meta)
    reached = frame
    if config.exact_dedup:
        reached = frame[frame[_ORDER].isin(frame.groupby(HASH_COLUMNS[0])[_ORDER].min())]
    final = reached
    if config.near_dedup:
        final = reached[reached[_ORDER].isin(reached.groupby(HASH_COLUMNS[1])[_ORDER].min())]
    n_reached, n_exact, kept_orders = dask.compute(frame.shape[0], reached.shape[0], final[_ORDER], scheduler=scheduler)
    kept_orders = np.sort(np.asarray(kept_orders, dtype=np.int64))
    totals = dict.fromkeys(STAGES, 0)
    totals["exact_duplicates"] = int(n_reached - n_exact)
    totals["near_duplicates"] = int(n_exact - len(kept_orders))
    return totals, kept_orders


def _write(staged, kept_orders: np.ndarray, output: Path, scheduler: str | None) -> None:
    """The workers write their kept posts as parts beside ``output``; the parts are then
    joined in input order into the one file the local runner writes."""
    import dask
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.parts-") as parts:
        folder = Path(parts)

        def write(partition: list) -> list[int]:
            for index, _, kept, _, _ in partition:
                orders = (np.int64(index) << _ROW_BITS) + np.arange(kept.num_rows, dtype=np.int64)
                chosen = kept.filter(pa.array(np.isin(orders, kept_orders))).drop_columns(list(HASH_COLUMNS))
                pq.write_table(pa.Table.from_batches([chosen]), folder / f"part-{index:09d}.parquet")
            return [len(partition)]

        dask.compute(staged.map_partitions(write), scheduler=scheduler)
        with (
            atomic_path(output, output="filtered") as tmp,
            pq.ParquetWriter(tmp, stamp_schema(FILTERED_SCHEMA, "filtered"), compression="zstd") as writer,
        ):
            for part in sorted(folder.glob("part-*.parquet")):
                writer.write_table(pq.read_table(part, schema=FILTERED_SCHEMA))
