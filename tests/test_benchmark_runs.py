"""A multi-seed benchmark killed midway resumes: each finished run is recorded under its key at once
(``benchmarks/_runs.py``), a restart with the same settings trains only what is missing, and a results
file of other settings is never mixed in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.train_fixtures import tiny_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data"


def _bench(out: Path, model: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "EMPATHYKIT_DATA": str(SAMPLES), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_train_epitome.py"), "--model", str(model)]
    command += ["--mechanisms", "EX", "--epochs", "1", "--set", "batch_size=16", "--out", str(out), *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_a_restart_trains_only_the_seeds_not_recorded(tiny_model, tmp_path):
    out = tmp_path / "epitome.json"
    first = _bench(out, tiny_model, "--seeds", "0")
    assert first.returncode == 0, first.stderr[-2000:]
    recorded = json.loads(out.read_text())
    assert list(recorded["runs"]) == ["EX-0"] and recorded["runs"]["EX-0"]["seed"] == 0
    again = _bench(out, tiny_model, "--seeds", "0", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "EX-0: recorded in" in again.stderr and again.stderr.count('"mechanism": "EX"') == 1  # only seed 1 ran
    runs = json.loads(out.read_text())["runs"]
    assert runs["EX-0"] == recorded["runs"]["EX-0"] and set(runs) == {"EX-0", "EX-1"}
    assert "| EX | empathykit `epitome` (" in again.stdout and "| 0, 1 |" in again.stdout
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_results_file_of_other_settings_is_refused_in_one_line(tiny_model, tmp_path):
    out = tmp_path / "epitome.json"
    out.write_text(json.dumps({"settings": {"encoder": "x", "epochs": 9, "set": []}, "runs": {"EX-0": {}}}))
    before = out.read_bytes()
    done = _bench(out, tiny_model, "--seeds", "0")
    assert done.returncode == 1 and "holds runs of other settings" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and out.read_bytes() == before


@pytest.mark.parametrize("text", ["not json", "[]"])
def test_a_file_that_is_not_a_results_file_is_refused(tiny_model, tmp_path, text):
    out = tmp_path / "epitome.json"
    out.write_text(text)
    done = _bench(out, tiny_model, "--seeds", "0")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1 and out.read_text() == text


def test_labels_to_reach_the_target_f1_on_the_mean_curve_and_each_seed():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_active_learning as al

    def run(*f1):  # (labels, macro-F1, positive-class F1) per round
        return [(50 * (i + 1), 0.5, v) for i, v in enumerate(f1)]

    results = {
        "toy": {"uncertainty": [run(0.80, 0.86, 0.90), run(0.84, 0.85, 0.88)], "random": [run(0.80, 0.82, 0.84)] * 2}
    }
    summary = al.summarise(results, ["uncertainty", "random"], target_f1=85.71)["toy"]
    reach = summary["labels_to_reach_target_f1"]
    assert reach["uncertainty"]["mean_curve"] == [82.0, 85.5, 89.0]
    assert reach["uncertainty"]["labels_on_mean"] == 150  # the mean at 100 labels is 85.5, under 85.71
    assert reach["uncertainty"]["labels_per_seed"] == [100, 150]
    assert reach["random"]["labels_on_mean"] is None and reach["random"]["labels_per_seed"] == [None, None]
    three = {"toy": {"random": [[(50, 0.5, None)]]}}
    assert "labels_to_reach_target_f1" not in al.summarise(three, ["random"], target_f1=85.71)["toy"]


def test_kept_models_are_decoded_side_by_side(tiny_model, tmp_path):
    kept = tmp_path / "models"
    trained = _bench(tmp_path / "epitome.json", tiny_model, "--seeds", "0", "--keep-models", str(kept))
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert (kept / "EX-0" / "config.yaml").is_file()
    env = {**os.environ, "EMPATHYKIT_DATA": str(SAMPLES), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_epitome_decoding.py"), str(kept)]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "d.json")], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    runs = json.loads((tmp_path / "d.json").read_text())["runs"]
    assert set(runs) == {"EX-0"} and set(runs["EX-0"]) == {"argmax", "words", "clauses"}
    # the same weights: argmax is argmax, and training chose, among the same candidates, what it saved
    saved = yaml.safe_load((kept / "EX-0" / "config.yaml").read_text())
    assert runs["EX-0"]["argmax"]["decoding"]["threshold"] == 0.5 and not runs["EX-0"]["argmax"]["decoding"]["snap"]
    assert runs["EX-0"]["clauses"]["decoding"] == saved["rationale_decoding"]
    assert runs["EX-0"]["words"]["decoding"]["clause"] == 0.0
    assert "| EX | 0 |" in done.stdout
