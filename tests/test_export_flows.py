"""`export` routes by source and format; an option the chosen flow does not take is refused, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import ExportError
from empathykit.exports.choices import AGGREGATIONS, FORMATS, SPAN_MODES
from empathykit.exports.flows import ExportOptions, run_export

TWITTEMP = Path(__file__).parent / "data" / "twittemp" / "twittemp_sample.csv"
EPITOME = Path(__file__).parent / "data" / "epitome"
runner = CliRunner()


def _refused(args: list[str], out: Path, message: str) -> None:
    result = runner.invoke(app, ["export", *args, "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "option",
    [
        ["--license", "cc-by-4.0"],
        ["--aggregate", "dawid-skene"],
        ["--spans", "union"],
        ["--agreement", "agreement.json"],
        ["--collection", "posts.counts.json"],
        ["--items", "items.parquet"],
        ["--adjudicated", "adjudications.parquet"],
        ["--schema", "seek-provide"],
        ["-O", "labels=emolit"],
    ],
)
def test_an_import_refuses_what_only_annotations_take(option, tmp_path):
    flag = {"-O": "--schema-option"}.get(option[0], option[0])
    _refused([f"twittemp:{TWITTEMP}", *option], tmp_path / "out", f"{flag} does not apply to a DATASET:PATH import")


@pytest.mark.parametrize(
    "option",
    [["--seed", "3"], ["--train", "0.7", "--validation", "0.2"], ["--group-by", "seeker_post"], ["--dehydrate"]],
)
def test_an_epitome_csv_import_refuses_split_options(option, tmp_path):
    flag = "--train/--validation/--test" if option[0] == "--train" else option[0]
    _refused(
        [f"epitome:{EPITOME}", "--format", "epitome-csv", *option],
        tmp_path / "out",
        f"{flag} does not apply to a DATASET:PATH import with --format epitome-csv",
    )


@pytest.mark.parametrize(
    "option",
    [
        ["--seed", "3"],
        ["--task", "empathy"],
        ["--group-by", "seeker_post"],
        ["--dehydrate"],
        ["--aggregate", "mace"],
        ["--spans", "union"],
        ["--license", "mit"],
        ["--push-to-hub", "me/data"],
    ],
)
def test_an_epitome_csv_annotations_export_refuses_what_it_does_not_use(option, tmp_path):
    # refused before the annotations are read: the file need not exist
    _refused(
        [str(tmp_path / "annotations.parquet"), "--format", "epitome-csv", *option],
        tmp_path / "out",
        f"{option[0]} does not apply to an annotations export with --format epitome-csv",
    )


@pytest.mark.parametrize(
    "option,allowed", [("--format", FORMATS), ("--aggregate", AGGREGATIONS), ("--spans", SPAN_MODES)]
)
def test_closed_sets_are_listed_and_other_values_refused(option, allowed, tmp_path):
    help_text = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "300"}).output  # wide: no wrapping
    assert "One of: " + ", ".join(allowed) + "." in help_text
    result = runner.invoke(
        app, ["export", str(tmp_path / "annotations.parquet"), option, "foo", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert all(f"'{value}'" in result.output for value in allowed), result.output
    assert not (tmp_path / "out").exists()


def test_the_library_refuses_a_bad_format_and_method(tmp_path):
    with pytest.raises(ExportError, match="--format 'foo' is not a format; expected one of hf, epitome-csv"):
        run_export(tmp_path / "annotations.parquet", tmp_path / "out", ExportOptions(format="foo"))
    with pytest.raises(ExportError, match="--aggregate 'vote' is not a method"):
        run_export(tmp_path / "annotations.parquet", tmp_path / "out", ExportOptions(method="vote"))
    with pytest.raises(
        ExportError, match="--dehydrate does not apply to a DATASET:PATH import with --format epitome-csv"
    ):
        run_export(f"epitome:{EPITOME}", tmp_path / "out", ExportOptions(format="epitome-csv", dehydrate=True))
    assert not (tmp_path / "out").exists()


def test_an_import_takes_its_own_options(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["export", f"twittemp:{TWITTEMP}", "--seed", "3", "--task", "seek-provide", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["seek-provide"]
