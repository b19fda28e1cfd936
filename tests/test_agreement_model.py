"""A model as a rater beside the annotators (``agreement compute --model-predictions``), checked by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.agreement.model_rater import model_agreement
from empathykit.cli.main import app
from empathykit.errors import AgreementError, StudioError
from empathykit.schemas import get_schema

SEEK = get_schema("seek-provide")
VOTES = {  # item: (round, annotator A, annotator B)
    "i1": (1, "seeking", "seeking"),
    "i2": (1, "none", "seeking"),
    "i3": (2, "seeking", "none"),
    "i4": (2, "none", "none"),
}
MODEL = {"i1": "seeking", "i2": "none", "i3": "none", "i4": "none"}


def _table() -> pd.DataFrame:
    rows, number = [], 0
    for item, (rnd, a, b) in VOTES.items():
        for annotator, value in ((1, a), (2, b)):
            number += 1
            rows.append(
                {
                    "project_id": 1,
                    "task_id": int(item[1:]),
                    "item_id": item,
                    "round": rnd,
                    "annotation_id": number,
                    "annotator_id": annotator,
                    "annotator_email": f"a{annotator}@x.org",
                    "field": "empathy",
                    "value": json.dumps(value),
                    "was_cancelled": False,
                    "ground_truth": False,
                }
            )
    rows.append(
        {
            **rows[-1],
            "annotation_id": 99,
            "annotator_id": 3,
            "item_id": "i3",
            "value": json.dumps("seeking"),
            "ground_truth": True,
        }
    )
    rows.append(
        {**rows[0], "annotation_id": 100, "annotator_id": 2, "item_id": "i4", "value": None, "was_cancelled": True}
    )  # a skip counts for nothing
    return pd.DataFrame(rows)


def test_model_against_each_annotator_the_majority_and_gold_by_hand():
    predictions = pd.DataFrame({"item_id": list(MODEL), "prediction": list(MODEL.values())})
    result = model_agreement(_table(), predictions, SEEK, model_version="m-1")
    overall = result["rounds"]["all"]
    # A vs model: 3 of 4 agree, p_e = .5*.25 + .5*.75 = .5 -> kappa (.75 - .5) / .5 = .5; B the same
    assert [(a["annotator_id"], a["units"], a["kappa"], a["percent"]) for a in overall["annotators"]] == [
        (1, 4, pytest.approx(0.5), 0.75),
        (2, 4, pytest.approx(0.5), 0.75),
    ]
    # majority: i2 and i3 tie (left out); i1 seeking, i4 none: both agree -> kappa 1
    assert overall["majority"] == {"units": 2, "kappa": pytest.approx(1.0), "percent": 1.0}
    assert overall["gold"] == {"units": 1, "kappa": pytest.approx(0.0), "percent": 0.0}
    # round 1: A agrees twice (kappa 1); B once, with p_e = 1 * .5 -> kappa 0
    assert [a["kappa"] for a in result["rounds"]["1"]["annotators"]] == [pytest.approx(1.0), pytest.approx(0.0)]
    assert result["model_version"] == "m-1" and result["items_predicted"] == 4


def test_cli_adds_the_model_apart_from_the_humans(tmp_path):
    _table().to_parquet(tmp_path / "ann.parquet")
    pd.DataFrame(
        {"item_id": list(MODEL), "prediction": list(MODEL.values()), "prediction_score": [0.9] * 4}
    ).to_parquet(tmp_path / "pred.parquet")
    result = CliRunner().invoke(
        app,
        [
            "agreement",
            "compute",
            str(tmp_path / "ann.parquet"),
            "-s",
            "seek-provide",
            "-b",
            "0",
            "-o",
            str(tmp_path / "agr.json"),
            "--model-predictions",
            str(tmp_path / "pred.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "agr.json").read_text())
    assert written["model"]["model_version"] == "pred"
    assert written["model"]["rounds"]["all"]["majority"]["kappa"] == pytest.approx(1.0)
    assert "model pred" in result.output
    with pytest.raises(AgreementError, match="need the columns item_id and prediction"):
        model_agreement(_table(), pd.DataFrame({"item_id": ["i1"], "label": ["none"]}), SEEK)


@pytest.mark.studio
def test_the_predictions_stored_on_the_project_are_the_model_rater(studio_env, tmp_path):
    """Pre-labels pushed with the items are read back from Label Studio (``--model-predictions project``) and give
    the by-hand figures above; a newer model's prediction of an item replaces the older one."""
    from empathykit.annotate.pull import pull
    from empathykit.annotate.push import push
    from empathykit.annotate.stored_predictions import stored_predictions

    items = [{"item_id": item, "text": f"text of {item}", "prediction": MODEL[item]} for item in VOTES]
    report = push(
        items,
        schema=SEEK,
        project=studio_env.project_title("model rater"),
        predictions_column="prediction",
        model_version="m-1",
        connection=studio_env.connection,
    )
    a, b = studio_env.make_annotators(2)
    tasks = {t["data"]["item_id"]: t["id"] for t in studio_env.tasks(report.project_id)}
    for item, (_, first, second) in VOTES.items():
        studio_env.submit(tasks[item], SEEK.to_results({"empathy": first}), a)
        studio_env.submit(tasks[item], SEEK.to_results({"empathy": second}), b)
    out = tmp_path / "ann.parquet"
    pull(report.project_id, out=out, connection=studio_env.connection)
    rows = stored_predictions(report.project_id, SEEK, connection=studio_env.connection)
    assert {(r["item_id"], r["prediction"], r["model_version"]) for r in rows} == {
        (item, label, "m-1") for item, label in MODEL.items()
    }
    result = CliRunner().invoke(
        app,
        [
            "agreement",
            "compute",
            str(out),
            "-b",
            "0",
            "-o",
            str(tmp_path / "agr.json"),
            "--model-predictions",
            "project",
        ],
        env=studio_env.env(),
    )
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "agr.json").read_text())["model"]
    assert model["model_version"] == "m-1" and model["items_predicted"] == 4
    assert [(x["units"], x["kappa"], x["percent"]) for x in model["rounds"]["all"]["annotators"]] == [
        (4, pytest.approx(0.5), 0.75),
        (4, pytest.approx(0.5), 0.75),
    ]
    # a later model says "seeking" for i4: the newest prediction of an item counts
    studio_env.client().predictions.create(
        task=tasks["i4"], model_version="m-2", result=SEEK.to_results({"empathy": "seeking"})
    )
    newest = {
        r["item_id"]: (r["prediction"], r["model_version"])
        for r in stored_predictions(report.project_id, SEEK, connection=studio_env.connection)
    }
    assert newest["i4"] == ("seeking", "m-2") and newest["i1"] == ("seeking", "m-1")
    only = stored_predictions(report.project_id, SEEK, model_version="m-2", connection=studio_env.connection)
    assert [r["item_id"] for r in only] == ["i4"]
    with pytest.raises(StudioError, match="no stored predictions .* by model 'm-9'; it holds predictions of"):
        stored_predictions(report.project_id, SEEK, model_version="m-9", connection=studio_env.connection)
