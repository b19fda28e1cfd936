"""Whether the people have annotated the round the loop waits for.

Read from the Data Manager task list (counters, no annotation bodies), so a re-run that only
looks costs one listing and changes nothing. A task of the round is *done* when it holds
``overlap`` annotations or skips (``total_annotations + cancelled_annotations``): a skip is the
annotator's answer too, and a task everyone skips must not hold the loop forever. The round is
complete when every task is done, or ``min_done`` of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import Connection, connect
from empathykit.errors import InputError

FIELDS = "id,data,total_annotations,cancelled_annotations,annotators"


@dataclass
class RoundProgress:
    round: int | None
    tasks: int
    done: int
    annotators: int  # accounts that annotated or skipped a task of the round
    overlap: int
    needed: int  # tasks that must be done before the loop goes on

    @property
    def complete(self) -> bool:
        return self.tasks > 0 and self.done >= self.needed

    def line(self, *, waiting: bool = False) -> str:
        """``round 2: 120 of 200 tasks done, 3 annotators active`` and what to do next."""
        named = f"round {self.round}" if self.round is not None else "the project"
        people = f"{self.annotators} annotator{'' if self.annotators == 1 else 's'} active"
        head = f"{named}: {self.done} of {self.tasks} tasks done, {people}"
        if self.needed < self.tasks:
            head += f" ({self.needed} needed)"
        if self.tasks == 0:
            return f"{named}: no tasks in the project yet; push a round first"
        return head + ("; waiting" if waiting else "; re-run when done, or --wait")


def check_min_done(min_done: float | None) -> None:
    if min_done is not None and not 0 < min_done <= 1:
        raise InputError(f"--min-done is the fraction of a round's tasks that must be done, in (0, 1]; got {min_done}")


def round_progress(
    project: str | int,
    round_number: int | None,
    *,
    overlap: int | None = None,
    min_done: float | None = None,
    connection: Connection | None = None,
) -> RoundProgress:
    """Progress of ``round_number`` of the project (None: its newest round; tasks without a round
    number count as round 1). ``overlap`` None: the project's own setting."""
    check_min_done(min_done)
    client = connect(connection)
    ref = prj.require_project(client, project)
    overlap = overlap or ref.maximum_annotations or 1
    with client.call(f"listing tasks of project {ref.id}"):
        tasks = list(prj.iter_tasks(client, ref.id, include=FIELDS))
    numbered = [(_round_of(t), t) for t in tasks]
    if round_number is None:
        round_number = max((r for r, _ in numbered), default=None)
    mine = [t for r, t in numbered if r == round_number]
    done = sum((t.get("total_annotations") or 0) + (t.get("cancelled_annotations") or 0) >= overlap for t in mine)
    people = {user for t in mine for user in (t.get("annotators") or [])}
    needed = len(mine) if min_done is None else math.ceil(min_done * len(mine))
    return RoundProgress(round_number, len(mine), done, len(people), overlap, needed)


def _round_of(task: dict) -> int:
    value = (task.get("data") or {}).get("round")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 1
