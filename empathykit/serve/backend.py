"""The model side of ``empathykit serve``: trained model folders answering Label Studio's ML backend calls.

Label Studio (1.23) calls ``GET /health``, ``POST /setup`` with the project's labeling config
(``schema``), ``POST /predict`` with ``{"tasks", "label_config", "project", "params"}`` and
``POST /webhook`` with annotation events. This module holds everything but the HTTP: it loads
the models once, matches a labeling config to an empathykit schema and checks that the models
can fill it, and turns ``predict_records`` rows into the project's result format (the one
``annotate predict`` + ``push --predictions-column`` writes: ``schema.to_results``).

A folder written by ``empathykit loop`` (it holds :data:`CURRENT_MODEL`) serves the newest
model the loop wrote: the folder is re-read every few seconds and a new model version is
loaded beside the old one, then swapped in, so no request waits on or loses a model.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

from empathykit.errors import InputError, SchemaError
from empathykit.predict.models import CURRENT_MODEL, LoadedModel, folders_version, open_model, resolve_dirs
from empathykit.predict.values import model_label_names, to_values
from empathykit.schemas import get_schema, schema_names
from empathykit.schemas.base import Schema
from empathykit.serve.batching import Batcher

__all__ = ["CURRENT_MODEL", "Backend", "LoadedModel", "load_model", "match_schema"]


def load_model(dirs: Sequence[Path]) -> LoadedModel:
    """The model(s) to serve, loaded once (the newest of a loop folder, or the folders given)."""
    if not dirs:
        raise InputError("no model folder to serve", hint="pass one or more MODEL_DIR (a folder `empathykit train` wrote)")
    return open_model(dirs)


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
        if target is not None and f'name="{target.name}"' in label_config and all(
                f'value="{label}"' in label_config for label in target.labels):
            return candidate
    raise SchemaError("the project's labeling config is not one of empathykit's schemas "
                      f"({', '.join(schema_names())}); push the project with `empathykit annotate push` "
                      "or start the server with --schema NAME")


class Backend:
    """The models behind one server, with what each call answers."""

    def __init__(self, model_paths: Sequence[str | Path], *, schema: Schema | None = None,
                 label_map: str | Mapping[str, str] | None = None, check_every: float = 2.0,
                 batcher: Batcher | None = None):
        self.paths = [Path(p) for p in model_paths]
        self.schema = schema
        self.label_map = label_map
        self.check_every = check_every
        self.events: Counter = Counter()
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self.model = load_model(resolve_dirs(self.paths))
        self.batcher = batcher or Batcher()  # concurrent requests share model calls

    # -- the model in service ----------------------------------------------------------
    def current(self) -> LoadedModel:
        """The model to answer with; a newer version a loop wrote is loaded (once) and swapped in."""
        if time.monotonic() - self._checked < self.check_every or not self._lock.acquire(blocking=False):
            return self.model
        try:
            self._checked = time.monotonic()

            dirs = resolve_dirs(self.paths)
            if all(d.is_dir() for d in dirs) and folders_version(dirs) != self.model.version:
                self.model = load_model(dirs)
        finally:
            self._lock.release()
        return self.model

    # -- the four calls ------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        model = self.model
        return {"status": "UP", "model_class": "empathykit", "model_version": model.version,
                "family": model.family, "model_dirs": [str(d) for d in model.dirs]}

    def setup(self, label_config: str) -> dict[str, Any]:
        """``{"model_version"}``, or ``SchemaError`` for a project the model cannot fill."""
        model = self.current()
        schema = match_schema(label_config, self.schema)
        self._check_serves(model, schema)
        return {"model_version": model.version}

    def predict(self, tasks: list[dict[str, Any]], label_config: str) -> dict[str, Any]:
        """One answer per task, in order: ``{"result", "score", "model_version"}``, or ``{"error"}`` for a
        task the model cannot read (Label Studio stores the others and skips it)."""
        model = self.current()
        schema = match_schema(label_config, self.schema)
        names = self._check_serves(model, schema)
        inputs = model.inputs or list(schema.inputs)
        good, answers = [], []
        for task in tasks:
            data = task.get("data") if isinstance(task, Mapping) else None
            missing = [c for c in inputs if not isinstance((data or {}).get(c), str) or not data[c].strip()]
            if missing:
                answers.append({"error": f"task {task.get('id') if isinstance(task, Mapping) else task!r}: "
                                         f"no text in {missing} (schema {schema.name!r} needs {inputs})",
                                "model_version": model.version})
            else:
                good.append((len(answers), dict(data)))
                answers.append({})
        rows = self.batcher.predict(model, [record for _, record in good]) if good else []
        for (position, _), row in zip(good, rows, strict=True):
            values = to_values(row, schema, names)
            answers[position] = {"result": schema.to_results(values) if values else [],
                                 "score": row.get("prediction_score"), "model_version": model.version}
        return {"results": answers, "model_version": model.version}

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
            raise SchemaError(f"model {model.version} predicts {kind} labels, but {schema.name!r}'s target "
                              f"{target.name!r} is a {target.kind} field")
        if kind == "rating":
            return {}

        try:
            return model_label_names(model.info, target, self.label_map)
        except InputError as error:
            raise SchemaError(f"model {model.version} cannot fill {schema.name!r}: {error}") from None
