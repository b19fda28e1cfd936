"""Pull reads one export snapshot: the streamed JSON reader, and the clean-up
of the snapshot and of the view an incremental pull filters through."""

from __future__ import annotations

import io
import json

import pytest

from empathykit.annotate.connection import connect
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.annotate.snapshot import iter_json_array
from empathykit.errors import StudioError
from empathykit.schemas import get_schema

SEEK = get_schema("seek-provide")


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 20])
def test_json_array_reads_every_object_across_block_boundaries(block):
    tasks = [
        {"id": i, "text": "é]}," * (i % 13), "annotations": [{"result": [{"value": {"choices": ["]"]}}]}]}
        for i in range(300)
    ]
    for raw in (json.dumps(tasks), json.dumps(tasks, indent=2, ensure_ascii=False)):
        assert list(iter_json_array(io.BytesIO(raw.encode()), block=block)) == tasks
    assert list(iter_json_array(io.BytesIO(b" [ ]\n"), block=block)) == []


@pytest.mark.parametrize("raw", [b'[{"id": 1}, {"id": 2', b'{"id": 1}', b""])
def test_json_array_refuses_a_truncated_or_non_array_snapshot(raw):
    with pytest.raises(StudioError, match="snapshot"):
        list(iter_json_array(io.BytesIO(raw), block=4))


@pytest.mark.studio
def test_pull_leaves_no_snapshot_or_view_behind(studio, tmp_path):
    title = studio.project_title("snapshot-clean-up")
    report = push(
        [{"item_id": f"s{i}", "text": f"text {i}"} for i in range(3)],
        schema="seek-provide",
        project=title,
        connection=studio.connection,
    )
    tasks = studio.tasks(report.project_id)
    (annotator,) = studio.make_annotators(1)
    studio.submit(tasks[0]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
    out = tmp_path / "clean.parquet"
    first = pull(title, out=out, since_last=True, connection=studio.connection)
    studio.submit(tasks[1]["id"], SEEK.to_results({"empathy": "none"}), annotator)
    second = pull(title, out=out, since_last=True, connection=studio.connection)
    assert (first.annotations, second.incremental, second.new_annotations) == (1, True, 1)

    client = connect(studio.connection)
    assert client.request("GET", f"/api/projects/{report.project_id}/exports/").json() == []
    views = client.request("GET", "/api/dm/views/", params={"project": report.project_id}).json()
    assert [view for view in views if view["project"] == report.project_id] == []


@pytest.mark.studio
def test_since_last_with_nothing_changed_takes_no_snapshot_and_keeps_the_outputs(studio, tmp_path, monkeypatch):
    from empathykit.annotate.connection import StudioClient
    from empathykit.table.columns import items_path

    title = studio.project_title("nothing-changed")
    report = push(
        [{"item_id": f"n{i}", "text": f"text {i}"} for i in range(4)],
        schema="seek-provide",
        project=title,
        connection=studio.connection,
    )
    tasks = studio.tasks(report.project_id)
    (annotator,) = studio.make_annotators(1)
    made = studio.submit(tasks[0]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
    studio.submit(tasks[1]["id"], [], annotator, was_cancelled=True)
    out = tmp_path / "same.parquet"
    first = pull(title, out=out, since_last=True, connection=studio.connection)
    before = {path: path.read_bytes() for path in (out, items_path(out))}

    requests = []
    original = StudioClient.request
    monkeypatch.setattr(
        StudioClient,
        "request",
        lambda self, method, path, **kw: requests.append((method, path)) or original(self, method, path, **kw),
    )
    again = pull(title, out=out, since_last=True, connection=studio.connection)
    assert [r for r in requests if r[0] != "GET"] == []  # no snapshot built, no view created
    assert (again.incremental, again.tasks_fetched, again.new_annotations) == (True, 0, 0)
    assert (
        (again.annotations, again.rows, again.cancelled)
        == (first.annotations, first.rows, first.cancelled)
        == (2, 2, 1)
    )
    assert {path: path.read_bytes() for path in before} == before

    # an edit right after the pull (inside the checkpoint's margin) is still found
    studio.update(made["id"], SEEK.to_results({"empathy": "providing"}), annotator)
    third = pull(title, out=out, since_last=True, connection=studio.connection)
    assert (third.updated_annotations, third.annotations) == (1, 2)
