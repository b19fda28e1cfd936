"""Family ``mlm``: masked-LM pretraining on unlabelled text lowers the masked-LM loss, and the folder it
writes is an encoder the other families fine-tune; unusable text is one line before any training."""

from __future__ import annotations

import json
import logging

import pytest

pytest.importorskip("torch")

from typer.testing import CliRunner

from empathykit.errors import InputError
from empathykit.train.families import get_family
from empathykit.train.settings import build_settings
from tests.train_fixtures import make_data, make_rows, tiny_model

FAST = {
    "epochs": 8,
    "max_length": 32,
    "learning_rate": 3e-3,
    "batch_size": 16,
    "save_steps": 1000,
    "logging_steps": 5,
    "warmup_ratio": 0.0,
    "validation_fraction": 0.1,
}


def _settings(model, **values):
    family = get_family("mlm")
    return family, build_settings(family.settings_class, {"model": str(model), **FAST, **values})


def _posts(path, n=300):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = make_rows(n, seed=5)
    pq.write_table(pa.table({"post_id": [r["item_id"] for r in rows], "text": [r["text"] for r in rows]}), path)
    return path


def test_mlm_lowers_the_masked_lm_loss_and_the_folder_trains_a_classifier(tiny_model, tmp_path, caplog):
    family, settings = _settings(tiny_model)
    corpus = family.load_data(str(_posts(tmp_path / "posts.parquet")), None, settings)
    with caplog.at_level(logging.WARNING, logger="empathykit"):
        metrics = family.train(corpus, settings, tmp_path / "mlm")
    notes = caplog.messages
    validation = metrics["validation"]
    assert validation["mlm_loss"] < 0.85 * validation["mlm_loss_before"]
    kept = metrics["kept"]  # never worse than the start: the lowest held-out loss, the start's included
    assert kept["metric"] == "mlm_loss" and kept["scores"][0]["at"] == "start"
    assert validation["mlm_loss"] == pytest.approx(kept["score"]) == min(s["score"] for s in kept["scores"])
    assert metrics["texts"] == 300 and metrics["train_blocks"] > 10
    # the tiny BERT was saved without an MLM head: a fresh one, and the run says so
    assert metrics["fresh_mlm_head"] is True and any("no masked-LM head" in n for n in notes)
    folder = tmp_path / "mlm"
    assert (folder / "config.json").is_file() and (folder / "config.yaml").is_file()
    assert json.loads((folder / "metrics.json").read_text())["validation"]["mlm_loss"] == validation["mlm_loss"]
    # a second pretraining from this folder finds the head it saved
    again, _ = _settings(folder, epochs=1)
    from empathykit.train.mlm import load_mlm_model

    assert load_mlm_model(folder)[1] is False
    classifier = get_family("classifier")
    cls_settings = build_settings(
        classifier.settings_class,
        {
            "model": str(folder),
            "epochs": 6,
            "learning_rate": 3e-3,
            "batch_size": 16,
            "save_steps": 1000,
            "logging_steps": 2,
            "warmup_ratio": 0.0,
        },
    )
    trained = classifier.train(make_data("choice", 96), cls_settings, tmp_path / "cls")
    assert trained["test"]["accuracy"] >= 0.85


def test_text_from_csv_column_jsonl_and_an_export(tiny_model, tmp_path):
    family, settings = _settings(tiny_model, text_column="message")
    rows = make_rows(20)
    csv = tmp_path / "m.csv"
    csv.write_text("id,message\n" + "\n".join(f"{i},{r['text']}" for i, r in enumerate(rows)) + "\n2,\n")
    corpus = family.load_data(str(csv), None, settings)
    assert corpus.texts == [r["text"] for r in rows] and corpus.rows == 21
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("\n".join(json.dumps({"text": r["text"]}) for r in rows) + "\n")
    assert family.load_data(str(jsonl), None, _settings(tiny_model)[1]).texts[0] == rows[0]["text"]
    from empathykit.train.texts import read_corpus

    with pytest.raises(InputError, match=r"no column 'message'; it has text"):
        read_corpus(str(jsonl), column="message")


def test_unusable_text_is_one_line(tiny_model, tmp_path):
    family, settings = _settings(tiny_model)
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"text": "  "}) + "\n")
    with pytest.raises(InputError, match="no text to pretrain on"):
        family.load_data(str(empty), None, settings)
    numbers = tmp_path / "n.csv"
    numbers.write_text("text\n1\n2\n3\n")
    with pytest.raises(InputError, match="hold int values, not text"):
        family.load_data(str(numbers), None, settings)
    short = tmp_path / "short.txt"
    short.write_text("sad day\nhappy day\n")
    corpus = family.load_data(str(short), None, settings)
    with pytest.raises(InputError, match=r"make 8 tokens, fewer than one block of max_length=32"):
        family.train(corpus, settings, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(InputError, match="is a PNG image"):
        family.load_data(str(binary), None, settings)


def test_cli_mlm_then_classifier(tiny_model, tmp_path):
    from empathykit.cli.main import app

    posts = _posts(tmp_path / "posts.parquet", n=120)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "train",
            str(posts),
            "--family",
            "mlm",
            "--model",
            str(tiny_model),
            "-o",
            str(tmp_path / "enc"),
            "--set",
            "epochs=1",
            "--set",
            "max_length=32",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "no masked-LM head" in " ".join(result.stderr.split())
    assert "mlm_loss" in json.loads(result.stdout)["validation"]
    result = runner.invoke(
        app,
        [
            "train",
            str(tmp_path / "nothing.parquet"),
            "--family",
            "mlm",
            "--model",
            str(tiny_model),
            "-o",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 1 and "nothing.parquet: no such file or folder" in " ".join(result.output.split())
