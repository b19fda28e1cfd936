"""The one way the trainer reads data: ``load_training_data(DATA, task)``.

``DATA`` is an export folder (read with :func:`empathykit.exports.load`) or a
``DATASET:PATH`` import (``newsemp:messages.csv``, ``sst2:DIR``, ...), which
is exported on the fly by :func:`empathykit.exports.importers.export_import`
into a cache folder keyed by the spec and a hash of the files' content, so a
second run (and every process of a distributed run) reads the same export.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empathykit.config import cache_dir
from empathykit.errors import EmpathykitError, InputError, path_problem
from empathykit.exports import load
from empathykit.exports.importers import export_import
from empathykit.io import output_lock
from empathykit.outputs import folder_kind
from empathykit.releases.registry import is_import_spec

KINDS = ("choice", "multichoice", "rating")


@dataclass
class TrainingData:
    """An exported dataset as the trainer sees it (the fields of ``exports.ExportedDataset``)."""

    dataset: Any  # datasets.DatasetDict with train / validation / test
    task: str
    kind: str
    label_names: list[str] | None
    inputs: list[str]
    scale: tuple[float, float] | None = None
    label_column: str = "label"
    schema: str | None = None
    schema_options: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)
    source: str = ""

    def split(self, name: str):
        if name not in self.dataset:
            raise InputError(f"{self.source}: no split {name!r}; it has {', '.join(self.dataset)}")
        return self.dataset[name]

    def describe(self) -> dict[str, Any]:
        """What the model card and ``config.yaml`` record about the data."""
        return {
            "source": self.source,
            "task": self.task,
            "kind": self.kind,
            "inputs": list(self.inputs),
            "label_names": self.label_names,
            "scale": list(self.scale) if self.scale else None,
            "schema": self.schema,
            "splits": {k: len(v) for k, v in self.dataset.items()},
        }


def load_training_data(data: str | Path, task: str | None = None, **options: Any) -> TrainingData:
    """Read ``data`` (export folder or ``DATASET:PATH``) as :class:`TrainingData`.

    Raises ``InputError`` for a missing folder, an unknown task variant or a label kind the
    trainer does not know."""
    data = str(data)
    folder = _cached_import(data, options) if is_import_spec(data) else Path(data)
    if problem := path_problem(
        folder, "an export folder (`empathykit export` writes one) or DATASET:PATH", folder=True
    ):
        raise InputError(
            problem, hint="pass the folder `empathykit export` wrote, or DATASET:PATH (e.g. newsemp:messages.csv)"
        )
    exported = _load_export(folder, task)
    if exported.kind not in KINDS:
        raise InputError(f"{data}: label kind {exported.kind!r} is not one the trainer knows ({', '.join(KINDS)})")
    exported.source = data
    return exported


def _load_export(folder: Path, task: str | None) -> TrainingData:
    check_parquet_files(folder)
    try:
        loaded = load(folder, task=task)
    except EmpathykitError:
        raise
    except Exception as error:  # datasets wraps what pyarrow says about a damaged file in its own errors
        raise InputError(
            f"{folder}: a data file of the export cannot be read ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200] if str(error) else ''})",
            hint=REEXPORT,
        ) from None
    return TrainingData(
        dataset=loaded.dataset,
        task=loaded.task,
        kind=loaded.kind,
        label_names=loaded.label_names,
        inputs=list(loaded.inputs),
        scale=tuple(loaded.scale) if loaded.scale else None,
        label_column=loaded.label_column,
        schema=loaded.schema,
        schema_options=dict(loaded.schema_options or {}),
        card=dict(loaded.card or {}),
    )


REEXPORT = "export it again (`empathykit export ...`); the folder is damaged or incomplete"


def check_parquet_files(folder: Path) -> None:
    """Every Parquet file of an export folder opens (footer and schema); one line naming the first that does not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
        try:
            _ = pq.ParquetFile(path).metadata  # reading the footer is the check
        except (pa.ArrowException, OSError) as error:
            size = path.stat().st_size
            why = "empty (0 bytes)" if size == 0 else f"not a complete Parquet file ({size} bytes: {error})"
            raise InputError(f"{path}: {why}", hint=REEXPORT) from None


def content_key(source: Path) -> list[tuple[str, str]]:
    """``(relative path, sha256)`` of every file under ``source``: what a cached export is keyed by
    (sizes and times survive ``cp -p``, ``rsync -a`` and ``tar x`` of other content)."""
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    key = []
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        key.append((path.relative_to(source).as_posix() if source.is_dir() else path.name, digest.hexdigest()))
    return key


def _cached_import(spec: str, options: dict[str, Any]) -> Path:
    name, _, path = spec.partition(":")
    source = Path(path)
    if not source.exists():
        raise InputError(f"{spec}: no such file or folder {path}")
    stamp = [str(source.resolve()), content_key(source)]
    key = hashlib.sha256(json.dumps([name, stamp, sorted(options.items())], default=str).encode()).hexdigest()[:16]
    out = cache_dir() / "train-data" / f"{name}-{key}"
    with output_lock(out, label="training data cache"):  # one run imports; another at once stops in one line
        if folder_kind(out) != "export":  # written whole (renamed into place), so present means complete
            export_import(spec, out, **options)
    return out
