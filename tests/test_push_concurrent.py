"""Concurrent pushes duplicate nothing; status reports duplicates; dedupe removes them safely.

Against the session's real Label Studio: parallel pushes are threads of this
process talking to the server over HTTP, exactly as separate machines would
(no shared state but the server).
"""

from __future__ import annotations

from collections import Counter

import pytest
from typer.testing import CliRunner

from empathykit.annotate.duplicates import dedupe
from empathykit.annotate.push import push
from empathykit.annotate.status import project_status
from empathykit.cli.main import app
from empathykit.schemas import get_schema
from tests.concurrency import items, run_together, titled

pytestmark = pytest.mark.studio

SEEK = get_schema("seek-provide")


def test_parallel_pushes_of_overlapping_inputs_make_one_project_with_each_item_once(studio):
    title = studio.project_title("concurrent")
    inputs = [items(0, 240), items(60, 300), items(0, 300)]
    reports = run_together(
        [
            lambda chunk=chunk: push(
                chunk, schema="seek-provide", project=title, batch_size=15, connection=studio.connection
            )
            for chunk in inputs
        ]
    )
    assert titled(studio, title) == [reports[0].project_id]
    assert {r.project_id for r in reports} == {reports[0].project_id}
    counts = Counter(t["data"]["item_id"] for t in studio.tasks(reports[0].project_id))
    assert set(counts) == {f"c{i}" for i in range(300)}
    assert max(counts.values()) == 1
    # the reports add up: each item created by exactly one run
    assert sum(r.created for r in reports) == 300
    assert sum(r.project_created for r in reports) <= 1  # 0 when the winner is a twin whose creator got an error


def test_parallel_pushes_into_an_existing_project_import_each_item_once(studio):
    title = studio.project_title("concurrent-existing")
    first = push(items(0, 1), schema="seek-provide", project=title, connection=studio.connection)
    reports = run_together(
        [
            lambda chunk=chunk: push(
                chunk, schema="seek-provide", project=title, batch_size=10, connection=studio.connection
            )
            for chunk in (items(0, 200), items(0, 200))
        ]
    )
    counts = Counter(t["data"]["item_id"] for t in studio.tasks(first.project_id))
    assert len(counts) == 200 and max(counts.values()) == 1
    assert sum(r.created for r in reports) == 199


def plant(studio, project_id, item_ids):
    """Import copies of items directly with the SDK (as another tool would)."""
    answer = studio.client().projects.import_tasks(
        project_id, request=[{"data": {"item_id": i, "text": f"copy of {i}"}} for i in item_ids], return_task_ids=True
    )
    return list(answer.task_ids)


def test_status_reports_items_present_more_than_once(studio):
    title = studio.project_title("dup-status")
    report = push(items(0, 10), schema="seek-provide", project=title, connection=studio.connection)
    plant(studio, report.project_id, ["c2", "c5", "c5"])
    status = project_status(title, connection=studio.connection)
    assert (status.tasks, status.duplicates.items, status.duplicates.extra_tasks) == (13, 2, 3)
    examples = dict(status.duplicates.examples)
    assert len(examples["c5"]) == 3 and len(examples["c2"]) == 2
    assert examples["c2"] == sorted(examples["c2"])


def test_dedupe_deletes_unannotated_copies_reports_annotated_ones_and_is_idempotent(studio):
    title = studio.project_title("dedupe")
    report = push(items(0, 8), schema="seek-provide", project=title, connection=studio.connection)
    originals = {t["data"]["item_id"]: t["id"] for t in studio.tasks(report.project_id)}
    copies = plant(studio, report.project_id, ["c1", "c1", "c3", "c4"])
    annotator = studio.make_annotators(1)[0]
    studio.submit(copies[2], SEEK.to_results({"empathy": "seeking"}), annotator)  # the copy of c3 is annotated
    # a skip by the admin through the SDK: Label Studio leaves the task's counters at 0 here
    studio.client().annotations.create(id=copies[1], result=[], was_cancelled=True)

    dry = dedupe(title, dry_run=True, connection=studio.connection)
    assert sorted(dry.deleted) == sorted([copies[0], copies[3]])
    assert len(studio.tasks(report.project_id)) == 12  # nothing deleted by a dry run

    done = dedupe(title, connection=studio.connection)
    assert sorted(done.deleted) == sorted([copies[0], copies[3]])
    assert done.annotated == [("c1", copies[1]), ("c3", copies[2])]
    left = {t["id"] for t in studio.tasks(report.project_id)}
    assert left == set(originals.values()) | {copies[1], copies[2]}  # earliest kept; annotated copies never deleted

    again = dedupe(title, connection=studio.connection)
    assert again.deleted == [] and again.annotated == done.annotated
    assert {t["id"] for t in studio.tasks(report.project_id)} == left


def test_status_and_dedupe_commands_say_it(studio_env):
    title = studio_env.project_title("dedupe-cli")
    report = push(items(0, 4), schema="seek-provide", project=title, connection=studio_env.connection)
    plant(studio_env, report.project_id, ["c0"])

    def said(*args):
        result = CliRunner().invoke(app, ["annotate", *args, "-p", title])
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())  # the console wraps long lines

    status = said("status")
    assert "1 items are on more than one task" in status and "'c0'" in status
    assert "would delete 1 " in said("dedupe", "--dry-run")
    assert "deleted 1 " in said("dedupe")
    assert len(studio_env.tasks(report.project_id)) == 4
