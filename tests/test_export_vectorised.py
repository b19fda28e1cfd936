"""The group-by aggregation gives exactly the per-item loop's table (ties flagged, ratings, adjudications, gaps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathykit.exports.aggregate import aggregate
from empathykit.schemas import get_schema
from empathykit.schemas.base import Field, Schema
from empathykit.table.columns import TIDY_COLUMNS, encode_value

LABELS = ("seeking", "providing", "none")
SCHEMA = Schema(
    name="mixed",
    title="mixed",
    instructions="",
    inputs=("text",),
    fields=(
        Field("empathy", "choice", "nominal", "text", labels=LABELS),
        Field("intensity", "rating", "ordinal", "text", scale=(1, 5)),
        Field("note", "choice", "nominal", "text", labels=("a", "b")),
    ),
    config_template='<View><Text name="text" value="$text"/><!-- name="empathy" name="intensity" name="note" --></View>',
)


def random_tidy(seed: int, n_items: int = 80) -> pd.DataFrame:
    """Random votes from 1-4 annotators, some skipped, some annotated twice, ratings on part of the items."""
    rng = np.random.default_rng(seed)
    rows, aid = [], 0
    for item in rng.permutation(n_items):
        for annotator in range(1, rng.integers(1, 5) + 1):
            for _ in range(1 + (rng.random() < 0.15)):  # a re-annotation: the later one counts
                aid += 1
                cancelled = bool(rng.random() < 0.1)
                fields = [("empathy", LABELS[rng.integers(3)])]
                if item % 3:
                    fields.append(("intensity", int(rng.integers(1, 6))))
                for name, value in fields:
                    rows.append(
                        {
                            "project_id": 1,
                            "task_id": int(item),
                            "item_id": f"i{item:03d}",
                            "round": 1,
                            "annotation_id": aid,
                            "annotator_id": annotator,
                            "annotator_email": f"a{annotator}@x.org",
                            "field": name,
                            "value": None if cancelled else encode_value(value),
                            "was_cancelled": cancelled,
                            "ground_truth": False,
                            "lead_time": 1.0,
                            "created_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=aid),
                            "updated_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=aid),
                        }
                    )
    return pd.DataFrame(rows)[list(TIDY_COLUMNS)]


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_equals_the_loop_on_random_tables(seed):
    tidy = random_tidy(seed)
    adjudicated = pd.DataFrame(
        {
            "item_id": ["i001", "i004", "i999"],
            "field": ["empathy", "intensity", "empathy"],
            "value": [encode_value("none"), encode_value(2), encode_value("seeking")],
        }
    )
    for schema in (SCHEMA, get_schema("seek-provide")):
        data = tidy if schema is SCHEMA else tidy[tidy["field"] == "empathy"]
        for adj in (None, adjudicated[adjudicated["field"] == "empathy"] if schema is not SCHEMA else adjudicated):
            loop = aggregate(data, schema, adj, vectorised=False)
            fast = aggregate(data, schema, adj)
            pd.testing.assert_frame_equal(fast, loop)
            assert loop["empathy_tie"].any() and (~loop["empathy_tie"]).any()  # both cases exercised


def test_spans_fall_back_to_the_loop():
    from tables import tidy_rows

    tidy = tidy_rows({"a": [[{"start": 0, "end": 3, "label": "r", "text": "abc"}]] * 3}, field="rationale")
    from empathykit.exports.vectorised import aggregate_vectorised

    schema = Schema(
        name="s",
        title="s",
        instructions="",
        inputs=("text",),
        fields=(Field("rationale", "spans", "spans", "text", labels=("r",)),),
        config_template='<View><Text name="text" value="$text"/><!-- name="rationale" --></View>',
    )
    assert aggregate_vectorised(tidy, schema, {}) is None
    assert aggregate(tidy, schema)["rationale"][0] == [{"start": 0, "end": 3, "text": "abc", "label": "r"}]
