"""Library and CLI tests of `export`: aggregation, splits, DatasetDict round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tables import LABELS, tidy_rows  # tests/ is on sys.path (rootdir conftest)
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import ExportError
from empathykit.exports.aggregate import aggregate, majority, majority_spans
from empathykit.exports.hf import export_dataset
from empathykit.exports.splits import stratified_split
from empathykit.schemas import get_schema
from empathykit.table.columns import encode_value


def test_majority_flags_ties_never_resolves_them():
    assert majority(["a", "a", "b"]) == ("a", False)
    assert majority(["a", "b"]) == (None, True)
    assert majority([]) == (None, False)


def test_span_majority_is_character_level():
    spans = [
        [{"start": 0, "end": 10, "text": "0123456789", "label": "r"}],
        [{"start": 5, "end": 12, "text": "56789ab", "label": "r"}],
        [{"start": 20, "end": 25, "text": "kkkkk", "label": "r"}],
    ]
    assert majority_spans(spans) == [{"start": 5, "end": 10, "text": "56789", "label": "r"}]


def test_later_annotation_of_same_annotator_counts():
    frame = tidy_rows({"x": ["seeking", "none", "none"]})
    again = frame.iloc[[0]].assign(
        annotation_id=99, value=encode_value("none"), updated_at=pd.Timestamp("2027-01-01", tz="UTC")
    )
    agg = aggregate(pd.concat([frame, again]), get_schema("seek-provide"))
    assert agg.loc[0, "empathy"] == "none" and agg.loc[0, "n_annotators"] == 3


def test_stratified_split_is_seeded_and_keeps_proportions():
    labels = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    first = stratified_split(labels, seed=7)
    assert (first == stratified_split(labels, seed=7)).all()
    assert not (first == stratified_split(labels, seed=8)).all()
    for label, size in (("a", 50), ("b", 30), ("c", 20)):
        counts = pd.Series(first[labels == label]).value_counts()
        assert counts["train"] == round(0.8 * size)
        assert counts["validation"] == round(0.1 * size)
        assert counts["test"] == size - round(0.8 * size) - round(0.1 * size)
    with pytest.raises(ExportError, match="sum"):
        stratified_split(labels, (0.5, 0.1, 0.1))


def test_export_round_trips_through_load_dataset(annotated, tmp_path):
    import pyarrow.parquet as pq
    from datasets import ClassLabel, load_dataset

    from empathykit import exports

    annotations, votes = annotated
    report = export_dataset(annotations, "seek-provide", tmp_path / "out", seed=1)
    assert report.ties == 2 and report.items_annotated == len(votes)
    assert sum(report.split_sizes.values()) == len(votes) - 2

    loaded = exports.load(tmp_path / "out", task="seek-provide").dataset
    assert set(loaded) == {"train", "validation", "test"}
    assert not (tmp_path / "out" / "dataset").exists() and not (tmp_path / "out" / "parquet").exists()
    hub = load_dataset(str(tmp_path / "out"), "seek-provide")
    assert isinstance(loaded["train"].features["label"], ClassLabel)
    assert loaded["train"].features["label"].names == list(LABELS)
    for split in loaded:
        parquet = pq.read_table(tmp_path / "out" / "seek-provide" / f"{split}.parquet")
        assert parquet.to_pylist() == loaded[split].to_list() == hub[split].to_list()
        for row in loaded[split]:
            expected, tie = majority([v for v in votes[row["item_id"]] if v])
            assert not tie
            assert LABELS[row["label"]] == expected
            assert row["text"] == f"text of {row['item_id']}"
    ties = pd.read_parquet(tmp_path / "out" / "ties.parquet")
    assert sorted(ties["item_id"]) == ["tie1", "tie2"]
    meta = json.loads((tmp_path / "out" / "export.json").read_text())
    assert meta["split_sizes"] == report.split_sizes


def test_export_is_idempotent_and_leaves_no_temp_files(annotated, tmp_path):
    annotations, _ = annotated
    out = tmp_path / "out"
    export_dataset(annotations, "seek-provide", out, seed=1)
    first = pd.read_parquet(out / "seek-provide" / "train.parquet")
    export_dataset(annotations, "seek-provide", out, seed=1)
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "seek-provide" / "train.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ann.items.parquet", "ann.parquet", "out"]


def test_adjudication_is_final_and_clears_ties(annotated, tmp_path):
    annotations, _ = annotated
    adjudicated = tmp_path / "adj.parquet"
    pd.DataFrame(
        {
            "item_id": ["tie1", "t000"],
            "field": ["empathy", "empathy"],
            "value": [encode_value("providing"), encode_value("none")],
        }
    ).to_parquet(adjudicated)
    report = export_dataset(annotations, "seek-provide", tmp_path / "out", adjudicated=adjudicated)
    assert report.ties == 1 and report.adjudicated == 2
    from empathykit import exports

    rows = {
        r["item_id"]: r for split in exports.load(tmp_path / "out", task="seek-provide").dataset.values() for r in split
    }
    assert LABELS[rows["tie1"]["label"]] == "providing" and rows["tie1"]["adjudicated"]
    assert LABELS[rows["t000"]["label"]] == "none"


def test_export_errors_say_what_was_expected(annotated, tmp_path):
    annotations, _ = annotated
    with pytest.raises(ExportError, match="no items table"):
        export_dataset(annotations, "seek-provide", tmp_path / "o", items=tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(bad)
    with pytest.raises(ExportError, match="bad.parquet is not an annotation table"):
        export_dataset(bad, "seek-provide", tmp_path / "o", items=tmp_path / "ann.items.parquet")
    items = tmp_path / "few.parquet"
    pd.DataFrame({"item_id": ["t000"], "text": ["x"]}).to_parquet(items)
    with pytest.raises(ExportError, match="no row in the items table"):
        export_dataset(annotations, "seek-provide", tmp_path / "o", items=items)


def test_cli_export_and_error_boundary(annotated, tmp_path):
    annotations, _ = annotated
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(annotations), "--out", str(tmp_path / "cli"), "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "seek-provide" / "train.parquet").exists()
    result = runner.invoke(app, ["export", str(annotations), "--schema", "nope", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "unknown schema 'nope'" in result.output and "Traceback" not in result.output


def test_export_multichoice_and_span_schemas(tmp_path):
    """Targets that are not single choices: emotions (multichoice) and EPITOME with rationales."""
    from empathykit import exports
    from empathykit.exports.aggregate import aggregate

    emotion = get_schema("emotion")
    rows = []
    for i in range(10):
        for annotator, chosen in enumerate((["joy", "trust"], ["joy"], ["fear"] if i % 2 else ["joy", "trust"]), 1):
            for field, value in (("emotions", chosen), ("sentiment", "positive")):
                rows.append(
                    {
                        "item_id": f"e{i}",
                        "annotator_id": annotator,
                        "field": field,
                        "value": encode_value(value),
                        "was_cancelled": False,
                        "annotation_id": i * 10 + annotator,
                        "updated_at": pd.Timestamp("2026-01-01", tz="UTC"),
                    }
                )
    tidy = pd.DataFrame(rows)
    agg = aggregate(tidy, emotion).set_index("item_id")
    assert agg.loc["e0", "emotions"] == ["joy", "trust"] and agg.loc["e1", "emotions"] == ["joy"]
    tidy.to_parquet(tmp_path / "emo.parquet")
    pd.DataFrame({"item_id": [f"e{i}" for i in range(10)], "text": ["t"] * 10}).to_parquet(
        tmp_path / "emo.items.parquet"
    )
    report = export_dataset(tmp_path / "emo.parquet", "emotion", tmp_path / "emo")
    assert sum(report.split_sizes.values()) == 10
    train = exports.load(tmp_path / "emo").dataset["train"]
    names = train.features["label"].feature.names
    assert {tuple(names[k] for k in row["label"]) for row in train} <= {("joy", "trust"), ("joy",)}

    epitome = get_schema("epitome", mechanisms=("emotional_reactions",))
    spans = [[{"start": 0, "end": 8, "text": "so sorry", "label": epitome.fields[1].labels[0]}]] * 2 + [[]]
    rows = [
        {
            "item_id": "p1",
            "annotator_id": a,
            "field": f,
            "value": encode_value(v),
            "was_cancelled": False,
            "annotation_id": a * 2 + k,
            "updated_at": pd.Timestamp("2026-01-01", tz="UTC"),
        }
        for a in (1, 2, 3)
        for k, (f, v) in enumerate((("emotional_reactions", "weak"), ("emotional_reactions_rationales", spans[a - 1])))
    ]
    agg = aggregate(pd.DataFrame(rows), epitome)
    assert agg.loc[0, "emotional_reactions"] == "weak"
    assert [s["text"] for s in agg.loc[0, "emotional_reactions_rationales"]] == ["so sorry"]


def test_annotation_export_loads_every_seek_provide_variant(annotated, tmp_path):
    from empathykit import exports

    annotations, votes = annotated
    export_dataset(annotations, "seek-provide", tmp_path / "out", seed=1)
    three = exports.load(tmp_path / "out", task="seek-provide")
    binary = exports.load(tmp_path / "out", task="empathy-vs-none")
    assert binary.label_names == ["none", "empathy"] and binary.schema == "seek-provide"
    for split in ("train", "validation", "test"):
        expected = ["none" if LABELS[i] == "none" else "empathy" for i in three.dataset[split]["label"]]
        assert [binary.label_names[i] for i in binary.dataset[split]["label"]] == expected
        assert binary.dataset[split]["item_id"] == three.dataset[split]["item_id"]
