"""Schemas against a real Label Studio: every labeling config is accepted by
the server, and every schema survives push → three annotators → pull."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLES
from schema_variants import VARIANTS, ids  # tests/ is on sys.path (rootdir conftest)

from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.errors import SchemaError
from empathykit.releases.epitome import records_from_epitome
from empathykit.releases.readers import records_from_emolit
from empathykit.schemas import get_schema
from empathykit.schemas.base import Schema
from empathykit.table.columns import TIDY_COLUMNS, decode_value, unknown_path

pytestmark = pytest.mark.studio


@pytest.mark.parametrize("variant", VARIANTS, ids=ids)
def test_server_accepts_label_config(studio, variant):
    name, options = variant
    schema = get_schema(name, **options)
    client = studio.client()
    project = client.projects.create(title=studio.project_title(f"config {name}"), label_config=schema.label_config())
    stored = client.projects.get(project.id)
    assert stored.label_config == schema.label_config()
    # The server derived the same controls and input keys the schema declares.
    assert set(stored.parsed_label_config) == set(schema.field_names)
    for field in schema.fields:
        assert stored.parsed_label_config[field.name]["to_name"] == [field.to_name]
    annotated = {i["value"] for c in stored.parsed_label_config.values() for i in c["inputs"]}
    assert annotated <= set(schema.inputs)
    # Every input is a data key the server will demand of each imported task.
    from label_studio_sdk.core.api_error import ApiError

    with pytest.raises(ApiError, match=f'"{schema.inputs[-1]}" key is expected in task data'):
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


# -- round trip: push, three annotators, pull ------------------------------------------
DATA = SAMPLES  # cuts of the releases


def _story(n: int) -> str:
    return (
        f"Story {n}: when my father fell ill I moved back home.\n"
        f"At first I felt trapped and angry; by winter I was grateful for the time we had. “Ça va”, he said."
    )


def items_for(name: str) -> list[dict]:
    """Three items per schema, from the real data sets where the toolkit reads them."""
    if name == "epitome":
        return records_from_epitome(DATA / "epitome" / "sample_input_ER.csv")[:3]
    if name == "emotion":
        return records_from_emolit(DATA / "emolit" / "test.csv")[:3]
    if name == "seek-provide":
        return [
            {"item_id": f"t{n}", "text": text}
            for n, text in enumerate(
                [
                    "Chemo starts tomorrow and I'm terrified",
                    "Sending love to everyone fighting cancer <3",
                    "New study on cancer screening <URL>",
                ]
            )
        ]
    if name == "story-features":
        return [{"item_id": f"s{n}", "story": _story(n)} for n in range(3)]
    return [
        {
            "item_id": f"p{n}",
            "story_a": _story(n),
            "story_b": _story(n + 10),
            "story_a_summary": f"Narrator A cares for a sick father ({n}).",
            "story_b_summary": f"Narrator B loses a job ({n}).",
        }
        for n in range(3)
    ]


def typed_values(schema: Schema, data: dict, k: int) -> dict:
    """Valid typed values for every field of ``schema``, different for each
    annotator ``k``: choices, several choices, ratings across the scale,
    multi-line free text, spans with offsets into the task's text (annotator
    2 highlights nothing)."""
    values: dict = {}
    for i, f in enumerate(schema.fields):
        if f.kind == "choice":
            values[f.name] = f.labels[(k + i) % len(f.labels)]
        elif f.kind == "multichoice":
            picked = {f.labels[(k + i) % len(f.labels)], f.labels[(k + i + 3) % len(f.labels)]}
            values[f.name] = sorted(picked, key=f.labels.index)
        elif f.kind == "rating":
            low, high = f.scale
            values[f.name] = low + (k + i) % (high - low + 1)
        elif f.kind == "text":
            values[f.name] = f"Annotator {k} on {f.name}: “why”\nand a second line ✓"
        elif f.kind == "spans" and k != 2:
            text = data[f.to_name]
            cuts = [(0, min(len(text), 4 + i)), (len(text) // 2, min(len(text), len(text) // 2 + 3 + k))]
            values[f.name] = [{"start": s, "end": e, "text": text[s:e], "label": f.labels[0]} for s, e in cuts]
    return values


@pytest.fixture(scope="module")
def annotators(studio):
    """Three annotator accounts shared by the round trips (sign-up is slow);
    every test has its own project."""
    return studio.make_annotators(3, prefix="schemas")


ROUND_TRIPS = [
    ("epitome", {}),
    ("seek-provide", {}),
    ("story-pair", {"show": "summary"}),
    ("story-features", {}),
    ("emotion", {"labels": "emolit"}),
]


@pytest.mark.parametrize("variant", ROUND_TRIPS, ids=ids)
def test_round_trip_three_annotators(studio, annotators, tmp_path, variant):
    name, options = variant
    schema = get_schema(name, **options)
    title = studio.project_title(f"round trip {name}")
    report = push(items_for(name), schema=name, schema_options=options, project=title, connection=studio.connection)
    assert report.created == 3
    tasks = studio.tasks(report.project_id)

    expected = {}  # annotation id -> (task id, annotator, lead time, values or None when skipped)
    unknown_result = {
        "from_name": "mood",
        "to_name": schema.fields[0].to_name,
        "type": "choices",
        "value": {"choices": ["calm"]},
    }
    for t, task in enumerate(tasks):
        for k, annotator in enumerate(annotators):
            lead = 3.5 + t + k / 4
            if (t, k) == (2, 1):
                made = studio.submit(task["id"], [], annotator, lead_time=lead, was_cancelled=True)
                expected[made["id"]] = (task["id"], annotator, lead, None)
                continue
            values = typed_values(schema, task["data"], k)
            results = schema.to_results(values)
            if (t, k) == (0, 2):
                results.append(unknown_result)  # a control edited into the config in the UI
            made = studio.submit(task["id"], results, annotator, lead_time=lead)
            expected[made["id"]] = (task["id"], annotator, lead, values)

    out = tmp_path / f"{name}.parquet"
    pulled = pull(title, out=out, connection=studio.connection)
    assert pulled.schema == name and pulled.annotations == 9 and pulled.cancelled == 1
    table = pq.read_table(out)
    assert table.column_names == list(TIDY_COLUMNS)
    assert table.num_rows == 9 * len(schema.fields)
    by_annotation: dict[int, list[dict]] = {}
    for row in table.to_pylist():
        by_annotation.setdefault(row["annotation_id"], []).append(row)
    assert set(by_annotation) == set(expected)
    item_of = {task["id"]: task["data"]["item_id"] for task in tasks}
    for annotation_id, rows in by_annotation.items():
        task_id, annotator, lead, values = expected[annotation_id]
        for row in rows:
            assert (row["task_id"], row["item_id"]) == (task_id, item_of[task_id])
            assert (row["annotator_id"], row["annotator_email"]) == (annotator.id, annotator.email)
            assert row["lead_time"] == pytest.approx(lead)
            assert row["ground_truth"] is False and row["was_cancelled"] is (values is None)
            assert row["created_at"] <= row["updated_at"]
        got = {row["field"]: decode_value(row["value"]) for row in rows}
        assert list(got) == list(schema.field_names)
        if values is None:  # skipped: one row per field, no value
            assert set(got.values()) == {None}
            continue
        want = {f.name: values.get(f.name, [] if f.kind == "spans" else None) for f in schema.fields}
        assert got == want

    # The unknown control is reported with task and annotator, never dropped.
    side = pd.read_parquet(unknown_path(out))
    assert len(side) == 1
    row = side.iloc[0]
    assert (row["task_id"], row["annotator_email"], row["from_name"]) == (tasks[0]["id"], annotators[2].email, "mood")
    assert json.loads(row["result"])["value"] == {"choices": ["calm"]}
    assert "unknown field 'mood'" in row["reason"]


@pytest.mark.parametrize(
    "name, options, drop",
    [
        ("epitome", {}, "response_post"),
        ("story-pair", {}, "story_b"),
        ("story-features", {}, "story"),
        ("emotion", {}, "text"),
        ("seek-provide", {}, "text"),
    ],
)
def test_push_of_an_item_missing_a_field_sends_nothing(studio, name, options, drop):
    items = items_for(name)
    items[1] = {k: v for k, v in items[1].items() if k != drop}
    title = studio.project_title(f"missing {name}")
    with pytest.raises(SchemaError) as err:
        push(items, schema=name, schema_options=options, project=title, connection=studio.connection)
    assert f"item {items[1]['item_id']!r}: missing field {drop!r}" in str(err.value)
    assert not [p for p in studio.client().projects.list(title=title) if p.title == title]


def test_epitome_release_as_gold_tasks(studio, tmp_path):
    """The release's levels and rationale spans, pushed as ground truth, come
    back exactly: offsets into the real responses survive Label Studio."""
    records = records_from_epitome(DATA / "epitome" / "emotional-reactions-reddit.csv", on_problem=lambda p: None)
    several = [r for r in records if len(r["reference"].get("emotional_reactions_rationales", [])) >= 2]
    markup = [r for r in records if "&" in r["response_post"] and r["reference"].get("emotional_reactions_rationales")]
    records = [several[0], several[1], markup[0]]
    title = studio.project_title("epitome gold")
    report = push(
        records,
        schema="epitome",
        schema_options={"mechanisms": ["ER"]},
        project=title,
        gold_column="reference",
        connection=studio.connection,
    )
    assert report.gold == 3
    tasks = studio.tasks(report.project_id)
    assert all("reference" not in task["data"] for task in tasks)  # annotators never see it
    out = tmp_path / "gold.parquet"
    pulled = pull(title, out=out, connection=studio.connection)
    assert pulled.ground_truth == 3
    got: dict[str, dict] = {}
    for row in pq.read_table(out).to_pylist():
        assert row["ground_truth"] is True
        got.setdefault(row["item_id"], {})[row["field"]] = decode_value(row["value"])
    assert got == {r["item_id"]: r["reference"] for r in records}
