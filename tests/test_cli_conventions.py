"""How every command reads and behaves: help in the order of the work, plain help text, one
output option, required options checked first, a one-line answer without torch, and no other
library's progress bars or advisories in a normal run."""

from __future__ import annotations

import re
import sys

import pytest
import typer
from conftest import SAMPLES
from typer.testing import CliRunner

from empathykit.cli._conventions import ANNOTATE_ORDER, ORDER, choices_of
from empathykit.cli.main import app
from tests.train_fixtures import tiny_model

runner = CliRunner()
NEWSEMP = SAMPLES / "newsemp" / "messages.csv"
NOISE = ("Map", "Flattening", "Generating", "Loading weights", "it/s]", "examples/s")


def _commands(command=None, path=()):
    """Every command path of the CLI, groups included."""
    command = command or typer.main.get_command(app)
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _help(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (path, result.output)
    return result.output


def test_commands_listed_in_the_order_of_the_work_and_the_description_names_the_trainer():
    text = _help()
    listed = [m.group(1) for m in re.finditer(r"^│ (\w+)\s{2,}", text.split("Commands")[1], re.M)]
    # the work's order (quickstart runs it all, first); the model in the loop (serve, loop) after retrieve
    assert listed == [
        "quickstart",
        "studio",
        "collect",
        "filter",
        "lexicon",
        "annotate",
        "agreement",
        "export",
        "train",
        "evaluate",
        "predict",
        "retrieve",
        "serve",
        "loop",
    ]
    assert list(ORDER) == listed  # a new command gets its place in ORDER, not the end by accident
    description = " ".join(text.split("Options")[0].split())
    assert "train" in description and "export" in description


def test_annotate_lists_its_commands_in_the_order_of_the_work_and_its_summary_names_them():
    text = _help("annotate")
    listed = [m.group(1) for m in re.finditer(r"^│ ([\w-]+)\s{2,}", text.split("Commands")[1], re.M)]
    assert listed == list(ANNOTATE_ORDER)
    assert sorted(listed) == sorted(typer.main.get_command(app).commands["annotate"].commands)  # none left out
    summary = " ".join(text.split("Options")[0].split())
    assert [name for name in listed if f"({name})" not in summary] == []
    root = " ".join(_help().replace("│", " ").split())  # the short form in `empathykit --help` names them too
    assert "annotate Annotate in Label Studio: " + ", ".join(ANNOTATE_ORDER) + "." in root


def _node(path):
    node = typer.main.get_command(app)
    for name in path:
        node = node.commands[name]
    return node


def _option_rows(text: str, opts: list[str]) -> list[str]:
    """The help lines of the option named ``opts`` in the panels: its own row and the help lines under it."""
    lines = text.splitlines()
    panels = next(i for i, line in enumerate(lines) if line.startswith("╭─"))
    start = next(i for i in range(panels, len(lines)) if lines[i].strip("│ ").lstrip("* ").split(" ")[0] in opts)
    rows = [lines[start]]
    for line in lines[start + 1 :]:
        body = line.strip("│ ")
        if not body or body.lstrip("* ").startswith("-") or line.startswith("╰"):
            break
        rows.append(line)
    return rows


def test_at_80_columns_no_value_of_a_closed_set_is_broken_and_required_options_are_marked():
    checked = 0
    for path in _commands():
        node = _node(path)
        if hasattr(node, "commands"):
            continue
        text = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        for param in node.params:
            if param.param_type_name != "option" or param.hidden:
                continue
            rows = _option_rows(text, param.opts)
            words = set(re.findall(r"[\w-]+(?:\.[\w-]+)*", " ".join(rows)))
            choices = choices_of(param)
            broken = [choice for choice in choices if choice not in words]
            assert not broken, (path, param.opts, broken, rows)
            if param.required:
                assert rows[0].lstrip("│ ").startswith("*") and "[required]" in " ".join(rows), (path, param.opts)
            checked += bool(choices) + param.required
    assert checked > 20


def test_at_80_columns_help_breaks_no_word():
    def words(text: str) -> set[str]:
        return set(re.findall(r"[^\s│╭╮╰╯─]+", text))

    for path in _commands():
        narrow = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        wide = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"}).output
        assert words(narrow) <= words(wide), (path, sorted(words(narrow) - words(wide))[:5])


def test_train_model_says_when_it_is_required():
    # --model is required unless the config file, a --set or --resume gives the encoder: not a bare [required]
    rows = _option_rows(runner.invoke(app, ["train", "--help"], env={"COLUMNS": "80"}).output, ["--model", "-m"])
    assert "required unless" in " ".join(" ".join(row.strip("│ ") for row in rows).split())


def test_no_type_labels_or_braces_and_one_output_option_everywhere():
    for path in _commands():
        text = _help(*path)
        usage = next(line for line in text.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, (path, usage)
        assert not re.search(r"<(bool|str|int|float|path|list\[[^]]*\])>", text), (path, text)
        assert "--output" not in text, path  # --out/-o is the one name; --output stays a hidden alias
    command = typer.main.get_command(app)
    for path in _commands():
        node = command
        for name in path:
            node = node.commands[name]
        for param in node.params:
            assert "--output" not in param.opts, path
            if "-o" in param.opts:
                assert "--out" in param.opts, path


def test_output_is_a_hidden_alias_of_out(tmp_path):
    (tmp_path / "lex.csv").write_text("word,rating\ngrief,6.0\n")
    result = runner.invoke(
        app,
        [
            "lexicon",
            "score",
            str(tmp_path / "posts.txt"),
            "--lexicon",
            str(tmp_path / "lex.csv"),
            "--output",
            str(tmp_path / "scored.parquet"),
        ],
    )
    assert "No such option" not in result.output, result.output


def test_train_marks_out_required_and_checks_options_before_reading_data(tmp_path):
    text = _help("train")
    out_row = next(line for line in text.splitlines() if "--out" in line)
    assert out_row.lstrip("│ ").startswith("*") and "[required]" in out_row
    missing = tmp_path / "no-such-export"
    result = runner.invoke(app, ["train", str(missing)])
    assert result.exit_code == 2 and "Missing option '--out'" in result.output
    result = runner.invoke(app, ["train", f"newsemp:{missing}", "-o", str(tmp_path / "m")])
    assert (
        result.exit_code == 1 and "no model to fine-tune given" in result.output
    )  # data untouched: not "no such file"
    assert result.output.count("error:") == 1


@pytest.mark.parametrize("args", [["--family", "kd", "--help-settings"], ["--help-settings", "-f", "similarity"]])
def test_help_settings_needs_no_data(args):
    result = runner.invoke(app, ["train", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "settings of family " + args[args.index("--family" if "--family" in args else "-f") + 1] in result.output


def test_annotate_push_help_lists_every_importer():
    from empathykit.releases.registry import pushable

    text = " ".join(_help("annotate", "push").split())
    assert len(pushable()) >= 5 and [name for name in pushable() if name not in text] == []


@pytest.mark.parametrize(
    "command",
    [
        ["train", "x", "-o", "m", "--model", "m"],
        ["evaluate", "m", "x"],
        ["predict", "m", "items.csv", "-o", "p.parquet"],
        ["retrieve", "m", "--corpus", "c.csv", "--query", "q"],
    ],
)
def test_without_torch_one_line_names_the_install_command(monkeypatch, command):
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` sees where it is not installed
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "not installed: torch" in result.output and 'pip install -e ".[train]"' in result.output
    assert "Traceback" not in result.output and result.output.count("error:") == 1


def test_export_prints_no_other_library_progress(tmp_path):
    result = runner.invoke(app, ["export", f"newsemp:{NEWSEMP}", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not [word for word in NOISE if word in result.stderr], result.stderr


def test_train_and_evaluate_print_no_other_library_progress(tiny_model, tmp_path):
    from empathykit.exports.importers import export_import

    export = tmp_path / "export"  # a folder, as the README trains from: read by load_dataset
    export_import(f"newsemp:{NEWSEMP}", export)
    model = tmp_path / "m"
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
            str(model),
            "--set",
            "epochs=1",
            "--set",
            "max_length=32",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not [word for word in NOISE if word in result.stderr], result.stderr
    result = runner.invoke(app, ["evaluate", str(model), str(export), "--task", "empathy_bin"])
    assert result.exit_code == 0, result.output
    assert not [word for word in NOISE if word in result.stderr], result.stderr


@pytest.mark.parametrize("method", ["dawid-skene", "mace"])
def test_crowd_kit_models_raise_no_pandas_deprecations(method):
    import warnings

    import pandas as pd
    from tables import tidy_rows

    from empathykit.exports.aggregate import model_labels
    from empathykit.schemas import get_schema

    votes = {f"i{n}": [["seeking", "providing", "none"][n % 3]] * 2 + ["none"] for n in range(9)}
    with warnings.catch_warnings():
        warnings.simplefilter("error", getattr(pd.errors, "Pandas4Warning", DeprecationWarning))
        labels = model_labels(tidy_rows(votes), get_schema("seek-provide").field("empathy"), method)
    assert len(labels) == 9
