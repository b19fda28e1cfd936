"""``empathykit predict`` at corpus scale: streaming, resumable, on several processes or a cluster.

The input is read in chunks (:mod:`empathykit.predict.sources`); each chunk's rows go through
the :class:`~empathykit.predict.models.LoadedModel` (batched sorted by length where the family
allows) and its predictions are written as one finished row group
(:mod:`empathykit.predict.parts`); memory holds a chunk or two, whatever the input's size.
Killed and run again with the same command, it keeps the finished row groups and does only the
rest; the output equals an uninterrupted run's. The output's Parquet metadata carries the model
version (``empathykit.model_version``).

Engines:

- local: one process; under ``torchrun`` / ``accelerate launch`` (``WORLD_SIZE`` > 1) each
  process takes every ``WORLD_SIZE``-th chunk (on its own GPU where there are GPUs) and the
  first process joins them into the one output;
- ``dask``: chunks go to the workers of a ``dask.distributed`` cluster (a ``LocalCluster`` when no
  scheduler is named), each worker loading the model once (:mod:`empathykit.predict.dask_engine`).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import EmpathykitError, InputError
from empathykit.predict.chunks import CHUNK_ROWS, CorpusSettings, predict_chunk, run_chunks
from empathykit.predict.dask_engine import run_dask
from empathykit.predict.models import model_version_of, open_model
from empathykit.predict.parts import OUTPUT, Parts, bad_path, open_parts
from empathykit.predict.sources import check_input, count_rows, input_format, iter_chunks
from empathykit.progress import Counter, Progress

ENGINES = ("local", "dask")


@dataclass
class CorpusReport:
    out: Path
    items: int
    predicted: int
    model_version: str
    labels: dict[str, int] = field(default_factory=dict)
    bad: int = 0
    bad_path: Path | None = None
    chunks: int = 0
    resumed: int = 0  # chunks found finished from an earlier run
    seconds: float = 0.0
    rank: int = 0
    world_size: int = 1
    engine: str = "local"
    worker_loads: dict[int, int] = field(default_factory=dict)  # dask: models each worker process opened
    target: str | None = None
    score_column: str | None = "prediction_score"


def predict_corpus(
    model: str | Path | Sequence[str | Path],
    input_path: str | Path,
    out: str | Path,
    *,
    settings: CorpusSettings | None = None,
    model_version: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    on_progress: Progress | None = None,
) -> CorpusReport:
    """Predict every row of ``input_path`` with ``model`` into the Parquet ``out`` (see the module docstring)."""
    settings = settings or CorpusSettings()
    settings.check()
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    out, input_path = Path(out), Path(input_path)
    if out.suffix.lower() != ".parquet":
        raise InputError(f"{out}: predictions are written as Parquet; expected a .parquet file name")
    input_format(input_path)
    check_input(input_path)
    version = model_version or model_version_of(model)
    facts = {
        "model_version": version,
        "input": _fingerprint(input_path),
        "max_length": settings.max_length,
        "chunk_rows": settings.chunk_rows,
        "skip_bad": settings.skip_bad,
    }
    started = time.monotonic()
    if engine == "dask":
        parts = open_parts(out, facts)
        count = Counter(on_progress, "predicting rows", total=count_rows(input_path))
        chunks, resumed, loads = run_dask(
            model, input_path, parts, settings, count, scheduler=scheduler, workers=workers
        )
        report = _finish(parts, chunks, resumed, version, started, engine="dask")
        report.worker_loads = loads
        return report
    rank, size = _world()
    with _process_group(size) as group:
        parts = _shared_parts(group, rank, out, facts)
        loaded = open_model(model)
        count = Counter(on_progress, "predicting rows", total=count_rows(input_path))
        chunks, resumed = run_chunks(
            loaded,
            iter_chunks(input_path, settings.chunk_rows, skip_bad=settings.skip_bad),
            parts,
            settings,
            count,
            rank=rank,
            size=size,
        )
        if group is not None:
            group.barrier()
        if rank != 0:
            return CorpusReport(out, 0, 0, version, rank=rank, world_size=size, chunks=chunks)
    report = _finish(parts, chunks, resumed, version, started, engine="local")
    report.world_size = size
    return report


def _finish(parts: Parts, chunks: int, resumed: int, version: str, started: float, *, engine: str) -> CorpusReport:
    if chunks == 0:
        parts.discard()
        raise InputError(f"{parts.out}: the input has no rows to predict")
    rows, bad = parts.finish(chunks, version)
    items, predicted, labels = _counts(parts.out)
    return CorpusReport(
        parts.out,
        items,
        predicted,
        version,
        labels,
        bad,
        bad_path(parts.out) if bad else None,
        chunks,
        resumed,
        time.monotonic() - started,
        engine=engine,
    )


def _counts(out: Path) -> tuple[int, int, dict[str, int]]:
    """Rows, rows with a prediction and how often each label was predicted, read back column-wise."""
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(out)
    items, predicted, labels = handle.metadata.num_rows, 0, {}
    if "prediction" not in handle.schema_arrow.names:
        return items, 0, {}
    for batch in handle.iter_batches(columns=["prediction"]):
        for value in batch.column(0).to_pylist():
            predicted += value is not None
            for label in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                labels[label] = labels.get(label, 0) + 1
    return items, predicted, dict(sorted(labels.items()))


def _fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}


def _world() -> tuple[int, int]:
    """``(rank, world size)`` under ``torchrun`` / ``accelerate launch``; ``(0, 1)`` alone."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


@contextlib.contextmanager
def _process_group(size: int):
    """The launcher's process group (gloo on CPUs, nccl on GPUs, each process on its own GPU),
    destroyed at the end so no process aborts at exit."""
    if size <= 1:
        yield None
        return
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    started = not dist.is_initialized()
    if started:
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    try:
        yield dist
    finally:
        if started:
            dist.destroy_process_group()


def _shared_parts(group, rank: int, out: Path, facts: dict[str, Any]) -> Parts:
    """The parts folder, prepared by the first process; the others take it (or its refusal) from there."""
    if group is None:
        return open_parts(out, facts)
    failure: list[Any] = [None]
    if rank == 0:
        try:
            open_parts(out, facts).prepare()
        except EmpathykitError as error:
            failure = [(str(error), error.hint)]
    group.broadcast_object_list(failure, src=0)
    if failure[0] is not None:
        raise InputError(failure[0][0], hint=failure[0][1])
    return open_parts(out, facts, create=False)


__all__ = ["CHUNK_ROWS", "ENGINES", "OUTPUT", "CorpusReport", "CorpusSettings", "predict_chunk", "predict_corpus"]
