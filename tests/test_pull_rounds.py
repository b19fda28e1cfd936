"""``annotate pull --since-last`` across rounds whose items carry different columns and value types
(a first round pushed from Parquet, later rounds chosen by next-round from a CSV pool): every
incremental pull merges, into one items schema that a full pull of the same project also gives."""

from __future__ import annotations

import pandas as pd
import pytest

from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.schemas import get_schema
from empathykit.table.columns import items_path

SEEK = get_schema("seek-provide")


def round_items(number: int) -> list[dict]:
    """Round 1: bool ``is_quote`` and int ``likes``, as collect writes them; round 2: next-round's
    columns, ``is_quote`` missing on some items; round 3: every value text, as a CSV pool reads."""
    rows = []
    for i in range(3):
        item = {"item_id": f"r{number}-{i}", "text": f"round {number} text {i}"}
        if number == 1:
            item.update(is_quote=bool(i % 2), likes=i)
        elif number == 2:
            item.update(al_rank=i + 1, al_score=0.5 + i / 10, al_strategy="uncertainty", prediction="seeking")
            if i:
                item["is_quote"] = i == 1
        else:
            item.update(is_quote=str(i == 0), likes=f"{i * 1.5}")
        rows.append(item)
    return rows


@pytest.mark.studio
def test_incremental_pulls_across_three_rounds_keep_one_items_schema(studio, project_dir, tmp_path):
    title = studio.project_title("three rounds")
    (annotator,) = studio.make_annotators(1)
    out = tmp_path / "annotations.parquet"
    for number in (1, 2, 3):
        report = push(
            round_items(number),
            schema="seek-provide",
            project=title,
            first_round=number,
            round_size=3,
            connection=studio.connection,
        )
        for task in studio.tasks(report.project_id):
            if task["data"]["round"] == number:
                studio.submit(task["id"], SEEK.to_results({"empathy": "none"}), annotator)
        pulled = pull(title, out=out, since_last=True, connection=studio.connection)
        assert pulled.annotations == 3 * number and pulled.incremental == (number > 1)
    merged = pd.read_parquet(items_path(out))
    full = pull(title, out=tmp_path / "full.parquet", connection=studio.connection)
    everything = pd.read_parquet(items_path(full.out))
    pd.testing.assert_frame_equal(merged, everything)
    assert sorted(merged["round"]) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    quotes = dict(zip(merged["item_id"], merged["is_quote"]))
    assert quotes["r1-1"] == "true" and quotes["r3-0"] == "True" and pd.isna(quotes["r2-0"])
