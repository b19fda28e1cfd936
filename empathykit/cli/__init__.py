"""Typer command-line interface: one module per command group, each command a
thin wrapper over a library function (see ``empathykit.cli.main``)."""
