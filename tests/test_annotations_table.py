"""One reader of the annotations table (issue 8, point 4).

A task created in Label Studio by other means (imported through the SDK, no
``item_id`` in its data) is the same item ``task:<task_id>`` for agreement,
the adjudication round and export; today export dropped it."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.agreement.adjudicate import find_disagreements
from empathykit.agreement.compute import compute_agreement
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.schemas import get_schema
from empathykit.table import annotations as table
from empathykit.table.agreement import Settings

SCHEMA = get_schema("seek-provide")
TEXTS = [
    "Chemo starts tomorrow and I'm terrified",
    "Sending love to everyone fighting cancer <3",
    "New study on cancer screening <URL>",
    "My mum finished radiotherapy today, so proud of her",
    "Does anyone else feel numb after a diagnosis?",
    "Free screening this weekend at the clinic <URL>",
    "Anyone know a good oncologist in Leeds?",
    "You are not alone, we are here for you",
    "Hospital parking prices up again",
    "Stay strong, the first week is the hardest",
]
MAJORITY = ["seeking", "providing", "none", "providing", "seeking", "none", "seeking", "providing", "none", "providing"]
IMPORTED = "Scan results tomorrow, can't sleep. Anyone been through this?"


@pytest.mark.studio
def test_a_task_without_item_id_is_one_item_everywhere(studio, project_dir, tmp_path):
    items = [{"item_id": f"t{i}", "text": text} for i, text in enumerate(TEXTS)]
    report = push(items, schema=SCHEMA, project=studio.project_title("no item id"), connection=studio.connection)
    studio.client().projects.import_tasks(report.project_id, request=[{"text": IMPORTED}])
    annotators = studio.make_annotators(3)
    imported_id = None
    for task in studio.tasks(report.project_id):
        if "item_id" not in task["data"]:
            imported_id = task["id"]
            votes = ("seeking", "seeking", "none")  # a majority and a disagreement
        else:
            votes = (MAJORITY[int(task["data"]["item_id"][1:])],) * 3
        for account, label in zip(annotators, votes):
            studio.submit(task["id"], SCHEMA.to_results({"empathy": label}), account)
    assert imported_id is not None
    unit = f"task:{imported_id}"
    out = tmp_path / "annotations.parquet"
    pull(report.project_id, out=out, connection=studio.connection)

    result = compute_agreement(out, settings=Settings(n_boot=0))
    assert result.input.items == len(TEXTS) + 1
    disagreements = find_disagreements(out, SCHEMA)
    assert disagreements["item_id"].tolist() == [unit]

    cli = CliRunner().invoke(app, ["export", str(out), "-o", str(tmp_path / "export")])
    assert cli.exit_code == 0, cli.output
    rows = pd.concat(
        [
            pd.read_parquet(tmp_path / "export" / "seek-provide" / f"{s}.parquet")
            for s in ("train", "validation", "test")
        ]
    )
    names = SCHEMA.field("empathy").labels
    exported = {row.item_id: (names[row.label], row.text) for row in rows.itertuples()}
    assert exported[unit] == ("seeking", IMPORTED)
    assert len(exported) == len(TEXTS) + 1
    assert [exported[f"t{i}"][0] for i in range(len(TEXTS))] == MAJORITY


def test_normalisation_of_item_ids_and_annotators():
    frame = pd.DataFrame(
        {
            "item_id": ["a", None, ""],
            "task_id": [1, 2, 3],
            "annotation_id": [10, 11, 12],
            "annotator_id": [5, None, 6],
            "field": ["empathy"] * 3,
            "value": ['"none"'] * 3,
            "was_cancelled": [False, False, None],
        }
    )
    tidy = table.normalise(frame)
    assert tidy["item_id"].tolist() == ["a", "task:2", "task:3"]
    assert tidy["annotator_id"].tolist() == [5, -1, 6]
    items = table.normalise_items(pd.DataFrame({"item_id": ["a", None], "task_id": [1, 2], "text": ["x", "y"]}))
    assert items["item_id"].tolist() == ["a", "task:2"]


def test_the_later_annotation_counts():
    stamps = pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-02"], utc=True)
    frame = pd.DataFrame(
        {
            "item_id": ["a"] * 3,
            "field": ["empathy"] * 3,
            "annotator_id": [1, 1, 1],
            "annotation_id": [7, 9, 8],
            "updated_at": stamps,
            "value": ['"seeking"', '"none"', '"providing"'],
            "was_cancelled": [False] * 3,
        }
    )
    # latest updated_at wins; between equal stamps the higher annotation id
    assert table.latest_annotations(frame)["value"].tolist() == ['"providing"']
