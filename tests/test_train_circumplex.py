"""Circularity measures (1 on the circle, near 0 shuffled), angle files, and the ``circumplex`` family:
its loss on hand-computed angles, training on a toy set, save/load/predict, bad input."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from conftest import SAMPLES

from empathykit.errors import InputError, TrainError
from empathykit.train.circular import EMOLIT, circular_correlation, circularity, class_angles
from empathykit.train.families import get_family
from empathykit.train.settings import build_settings
from tests.train_fixtures import make_data, tiny_model


def on_circle(angles, per_class=5, dims=16, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(dims, 2)))[0].T  # a random plane in 16-D
    points, labels = [], []
    for c, a in enumerate(angles):
        for _ in range(per_class):
            points.append(math.cos(a) * basis[0] + math.sin(a) * basis[1])
            labels.append(c)
    return np.array(points), labels


def test_exact_circle_scores_one():
    angles = class_angles("emolit", list(EMOLIT))
    x, y = on_circle(angles)
    result = circularity(x, y, angles)
    assert result["circular_correlation"] == pytest.approx(1.0, abs=1e-9)
    assert result["neighbours_kept"] == 1.0


def test_shuffled_angles_score_near_zero():
    angles = class_angles("emolit", list(EMOLIT))
    values = []
    for seed in range(200):
        shuffled = angles[:]
        random.Random(seed).shuffle(shuffled)
        values.append(circular_correlation(angles, shuffled))
    assert abs(sum(values) / len(values)) < 0.05


def test_angle_file_must_name_every_class(tmp_path):
    path = tmp_path / "angles.csv"
    path.write_text("joy,0\nanger,90\n", encoding="utf-8")
    assert class_angles(str(path), ["joy", "anger"]) == [0.0, math.pi / 2]
    with pytest.raises(InputError, match="no angle for class\\(es\\) fear"):
        class_angles(str(path), ["joy", "anger", "fear"])


def test_circumplex_loss_on_hand_computed_angles():
    import torch

    from empathykit.train.circumplex import circumplex_loss

    # classes at 0°, 90°, 180°; rows of class 0, 2, 0 at 0°, 90°, 60° on the unit circle
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, math.sqrt(3) / 2]])
    y = torch.tensor([0, 2, 0])
    angles = torch.tensor([0.0, math.pi / 2, math.pi])
    # (0,1): cos 0 vs cos 180° = -1 -> 1; (0,2) same class, cos 0.5 below 1-0.1 -> 0.4²;
    # (1,2): cos √3/2 vs -1 -> (1+√3/2)²
    expected = (1.0 + 0.4**2 + (1 + math.sqrt(3) / 2) ** 2) / 3
    assert float(circumplex_loss(z, y, angles, margin=0.1)) == pytest.approx(expected, rel=1e-6)
    # a same-class pair inside the margin costs nothing; the angle target is exact
    on = torch.tensor([[1.0, 0.0], [0.0, 1.0], [math.cos(0.3), math.sin(0.3)]])
    assert float(circumplex_loss(on, torch.tensor([0, 1, 0]), angles, margin=0.1)) == pytest.approx(
        ((0 - 0) ** 2 + 0 + (math.sin(0.3) - 0) ** 2) / 3, abs=1e-6
    )


def test_supcon_loss_by_hand():
    import torch

    from empathykit.train.circumplex import supcon_loss

    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 0, 1])
    t = 0.5
    # rows 0 and 1: positive at cos 1, negative at cos 0; row 2 has no positive (left out)
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + math.exp(0)))
    assert float(supcon_loss(z, y, t)) == pytest.approx(expected, rel=1e-6)


FAST = {"learning_rate": 3e-3, "batch_size": 16, "save_steps": 1000, "logging_steps": 2, "warmup_ratio": 0.0, "dim": 8}


@pytest.fixture
def opposite(tmp_path):
    path = tmp_path / "angles.csv"
    path.write_text("no,0\nyes,180\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("loss", ["circumplex", "supcon"])
def test_family_learns_saves_loads_predicts(tiny_model, tmp_path, opposite, loss):
    family = get_family("circumplex")
    settings = build_settings(
        family.settings_class, {"model": str(tiny_model), "epochs": 6, "angles": opposite, "loss": loss, **FAST}
    )
    data = make_data("choice", 96)
    metrics = family.train(data, settings, tmp_path / "m")
    # supcon's floor is log(positives per row) (~2.7 at batch 16), so it falls less far
    assert metrics["train_loss"] < (0.6 if loss == "circumplex" else 0.8) * metrics["train_loss_first"]
    test = metrics["test"]
    assert test["accuracy"] >= 0.9 and test["macro_f1"] >= 0.9
    kept = metrics["kept"]  # never worse than the start, on validation
    assert kept["scores"][0]["at"] == "start" and kept["score"] == max(s["score"] for s in kept["scores"])
    assert metrics["validation"]["macro_f1"] == pytest.approx(kept["score"])
    assert {"circular_correlation", "neighbours_kept", "macro_f1_2d", "macro_f1_8d"} <= set(test)
    again = family.evaluate(tmp_path / "m", data, "test", tmp_path / "figs")
    assert again["accuracy"] == pytest.approx(test["accuracy"])
    assert again["macro_f1_2d"] == pytest.approx(test["macro_f1_2d"])
    assert (tmp_path / "figs" / "circle_test.png").stat().st_size > 5000
    rows = data.dataset["test"]
    predicted = family.predict(tmp_path / "m", [{"text": t} for t in rows["text"]] + [{"text": ""}])
    assert predicted[-1] == {"prediction": None, "prediction_score": None}
    accuracy = sum(p["prediction"] == [["no", "yes"][g]] for p, g in zip(predicted, rows["label"])) / len(rows)
    assert accuracy == pytest.approx(test["accuracy"])
    assert all(-1.0 <= p["prediction_score"] <= 1.0 for p in predicted[:-1])


def test_bad_input_is_one_line(tiny_model, tmp_path, opposite):
    family = get_family("circumplex")
    settings = build_settings(family.settings_class, {"model": str(tiny_model), "angles": opposite, **FAST})
    with pytest.raises(InputError, match="family 'circumplex' trains choice labels"):
        family.train(make_data("rating", 16), settings, tmp_path / "r")
    with pytest.raises(InputError, match="no angle for class\\(es\\) maybe"):
        family.train(make_data("choice", 16, names=("no", "maybe")), settings, tmp_path / "a")
    with pytest.raises(TrainError, match="loss='triplet'"):
        build_settings(family.settings_class, {"loss": "triplet"})
    assert not (tmp_path / "r").exists() and not (tmp_path / "a").exists()


EMOLIT_DIR = SAMPLES / "emolit"  # the cut keeps 8 train and 3 test rows per emotion


def _emolit_sample(folder: Path, per_class: dict[str, int]) -> Path:
    """A few real Emolit rows per emotion, train.csv and test.csv like the release."""
    import csv

    folder.mkdir()
    for name, n in per_class.items():
        with open(EMOLIT_DIR / f"{name}.csv", newline="", encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
        taken: dict[str, int] = {}
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=["text", "sentiment"])
            writer.writeheader()
            for row in rows:
                if taken.get(row["sentiment"], 0) < n:
                    taken[row["sentiment"]] = taken.get(row["sentiment"], 0) + 1
                    writer.writerow({"text": row["text"], "sentiment": row["sentiment"]})
    return folder


def test_cli_train_evaluate_predict_on_an_emolit_import(tiny_model, tmp_path):
    import json

    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    sample = _emolit_sample(tmp_path / "emolit", {"train": 8, "test": 3})
    runner = CliRunner()
    model = tmp_path / "m"
    result = runner.invoke(
        app,
        [
            "train",
            f"emolit:{sample}",
            "--family",
            "circumplex",
            "--model",
            str(tiny_model),
            "-o",
            str(model),
            "--set",
            "epochs=1",
            "--set",
            "dim=8",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["test"]["examples"] == 36 and metrics["test"]["classes"] == 12
    assert metrics["train_loss_first"] is not None  # fewer steps than logging_steps still log a loss
    result = runner.invoke(app, ["evaluate", str(model), f"emolit:{sample}", "-o", str(tmp_path / "ev.json")])
    assert result.exit_code == 0, result.output
    evaluated = json.loads((tmp_path / "ev.json").read_text())
    assert evaluated["macro_f1_2d"] == pytest.approx(metrics["test"]["macro_f1_2d"])
    assert (tmp_path / "circle_test.png").stat().st_size > 5000
    result = runner.invoke(app, ["predict", str(model), str(sample / "test.csv"), "-o", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    predicted = pq.read_table(tmp_path / "p.parquet").to_pydict()
    emolit = set(EMOLIT)
    assert len(predicted["prediction"]) == 36 and all(len(p) == 1 and p[0] in emolit for p in predicted["prediction"])
    half = tmp_path / "half.csv"
    half.write_text("".join(f"{name},{angle}\n" for name, angle in list(EMOLIT.items())[:6]), encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "train",
            f"emolit:{sample}",
            "--family",
            "circumplex",
            "--model",
            str(tiny_model),
            "-o",
            str(tmp_path / "x"),
            "--set",
            f"angles={half}",
        ],
    )
    assert result.exit_code == 1 and "no angle for class(es)" in " ".join(result.output.split())
    assert not (tmp_path / "x").exists()
