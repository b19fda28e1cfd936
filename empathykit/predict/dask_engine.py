"""``predict --engine dask``: the chunks of a predict run on a ``dask.distributed`` cluster.

The client reads the input in chunks and sends each to a worker, at most two per worker in
flight (memory stays flat); a worker opens the model the first time it is asked and keeps it
(:func:`worker_model`: once per worker process), predicts the chunk with the same
:func:`~empathykit.predict.chunks.predict_chunk` the local engine runs, and hands the rows back;
the client writes them as the run's finished row groups, so resuming and the output are the
local engine's. Without a scheduler address a ``LocalCluster`` of ``workers`` processes runs
on this machine. Install ``distributed`` (the ``dask`` extra) first.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import EmpathykitError, InputError
from empathykit.predict.chunks import predict_chunk
from empathykit.predict.models import LoadedModel, open_model
from empathykit.predict.parts import Parts
from empathykit.predict.sources import iter_chunks

_MODELS: dict[tuple[str, ...], LoadedModel] = {}
#: models opened in this process, by folders: what the test reads to see each worker loads once
LOADS: Tally = Tally()


def worker_model(paths: tuple[str, ...]) -> LoadedModel:
    """The model of ``paths`` in this worker process, opened on first use only."""
    if paths not in _MODELS:
        _MODELS[paths] = open_model(list(paths))
        LOADS[paths] += 1
    return _MODELS[paths]


def predict_task(paths: tuple[str, ...], index: int, table: Any, settings: Any) -> tuple[int, Any, int, int]:
    """One chunk on a worker: ``(index, predictions, worker pid, models opened for paths here)``."""
    model = worker_model(paths)
    return index, predict_chunk(model, table, settings), os.getpid(), LOADS[paths]


def run_dask(
    model: str | Path | Sequence[str | Path],
    input_path: Path,
    parts: Parts,
    settings: Any,
    count: Any,
    *,
    scheduler: str | None = None,
    workers: int = 2,
) -> tuple[int, int, dict[int, int]]:
    """Every unfinished chunk predicted on the cluster and written; ``(chunks, resumed, {worker pid:
    models it opened})``."""
    client, cluster = _client(scheduler, workers)
    paths = tuple(str(Path(p).resolve()) for p in ([model] if isinstance(model, (str, Path)) else model))
    done, seen, resumed = parts.done(), 0, 0
    loads: dict[int, int] = {}
    try:
        from dask.distributed import as_completed

        pending = as_completed()
        limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or workers)
        bad: dict[int, list] = {}
        for chunk in iter_chunks(input_path, settings.chunk_rows, skip_bad=settings.skip_bad):
            seen = chunk.index + 1
            if chunk.index in done:
                resumed += 1
                count(chunk.table.num_rows)
                continue
            bad[chunk.index] = chunk.bad
            pending.add(client.submit(predict_task, paths, chunk.index, chunk.table, settings, pure=False))
            while pending.count() >= limit:
                _collect(next(pending), parts, bad, count, loads)
        for future in pending:
            _collect(future, parts, bad, count, loads)
    except EmpathykitError:
        raise
    except Exception as error:  # a worker's failure arrives here as the worker's exception
        raise InputError(
            f"a Dask worker failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}",
            hint="the finished row groups are kept; run the same command again to go on",
        ) from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return seen, resumed, loads


def _collect(future, parts: Parts, bad: dict[int, list], count, loads: dict[int, int]) -> None:
    index, table, pid, opened = future.result()
    parts.write(index, table, bad.pop(index))
    loads[pid] = opened
    count(table.num_rows)


def _client(scheduler: str | None, workers: int):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise EmpathykitError(
            "--engine dask needs dask.distributed, which is not installed", hint='pip install "empathykit[dask]"'
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, TimeoutError) as error:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({error})") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster
