"""Predictions, one path for ``empathykit predict`` and ``annotate predict``.

``predict_records`` runs a :class:`~empathykit.predict.models.LoadedModel` over
records; ``predict_file`` writes a family's own output columns for any file
push reads (``empathykit predict``, streamed: :mod:`empathykit.predict.corpus`); ``predict`` and ``predict_lexicon``
write pre-annotations of a schema's target (``annotate predict``). All of them
return a :class:`PredictReport` and write Parquet atomically.

``annotate predict``: pre-annotations for ``annotate push`` from a model or the lexicon.

Both producers read items (CSV/JSONL/Parquet), add a ``prediction`` column
(a value of the schema's target: a label for a ``choice`` target, a list of
labels for a ``multichoice`` one; null where there is none) and, for a model,
``prediction_score``, and write the items as Parquet, atomically. The report's
``model_version`` is what ``push --model-version`` should record:

- a model folder written by ``empathykit train`` (has ``config.yaml``): run by
  the trainer's one loader, :func:`predict_records`, so the
  predictions equal ``empathykit predict``'s; its label names are matched to
  the target's as below. Version: ``empathykit.train.folder.model_version``.
- a model: a local Hugging Face sequence-classification folder (never
  downloaded); its ``id2label`` is matched to the target's labels by name
  (case-insensitive) or through ``label_map``; ``choice``: softmax argmax,
  score = its probability; ``multichoice`` (a multi-label model): sigmoid,
  labels at or above ``threshold`` (none: no prediction), score = mean over
  the model's labels of the probability of the decision taken. Version: folder name + config hash.
- the lexicon: rules ``<score column><op><number>:<label>`` over the
  :func:`empathykit.lexicons.score_texts` columns; a ``choice`` target takes
  the first rule that holds, a ``multichoice`` one every label whose rule
  holds. Version: ``lexicon:<name>:<rules hash>``.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from empathykit.errors import InputError, SchemaError
from empathykit.io import check_output, write_parquet
from empathykit.lexicons import SCORE_COLUMNS, Lexicon, resolve_lexicon, score_texts
from empathykit.predict.corpus import CorpusReport, predict_corpus
from empathykit.predict.models import LoadedModel, open_model
from empathykit.predict.runners import require_torch
from empathykit.predict.values import map_labels, model_label_names
from empathykit.progress import Progress
from empathykit.records import read_records
from empathykit.schemas import get_schema
from empathykit.schemas.base import Field, Schema
from empathykit.train.folder import read_labels

PREDICTION_COLUMN = "prediction"
SCORE_COLUMN = "prediction_score"
SUPPORTED_KINDS = ("choice", "multichoice")
_RULE = re.compile(
    r"^\s*(?P<column>\w+)\s*(?P<op><=|>=|<|>)\s*(?P<number>[-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*:\s*(?P<label>.+?)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass
class PredictReport:
    """What a prediction run wrote; ``labels``: how often each label was predicted."""

    out: Path
    items: int
    predicted: int
    model_version: str
    target: str | None  # the schema field predicted; None: the model's own outputs
    score_column: str | None
    labels: dict[str, int] = field(default_factory=dict)


def predict_records(
    model_dir: str | Path | LoadedModel, records: list[dict[str, Any]], on_progress: Progress | None = None
) -> list[dict[str, Any]]:
    """``[{"prediction", "prediction_score", ...}]`` for ``records`` (a folder is opened for this call)."""
    model = model_dir if isinstance(model_dir, LoadedModel) else open_model(model_dir)
    return model.predict(records, on_progress=on_progress)


def predict_file(
    model_dir: str | Path,
    input_path: str | Path,
    out_path: str | Path,
    *,
    model_version: str | None = None,
    on_progress: Progress | None = None,
) -> CorpusReport:
    """Predictions for any file push reads, written as Parquet with ``prediction`` and ``prediction_score``
    (the columns ``annotate push --predictions-column prediction`` takes), streamed and resumable:
    :func:`empathykit.predict.corpus.predict_corpus` with its default settings."""
    return predict_corpus(model_dir, input_path, out_path, model_version=model_version, on_progress=on_progress)


def predict(
    items_path: str | Path,
    out_path: str | Path,
    *,
    schema: str | Schema,
    model: str | Path,
    batch_size: int = 32,
    text_field: str | None = None,
    label_map: str | Mapping[str, str] | None = None,
    threshold: float = 0.5,
    model_version: str | None = None,
    on_progress: Progress | None = None,
) -> PredictReport:
    """Run the sequence-classification model in folder ``model`` over the items.

    ``label_map``: model label (or id) → schema label, a mapping or
    ``"LABEL_0=none,LABEL_1=seeking"``. ``on_progress``: items predicted of the total.
    Raises ``InputError`` for unreadable input or unmapped model labels,
    ``SchemaError`` for a target that is neither choice nor multichoice,
    ``EmpathykitError`` when torch is missing."""
    schema = get_schema(schema) if isinstance(schema, str) else schema
    target = _target(schema)
    if batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {batch_size}")
    if not 0.0 < threshold < 1.0:
        raise InputError(f"threshold must be between 0 and 1, got {threshold}")
    folder = Path(model)
    if (folder / "config.yaml").is_file():  # written by `empathykit train`: the trainer's one loader
        _check_out(out_path)
        return _predict_trained(folder, items_path, out_path, target, label_map, model_version, on_progress)
    if not (folder / "config.json").is_file():
        raise InputError(
            f"{folder}: not a Hugging Face model folder (no config.json)",
            hint="pass the folder written by save_pretrained / the trainer",
        )
    _check_out(out_path)
    records, texts = _read(items_path, schema, text_field)
    loaded = open_model(folder, inputs=["text"], threshold=threshold)
    names = map_labels(dict(enumerate(loaded.label_names or [])), target, label_map)
    multi = loaded.kind == "multichoice"
    if multi != (target.kind == "multichoice"):
        raise SchemaError(
            f"model {folder.name!r} is {'multi-label' if multi else 'single-label'} but target "
            f"{target.name!r} is {target.kind}; a choice target needs a single-label model, "
            "a multichoice target a multi-label one (config problem_type)"
        )
    rows = loaded.run([{"text": t or ""} for t in texts], batch_size=batch_size, on_progress=on_progress).rows
    to_schema = {label: names[i] for i, label in enumerate(loaded.label_names or [])}
    predictions = [_to_schema(row.get("prediction"), to_schema, target) for row in rows]
    scores = [row.get("prediction_score") for row in rows]
    return _write(out_path, records, predictions, scores, model_version or loaded.version, target)


def _to_schema(value: Any, to_schema: Mapping[str, str], target: Field) -> Any:
    """A model's prediction in the target's labels (a list sorted in the target's order; empty: None)."""
    if isinstance(value, list):
        return sorted({to_schema.get(v, v) for v in value}, key=target.labels.index) or None
    return to_schema.get(value, value) if isinstance(value, str) else value


def _predict_trained(
    folder: Path,
    items_path: str | Path,
    out_path: str | Path,
    target: Field,
    label_map: str | Mapping[str, str] | None,
    model_version: str | None,
    on_progress: Progress | None,
) -> PredictReport:
    """A trainer model folder through :func:`predict_records` (what ``empathykit predict``
    runs); its label names are mapped onto the target's like a plain folder's ``id2label``."""
    require_torch()
    info = read_labels(folder)
    kind = info.get("kind")
    if kind != target.kind:
        raise SchemaError(
            f"model {folder.name!r} predicts {kind} labels but target {target.name!r} is {target.kind}; "
            "train the model on a task of the same kind"
        )
    to_schema = model_label_names(info, target, label_map)
    records = read_records(items_path, string_columns=("item_id", "id"))
    model = open_model(folder)
    rows = model.predict(records, on_progress=on_progress)
    predictions = [_to_schema(row.get("prediction"), to_schema, target) for row in rows]
    scores = [row.get("prediction_score") for row in rows]
    return _write(out_path, records, predictions, scores, model_version or model.version, target)


def predict_lexicon(
    items_path: str | Path,
    out_path: str | Path,
    *,
    schema: str | Schema,
    rules: Sequence[str],
    lexicon: Any = None,
    text_field: str | None = None,
    model_version: str | None = None,
) -> PredictReport:
    """Predict the target from lexicon scores by ``rules`` (see the module docstring).

    ``lexicon``: a :class:`~empathykit.lexicons.Lexicon`, a lexicon file, or
    None for the bundled list. Items no rule covers (or without a score) get
    no prediction."""
    import pyarrow as pa

    schema = get_schema(schema) if isinstance(schema, str) else schema
    target = _target(schema)
    parsed = [_parse_rule(rule, target, SCORE_COLUMNS) for rule in rules]
    if not parsed:
        raise InputError("no lexicon rules given (expected e.g. 'empathy_score<4.5:none')")
    if not isinstance(lexicon, Lexicon):
        lexicon = resolve_lexicon(lexicon)
    _check_out(out_path)
    records, texts = _read(items_path, schema, text_field)
    scored = score_texts(pa.array(texts, pa.string()), lexicon).to_pydict()
    predictions: list[Any] = []
    for row in range(len(records)):
        labels = [
            label
            for column, op, number, label in parsed
            if scored[column][row] is not None and _OPS[op](scored[column][row], number)
        ]
        if target.kind == "choice":
            predictions.append(labels[0] if labels else None)
        else:
            predictions.append(sorted(set(labels), key=target.labels.index) if labels else None)
    digest = hashlib.sha256("\n".join(r.strip() for r in rules).encode("utf-8")).hexdigest()[:8]
    version = model_version or f"lexicon:{lexicon.name}:{digest}"
    return _write(out_path, records, predictions, None, version, target)


def _target(schema: Schema) -> Field:
    if schema.target is None:
        raise SchemaError(f"schema {schema.name!r} has no target field to predict")
    target = schema.field(schema.target)
    if target.kind not in SUPPORTED_KINDS:
        raise SchemaError(
            f"schema {schema.name!r}: target {target.name!r} is a {target.kind} field; predictions "
            f"support {' and '.join(SUPPORTED_KINDS)} targets"
        )
    return target


def _check_out(out_path: str | Path) -> None:
    if Path(out_path).suffix.lower() != ".parquet":
        raise InputError(f"{out_path}: predictions are written as Parquet; expected a .parquet file name")
    check_output(out_path, "file", output="predictions")


def _read(
    items_path: str | Path, schema: Schema, text_field: str | None
) -> tuple[list[dict[str, Any]], list[str | None]]:
    if text_field is None:
        if len(schema.inputs) != 1:
            raise InputError(
                f"schema {schema.name!r} has inputs {list(schema.inputs)}; say which one to predict from (--text-field)"
            )
        text_field = schema.inputs[0]
    records = read_records(items_path, string_columns=("item_id", "id"))
    if not any(text_field in r for r in records):
        raise InputError(f"{items_path}: no column {text_field!r} (the text to predict from)")
    texts = [
        r.get(text_field) if isinstance(r.get(text_field), str) and r[text_field].strip() else None for r in records
    ]
    return records, texts


def _parse_rule(rule: str, target: Field, columns: Sequence[str]) -> tuple[str, str, float, str]:
    match = _RULE.match(rule)
    if match is None:
        raise InputError(f"lexicon rule {rule!r}: expected COLUMN<OP>NUMBER:LABEL, e.g. 'empathy_score<4.5:none'")
    column, op, number, label = match["column"], match["op"], float(match["number"]), match["label"]
    if column not in columns:
        raise InputError(f"lexicon rule {rule!r}: unknown score column {column!r}; expected one of {list(columns)}")
    if label not in target.labels:
        raise InputError(
            f"lexicon rule {rule!r}: {label!r} is not a label of {target.name!r}; expected one of {list(target.labels)}"
        )
    return column, op, number, label


def _write(
    out_path: str | Path,
    records: list[dict[str, Any]],
    predictions: list[Any],
    scores: list[float | None] | None,
    version: str,
    target: Field,
) -> PredictReport:
    import pyarrow as pa

    table = pa.Table.from_pylist(
        [{k: v for k, v in r.items() if k not in (PREDICTION_COLUMN, SCORE_COLUMN)} for r in records]
    )
    kind = pa.string() if target.kind == "choice" else pa.list_(pa.string())
    table = table.append_column(PREDICTION_COLUMN, pa.array(predictions, kind))
    if scores is not None:
        table = table.append_column(
            SCORE_COLUMN, pa.array([None if s is None or math.isnan(s) else s for s in scores], pa.float64())
        )
    write_parquet(out_path, table, output="predictions")
    counts: dict[str, int] = {}
    for value in predictions:
        for label in [value] if isinstance(value, str) else value or []:
            counts[label] = counts.get(label, 0) + 1
    return PredictReport(
        out=Path(out_path),
        items=len(records),
        predicted=sum(1 for p in predictions if p is not None),
        model_version=version,
        target=target.name,
        score_column=SCORE_COLUMN if scores is not None else None,
        labels=dict(sorted(counts.items(), key=lambda kv: target.labels.index(kv[0]))),
    )
