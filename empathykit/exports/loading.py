"""``empathykit.exports.load``: an export folder as a ``DatasetDict`` with what
a trainer needs to know about it (the one reader of exports).

Every export (annotations or a ``DATASET:PATH`` import) has the layout::

    OUT/<config>/{train,validation,test}.parquet
    OUT/export.json   "tasks": per config kind, label_names, scale, inputs, schema, schema_options;
                      "card": source, license, citation, aggregation, counts
    OUT/README.md     the card (the Hub's YAML: configs with data_files)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empathykit.errors import ExportError, path_problem

SPLITS = ("train", "validation", "test")


@dataclass
class ExportedDataset:
    """One config of an export: the splits and the facts about its label."""

    dataset: Any  # datasets.DatasetDict: train / validation / test
    task: str  # the config name
    kind: str  # "choice" | "multichoice" | "rating"
    label_column: str = "label"
    label_names: list[str] | None = None
    scale: tuple[float, float] | None = None
    inputs: list[str] = field(default_factory=list)
    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """``export.json`` of an export folder, checked to describe its configs."""
    folder = Path(path)
    manifest = folder / "export.json"
    if problem := path_problem(folder, "an export folder (`empathykit export` writes one)", folder=True):
        raise ExportError(problem, hint="write one with `empathykit export`")
    if not manifest.exists():
        raise ExportError(f"{folder}: not an export folder (no export.json)", hint="write one with `empathykit export`")
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ExportError(f"{manifest}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(meta.get("tasks"), dict) or not meta["tasks"]:
        raise ExportError(
            f"{manifest}: lists no task configs (an export from an older empathykit?)",
            hint="export it again with this version of `empathykit export`",
        )
    return meta


def configs(path: str | Path) -> list[str]:
    """The config (task variant) names an export folder holds."""
    return list(read_manifest(path)["tasks"])


def load(path: str | Path, task: str | None = None) -> ExportedDataset:
    """Read config ``task`` of the export at ``path`` (the only config when ``None``)."""
    from datasets import DatasetDict, load_dataset

    folder = Path(path)
    meta = read_manifest(folder)
    tasks = meta["tasks"]
    if task is None:
        if len(tasks) > 1:
            raise ExportError(
                f"{folder}: holds several tasks ({', '.join(tasks)}); name one",
                hint=f"pass task= (--task) with one of: {', '.join(tasks)}",
            )
        task = next(iter(tasks))
    if task not in tasks:
        raise ExportError(
            f"{folder}: no task {task!r}; it has {', '.join(tasks)}", hint=f"pass one of: {', '.join(tasks)}"
        )
    facts = tasks[task]
    files = {s: str(folder / task / f"{s}.parquet") for s in SPLITS}
    missing = [f for f in files.values() if not Path(f).exists()]
    if missing:
        raise ExportError(
            f"{folder}: task {task!r} lacks {', '.join(Path(m).name for m in missing)}",
            hint="export it again; the folder is incomplete",
        )
    # load_dataset keeps the features stored in the Parquet metadata (ClassLabel names); it cannot read a
    # split without rows, which the writer stores without row groups: read those directly
    import pyarrow.parquet as pq
    from datasets import Dataset

    rows = {s: pq.ParquetFile(f).metadata.num_rows for s, f in files.items()}
    full = {s: f for s, f in files.items() if rows[s]}
    loaded = {
        **(load_dataset("parquet", data_files=full) if full else {}),
        **{s: Dataset(pq.read_table(f)) for s, f in files.items() if not rows[s]},
    }
    scale = facts.get("scale")
    return ExportedDataset(
        dataset=DatasetDict({s: loaded[s] for s in SPLITS}),
        task=task,
        kind=facts["kind"],
        label_names=facts.get("label_names"),
        scale=tuple(scale) if scale else None,
        inputs=list(facts.get("inputs") or []),
        schema=facts.get("schema"),
        schema_options=dict(facts.get("schema_options") or {}),
        card=dict(meta.get("card") or {}),
    )
