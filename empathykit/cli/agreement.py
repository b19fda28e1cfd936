"""`empathykit agreement` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="agreement commands.", no_args_is_help=True)
