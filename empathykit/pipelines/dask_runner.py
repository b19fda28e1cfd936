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
kept posts (8 bytes each) are gathered to the client to select them. Input:
posts Parquet files (``collect file`` output). Output: a Parquet dataset
folder at ``output`` (``part-00000.parquet``, ... in input order; read it with
``pyarrow.parquet.read_table(output)``) and the counts JSON beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from empathykit.errors import InputError
from empathykit.io import atomic_path, check_output, write_json
from empathykit.pipelines.filtering import HASH_COLUMNS, STAGES, FilterConfig, FilterResult, filter_batch, stage_report
from empathykit.pipelines.posts import conform_batch

_ORDER = "_order"
_ROW_BITS = 32  # a row group holds fewer than 2**32 rows


def _fragments(inputs: Sequence[str | Path]) -> list[tuple[int, str, int]]:
    import pyarrow.parquet as pq

    fragments = []
    for path in map(Path, inputs):
        if path.suffix.lower() != ".parquet" or not path.is_file():
            raise InputError(f"the dask engine reads posts Parquet files; {path} is not one",
                             hint="convert inputs with `empathykit collect file` first")
        for group in range(pq.ParquetFile(path).num_row_groups):
            fragments.append((len(fragments), str(path), group))
    if not fragments:
        raise InputError("no Parquet row groups in the inputs; expected posts Parquet files")
    return fragments


def _stage(partition: list, config: FilterConfig, text_column: str | None) -> list:
    """Bag partition of fragments -> [(fragment index, rows read, survivors with _order, counts)]."""
    import pyarrow.parquet as pq


    results = []
    for index, path, group in partition:
        table = pq.ParquetFile(path).read_row_group(group)
        if text_column and text_column != "text":
            table = table.rename_columns(["text" if c == text_column else c for c in table.column_names])
        batch = conform_batch(table)
        kept, counts = filter_batch(batch, config)
        # survivors keep their input order, so (fragment, position among survivors) orders them globally
        results.append((index, batch.num_rows, kept, counts))
    return results


def _default_scheduler() -> str | None:
    """The active distributed Client if there is one (None lets Dask use it), else threads:
    Arrow compute releases the GIL."""
    try:
        from distributed import default_client

        default_client()
        return None
    except (ImportError, ValueError):
        return "threads"


def run_filter_dask(inputs: Sequence[str | Path], output: str | Path, *, config: FilterConfig | None = None,
                    counts_path: str | Path | None = None, text_column: str | None = None,
                    scheduler: str | None = None) -> FilterResult:
    """Filter posts Parquet ``inputs`` on Dask into the dataset folder ``output``; see the module docstring."""
    try:
        import dask
        import dask.bag as db
        import dask.dataframe as dd
    except ImportError:
        raise InputError("the dask engine needs Dask", hint='pip install "empathykit[dask]"') from None
    import pandas as pd
    import pyarrow.parquet as pq

    config = config or FilterConfig()
    scheduler = scheduler or _default_scheduler()
    output = Path(output)
    counts_path = Path(counts_path) if counts_path else output.with_name(output.stem + ".counts.json")
    check_output(output, "dir")
    check_output(counts_path, "file", label="counts file")
    fragments = _fragments(inputs)
    bag = db.from_sequence(fragments, npartitions=len(fragments))
    staged = bag.map_partitions(_stage, config, text_column)
    (staged,) = dask.persist(staged, scheduler=scheduler)

    def keys(partition: list) -> pd.DataFrame:
        frames = [pd.DataFrame({
            _ORDER: (np.int64(index) << _ROW_BITS) + np.arange(kept.num_rows, dtype=np.int64),
            HASH_COLUMNS[0]: kept.column(HASH_COLUMNS[0]).to_numpy(),
            HASH_COLUMNS[1]: kept.column(HASH_COLUMNS[1]).to_numpy()}) for index, _, kept, _ in partition]
        return pd.concat(frames) if frames else meta

    meta = pd.DataFrame({_ORDER: pd.Series([], dtype="int64"),
                         **{h: pd.Series([], dtype="uint64") for h in HASH_COLUMNS}})
    frame = dd.from_delayed([dask.delayed(keys)(part) for part in staged.to_delayed()], meta=meta)
    reached = frame
    if config.exact_dedup:
        first = frame.groupby(HASH_COLUMNS[0])[_ORDER].min()
        reached = frame[frame[_ORDER].isin(first)]
    final = reached
    if config.near_dedup:
        first_near = reached.groupby(HASH_COLUMNS[1])[_ORDER].min()
        final = reached[reached[_ORDER].isin(first_near)]
    totals_per_partition = staged.map_partitions(lambda part: [(rows, counts) for _, rows, _, counts in part])
    n_reached, n_exact, kept_orders = dask.compute(frame.shape[0], reached.shape[0], final[_ORDER],
                                                   scheduler=scheduler)
    (partials,) = dask.compute(totals_per_partition, scheduler=scheduler)
    kept_orders = np.sort(np.asarray(kept_orders, dtype=np.int64))
    totals, n_input = dict.fromkeys(STAGES, 0), 0
    for rows, counts in partials:
        n_input += rows
        for name, value in counts.items():
            totals[name] += value
    totals["exact_duplicates"] = int(n_reached - n_exact)
    totals["near_duplicates"] = int(n_exact - len(kept_orders))

    with atomic_path(output) as folder:
        folder.mkdir()

        def write(partition: list) -> list[int]:
            written = []
            for index, _, kept, _ in partition:
                orders = (np.int64(index) << _ROW_BITS) + np.arange(kept.num_rows, dtype=np.int64)
                chosen = kept.filter(pa.array(np.isin(orders, kept_orders))).drop_columns(list(HASH_COLUMNS))
                pq.write_table(pa.Table.from_batches([chosen]), folder / f"part-{index:05d}.parquet",
                               compression="zstd")
                written.append(chosen.num_rows)
            return written

        dask.compute(staged.map_partitions(write), scheduler=scheduler)
    counts = stage_report(totals, n_input, config, inputs=[str(p) for p in inputs],
                          output_file=str(output), engine="dask")
    write_json(counts_path, counts)
    return FilterResult(output, counts_path, counts)
