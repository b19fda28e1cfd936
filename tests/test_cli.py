"""CLI-wide contracts: every command has help, --help stays light."""

from __future__ import annotations

import subprocess
import sys

import click
import typer.main
from typer.testing import CliRunner

from empathykit.cli.main import app


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_text():
    root = typer.main.get_command(app)
    commands = list(_commands(root))
    assert len(commands) >= 8
    runner = CliRunner()
    for path, command in commands:
        assert (command.help or "").strip(), f"`empathykit {' '.join(path)}` has no help text"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from typer.testing import CliRunner; from empathykit.cli.main import app; "
        "CliRunner().invoke(app, ['--help']); "
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'pandas', 'pyarrow', 'numpy', 'tweepy', 'label_studio_sdk', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"--help imported {out}"
