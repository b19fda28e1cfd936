"""``annotate status``: progress of a project per round and per annotator.

Read from the Data Manager task list (no annotation bodies), so it stays fast
on large projects. A task is *done* when it holds ``overlap`` submitted
annotations (``maximum_annotations``; skips do not count, ground-truth
annotations do, as in Label Studio's own "completed" state). Items present
on more than one task are counted, with the first examples (``duplicates``).

The task counters are checked against the annotations themselves: each
row's ``total_annotations + cancelled_annotations`` (kept by the server's
signal handlers) must equal the number of stored annotations
(``annotations_ids``, read from the annotation table). They disagree when the
server's handlers are off, as after two project deletes at the same moment
(see ``concurrency.py``); ``counters`` says on how many tasks, with examples.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from empathykit.annotate import projects as prj
from empathykit.annotate.concurrency import annotation_count
from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.duplicates import DuplicateItems, group_by_item, summarise
from empathykit.annotate.pull import annotator_emails
from empathykit.progress import Progress


@dataclass
class RoundProgress:
    round: int | None
    tasks: int
    started: int  # tasks with at least one annotation or skip
    done: int  # tasks with `overlap` submitted annotations
    annotations: int  # submitted (not skipped)
    skipped: int


@dataclass
class AnnotatorProgress:
    annotator_id: int
    email: str | None
    tasks: int  # tasks they annotated or skipped
    per_round: dict[Any, int] = field(default_factory=dict)


@dataclass
class CounterCheck:
    """Tasks whose counters disagree with their stored annotations."""

    tasks: int = 0
    examples: list[tuple[int, int, int]] = field(default_factory=list)  # (task id, counted, stored)

    def add(self, task_id: int, counted: int, stored: int) -> None:
        self.tasks += 1
        if len(self.examples) < 3:
            self.examples.append((task_id, counted, stored))


COUNTER_FIX = (
    "Label Studio stopped updating its task counters (as after two project deletes at the same moment): "
    "restart the server (the local one: `empathykit studio stop` then `empathykit studio start`), then "
    "recount with `label-studio calculate_stats_all_orgs --from-scratch` in its environment"
)


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
    counters: CounterCheck = field(default_factory=CounterCheck)


def project_status(
    project: str | int, *, connection: Connection | None = None, on_progress: Progress | None = None
) -> ProjectStatus:
    client = connect(connection)
    ref = prj.require_project(client, project)
    overlap = ref.maximum_annotations or 1
    by_round: dict[Any, Counter] = defaultdict(Counter)
    touched: dict[int, Counter] = defaultdict(Counter)
    identified: list[dict[str, Any]] = []
    counters = CounterCheck()
    fields = "id,data,total_annotations,cancelled_annotations,annotators,annotations_ids"
    with client.call(f"listing tasks of project {ref.id}"):
        for task in prj.iter_tasks(client, ref.id, include=fields, on_progress=on_progress):
            rnd = (task.get("data") or {}).get("round")
            identified.append({"id": task["id"], "data": {"item_id": (task.get("data") or {}).get("item_id")}})
            submitted, skipped = task.get("total_annotations") or 0, task.get("cancelled_annotations") or 0
            stored = annotation_count(task)
            if stored != submitted + skipped:
                counters.add(task["id"], submitted + skipped, stored)
            counts = by_round[rnd]
            counts["tasks"] += 1
            counts["started"] += bool(submitted or skipped)
            counts["done"] += submitted >= overlap
            counts["annotations"] += submitted
            counts["skipped"] += skipped
            for user in task.get("annotators") or []:
                touched[user][rnd] += 1
    emails = annotator_emails(client) if touched else {}
    rounds = [
        RoundProgress(rnd, c["tasks"], c["started"], c["done"], c["annotations"], c["skipped"])
        for rnd, c in sorted(by_round.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    annotators = [
        AnnotatorProgress(
            user, emails.get(user), sum(c.values()), dict(sorted(c.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))
        )
        for user, c in sorted(touched.items(), key=lambda kv: -sum(kv[1].values()))
    ]
    return ProjectStatus(
        project_id=ref.id,
        project_title=ref.title,
        project_url=ref.url,
        schema=ref.schema,
        overlap=overlap,
        tasks=sum(r.tasks for r in rounds),
        done=sum(r.done for r in rounds),
        rounds=rounds,
        annotators=annotators,
        duplicates=summarise(group_by_item(identified)),
        counters=counters,
    )
