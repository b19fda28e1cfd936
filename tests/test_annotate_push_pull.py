"""push / pull against the session's real Label Studio (library functions)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import connect
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.errors import InputError, SchemaError, StudioError
from empathykit.schemas import get_schema
from empathykit.table.columns import TIDY_COLUMNS, UNKNOWN_COLUMNS, decode_value, items_path, unknown_path

pytestmark = pytest.mark.studio

SEEK = get_schema("seek-provide")
TEXTS = [
    "I was diagnosed with cancer today and I am scared",
    "Sending love to everyone fighting cancer, you are not alone",
    "New study on cancer screening published",
    "Chemo again tomorrow, I just need someone to listen",
    "So sorry for your loss, thinking of you",
    "Walk for cancer research this Sunday",
]


def items(n=6, prefix="t"):
    return [{"item_id": f"{prefix}{i}", "text": TEXTS[i % len(TEXTS)] + f" #{i}"} for i in range(n)]


def test_round_trip_three_annotators(studio, tmp_path):
    title = studio.project_title("round trip")
    report = push(items(), schema="seek-provide", project=title, connection=studio.connection)
    assert (report.created, report.skipped, report.project_created) == (6, 0, True)
    tasks = studio.tasks(report.project_id)
    annotators = studio.make_annotators(3)
    labels = SEEK.field("empathy").labels
    expected = {}
    for k, annotator in enumerate(annotators):
        for i, task in enumerate(tasks):
            if k == 2 and i == 5:
                studio.submit(task["id"], [], annotator, was_cancelled=True, lead_time=1.0)
                expected[(task["data"]["item_id"], annotator.email)] = None
                continue
            label = labels[(i + k) % 3]
            studio.submit(task["id"], SEEK.to_results({"empathy": label}), annotator, lead_time=2.0 + k)
            expected[(task["data"]["item_id"], annotator.email)] = label

    out = tmp_path / "ann.parquet"
    pulled = pull(title, out=out, connection=studio.connection)
    frame = pd.read_parquet(out)
    assert list(frame.columns) == list(TIDY_COLUMNS)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]" and frame["updated_at"].notna().all()
    assert (pulled.annotations, pulled.rows, pulled.cancelled, pulled.unknown) == (18, 18, 1, 0)
    got = {
        (r.item_id, r.annotator_email): None if pd.isna(r.value) else decode_value(r.value) for r in frame.itertuples()
    }
    assert got == expected
    by_email = {a.email: a for a in annotators}
    assert all(by_email[r.annotator_email].id == r.annotator_id for r in frame.itertuples())
    skipped = frame[frame["was_cancelled"]]
    assert len(skipped) == 1 and skipped["value"].isna().all()
    assert sorted(frame.loc[~frame["was_cancelled"], "lead_time"].unique()) == [2.0, 3.0, 4.0]
    assert set(frame["field"]) == {"empathy"} and not frame["ground_truth"].any()
    assert (frame["project_id"] == report.project_id).all()
    assert not unknown_path(out).exists()
    item_table = pd.read_parquet(items_path(out))
    assert sorted(item_table["item_id"]) == sorted(i["item_id"] for i in items())
    assert set(item_table["text"]) == {i["text"] for i in items()}


def test_push_is_idempotent_and_reports_duplicates(studio):
    title = studio.project_title("idempotent")
    first = push(items(4) + items(2), schema="seek-provide", project=title, connection=studio.connection)
    assert (first.created, first.duplicates) == (4, 2)
    again = push(items(6), schema="seek-provide", project=title, connection=studio.connection)
    assert (again.created, again.skipped, again.project_created) == (2, 4, False)
    assert again.project_id == first.project_id
    ids = [t["data"]["item_id"] for t in studio.tasks(first.project_id)]
    assert sorted(ids) == sorted(f"t{i}" for i in range(6))


def test_ids_default_to_a_hash_of_the_inputs(studio):
    title = studio.project_title("hash ids")
    records = [{"text": t} for t in TEXTS[:3]]
    first = push(records, schema="seek-provide", project=title, connection=studio.connection)
    assert first.ids_from.startswith("hash") and first.created == 3
    assert push(records, schema="seek-provide", project=title, connection=studio.connection).created == 0


def test_a_missing_field_fails_before_anything_is_sent(studio):
    title = studio.project_title("invalid")
    records = items(5)
    records[3]["text"] = " "
    with pytest.raises(SchemaError, match=r"item 't3'.*'text'"):
        push(records, schema="seek-provide", project=title, connection=studio.connection)
    assert prj.find_project(connect(studio.connection), title) is None


def test_a_refused_batch_is_named_and_a_rerun_completes_it(studio):
    title = studio.project_title("refused batch")
    records = items(30)
    records[15]["text"] = {"not": "a string"}  # passes the schema, Label Studio answers 400
    with pytest.raises(StudioError, match=r"batch 2/3 \(items 't10'..'t19'\).*HTTP 400") as caught:
        push(records, schema="seek-provide", project=title, batch_size=10, connection=studio.connection)
    assert "re-run" in caught.value.hint
    records[15]["text"] = "fixed"
    rerun = push(records, schema="seek-provide", project=title, batch_size=10, connection=studio.connection)
    assert (rerun.created, rerun.skipped) == (20, 10)
    ids = [t["data"]["item_id"] for t in studio.tasks(rerun.project_id)]
    assert len(ids) == len(set(ids)) == 30


def test_rounds_continue_across_pushes(studio):
    title = studio.project_title("rounds")
    first = push(items(5), schema="seek-provide", project=title, round_size=2, connection=studio.connection)
    assert first.rounds == [1, 2, 3]
    second = push(
        items(3, prefix="new"), schema="seek-provide", project=title, round_size=2, connection=studio.connection
    )
    assert second.rounds == [4, 5]
    rounds = {t["data"]["item_id"]: t["data"]["round"] for t in studio.tasks(first.project_id)}
    assert rounds == {"t0": 1, "t1": 1, "t2": 2, "t3": 2, "t4": 3, "new0": 4, "new1": 4, "new2": 5}
    # re-pushing the first input keeps its numbering (nothing re-imported)
    assert push(items(5), schema="seek-provide", project=title, round_size=2, connection=studio.connection).rounds == [
        1,
        2,
        3,
    ]


def test_overlap_sets_maximum_annotations(studio):
    title = studio.project_title("overlap")
    report = push(items(3), schema="seek-provide", project=title, overlap=3, connection=studio.connection)
    project = studio.client().projects.get(report.project_id)
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (3, 100)
    overlaps = studio.client().tasks.list(project=report.project_id, fields="all")
    assert {t.overlap for t in overlaps} == {3}
    assert report.overlap == 3


def test_predictions_carry_model_version_and_score(studio):
    title = studio.project_title("predictions")
    records = [
        {**r, "guess": label, "conf": 0.25 * (i + 1)}
        for i, (r, label) in enumerate(zip(items(3), ["seeking", "providing", None], strict=True))
    ]
    with pytest.raises(InputError, match="model version"):
        push(records, schema="seek-provide", project=title, predictions_column="guess", connection=studio.connection)
    report = push(
        records,
        schema="seek-provide",
        project=title,
        predictions_column="guess",
        prediction_score_column="conf",
        model_version="lexicon-200",
        connection=studio.connection,
    )
    assert report.predictions == 2
    found = {}
    for task in studio.tasks(report.project_id):
        for prediction in studio.client().predictions.list(task=task["id"]):
            found[task["data"]["item_id"]] = (
                prediction.model_version,
                prediction.score,
                SEEK.parse_results(prediction.result)[0],
            )
    assert found == {
        "t0": ("lexicon-200", 0.25, {"empathy": "seeking"}),
        "t1": ("lexicon-200", 0.5, {"empathy": "providing"}),
    }
    assert "guess" not in studio.tasks(report.project_id)[0]["data"]


def test_a_prediction_with_an_unknown_label_is_refused_before_sending(studio):
    records = [{**items(1)[0], "guess": "sympathy"}]
    with pytest.raises(SchemaError, match=r"item 't0'.*'guess'.*sympathy"):
        push(
            records,
            schema="seek-provide",
            project=studio.project_title("bad prediction"),
            predictions_column="guess",
            model_version="m",
            connection=studio.connection,
        )


def test_gold_tasks_become_ground_truth(studio, tmp_path):
    title = studio.project_title("gold")
    records = [{**r, "gold": json.dumps({"empathy": "none"}) if i == 0 else None} for i, r in enumerate(items(3))]
    report = push(records, schema="seek-provide", project=title, gold_column="gold", connection=studio.connection)
    assert report.gold == 1
    assert studio.client().projects.get(report.project_id).annotator_evaluation_enabled is True
    (annotator,) = studio.make_annotators(1)
    first = studio.tasks(report.project_id)[0]
    studio.submit(first["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
    frame = pd.read_parquet(pull(title, out=tmp_path / "g.parquet", connection=studio.connection).out)
    gold = frame[frame["ground_truth"]]
    assert list(gold["item_id"]) == ["t0"] and decode_value(gold["value"].iloc[0]) == "none"
    assert list(frame.loc[~frame["ground_truth"], "annotator_email"]) == [annotator.email]


def test_incremental_pull_merges_changes(studio, tmp_path):
    title = studio.project_title("incremental")
    report = push(items(4), schema="seek-provide", project=title, connection=studio.connection)
    tasks = studio.tasks(report.project_id)
    a, b = studio.make_annotators(2)
    kept = studio.submit(tasks[0]["id"], SEEK.to_results({"empathy": "seeking"}), a)
    studio.submit(tasks[1]["id"], SEEK.to_results({"empathy": "none"}), a)
    out = tmp_path / "inc.parquet"
    first = pull(title, out=out, since_last=True, connection=studio.connection)
    assert (first.incremental, first.annotations, first.new_annotations) == (False, 2, 2)

    studio.update(kept["id"], SEEK.to_results({"empathy": "providing"}), a)
    studio.submit(tasks[2]["id"], SEEK.to_results({"empathy": "seeking"}), b)
    second = pull(title, out=out, since_last=True, connection=studio.connection)
    assert second.incremental
    assert (second.annotations, second.new_annotations, second.updated_annotations) == (3, 1, 1)
    merged = pd.read_parquet(out)
    full = pd.read_parquet(pull(title, out=tmp_path / "full.parquet", connection=studio.connection).out)
    pd.testing.assert_frame_equal(merged, full)
    assert decode_value(merged.loc[merged["annotation_id"] == kept["id"], "value"].iloc[0]) == "providing"

    third = pull(title, out=out, since_last=True, connection=studio.connection)
    assert (third.new_annotations, third.updated_annotations, third.annotations) == (0, 0, 3)
    pd.testing.assert_frame_equal(pd.read_parquet(out), full)


def test_results_the_schema_does_not_know_go_to_a_side_table(studio, tmp_path):
    title = studio.project_title("edited config")
    report = push(items(2), schema="seek-provide", project=title, connection=studio.connection)
    # someone edits the config in the UI: a new label and a new control
    edited = (
        SEEK.label_config()
        .replace('<Choice value="none"', '<Choice value="other"/>\n    <Choice value="none"')
        .replace("</View>", '  <TextArea name="note" toName="text"/>\n</View>')
    )
    studio.client().projects.update(report.project_id, label_config=edited)
    (annotator,) = studio.make_annotators(1)
    tasks = studio.tasks(report.project_id)
    odd = studio.submit(
        tasks[0]["id"],
        [
            {"from_name": "empathy", "to_name": "text", "type": "choices", "value": {"choices": ["other"]}},
            {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["unsure"]}},
        ],
        annotator,
    )
    studio.submit(tasks[1]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)

    out = tmp_path / "u.parquet"
    pulled = pull(title, out=out, connection=studio.connection)
    assert pulled.unknown == 2 and pulled.unknown_out == str(unknown_path(out))
    side = pd.read_parquet(unknown_path(out))
    assert list(side.columns) == list(UNKNOWN_COLUMNS)
    assert set(side["from_name"]) == {"empathy", "note"}
    assert set(side["annotation_id"]) == {odd["id"]} and set(side["annotator_email"]) == {annotator.email}
    assert set(side["task_id"]) == {tasks[0]["id"]}
    assert any("other" in reason for reason in side["reason"])
    frame = pd.read_parquet(out)
    assert frame.loc[frame["annotation_id"] == odd["id"], "value"].isna().all()
    assert decode_value(frame.loc[frame["task_id"] == tasks[1]["id"], "value"].iloc[0]) == "seeking"


def test_push_into_a_project_of_another_schema_is_refused(studio):
    title = studio.project_title("other schema")
    push(items(1), schema="seek-provide", project=title, connection=studio.connection)
    with pytest.raises(StudioError, match="holds schema 'seek-provide'"):
        push([{"item_id": "e", "text": "x"}], schema="emotion", project=title, connection=studio.connection)


def test_pull_of_a_missing_project_names_it(studio, tmp_path):
    with pytest.raises(StudioError, match="no project 'nope"):
        pull("nope " + studio.project_title("x"), out=tmp_path / "x.parquet", connection=studio.connection)


def test_schema_options_are_recorded_and_used_by_pull(studio, tmp_path):
    emolit = get_schema("emotion", labels="emolit")
    title = studio.project_title("emolit")
    report = push(
        [{"item_id": "e1", "text": "She laughed with relief"}],
        schema="emotion",
        schema_options={"labels": "emolit"},
        project=title,
        connection=studio.connection,
    )
    (annotator,) = studio.make_annotators(1)
    (task,) = studio.tasks(report.project_id)
    studio.submit(task["id"], emolit.to_results({"emotions": ["joy", "relief"], "sentiment": "positive"}), annotator)
    pulled = pull(title, out=tmp_path / "e.parquet", connection=studio.connection)  # no schema given
    assert pulled.schema == "emotion" and pulled.unknown == 0
    frame = pd.read_parquet(pulled.out)
    values = {r.field: decode_value(r.value) for r in frame.itertuples()}
    assert values == {"emotions": ["joy", "relief"], "sentiment": "positive"}


def test_a_released_data_set_pushes_with_its_schema_and_gold(studio, tmp_path):
    source = tmp_path / "emotional-reactions-reddit.csv"
    source.write_text(
        "sp_id,rp_id,seeker_post,response_post,level,rationales\n"
        "s1,r1,I lost my job and feel worthless,I am so sorry you are going through this.,2,so sorry|\n"
        "s2,r2,My cat died yesterday,Have you thought about getting another one?,0,\n",
        encoding="utf-8",
    )
    title = studio.project_title("epitome data set")
    report = push(
        f"epitome:{source}", schema=None, project=title, gold_column="reference", connection=studio.connection
    )
    assert (report.schema, report.created, report.gold) == ("epitome", 2, 2)
    data = studio.tasks(report.project_id)[0]["data"]
    assert data["response_post"].startswith("I am so sorry") and "reference" not in data
    frame = pd.read_parquet(pull(title, out=tmp_path / "ep.parquet", connection=studio.connection).out)
    assert frame["ground_truth"].all() and set(frame["item_id"]) == {
        t["data"]["item_id"] for t in studio.tasks(report.project_id)
    }


def test_push_refuses_a_title_label_studio_would_reject_before_sending(tmp_path):
    from empathykit.annotate.push import push
    from empathykit.errors import InputError

    # no connection is needed: the title is checked before anything is sent
    with pytest.raises(InputError, match="Label Studio takes 1 to 50"):
        push([{"item_id": "a", "text": "t"}], schema="seek-provide", project="x" * 51)
