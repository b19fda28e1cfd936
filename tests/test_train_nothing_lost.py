"""Nothing lost in training (issue 20, points 1-3 and 5): `train -o` replaces only what empathykit
wrote, one live run per output, `--resume` resumes what was started, the import cache follows the
content, weights get the folder's mode."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import OutputError, TrainError
from empathykit.train.folder import run_dir
from tests.train_fixtures import make_data, make_export, tiny_model

SCRIPT = Path(__file__).with_name("train_run_toy.py")
runner = CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


def train_args(export: Path, model: Path, out: Path, *more: str) -> list[str]:
    return [
        "train",
        str(export),
        "--model",
        str(model),
        "-o",
        str(out),
        "--set",
        "max_steps=2",
        "--set",
        "batch_size=8",
        "--set",
        "eval_each_epoch=false",
        *more,
    ]


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return make_export(tmp_path_factory.mktemp("nl") / "export")


def _classifier(tiny_model, **values):
    from empathykit.train.families import get_family
    from empathykit.train.settings import build_settings

    family = get_family("classifier")
    base = {
        "model": str(tiny_model),
        "max_steps": 10,
        "save_steps": 2,
        "batch_size": 8,
        "logging_steps": 1,
        "warmup_ratio": 0.0,
        "eval_each_epoch": False,
        "learning_rate": 2e-5,
    }
    return family, build_settings(family.settings_class, {**base, **values})


class Interrupt(Exception):
    pass


def _stop_after(steps: int):
    """An ``on_progress`` that interrupts the run after ``steps`` optimizer steps (as a Ctrl-C would)."""

    def progress(stage, done=None, total=None):
        if done is not None and done >= steps:
            raise Interrupt()

    return progress


# -- point 1: -o replaces only what empathykit wrote -------------------------------------------------


def test_folder_with_a_config_yaml_is_not_a_model_folder(tiny_model, export, tmp_path):
    out = tmp_path / "exp1"
    out.mkdir()
    files = {"config.yaml": "epochs: 1\n", "notes.md": "my notes\n", "my_data.csv": "id,text\n1,a\n"}
    for name, text in files.items():
        (out / name).write_text(text)
    result = runner.invoke(app, train_args(export, tiny_model, out, "--config", str(out / "config.yaml")))
    assert result.exit_code == 1, result.output
    message = _flat(result.output)
    assert f"model folder {out}: there is a folder" in message and "nothing was written" in message
    assert "Traceback" not in result.output
    assert {p.name: p.read_text() for p in out.iterdir()} == files
    assert not run_dir(out).exists() and not list(tmp_path.glob(".exp1*"))


def test_retrain_keeps_the_users_files_and_weights_get_the_folders_mode(tiny_model, export, tmp_path):
    out = tmp_path / "model"
    assert runner.invoke(app, train_args(export, tiny_model, out)).exit_code == 0
    result = runner.invoke(app, ["evaluate", str(out), str(export)])
    assert result.exit_code == 0, result.output
    figure = out / "figures" / "confusion_test.png"
    assert figure.is_file()
    (out / "notes.md").write_text("why this run\n")
    (out / "runs").mkdir()
    (out / "runs" / "log.txt").write_text("seed 42\n")
    first = (out / "metrics.json").read_text()
    result = runner.invoke(app, train_args(export, tiny_model, out, "--set", "seed=7"))
    assert result.exit_code == 0, result.output
    assert (out / "notes.md").read_text() == "why this run\n" and (out / "runs" / "log.txt").read_text() == "seed 42\n"
    assert figure.is_file() and (out / "metrics.json").read_text() != first
    assert yaml.safe_load((out / "config.yaml").read_text())["settings"]["seed"] == 7
    modes = {p.relative_to(out).as_posix(): p.stat().st_mode & 0o777 for p in out.rglob("*") if p.is_file()}
    assert modes["heads.safetensors"] == modes["encoder/model.safetensors"] == modes["labels.json"], modes


# -- point 2: one run per output -------------------------------------------------------------------


def test_second_run_to_a_live_runs_output_stops_and_a_killed_runs_lock_is_taken_over(tiny_model, tmp_path):
    out = tmp_path / "model"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    live = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(tiny_model), str(out), "40", "4", "slow"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (run_dir(out) / "run.json").is_file():
            time.sleep(0.1)
        family, settings = _classifier(tiny_model, max_steps=40, save_steps=4, learning_rate=3e-3)
        started = time.time()
        with pytest.raises(OutputError) as caught:
            family.train(make_data("choice", 64), settings, out)
        assert time.time() - started < 30
        assert f"model folder {out} is being written by another run (pid {live.pid} on " in str(caught.value)
        assert live.poll() is None and "started" in str(caught.value)
    finally:
        os.kill(live.pid, signal.SIGKILL)
        live.wait()
    lock = out.parent / f".{out.name}.empathykit-lock"
    assert lock.is_file()  # a killed run leaves its lock file; the kernel let go of the lock itself
    family.train(make_data("choice", 64), settings, out, resume=True)
    assert (out / "config.yaml").is_file()
    assert not lock.exists() and not run_dir(out).exists()


# -- point 3: --resume resumes what was started --------------------------------------------------------


def test_resume_refuses_other_settings_and_records_safe_changes(tiny_model, tmp_path):
    out = tmp_path / "model"
    data = make_data("choice", 64)
    family, settings = _classifier(tiny_model)
    with pytest.raises(Interrupt):
        family.train(data, settings, out, on_progress=_stop_after(5))
    assert sorted(p.name for p in run_dir(out).glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    _, other = _classifier(tiny_model, learning_rate=1e-3, epochs=4)
    with pytest.raises(TrainError) as caught:
        family.train(data, other, out, resume=True)
    assert "learning_rate 2e-05 -> 0.001" in str(caught.value) and "epochs 3.0 -> 4.0" in str(caught.value)
    assert not out.exists()
    _, safe = _classifier(tiny_model, save_steps=3, logging_steps=2)
    metrics = family.train(data, safe, out, resume=True)
    assert metrics["resumed_from"] == "checkpoint-4"
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["settings"]["learning_rate"] == 2e-5 and config["settings"]["save_steps"] == 3
    assert config["resumed"][0]["from"] == "checkpoint-4"
    assert config["resumed"][0]["changed"] == {
        "logging_steps": {"before": 1, "after": 2},
        "save_steps": {"before": 2, "after": 3},
    }
    assert "checkpoint-4" in (out / "README.md").read_text()
    # nothing left to resume: a finished model says so and is not retrained
    before = (out / "heads.safetensors").read_bytes()
    with pytest.raises(TrainError, match="nothing to resume"):
        family.train(data, safe, out, resume=True)
    assert (out / "heads.safetensors").read_bytes() == before


def test_resume_without_a_checkpoint_says_it_starts_over(tiny_model, tmp_path, caplog):
    family, settings = _classifier(tiny_model, max_steps=2)
    with caplog.at_level(logging.WARNING, logger="empathykit"):
        metrics = family.train(make_data("choice", 64), settings, tmp_path / "model", resume=True)
    assert metrics["resumed_from"] is None
    assert [m for m in caplog.messages if m.startswith("--resume")] == [
        f"--resume: no usable checkpoint in {run_dir(tmp_path / 'model')}; starting over"
    ]


def test_a_run_that_fails_before_its_first_checkpoint_leaves_nothing(tiny_model, tmp_path):
    family, settings = _classifier(tiny_model, save_steps=100)
    with pytest.raises(Interrupt):
        family.train(make_data("choice", 64), settings, tmp_path / "model", on_progress=_stop_after(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- point 5: the DATASET:PATH cache follows the content ---------------------------------------------


def test_import_cache_is_keyed_by_content_not_size_and_time(tmp_path, monkeypatch):
    import shutil

    from empathykit.train.data import load_training_data

    monkeypatch.setenv("EMPATHYKIT_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "sst2"
    shutil.copytree(Path(__file__).with_name("data") / "sst2", folder)
    train = folder / "train.tsv"
    stamp = train.stat()

    def labelled(data) -> list[tuple[str, int]]:
        return sorted((r["text"], r["label"]) for split in data.dataset.values() for r in split)

    first = labelled(load_training_data(f"sst2:{folder}"))
    # same size and time, other labels (as `cp -p`, `rsync -a` or `tar x` of an edited copy leave it)
    rows = train.read_text(encoding="utf-8").splitlines(keepends=True)
    train.write_text("".join(("0" if r[0] == "1" else "1") + r[1:] for r in rows), encoding="utf-8")
    os.utime(train, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert train.stat().st_size == stamp.st_size and train.stat().st_mtime_ns == stamp.st_mtime_ns
    second = labelled(load_training_data(f"sst2:{folder}"))
    assert first != second and [t for t, _ in first] == [t for t, _ in second]
    assert len(list((tmp_path / "cache" / "train-data").iterdir())) == 2


def test_search_holds_the_outputs_lock_too(tiny_model, tmp_path):
    from empathykit.io import output_lock
    from empathykit.train.search import search_train

    family, settings = _classifier(tiny_model, max_steps=2)
    out = tmp_path / "model"
    with output_lock(out, label="model folder"):
        with pytest.raises(OutputError, match=f"is being written by another run \\(pid {os.getpid()} on "):
            search_train(family, make_data("choice", 64), settings.to_dict(), {"learning_rate": ["1e-3", "2e-3"]}, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
