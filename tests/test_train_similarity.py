"""Family ``similarity``: training signal, metrics, save/load/predict, bad pairs, the dev export."""

from __future__ import annotations

import json
import random

import pytest
from conftest import SAMPLES

from empathykit.errors import InputError
from tests.train_fixtures import FILLER, NEGATIVE, POSITIVE, pair_data, pair_rows, tiny_model
from tests.train_fixtures import similarity_settings as settings

DEV_PAIRS = SAMPLES / "empathic-stories" / "PAIRS (dev).csv"  # 16 of the dev split's pairs


@pytest.fixture(scope="module")
def trained(tiny_model, tmp_path_factory):
    from empathykit.train.families import get_family

    out = tmp_path_factory.mktemp("sim") / "model"
    metrics = get_family("similarity").train(pair_data(), settings(tiny_model), out)
    return out, metrics


def test_loss_falls_and_spearman_rises_over_the_pretrained_encoder(trained):
    _, metrics = trained
    assert metrics["train_loss"] < metrics["train_loss_first"]
    assert metrics["test"]["spearman"] > 0.6
    assert metrics["test"]["spearman"] > (metrics["test_pretrained"]["spearman"] or 0.0) + 0.3
    assert set(metrics["test"]["retrieval"]) >= {"precision_at_1", "kendall_tau", "spearman_rho"}


def test_card_says_how_scores_map_and_save_load_predict_agree(trained):
    from empathykit.train.families import get_family
    from empathykit.train.similarity import ENCODER, from_unit, load_encoder, pair_cosines

    out, metrics = trained
    assert "mapped linearly" in (out / "config.yaml").read_text()
    assert json.loads((out / "metrics.json").read_text())["test"]["spearman"] == pytest.approx(
        metrics["test"]["spearman"]
    )
    rows = pair_rows(6, 5) + [{"story_a": "", "story_b": "sad day"}]
    predicted = get_family("similarity").predict(out, rows)
    cos = pair_cosines(load_encoder(out / ENCODER), [r["story_a"] for r in rows[:6]], [r["story_b"] for r in rows[:6]])
    assert [p["prediction"] for p in predicted[:6]] == pytest.approx([from_unit(c, (1.0, 4.0)) for c in cos], abs=1e-3)
    assert all(1.0 <= p["prediction"] <= 4.0 for p in predicted[:6])
    assert predicted[6]["prediction"] is None
    evaluated = get_family("similarity").evaluate(out, pair_data(), "test")
    assert evaluated["spearman"] == pytest.approx(metrics["test"]["spearman"], abs=1e-4)


def summary_rows(n: int, seed: int) -> list[dict]:
    """``pair_rows`` whose summaries carry the score and whose stories do not (stories drawn
    apart from it): a model learns the score only if it trains on the summaries."""
    rng = random.Random(seed + 100)
    noise = lambda: " ".join(rng.sample(FILLER, 3) + rng.sample(rng.choice([POSITIVE, NEGATIVE]), 2))
    return [{**row, "story_a": noise(), "story_b": noise()} for row in pair_rows(n, seed)]


def test_cosent_trains_on_summaries(tiny_model, tmp_path):
    from empathykit.train.families import get_family

    rows = {"train": summary_rows(96, 0), "validation": summary_rows(32, 1), "test": summary_rows(32, 2)}
    metrics = get_family("similarity").train(
        pair_data(rows=rows), settings(tiny_model, loss="cosent", inputs="summary", logging_steps=1), tmp_path / "m"
    )
    # the inputs: only the summaries carry the score, so only a model trained on them learns it
    assert "columns:\n- story_a_summary\n- story_b_summary" in (tmp_path / "m" / "config.yaml").read_text()
    assert metrics["test"]["spearman"] > 0.6
    assert metrics["test"]["spearman"] > (metrics["test_pretrained"]["spearman"] or 0.0) + 0.3
    # the loss: the same first batch under the cosine loss (MSE of cosines in [0, 1]) costs far less
    # than under CoSENT (log(1 + sum of exp(20 x cosine gaps)) over the batch's ordered pairs)
    first_batch = settings(tiny_model, inputs="summary", logging_steps=1, max_steps=1)
    cosine = get_family("similarity").train(pair_data(rows=rows), first_batch, tmp_path / "cosine")
    assert metrics["train_loss_first"] > 1.0 > cosine["train_loss_first"], (
        metrics["train_loss_first"],
        cosine["train_loss_first"],
    )


@pytest.mark.parametrize(
    "bad,message",
    [({"story_b": ""}, "lacks a text"), ({"label": 5.0}, "outside its scale"), ({"label": None}, "no score")],
)
def test_bad_pairs_are_one_line(tiny_model, tmp_path, bad, message):
    from empathykit.train.families import get_family

    rows = {"train": pair_rows(8, 0), "validation": pair_rows(4, 1), "test": pair_rows(4, 2)}
    rows["train"][3].update(bad)
    with pytest.raises(InputError, match=message) as caught:
        get_family("similarity").train(pair_data(rows=rows), settings(tiny_model), tmp_path / "m")
    assert "\n" not in str(caught.value) and not (tmp_path / "m").exists()


def test_end_to_end_from_the_dev_export(tiny_model, tmp_path):
    from empathykit.exports.importers import export_import
    from empathykit.train.data import load_training_data
    from empathykit.train.families import get_family

    export_import(f"empathic-story-pairs:{DEV_PAIRS}", tmp_path / "export")
    data = load_training_data(tmp_path / "export", "similarity_emotion")
    metrics = get_family("similarity").train(data, settings(tiny_model, epochs=1, max_length=64), tmp_path / "m")
    assert metrics["validation"]["pairs"] == len(data.dataset["validation"])
    scores = get_family("similarity").predict(tmp_path / "m", data.dataset["test"].to_list())
    assert all(1.0 <= s["prediction"] <= 4.0 for s in scores)
