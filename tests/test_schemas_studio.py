"""Schemas against a real Label Studio: every labeling config is accepted by
the server, and every schema survives push → three annotators → pull."""

from __future__ import annotations

import pytest

from empathykit.schemas import get_schema
from test_schemas import VARIANTS, ids  # tests/ is on sys.path (rootdir conftest)

pytestmark = pytest.mark.studio


@pytest.mark.parametrize("variant", VARIANTS, ids=ids)
def test_server_accepts_label_config(studio, variant):
    name, options = variant
    schema = get_schema(name, **options)
    client = studio.client()
    project = client.projects.create(title=studio.project_title(f"config {name}"),
                                     label_config=schema.label_config())
    stored = client.projects.get(project.id)
    assert stored.label_config == schema.label_config()
    # The server derived the same controls and input keys the schema declares.
    assert set(stored.parsed_label_config) == set(schema.field_names)
    for field in schema.fields:
        assert stored.parsed_label_config[field.name]["to_name"] == [field.to_name]
    annotated = {i["value"] for c in stored.parsed_label_config.values() for i in c["inputs"]}
    assert annotated <= set(schema.inputs)
    # Every input is a data key the server will demand of each imported task.
    with pytest.raises(Exception, match=f'"{schema.inputs[-1]}" key is expected in task data'):
        client.projects.import_tasks(id=project.id, request=[{k: "x" for k in schema.inputs[:-1]}])
    client.projects.import_tasks(id=project.id, request=[{k: "x" for k in schema.inputs}])
    client.projects.delete(project.id)


def test_server_rejects_a_broken_config(studio):
    """The acceptance above means something: a control pointing nowhere fails."""
    from label_studio_sdk.core.api_error import ApiError

    broken = get_schema("emotion").label_config().replace('toName="text"', 'toName="tweet"', 1)
    with pytest.raises(ApiError) as err:
        studio.client().projects.create(title=studio.project_title("broken"), label_config=broken)
    assert err.value.status_code == 400
