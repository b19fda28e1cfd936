"""Predictions of trained model folders: the one loader of ``empathykit
train`` models (``predict_records``), and ``empathykit predict``'s file
workflow (``predict_file``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError
from empathykit.io import check_output, write_parquet
from empathykit.records import read_records
from empathykit.train.folder import model_version as version_of
from empathykit.train.run import family_of

Progress = Callable[..., None]


@dataclass
class PredictionReport:
    out: Path
    items: int
    predicted: int
    model_version: str
    labels: dict[str, int] = field(default_factory=dict)


def predict_records(model_dir: str | Path, records: list[dict[str, Any]],
                    on_progress: Progress | None = None) -> list[dict[str, Any]]:
    """``[{"prediction", "prediction_score", ...}]`` for ``records`` (the one loader of trained models)."""
    return family_of(model_dir).predict(Path(model_dir), records, on_progress=on_progress)


def predict_file(model_dir: str | Path, input_path: str | Path, out_path: str | Path, *,
                 model_version: str | None = None, on_progress: Progress | None = None) -> PredictionReport:
    """Predictions for any file push reads, written as Parquet with ``prediction`` and ``prediction_score``
    (the columns ``annotate push --predictions-column prediction`` takes)."""
    import pyarrow as pa


    if Path(out_path).suffix.lower() != ".parquet":
        raise InputError(f"{out_path}: predictions are written as Parquet; expected a .parquet file name")
    dirs = model_dirs(model_dir)
    family = family_of(dirs[0])
    if len(dirs) > 1 and family.name != "epitome":
        raise InputError(f"{model_dir}: several model folders are for EPITOME models (one per mechanism); "
                         f"{dirs[0]} is a {family.name!r} model")
    check_output(out_path, "file")
    records = read_records(input_path, string_columns=("item_id", "id"))
    if not records:
        raise InputError(f"{input_path}: no records to predict")
    if on_progress:
        on_progress(0, total=len(records))
    rows = family.predict(dirs[0] if len(dirs) == 1 else dirs, records, on_progress=on_progress)
    columns = sorted({k for r in rows for k in r})
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if k not in columns} for r in records])
    for name in columns:
        table = table.append_column(name, pa.array([r.get(name) for r in rows]))
    write_parquet(out_path, table)
    counts: dict[str, int] = {}
    for r in rows:
        value = r.get("prediction")
        for label in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
            counts[label] = counts.get(label, 0) + 1
    return PredictionReport(out=Path(out_path), items=len(records),
                            predicted=sum(1 for r in rows if r.get("prediction") is not None),
                            model_version=model_version or "+".join(version_of(d) for d in dirs), labels=counts)


def model_dirs(model_dir: str | Path) -> list[Path]:
    """``ER_DIR,IP_DIR,EX_DIR`` (epitome: one model per mechanism) or one folder."""
    parts = [p.strip() for p in str(model_dir).split(",") if p.strip()]
    return [Path(p) for p in parts] if len(parts) > 1 and not Path(model_dir).exists() else [Path(model_dir)]
