"""The ledger a push leaves behind: a re-push reads ids and counts, not the project's tasks, and
still sees every task deleted or changed in between."""

from __future__ import annotations

import pytest

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import connect
from empathykit.annotate.push import push

pytestmark = pytest.mark.studio


def _items(n: int) -> list[dict]:
    return [{"item_id": f"l{i}", "text": f"text number {i}"} for i in range(n)]


@pytest.fixture
def tasks_read(monkeypatch):
    """Every task the push lists from Label Studio (the slow part of its API)."""
    seen: list[dict] = []
    original = prj.iter_tasks

    def spy(*args, **kwargs):
        for task in original(*args, **kwargs):
            seen.append(task)
            yield task

    monkeypatch.setattr(prj, "iter_tasks", spy)
    return seen


def test_a_re_push_reads_no_task_when_nothing_changed(studio, project_dir, tasks_read):
    title = studio.project_title("ledger-same")
    first = push(_items(40), schema="seek-provide", project=title, batch_size=15, connection=studio.connection)
    assert (first.created, first.batches) == (40, 3)
    assert tasks_read == []  # this run's own tasks are known from the import answers
    again = push(_items(40), schema="seek-provide", project=title, connection=studio.connection)
    assert (again.created, again.skipped) == (0, 40)
    assert tasks_read == []
    assert list((project_dir / "push").glob("ledger-*.json"))


def test_a_re_push_sees_tasks_deleted_and_changed_since(studio, project_dir, tasks_read):
    title = studio.project_title("ledger-changed")
    report = push(_items(30), schema="seek-provide", project=title, connection=studio.connection)
    tasks = {t["data"]["item_id"]: t["id"] for t in studio.tasks(report.project_id)}
    client = connect(studio.connection)
    client.request("DELETE", f"/api/tasks/{tasks['l3']}/")
    again = push(_items(30), schema="seek-provide", project=title, connection=studio.connection)
    assert (again.created, again.skipped) == (1, 29)  # the count differed: the project was read whole
    assert len(tasks_read) == 29

    tasks_read.clear()
    client.request("PATCH", f"/api/tasks/{tasks['l5']}/", json={"data": {"item_id": "renamed", "text": "x"}})
    third = push(_items(30), schema="seek-provide", project=title, connection=studio.connection)
    assert (third.created, third.skipped) == (1, 29)  # l5 is gone under its old id, so it is pushed again
    assert 1 <= len(tasks_read) < 29  # only what changed since the last push
    items = sorted(t["data"]["item_id"] for t in studio.tasks(report.project_id))
    assert items == sorted([f"l{i}" for i in range(30)] + ["renamed"])


def test_a_ledger_that_cannot_be_saved_leaves_the_push_whole(studio, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the project folder would be\n")
    monkeypatch.setenv("EMPATHYKIT_DIR", str(blocker / ".empathykit"))
    title = studio.project_title("ledger-unsaved")
    report = push(_items(5), schema="seek-provide", project=title, connection=studio.connection)
    again = push(_items(6), schema="seek-provide", project=title, connection=studio.connection)
    assert (report.created, again.created, again.skipped) == (5, 1, 5)
