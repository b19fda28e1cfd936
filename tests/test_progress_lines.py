"""Long steps are never silent on a stderr that is not a terminal (a log, CI, a pipe): rich's
spinner and bar draw nothing there until they end, so the one renderer of ``empathykit.progress``
prints plain lines instead: one when a stage starts, then one every $EMPATHYKIT_PROGRESS_SECONDS
(10 s by default; a fraction of a second here) with the counts, rate and time left when known,
and never a spinner frame."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLES
from rich.console import Console
from typer.testing import CliRunner

from empathykit.cli import _progress
from empathykit.cli.main import app
from empathykit.progress import Counter, within
from empathykit.quickstart import sample_tweets_path
from tests.train_fixtures import tiny_model

runner = CliRunner()
FAST = {"EMPATHYKIT_PROGRESS_SECONDS": "0.05"}
#: the frames of rich's spinner (braille dots): none may land in a file
SPINNER = re.compile("[\u2800-\u28ff]")
EMPATHYKIT = [sys.executable, "-m", "empathykit.cli.main"]


def _file_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=80), buffer


def test_off_a_terminal_each_stage_is_a_line_and_the_clock_adds_rate_and_time_left(monkeypatch):
    monkeypatch.setenv("EMPATHYKIT_PROGRESS_SECONDS", "0.05")
    console, buffer = _file_console()
    with _progress.rendered(console, "filtering") as on_progress:
        count = Counter(on_progress, "filtering posts", total=400)
        count(100)
        time.sleep(0.3)
        on_progress("writing")
        time.sleep(0.3)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "filtering posts: 0/400"
    beat = next(line for line in lines if line.startswith("filtering posts: 100/400, "))
    assert re.fullmatch(r"filtering posts: 100/400, [\d.]+/s, about \d+ s left, \d+ s elapsed", beat), beat
    assert "writing" in lines
    assert any(re.fullmatch(r"writing: still working, \d+ s elapsed", line) for line in lines), lines
    assert not SPINNER.search(buffer.getvalue())


def test_a_part_of_a_run_names_its_stages_within_the_run():
    seen = []
    Counter(within(lambda *report: seen.append(report), "round 2 train"), "training", total=4)(2)
    assert seen == [("round 2 train: training", 0, 4), ("round 2 train: training", 2, 4)]
    assert within(None, "round 2 train") is None


def test_an_error_before_any_report_prints_nothing_but_the_error():
    console, buffer = _file_console()
    with pytest.raises(ValueError), _progress.rendered(console, "exporting"):
        raise ValueError("bad input")
    assert buffer.getvalue() == ""


def test_on_a_terminal_the_stages_show_as_a_bar_that_an_error_clears():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with _progress.rendered(console, "pulling") as on_progress:
        on_progress("reading annotated tasks", 3, 10)
    assert "reading annotated tasks" in buffer.getvalue() and "3/10" in buffer.getvalue()
    buffer.truncate(0)
    with pytest.raises(ValueError), _progress.rendered(console, "pulling") as on_progress:
        on_progress("reading annotated tasks", 3, 10)
        raise ValueError("lost connection")
    assert "\x1b[2K" in buffer.getvalue()  # the bar's lines erased: the error stands alone


def test_first_label_studio_install_prints_lines_with_the_elapsed_time(tmp_path):
    # a real first install into a new venv; pip finds no index, so it fails after the venv is
    # built (seconds) instead of downloading Label Studio (minutes)
    env = {**FAST, "EMPATHYKIT_LABEL_STUDIO_VENV": str(tmp_path / "venv"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    result = runner.invoke(app, ["studio", "install"], env=env)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert any(line.startswith("installing label-studio==") for line in lines), result.stderr
    beats = [line for line in lines if re.search(r": still working, \d+ s elapsed$", line)]
    assert len(beats) >= 2, result.stderr
    assert "could not install label-studio" in result.stderr and "Traceback" not in result.stderr


def test_studio_start_prints_its_stages_off_a_terminal(tmp_path):
    # a start that must first install (into a new venv, without an index: it fails in seconds)
    env = {**FAST, "EMPATHYKIT_LABEL_STUDIO_VENV": str(tmp_path / "venv"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    result = runner.invoke(app, ["studio", "start", "--new", "--studio-dir", str(tmp_path / "studio")], env=env)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert any(line.startswith("installing label-studio==") for line in lines), result.stderr
    assert any(re.search(r": still working, \d+ s elapsed$", line) for line in lines), result.stderr
    assert not SPINNER.search(result.stderr) and "Traceback" not in result.stderr


def test_training_prints_plain_step_lines(tiny_model, tmp_path):
    from empathykit.exports.importers import export_import

    export = tmp_path / "export"
    export_import(f"newsemp:{SAMPLES / 'newsemp' / 'messages.csv'}", export)
    result = runner.invoke(
        app,
        [
            "train",
            str(export),
            "--task",
            "empathy_bin",
            "--model",
            str(tiny_model),
            "-o",
            str(tmp_path / "m"),
            "--set",
            "epochs=1",
            "--set",
            "max_length=32",
        ],
        env=FAST,
    )
    assert result.exit_code == 0, result.output
    steps = re.findall(r"^training: (\d+)/(\d+)(, .*)?$", result.stderr, re.M)
    assert steps and all(int(done) <= int(total) for done, total, _ in steps), result.stderr
    assert not SPINNER.search(result.stderr)


def _run(args: list[str], tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    """The command in a real process with stderr redirected to a file, as a cron job or CI runs it."""
    log = tmp_path / "stderr.log"
    with log.open("w") as handle:
        done = subprocess.run(
            EMPATHYKIT + args,
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
            timeout=600,
            env={**os.environ, "COLUMNS": "80", **FAST, **env},
        )
    return done, log.read_text()


def test_agreement_compute_prints_its_stages_into_a_file(annotated, tmp_path):
    annotations, _ = annotated
    done, log = _run(
        ["agreement", "compute", str(annotations), "--bootstrap", "200", "-o", str(tmp_path / "a.json")], tmp_path
    )
    assert done.returncode == 0, log
    assert re.search(r"^agreement of field \w+", log, re.M), log
    assert not SPINNER.search(log), log


def test_filter_and_export_leave_lines_and_no_spinner_frames_in_a_file(annotated, tmp_path):
    annotations, _ = annotated
    done, log = _run(["export", str(annotations), "-o", str(tmp_path / "export")], tmp_path)
    assert done.returncode == 0, log
    assert "reading annotations" in log.splitlines() and not SPINNER.search(log), log
    done, log = _run(["filter", str(sample_tweets_path()), "-o", str(tmp_path / "kept.parquet")], tmp_path)
    assert done.returncode == 0, log
    assert re.search(r"^filtering posts: \d+", log, re.M) and not SPINNER.search(log), log


@pytest.mark.studio
def test_a_loop_in_a_cron_log_names_each_step_and_counts_the_training(studio, tiny_model, tmp_path):
    import json

    from empathykit.annotate.push import push
    from empathykit.schemas import get_schema
    from tests.train_fixtures import make_rows

    title, seek = studio.project_title("loop-log"), get_schema("seek-provide")
    annotated = make_rows(24, seed=7)
    report = push(
        [{"item_id": r["item_id"], "text": r["text"]} for r in annotated],
        schema="seek-provide",
        project=title,
        round_size=24,
        connection=studio.connection,
    )
    (annotator,) = studio.make_annotators(1)
    labels = {r["item_id"]: "seeking" if r["label"] else "none" for r in annotated}
    for task in studio.tasks(report.project_id):
        studio.submit(task["id"], seek.to_results({"empathy": labels[task["data"]["item_id"]]}), annotator)
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        "".join(json.dumps({"item_id": r["item_id"], "text": r["text"]}) + "\n" for r in make_rows(12, seed=8))
    )
    settings = ["epochs=2", "learning_rate=3e-3", "warmup_ratio=0", "eval_each_epoch=false", "batch_size=8"]
    done, log = _run(
        [
            "loop",
            "-p",
            title,
            "-i",
            str(pool),
            "-m",
            str(tiny_model),
            "-o",
            str(tmp_path / "loop"),
            "-n",
            "3",
            *[a for s in settings for a in ("--set", s)],
        ],
        tmp_path,
        **studio.env(),
    )
    assert done.returncode == 0, log
    lines = log.splitlines()
    assert "round 1: pull" in lines and "round 1: train" in lines, log
    assert any(re.match(r"round 1 train: training: \d+/\d+", line) for line in lines), log
    for stage in ("next-round: predicting", "next-round: importing tasks"):  # the pool scored, the round pushed
        assert any(re.match(rf"round 1 {stage}: \d+/\d+", line) for line in lines), (stage, log)
    assert not SPINNER.search(log), log
