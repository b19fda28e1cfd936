"""The closed sets of train, retrieve and loop (--family, --index) are choices built from the
library's constants: listed in --help, refused with the allowed values before any work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.train.choices import FAMILIES, HEAD_FAMILIES, INDEXES

runner = CliRunner()
FAMILY_NAMES = ("classifier", "kd", "epitome", "similarity", "circumplex", "mlm")


def _help(command: str) -> str:
    return runner.invoke(app, [command, "--help"], env={"COLUMNS": "300"}).output  # wide: no wrapping


def _refused(args: list[str], allowed, out, value: str = "foo") -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.replace("│", " ").split())
    assert f"'{value}' is not one of" in flat and all(f"'{value}'" in flat for value in allowed), result.output
    assert not out.exists()


def test_the_constants_are_the_registered_families_and_searches():
    assert tuple(FAMILIES) == FAMILY_NAMES
    assert set(HEAD_FAMILIES) <= set(FAMILIES) and INDEXES == ("auto", "exact", "usearch")


def test_train_lists_every_family_and_refuses_another(tmp_path):
    assert "One of: " + ", ".join(FAMILY_NAMES) + "." in _help("train")
    # refused before the encoder check and before DATA is read: neither exists
    _refused(
        ["train", str(tmp_path / "data"), "--family", "foo", "-o", str(tmp_path / "m")], FAMILY_NAMES, tmp_path / "m"
    )


def test_help_settings_still_follows_the_chosen_family():
    result = runner.invoke(app, ["train", "--help-settings", "--family", "similarity"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "settings of family similarity" in result.output and "cosent" in result.output
    result = runner.invoke(app, ["train", "--help-settings", "--family", "foo"])
    assert result.exit_code == 2 and "'foo' is not one of" in result.output


def test_retrieve_lists_the_searches_and_refuses_another(tmp_path):
    assert "One of: " + ", ".join(INDEXES) + "." in _help("retrieve")
    _refused(
        [
            "retrieve",
            str(tmp_path / "model"),
            "--corpus",
            str(tmp_path / "c.txt"),
            "--query",
            "a story",
            "--index",
            "foo",
            "-o",
            str(tmp_path / "hits.jsonl"),
        ],
        INDEXES,
        tmp_path / "hits.jsonl",
    )


def test_the_library_refuses_a_bad_index_too():
    np = pytest.importorskip("numpy")
    from empathykit.train.retrieval import search

    with pytest.raises(InputError, match="--index 'foo': expected one of auto, exact, usearch"):
        search(np.eye(2, dtype="float32"), np.eye(2, dtype="float32"), 1, index="foo")


def test_loop_takes_only_a_family_the_next_round_can_read(tmp_path):
    assert "One of: " + ", ".join(HEAD_FAMILIES) + "." in _help("loop")
    _refused(
        [
            "loop",
            "-p",
            "proj",
            "-i",
            str(tmp_path / "pool.csv"),
            "-m",
            str(tmp_path / "enc"),
            "-n",
            "5",
            "--family",
            "epitome",
            "-o",
            str(tmp_path / "loop"),
        ],
        HEAD_FAMILIES,
        tmp_path / "loop",
        "epitome",
    )
