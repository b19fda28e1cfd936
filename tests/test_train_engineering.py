"""Trainer engineering: resume after kill -9, two CPU processes under torchrun and accelerate launch,
the CLI end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from empathykit.train.folder import run_dir
from tests.train_fixtures import make_rows, tiny_model

SCRIPT = Path(__file__).with_name("train_run_toy.py")
VENV_BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def test_resume_after_kill_9_continues_from_the_last_checkpoint(tiny_model, tmp_path):
    out = tmp_path / "model"
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(tiny_model), str(out), "30", "3", "slow"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not [
        p for p in run_dir(out).glob("checkpoint-*/trainer_state.json") if int(p.parent.name.split("-")[1]) >= 6
    ]:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    checkpoints = sorted(int(p.name.split("-")[1]) for p in run_dir(out).glob("checkpoint-*"))
    assert checkpoints and not out.exists()  # killed: checkpoints kept, no half model folder
    # without --resume the stale run is refused, one line
    again = subprocess.run(
        [sys.executable, str(SCRIPT), str(tiny_model), str(out), "30", "3"], env=_env(), capture_output=True, text=True
    )
    assert again.returncode != 0 and "unfinished run left checkpoints" in again.stderr
    # a checkpoint the kill cut short is skipped: the newest one whose files were all written
    last = max(
        n
        for n in checkpoints
        if all(
            (run_dir(out) / f"checkpoint-{n}" / f).is_file()
            for f in ("trainer_state.json", "optimizer.pt", "scheduler.pt")
        )
    )
    # the same settings as the killed run: --resume refuses others
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tiny_model), str(out), "30", "3", "resume"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["resumed_from"] == f"checkpoint-{last}"
    assert (out / "config.yaml").is_file() and not run_dir(out).exists()


LAUNCHERS = {
    "torchrun": ["torchrun", "--nproc_per_node", "2", "--master_port"],
    # accelerate's multi-process launcher is torch.distributed.run; on a CPU-only machine the
    # Trainer runs it on gloo (its --cpu launcher would need MPI for two processes)
    "accelerate": [
        "accelerate",
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
    ],
}


def _free_port() -> int:
    """A port nobody listens on now (a fixed one collides with a run still in TIME_WAIT)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_two_cpu_processes_under_a_launcher(tiny_model, tmp_path, launcher):
    out = tmp_path / "ddp"
    command = [str(VENV_BIN / LAUNCHERS[launcher][0]), *LAUNCHERS[launcher][1:], str(_free_port())]
    done = subprocess.run(
        [*command, str(SCRIPT), str(tiny_model), str(out), "6", "100"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["world_size"] == 2 and (out / "heads.safetensors").is_file()


def test_cli_train_evaluate_predict_from_an_export_folder(tiny_model, tmp_path):
    from datasets import ClassLabel, Dataset

    from empathykit.cli.main import app
    from empathykit.exports.writer import ExportConfig, write_export

    names = ["seeking", "providing", "none"]
    export = tmp_path / "export"
    splits = {
        split: Dataset.from_list(
            [{k: r[k] for k in ("item_id", "text", "label")} for r in make_rows(n, seed)]
        ).cast_column("label", ClassLabel(names=names))
        for split, (n, seed) in {"train": (64, 0), "validation": (16, 1), "test": (16, 2)}.items()
    }
    write_export(
        export,
        [ExportConfig("empathy", "choice", ["text"], splits, names, schema="seek-provide")],
        card={"source": "toy"},
    )
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "train",
            str(export),
            "--model",
            str(tiny_model),
            "-o",
            str(tmp_path / "m"),
            "--set",
            "epochs=8",
            "--set",
            "learning_rate=3e-3",
            "--set",
            "warmup_ratio=0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["test"]["accuracy"] >= 0.8
    result = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(export), "-o", str(tmp_path / "ev.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "confusion_test.png").is_file()
    per_class = json.loads((tmp_path / "ev.json").read_text())["per_class"]
    test_labels = [r["label"] for r in make_rows(16, 2)]
    assert {name: per_class[name]["support"] for name in names} == {
        name: test_labels.count(k) for k, name in enumerate(names)
    }  # every test row counted once, by its label
    items = tmp_path / "items.csv"
    items.write_text("id,text\n1,sad hurt my day\n2,happy party fun\n")
    result = runner.invoke(app, ["predict", str(tmp_path / "m"), str(items), "-o", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "p.parquet").to_pydict()
    assert table["prediction"] == [names[1], names[0]] and len(table["prediction_score"]) == 2
    result = runner.invoke(app, ["train", str(export), "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no such folder" in " ".join(result.output.split())
    assert not (tmp_path / "x").exists()
