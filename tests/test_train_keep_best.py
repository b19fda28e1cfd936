"""Never worse than the start (keep_best): the starting model is scored on validation before training,
and the best of start, epochs and end is the model handed back, with the reason in metrics and card."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from tests.train_fixtures import make_data, pair_data, similarity_settings, tiny_model

FAST = {"batch_size": 16, "save_steps": 1000, "logging_steps": 50, "warmup_ratio": 0.0, "max_length": 16}


def _classifier(model, **values):
    from empathykit.train.families import get_family
    from empathykit.train.settings import build_settings

    family = get_family("classifier")
    return family, build_settings(family.settings_class, {"model": str(model), **FAST, **values})


def test_training_that_makes_it_worse_hands_back_the_start(tmp_path, tiny_model):
    from empathykit.train.similarity import SimilarityFamily

    family = SimilarityFamily()
    # a learning rate this large wrecks the encoder: the pre-trained start must come back
    out = tmp_path / "sim"
    metrics = family.train(pair_data(64), similarity_settings(tiny_model, epochs=2, learning_rate=5.0), out)
    kept = metrics["kept"]
    scores = {s["at"]: s["score"] for s in kept["scores"]}
    assert kept["kept"] == "start" and "did not beat the starting model" in kept["reason"], kept
    assert list(scores)[:1] == ["start"] and "epoch 1" in scores
    # the folder holds the start: its validation metrics are the start's, and equal the untouched encoder's
    assert metrics["validation"]["pearson"] == pytest.approx(scores["start"], abs=1e-5)
    assert metrics["validation"]["pearson"] == pytest.approx(metrics["validation_pretrained"]["pearson"], abs=1e-5)
    assert family.evaluate(out, pair_data(64), "validation")["pearson"] == pytest.approx(scores["start"], abs=1e-5)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["kept"]["kept"] == "start"
    card = (out / "README.md").read_text()
    assert "Kept: the start" in card and "did not beat the starting model" in card


def test_training_that_helps_keeps_the_best_epoch(tmp_path, tiny_model):
    family, settings = _classifier(tiny_model, epochs=6, learning_rate=3e-3)
    metrics = family.train(make_data("choice", 96), settings, tmp_path / "m")
    kept = metrics["kept"]
    assert kept["kept"] != "start" and kept["metric"] == "macro_f1"
    best = max(s["score"] for s in kept["scores"])
    assert kept["score"] == best > kept["scores"][0]["score"]
    assert metrics["validation"]["macro_f1"] == pytest.approx(best)
    assert [s["at"] for s in kept["scores"]][:2] == ["start", "epoch 1"]
    assert "warning" in kept and "min_validation=100" in kept["warning"]  # 24 validation items


def test_no_validation_split_keeps_the_final_model_and_says_why(tmp_path, tiny_model, caplog):
    data = make_data("choice", 32)
    data.dataset.pop("validation")
    family, settings = _classifier(tiny_model, epochs=1)
    with caplog.at_level("WARNING", logger="empathykit"):
        metrics = family.train(data, settings, tmp_path / "m")
    assert metrics["kept"]["kept"] == "final" and "no validation split" in metrics["kept"]["reason"]
    lines = [r.getMessage() for r in caplog.records if "no validation split" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0]


def test_keep_best_false_keeps_the_final_model(tmp_path, tiny_model):
    family, settings = _classifier(tiny_model, epochs=1, keep_best=False, min_validation=4)
    metrics = family.train(make_data("choice", 32), settings, tmp_path / "m")
    assert metrics["kept"] == {
        "kept": "final",
        "reason": "keep_best=false: the final model is kept, whatever it scores",
        "validation_examples": 8,
    }


def test_a_search_uses_the_same_rule(tmp_path, tiny_model):
    from empathykit.train.run import train_model
    from tests.train_fixtures import make_export

    export = make_export(tmp_path / "export")
    metrics = train_model(
        str(export),
        family="classifier",
        model=str(tiny_model),
        out_dir=tmp_path / "m",
        overrides=[f"{k}={v}" for k, v in FAST.items()] + ["epochs=1"],
        search=["learning_rate=3e-3,50"],
    )
    trials = metrics["search"]["trials"]
    assert len(trials) == 2 and metrics["kept"] == max(trials, key=lambda t: t["score"])["kept"]
    for trial in trials:  # each trial kept by the rule: its score is its kept model's, never under its start's
        kept = trial["kept"]
        assert kept["scores"][0]["at"] == "start" and trial["score"] >= kept["scores"][0]["score"]
        assert trial["validation"]["macro_f1"] == pytest.approx(kept["score"])


def _loop_interval(statistic, n, resamples=1000, seed=0):
    """The percentile interval by a plain loop over the same draws (rng.integers(0, n, (resamples, n)))."""
    import numpy as np

    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    values = [statistic(row) for row in draws]
    return np.nanpercentile(values, [2.5, 97.5])


def test_bootstrap_interval_of_macro_f1_matches_a_plain_loop_and_scipy():
    import numpy as np
    from scipy.stats import bootstrap
    from sklearn.metrics import f1_score

    from empathykit.train.metrics import classification_metrics

    rng = np.random.default_rng(5)
    gold = rng.integers(0, 3, 120)
    predicted = np.where(rng.random(120) < 0.7, gold, rng.integers(0, 3, 120))
    result = classification_metrics(gold.tolist(), predicted.tolist(), ["a", "b", "c"])
    interval = result["ci95"]
    f1 = lambda g, p: f1_score(g, p, labels=[0, 1, 2], average="macro", zero_division=0)
    low, high = _loop_interval(lambda row: f1(gold[row], predicted[row]), 120)
    assert (interval["low"], interval["high"]) == (pytest.approx(low), pytest.approx(high))
    assert interval["low"] < result["macro_f1"] < interval["high"] and interval["examples"] == 120
    other = bootstrap(
        (gold, predicted), f1, paired=True, vectorized=False, n_resamples=2000, method="percentile", random_state=1
    ).confidence_interval
    assert interval["low"] == pytest.approx(other.low, abs=0.03) and interval["high"] == pytest.approx(
        other.high, abs=0.03
    )


def test_bootstrap_interval_of_pearson_and_multilabel_macro_f1_match_a_plain_loop():
    import numpy as np
    from sklearn.metrics import f1_score

    from empathykit.train.metrics import multilabel_metrics, regression_metrics

    rng = np.random.default_rng(7)
    gold = rng.normal(size=80)
    predicted = gold + rng.normal(scale=1.0, size=80)
    interval = regression_metrics(gold.tolist(), predicted.tolist())["ci95"]
    low, high = _loop_interval(lambda row: np.corrcoef(gold[row], predicted[row])[0, 1], 80)
    assert (interval["metric"], interval["low"], interval["high"]) == (
        "pearson",
        pytest.approx(low),
        pytest.approx(high),
    )
    hot_gold = rng.integers(0, 2, (60, 4))
    hot_pred = np.where(rng.random((60, 4)) < 0.8, hot_gold, 1 - hot_gold)
    interval = multilabel_metrics(hot_gold, hot_pred, list("wxyz"))["ci95"]
    low, high = _loop_interval(lambda row: f1_score(hot_gold[row], hot_pred[row], average="macro", zero_division=0), 60)
    assert (interval["low"], interval["high"]) == (pytest.approx(low), pytest.approx(high))


def test_evaluate_and_the_card_give_the_test_interval(tmp_path, tiny_model):
    from empathykit.train.run import evaluate_model, train_model
    from tests.train_fixtures import make_export

    export = make_export(tmp_path / "export", sizes=(("train", 48, 0), ("validation", 8, 1), ("test", 40, 2)))
    metrics = train_model(
        str(export),
        family="classifier",
        model=str(tiny_model),
        out_dir=tmp_path / "m",
        overrides=[f"{k}={v}" for k, v in FAST.items()] + ["epochs=2", "learning_rate=3e-3"],
    )
    result = evaluate_model(tmp_path / "m", str(export))
    assert result["ci95"] == metrics["test"]["ci95"] and result["ci95"]["examples"] == 40
    assert result["ci95"]["low"] <= result["macro_f1"] <= result["ci95"]["high"]
    card = (tmp_path / "m" / "README.md").read_text()
    assert f"Test macro_f1 {result['macro_f1']:.4f}, bootstrap 95 % interval {result['ci95']['low']:.4f}" in card


def test_cli_without_a_validation_split_says_in_one_line_that_the_final_model_is_kept(tmp_path, tiny_model):
    from typer.testing import CliRunner

    from empathykit.cli.main import app
    from tests.train_fixtures import make_export

    export = make_export(tmp_path / "export", sizes=(("train", 32, 0), ("validation", 0, 1), ("test", 8, 2)))
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(export),
            "-m",
            str(tiny_model),
            "-o",
            str(tmp_path / "m"),
            *[f"--set={k}={v}" for k, v in FAST.items()],
            "--set",
            "epochs=1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "no validation split" in line]
    assert len(lines) == 1 and "the final model is kept" in lines[0], result.stderr
    assert json.loads((tmp_path / "m" / "metrics.json").read_text())["kept"]["kept"] == "final"
