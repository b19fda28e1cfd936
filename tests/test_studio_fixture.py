"""The session fixture itself: accounts, submission as an annotator."""

from __future__ import annotations

import pytest

from empathykit.schemas import get_schema

pytestmark = pytest.mark.studio


def test_annotators_submit_as_themselves(studio):
    schema = get_schema("seek-provide")
    client = studio.client()
    project = client.projects.create(title=studio.project_title("fixture"), label_config=schema.label_config())
    client.projects.import_tasks(project.id, request=[{"text": "I feel alone", "item_id": "a"}])
    (task,) = studio.tasks(project.id)
    a, b = studio.make_annotators(2)
    assert a.email != b.email and a.api_key and a.password
    made = studio.submit(task["id"], schema.to_results({"empathy": "seeking"}), a, lead_time=3.5)
    skipped = studio.submit(task["id"], [], b, was_cancelled=True)
    assert made["completed_by"] == a.id and skipped["completed_by"] == b.id
    assert skipped["was_cancelled"] is True
    assert made["lead_time"] == pytest.approx(3.5)
    updated = studio.update(made["id"], schema.to_results({"empathy": "none"}), a)
    assert updated["result"][0]["value"]["choices"] == ["none"]
