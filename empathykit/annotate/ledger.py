"""The ledger of a push: ``item_id -> task ids`` of one project, kept current incrementally
and saved for the next push (the algorithm and its limits: ``concurrency``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import StudioClient
from empathykit.annotate.snapshot import parse_time, since_filter
from empathykit.config import project_dir
from empathykit.errors import OutputError
from empathykit.io import write_json

LEDGER_FIELDS = "id,data,total_annotations,cancelled_annotations"
CHANGE_MARGIN = timedelta(seconds=1)  # a saved ledger re-reads tasks changed this long before its moment
MAX_SKIPPED_RANGES = 50  # own id ranges left out of the verifying read, at most (the query is a URL)


class Ledger:
    """``item_id -> task ids`` of one project, kept current incrementally; with ``saved``, the
    first read starts from the ledger an earlier push left there (see ``concurrency``)."""

    def __init__(self, client: StudioClient, project_id: int, saved: Path | None = None):
        self.client = client
        self.project_id = project_id
        self.tasks: dict[str, list[int]] = defaultdict(list)
        self.rounds: dict[str, Any] = {}
        self.last_id = 0
        self.foreign = 0  # tasks that appeared after the first read and are not this run's
        self.ours: set[int] = set()
        self.baseline: int | None = None  # last task id before this run imported anything
        self.saved = saved
        self.ids: set[int] = set()  # every task of the project known here
        self.moment: str | None = None  # the newest updated_at on the server when the ledger was last whole
        self._started = False
        self._unmapped = False  # an import answer that did not list one id per task sent
        self._skip: list[tuple[int, int]] = []  # id ranges of own batches not to read back

    def refresh(self) -> None:
        """Read the tasks created since the last refresh, except this run's own
        batches (one import is one contiguous id range)."""
        if not self._started:
            self.moment = self._newest_change()
            self._load()
        filters = [id_filter("greater", self.last_id)] if self.last_id else []
        filters += [id_filter("not_in", {"min": low, "max": high}) for low, high in self._skip]
        self._read(filters)
        self.last_id = max([self.last_id] + [high for _, high in self._skip])
        self._skip = []
        if self.baseline is None:
            self.baseline = self.last_id
        self._started = True

    def reread(self) -> None:
        """Read every task other writers created since this run began (to verify); this run's
        own are known from the import answers."""
        self.moment = self._newest_change()
        ranges = [] if self._unmapped else _ranges(sorted(self.ours))
        if len(ranges) > MAX_SKIPPED_RANGES:  # a query that long: read this run's own tasks too
            ranges = []
        filters = [id_filter("greater", self.baseline)] if self.baseline else []
        self._read(filters + [id_filter("not_in", {"min": low, "max": high}) for low, high in ranges])

    def _read(self, filters: list[dict[str, Any]]) -> None:
        query = json.dumps({"filters": {"conjunction": "and", "items": filters}}) if filters else None
        for task in prj.iter_tasks(self.client, self.project_id, include="id,data", query=query):
            self._add(task)

    def _newest_change(self) -> str | None:
        """The newest ``updated_at`` of the project's tasks (one task listed, newest first)."""
        query = json.dumps({"ordering": ["-tasks:updated_at"]})
        body = self.client.request(
            "GET",
            "/api/tasks",
            params={"project": self.project_id, "page_size": 1, "include": "id,updated_at", "query": query},
            what=f"reading the tasks of project {self.project_id}",
        ).json()
        return ((body.get("tasks") or [{}])[0]).get("updated_at")

    def _load(self) -> None:
        """Start from the saved ledger when every task up to its last id is still there; then
        re-read only the tasks changed since it was saved."""
        try:
            saved = json.loads(self.saved.read_text()) if self.saved and self.saved.exists() else None
        except (OSError, ValueError):
            saved = None
        if (
            not saved
            or not saved.get("moment")
            or _count(self, [id_filter("less", saved["last_id"] + 1)]) != len(saved["ids"])
        ):
            return
        for item, task_ids in saved["tasks"].items():
            self.tasks[item] = list(task_ids)
        self.rounds.update(saved["rounds"])
        self.ids.update(saved["ids"])
        self.last_id = saved["last_id"]
        fresh = {int(task["id"]): task for task in self._changed(saved)}
        stale = set(fresh)
        for item, task_ids in self.tasks.items():
            if any(t in stale for t in task_ids):
                self.tasks[item] = [t for t in task_ids if t not in stale]
        for task in fresh.values():
            self._add(task)

    def _changed(self, saved: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The saved tasks changed after its moment; and, for the commit order's sake, those changed
        within :data:`CHANGE_MARGIN` before it, except the saving run's own imports (known as sent)."""
        moment = parse_time(saved["moment"])
        known = [id_filter("less", self.last_id + 1)]
        own = [id_filter("not_in", {"min": low, "max": high}) for low, high in saved.get("own") or []]
        for filters in (
            [*known, *since_filter(moment)["items"]],
            [*known, *since_filter(moment - CHANGE_MARGIN)["items"], *own],
        ):
            query = json.dumps({"filters": {"conjunction": "and", "items": filters}})
            yield from prj.iter_tasks(self.client, self.project_id, include="id,data", query=query)

    def save(self) -> None:
        """Leave the ledger for the next push of this project from this folder; where it cannot be
        written (a read-only folder, a full disk), the next push reads the project whole."""
        if self.saved is None or self.moment is None:
            return
        tasks = {item: ids for item, ids in self.tasks.items() if ids}
        own = [] if self._unmapped else _ranges(sorted(self.ours))
        with contextlib.suppress(OSError, OutputError):
            self.saved.parent.mkdir(parents=True, exist_ok=True)
            write_json(
                self.saved,
                {
                    "last_id": max(self.ids, default=0),
                    "moment": self.moment,
                    "ids": sorted(self.ids),
                    "own": own if len(own) <= MAX_SKIPPED_RANGES else [],
                    "tasks": tasks,
                    "rounds": {item: self.rounds.get(item) for item in tasks},
                },
            )

    def _add(self, task: dict[str, Any]) -> None:
        task_id = int(task["id"])
        self.last_id = max(self.last_id, task_id)
        self.ids.add(task_id)
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

    def record_import(self, task_ids: list[int], batch: list[dict[str, Any]] | None = None) -> None:
        """This run's new tasks; with the ``batch`` sent (the answer lists the ids in its order)
        their items go into the ledger without reading them back."""
        ids = [int(t) for t in task_ids]
        self.ours.update(ids)
        self.ids.update(ids)
        if ids:
            self._skip.append((min(ids), max(ids)))
        if batch is None or len(batch) != len(ids):
            self._unmapped = True
            return
        for task_id, task in zip(ids, batch):
            item = str(task["data"]["item_id"])
            self.tasks[item].append(task_id)
            self.rounds.setdefault(item, task["data"].get("round"))


def id_filter(operator: str, value: Any) -> dict[str, Any]:
    return {"filter": "filter:tasks:id", "operator": operator, "type": "Number", "value": value}


def _count(ledger: Ledger, filters: list[dict[str, Any]]) -> int:
    query = json.dumps({"filters": {"conjunction": "and", "items": filters}})
    return int(
        ledger.client.request(
            "GET",
            "/api/tasks",
            params={"project": ledger.project_id, "page_size": 1, "include": "id", "query": query},
            what=f"counting the tasks of project {ledger.project_id}",
        ).json()["total"]
    )


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive ids ``(first, last)``."""
    runs: list[tuple[int, int]] = []
    for task_id in ids:
        if runs and task_id == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], task_id)
        else:
            runs.append((task_id, task_id))
    return runs


def saved_ledger(client: StudioClient, project_id: int) -> Path:
    """Where the ledger of this project on this server is saved (the project's creation time is
    in the key, so a new server that reuses the id never reads another project's ledger)."""
    created = (
        client.request(
            "GET",
            f"/api/projects/{project_id}",
            params={"include": "id,created_at"},
            what=f"reading project {project_id}",
        )
        .json()
        .get("created_at")
    )
    key = hashlib.sha256(f"{client.url}|{project_id}|{created}".encode()).hexdigest()[:16]
    return project_dir() / "push" / f"ledger-{project_id}-{key}.json"
