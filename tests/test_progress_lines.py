"""Long steps are never silent on a stderr that is not a terminal (a log, CI, a pipe): rich's
spinner and bar draw nothing there until they end, so our own plain lines with the elapsed time
come every $EMPATHYKIT_PROGRESS_SECONDS (10 s by default; a fraction of a second here)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from conftest import SAMPLES
from empathykit.cli.main import app
from tests.train_fixtures import tiny_model  # noqa: F401

runner = CliRunner()
FAST = {"EMPATHYKIT_PROGRESS_SECONDS": "0.05"}


def test_first_label_studio_install_prints_lines_with_the_elapsed_time(tmp_path):
    # a real first install into a new venv; pip finds no index, so it fails after the venv is
    # built (seconds) instead of downloading Label Studio (minutes)
    env = {**FAST, "EMPATHYKIT_LABEL_STUDIO_VENV": str(tmp_path / "venv"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": ""}
    result = runner.invoke(app, ["studio", "install"], env=env)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert any(line.startswith("installing label-studio==") for line in lines), result.stderr
    beats = [line for line in lines if re.search(r": still working, \d+ s elapsed$", line)]
    assert len(beats) >= 2, result.stderr
    assert "could not install label-studio" in result.stderr and "Traceback" not in result.stderr


def test_training_prints_plain_step_lines(tiny_model, tmp_path):  # noqa: F811
    from empathykit.exports.importers import export_import

    export = tmp_path / "export"
    export_import(f"newsemp:{SAMPLES / 'newsemp' / 'messages.csv'}", export)
    result = runner.invoke(app, ["train", str(export), "--task", "empathy_bin", "--model", str(tiny_model),
                                 "-o", str(tmp_path / "m"), "--set", "epochs=1", "--set", "max_length=32"],
                           env=FAST)
    assert result.exit_code == 0, result.output
    beats = re.findall(r"^training classifier: (\d+)/(\d+), \d+ s elapsed$", result.stderr, re.M)
    assert beats, result.stderr
    assert all(int(done) <= int(total) for done, total in beats)
