"""Export aggregated annotations as a Hugging Face ``DatasetDict``.

Output folder (written to a temporary folder and renamed into place whole)::

    OUT/
      ties.parquet         items whose target label tied (not in any split)
      <config>/<split>.parquet   one folder per task variant (exports.writer; read by exports.load)
      export.json          counts, seed, fractions, sources, tasks, card
      README.md            dataset card (the Hub's YAML block, then the body below)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from empathykit.errors import ExportError
from empathykit.exports.aggregate import aggregate, apply_method, attach_inputs
from empathykit.exports.annotation_configs import annotation_splits, group_columns, variant_configs, votes_by_field
from empathykit.exports.card import card_body, card_dict, gather_facts
from empathykit.exports.splits import SPLIT_NAMES, achieved_fractions, check_fractions
from empathykit.exports.writer import write_into
from empathykit.io import atomic_path, check_output
from empathykit.progress import Progress
from empathykit.progress import report as report_progress
from empathykit.schemas.base import Schema
from empathykit.schemas.variants import select, variants_for
from empathykit.table.annotations import (
    check_annotation_file,
    check_values,
    read_adjudications,
    read_annotations,
    read_items,
    schema_of,
)
from empathykit.table.columns import items_path as items_beside

#: Columns every export adds beside the schema's features.
EXTRA_FEATURES = {"n_annotators": "int32", "adjudicated": "bool"}


AGGREGATION_NAMES = {
    "majority": "majority vote, ties flagged (in ties.parquet)",
    "majority-drop": "majority vote, ties dropped",
    "dawid-skene": "Dawid-Skene (crowd-kit)",
    "mace": "MACE (crowd-kit)",
    "mean": "mean",
    "median": "median",
}


@dataclass
class ExportReport:
    out_dir: str
    schema: str
    seed: int
    schema_options: dict[str, Any]
    fractions: tuple[float, float, float]
    split_sizes: dict[str, int]
    label_counts: dict[str, dict[str, int]]
    items_annotated: int
    ties: int
    unlabelled: int
    adjudicated: int
    not_annotated: int = 0  # pushed items (in the items table) without any annotation: in no split
    sources: dict[str, str] = field(default_factory=dict)  # the paths as the caller gave them
    group_by: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fractions_achieved: list[float] = field(default_factory=list)  # each split's share of the items placed
    left_out: int = 0  # labelled items in no split (pairs whose two stories fell in different splits)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label_counts(labels: pd.Series, splits) -> dict[str, dict[str, int]]:
    return {
        name: {str(k): int(v) for k, v in labels[splits == name].value_counts().sort_index().items()}
        for name in SPLIT_NAMES
    }


def dehydrated_columns(schema: Schema) -> list[str]:
    """What ``--dehydrate`` leaves out: the inputs and free-text fields (spans keep only offsets)."""
    return [*schema.inputs, *schema.optional_inputs, *(f.name for f in schema.fields if f.kind == "text")]


def export_features(schema: Schema):
    from datasets import Value

    features = schema.features()
    for name, dtype in EXTRA_FEATURES.items():
        features[name] = Value(dtype)
    return features


def _encode_column(schema: Schema, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn label strings into class ids the ``Features`` expect."""
    out = frame.copy()
    for f in schema.fields:
        column = "label" if f.name == schema.target else f.name
        if f.name != column:
            out = out.rename(columns={f.name: column})
        if f.kind == "choice":
            out[column] = [f.labels.index(v) if isinstance(v, str) else -1 for v in out[column]]
        elif f.kind == "multichoice":
            out[column] = [
                [f.labels.index(v) for v in values] if isinstance(values, list) else [] for values in out[column]
            ]
        elif f.kind in ("text", "spans"):
            out[column] = [v if isinstance(v, list) else [] for v in out[column]]
    return out


def build_dataset_dict(schema: Schema, table: pd.DataFrame, splits, *, dehydrate: bool = False) -> Any:
    from datasets import Dataset, DatasetDict

    features = export_features(schema)
    if dehydrate:  # ids, labels, metadata: no inputs, no free text
        for name in dehydrated_columns(schema):
            features.pop(name, None)
    encoded = _encode_column(schema, table)
    for name in schema.optional_inputs:  # carried when the items have them (story summaries), else empty
        if name not in encoded:
            encoded[name] = ""
    encoded = encoded[list(features)]
    if dehydrate:  # span offsets and labels stay; the text they cover goes
        for f in schema.fields:
            if f.kind == "spans" and f.name in encoded:
                encoded[f.name] = [[{**span, "text": ""} for span in spans] for spans in encoded[f.name]]
    result = {}
    for name in SPLIT_NAMES:
        part = encoded[splits == name].reset_index(drop=True)
        result[name] = Dataset.from_pandas(part, features=features, preserve_index=False)
    return DatasetDict(result)


def export_dataset(
    annotations: str | Path,
    schema_name: str | None,
    out_dir: str | Path,
    *,
    items: str | Path | None = None,
    adjudicated: str | Path | None = None,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    schema_options: dict[str, Any] | None = None,
    on_progress: Progress | None = None,
    dehydrate: bool = False,
    method: str = "majority",
    tasks: list[str] | None = None,
    agreement: str | Path | None = None,
    collection: str | Path | None = None,
    license: str | None = None,
    group_by: str | None = None,
    spans: str = "majority",
) -> ExportReport:
    """Aggregate pulled annotations and write a ``DatasetDict`` to ``out_dir``.

    ``items`` is the table of pushed items (with ``item_id`` and the schema's
    inputs); by default the ``<annotations>.items.parquet`` that ``annotate pull``
    writes beside the annotations. ``schema_name`` None: the schema (and
    options) pull recorded in the annotations, ``schema_options`` overriding."""
    schema = schema_of(annotations, schema_name, schema_options)
    if schema.target is None:
        raise ExportError(f"schema {schema.name!r} has no target field to export as a labelled dataset")
    variants = select(variants_for(schema), tasks)  # a variant that does not apply stops here, before any work
    check_fractions(fractions)
    notify = partial(report_progress, on_progress)
    annotations, items_path = _input_paths(annotations, items, out_dir)
    facts = gather_facts(annotations, agreement=agreement, collection=collection, license=license)
    item_table, groups, tidy, adjudications = _read_inputs(
        annotations, items_path, schema, group_by, adjudicated, notify
    )
    notify("aggregating")
    table, ties, unlabelled, labelled = _aggregated(tidy, schema, adjudications, item_table, method, spans)
    target = schema.field(schema.target)
    strata = labelled[target.name] if target.kind == "choice" else pd.Series(["all"] * len(labelled))
    splits, warnings = annotation_splits(labelled, strata.to_numpy(), item_table, groups, fractions, seed)
    notify("building dataset")
    dataset = build_dataset_dict(schema, labelled, splits, dehydrate=dehydrate)
    if dehydrate:
        ties = ties.drop(columns=[c for c in dehydrated_columns(schema) if c in ties.columns])

    report = ExportReport(
        out_dir=str(out_dir),
        schema=schema.name,
        schema_options=dict(schema.options),
        seed=seed,
        fractions=tuple(fractions),
        split_sizes={name: len(dataset[name]) for name in SPLIT_NAMES},
        label_counts=_label_counts(labelled[target.name], splits) if target.kind == "choice" else {},
        items_annotated=len(table),
        ties=len(ties),
        unlabelled=len(unlabelled),
        adjudicated=int(labelled["adjudicated"].sum()),
        not_annotated=_not_annotated(item_table, tidy),
        sources={
            "annotations": str(annotations),
            "items": str(items or items_path),
            "adjudicated": str(adjudicated or ""),
        },
        group_by=list(groups),
        warnings=warnings,
        left_out=sum(s is None for s in splits.tolist()),
        fractions_achieved=[round(share, 4) for share in achieved_fractions(dict(enumerate(splits.tolist())))],
    )
    notify("writing")
    configs = variant_configs(schema, dataset, schema_options, variants, votes_by_field(tidy, schema))
    _write(out_dir, ties, configs, report, schema, facts, AGGREGATION_NAMES.get(method, method))
    return report


def _read_inputs(
    annotations: Path,
    items_path: Path,
    schema: Schema,
    group_by: str | None,
    adjudicated: str | Path | None,
    notify: Callable[[str], None],
):
    """The items, grouping columns, checked annotations and adjudications; every one of them checked before
    any aggregation (a grouping column that does not exist stops here)."""
    item_table = read_items(items_path, error=ExportError)
    groups = group_columns(schema, item_table, group_by)
    notify("reading annotations")
    tidy = read_annotations(annotations, error=ExportError)
    check_values(tidy, schema, error=ExportError)
    return item_table, groups, tidy, read_adjudications(adjudicated) if adjudicated else None


def _write(
    out_dir: str | Path, ties: pd.DataFrame, configs, report: ExportReport, schema: Schema, facts, aggregation: str
) -> None:
    """The whole export folder, renamed into place at once."""
    with atomic_path(out_dir, output="export", label="export folder") as tmp:
        tmp.mkdir()
        ties.drop(columns=[c for c in ties.columns if c.endswith("_adjudicated")]).to_parquet(
            tmp / "ties.parquet", index=False
        )
        write_into(
            tmp,
            configs,
            meta=_portable(report),
            body=card_body(report, schema, facts, aggregation),
            card=card_dict(schema, facts, aggregation),
        )


def _input_paths(annotations: str | Path, items: str | Path | None, out_dir: str | Path) -> tuple[Path, Path]:
    """The annotations and items files, checked (with the output) before any work."""
    annotations = Path(annotations)
    # before the items check, so the error names the file the user passed, not one beside it
    check_annotation_file(annotations, error=ExportError)
    check_output(out_dir, "dir", output="export", label="export folder")
    items_path = Path(items) if items else items_beside(annotations)
    if not items_path.exists():
        raise ExportError(
            f"{items_path}: no items table",
            hint="pass the pushed items file with --items (a Parquet/CSV/JSONL with item_id and the inputs)",
        )
    return annotations, items_path


def _aggregated(
    tidy: pd.DataFrame,
    schema: Schema,
    adjudications: pd.DataFrame | None,
    item_table: pd.DataFrame,
    method: str,
    spans: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(every item, ties, unlabelled, labelled)`` after aggregation; refused when nothing is labelled."""
    aggregated = apply_method(aggregate(tidy, schema, adjudications, spans=spans), tidy, schema, method)
    table = attach_inputs(aggregated, item_table, schema)
    target = schema.field(schema.target)
    table["adjudicated"] = table[f"{target.name}_adjudicated"].astype(bool)
    tie_column = f"{target.name}_tie"
    ties = table[table[tie_column]] if tie_column in table else table.iloc[:0]
    unlabelled = table[table[target.name].isna() & ~table.index.isin(ties.index)]
    labelled = table.drop(index=ties.index.union(unlabelled.index)).reset_index(drop=True)
    if labelled.empty:
        raise ExportError(
            "no item has a label to export (every item tied or was left unannotated)",
            hint="adjudicate ties with `empathykit agreement disagreements --push`",
        )
    return table, ties, unlabelled, labelled


def _not_annotated(items: pd.DataFrame, tidy: pd.DataFrame) -> int:
    pushed = pd.unique(items["item_id"].astype(str).to_numpy(object))
    annotated = pd.unique(tidy["item_id"].astype(str).to_numpy(object))
    return int(len(pushed) - (pd.Index(annotated).get_indexer(pushed) >= 0).sum())


def _portable(report: ExportReport) -> dict[str, Any]:
    """export.json: the sources as the caller gave them (what they typed, relative or not, so a
    re-run from the same folder finds them), never a path this code resolved; the output is "."."""
    return report.to_dict()
