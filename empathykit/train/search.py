"""``train --search learning_rate=2e-5,5e-5,1e-4 [--search epochs=3,4]``: a grid of settings, the best kept.

Each combination is one trial of an optuna study with its ``GridSampler`` (every combination once,
in a seeded order). A trial is the family's own ``train`` with those settings into
``.OUT.train-run/trials/trial-N/`` (so every family, and settings that are not ``Trainer``
arguments, such as ``class_weights`` or ``lambda_RE``, can be searched); its score is the
validation split's main metric (:func:`~empathykit.train.keep_best.main_metric`: macro-F1 for single-
and multi-label tasks, Pearson for ratings, minus the masked-LM loss for ``mlm``), of the model the trial
kept by the same rule as any run (:mod:`~empathykit.train.keep_best`: never worse than the start). The winner's folder becomes OUT,
with every trial's settings and metrics in ``metrics.json`` (``search``) and in the card.
A finished trial is not trained again after ``--resume``.

transformers' ``Trainer.hyperparameter_search`` runs the same optuna study, but sets only
``TrainingArguments`` fields on one ``Trainer``; the families build their own, and search more
than those fields.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import TrainError
from empathykit.io import output_lock, write_json
from empathykit.keyvalue import split_pair
from empathykit.train import folder as mf
from empathykit.train.hf import is_main_process
from empathykit.train.keep_best import main_metric
from empathykit.train.settings import build_settings
from empathykit.train.skeleton import RECORD

GENERATED = ("config.yaml", "labels.json", "metrics.json", "README.md")


def parse_search(values: Sequence[str]) -> dict[str, list[str]]:
    """``{setting: [values]}`` from ``KEY=V1,V2`` options or a YAML file mapping settings to lists."""
    space: dict[str, list[str]] = {}
    for value in values:
        if "=" not in value and Path(value).is_file():
            space.update(_space_file(Path(value)))
            continue
        key, rest = split_pair(
            value.rstrip(", "),
            "--search",
            "learning_rate=2e-5,5e-5,1e-4",
            error=TrainError,
            form="SETTING=V1,V2,... or a YAML file of SETTING: [values]",
        )
        space[key] = [v.strip() for v in rest.split(",") if v.strip()]
    return space


def _space_file(path: Path) -> dict[str, list[str]]:
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise TrainError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(loaded, dict) or not all(isinstance(v, list) and v for v in loaded.values()):
        raise TrainError(f"{path}: a search space is a mapping of setting names to non-empty lists of values")
    return {str(k): [str(v) for v in values] for k, values in loaded.items()}


def search_train(
    family,
    data,
    values: dict[str, Any],
    space: dict[str, list[str]],
    out_dir: Path,
    *,
    resume: bool = False,
    on_progress=None,
    command: str | None = None,
) -> dict[str, Any]:
    """Train every combination of ``space`` over the settings ``values``; keep the best in ``out_dir``
    (one search per output: the output's lock is held throughout, as a single run holds it)."""
    mf.check_model_output(out_dir)
    with output_lock(out_dir, label="model folder") if is_main_process() else contextlib.nullcontext():
        return _search(family, data, values, space, out_dir, resume=resume, on_progress=on_progress, command=command)


def _search(
    family,
    data,
    values: dict[str, Any],
    space: dict[str, list[str]],
    out_dir: Path,
    *,
    resume: bool,
    on_progress,
    command: str | None,
) -> dict[str, Any]:
    import optuna

    cls = family.settings_class
    grid = [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    for combo in grid:  # every combination's settings checked before any training
        build_settings(cls, {**values, **combo})
    base = build_settings(cls, values)
    work = mf.prepare_run(out_dir, resume)
    if is_main_process() and not (work / RECORD).is_file():  # what --resume without --model continues with
        write_json(work / RECORD, {"family": family.name, "settings": base.to_dict(), "command": command})
    trials_dir = work / "trials"
    if not resume and trials_dir.is_dir() and any(trials_dir.iterdir()):  # an interrupted search's work is kept
        raise TrainError(
            f"an unfinished settings search left trials in {trials_dir}",
            hint="add --resume to continue it (finished trials are not trained again), "
            "or remove that folder to start over",
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GridSampler(space, seed=base.seed))
    folders: dict[int, Path] = {}

    def objective(trial) -> float:
        params = {k: trial.suggest_categorical(k, v) for k, v in space.items()}
        folder = trials_dir / ("trial-" + "-".join(f"{k}={v}" for k, v in params.items()).replace("/", "_"))
        if (folder / mf.MARKER).is_file():  # finished before an interruption
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        else:
            settings = build_settings(cls, {**values, **params})
            metrics = family.train(data, settings, folder, resume=resume, on_progress=on_progress, command=command)
        name, score = main_metric(metrics)
        folders[trial.number] = folder
        trial.set_user_attr("metric", name)
        trial.set_user_attr("validation", _headline(metrics.get("validation")))
        trial.set_user_attr("test", _headline(metrics.get("test")))
        trial.set_user_attr("kept", metrics.get("kept"))
        return score

    study.optimize(objective, n_trials=len(grid))
    best = study.best_trial
    trials = [
        {
            "params": t.params,
            "metric": t.user_attrs.get("metric"),
            "score": t.value,
            "validation": t.user_attrs.get("validation"),
            "test": t.user_attrs.get("test"),
            "kept": t.user_attrs.get("kept"),
        }
        for t in study.trials
    ]
    return _keep_winner(folders[best.number], out_dir, best.params, trials, space)


def _headline(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    if not metrics:
        return None
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _keep_winner(
    winner: Path, out_dir: Path, params: dict[str, Any], trials: list[dict[str, Any]], space: dict[str, list[str]]
) -> dict[str, Any]:
    """Write OUT from the winning trial's folder, with the search recorded in metrics, config and card."""
    config = mf.read_model_config(winner)
    metrics = json.loads((winner / "metrics.json").read_text(encoding="utf-8"))
    metrics["search"] = {"space": space, "best": params, "trials": trials}
    data = {**config.get("data", {}), **mf.read_labels(winner)}
    extra_config = {k: v for k, v in config.items() if k not in ("family", "settings", "data", "command")}
    extra_config["search"] = {"space": space, "best": params}

    def copy(tmp: Path) -> None:
        for item in winner.iterdir():
            if item.name in GENERATED or item.name.startswith("."):
                continue
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp / item.name)

    mf.write_model_folder(
        out_dir,
        copy,
        family=config["family"],
        settings=config.get("settings", {}),
        data=data,
        metrics=metrics,
        command=config.get("command"),
        extra_config=extra_config,
    )
    mf.finish_run(out_dir)
    return metrics
