"""Reading a project through one Label Studio export snapshot (``POST
/api/projects/{id}/exports/``, then its download), spooled to a temporary file
and read back task by task in flat memory. See ``empathykit.annotate.pull``
for why a snapshot. The snapshot (and the Data Manager view an incremental
pull filters through) is deleted on every exit path: errors, Ctrl-C, SIGTERM;
one a killed pull left (titled ``empathykit pull HOST:PID``) is deleted by the
next pull. Requests name the pull, and a long snapshot build keeps the
caller's progress line alive.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import IO, Any, Iterator

from empathykit.annotate.connection import StudioClient
from empathykit.errors import StudioError
from empathykit.progress import Counter, Progress, report
from empathykit.temporaries import process_alive, sigterm_unwinds

#: Without a job queue the server builds the snapshot inside the POST (minutes for a large project).
SNAPSHOT_TIMEOUT = 3600.0
SNAPSHOT_POLL = 0.5
DOWNLOAD_TIMEOUT = 120.0
CLEANUP_TIMEOUT = 5.0
SNAPSHOT_TITLE = "empathykit pull"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _dm_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def since_filter(since: datetime) -> dict[str, Any]:
    """The Data Manager filter of the tasks changed after ``since``."""
    return {
        "conjunction": "and",
        "items": [
            {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": _dm_time(since)}
        ],
    }


def export_tasks(
    client: StudioClient,
    project_id: int,
    since: datetime | None = None,
    on_progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> Iterator[dict[str, Any]]:
    """Full JSON of every task of the project (changed since ``since``), with
    its annotations, from one export snapshot spooled to a temporary file and
    read back task by task (flat memory). Progress: the server building the
    snapshot, then tasks read of the snapshot's total. ``timings`` gets the seconds the server
    took to build the snapshot (``snapshot``) and to send it (``download``)."""
    with tempfile.TemporaryFile() as spool:
        total = _download_snapshot(client, project_id, since, spool, on_progress, timings)
        count = Counter(on_progress, "reading annotated tasks", total=total)
        spool.seek(0)
        for task in iter_json_array(spool):
            yield task
            count()


def _download_snapshot(
    client: StudioClient,
    project_id: int,
    since: datetime | None,
    spool: IO[bytes],
    on_progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> int | None:
    """Build an export snapshot, write its JSON to ``spool``, delete it (and
    the filtering view) on every exit path; returns the number of tasks the
    server reported. Snapshots left by killed pulls are deleted first."""
    exports = f"/api/projects/{project_id}/exports/"
    what = f"pulling project {project_id}"
    clean_stale_snapshots(client, project_id)
    with contextlib.ExitStack() as cleanup, sigterm_unwinds():
        task_filter: dict[str, Any] = {}
        if since is not None:
            data = {"title": snapshot_title(), "filters": since_filter(since)}
            view = client.request(
                "POST",
                "/api/dm/views/",
                what=f"{what} (creating its task filter)",
                json={"project": project_id, "data": data},
            ).json()["id"]
            cleanup.enter_context(_deleted_after(client, f"/api/dm/views/{view}/"))
            task_filter["view"] = view
        report(on_progress, "building the export snapshot on the server")
        timings = timings if timings is not None else {}
        started = time.perf_counter()
        snapshot = client.request(
            "POST",
            exports,
            what=f"{what} (building the export snapshot)",
            timeout=SNAPSHOT_TIMEOUT,
            json={
                "title": snapshot_title(),
                "task_filter_options": task_filter,
                "serialization_options": {
                    "drafts": {"only_id": True},
                    "predictions": {"only_id": True},
                    "annotations__completed_by": {"only_id": True},
                },
            },
        ).json()
        cleanup.enter_context(_deleted_after(client, f"{exports}{snapshot['id']}"))
        while snapshot.get("status") not in ("completed", "failed"):  # a server with a job queue
            time.sleep(SNAPSHOT_POLL)
            snapshot = client.request(
                "GET", f"{exports}{snapshot['id']}", what=f"{what} (waiting for the export snapshot)"
            ).json()
        if snapshot["status"] == "failed":
            raise StudioError(
                f"Label Studio could not build the export snapshot of project {project_id}",
                hint="see the Label Studio server log",
            )
        timings["snapshot"], started = time.perf_counter() - started, time.perf_counter()
        with client.stream(
            "GET",
            f"{exports}{snapshot['id']}/download",
            params={"exportType": "JSON"},
            what=f"{what} (downloading the export snapshot)",
            timeout=DOWNLOAD_TIMEOUT,
        ) as response:
            for block in response.iter_bytes():
                spool.write(block)
        timings["download"] = time.perf_counter() - started
    return (snapshot.get("counters") or {}).get("task_number")


def snapshot_title() -> str:
    """``empathykit pull HOST:PID``: tells the next pull whose snapshot it is."""
    return f"{SNAPSHOT_TITLE} {socket.gethostname()}:{os.getpid()}"


def clean_stale_snapshots(client: StudioClient, project_id: int) -> int:
    """Delete the project's export snapshots and filter views that killed pulls left (see :func:`_stale`)."""
    what = f"pulling project {project_id} (deleting what an interrupted pull left)"
    exports = f"/api/projects/{project_id}/exports/"
    stale = [
        f"{exports}{s['id']}"
        for s in client.request("GET", exports, what=what).json()
        if _stale(s.get("title"), s.get("created_at"))
    ]
    views = client.request("GET", "/api/dm/views/", params={"project": project_id}, what=what).json()
    stale += [
        f"/api/dm/views/{v['id']}/"
        for v in views
        if v.get("project") == project_id and _stale((v.get("data") or {}).get("title"), None)
    ]
    for path in stale:
        client.request("DELETE", path, what=what)
    return len(stale)


def _stale(title: str | None, created_at: str | None) -> bool:
    """A pull's leftover: titled by a pull of this machine whose process is gone, or older than
    :data:`SNAPSHOT_TIMEOUT` (a pull elsewhere that never finished)."""
    if not title or not title.startswith(SNAPSHOT_TITLE):
        return False
    owner, _, pid = title[len(SNAPSHOT_TITLE) :].strip().rpartition(":")
    if not owner:  # titled by an older version, which never left one behind on purpose
        return True
    created = parse_time(created_at)
    old = created is not None and datetime.now(timezone.utc) - created > timedelta(seconds=SNAPSHOT_TIMEOUT)
    return old or (owner == socket.gethostname() and pid.isdigit() and not process_alive(int(pid)))


@contextlib.contextmanager
def _deleted_after(client: StudioClient, path: str) -> Iterator[None]:
    """Delete ``path`` when the block ends; when the block failed, a failing delete stays quiet so
    the pull's own error is the one reported (the next pull removes what is left)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(StudioError):
            client.request("DELETE", path, timeout=CLEANUP_TIMEOUT)
        raise
    client.request("DELETE", path, what=f"cleaning up after the pull ({path})")


_SEPARATORS = re.compile(r"[\s,]*")


def iter_json_array(handle: IO[bytes], block: int = 1 << 20) -> Iterator[Any]:
    """The objects of a JSON array in a binary file, one at a time."""
    decoder = json.JSONDecoder()
    reader = io.TextIOWrapper(handle, encoding="utf-8")
    buffer = reader.read(block)
    while buffer.isspace():
        more = reader.read(block)
        if not more:
            break
        buffer += more
    buffer = buffer.lstrip()
    if not buffer.startswith("["):
        raise StudioError("the Label Studio export snapshot is not a JSON array")
    position, exhausted = 1, False
    while True:
        position = _SEPARATORS.match(buffer, position).end()
        if buffer.startswith("]", position):
            return
        try:
            # objects cannot decode from a truncated buffer, so a failure means "read more"
            item, position = decoder.raw_decode(buffer, position)
        except json.JSONDecodeError:
            if exhausted:
                raise StudioError("the Label Studio export snapshot is truncated") from None
            more = reader.read(block)
            exhausted = not more
            buffer, position = buffer[position:] + more, 0
            continue
        yield item
