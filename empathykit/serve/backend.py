"""The model side of ``empathykit serve``: trained model folders answering Label Studio's ML backend calls.

Label Studio (1.23) calls ``GET /health``, ``POST /setup`` with the project's labeling config
(``schema``), ``POST /predict`` with ``{"tasks", "label_config", "project", "params"}`` and
``POST /webhook`` with annotation events. This module holds everything but the HTTP: it loads
the models once, matches a labeling config to an empathykit schema and checks that the models
can fill it, and turns ``predict_records`` rows into the project's result format (the one
``annotate predict`` + ``push --predictions-column`` writes: ``schema.to_results``).

Every task is read on its own (:mod:`empathykit.serve.tasks`) and the model runs through the
cross-request :class:`~empathykit.serve.batching.Batcher`; a task that cannot be read or that
the model fails on is that task's ``{"error"}``, never another's.

A folder written by ``empathykit loop`` (it holds :data:`CURRENT_MODEL`) serves the newest
model the loop wrote, followed on the server's own timer (:mod:`empathykit.serve.follow`).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from empathykit.errors import InputError, SchemaError
from empathykit.predict.models import CURRENT_MODEL, LoadedModel, model_version_of, open_model, resolve_dirs
from empathykit.predict.values import model_label_names, to_values
from empathykit.schemas import get_schema, schema_names
from empathykit.schemas.base import Schema
from empathykit.serve.batching import Batcher
from empathykit.serve.follow import Follower, is_loop_folder
from empathykit.serve.tasks import Limits, read_task, task_label

__all__ = ["CURRENT_MODEL", "Backend", "LoadedModel", "check_model", "load_model", "match_schema"]


def load_model(dirs: Sequence[Path]) -> LoadedModel:
    """The model(s) to serve, loaded once (the newest of a loop folder, or the folders given)."""
    return open_model(_some(dirs))


def check_model(paths: Sequence[str | Path]) -> list[Path]:
    """The model folders ``paths`` name (a loop folder: its newest), each checked without loading weights:
    one line for a path that is not there or not a model, before a port is taken or a weight read."""
    dirs = _some(resolve_dirs([Path(p) for p in paths]))
    model_version_of(dirs)
    return dirs


def _some(dirs: Sequence[Path]) -> Sequence[Path]:
    if not dirs:
        raise InputError(
            "no model folder to serve", hint="pass one or more MODEL_DIR (a folder `empathykit train` wrote)"
        )
    return dirs


def match_schema(label_config: str, schema: Schema | None = None) -> Schema:
    """The empathykit schema of a labeling config: the one given, or the registered one whose config it is."""
    if schema is not None:
        return schema
    if not label_config:
        raise SchemaError("no labeling config given")
    flat = " ".join(label_config.split())
    candidates = []
    for name in schema_names():
        try:
            candidates.append(get_schema(name))
        except SchemaError:
            continue
    for candidate in candidates:
        if " ".join(candidate.label_config().split()) == flat:
            return candidate
    for candidate in candidates:  # edited in the UI or built with options: the target's control and its labels
        target = candidate.field(candidate.target) if candidate.target else None
        if (
            target is not None
            and f'name="{target.name}"' in label_config
            and all(f'value="{label}"' in label_config for label in target.labels)
        ):
            return candidate
    raise SchemaError(
        "the project's labeling config is not one of empathykit's schemas "
        f"({', '.join(schema_names())}); push the project with `empathykit annotate push` "
        "or start the server with --schema NAME"
    )


class Backend:
    """The model behind one server, with what each call answers.

    ``check_every``: for a loop folder, seconds between looks for a newer model (0: never look);
    ``log``: where lines about the server's own work go (swaps, model failures); stderr by default."""

    def __init__(
        self,
        model_paths: Sequence[str | Path],
        *,
        schema: Schema | None = None,
        label_map: str | Mapping[str, str] | None = None,
        check_every: float = 2.0,
        batcher: Batcher | None = None,
        limits: Limits | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.paths = [Path(p) for p in model_paths]
        self.schema = schema
        self.label_map = label_map
        self.limits = limits or Limits()
        self.log = log or _to_stderr
        self.events: Counter = Counter()
        self.model = load_model(resolve_dirs(self.paths))
        self.batcher = batcher or Batcher()  # concurrent requests share model calls
        self.loop_dir = self.paths[0] if is_loop_folder(self.paths) else None
        self._follower = None
        if self.loop_dir is not None and check_every > 0:
            self._follower = Follower(
                self.loop_dir, lambda: self.model.version, self._swap, every=check_every, log=self.log
            ).start()

    def _swap(self, model: LoadedModel) -> None:
        self.model = model  # one assignment: a request holds the model it started with

    def close(self) -> None:
        """Stop following the loop folder."""
        if self._follower is not None:
            self._follower.stop()

    # -- the four calls ------------------------------------------------------------------
    def health(self, private: bool = True) -> dict[str, Any]:
        """The model in service; ``private``: also where it lives (not shown to callers without credentials)."""
        model = self.model
        answer = {"status": "UP", "model_class": "empathykit", "model_version": model.version, "family": model.family}
        if private:
            answer["model_dirs"] = [str(d) for d in model.dirs]
            if self.loop_dir is not None:
                answer["loop_dir"] = str(self.loop_dir)
        return answer

    def setup(self, label_config: str) -> dict[str, Any]:
        """``{"model_version"}``, or ``SchemaError`` for a project the model cannot fill."""
        model = self.model
        schema = match_schema(label_config, self.schema)
        self._check_serves(model, schema)
        return {"model_version": model.version}

    def predict(self, tasks: list[Any], label_config: str) -> dict[str, Any]:
        """One answer per task, in order: ``{"result", "score", "model_version"}``, or ``{"error"}`` for a
        task that cannot be read or that the model fails on (Label Studio stores the others and skips it)."""
        model = self.model  # a swap meanwhile answers the next request, never half of this one
        schema = match_schema(label_config, self.schema)
        names = self._check_serves(model, schema)
        inputs = model.inputs or list(schema.inputs)
        answers: list[dict[str, Any]] = []
        records, positions = [], []
        for position, task in enumerate(tasks):
            try:
                records.append(read_task(task, position, inputs, self.limits))
                positions.append(position)
                answers.append({})
            except InputError as error:
                answers.append({"error": str(error), "model_version": model.version})
        for position, outcome in zip(positions, self.batcher.predict(model, records), strict=True):
            answers[position] = self._answer(model, schema, names, task_label(tasks[position], position), outcome)
        return {"results": answers, "model_version": model.version}

    def _answer(
        self, model: LoadedModel, schema: Schema, names: dict[str, str], label: str, outcome: Any
    ) -> dict[str, Any]:
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            values = to_values(outcome, schema, names)
            return {
                "result": schema.to_results(values) if values else [],
                "score": outcome.get("prediction_score"),
                "model_version": model.version,
            }
        except Exception as error:
            reason = f"{type(error).__name__}: {str(error)[:200]}"
            self.log(f"serve: {label}: the model failed on it ({reason})")
            return {"error": f"{label}: the model could not read this task ({reason})", "model_version": model.version}

    def webhook(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Count Label Studio's events by action (annotation created/updated/...); nothing is trained here."""
        action = str(event.get("action") or "unknown")
        self.events[action] += 1
        return {"status": "ok", "action": action, "seen": self.events[action]}

    # -- schema checks ---------------------------------------------------------------------
    def _check_serves(self, model: LoadedModel, schema: Schema) -> dict[str, str]:
        """Model label -> schema label; ``SchemaError`` naming why the model cannot fill the schema."""
        if model.family == "epitome":
            if schema.name != "epitome":
                raise SchemaError(f"EPITOME models fill the 'epitome' schema, not {schema.name!r}")
            return {}
        if schema.target is None:
            raise SchemaError(f"schema {schema.name!r} has no target field for a model to predict")
        target = schema.field(schema.target)
        kind = model.kind
        if model.family == "circumplex":
            kind = "multichoice"  # it answers the nearest emotion as a list of one
        if kind != target.kind:
            raise SchemaError(
                f"model {model.version} predicts {kind} labels, but {schema.name!r}'s target "
                f"{target.name!r} is a {target.kind} field"
            )
        if kind == "rating":
            return {}

        try:
            return model_label_names(model.info, target, self.label_map)
        except InputError as error:
            raise SchemaError(f"model {model.version} cannot fill {schema.name!r}: {error}") from None


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
