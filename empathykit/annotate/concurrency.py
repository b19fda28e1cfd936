"""Concurrent pushes into one project: one project per title, each item once.

Two ``annotate push`` runs (two terminals, two machines, one remote server)
can only coordinate through the server, so the guard uses nothing but the
Label Studio API and two of its properties: ids grow in creation order, and a
listing sees every object created before it.

**Project: create, then resolve.** A push looks the title up; when it is
missing it creates the project, lists the projects of that title again and
keeps the lowest id. A run whose own project lost (a higher id) deletes it
(still empty: no task was imported yet) and pushes into the winner. Every run
therefore ends up in the same project, whichever created first.

**Tasks: re-check before each batch, verify after.** The push keeps a ledger
``item_id -> task ids`` of the project, refreshed before every import batch by
listing only the tasks newer than the last one seen (a Data Manager filter on
the task id), so a re-check costs what the other runs imported since, not the
whole project. Items that appeared meanwhile are dropped from the batch.
When the ledger shows tasks this run did not create (another writer), the
remaining batches are shuffled so two runs stop walking the input in step.
Two batches imported at the very same moment can still both land; so, after
its last batch, each run lists the project again and deletes its *own* tasks
that lost: a task is a duplicate when another task with the same ``item_id``
has a lower id. Of any two copies, the later one was created by a run whose
verification comes after it, when the earlier copy is already visible, so the
later copy is always removed. A task is deleted only if it holds nothing but
what the push itself imported (its gold annotation): never annotations or
skips by people.

**Limits.** The ordering argument needs ids assigned in commit order: true
for Label Studio's default SQLite database (writes are serialised); with
PostgreSQL two imports committing at the same instant may both survive. A run
killed between its import and its verification leaves its duplicates, as does
one killed between creating and resolving the project (an empty twin project
then makes title look-ups ambiguous: delete it in the UI). ``annotate status``
reports duplicate items however they arose, and ``annotate dedupe`` removes
them with the same rule (earliest task kept, annotated tasks never deleted).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Any, Callable

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import StudioClient

LEDGER_FIELDS = "id,data,total_annotations,cancelled_annotations"
DELETE_CHUNK = 1000


def resolve_project(client: StudioClient, title: str,
                    create: Callable[[], prj.ProjectRef]) -> tuple[prj.ProjectRef, bool]:
    """The project titled ``title`` (lowest id when several exist), created with
    ``create()`` when there is none; ``(project, created_by_us)``."""
    titled = prj.titled_projects(client, title)
    if titled:
        sweep_twins(client, title)
        return prj.require_project(client, titled[0]), False
    mine = create()
    winner = prj.titled_projects(client, title)[0]
    if winner == mine.id:
        sweep_twins(client, title)
        return mine, True
    prj.delete_project(client, mine.id)  # lost the race; still empty
    sweep_twins(client, title)
    return prj.require_project(client, winner), False


def sweep_twins(client: StudioClient, title: str) -> list[int]:
    """Delete the empty empathykit projects titled ``title`` above the lowest id
    (left by a run that lost the creation race and has not yet, or never, cleaned
    up); a project holding any task is never touched. Returns the ids deleted."""
    twins = prj.titled_projects(client, title)[1:]
    swept = []
    for twin in twins:
        if prj.is_empty_empathykit_project(client, twin):
            prj.delete_project(client, twin)
            swept.append(twin)
    return swept


class Ledger:
    """``item_id -> task ids`` of one project, kept current incrementally."""

    def __init__(self, client: StudioClient, project_id: int):
        self.client = client
        self.project_id = project_id
        self.tasks: dict[str, list[int]] = defaultdict(list)
        self.rounds: dict[str, Any] = {}
        self.last_id = 0
        self.foreign = 0  # tasks that appeared after the first read and are not this run's
        self.ours: set[int] = set()
        self.baseline: int | None = None  # last task id before this run imported anything
        self._started = False
        self._skip: list[tuple[int, int]] = []  # id ranges of own batches not to read back

    def refresh(self) -> None:
        """Read the tasks created since the last refresh, except this run's own
        batches (one import is one contiguous id range)."""
        filters = [_id_filter("greater", self.last_id)] if self.last_id else []
        filters += [_id_filter("not_in", {"min": low, "max": high}) for low, high in self._skip]
        self._read(filters)
        self.last_id = max([self.last_id] + [high for _, high in self._skip])
        self._skip = []
        if self.baseline is None:
            self.baseline = self.last_id
        self._started = True

    def reread(self) -> None:
        """Read every task created since this run began, its own included (to verify)."""
        self._read([_id_filter("greater", self.baseline)] if self.baseline else [])

    def _read(self, filters: list[dict[str, Any]]) -> None:
        query = json.dumps({"filters": {"conjunction": "and", "items": filters}}) if filters else None
        for task in prj.iter_tasks(self.client, self.project_id, include="id,data", query=query):
            self._add(task)

    def _add(self, task: dict[str, Any]) -> None:
        task_id = int(task["id"])
        self.last_id = max(self.last_id, task_id)
        data = task.get("data") or {}
        item = data.get("item_id")
        if self._started and task_id not in self.ours:
            self.foreign += 1
        if item is None:
            return
        item = str(item)
        if task_id not in self.tasks[item]:
            self.tasks[item].append(task_id)
        self.rounds.setdefault(item, data.get("round"))

    def present(self, item: str) -> bool:
        return bool(self.tasks.get(item))

    def record_import(self, task_ids: list[int]) -> None:
        ids = [int(t) for t in task_ids]
        self.ours.update(ids)
        if ids:
            self._skip.append((min(ids), max(ids)))


def _id_filter(operator: str, value: Any) -> dict[str, Any]:
    return {"filter": "filter:tasks:id", "operator": operator, "type": "Number", "value": value}


def import_guarded(ledger: Ledger, batches: list[list[dict]], send: Callable[[list[dict], int, int], list[int]],
                   on_progress: Callable[[int], None] | None = None) -> int:
    """Import ``batches`` (tasks with ``data.item_id``), re-checking the ledger
    before each; ``send(batch, number, total)`` returns the new task ids.
    Returns the number of tasks this run created."""
    pending = list(batches)
    shuffled = False
    created = 0
    number = 0
    while pending:
        batch = pending.pop(0)
        number += 1
        ledger.refresh()
        if ledger.foreign and not shuffled:
            random.shuffle(pending)  # another writer: stop walking the input in step with it
            shuffled = True
        fresh = [t for t in batch if not ledger.present(str(t["data"]["item_id"]))]
        if fresh:
            ids = send(fresh, number, number + len(pending))
            ledger.record_import(ids)
            created += len(ids)
        if on_progress:
            on_progress(len(batch))
    return created


def remove_lost_races(ledger: Ledger, own_annotations: Callable[[str], int]) -> tuple[int, list[str]]:
    """After the import: delete this run's tasks that have an earlier twin
    (same ``item_id``, lower id) and carry only what the push imported
    (``own_annotations(item_id)``: 1 for a gold annotation, else 0).
    Returns ``(deleted, item ids of twins kept because people annotated them)``."""
    if not ledger.ours:
        return 0, []
    ledger.reread()
    losers = [(item, task_id) for item, task_ids in ledger.tasks.items()
              for task_id in task_ids if task_id in ledger.ours and task_id != min(task_ids)]
    if not losers:
        return 0, []
    counts = _annotation_counts(ledger, min(task_id for _, task_id in losers))
    doomed: list[int] = []
    kept: list[str] = []
    for item, task_id in losers:
        if counts.get(task_id, 0) <= own_annotations(item):
            doomed.append(task_id)
        else:
            kept.append(item)
    delete_tasks(ledger.client, ledger.project_id, doomed)
    gone = set(doomed)
    for item in ledger.tasks:
        ledger.tasks[item] = [t for t in ledger.tasks[item] if t not in gone]
    return len(doomed), kept


def _annotation_counts(ledger: Ledger, from_id: int) -> dict[int, int]:
    """Annotations and skips per task from ``from_id`` on: ``annotations_ids``
    is read from the annotations themselves (the ``total_annotations`` counters
    can lag behind)."""
    query = json.dumps({"filters": {"conjunction": "and", "items": [_id_filter("greater", from_id - 1)]}})
    return {int(t["id"]): annotation_count(t)
            for t in prj.iter_tasks(ledger.client, ledger.project_id, include="id,annotations_ids", query=query)}


def annotation_count(task: dict[str, Any]) -> int:
    """Annotations and skips of a Data Manager task row listed with ``annotations_ids``."""
    return len([a for a in str(task.get("annotations_ids") or "").split(",") if a.strip()])


def delete_tasks(client: StudioClient, project_id: int, task_ids: list[int]) -> None:
    """Delete tasks by id (the Data Manager's bulk action, in chunks)."""
    for start in range(0, len(task_ids), DELETE_CHUNK):
        chunk = task_ids[start:start + DELETE_CHUNK]
        client.request("POST", "/api/dm/actions", params={"id": "delete_tasks", "project": project_id},
                       json={"selectedItems": {"all": False, "included": chunk}},
                       what=f"deleting {len(chunk)} duplicate tasks of project {project_id}")
