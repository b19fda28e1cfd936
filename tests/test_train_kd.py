"""Family ``kd``: the loss is the paper's formula, and the student learns with and without teachers."""

from __future__ import annotations

import math

import pytest

from empathykit.train import data as training_data
from empathykit.train.families import get_family
from empathykit.train.kd import annealed_lambda, kd_loss
from empathykit.train.settings import build_settings
from tests.train_fixtures import make_data, tiny_model


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_kd_loss_equals_the_formula_by_hand(lam):
    import torch

    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 1.0]])
    gold = torch.tensor([0, 2])
    teacher = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    by_hand = 0.0
    for row, y, t in zip(logits.tolist(), gold.tolist(), teacher.tolist()):
        norm = math.log(sum(math.exp(v) for v in row))
        for k, value in enumerate(row):
            target = lam * (1.0 if k == y else 0.0) + (1 - lam) * t[k]
            by_hand -= target * (value - norm)
    by_hand /= 2
    assert kd_loss(logits, gold, teacher, lam).item() == pytest.approx(by_hand, rel=1e-6)


def test_lambda_rises_linearly_and_stays_one_without_annealing():
    assert [annealed_lambda(s, 4, True) for s in range(5)] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert annealed_lambda(0, 4, False) == 1.0


def test_student_learns_with_teachers_and_as_plain_mt(tiny_model, tmp_path, monkeypatch):
    aux = make_data("choice", 64, names=("neg", "mid", "pos"), seed=5)
    monkeypatch.setattr(training_data, "load_training_data", lambda spec, task=None: aux)
    family = get_family("kd")
    common = {
        "model": str(tiny_model),
        "epochs": 5,
        "learning_rate": 3e-3,
        "batch_size": 16,
        "save_steps": 1000,
        "logging_steps": 2,
        "warmup_ratio": 0.0,
        "aux": {"toy": "toy:aux"},
        "aux_max_examples": 40,
    }
    # teacher annealing starts from the teachers' soft labels, so the student needs more epochs than plain MT
    kd = family.train(
        make_data("choice", 64), build_settings(family.settings_class, {**common, "epochs": 12}), tmp_path / "kd"
    )
    # the KD loss keeps a teacher term, so it falls less than a one-hot loss; F1 is the learning check
    assert kd["train_loss"] < 0.8 * kd["train_loss_first"] and kd["test"]["f1"] >= 0.9
    kept = kd["kept"]  # never worse than the start, on validation
    assert kept["scores"][0]["at"] == "start" and kept["score"] == max(s["score"] for s in kept["scores"])
    assert kd["validation"]["macro_f1"] == pytest.approx(kept["score"])
    import yaml

    config = yaml.safe_load((tmp_path / "kd" / "config.yaml").read_text())
    assert config["family"] == "kd" and config["heads"] == {"main": 2, "toy": 3}
    assert config["tasks"]["toy"]["train_examples"] == 40 and set(config["teachers"]) == {"main", "toy"}
    mt = family.train(
        make_data("choice", 64), build_settings(family.settings_class, {**common, "annealing": False}), tmp_path / "mt"
    )
    assert mt["test"]["f1"] >= 0.9
    assert family.predict(tmp_path / "mt", [{"text": "sad cry"}])[0]["prediction"] == "yes"
    # a trained teacher folder is used as given, not retrained
    given = family.train(
        make_data("choice", 64),
        build_settings(family.settings_class, {**common, "epochs": 1, "teachers": {"main": str(tmp_path / "mt")}}),
        tmp_path / "kd2",
    )
    assert given["test"]["examples"] == 16
    assert yaml.safe_load((tmp_path / "kd2" / "config.yaml").read_text())["teachers"]["main"] == str(tmp_path / "mt")


def test_kd_needs_an_aux_task(tiny_model, tmp_path):
    from empathykit.errors import TrainError

    family = get_family("kd")
    with pytest.raises(TrainError, match="at least one auxiliary task"):
        family.train(
            make_data("choice", 16), build_settings(family.settings_class, {"model": str(tiny_model)}), tmp_path / "x"
        )
