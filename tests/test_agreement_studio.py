"""The adjudication loop against a real Label Studio: three annotators disagree,
the disagreements go to an adjudication project (every answer shown), an
adjudicator decides, the decisions come back and become final in export."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.agreement.adjudicate import ANSWERS_KEY, find_disagreements, pull_adjudications, push_adjudication
from empathykit.agreement.compute import compute_agreement
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.exports.hf import export_dataset
from empathykit.schemas import get_schema
from empathykit.table.agreement import Settings
from empathykit.table.columns import decode_value

pytestmark = pytest.mark.studio

SCHEMA = get_schema("seek-provide")
LABELS = ("seeking", "providing", "none")
TEXTS = [
    "Chemo starts tomorrow and I'm terrified",
    "Sending love to everyone fighting cancer <3",
    "New study on cancer screening <URL>",
    "My mum finished radiotherapy today, so proud of her",
    "Does anyone else feel numb after a diagnosis?",
    "Free screening this weekend at the clinic <URL>",
]
# annotators' labels per item; items 0-2 disagree (item 0 is a three-way tie)
VOTES = [
    ("seeking", "providing", "none"),
    ("providing", "providing", "seeking"),
    ("none", "seeking", "none"),
    ("providing", "providing", "providing"),
    ("seeking", "seeking", "seeking"),
    ("none", "none", "none"),
]


def annotated_project(studio, tmp_path, name):
    items = [{"item_id": f"t{i}", "text": text} for i, text in enumerate(TEXTS)]
    report = push(items, schema=SCHEMA, project=studio.project_title(name), connection=studio.connection)
    annotators = studio.make_annotators(3)
    for task in studio.tasks(report.project_id):
        votes = VOTES[int(task["data"]["item_id"][1:])]
        for account, label in zip(annotators, votes):
            studio.submit(task["id"], SCHEMA.to_results({"empathy": label}), account)
    out = tmp_path / "annotations.parquet"
    pull(report.project_id, out=out, connection=studio.connection)
    return out, annotators


def test_adjudication_loop(studio, project_dir, tmp_path):
    out, annotators = annotated_project(studio, tmp_path, "agreement loop")

    result = compute_agreement(out, SCHEMA, settings=Settings(n_boot=100))
    codes = np.array([[LABELS.index(v) for v in votes] for votes in VOTES], dtype=float).T
    expected = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    assert result.fields["empathy"].coefficients["krippendorff_alpha"].value == pytest.approx(expected)
    emails = {a.email for a in annotators}
    assert {v.email for v in result.annotators.values()} == emails

    disagreements = find_disagreements(out, SCHEMA)
    assert sorted(disagreements["item_id"]) == ["t0", "t1", "t2"]
    title = studio.project_title("adjudication")
    items = out.with_name("annotations.items.parquet")
    pushed = push_adjudication(out, SCHEMA, items=items, project=title, connection=studio.connection)
    assert (pushed.created, pushed.predictions) == (3, 9)
    again = push_adjudication(out, SCHEMA, items=items, project=title, connection=studio.connection)
    assert (again.created, again.skipped, again.predictions) == (0, 3, 0)

    client = studio.client()
    tasks = {t["data"]["item_id"]: t for t in studio.tasks(pushed.project_id)}
    assert set(tasks) == {"t0", "t1", "t2"}
    panel = tasks["t1"]["data"][ANSWERS_KEY]
    assert "DISAGREE" in panel and all(email in panel for email in emails)
    assert tasks["t1"]["data"]["text"] == TEXTS[1]
    predictions = client.predictions.list(project=pushed.project_id)
    by_task: dict[int, dict[str, str]] = {}
    for p in predictions:
        values, unknown = SCHEMA.parse_results(p.result)
        assert not unknown
        by_task.setdefault(p.task, {})[p.model_version] = values["empathy"]
    assert by_task[tasks["t2"]["id"]] == {a.email: label for a, label in zip(annotators, VOTES[2])}

    adjudicator = studio.make_annotators(1, prefix="adjudicator")[0]
    decisions = {"t0": "seeking", "t1": "providing", "t2": "none"}
    for item, label in decisions.items():
        studio.submit(tasks[item]["id"], SCHEMA.to_results({"empathy": label}), adjudicator)
    target = tmp_path / "adjudications.parquet"
    pulled = pull_adjudications(pushed.project_id, SCHEMA, out=target, connection=studio.connection)
    assert (pulled.items, pulled.rows, pulled.adjudicators) == (3, 3, [adjudicator.email])
    table = pd.read_parquet(target)
    assert list(table.columns[:4]) == ["item_id", "field", "value", "adjudicator"]
    assert {i: decode_value(v) for i, v in zip(table["item_id"], table["value"])} == decisions

    # adjudication is final in export: the three-way tie on t0 is resolved
    report = export_dataset(out, "seek-provide", tmp_path / "export", adjudicated=target)
    assert report.adjudicated == 3 and report.ties == 0
    # and it is the reference agreement uses when given
    with_reference = compute_agreement(out, SCHEMA, adjudications=target, settings=Settings(n_boot=0))
    assert with_reference.fields["empathy"].reference["adjudicated"] == 3


def test_cli_disagreements_push_and_adjudicated(studio_env, project_dir, tmp_path):
    out, _ = annotated_project(studio_env, tmp_path, "agreement cli")
    runner = CliRunner()
    title = studio_env.project_title("cli adjudication")
    table = tmp_path / "disagreements.csv"
    result = runner.invoke(
        app, ["agreement", "disagreements", str(out), "--out", str(table), "--push", "--project", title]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(table)) == 3
    assert "3 tasks created" in result.output and "9 answers added as predictions" in result.output
    project = studio_env.client().projects.list(title=title)
    project_id = next(iter(project)).id
    target = tmp_path / "adjudications.parquet"
    result = runner.invoke(app, ["agreement", "adjudicated", "--project", title, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert f"nothing adjudicated yet: none of the 3 tasks in {title!r}" in " ".join(result.output.split())
    adjudicator = studio_env.make_annotators(1, prefix="adjudicator")[0]
    for task in studio_env.tasks(project_id):
        studio_env.submit(task["id"], SCHEMA.to_results({"empathy": "none"}), adjudicator)
    result = runner.invoke(app, ["agreement", "adjudicated", "--project", title, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(v) for v in pd.read_parquet(target)["value"]) == ["none"] * 3
