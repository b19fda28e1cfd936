"""The export folder layout: writer, task variants and ``exports.load``."""

from __future__ import annotations

import pytest

from empathykit.errors import ExportError
from empathykit.schemas import get_schema
from empathykit.schemas.variants import select, variants_for

TEXTS = [f"post number {i}" for i in range(12)]
LABELS = ["seeking", "providing", "none"] * 4


def _configs():
    from datasets import ClassLabel, Dataset, Features, Value

    from empathykit.exports.writer import ExportConfig

    configs = []
    for variant in variants_for(get_schema("seek-provide")):
        features = Features(
            {"item_id": Value("string"), "text": Value("string"), "label": ClassLabel(names=list(variant.label_names))}
        )
        labels = [variant.label_names.index(variant.map_label(v)) for v in LABELS]
        rows = {"item_id": [str(i) for i in range(12)], "text": TEXTS, "label": labels}
        splits = {
            s: Dataset.from_dict({k: v[lo:hi] for k, v in rows.items()}, features=features)
            for s, lo, hi in (("train", 0, 8), ("validation", 8, 10), ("test", 10, 12))
        }
        configs.append(
            ExportConfig(
                variant.name,
                variant.kind,
                list(variant.inputs),
                splits,
                label_names=list(variant.label_names),
                schema="seek-provide",
            )
        )
    return configs


def _write(out):
    from empathykit.exports.writer import write_export

    return write_export(
        out,
        _configs(),
        card={"pretty_name": "test export", "license": "cc-by-4.0", "aggregation": "majority vote"},
        meta={"seed": 0},
    )


def test_seek_provide_variants_map_labels():
    variants = {v.name: v for v in variants_for(get_schema("seek-provide"))}
    assert list(variants) == ["seek-provide", "empathy-vs-none", "seek-vs-rest", "provide-vs-rest"]
    assert [variants["empathy-vs-none"].map_label(v) for v in LABELS[:3]] == ["empathy", "empathy", "none"]
    assert [variants["provide-vs-rest"].map_label(v) for v in LABELS[:3]] == ["rest", "providing", "rest"]
    with pytest.raises(ExportError, match="does not apply"):
        select(list(variants.values()), ["similarity_empathy"])


def test_same_input_same_bytes(tmp_path):
    files = _write(tmp_path / "a")
    _write(tmp_path / "b")
    for name in [*files, "README.md", "export.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_load_and_load_dataset_give_the_configs(tmp_path):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    from empathykit import exports

    out = tmp_path / "out"
    _write(out)
    with pytest.raises(ExportError, match="name one"):
        exports.load(out)
    loaded = exports.load(out, task="empathy-vs-none")
    assert loaded.kind == "choice" and loaded.label_names == ["none", "empathy"] and loaded.inputs == ["text"]
    assert loaded.dataset["train"].features["label"].names == ["none", "empathy"]
    assert loaded.dataset["train"]["label"] == [1, 1, 0, 1, 1, 0, 1, 1]
    assert loaded.card["aggregation"] == "majority vote"
    hub = load_dataset(str(out), "empathy-vs-none")
    assert hub["test"]["label"] == loaded.dataset["test"]["label"]
    data = DatasetCard.load(out / "README.md").data.to_dict()
    assert [c["config_name"] for c in data["configs"]] == [
        "seek-provide",
        "empathy-vs-none",
        "seek-vs-rest",
        "provide-vs-rest",
    ]
    with pytest.raises(ExportError, match="no task"):
        exports.load(out, task="nope")


def test_task_limits_an_annotation_export_and_refuses_variants_that_do_not_apply(tmp_path):
    import json

    import pandas as pd
    from tables import make_votes, tidy_rows

    from empathykit.exports.hf import export_dataset

    votes = make_votes(30)
    tidy_rows(votes).to_parquet(tmp_path / "ann.parquet")
    pd.DataFrame({"item_id": list(votes), "text": [f"text of {i}" for i in votes]}).to_parquet(
        tmp_path / "ann.items.parquet"
    )
    export_dataset(tmp_path / "ann.parquet", "seek-provide", tmp_path / "out", tasks=["provide-vs-rest"])
    assert list(json.loads((tmp_path / "out" / "export.json").read_text())["tasks"]) == ["provide-vs-rest"]
    with pytest.raises(ExportError, match="does not apply"):
        export_dataset(tmp_path / "ann.parquet", "seek-provide", tmp_path / "o2", tasks=["similarity_empathy"])
    assert not (tmp_path / "o2").exists()


def test_annotation_export_is_byte_identical_across_runs_and_holds_no_absolute_paths(tmp_path, monkeypatch):
    import pandas as pd
    from tables import make_votes, tidy_rows

    from empathykit.exports.hf import export_dataset

    votes = make_votes(40)
    tidy_rows(votes).to_parquet(tmp_path / "ann.parquet")
    pd.DataFrame({"item_id": list(votes), "text": [f"text of {i}" for i in votes]}).to_parquet(
        tmp_path / "ann.items.parquet"
    )
    monkeypatch.chdir(tmp_path)  # export.json records the sources as given: relative here, as a user types them
    for out in ("a", "b"):
        export_dataset("ann.parquet", "seek-provide", tmp_path / out, seed=7)
    names = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert len(names) == 4 * 3 + 1  # four configs x three splits, ties
    for name in [*names, "README.md", "export.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert str(tmp_path) not in (tmp_path / "a" / "export.json").read_text()


def test_card_yaml_loads_without_a_warning(tmp_path, recwarn):
    """``load_dataset`` and ``DatasetCard.load`` read the card's YAML as the Hub's spec has it:
    every split of ``dataset_info`` with name, num_bytes and num_examples (a missing num_bytes
    was logged three times as a malformed ``splits`` field)."""
    import logging

    import datasets
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    _write(tmp_path / "out")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    root = logging.getLogger("datasets")  # the library's loggers do not propagate: caplog sees nothing
    level = datasets.logging.get_verbosity()
    datasets.logging.set_verbosity_warning()
    root.addHandler(handler)
    try:
        for config in ("seek-provide", "empathy-vs-none"):
            loaded = load_dataset(str(tmp_path / "out"), config)
            assert loaded["train"].info.splits["train"].num_bytes > 0
        card = DatasetCard.load(tmp_path / "out" / "README.md")
    finally:
        root.removeHandler(handler)
        datasets.logging.set_verbosity(level)
    assert [r.getMessage() for r in records] == []
    assert [str(w.message) for w in recwarn] == []
    info = card.data.to_dict()["dataset_info"]
    assert all(split["num_bytes"] > 0 for config in info for split in config["splits"])
    assert all(config["dataset_size"] == sum(s["num_bytes"] for s in config["splits"]) for config in info)


def test_export_json_records_sources_as_given_and_counts_items_never_annotated(tmp_path, monkeypatch):
    import json

    import pandas as pd
    from tables import make_votes, tidy_rows
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    votes = make_votes(30)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pulled").mkdir()
    tidy_rows(votes).to_parquet("pulled/ann.parquet")
    pushed = [*votes, "never1", "never2", "never3"]  # pushed, then nobody annotated them
    pd.DataFrame({"item_id": pushed, "text": [f"text of {i}" for i in pushed]}).to_parquet("pulled/ann.items.parquet")
    runner = CliRunner()
    result = runner.invoke(app, ["export", "pulled/ann.parquet", "-s", "seek-provide", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert "3 pushed but never annotated" in " ".join(result.stderr.split())
    meta = json.loads((tmp_path / "out" / "export.json").read_text())
    assert meta["sources"] == {
        "annotations": "pulled/ann.parquet",
        "items": "pulled/ann.items.parquet",
        "adjudicated": "",
    }
    assert meta["not_annotated"] == 3 and meta["items_annotated"] == 30
