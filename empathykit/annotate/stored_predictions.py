"""The model predictions stored on a project's tasks (pre-labels from ``push --predictions-column``,
``next-round`` or a connected ML backend's "retrieve predictions"), read back as the table that
``predict`` writes: ``item_id``, ``prediction``, ``prediction_score``, ``model_version``.

One value per item and field: where several predictions cover an item (a later round's model, a
backend asked twice), the newest counts, so the table says what the annotators were last shown.
"""

from __future__ import annotations

from typing import Any

from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.projects import iter_tasks
from empathykit.errors import StudioError
from empathykit.schemas.base import Schema


def stored_predictions(
    project_id: int,
    schema: Schema,
    *,
    field: str | None = None,
    model_version: str | None = None,
    connection: Connection | None = None,
) -> list[dict[str, Any]]:
    """Rows ``{item_id, prediction, prediction_score, model_version}`` of ``field`` (the target by default),
    only ``model_version``'s where given; a project without any is one ``StudioError``."""
    name = field or schema.target
    client = connect(connection)
    items = {
        t["id"]: str((t.get("data") or {}).get("item_id", t["id"]))
        for t in iter_tasks(client, project_id, include="id,data")
    }
    with client.call(f"listing the predictions of project {project_id}"):
        stored = list(client.sdk.predictions.list(project=project_id))
    newest: dict[str, tuple[Any, dict[str, Any]]] = {}
    versions = set()
    for p in stored:
        values, _ = schema.parse_results(p.result or [])
        versions.add(p.model_version or "")
        if p.task not in items or values.get(name) is None or (model_version and p.model_version != model_version):
            continue
        key = (str(p.created_at or ""), p.id)
        item = items[p.task]
        if item not in newest or key > newest[item][0]:
            newest[item] = (
                key,
                {
                    "item_id": item,
                    "prediction": values[name],
                    "prediction_score": p.score,
                    "model_version": p.model_version or "",
                },
            )
    if not newest:
        held = f"; it holds predictions of {sorted(versions)}" if versions else ""
        raise StudioError(
            f"project {project_id} has no stored predictions of {name!r}"
            f"{f' by model {model_version!r}' if model_version else ''}{held}",
            hint="pre-label it with `annotate next-round`, `push --predictions-column` or a "
            "connected `empathykit serve`, or pass a predictions file",
        )
    return [row for _, row in sorted(newest.values(), key=lambda kv: kv[1]["item_id"])]
