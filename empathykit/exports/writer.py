"""The one writer of export folders (annotation exports and ``DATASET:PATH`` imports).

API::

    ExportConfig(name, kind, inputs, splits, label_names=None, scale=None,
                 schema=None, schema_options={}, description="")
        # splits: {"train"|"validation"|"test": datasets.Dataset}, the label column is "label"
    write_export(out_dir, configs, *, card=dict, meta=dict, body="") -> list[str]

``card`` holds the facts the card states and ``load`` returns (``pretty_name``,
``license``, ``language``, ``task_categories``, ``source``, ``citation``,
``aggregation``, ...); ``meta`` anything else for ``export.json`` (counts,
seed, fractions; relative paths only: the folder travels); ``body`` is
Markdown after the generated split table. Layout, written atomically::

    OUT/<config>/{train,validation,test}.parquet   (features in the Parquet metadata)
    OUT/README.md      card: the YAML block the Hub reads (configs with data_files, dataset_info)
    OUT/export.json    meta + tasks (per config: kind, label_names, scale, inputs, schema, schema_options) + card

Nothing in the output carries a timestamp, so the same input gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empathykit.io import atomic_path, check_output

SPLITS = ("train", "validation", "test")


@dataclass
class ExportConfig:
    name: str
    kind: str
    inputs: list[str]
    splits: dict[str, Any]
    label_names: list[str] | None = None
    scale: tuple[float, float] | None = None
    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def facts(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label_names": self.label_names,
            "scale": list(self.scale) if self.scale else None,
            "inputs": list(self.inputs),
            "schema": self.schema,
            "schema_options": self.schema_options,
            "description": self.description,
        }


def card_header(
    configs: list[ExportConfig], card: dict[str, Any], sizes: dict[tuple[str, str], tuple[int, int]] | None = None
) -> dict[str, Any]:
    """The YAML block. ``sizes`` (Arrow bytes, Parquet bytes) per (config, split), as written: the Hub's
    ``dataset_info`` spec wants ``num_bytes`` beside ``num_examples`` in every split (``load_dataset``
    otherwise warns that the field is malformed and ignores it) and the totals per config."""
    header = {key: card[key] for key in ("pretty_name", "license") if card.get(key)}
    header["language"] = card.get("language") or ["en"]
    header["task_categories"] = list(card.get("task_categories") or ["text-classification"])
    # an empty split is left out of the card: the Hub's Parquet loader cannot read a file without rows
    header["configs"] = [
        {
            "config_name": c.name,
            "data_files": [{"split": s, "path": f"{c.name}/{s}.parquet"} for s in SPLITS if len(c.splits[s])],
        }
        for c in configs
    ]
    header["dataset_info"] = [_dataset_info(c, sizes or {}) for c in configs]
    return header


def _dataset_info(config: ExportConfig, sizes: dict[tuple[str, str], tuple[int, int]]) -> dict[str, Any]:
    written = [s for s in SPLITS if len(config.splits[s])]
    arrow = {s: sizes.get((config.name, s), (0, 0))[0] for s in written}
    return {
        "config_name": config.name,
        "features": config.splits["train"].features._to_yaml_list(),
        "splits": [{"name": s, "num_bytes": arrow[s], "num_examples": len(config.splits[s])} for s in written],
        "download_size": sum(sizes.get((config.name, s), (0, 0))[1] for s in written),
        "dataset_size": sum(arrow.values()),
    }


def render_card(
    configs: list[ExportConfig],
    card: dict[str, Any],
    body: str = "",
    sizes: dict[tuple[str, str], tuple[int, int]] | None = None,
) -> str:
    import yaml

    header = yaml.safe_dump(card_header(configs, card, sizes), sort_keys=False, allow_unicode=True).rstrip()
    title = card.get("pretty_name") or "empathykit export"
    lines = ["---", header, "---", "", f"# {title}", ""]
    if card.get("source"):
        lines += [f"Source: {card['source']}.", ""]
    if card.get("aggregation"):
        lines += [f"Aggregation: {card['aggregation']}.", ""]
    lines += ["| config | description | train | validation | test |", "| --- | --- | ---: | ---: | ---: |"]
    lines += [
        f"| `{c.name}` | {c.description} | " + " | ".join(str(len(c.splits[s])) for s in SPLITS) + " |" for c in configs
    ]
    lines += ["", body.strip(), ""] if body.strip() else [""]
    if card.get("citation"):
        lines += ["## Citation", "", "```", str(card["citation"]).strip(), "```", ""]
    return "\n".join(lines)


def write_export(
    out_dir: str | Path,
    configs: list[ExportConfig],
    *,
    card: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    body: str = "",
) -> list[str]:
    """Write ``configs`` to ``out_dir`` (layout in the module doc); returns the Parquet paths, relative."""
    check_output(out_dir, "dir", output="export", label="export folder")
    with atomic_path(out_dir, output="export", label="export folder") as tmp:
        tmp.mkdir()
        return write_into(tmp, configs, card=card, meta=meta, body=body)


def write_into(
    folder: Path,
    configs: list[ExportConfig],
    *,
    card: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    body: str = "",
) -> list[str]:
    """The layout into an existing (temporary) folder, for callers that add files of their own."""
    import pyarrow.parquet as pq

    card = dict(card or {})
    files = [f"{c.name}/{s}.parquet" for c in configs for s in SPLITS]
    document = {
        **(meta or {}),
        "out_dir": ".",
        "files": files,
        "configs": {c.name: {s: len(c.splits[s]) for s in SPLITS} for c in configs},
        "tasks": {c.name: c.facts() for c in configs},
        "card": card,
    }
    sizes = {}
    for config in configs:
        (folder / config.name).mkdir()
        for split in SPLITS:
            data = config.splits[split]
            # flatten_indices copies even a dataset without an indices mapping: only flatten one that has it
            table = (data.flatten_indices() if data._indices is not None else data).data.table
            path = folder / config.name / f"{split}.parquet"
            if table.num_rows:
                pq.write_table(table, path)
            else:  # no row group at all: `datasets` cannot read an empty one (batch size 0)
                pq.ParquetWriter(path, table.schema).close()
            sizes[config.name, split] = (table.nbytes, path.stat().st_size)
    (folder / "export.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    (folder / "README.md").write_text(render_card(configs, card, body, sizes), encoding="utf-8")
    return files
