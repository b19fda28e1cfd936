"""`empathykit studio` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="studio commands.", no_args_is_help=True)
