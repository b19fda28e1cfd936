"""The three workflows behind ``empathykit train | evaluate | predict``.

Each checks everything it can (settings, data, model path, output path)
before any training or writing, dispatches to the family (by ``--family`` or
the ``family`` in the model folder's ``config.yaml``) and returns values.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from empathykit.errors import InputError, TrainError
from empathykit.progress import Progress
from empathykit.train.choices import FAMILIES
from empathykit.train.data import load_training_data
from empathykit.train.families import get_family
from empathykit.train.folder import read_labels, read_model_config, run_dir
from empathykit.train.label_map import parse_label_map, plan_label_map, score_mapped_predictions
from empathykit.train.search import parse_search, search_train
from empathykit.train.settings import resolve_settings
from empathykit.train.skeleton import RECORD


def train_model(
    data: str,
    *,
    family: str,
    out_dir: str | Path,
    model: str | None = None,
    task: str | None = None,
    config_file: str | Path | None = None,
    overrides: Sequence[str] = (),
    resume: bool = False,
    aux: Mapping[str, str] | None = None,
    teachers: Mapping[str, str] | None = None,
    command: str | None = None,
    on_progress: Progress | None = None,
    search: Sequence[str] = (),
) -> dict[str, Any]:
    """Train ``family`` on ``data`` (export folder or ``DATASET:PATH``) into ``out_dir``; the metrics.
    The settings: the family's defaults < (``resume``) the unfinished run's recorded settings <
    ``config_file`` < ``overrides`` (``KEY=VALUE``) < ``model``, ``aux``, ``teachers`` (None: not given).
    ``search``: ``SETTING=V1,V2`` grids (or a YAML space file); the best on validation is kept."""

    chosen = get_family(family)
    settings = family_settings(
        chosen,
        Path(out_dir),
        config_file=config_file,
        overrides=overrides,
        resume=resume,
        options={"model": model or None, "aux": aux, "teachers": teachers},
    )
    training_data = chosen.load_data(data, task, settings)
    if search:
        return search_train(
            chosen,
            training_data,
            settings.to_dict(),
            parse_search(search),
            Path(out_dir),
            resume=resume,
            on_progress=on_progress,
            command=command,
        )
    return chosen.train(training_data, settings, Path(out_dir), resume=resume, on_progress=on_progress, command=command)


def family_settings(
    chosen,
    out_dir: Path,
    *,
    config_file: str | Path | None,
    overrides: Sequence[str],
    resume: bool,
    options: Mapping[str, Any],
):
    """The family's settings from their sources (:func:`~empathykit.train.settings.resolve_settings`); an
    option the family has no setting for, or no model in any source, is one line before any data is read."""
    fields = {f.name for f in dataclasses.fields(chosen.settings_class)}
    stray = [name for name, value in options.items() if value and name not in fields]
    if stray:
        owners = [
            n
            for n in FAMILIES
            if n != chosen.name
            and all(s in {f.name for f in dataclasses.fields(get_family(n).settings_class)} for s in stray)
        ]
        raise TrainError(
            f"{', '.join('--' + ('teacher' if s == 'teachers' else s) for s in stray)}: not an option "
            f"of family {chosen.name!r}" + (f" (family {', '.join(map(repr, owners))} takes it)" if owners else ""),
            hint=f"add --family {owners[0]}" if owners else "drop it",
        )
    recorded = recorded_settings(out_dir) if resume else None
    settings = resolve_settings(
        chosen.settings_class, recorded=recorded, config_file=config_file, overrides=overrides, options=options
    )
    if not settings.model:
        raise TrainError(
            "no model to fine-tune given",
            hint="pass --model DIR (a local model folder; nothing is downloaded), or set model: in the --config file",
        )
    return settings


def recorded_settings(out_dir: Path) -> dict[str, Any] | None:
    """The settings an unfinished run into ``out_dir`` recorded (None when there is no such run)."""
    path = run_dir(out_dir) / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record.get("settings") if isinstance(record, dict) and isinstance(record.get("settings"), dict) else None


def family_of(model_dir: str | Path):
    return get_family(read_model_config(model_dir)["family"])


def evaluate_model(
    model_dir: str | Path,
    data: str,
    *,
    split: str = "test",
    task: str | None = None,
    figures_dir: str | Path | None = None,
    label_map: str | None = None,
) -> dict[str, Any]:
    """Metrics of the model in ``model_dir`` on ``split`` of ``data`` (PNGs into ``figures_dir``).
    ``label_map``: score on another data set's labels, its gold labels mapped to the model's classes
    (``high=empathy,low=none``) or the model's predictions to its classes (``seeking=empathy,providing=empathy,none=none``)."""

    chosen = family_of(model_dir)
    # another data set's labels: its own default task unless --task names one
    training_data = load_training_data(data, task or (None if label_map else read_labels(model_dir).get("task")))
    if len(training_data.split(split)) == 0:
        sizes = ", ".join(f"{name} {len(rows)}" for name, rows in training_data.dataset.items())
        raise InputError(
            f"{data}: split {split!r} has no rows, nothing to evaluate ({sizes})",
            hint="choose a split with rows (--split)",
        )
    figures = Path(figures_dir) if figures_dir else None
    direction, planned = (
        ("model", training_data)
        if not label_map
        else plan_label_map(training_data, read_labels(model_dir), parse_label_map(label_map))
    )
    if direction == "data":
        names = read_labels(model_dir).get("label_names") or []
        result = score_mapped_predictions(chosen, Path(model_dir), training_data, split, planned, names, figures)
    else:
        training_data = planned
        result = chosen.evaluate(Path(model_dir), training_data, split, figures)
    return {"model": str(model_dir), "data": str(data), "split": split, "task": training_data.task, **result}
