"""Incremental pulls (``--since-last``): the checkpoint file, the two counts that say nothing
changed since it, the annotations new, updated or removed, and the changed tasks' rows merged
into the earlier output."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from empathykit.annotate.connection import StudioClient
from empathykit.annotate.snapshot import parse_time, since_filter
from empathykit.config import project_dir
from empathykit.errors import StudioError
from empathykit.schemas.base import Schema
from empathykit.table.annotations import recorded_schema
from empathykit.table.columns import items_path
from empathykit.table.items import align_types

#: Incremental pulls look this far before the checkpoint (clock skew, commit order).
CHECKPOINT_MARGIN = timedelta(seconds=5)


def checkpoint_path(client: StudioClient, project_id: int, out: Path) -> Path:
    key = hashlib.sha256(f"{client.url}|{project_id}|{out.resolve()}".encode()).hexdigest()[:16]
    return project_dir() / "pull" / f"project-{project_id}-{key}.json"


def unchanged(
    client: StudioClient,
    project_id: int,
    since: datetime,
    checkpoint: datetime,
    out: Path,
    schema: Schema,
    window: dict[str, int] | None,
) -> bool:
    """No task changed since the last pull, asked with two counts instead of a snapshot: as many
    tasks changed after ``since`` (the checkpoint less its margin) and after the checkpoint itself
    as the last pull read there (an edit, a new task or a new annotation moves ``updated_at`` past
    the checkpoint; a deletion lowers the first count); and the earlier output, its items and
    its schema are all there as an incremental pull would leave them."""
    if not window or not items_path(out).exists() or recorded_schema(out) != (schema.name, dict(schema.options)):
        return False
    for moment, expected in ((since, window["after_since"]), (checkpoint, window["after_checkpoint"])):
        query = json.dumps({"filters": since_filter(moment)})
        body = client.request(
            "GET",
            "/api/tasks",
            params={"project": project_id, "include": "id", "page_size": 1, "query": query},
            what=f"pulling project {project_id} (checking for changes)",
        ).json()
        if body.get("total") != expected:
            return False
    return True


def change_window(listed: list[dict[str, Any]], latest: datetime | None) -> dict[str, int] | None:
    """How many of the tasks read changed after the next checkpoint less its margin, and after
    the checkpoint itself: what the next incremental pull's counts find when nothing changed."""
    if latest is None:
        return None
    moments = [parse_time(t["updated_at"]) for t in listed if t.get("updated_at")]
    return {
        "after_since": sum(m > latest - CHECKPOINT_MARGIN for m in moments),
        "after_checkpoint": sum(m > latest for m in moments),
    }


def changes(old: pd.DataFrame | None, fresh: pa.Table, changed_tasks: set[int]) -> tuple[set, set, int]:
    now = fresh.select(["annotation_id", "updated_at"]).to_pandas().drop_duplicates("annotation_id")
    if old is None:
        return set(now["annotation_id"]), set(), 0
    before = old[old["task_id"].isin(changed_tasks)][["annotation_id", "updated_at"]].drop_duplicates("annotation_id")
    stamps = dict(zip(before["annotation_id"], before["updated_at"], strict=True))
    new = {a for a in now["annotation_id"] if a not in stamps}
    updated = {
        a for a, t in zip(now["annotation_id"], now["updated_at"], strict=True) if a in stamps and stamps[a] != t
    }
    removed = len(set(stamps) - set(now["annotation_id"]))
    return new, updated, removed


def merge(path: Path, fresh: pa.Table, changed_tasks: set[int], schema: pa.Schema | None) -> pa.Table:
    """``path``'s rows of unchanged tasks plus ``fresh`` (the changed tasks' rows)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        old = pq.read_table(path)
        old = old.select(schema.names).cast(schema) if schema is not None else old
        if schema is None:  # items: rounds from different sources may type a column differently
            old, fresh = align_types(old, fresh)
        keep = pc.invert(pc.is_in(old["task_id"], value_set=pa.array(sorted(changed_tasks), pa.int64())))
        return pa.concat_tables([old.filter(keep), fresh], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, ValueError) as error:
        raise StudioError(
            f"{path}: cannot merge an incremental pull into it ({error})",
            hint="pull without --since-last to rewrite it",
        ) from None
