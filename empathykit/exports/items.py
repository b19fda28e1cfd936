"""The items table: one row per pushed item, ``item_id`` plus its inputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from empathykit.annotate.records import read_records
from empathykit.errors import ExportError


def read_items(path: str | Path) -> pd.DataFrame:
    """Read an items table (Parquet, CSV, JSON Lines or a JSON list; by suffix)."""
    frame = pd.DataFrame(read_records(path, string_columns=["item_id"]))
    if "item_id" not in frame.columns:
        raise ExportError(f"{path}: items need an 'item_id' column (columns: {list(frame.columns)})")
    return frame.assign(item_id=frame["item_id"].astype(str))
