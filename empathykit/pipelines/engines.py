"""Which filter engine runs: the one entry point ``filter`` calls.

Both engines take the same options and write the same file and counts (the
Dask one adds ``"engine": "dask"`` to the counts); the local one streams on one
machine and reports progress, the Dask one spreads the work over a cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from empathykit.errors import InputError
from empathykit.pipelines.choices import ENGINES
from empathykit.pipelines.dask_runner import run_filter_dask
from empathykit.pipelines.filtering import FilterConfig, FilterResult, run_filter
from empathykit.progress import Progress


def filter_posts(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    engine: str = "local",
    config: FilterConfig | None = None,
    counts_path: str | Path | None = None,
    fmt: str = "auto",
    text_column: str | None = None,
    skip_bad: bool = False,
    on_progress: Progress | None = None,
) -> FilterResult:
    """Filter ``inputs`` into the Parquet file ``output`` on ``engine`` (``local`` or ``dask``)."""
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r} is not an engine; expected one of {', '.join(ENGINES)}")
    if engine == "dask":
        return run_filter_dask(
            list(inputs),
            output,
            config=config,
            counts_path=counts_path,
            fmt=fmt,
            text_column=text_column,
            skip_bad=skip_bad,
        )
    return run_filter(
        list(inputs),
        output,
        config=config,
        counts_path=counts_path,
        fmt=fmt,
        text_column=text_column,
        skip_bad=skip_bad,
        on_progress=on_progress,
    )
