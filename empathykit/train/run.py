"""The three workflows behind ``empathykit train | evaluate | predict``.

Each checks everything it can (settings, data, model path, output path)
before any training or writing, dispatches to the family (by ``--family`` or
the ``family`` in the model folder's ``config.yaml``) and returns values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError
from empathykit.progress import Progress
from empathykit.train.data import load_training_data
from empathykit.train.families import get_family
from empathykit.train.folder import read_labels, read_model_config
from empathykit.train.label_map import apply_label_map, parse_label_map
from empathykit.train.search import parse_search, search_train
from empathykit.train.settings import load_settings



def train_model(data: str, *, family: str, model: str, out_dir: str | Path, task: str | None = None,
                config_file: str | Path | None = None, overrides: Sequence[str] = (), resume: bool = False,
                extra: dict[str, Any] | None = None, on_progress: Progress | None = None,
                search: Sequence[str] = ()) -> dict[str, Any]:
    """Train ``family`` on ``data`` (export folder or ``DATASET:PATH``) into ``out_dir``; the metrics.
    ``search``: ``SETTING=V1,V2`` grids (or a YAML space file); the best on validation is kept."""

    chosen = get_family(family)
    settings = load_settings(chosen.settings_class, config_file, overrides, model=model)
    training_data = chosen.load_data(data, task, settings)
    if search:

        return search_train(chosen, training_data, settings.to_dict(), parse_search(search), Path(out_dir),
                            resume=resume, on_progress=on_progress, extra=extra or {})
    return chosen.train(training_data, settings, Path(out_dir), resume=resume, on_progress=on_progress,
                        extra=extra or {})


def family_of(model_dir: str | Path):
    return get_family(read_model_config(model_dir)["family"])


def evaluate_model(model_dir: str | Path, data: str, *, split: str = "test", task: str | None = None,
                   figures_dir: str | Path | None = None, label_map: str | None = None) -> dict[str, Any]:
    """Metrics of the model in ``model_dir`` on ``split`` of ``data`` (PNGs into ``figures_dir``).
    ``label_map`` (``high=empathy,low=none``): score on another data set's labels, mapped to the model's."""

    chosen = family_of(model_dir)
    # another data set's labels: its own default task unless --task names one
    training_data = load_training_data(data, task or (None if label_map else read_labels(model_dir).get("task")))
    if len(training_data.split(split)) == 0:
        sizes = ", ".join(f"{name} {len(rows)}" for name, rows in training_data.dataset.items())
        raise InputError(f"{data}: split {split!r} has no rows, nothing to evaluate ({sizes})",
                         hint="choose a split with rows (--split)")
    if label_map:

        training_data = apply_label_map(training_data, read_labels(model_dir), parse_label_map(label_map))
    result = chosen.evaluate(Path(model_dir), training_data, split, Path(figures_dir) if figures_dir else None)
    return {"model": str(model_dir), "data": str(data), "split": split, "task": training_data.task, **result}
