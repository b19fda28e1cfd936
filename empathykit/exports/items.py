"""The items table: one row per pushed item, ``item_id`` plus its inputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from empathykit.errors import ExportError


def read_items(path: str | Path) -> pd.DataFrame:
    """Read an items table from Parquet, CSV or JSON Lines (by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    readers = {".parquet": pd.read_parquet, ".csv": pd.read_csv,
               ".jsonl": lambda p: pd.read_json(p, lines=True), ".ndjson": lambda p: pd.read_json(p, lines=True)}
    if suffix not in readers:
        raise ExportError(f"{path}: unsupported items file type {suffix!r}; expected one of {sorted(readers)}")
    frame = readers[suffix](path)
    if "item_id" not in frame.columns:
        raise ExportError(f"{path}: items need an 'item_id' column (columns: {list(frame.columns)})")
    return frame.assign(item_id=frame["item_id"].astype(str))
