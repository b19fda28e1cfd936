"""``annotate status``: progress of a project per round and per annotator.

Read from the Data Manager task list (no annotation bodies), so it stays fast
on large projects. A task is *done* when it holds ``overlap`` submitted
annotations (``maximum_annotations``; skips do not count, ground-truth
annotations do, as in Label Studio's own "completed" state). Items present
on more than one task are counted, with the first examples (``duplicates``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.duplicates import DuplicateItems, group_by_item, summarise
from empathykit.annotate.pull import annotator_emails


@dataclass
class RoundProgress:
    round: int | None
    tasks: int
    started: int       # tasks with at least one annotation or skip
    done: int          # tasks with `overlap` submitted annotations
    annotations: int   # submitted (not skipped)
    skipped: int


@dataclass
class AnnotatorProgress:
    annotator_id: int
    email: str | None
    tasks: int                       # tasks they annotated or skipped
    per_round: dict[Any, int] = field(default_factory=dict)


@dataclass
class ProjectStatus:
    project_id: int
    project_title: str
    project_url: str
    schema: str | None
    overlap: int
    tasks: int
    done: int
    rounds: list[RoundProgress]
    annotators: list[AnnotatorProgress]
    duplicates: DuplicateItems = field(default_factory=DuplicateItems)


def project_status(project: str | int, *, connection: Connection | None = None,
                   on_progress: Callable[[int], None] | None = None) -> ProjectStatus:
    client = connect(connection)
    ref = prj.require_project(client, project)
    overlap = ref.maximum_annotations or 1
    by_round: dict[Any, Counter] = defaultdict(Counter)
    touched: dict[int, Counter] = defaultdict(Counter)
    identified: list[dict[str, Any]] = []
    with client.call(f"listing tasks of project {ref.id}"):
        for task in prj.iter_tasks(client, ref.id, include="id,data,total_annotations,cancelled_annotations,annotators",
                                   on_progress=on_progress):
            rnd = (task.get("data") or {}).get("round")
            identified.append({"id": task["id"], "data": {"item_id": (task.get("data") or {}).get("item_id")}})
            submitted, skipped = task.get("total_annotations") or 0, task.get("cancelled_annotations") or 0
            counts = by_round[rnd]
            counts["tasks"] += 1
            counts["started"] += bool(submitted or skipped)
            counts["done"] += submitted >= overlap
            counts["annotations"] += submitted
            counts["skipped"] += skipped
            for user in task.get("annotators") or []:
                touched[user][rnd] += 1
    emails = annotator_emails(client) if touched else {}
    rounds = [RoundProgress(rnd, c["tasks"], c["started"], c["done"], c["annotations"], c["skipped"])
              for rnd, c in sorted(by_round.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]
    annotators = [AnnotatorProgress(user, emails.get(user), sum(c.values()), dict(sorted(
                      c.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))))
                  for user, c in sorted(touched.items(), key=lambda kv: -sum(kv[1].values()))]
    return ProjectStatus(project_id=ref.id, project_title=ref.title, project_url=ref.url, schema=ref.schema,
                         overlap=overlap, tasks=sum(r.tasks for r in rounds), done=sum(r.done for r in rounds),
                         rounds=rounds, annotators=annotators, duplicates=summarise(group_by_item(identified)))
