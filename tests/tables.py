"""Tidy annotation tables for tests (the layout ``annotate pull`` writes), shared by the
agreement, export and CLI tests: import from here, not from another test module."""

from __future__ import annotations

from itertools import count

import numpy as np
import pandas as pd

from empathykit.table.columns import TIDY_COLUMNS, encode_value


class Table:
    """Builds tidy annotation rows; every row gets a fresh annotation id and a later time."""

    def __init__(self):
        self.rows: list[dict] = []
        self._ids = count(1)

    def add(
        self,
        item,
        annotator,
        values: dict,
        *,
        round=1,
        cancelled=False,
        gold=False,
        email=None,
        lead_time=5.0,
        annotation_id=None,
    ):
        annotation = annotation_id or next(self._ids)
        moment = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=len(self.rows) + 1)
        for name, value in values.items():
            self.rows.append(
                {
                    "project_id": 1,
                    "task_id": hash(item) % 10_000,
                    "item_id": str(item),
                    "round": round,
                    "annotation_id": annotation,
                    "annotator_id": annotator,
                    "annotator_email": email or f"a{annotator}@example.org",
                    "field": name,
                    "value": None if cancelled or value is None else encode_value(value),
                    "was_cancelled": cancelled,
                    "ground_truth": gold,
                    "lead_time": lead_time,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        return annotation

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=list(TIDY_COLUMNS))
        frame["round"] = frame["round"].astype("Int64")
        return frame


def seek_table() -> Table:
    table = Table()
    labels = ["seeking", "providing", "none"]
    for item in range(30):
        truth = labels[item % 3]
        for annotator in (1, 2, 3):
            label = truth if (item + annotator) % 4 else labels[(item + 1) % 3]
            table.add(f"t{item:02d}", annotator, {"empathy": label}, round=1 + item // 15)
    return table


#: the seek-provide labels of :func:`make_votes`
LABELS = ("seeking", "providing", "none")


def make_votes(n: int = 60, seed: int = 3) -> dict[str, list[str]]:
    """Three annotators' seek-provide labels per item: the first two agree on the truth, the third
    half the time."""
    rng = np.random.default_rng(seed)
    votes = {}
    for i in range(n):
        truth = LABELS[i % 3]
        other = LABELS[(i + 1) % 3]
        votes[f"t{i:03d}"] = [truth, truth, other if rng.random() < 0.5 else truth]
    return votes


def tidy_rows(votes: dict[str, list[str | None]], field: str = "empathy") -> pd.DataFrame:
    """Tidy annotations from ``{item_id: [label of annotator 1, 2, 3]}`` (None = skipped)."""
    rows = []
    annotation_id = 0
    for task_id, (item_id, labels) in enumerate(sorted(votes.items())):
        for annotator, label in enumerate(labels, start=1):
            annotation_id += 1
            rows.append(
                {
                    "project_id": 1,
                    "task_id": task_id,
                    "item_id": item_id,
                    "round": 1,
                    "annotation_id": annotation_id,
                    "annotator_id": annotator,
                    "annotator_email": f"a{annotator}@example.org",
                    "field": field,
                    "value": None if label is None else encode_value(label),
                    "was_cancelled": label is None,
                    "ground_truth": False,
                    "lead_time": 3.5,
                    "created_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=annotation_id),
                    "updated_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=annotation_id),
                }
            )
    frame = pd.DataFrame(rows)
    assert list(frame.columns) == list(TIDY_COLUMNS)
    return frame
