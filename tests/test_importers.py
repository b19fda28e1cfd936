"""Importers of the published data sets: readers on cuts of the real files
(tests/data; whole releases from $EMPATHYKIT_TEST_DATA), the hand-made TwittEmp
fixture, splits, export folders that ``exports.load`` reads, dehydrated exports that
``collect hydrate`` reads."""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pytest
from conftest import SAMPLES, whole_release
from test_xapi_support import client, clock

from empathykit.errors import ExportError, InputError
from empathykit.exports.importers import assign_splits
from empathykit.releases.labelled import records_from_goemotions, records_from_sst2, records_from_twittemp
from empathykit.releases.registry import RELEASES, parse_spec

TWITTEMP = SAMPLES / "twittemp" / "twittemp_sample.csv"
PATHS = {
    "epitome": SAMPLES / "epitome",
    "newsemp": SAMPLES / "newsemp" / "messages.csv",
    "twittemp": TWITTEMP,
    "emolit": SAMPLES / "emolit",
    "empathic-stories": SAMPLES / "empathic-stories",
    "empathic-story-pairs": SAMPLES / "empathic-stories",
    "sst2": SAMPLES / "sst2",
    "goemotions": SAMPLES / "goemotions",
}
CONFIGS = {
    "epitome": ["emotional_reactions", "interpretations", "explorations"],
    "newsemp": ["empathy_bin", "empathy", "distress_bin", "distress"],
    "twittemp": ["seek-provide", "empathy-vs-none", "seek-vs-rest", "provide-vs-rest"],
    "emolit": ["emotion"],
    "empathic-stories": ["empathizable"],
    "empathic-story-pairs": ["similarity_empathy", "similarity_event", "similarity_emotion", "similarity_moral"],
    "sst2": ["sentiment"],
    "goemotions": ["emotion"],
}


def _read(name, path=None):
    problems = []
    return RELEASES[name].read(path or PATHS[name], problems.append), problems


@pytest.mark.parametrize("name", list(PATHS))
def test_every_release_reads_into_its_configs(name):
    configs, _ = _read(name)
    assert [c.name for c in configs] == CONFIGS[name]
    for config in configs:
        assert config.rows and len({r["item_id"] for r in config.rows}) == len(config.rows)
        assert all(all(r[c] for c in config.inputs) for r in config.rows)
        if config.kind == "choice":
            assert {r["label"] for r in config.rows} <= set(range(len(config.label_names)))
        else:
            low, high = config.scale
            assert all(low <= r["label"] <= high for r in config.rows)


def test_newsemp_labels_are_the_release_columns():
    with open(PATHS["newsemp"], newline="", encoding="utf-8") as handle:
        release = {row["message_id"]: row for row in csv.DictReader(handle)}
    configs = {c.name: c for c in _read("newsemp")[0]}
    assert len(configs["empathy"].rows) == len(release)
    for row in configs["empathy"].rows:
        assert row["label"] == float(release[row["item_id"]]["empathy"])
        assert row["text"] == release[row["item_id"]]["essay"]
    for row in configs["distress_bin"].rows:
        assert row["label"] == int(release[row["item_id"]]["distress_bin"])
    assert configs["empathy_bin"].label_names == ["low", "high"]


def test_sst2_and_goemotions_keep_the_release_splits():
    sst2 = collections.Counter(r["split"] for r in records_from_sst2(whole_release("aux", "sst2")))
    assert sst2 == {"train": 6920, "validation": 872, "test": 1821}  # the data README's counts
    goemotions = records_from_goemotions(whole_release("aux", "goemotions"))
    assert collections.Counter(r["split"] for r in goemotions) == {"train": 23485, "validation": 2956, "test": 2984}


def test_goemotions_label_names_and_rows():
    names = (PATHS["goemotions"] / "emotions.txt").read_text().split()
    config = _read("goemotions")[0][0]
    assert config.label_names == names and len(names) == 28
    first = next(r for r in config.rows if r["item_id"] == "goemotions-train-2")  # train.tsv line 2
    assert (first["text"], names[first["label"]]) == ("WHY THE FUCK IS BAYLESS ISOING", "anger")


def test_story_pairs_give_the_release_scores_back():
    with open(PATHS["empathic-story-pairs"] / "PAIRS (dev).csv", newline="", encoding="utf-8") as handle:
        release = list(csv.DictReader(handle))
    configs = {c.name: c for c in _read("empathic-story-pairs")[0]}
    for target, config in configs.items():
        assert [r["label"] for r in config.rows] == [float(row[f"{target}_human_AGG"]) for row in release]
        assert [r["story_a"] for r in config.rows] == [row["story_A"] for row in release]
    first = configs["similarity_empathy"].rows[0]
    assert (first["story_a_id"], first["story_b_id"]) == ("dev:0", "dev:20")  # from pairs "(0, 20)"


def test_twittemp_fixture_ids_recovered_hashed_and_reported():
    problems = []
    records = records_from_twittemp(TWITTEMP, on_problem=problems.append)
    with open(TWITTEMP, newline="", encoding="utf-8") as handle:
        release = list(csv.DictReader(handle))
    assert len(records) == len(release) == 24
    assert [r["reference"]["empathy"] for r in records] == [
        {"0": "none", "1": "seeking", "2": "providing"}[row["label"]] for row in release
    ]
    by_release = [(row, rec) for row, rec in zip(release, records)]
    for row, rec in by_release:
        assert rec["release_id"] == row["id"] and rec["text"] == row["content"]
        if row["id"].isdigit():
            assert rec["item_id"] == row["id"]
        elif "/status/" in row["permalink"]:
            assert rec["item_id"] == row["permalink"].rsplit("/", 1)[1]  # the permalink keeps the id
        else:
            assert rec["item_id"].startswith("sha1:")
    messages = [p.message for p in problems]
    assert any("3 empty or spreadsheet-mangled ids recovered from the permalink" in m for m in messages)
    assert any("3 posts had an empty id" in m for m in messages)
    assert any("2 ids look mangled" in m and "1.28E+18" in m for m in messages)


def test_twittemp_bad_labels_and_columns(tmp_path):
    bad = tmp_path / "twittemp.csv"
    bad.write_text("label,content,id,permalink\n3,hello there,1,\n1,,2,\n2,so sorry <USER>,3,\n")
    problems = []
    records = records_from_twittemp(bad, on_problem=problems.append)
    assert [r["item_id"] for r in records] == ["3"]
    assert ["label '3' is not 0" in str(problems[0]), "empty content" in str(problems[1])] == [True, True]
    bad.write_text("label,text\n1,hello\n")
    with pytest.raises(InputError, match="missing column.*content"):
        records_from_twittemp(bad)


def test_specs_and_unknown_names(tmp_path):
    assert parse_spec("epitome:/data/dataset") == ("epitome", Path("/data/dataset"))
    assert parse_spec("annotations.parquet") is None and parse_spec("C:/data/file.csv") is None
    odd = tmp_path / "newsemp:messages.csv"  # an existing file whose name has a colon is a file
    odd.write_text("x")
    assert parse_spec(odd) is None
    with pytest.raises(InputError, match="unknown data set 'unknown'; expected one of epitome, newsemp"):
        parse_spec("unknown:x")


def test_one_split_per_item_across_configs_and_groups_kept_whole():
    configs, _ = _read("epitome", whole_release("epitome"))  # shares near 80/10/10 need many seekers
    split, origin = assign_splits(RELEASES["epitome"], configs, seed=3, fractions=(0.8, 0.1, 0.1), group_by=None)
    assert origin == "seeded"
    per_seeker = collections.defaultdict(set)
    for config in configs:
        for row in config.rows:
            per_seeker[row["sp_id"]].add(split[row["item_id"]])
    assert all(len(s) == 1 for s in per_seeker.values())
    sizes = collections.Counter(split.values())
    assert abs(sizes["train"] / len(split) - 0.8) < 0.02


def test_emolit_carves_validation_from_train_only():
    configs, _ = _read("emolit", whole_release("emolit"))
    split, origin = assign_splits(RELEASES["emolit"], configs, seed=0, fractions=(0.8, 0.1, 0.1), group_by=None)
    assert origin == "release+carved"
    rows = configs[0].rows
    assert all(split[r["item_id"]] == "test" for r in rows if r["release_split"] == "test")
    carved = collections.Counter(split[r["item_id"]] for r in rows if r["release_split"] == "train")
    # 500 train rows per emotion, validation share 0.1 / 0.9: round(500 * 8 / 9) = 444 stay in train
    assert carved == {"train": 444 * 12, "validation": 56 * 12}


def test_emolit_train_file_alone_gets_seeded_splits():
    """``emolit:train.csv`` alone holds no test rows: carving only a validation split from it would
    leave the trainer nothing to test on, so the rows are split seeded 80/10/10 instead."""
    problems = []
    configs = RELEASES["emolit"].read(whole_release("emolit", "train.csv"), problems.append)
    split, origin = assign_splits(RELEASES["emolit"], configs, seed=0, fractions=(0.8, 0.1, 0.1), group_by=None)
    assert origin == "seeded"
    assert collections.Counter(split.values()) == {"train": 4800, "validation": 600, "test": 600}


def test_group_column_that_does_not_exist():
    configs, _ = _read("newsemp")
    with pytest.raises(ExportError, match="no group column 'speaker'"):
        assign_splits(RELEASES["newsemp"], configs, seed=0, fractions=(0.8, 0.1, 0.1), group_by="speaker")


def test_twittemp_pushes_as_seek_provide_with_the_release_label_as_reference():
    from empathykit.releases.registry import read_dataset
    from empathykit.schemas import get_schema

    records = read_dataset("twittemp", TWITTEMP, on_problem=lambda problem: None)
    schema = get_schema(RELEASES["twittemp"].schema, **RELEASES["twittemp"].schema_options)
    schema.validate_records(records)
    assert {r["reference"]["empathy"] for r in records} == set(schema.field("empathy").labels)


# -- dehydrated exports --------------------------------------------------------


def _hydrate(source, out, client):
    """``collect hydrate`` of ``source`` against the replayed lookup endpoint
    (every id found); returns the report and the ids it asked for."""
    import json
    from urllib.parse import parse_qs, urlsplit

    import responses
    from test_xapi_support import load as load_exchange

    from empathykit.xapi.client import HOST, TWEETS_LOOKUP
    from empathykit.xapi.collection import hydrate

    templates, asked = load_exchange("lookup_templates.json"), []

    def answer(request):
        batch = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
        asked.extend(batch)
        return (
            200,
            {},
            json.dumps({"data": [{**templates["tweet"], "id": i, "edit_history_tweet_ids": [i]} for i in batch]}),
        )

    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", HOST + TWEETS_LOOKUP, callback=answer)
        return hydrate(source, out, client=client), asked


def test_dehydrated_twittemp_has_no_text_and_hydrate_reads_its_ids(tmp_path, client):
    import pyarrow.parquet as pq

    from empathykit.exports.importers import export_import

    out = tmp_path / "shared"
    export_import(f"twittemp:{TWITTEMP}", out, dehydrate=True)
    with open(TWITTEMP, newline="", encoding="utf-8") as handle:
        texts = [row["content"] for row in csv.DictReader(handle)]
    files = sorted(out.rglob("*.parquet"))
    assert files
    for file in files:
        table = pq.read_table(file)
        assert not {"text", "permalink"} & set(table.column_names)
        cells = [str(v) for column in table.columns for v in column.to_pylist()]
        assert not any(text in cell or cell in texts for text in texts for cell in cells)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert not any(text in card for text in texts)
    records = records_from_twittemp(TWITTEMP, on_problem=lambda problem: None)
    tweet_ids = {r["item_id"] for r in records if r["item_id"].isdigit()}
    assert len(tweet_ids) == 19

    report, asked = _hydrate(out, tmp_path / "hydrated.jsonl", client)
    assert sorted(asked) == sorted(tweet_ids) and len(asked) == 19
    assert (report.ids, report.found, report.not_tweet_ids) == (19, 19, 5)


# -- export folders --------------------------------------------------------------


def test_same_input_and_seed_give_identical_bytes_and_load_dataset_reads_each_config(tmp_path):
    import datasets

    from empathykit.exports.importers import export_import

    spec = f"newsemp:{PATHS['newsemp']}"
    first = export_import(spec, tmp_path / "a", seed=7)
    export_import(spec, tmp_path / "b", seed=7)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) >= 12 + 2
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    other = export_import(spec, tmp_path / "c", seed=8)
    assert (tmp_path / "c" / "empathy" / "test.parquet").read_bytes() != (
        tmp_path / "a" / "empathy" / "test.parquet"
    ).read_bytes()
    assert first.configs == other.configs  # sizes are the seed's business only through rounding: the same here
    for config in CONFIGS["newsemp"]:
        loaded = datasets.load_dataset(str(tmp_path / "a"), config)
        assert {name: len(part) for name, part in loaded.items()} == first.configs[config]
    loaded = datasets.load_dataset(str(tmp_path / "a"), "empathy_bin")
    assert loaded["train"].features["label"].names == ["low", "high"]
    # one split per message in every config
    where = {}
    for config in CONFIGS["newsemp"]:
        for name, part in datasets.load_dataset(str(tmp_path / "a"), config).items():
            for item in part["item_id"]:
                assert where.setdefault(item, name) == name


def test_story_pairs_no_story_in_two_splits():
    configs, _ = _read("empathic-story-pairs", whole_release("empathic-stories"))
    rows = configs[0].rows
    # connected components of the story graph, computed here independently (breadth-first)
    links = collections.defaultdict(set)
    for row in rows:
        links[row["story_a_id"]].add(row["story_b_id"])
        links[row["story_b_id"]].add(row["story_a_id"])
    component, seen = {}, set()
    for start in links:
        if start in seen:
            continue
        queue, seen = [start], seen | {start}
        while queue:
            story = queue.pop()
            component[story] = start
            for other in links[story] - seen:
                seen.add(other)
                queue.append(other)
    largest = max(collections.Counter(component[r["story_a_id"]] for r in rows).values())
    assert largest == 97  # the dev split's stories are densely paired: 97 of 100 pairs are linked
    for seed in range(5):
        split, _ = assign_splits(
            RELEASES["empathic-story-pairs"], configs, seed=seed, fractions=(0.8, 0.1, 0.1), group_by=None
        )
        stories = collections.defaultdict(set)
        for row in rows:
            if split[row["item_id"]] is None:  # left out: its two stories are in different splits
                assert component[row["story_a_id"]] == component[row["story_b_id"]]
                continue
            for story in (row["story_a_id"], row["story_b_id"]):
                stories[story].add(split[row["item_id"]])
        assert all(len(where) == 1 for where in stories.values())
        sizes = collections.Counter(split.values())
        placed = len(rows) - sizes[None]
        # within 5 points of 80/10/10 (grouping alone gave 97/2/1), and most pairs kept
        for name, share in (("train", 0.8), ("validation", 0.1), ("test", 0.1)):
            assert abs(sizes[name] / placed - share) <= 0.05, (seed, sizes)
        assert sizes[None] <= 20


def test_story_pair_export_states_the_fractions_achieved_and_the_pairs_left_out(tmp_path):
    import json

    from empathykit.exports.importers import export_import

    report = export_import(f"empathic-story-pairs:{whole_release('empathic-stories')}", tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "export.json").read_text(encoding="utf-8"))
    counts = report.configs["similarity_empathy"]
    assert meta["left_out"] == report.left_out == 100 - sum(counts.values()) > 0
    assert meta["fractions_achieved"] == [
        round(counts[s] / sum(counts.values()), 4) for s in ("train", "validation", "test")
    ]
    assert counts["test"] >= 5 and counts["validation"] >= 5
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert f"{report.left_out} pair(s) left out" in card and "achieved train/validation/test" in card


def test_grouping_that_cannot_meet_the_fractions_stops_with_one_line():
    from empathykit.exports.splits import grouped_split
    from empathykit.releases.configs import ImportedConfig

    rows = [{"item_id": f"i{n}", "label": n % 2, "seeker": "one" if n < 45 else f"s{n}"} for n in range(50)]
    config = ImportedConfig("toy", rows, "choice", ["text"], group_by="seeker")
    with pytest.raises(ExportError, match="grouping by seeker keeps 6 group.*instead of 80%/10%/10%"):
        grouped_split(config, None, (0.8, 0.1, 0.1), 0, strict=True)
    assert set(grouped_split(config, None, (0.8, 0.1, 0.1), 0).values()) <= {"train", "validation", "test"}


def test_story_pairs_dataset_gives_the_release_scores(tmp_path):
    import datasets

    from empathykit.exports.importers import export_import

    with open(PATHS["empathic-story-pairs"] / "PAIRS (dev).csv", newline="", encoding="utf-8") as handle:
        release = list(csv.DictReader(handle))
    out = tmp_path / "pairs"
    export_import(f"empathic-story-pairs:{PATHS['empathic-story-pairs']}", out)
    for target in CONFIGS["empathic-story-pairs"]:
        loaded = datasets.load_dataset(str(out), target)
        scores = {(row["story_a"], row["story_b"]): row["label"] for part in loaded.values() for row in part}
        assert scores == {(row["story_A"], row["story_B"]): float(row[f"{target}_human_AGG"]) for row in release}


def test_dehydrated_annotation_export_keeps_ids_labels_metadata_and_hydrate_reads_them(tmp_path, client):
    import pandas as pd
    import pyarrow.parquet as pq
    from tables import tidy_rows
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    ids = [str(1790000000000000000 + i) for i in range(30)]
    votes = {i: [["seeking", "providing", "none"][n % 3]] * 3 for n, i in enumerate(ids)}
    annotations = tmp_path / "ann.parquet"
    tidy_rows(votes).to_parquet(annotations)
    texts = [f"tweet number {n} about my chemo" for n in range(30)]
    pd.DataFrame({"item_id": ids, "text": texts}).to_parquet(tmp_path / "ann.items.parquet")
    result = CliRunner().invoke(app, ["export", str(annotations), "--dehydrate", "-o", str(tmp_path / "shared")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "shared").rglob("*.parquet"))
    assert files
    for file in files:
        table = pq.read_table(file)
        assert "text" not in table.column_names
        assert not any(t in str(v) for column in table.columns for v in column.to_pylist() for t in texts)
    everything = [p for p in (tmp_path / "shared").rglob("*") if p.is_file()]  # Arrow files and card too
    assert not any(b"about my chemo" in p.read_bytes() for p in everything)
    labelled = next(pq.read_table(f) for f in files if "label" in pq.read_schema(f).names)  # any layout
    assert {"item_id", "label", "n_annotators"} <= set(labelled.column_names)

    report, asked = _hydrate(tmp_path / "shared", tmp_path / "hydrated.jsonl", client)
    assert sorted(asked) == ids and (report.ids, report.not_tweet_ids) == (30, 0)


@pytest.mark.parametrize("name", ["epitome", "twittemp", "emolit", "empathic-stories", "sst2", "goemotions"])
def test_each_import_loads_with_its_configs_features_and_card(tmp_path, name):
    import datasets

    from empathykit.exports.importers import export_import

    report = export_import(f"{name}:{PATHS[name]}", tmp_path / name, on_problem=lambda problem: None)
    assert list(report.configs) == CONFIGS[name]
    card = (tmp_path / name / "README.md").read_text(encoding="utf-8")
    assert RELEASES[name].citation in card and RELEASES[name].license_note in card
    for config in CONFIGS[name]:
        loaded = datasets.load_dataset(str(tmp_path / name), config)
        assert {split: len(part) for split, part in loaded.items()} == report.configs[config]
        label = loaded["train"].features["label"]
        assert isinstance(label, datasets.ClassLabel) or label.dtype == "float64"
    if name == "sst2":
        assert report.configs["sentiment"] == {"train": 30, "validation": 30, "test": 30}  # the cut's lines
        assert report.splits_from == "release"
    if name == "epitome":
        row = loaded["train"][0]
        assert all(row["response_post"][s["start"] : s["end"]] == s["text"] for s in row["rationales"])


def test_export_json_records_the_source_as_given(tmp_path, monkeypatch):
    import json
    import os

    from empathykit.exports.importers import export_import

    monkeypatch.chdir(tmp_path)
    spec = f"twittemp:{os.path.relpath(TWITTEMP, tmp_path)}"  # as a user types it: not resolved, not shortened
    export_import(spec, "out")
    text = (tmp_path / "out" / "export.json").read_text(encoding="utf-8")
    meta = json.loads(text)
    assert meta["source"] == spec and str(tmp_path) not in text
    assert meta["problems"] and meta["files"][:3] == [
        f"seek-provide/{s}.parquet" for s in ("train", "validation", "test")
    ]
    assert meta["tasks"]["seek-provide"]["label_names"] == ["seeking", "providing", "none"]


def test_story_release_splits_kept_when_train_dev_and_test_are_given(tmp_path):
    import shutil

    from empathykit.exports.importers import export_import

    for split in ("train", "dev", "test"):  # the release's layout; the dev file stands in for each split
        shutil.copy(PATHS["empathic-stories"] / "STORIES (dev).csv", tmp_path / f"STORIES ({split}).csv")
    report = export_import(f"empathic-stories:{tmp_path}", tmp_path / "out")
    assert report.splits_from == "release"
    assert report.configs["empathizable"] == {"train": 12, "validation": 12, "test": 12}  # the cut's 12 stories
    only_dev = export_import(f"empathic-stories:{PATHS['empathic-stories']}", tmp_path / "dev")
    assert only_dev.splits_from == "seeded" and sum(only_dev.configs["empathizable"].values()) == 12


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    bad = tmp_path / "messages.csv"
    bad.write_text("message_id,essay\nm1,hello\n", encoding="utf-8")
    runner = CliRunner()
    for args, message in (
        ([f"newsemp:{bad}"], "missing column(s) response_id"),
        ([f"newsemp:{tmp_path / 'nope.csv'}"], "no such file or folder"),
        ([f"twittem:{TWITTEMP}"], "unknown data set 'twittem'; expected one of epitome"),
        ([f"sst2:{PATHS['sst2']}", "--task", "emotion"], "task 'emotion' does not apply; sst2 has sentiment"),
        ([f"newsemp:{PATHS['newsemp']}", "--group-by", "speaker"], "no group column 'speaker'"),
        ([f"newsemp:{PATHS['newsemp']}", "--train", "0.5"], "fractions must be three non-negative numbers"),
    ):
        result = runner.invoke(app, ["export", *args, "-o", str(tmp_path / "out")])
        assert result.exit_code == 1 and message in " ".join(result.output.split()), (args, result.output)
        assert result.output.count("error:") == 1
        assert not (tmp_path / "out").exists()


def test_exports_load_reads_every_config_of_an_import(tmp_path):
    """Shared contract 1 over imports (runs once ``exports.load`` is there)."""
    pytest.importorskip("empathykit.exports.loading")
    from empathykit.exports import load
    from empathykit.exports.importers import export_import

    expected = {
        "epitome": (
            "emotional_reactions",
            "choice",
            ["no", "weak", "strong"],
            None,
            ["seeker_post", "response_post"],
            "epitome",
        ),
        "newsemp": ("empathy", "rating", None, (1.0, 7.0), ["text"], None),
        "empathic-story-pairs": ("similarity_moral", "rating", None, (1.0, 4.0), ["story_a", "story_b"], "story-pair"),
    }
    for name, (task, kind, names, scale, inputs, schema) in expected.items():
        out = tmp_path / name
        report = export_import(f"{name}:{PATHS[name]}", out, on_problem=lambda problem: None)
        with pytest.raises(ExportError, match=CONFIGS[name][1]):
            load(out)  # several configs: the error lists them
        loaded = load(out, task=task)
        assert (loaded.task, loaded.kind, loaded.label_names, loaded.inputs, loaded.schema) == (
            task,
            kind,
            names,
            inputs,
            schema,
        )
        assert (tuple(loaded.scale) if loaded.scale else None) == scale and loaded.label_column == "label"
        assert {split: len(part) for split, part in loaded.dataset.items()} == report.configs[task]
        assert loaded.card["citation"] == RELEASES[name].citation
    assert "rationales" in load(tmp_path / "epitome", task="explorations").dataset["test"].column_names
