"""``loop`` and ``annotate next-round`` check their libraries and their model before any other work:
one line naming the install or the problem, nothing pulled (the Label Studio URL here answers nothing,
so any step that reached it would fail otherwise), nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from tests.train_fixtures import tiny_model

NOWHERE = {"LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": "not-used"}
HIDE_AND_RUN = (
    "import sys\nfor name in sys.argv[1].split(','):\n    sys.modules[name] = None\n"
    "from empathykit.cli.main import main\nsys.argv = ['empathykit', *sys.argv[2:]]\nmain()\n"
)


def flat(text: str) -> str:
    """The words of an output, however a terminal width wrapped them."""
    return " ".join(text.split())


def run_hiding(modules: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The command in a fresh interpreter in which ``modules`` cannot be imported."""
    env = {**os.environ, **NOWHERE}
    return subprocess.run(
        [sys.executable, "-c", HIDE_AND_RUN, modules, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def loop_args(tmp_path: Path, model: str) -> list[str]:
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"item_id": "a", "text": "a text"}\n')
    return ["loop", "-p", "some project", "-i", str(pool), "-m", model, "-o", str(tmp_path / "loop"), "-n", "2"]


@pytest.mark.parametrize("hidden, named", [("torch", "torch"), ("skactiveml", "skactiveml")])
def test_loop_without_its_libraries_names_the_install_first(tmp_path, hidden, named):
    done = run_hiding(hidden, loop_args(tmp_path, "notamodel"), tmp_path)
    assert done.returncode != 0
    said = flat(done.stderr)
    assert said.startswith("error: loop needs") and said.count("error:") == 1, done.stderr
    assert f"not installed: {named} hint:" in said and ".[train,loop]" in said
    assert not (tmp_path / "loop").exists()


def test_next_round_without_the_loop_extra_names_the_install_first(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"item_id": "a", "text": "a text"}\n')
    done = run_hiding(
        "skactiveml",
        [
            "annotate",
            "next-round",
            "-p",
            "p",
            "-i",
            str(pool),
            "--model",
            "m",
            "-n",
            "2",
            "-o",
            str(tmp_path / "next.parquet"),
        ],
        tmp_path,
    )
    said = flat(done.stderr)
    assert done.returncode != 0 and said.count("error:") == 1, done.stderr
    assert said.startswith("error: annotate next-round needs") and "not installed: skactiveml hint:" in said
    assert ".[train,loop]" in said


@pytest.mark.parametrize("model, problem", [("notamodel", "no such folder"), ("empty", "not a model folder")])
def test_loop_with_no_model_stops_before_pulling(tmp_path, model, problem):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, loop_args(tmp_path, str(tmp_path / model)), env=NOWHERE)
    assert result.exit_code != 0
    assert problem in flat(result.output) and "Label Studio" not in result.output, result.output
    assert not (tmp_path / "loop").exists()


def test_next_round_with_no_trained_model_stops_before_asking_label_studio(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"item_id": "a", "text": "a text"}\n')
    (tmp_path / "encoder").mkdir()
    result = CliRunner().invoke(
        app,
        [
            "annotate",
            "next-round",
            "-p",
            "p",
            "-i",
            str(pool),
            "--model",
            str(tmp_path / "encoder"),
            "-n",
            "2",
            "-o",
            str(tmp_path / "next.parquet"),
        ],
        env=NOWHERE,
    )
    assert result.exit_code != 0
    assert "not a model folder written by `empathykit train`" in flat(result.output), result.output
    assert not (tmp_path / "next.parquet").exists()


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--min-done", "1.5", "--min-done is the fraction"),
        ("--min-alpha", "2", "--min-alpha is a Krippendorff alpha"),
        ("--overlap", "0", "--overlap must be at least 1"),
        ("--poll", "0", "--poll is the seconds"),
    ],
)
def test_loop_options_are_checked_before_any_work(tmp_path, tiny_model, option, value, said):
    args = [*loop_args(tmp_path, str(tiny_model)), option, value, *(["--wait"] if option == "--poll" else [])]
    result = CliRunner().invoke(app, args, env=NOWHERE)
    assert result.exit_code != 0 and said in flat(result.output), result.output
    assert not (tmp_path / "loop").exists()
