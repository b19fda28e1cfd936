"""Never two project deletes at once; `annotate status` checks the task counters (issue 20, point 7).

Label Studio's project delete unhooks the server's model signal handlers while
it runs; two overlapping deletes leave them unhooked and annotations stop
updating the task counters. The first test forces a creation race with three
concurrent pushes and watches every project delete the guard issues; the
second breaks a throw-away real server on purpose (two deletes at once) and
checks that `annotate status` notices and says the fix.
"""

from __future__ import annotations

import threading
import time

import pytest
from typer.testing import CliRunner

from empathykit.annotate import projects as prj
from empathykit.annotate.push import push
from empathykit.annotate.status import project_status
from empathykit.cli.main import app
from empathykit.schemas import get_schema
from tests.concurrency import items, run_together, titled
from tests.conftest import start_studio

pytestmark = pytest.mark.studio

SEEK = get_schema("seek-provide")
RUNS = 3
ATTEMPTS = 6


def test_twins_of_concurrent_pushes_are_deleted_one_at_a_time(studio, monkeypatch):
    title = studio.project_title("twins")
    created = threading.Barrier(RUNS, timeout=60)
    deletes: list[tuple[str, float, float]] = []
    real_create, real_delete = prj.create_project, prj.delete_project

    def create_then_wait(*args, **kwargs):  # every run creates before any run looks again: twins for sure
        ref = real_create(*args, **kwargs)
        created.wait()
        return ref

    def watched_delete(client, project_id):
        began = time.monotonic()
        time.sleep(0.3)  # a delete as slow as one of a large project: overlaps cannot hide in a few ms
        real_delete(client, project_id)
        deletes.append((threading.current_thread().name, began, time.monotonic()))

    monkeypatch.setattr(prj, "create_project", create_then_wait)
    monkeypatch.setattr(prj, "delete_project", watched_delete)
    reports = run_together(
        [
            lambda: push(items(0, 20), schema="seek-provide", project=title, batch_size=5, connection=studio.connection)
            for _ in range(RUNS)
        ]
    )

    winner = reports[0].project_id
    assert titled(studio, title) == [winner] and {r.project_id for r in reports} == {winner}
    assert len(deletes) >= RUNS - 1  # Label Studio sometimes makes two projects for one create
    spans = sorted((began, ended) for _, began, ended in deletes)
    assert all(ended <= next_began for (_, ended), (next_began, _) in zip(spans, spans[1:])), spans
    # the server still counts annotations
    task = studio.tasks(winner)[0]
    studio.submit(task["id"], SEEK.to_results({"empathy": "seeking"}), studio.make_annotators(1)[0])
    assert studio.client().tasks.get(task["id"]).total_annotations == 1


def _delete_two_at_once(handle, size: int) -> None:
    """Two projects of ``size`` tasks deleted by two requests released together."""
    sdk = handle.client()
    ids = []
    for n in range(2):
        project = sdk.projects.create(title=handle.project_title(f"doomed {n}"))
        sdk.projects.import_tasks(project.id, request=[{"data": {"text": f"t{i}"}} for i in range(size)])
        ids.append(project.id)
    run_together([lambda project_id=project_id: sdk.projects.delete(project_id) for project_id in ids])


@pytest.mark.slow
def test_status_says_when_the_counters_stop_after_two_deletes_at_once(tmp_path):
    """On a throw-away server: it stays broken until restarted."""
    from empathykit.studio import server

    handle = start_studio(tmp_path / "studio", record=False)
    try:
        title = handle.project_title("after two deletes")
        report = push(items(0, ATTEMPTS), schema="seek-provide", project=title, connection=handle.connection)
        annotator = handle.make_annotators(1)[0]
        tasks = handle.tasks(report.project_id)
        # the two deletes must overlap in time: on a quiet machine a pair of small projects can be
        # deleted one after the other, so each try deletes larger projects (longer deletes overlap more)
        for attempt, task in enumerate(tasks[:ATTEMPTS]):
            _delete_two_at_once(handle, 600 * (attempt + 1))
            handle.submit(task["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
            if handle.client().tasks.get(task["id"]).total_annotations == 0:
                break
        else:
            pytest.fail(f"{ATTEMPTS} pairs of simultaneous deletes never left the counters stuck")
        status = project_status(title, connection=handle.connection)
        assert status.counters.tasks == 1 and status.counters.examples[0] == (task["id"], 0, 1)
        result = CliRunner().invoke(app, ["annotate", "status", "-p", title], env=handle.env())
        text = " ".join(result.output.split())
        assert result.exit_code == 0, text
        assert "counters disagree" in text and f"task {task['id']}" in text and "restart the server" in text
    finally:
        server.stop(state_dir=handle.state_dir)


def test_status_of_a_healthy_server_reports_no_counter_problem(studio):
    title = studio.project_title("counted")
    report = push(items(0, 3), schema="seek-provide", project=title, connection=studio.connection)
    a, b = studio.make_annotators(2)
    tasks = studio.tasks(report.project_id)
    studio.submit(tasks[0]["id"], SEEK.to_results({"empathy": "seeking"}), a)
    studio.submit(tasks[0]["id"], [], b, was_cancelled=True)
    studio.submit(tasks[1]["id"], SEEK.to_results({"empathy": "none"}), b)
    status = project_status(title, connection=studio.connection)
    assert status.counters.tasks == 0
    assert sum(r.annotations for r in status.rounds) == 2 and sum(r.skipped for r in status.rounds) == 1
