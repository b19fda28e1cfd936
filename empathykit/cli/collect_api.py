"""Commands of `empathykit collect` (registered by `empathykit.cli.collect`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `collect` group."""
