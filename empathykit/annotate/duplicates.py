"""Items present more than once in a project: found (``annotate status``) and
removed safely (``annotate dedupe``).

An item is duplicated when two or more tasks carry the same ``data.item_id``
(concurrent pushes, an import by other means, a copied project). The earliest
task (lowest id) of each item is kept; a later copy is deleted only when no one
annotated or skipped it. Annotated copies are reported, never deleted: merging
annotations is a decision for the data lead (pull keeps both: they are
different tasks). Tasks without an ``item_id`` cannot be compared and are left
alone. Deleting is the Data Manager's bulk action, so re-running after a
partial run finishes the job, and a second run finds nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from empathykit.annotate import projects as prj
from empathykit.annotate.concurrency import annotation_count, delete_tasks
from empathykit.annotate.connection import Connection, connect
from empathykit.progress import Progress

EXAMPLES = 5


@dataclass
class DuplicateItems:
    items: int = 0  # item ids on more than one task
    extra_tasks: int = 0  # tasks beyond the first of each such item
    examples: list[tuple[str, list[int]]] = field(default_factory=list)  # (item_id, task ids), first few


@dataclass
class DedupeReport:
    project_id: int
    project_title: str
    project_url: str
    tasks: int
    duplicates: DuplicateItems
    deleted: list[int]  # task ids deleted (or, with dry_run, that would be)
    annotated: list[tuple[str, int]]  # (item_id, task id) of later copies kept because they hold annotations
    dry_run: bool


def group_by_item(tasks: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Tasks with the same ``data.item_id`` (lowest id first), only items on 2+ tasks."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        item = (task.get("data") or {}).get("item_id")
        if item is not None:
            groups[str(item)].append(task)
    return {item: sorted(group, key=lambda t: int(t["id"])) for item, group in groups.items() if len(group) > 1}


def summarise(groups: dict[str, list[dict[str, Any]]]) -> DuplicateItems:
    ordered = sorted(groups.items(), key=lambda kv: int(kv[1][0]["id"]))
    return DuplicateItems(
        items=len(groups),
        extra_tasks=sum(len(g) - 1 for g in groups.values()),
        examples=[(item, [int(t["id"]) for t in group]) for item, group in ordered[:EXAMPLES]],
    )


def annotated(task: dict[str, Any]) -> bool:
    """Annotated or skipped by anyone (read from the annotations: the counters can lag)."""
    return annotation_count(task) > 0 or bool(task.get("total_annotations") or task.get("cancelled_annotations"))


def dedupe(
    project: str | int,
    *,
    dry_run: bool = False,
    connection: Connection | None = None,
    on_progress: Progress | None = None,
) -> DedupeReport:
    """Delete the later, unannotated copies of every duplicated item of ``project``."""
    client = connect(connection)
    ref = prj.require_project(client, project)
    with client.call(f"listing tasks of project {ref.id}"):
        tasks = list(
            prj.iter_tasks(
                client,
                ref.id,
                include="id,data,annotations_ids,total_annotations,cancelled_annotations",
                on_progress=on_progress,
            )
        )
    groups = group_by_item(tasks)
    doomed: list[int] = []
    kept: list[tuple[str, int]] = []
    for item, group in groups.items():
        for task in group[1:]:
            if annotated(task):
                kept.append((item, int(task["id"])))
            else:
                doomed.append(int(task["id"]))
    if not dry_run:
        delete_tasks(client, ref.id, doomed)
    return DedupeReport(
        project_id=ref.id,
        project_title=ref.title,
        project_url=ref.url,
        tasks=len(tasks),
        duplicates=summarise(groups),
        deleted=sorted(doomed),
        annotated=sorted(kept, key=lambda k: k[1]),
        dry_run=dry_run,
    )
