"""The items table: one row per pushed item, ``item_id`` plus its inputs.

Read by ``empathykit.annotate.table.read_items`` (the annotations table's
owner), re-exported here for export code."""

from __future__ import annotations

from empathykit.annotate.table import read_items

__all__ = ["read_items"]
