"""One registry of published data sets: one parser, one reader per release, one text policy,
and the same task variants as annotation exports."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
from conftest import SAMPLES, whole_release
from tables import tidy_rows

from empathykit.exports import load
from empathykit.exports.epitome_csv import write_epitome_csv
from empathykit.exports.hf import export_dataset
from empathykit.exports.importers import export_import
from empathykit.releases.labelled import TWITTEMP_LABELS
from empathykit.releases.registry import read_dataset
from empathykit.schemas import get_schema
from empathykit.schemas.variants import variants_for
from tests.train_fixtures import tiny_model

TWITTEMP = SAMPLES / "twittemp" / "twittemp_sample.csv"
EPITOME = SAMPLES / "epitome"
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
TASKS = ["seek-provide", "empathy-vs-none", "seek-vs-rest", "provide-vs-rest"]
#: what each task calls each release label (section 5 of the TwittEmp paper)
EXPECTED = {
    "seek-provide": {"seeking": "seeking", "providing": "providing", "none": "none"},
    "empathy-vs-none": {"seeking": "empathy", "providing": "empathy", "none": "none"},
    "seek-vs-rest": {"seeking": "seeking", "providing": "rest", "none": "rest"},
    "provide-vs-rest": {"seeking": "rest", "providing": "providing", "none": "rest"},
}


def _release_labels(path) -> dict[str, str]:
    """item text -> release label name, read with csv (not the toolkit's reader)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["content"]: TWITTEMP_LABELS[row["label"].strip()]
            for row in csv.DictReader(handle)
            if row["label"].strip() in TWITTEMP_LABELS and row["content"].strip()
        }


def _check_twittemp_tasks(source, out):
    report = export_import(f"twittemp:{source}", out)
    assert list(report.configs) == TASKS
    release = _release_labels(source)
    for task in TASKS:
        data = load(out, task)
        names = data.label_names
        rows = [row for split in data.dataset.values() for row in split]
        assert len(rows) == len({r["item_id"] for r in rows})
        checked = 0
        for row in rows:
            if row["text"] in release:
                assert names[row["label"]] == EXPECTED[task][release[row["text"]]], (task, row["text"])
                checked += 1
        assert checked >= 0.9 * len(rows)


def test_twittemp_import_writes_the_four_tasks_of_the_paper(tmp_path):
    _check_twittemp_tasks(TWITTEMP, tmp_path / "tw")


def test_twittemp_half_release_writes_the_four_tasks(tmp_path):
    _check_twittemp_tasks(whole_release("twittemp", "TwittEmp-half.csv"), tmp_path / "tw")


def test_import_configs_are_the_annotation_export_variants(tmp_path):
    """Same config names, label names and kinds as an annotation export of the seek-provide schema."""
    export_import(f"twittemp:{TWITTEMP}", tmp_path / "import")
    records = read_dataset("twittemp", TWITTEMP, on_problem=lambda problem: None)
    votes = {r["item_id"]: [r["reference"]["empathy"]] * 3 for r in records}
    tidy_rows(votes).to_parquet(tmp_path / "ann.parquet")
    pd.DataFrame({"item_id": [r["item_id"] for r in records], "text": [r["text"] for r in records]}).to_parquet(
        tmp_path / "ann.items.parquet"
    )
    export_dataset(tmp_path / "ann.parquet", "seek-provide", tmp_path / "annotations")
    assert [v.name for v in variants_for(get_schema("seek-provide"))] == TASKS
    for task in TASKS:
        imported, annotated = load(tmp_path / "import", task), load(tmp_path / "annotations", task)
        assert imported.label_names == annotated.label_names and imported.kind == annotated.kind
        label_of = {}
        for split in imported.dataset.values():
            label_of.update(zip(split["item_id"], split["label"]))
        for split in annotated.dataset.values():
            for item, label in zip(split["item_id"], split["label"]):
                assert label_of[item] == label, (task, item)


@pytest.mark.slow
def test_a_model_trained_on_an_import_reads_an_annotation_export_and_back(tiny_model, tmp_path):
    from empathykit.train.run import evaluate_model, train_model

    export_import(f"twittemp:{TWITTEMP}", tmp_path / "import")
    records = read_dataset("twittemp", TWITTEMP, on_problem=lambda problem: None)
    tidy_rows({r["item_id"]: [r["reference"]["empathy"]] * 3 for r in records}).to_parquet(tmp_path / "ann.parquet")
    pd.DataFrame({"item_id": [r["item_id"] for r in records], "text": [r["text"] for r in records]}).to_parquet(
        tmp_path / "ann.items.parquet"
    )
    export_dataset(tmp_path / "ann.parquet", "seek-provide", tmp_path / "annotations")
    settings = ["epochs=1", "batch_size=8", "save_steps=1000", "logging_steps=50"]
    for source, other in (("import", "annotations"), ("annotations", "import")):
        model = tmp_path / f"model-{source}"
        train_model(
            str(tmp_path / source),
            family="classifier",
            model=str(tiny_model),
            out_dir=model,
            task="empathy-vs-none",
            overrides=settings,
        )
        result = evaluate_model(model, str(tmp_path / other), split="test")
        assert result["task"] == "empathy-vs-none"
        assert 0.0 <= result["accuracy"] <= 1.0 and result["macro_f1"] is not None


def test_push_and_export_read_the_same_epitome_text(tmp_path):
    """Annotators and models read one text: entities decoded by both paths."""
    pushed = {r["item_id"]: r for r in read_dataset("epitome", EPITOME, on_problem=lambda problem: None)}
    export_import(f"epitome:{EPITOME}", tmp_path / "out")
    raw = (EPITOME / "emotional-reactions-reddit.csv").read_text(encoding="utf-8")
    assert "&amp;" in raw  # the cut holds escaped text, so the test means something
    compared = 0
    for mechanism in ("emotional_reactions", "interpretations", "explorations"):
        data = load(tmp_path / "out", mechanism)
        for split in data.dataset.values():
            for row in split:
                assert not ENTITY.search(row["seeker_post"] + row["response_post"])
                record = pushed[row["item_id"].split("#")[0]]
                if (row["seeker_post"], row["response_post"]) != (record["seeker_post"], record["response_post"]):
                    # push keeps the fullest of the three files' spellings; only then may they differ
                    assert len(record["response_post"]) >= len(row["response_post"])
                    continue
                compared += 1
    assert compared > 0.9 * sum(1 for _ in pushed) * 3 * 0.9


def test_epitome_csv_still_reproduces_the_release_byte_for_byte(tmp_path):
    export_import(f"epitome:{EPITOME}", tmp_path / "out")
    from empathykit.exports.epitome_csv import rows_of_export

    files = write_epitome_csv(rows_of_export(tmp_path / "out"), tmp_path / "csv")
    for file in files:
        assert file.read_bytes() == (EPITOME / file.name).read_bytes()
    rows = [row for split in load(tmp_path / "out", "emotional_reactions").dataset.values() for row in split]
    escaped = [json.loads(row["release_cells"]) for row in rows if row["release_cells"]]
    assert escaped and all(ENTITY.search("".join(cells.values())) for cells in escaped)
