"""`empathykit collect` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="collect commands.", no_args_is_help=True)
