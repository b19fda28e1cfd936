"""EPITOME level decoding: per-level offsets on the log-probabilities, chosen on validation macro-F1
(``level_decoding=auto``), saved with the model and used by evaluate and predict alike."""

from __future__ import annotations

import random

import pytest

from empathykit.errors import TrainError
from empathykit.train import level_decoding as ld
from tests.train_fixtures import tiny_model


def _rare_level_rows(n: int = 300, seed: int = 0):
    """Three levels; the middle one (5 % of rows) is the second most probable on its own rows, never the first."""
    rng = random.Random(seed)
    probs, gold = [], []
    for _ in range(n):
        level = 1 if rng.random() < 0.05 else rng.choice([0, 2])
        if level == 1:
            p = [0.5, 0.35, 0.15] if rng.random() < 0.5 else [0.15, 0.35, 0.5]
        else:
            p = [0.8, 0.15, 0.05] if level == 0 else [0.05, 0.15, 0.8]
        probs.append(p)
        gold.append(level)
    return probs, gold


def test_offsets_bring_back_a_level_argmax_never_predicts():
    from sklearn.metrics import f1_score

    probs, gold = _rare_level_rows()
    plain = ld.decide(probs)
    assert 1 not in plain
    offsets, score = ld.choose_offsets(probs, gold)
    shifted = ld.decide(probs, offsets)
    assert offsets[0] == 0.0 and offsets[1] > 0
    assert score == pytest.approx(f1_score(gold, shifted, average="macro", labels=[0, 1, 2]))
    assert score == pytest.approx(1.0)  # here a shift separates the levels exactly
    assert f1_score(gold, plain, average="macro", labels=[0, 1, 2]) < 0.7


def test_argmax_is_kept_when_no_shift_helps():
    probs = [[0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.2, 0.1, 0.7]] * 5
    gold = [0, 1, 2] * 5
    offsets, score = ld.choose_offsets(probs, gold)
    assert offsets == [0.0, 0.0, 0.0] and score == 1.0
    assert ld.decide(probs, offsets) == ld.decide(probs) == gold


def test_the_setting_is_a_closed_choice():
    from empathykit.train.epitome import EpitomeSettings

    assert EpitomeSettings().level_decoding == "argmax"  # the reference's way stays the default
    with pytest.raises(TrainError, match="level_decoding='best': expected auto or argmax"):
        EpitomeSettings(level_decoding="best")


def test_offsets_are_chosen_saved_and_used_by_evaluate_and_predict(tiny_model, tmp_path):
    import yaml

    from empathykit.train.epitome import EpitomeFamily
    from empathykit.train.settings import load_settings
    from tests.test_train_epitome import FAST, toy_epitome

    family = EpitomeFamily()
    settings = load_settings(family.settings_class, None, [*FAST, "level_decoding=auto"], model=str(tiny_model))
    data = toy_epitome()
    metrics = family.train(data, settings, tmp_path / "m")
    offsets = metrics["level_offsets"]
    assert len(offsets) == 3 and offsets[0] == 0.0
    assert yaml.safe_load((tmp_path / "m" / "config.yaml").read_text())["level_offsets"] == offsets
    again = family.evaluate(tmp_path / "m", data, "test")
    assert again["macro_f1"] == pytest.approx(metrics["test"]["macro_f1"])
    rows = data.split("test").to_list()
    levels = [["no", "weak", "strong"].index(p["emotional_reactions"]) for p in family.predict(tmp_path / "m", rows)]
    assert sum(a == r["label"] for a, r in zip(levels, rows)) / len(rows) == pytest.approx(again["accuracy"])
