"""Circularity measures: 1 on the circle, near 0 for shuffled angles; angle files name every class."""

from __future__ import annotations

import math
import random

import pytest

from empathykit.errors import InputError
from empathykit.train.circular import EMOLIT, circular_correlation, circularity, class_angles


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
