"""One line is one line: with stderr redirected to a file (cron, CI, `2> log`), an error or a summary
is never wrapped at 80 columns into several lines, and the messages for a wrong path say what the
user passed and what was expected; a note about the lexicon comes once, not with every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.quickstart import sample_tweets_path

runner = CliRunner()
EMPATHYKIT = [sys.executable, "-m", "empathykit.cli.main"]


def _stderr_in_a_file(args: list[str], tmp_path: Path) -> tuple[int, list[str]]:
    """Exit code and stderr lines of the command run with stderr redirected to a file, at 80 columns."""
    log = tmp_path / "stderr.log"
    with log.open("w") as handle:
        code = subprocess.run(
            EMPATHYKIT + [str(a) for a in args],
            stdout=subprocess.DEVNULL,
            stderr=handle,
            timeout=600,
            env={**os.environ, "COLUMNS": "80"},
        ).returncode
    return code, log.read_text().splitlines()


def test_a_long_error_is_one_line_in_a_file(tmp_path):
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "annotations-of-the-second-round.parquet"
    code, lines = _stderr_in_a_file(["export", deep, "-o", tmp_path / "out"], tmp_path)
    assert code == 1
    assert [line.split(":")[0] for line in lines] == ["error", "hint"], lines
    assert str(deep) in lines[0] and len(lines[0]) > 160


def test_a_usage_error_is_one_error_line_and_one_hint_in_a_file(tmp_path):
    code, lines = _stderr_in_a_file(["train", tmp_path / "export", "-o", tmp_path / "m", "--family", "nope"], tmp_path)
    assert code == 2
    assert [line.split(":")[0] for line in lines] == ["error", "hint"], lines
    assert "'nope' is not one of 'classifier', 'kd', 'epitome', 'similarity', 'circumplex', 'mlm'" in lines[0]
    assert "train --help" in lines[1]


def test_export_summary_and_table_title_are_one_line_each_in_a_file(annotated, tmp_path):
    annotations, _ = annotated
    out = tmp_path / ("an-export-folder-with-a-long-name-" * 3)
    code, lines = _stderr_in_a_file(["export", annotations, "-o", out], tmp_path)
    assert code == 0, lines
    summary = [line for line in lines if "pushed but never annotated" in line]
    assert len(summary) == 1 and summary[0].startswith("62 items annotated;"), lines
    assert any(f"export → {out}" in line for line in lines), lines


def test_export_of_a_table_that_holds_no_annotations_names_the_file_passed(tmp_path):
    table = tmp_path / "corrupt.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(table)
    result = runner.invoke(app, ["export", str(table), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert f"{table} is not an annotation table" in flat and "annotate pull" in flat
    assert "items.parquet" not in flat  # no file the user never passed
    (tmp_path / "notes.parquet").write_text("not parquet")
    result = runner.invoke(app, ["export", str(tmp_path / "notes.parquet"), "-o", str(tmp_path / "out")])
    assert f"{tmp_path / 'notes.parquet'} is not a Parquet file" in " ".join(result.output.split())


def test_a_folder_where_a_file_is_expected_is_called_a_folder(tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    for args, expected in [
        (["export", folder, "-o", tmp_path / "out"], "the annotations Parquet file"),
        (["annotate", "push", "-i", folder, "-s", "seek-provide", "-p", "x"], "a CSV, JSONL, JSON or Parquet file"),
        (["lexicon", "score", folder, "-o", tmp_path / "s.parquet"], "a Parquet or CSV file"),
    ]:
        result = runner.invoke(app, [str(a) for a in args])
        flat = " ".join(result.output.split())
        assert result.exit_code == 1 and f"error: {folder} is a folder; expected {expected}" in flat, (args, flat)
        assert "no such file" not in flat


def test_train_and_evaluate_given_a_file_say_it_is_a_file(tmp_path):
    table = tmp_path / "data.csv"
    table.write_text("text,label\nhello,1\n")
    result = runner.invoke(app, ["train", str(table), "-o", str(tmp_path / "m"), "--model", str(tmp_path)])
    flat = " ".join(result.output.split())
    assert result.exit_code == 1 and f"{table} is a file; expected an export folder" in flat, flat
    assert "DATASET:PATH" in flat and "no such export folder" not in flat
    result = runner.invoke(app, ["evaluate", str(table), str(table)])
    flat = " ".join(result.output.split())
    assert result.exit_code == 1 and f"{table} is a file; expected a model folder" in flat, flat


def test_the_lexicon_duplicate_note_comes_once_per_lexicon(tmp_path):
    env = {"EMPATHYKIT_CACHE": str(tmp_path / "cache")}
    args = ["filter", str(sample_tweets_path()), "-o", str(tmp_path / "kept.parquet")]
    first = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "'depression' occurs 2 times" in first.stderr  # the bundled lexicon rates it twice
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 0 and "occurs" not in again.stderr, again.stderr
    other = tmp_path / "lexicon.csv"  # another lexicon, another note
    other.write_text("word,rating\ngrief,6.0\ngrief,5.0\nsad,4.0\n")
    result = runner.invoke(app, [*args, "--lexicon", str(other)], env=env)
    assert result.exit_code == 0 and "'grief' occurs 2 times" in result.stderr, result.output
