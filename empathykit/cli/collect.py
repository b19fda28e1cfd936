"""`empathykit collect`: live X API collection and reading files and archives."""

from __future__ import annotations

import typer

from empathykit.cli import collect_api, collect_files

app = typer.Typer(help="Collect posts: X API (search, stream, hydrate), files and archives.", no_args_is_help=True)
collect_api.register(app)
collect_files.register(app)
