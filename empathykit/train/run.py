"""The three workflows behind ``empathykit train | evaluate | predict``.

Each checks everything it can (settings, data, model path, output path)
before any training or writing, dispatches to the family (by ``--family`` or
the ``family`` in the model folder's ``config.yaml``) and returns values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from empathykit.errors import InputError
from empathykit.train.families import get_family
from empathykit.train.settings import load_settings

Progress = Callable[..., None]


def train_model(data: str, *, family: str, model: str, out_dir: str | Path, task: str | None = None,
                config_file: str | Path | None = None, overrides: Sequence[str] = (), resume: bool = False,
                extra: dict[str, Any] | None = None, on_progress: Progress | None = None) -> dict[str, Any]:
    """Train ``family`` on ``data`` (export folder or ``DATASET:PATH``) into ``out_dir``; the metrics."""
    from empathykit.train.data import load_training_data

    chosen = get_family(family)
    settings = load_settings(chosen.settings_class, config_file, overrides, model=model)
    training_data = load_training_data(data, task)
    return chosen.train(training_data, settings, Path(out_dir), resume=resume, on_progress=on_progress,
                        extra=extra or {})


def family_of(model_dir: str | Path):
    from empathykit.train.folder import read_model_config

    return get_family(read_model_config(model_dir)["family"])


def evaluate_model(model_dir: str | Path, data: str, *, split: str = "test", task: str | None = None,
                   figures_dir: str | Path | None = None) -> dict[str, Any]:
    """Metrics of the model in ``model_dir`` on ``split`` of ``data`` (PNGs into ``figures_dir``)."""
    from empathykit.train.data import load_training_data
    from empathykit.train.folder import read_labels

    chosen = family_of(model_dir)
    training_data = load_training_data(data, task or read_labels(model_dir).get("task"))
    training_data.split(split)
    result = chosen.evaluate(Path(model_dir), training_data, split, Path(figures_dir) if figures_dir else None)
    return {"model": str(model_dir), "data": str(data), "split": split, "task": training_data.task, **result}


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

    from empathykit.annotate.records import read_records
    from empathykit.io import check_output, write_parquet
    from empathykit.train.folder import model_version as version_of

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
