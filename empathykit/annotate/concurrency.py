"""Concurrent pushes into one project: one project per title, each item once.

Two ``annotate push`` runs (two terminals, two machines, one remote server)
can only coordinate through the server, so the guard uses nothing but the
Label Studio API and two of its properties: ids grow in creation order, and a
listing sees every object created before it.

**Project: create, then resolve.** A push looks the title up; when it is
missing it creates the project, lists the projects of that title again and
keeps the lowest id. A run whose own project lost (a higher id) pushes into
the winner, so every run ends up in the same project, whichever created first.

**Twins: deleted in turn, never two at once.** Label Studio's project delete
unhooks the model signal handlers of the whole server process while it runs
and puts back what it found; two overlapping deletes leave them unhooked (the
later one "restores" the empty list), and from then on annotations no longer
update the task counters (``total_annotations``, ``is_labeled``): progress
shows 0 and tasks stay open past the overlap until the server restarts. So
the twins of a title are deleted one at a time, in id order: each losing run
deletes its own (still empty) twin only once every lower twin is gone, which
it checks by listing the title again every :data:`TURN_POLL` seconds. A
lower twin can have no live creator: Label Studio itself, retrying a create
on a locked SQLite database, sometimes makes two projects for one request,
and a run can be killed. So a run whose twin has ``k`` lower twins waits at
most ``k x`` :data:`TURN_WAIT` seconds; after that, the creators in front
have had their turn, and it deletes the remaining lower twins itself, lowest
first, then its own. A project is deleted only when it is an empathykit
project holding no task. The run that created the winner deletes nothing.

**Tasks: re-check before each batch, verify after.** The push keeps a ledger
``item_id -> task ids`` of the project, refreshed before every import batch by
listing only the tasks newer than the last one seen (a Data Manager filter on
the task id), so a re-check costs what the other runs imported since, not the
whole project. The first read starts from the ledger the last push of this
project from this folder left (``project_dir()/push/``): one count says
whether every task up to its last id is still there (ids only grow, so the
same count is the same tasks), and only the tasks changed since (``updated_at``
after the saved moment; within :data:`ledger.CHANGE_MARGIN` before it too, for the
order of commits, except the saving run's own imports) and the ones newer than
its last id are read; a different count, or no saved ledger, reads the project
whole. Listing tasks is the slow part of Label Studio's API (a fraction of a
millisecond per task), so a re-push of items already there asks for ids and
counts only. Items that appeared meanwhile are dropped from the batch.
When the ledger shows tasks this run did not create (another writer), the
remaining batches are shuffled so two runs stop walking the input in step.
Two batches imported at the very same moment can still both land; so, after
its last batch, each run lists the tasks other writers created since it began
(its own are known from the import answers, which list the new ids in batch
order) and deletes its *own* tasks that lost: a task is a duplicate when another task with the same ``item_id``
has a lower id. Of any two copies, the later one was created by a run whose
verification comes after it, when the earlier copy is already visible, so the
later copy is always removed. A task is deleted only if it holds nothing but
what the push itself imported (its gold annotation): never annotations or
skips by people.

**Limits.** The ordering argument needs ids assigned in commit order: true
for Label Studio's default SQLite database (writes are serialised); with
PostgreSQL two imports committing at the same instant may both survive, and
two creators may each see their own project as the lowest (ids are drawn
before the commit). Races on two different titles at the same instant take
turns per title only, so their deletes may overlap. A run
killed between its import and its verification leaves its duplicates, as does
one killed between creating and resolving the project. The saved ledger
trusts Label Studio to bump ``updated_at`` when a task's data changes (a
direct database update that does not, or a change landing between the saved
moment and the last read, is not seen until the count differs); delete the
``project_dir()/push/`` file to read the project whole. Turns assume a run's
delete of an empty project ends within :data:`TURN_WAIT` seconds and that
the runs list the title within about as long of each other; a slower server
or run can let a late delete overlap an early one. A twin whose creator died
and that has no live twin above it stays (empty; title look-ups by name then
ask for the id): delete it in the UI, never while another delete may run.
Other clients (the UI, scripts) can
still delete projects at the same moment as the winner's sweep; ``annotate
status`` compares the task counters with the stored annotations and says
when they disagree (the fix: restart the server). ``annotate status``
reports duplicate items however they arose, and ``annotate dedupe`` removes
them with the same rule (earliest task kept, annotated tasks never deleted).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, Callable

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import StudioClient
from empathykit.annotate.ledger import Ledger, id_filter
from empathykit.progress import Counter, Progress

DELETE_CHUNK = 1000
TURN_WAIT = 5.0  # seconds each lower twin's creator gets to delete it before the next in line does
TURN_POLL = 0.2  # seconds between listings while waiting for the turn


def resolve_project(
    client: StudioClient, title: str, create: Callable[[], prj.ProjectRef]
) -> tuple[prj.ProjectRef, bool]:
    """The project titled ``title`` (lowest id when several exist), created with
    ``create()`` when there is none; ``(project, created_by_us)``. A run that
    created a twin deletes it in turn (see the module docstring) before it
    returns the winner."""
    titled = prj.titled_projects(client, title)
    if titled:
        return prj.require_project(client, titled[0]), False
    mine = create()
    titled = prj.titled_projects(client, title)
    if titled[0] == mine.id:
        return mine, True
    delete_in_turn(client, title, mine.id, ahead=len([t for t in titled[1:] if t < mine.id]))
    return prj.require_project(client, titled[0]), False


def delete_in_turn(
    client: StudioClient, title: str, own: int, *, ahead: int, wait: float = TURN_WAIT, poll: float = TURN_POLL
) -> list[int]:
    """Delete our twin ``own`` once the ``ahead`` twins below it (above the
    winner) are gone; after ``ahead x wait`` seconds, delete the lower ones
    still there, lowest first. One delete at a time; returns the ids deleted."""
    deadline = time.monotonic() + ahead * wait
    while True:
        titled = prj.titled_projects(client, title)
        lower = [t for t in titled[1:] if t < own]
        if not lower or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    deleted = []
    for twin in [*lower, own]:
        if prj.is_empty_empathykit_project(client, twin):
            prj.delete_project(client, twin)  # returns when the server has finished
            deleted.append(twin)
    return deleted


def sweep_twins(client: StudioClient, title: str) -> list[int]:
    """The empty empathykit projects still titled ``title`` above the lowest id
    (a twin whose creator died); nothing is deleted here, since a delete now
    could overlap another run's (see the module docstring)."""
    return [twin for twin in prj.titled_projects(client, title)[1:] if prj.is_empty_empathykit_project(client, twin)]


def import_guarded(
    ledger: Ledger,
    batches: list[list[dict]],
    send: Callable[[list[dict], int, int], list[int]],
    on_progress: Progress | None = None,
) -> int:
    """Import ``batches`` (tasks with ``data.item_id``), re-checking the ledger
    before each; ``send(batch, number, total)`` returns the new task ids.
    Returns the number of tasks this run created. Progress: tasks imported or found there."""
    pending = list(batches)
    shuffled = False
    created = 0
    number = 0
    count = Counter(on_progress, "importing tasks", total=sum(len(batch) for batch in batches))
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
            ledger.record_import(ids, fresh)
            created += len(ids)
        count(len(batch))
    return created


def remove_lost_races(ledger: Ledger, own_annotations: Callable[[str], int]) -> tuple[int, list[str]]:
    """After the import: delete this run's tasks that have an earlier twin
    (same ``item_id``, lower id) and carry only what the push imported
    (``own_annotations(item_id)``: 1 for a gold annotation, else 0).
    Returns ``(deleted, item ids of twins kept because people annotated them)``."""
    if not ledger.ours:
        return 0, []
    ledger.reread()
    losers = [
        (item, task_id)
        for item, task_ids in ledger.tasks.items()
        for task_id in task_ids
        if task_id in ledger.ours and task_id != min(task_ids)
    ]
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
    ledger.ids -= gone
    return len(doomed), kept


def _annotation_counts(ledger: Ledger, from_id: int) -> dict[int, int]:
    """Annotations and skips per task from ``from_id`` on: ``annotations_ids``
    is read from the annotations themselves (the ``total_annotations`` counters
    can lag behind)."""
    query = json.dumps({"filters": {"conjunction": "and", "items": [id_filter("greater", from_id - 1)]}})
    return {
        int(t["id"]): annotation_count(t)
        for t in prj.iter_tasks(ledger.client, ledger.project_id, include="id,annotations_ids", query=query)
    }


def annotation_count(task: dict[str, Any]) -> int:
    """Annotations and skips of a Data Manager task row listed with ``annotations_ids``."""
    return len([a for a in str(task.get("annotations_ids") or "").split(",") if a.strip()])


def delete_tasks(client: StudioClient, project_id: int, task_ids: list[int]) -> None:
    """Delete tasks by id (the Data Manager's bulk action, in chunks)."""
    for start in range(0, len(task_ids), DELETE_CHUNK):
        chunk = task_ids[start : start + DELETE_CHUNK]
        client.request(
            "POST",
            "/api/dm/actions",
            params={"id": "delete_tasks", "project": project_id},
            json={"selectedItems": {"all": False, "included": chunk}},
            what=f"deleting {len(chunk)} duplicate tasks of project {project_id}",
        )
