"""Unlabelled text for masked-LM pretraining: ``read_corpus(DATA, column=...) -> TextCorpus``.

``DATA`` is any of:

- a Parquet file, or a folder of Parquet parts (what ``collect`` and ``filter`` write);
- a JSONL / JSON, CSV / TSV file (one row per text), or a ``.txt`` file (one text per line);
- an export folder or a ``DATASET:PATH`` import: the texts of its inputs, every split, labels dropped.

The column is ``text`` for files (``--set text_column=NAME`` picks another) and the task's inputs
for exports and imports (``text_column`` picks one of them, e.g. ``seeker_post`` of EPITOME).
An empty source, a column that does not hold text and a missing column are one-line errors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError
from empathykit.releases.registry import is_import_spec
from empathykit.textfiles import text_encoding
from empathykit.train.data import load_training_data

SUFFIXES = (".parquet", ".jsonl", ".json", ".csv", ".tsv", ".txt")


@dataclass
class TextCorpus:
    """Texts to pretrain on and where they came from (``describe`` goes to config.yaml and the card)."""

    texts: list[str]
    source: str
    columns: list[str]
    rows: int
    task: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "task": self.task,
            "kind": "text",
            "inputs": list(self.columns),
            "label_names": None,
            "scale": None,
            "rows": self.rows,
            "texts": len(self.texts),
        }


def read_corpus(
    data: str | Path, *, task: str | None = None, column: str = "", max_texts: int = 0, seed: int = 0
) -> TextCorpus:
    """The non-blank texts of ``data`` (a seeded sample of ``max_texts`` when set)."""

    spec = str(data)
    path = Path(spec)
    if is_import_spec(spec) or (path.is_dir() and (path / "export.json").is_file()):
        values, columns, task = _from_export(spec, task, column)
    elif path.is_dir():
        values, columns = _from_parquet(path, column or "text"), [column or "text"]
    elif path.is_file():
        values, columns = _from_file(path, column or "text"), [column or "text"]
    else:
        raise InputError(
            f"{spec}: no such file or folder",
            hint="give a Parquet/JSONL/CSV/TXT file, a folder of Parquet parts, an export folder or DATASET:PATH",
        )
    _check_text(values, spec, columns)
    # each text once: a post answered several times (EPITOME's seekers) would otherwise be learnt by heart
    texts = list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))
    if not texts:
        raise InputError(f"{spec}: no text to pretrain on ({len(values)} row(s), all empty in {columns})")
    if max_texts and len(texts) > max_texts:
        texts = random.Random(seed).sample(texts, max_texts)
    return TextCorpus(texts=texts, source=spec, columns=columns, rows=len(values), task=task)


def _check_text(values: Sequence[Any], source: str, columns: Sequence[str]) -> None:
    wrong = next((v for v in values if v is not None and not isinstance(v, str)), None)
    if wrong is not None:
        raise InputError(
            f"{source}: column(s) {list(columns)} hold {type(wrong).__name__} values, not text",
            hint="pick the text column with --set text_column=NAME",
        )


def _missing(source: str, column: str, present: Sequence[str]) -> InputError:
    return InputError(
        f"{source}: no column {column!r}; it has {', '.join(map(str, present))}",
        hint="pick the text column with --set text_column=NAME",
    )


def _from_export(spec: str, task: str | None, column: str) -> tuple[list[Any], list[str], str]:

    data = load_training_data(spec, task)
    first = next(iter(data.dataset.values()))
    columns = [column] if column else list(data.inputs)
    for name in columns:
        if name not in first.column_names:
            raise _missing(spec, name, first.column_names)
    values = [v for split in data.dataset.values() for name in columns for v in split[name]]
    return values, columns, data.task


def _from_parquet(folder_or_file: Path, column: str) -> list[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = (
        [folder_or_file]
        if folder_or_file.is_file()
        else sorted(p for p in folder_or_file.rglob("*.parquet") if not any(part.startswith(".") for part in p.parts))
    )
    if not files:
        raise InputError(
            f"{folder_or_file}: a folder without Parquet files, export.json or text files",
            hint="give the Parquet output of collect/filter, an export folder or a text file",
        )
    values: list[Any] = []
    for file in files:
        try:
            schema = pq.read_schema(file)
        except (pa.ArrowInvalid, OSError) as error:
            raise InputError(f"{file}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
        if column not in schema.names:
            raise _missing(str(file), column, schema.names)
        values += pq.read_table(file, columns=[column]).column(0).to_pylist()
    return values


def _from_file(path: Path, column: str) -> list[Any]:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{path}: cannot read {suffix or 'a file without suffix'} as text",
            hint=f"give one of {', '.join(SUFFIXES)}, a folder of Parquet parts or DATASET:PATH",
        )
    if suffix == ".parquet":
        return _from_parquet(path, column)
    encoding = text_encoding(path, expected="text file" if suffix == ".txt" else f"{suffix[1:].upper()} file")
    if suffix == ".txt":
        return path.read_text(encoding=encoding).splitlines()
    try:
        if suffix in (".csv", ".tsv"):
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding=encoding, keep_default_na=False)
        else:
            frame = pd.read_json(path, lines=suffix == ".jsonl", encoding=encoding)
    except (ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{path}: not a readable {suffix[1:].upper()} file ({str(error).splitlines()[0]})") from None
    if frame.empty and not len(frame.columns):
        return []
    if column not in frame.columns:
        raise _missing(str(path), column, [str(c) for c in frame.columns])
    return [v.item() if hasattr(v, "item") else v for v in frame[column].tolist()]
