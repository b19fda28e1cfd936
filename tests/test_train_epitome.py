"""Family ``epitome``: the bi-encoder's loss, its rationale metrics, save/load/predict, real export."""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("torch")

from conftest import SAMPLES

from empathykit.errors import InputError
from empathykit.train import rationales as rat
from tests.train_fixtures import FILLER, NEGATIVE, POSITIVE, tiny_model

FAST = [
    "epochs=8",
    "batch_size=16",
    "learning_rate=3e-3",
    "save_steps=1000",
    "logging_steps=2",
    "eval_each_epoch=false",
    "dropout=0.0",
]


def toy_rows(n: int, seed: int) -> list[dict]:
    """Level = how many POSITIVE words the response has (0, 1, 2); those words are the rationales."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        level = i % 3
        words = rng.sample(FILLER, 3) + rng.sample(POSITIVE, level) + rng.sample(NEGATIVE, 2 - level)
        rng.shuffle(words)
        text = " ".join(words)
        spans, at = [], 0
        for w in words:
            if w in POSITIVE:
                spans.append({"start": at, "end": at + len(w), "text": w, "label": "emotional reaction"})
            at += len(w) + 1
        rows.append(
            {
                "item_id": f"t{seed}-{i}",
                "seeker_post": " ".join(rng.sample(FILLER, 4)),
                "response_post": text,
                "label": level,
                "rationales": spans,
            }
        )
    return rows


def toy_epitome(n: int = 96):
    from datasets import Dataset, DatasetDict

    from empathykit.train.data import TrainingData

    dataset = DatasetDict(
        {
            "train": Dataset.from_list(toy_rows(n, 0)),
            "validation": Dataset.from_list(toy_rows(n // 4, 1)),
            "test": Dataset.from_list(toy_rows(n // 4, 2)),
        }
    )
    return TrainingData(
        dataset=dataset,
        task="emotional_reactions",
        kind="choice",
        label_names=["no", "weak", "strong"],
        inputs=["seeker_post", "response_post"],
        schema="epitome",
        source="toy-epitome",
    )


# -- rationale metrics on hand-made spans -----------------------------------------------------


def test_token_tags_from_character_spans():
    offsets = [(0, 0), (0, 3), (4, 8), (9, 12), (12, 13), (0, 0)]  # [CLS] "i am sorry ." [SEP]-like
    spans = [{"start": 4, "end": 12, "text": "", "label": "x"}, {"start": -1, "end": 5, "text": "", "label": "x"}]
    assert rat.token_tags(offsets, spans) == [0, 0, 1, 1, 0, 0]


def test_iou_f1_and_token_f1_by_hand():
    gold = [[0, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0]]
    pred = [[0, 1, 1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 1]]
    # doc 1: pred (1,3) vs gold (1,4): IOU 2/3 hit; pred (6,7) no hit. doc 2: pred (7,8) vs (4,6): 0.
    spans = rat.iou_f1([rat.runs(p) for p in pred], [rat.runs(g) for g in gold])
    assert spans["precision"] == pytest.approx(1 / 3) and spans["recall"] == pytest.approx(1 / 2)
    assert spans["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    tokens = rat.token_f1(pred, gold)  # tp 2, fp 2, fn 3
    assert tokens["precision"] == pytest.approx(0.5) and tokens["recall"] == pytest.approx(0.4)
    assert rat.iou((0, 2), (1, 3)) == pytest.approx(1 / 3)  # below 0.5: no match
    assert rat.iou_f1([[(0, 2)]], [[(1, 3)]])["f1"] == 0.0


def test_whole_split_differs_from_batch_mean():
    # batch 1: one long rationale found; batch 2: two short ones missed
    gold = [[1, 1, 1, 1]] + [[1, 0, 0, 0], [1, 0, 0, 0]]
    pred = [[1, 1, 1, 1]] + [[0, 0, 0, 0], [0, 0, 0, 0]]
    metrics = rat.rationale_metrics(pred, gold, batch=1)
    assert metrics["token_f1"] == pytest.approx(2 * 1 * (4 / 6) / (1 + 4 / 6))
    assert metrics["token_f1_batch_mean"] == pytest.approx(1 / 3)
    assert metrics["iou_f1"] == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))


def test_char_spans_from_tags():
    text = "so sorry for you"
    offsets = [(0, 0), (0, 2), (3, 8), (9, 12), (13, 16), (0, 0)]
    assert rat.char_spans([0, 0, 1, 1, 0, 0], offsets, text, "emotional reaction") == [
        {"start": 3, "end": 12, "text": "sorry for", "label": "emotional reaction"}
    ]


# -- the network ------------------------------------------------------------------------------


def test_rationale_loss_masks_padding_by_hand(tiny_model):
    import torch
    from transformers import AutoTokenizer

    from empathykit.train.epitome_model import build_model, collator, encode_pairs

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model))
    model = build_model(tiny_model, dropout=0.0, lambda_EI=0.0, lambda_RE=1.0, train_seeker=False).eval()
    # a long seeker and a short response beside a long one: seeker tokens and padding carry no tags
    rows, offsets = encode_pairs(
        tokenizer, ["the day was so very sad and we cry", "a"], ["sorry", "my friend is sad today"], 64
    )
    tags = [rat.token_tags(o, s) for o, s in zip(offsets, [[{"start": 0, "end": 5}], [{"start": 13, "end": 16}]])]
    batch = collator(tokenizer)([{**r, "rationale_labels": t, "labels": 1} for r, t in zip(rows, tags)])
    assert (
        batch["rationale_labels"][0].tolist().count(-100) == batch["response_attention_mask"][0].tolist().count(0) > 0
    )
    with torch.no_grad():
        out = model(**batch)
        logp = torch.log_softmax(out["rationale_logits"], -1)
    terms = [-logp[i, j, t].item() for i, row in enumerate(tags) for j, t in enumerate(row)]
    assert len(terms) == int(batch["response_attention_mask"].sum())  # every non-padding response token, no more
    assert out["loss"].item() == pytest.approx(sum(terms) / len(terms), rel=1e-5)
    # lambda weights the two losses
    model.lambda_EI, model.lambda_RE = 1.0, 0.5
    with torch.no_grad():
        both = model(**batch)["loss"].item()
        level = torch.nn.functional.cross_entropy(out["logits"], batch["labels"]).item()
    assert both == pytest.approx(level + 0.5 * sum(terms) / len(terms), rel=1e-5)


def test_seeker_frozen_by_default_and_trainable_on_request(tiny_model):
    from empathykit.train.epitome_model import build_model

    frozen = build_model(tiny_model, dropout=0.1, lambda_EI=1.0, lambda_RE=0.5, train_seeker=False)
    assert not any(p.requires_grad for p in frozen.seeker_encoder.parameters())
    assert all(p.requires_grad for p in frozen.response_encoder.parameters())
    trained = build_model(tiny_model, dropout=0.1, lambda_EI=1.0, lambda_RE=0.5, train_seeker=True)
    assert all(p.requires_grad for p in trained.seeker_encoder.parameters())


def test_defaults_are_the_reference_commands():
    from empathykit.train.epitome import EpitomeSettings

    s = EpitomeSettings()
    assert (
        s.learning_rate,
        s.batch_size,
        s.max_length,
        s.epochs,
        s.dropout,
        s.lambda_EI,
        s.lambda_RE,
        s.train_seeker,
    ) == (2e-5, 32, 64, 4.0, 0.1, 1.0, 0.5, False)


# -- training, save / load / predict ----------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tiny_model, tmp_path_factory):
    from empathykit.train.epitome import EpitomeFamily
    from empathykit.train.settings import load_settings

    out = tmp_path_factory.mktemp("epitome") / "er"
    family = EpitomeFamily()
    settings = load_settings(family.settings_class, None, FAST, model=str(tiny_model))
    data = toy_epitome()
    metrics = family.train(data, settings, out)
    return out, metrics, data


def test_loss_falls_and_learns_the_toy_signal(trained):
    out, metrics, _ = trained
    assert metrics["train_loss"] < 0.5 * metrics["train_loss_first"]
    assert metrics["test"]["accuracy"] > 0.6  # chance: 1/3
    kept = metrics["kept"]  # never worse than the start, on validation
    assert kept["scores"][0]["at"] == "start" and kept["score"] == max(s["score"] for s in kept["scores"])
    assert metrics["validation"]["macro_f1"] == pytest.approx(kept["score"])
    assert metrics["test"]["token_f1"] > 0.5 and metrics["test"]["iou_f1"] > 0.5
    written = json.loads((out / "metrics.json").read_text())
    assert written["test"]["iou_f1"] == pytest.approx(metrics["test"]["iou_f1"])


def test_span_decoding_is_chosen_on_validation_and_saved(trained):
    import yaml

    from empathykit.train import span_decoding as sd

    out, metrics, _ = trained
    chosen = metrics["rationale_decoding"]
    assert yaml.safe_load((out / "config.yaml").read_text())["rationale_decoding"] == chosen
    # chosen on validation's IOU-F1 (ties: token F1): never below the reference's argmax tags there
    validation, argmax = metrics["validation"], metrics["validation"]["argmax"]
    assert sd.Decoding(**chosen) != sd.ARGMAX and chosen["snap"]
    assert (validation["iou_f1"], validation["token_f1"]) >= (argmax["iou_f1"], argmax["token_f1"])


def test_save_load_predict_agree(trained, tmp_path):
    import pyarrow.parquet as pq

    from empathykit.predict.predictions import predict_file
    from empathykit.train.epitome import EpitomeFamily

    out, metrics, data = trained
    family = EpitomeFamily()
    again = family.evaluate(out, data, "test")
    assert again["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert again["iou_f1"] == pytest.approx(metrics["test"]["iou_f1"])
    rows = data.split("test").to_list()
    predicted = family.predict(out, rows)
    levels = [["no", "weak", "strong"].index(p["emotional_reactions"]) for p in predicted]
    assert sum(a == r["label"] for a, r in zip(levels, rows)) / len(rows) == pytest.approx(again["accuracy"])
    for p, r in zip(predicted, rows):
        cell = json.loads(p["prediction"])
        assert cell["emotional_reactions"] == p["emotional_reactions"]
        for span in cell["emotional_reactions_rationales"]:
            assert r["response_post"][span["start"] : span["end"]] == span["text"]
            assert span["label"] == "emotional reaction"
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(json.dumps(r) + "\n" for r in rows[:5] + [{**rows[0], "item_id": "blank", "response_post": ""}])
    )
    report = predict_file(out, items, tmp_path / "pred.parquet")
    table = pq.read_table(tmp_path / "pred.parquet").to_pylist()
    assert [t["prediction"] for t in table[:5]] == [p["prediction"] for p in predicted[:5]]
    assert table[5]["prediction"] is None and report.predicted == 5
    assert report.model_version.startswith("er-")
    with pytest.raises(InputError, match="mechanism 'emotional_reactions'"):
        family.predict([out, out], rows)


def test_predictions_are_epitome_pre_annotations(trained):
    from empathykit.schemas import get_schema
    from empathykit.train.epitome import EpitomeFamily

    out, _, data = trained
    rows = data.split("test").to_list()[:8]
    predicted = EpitomeFamily().predict(out, rows)
    schema = get_schema("epitome")
    for p in predicted:
        # what `annotate push --predictions-column prediction` sends: the cell's fields as Label Studio
        # results, which the schema reads back whole (a field it could not fit would be unknown; no
        # spans are no results)
        values = json.loads(p["prediction"])
        read, unknown = schema.parse_results(schema.to_results(values))
        assert not unknown and set(values) == {"emotional_reactions", "emotional_reactions_rationales"}
        assert read["emotional_reactions"] == values["emotional_reactions"] in ("no", "weak", "strong")
        assert [(s["start"], s["end"]) for s in read.get("emotional_reactions_rationales", [])] == [
            (s["start"], s["end"]) for s in values["emotional_reactions_rationales"]
        ]


def test_bad_input_one_line(tiny_model, tmp_path):
    from empathykit.train.epitome import EpitomeFamily
    from empathykit.train.settings import load_settings

    family = EpitomeFamily()
    settings = load_settings(family.settings_class, None, FAST, model=str(tiny_model))
    data = toy_epitome(12)
    data.dataset["train"] = data.dataset["train"].remove_columns(["rationales"])
    with pytest.raises(InputError, match="rationales"):
        family.train(data, settings, tmp_path / "m")
    data = toy_epitome(12)
    data.dataset["train"] = data.dataset["train"].map(lambda r: {"label": 1})
    with pytest.raises(InputError, match="one class only"):
        family.train(data, settings, tmp_path / "m")
    assert not (tmp_path / "m").exists()


# -- end to end: a real export folder, through the command line --------------------------------


@pytest.fixture(scope="module")
def epitome_sample(tmp_path_factory):
    """The cut of the EPITOME Reddit release in tests/data (67 rows per mechanism), exported."""
    from empathykit.exports.importers import export_import

    out = tmp_path_factory.mktemp("epitome") / "epitome-export"
    export_import(f"epitome:{SAMPLES / 'epitome'}", out)
    return out


def test_end_to_end_cli_from_export(epitome_sample, tiny_model, tmp_path):
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    pytest.importorskip("empathykit.exports.loading")
    runner = CliRunner()
    dirs = []
    for mechanism in ("emotional_reactions", "explorations"):
        out = tmp_path / mechanism
        result = runner.invoke(
            app,
            [
                "train",
                str(epitome_sample),
                "--family",
                "epitome",
                "--model",
                str(tiny_model),
                "--task",
                mechanism,
                "-o",
                str(out),
                "--set",
                "max_steps=3",
                "--set",
                "batch_size=8",
                "--set",
                "eval_each_epoch=false",
            ],
        )
        assert result.exit_code == 0, result.output
        metrics = json.loads((out / "metrics.json").read_text())
        assert set(metrics["test"]) >= {"accuracy", "macro_f1", "token_f1", "iou_f1", "iou_f1_batch_mean"}
        dirs.append(out)
    result = runner.invoke(app, ["evaluate", str(dirs[0]), str(epitome_sample), "-o", str(tmp_path / "eval.json")])
    assert result.exit_code == 0, result.output
    evaluated = json.loads((tmp_path / "eval.json").read_text())
    assert evaluated["task"] == "emotional_reactions"
    assert evaluated["iou_f1"] == pytest.approx(json.loads((dirs[0] / "metrics.json").read_text())["test"]["iou_f1"])
    items = tmp_path / "items.parquet"
    import pyarrow as pa

    test_rows = pq.read_table(epitome_sample / "explorations" / "test.parquet").to_pylist()
    pq.write_table(
        pa.Table.from_pylist([{k: r[k] for k in ("item_id", "seeker_post", "response_post")} for r in test_rows]), items
    )
    result = runner.invoke(app, ["predict", ",".join(map(str, dirs)), str(items), "-o", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    predicted = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert len(predicted) == len(test_rows)
    cell = json.loads(predicted[0]["prediction"])
    assert set(cell) == {
        "emotional_reactions",
        "emotional_reactions_rationales",
        "explorations",
        "explorations_rationales",
    }
    assert "+" in result.output  # both models named in the version


def _response_lengths_per_batch(tiny_model, folder, monkeypatch, group_by_length: bool) -> list[list[int]]:
    """Train one epoch (batches of 4) on responses of 7 to 47 words; the response lengths of
    each training batch, read by wrapping the family's own collator."""
    from datasets import Dataset

    from empathykit.train import epitome
    from empathykit.train.settings import load_settings

    rng = random.Random(5)
    rows = [
        {**row, "response_post": " ".join([row["response_post"], *rng.choices(FILLER, k=rng.randint(0, 40))])}
        for row in toy_rows(96, 0)
    ]  # words appended after the spans: the rationales stay where they were
    data = toy_epitome(32)
    data.dataset["train"] = Dataset.from_list(rows)
    batches: list[list[int]] = []
    real = epitome.collator

    def recording(tokenizer, pad_to=None):
        collate = real(tokenizer, pad_to)

        def collate_and_record(features):
            batch = collate(features)
            batches.append(batch["response_attention_mask"].sum(dim=1).tolist())
            return batch

        return collate_and_record

    monkeypatch.setattr(epitome, "collator", recording)
    family = epitome.EpitomeFamily()
    overrides = [
        *FAST,
        "epochs=1",
        "batch_size=4",
        "max_length=64",
        "rationale_decoding=argmax",
        f"group_by_length={str(group_by_length).lower()}",
    ]
    settings = load_settings(family.settings_class, None, overrides, model=str(tiny_model))
    metrics = family.train(data, settings, folder)
    assert "test" in metrics and (folder / "heads.safetensors").is_file()
    return batches[:24]  # the 24 training batches come first (no evaluation during the epoch)


def test_group_by_length_batches_pairs_of_similar_length(tiny_model, tmp_path, monkeypatch):
    grouped = _response_lengths_per_batch(tiny_model, tmp_path / "grouped", monkeypatch, True)
    shuffled = _response_lengths_per_batch(tiny_model, tmp_path / "random", monkeypatch, False)
    assert len(grouped) == len(shuffled) == 24 and all(len(b) == 4 for b in grouped + shuffled)
    # the same pairs seen once each, in other batches
    assert sorted(n for b in grouped for n in b) == sorted(n for b in shuffled for n in b)

    def spread(batches):
        return sum(max(b) - min(b) for b in batches) / len(batches)

    # random batches of lengths spread over 40 tokens differ by ~24 within a batch; grouped ones by a few
    assert spread(grouped) < spread(shuffled) / 2, (spread(grouped), spread(shuffled))


def test_lambda_settings_checked():
    from empathykit.errors import TrainError
    from empathykit.train.epitome import EpitomeSettings

    with pytest.raises(TrainError, match="lambda_EI"):
        EpitomeSettings(lambda_EI=0.0, lambda_RE=0.0)


@pytest.mark.studio
def test_predictions_arrive_in_label_studio_as_pre_annotations(studio, trained, tmp_path):
    import pyarrow.parquet as pq

    from empathykit.annotate.push import push
    from empathykit.predict.predictions import predict_file
    from empathykit.schemas import get_schema

    out, _, data = trained
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(
            json.dumps({k: r[k] for k in ("item_id", "seeker_post", "response_post")}) + "\n"
            for r in data.split("test").to_list()[:6]
        )
    )
    report = predict_file(out, items, tmp_path / "pred.parquet")
    title = studio.project_title("epitome predictions")
    pushed = push(
        str(tmp_path / "pred.parquet"),
        schema="epitome",
        project=title,
        connection=studio.connection,
        schema_options={"mechanisms": ["emotional_reactions"]},
        predictions_column="prediction",
        prediction_score_column="prediction_score",
        model_version=report.model_version,
    )
    assert (pushed.created, pushed.predictions) == (6, 6)
    expected = {
        r["item_id"]: (json.loads(r["prediction"]), r["prediction_score"])
        for r in pq.read_table(tmp_path / "pred.parquet").to_pylist()
    }
    schema = get_schema("epitome", mechanisms=["emotional_reactions"])
    client = studio.client()
    found = {}
    for task in studio.tasks(pushed.project_id):
        for prediction in client.predictions.list(task=task["id"]):
            values, unknown = schema.parse_results(prediction.result)
            assert not unknown and prediction.model_version == report.model_version
            values.setdefault("emotional_reactions_rationales", [])
            found[task["data"]["item_id"]] = (values, pytest.approx(prediction.score, abs=1e-6))
    assert found == {k: (v, s) for k, (v, s) in expected.items()}
