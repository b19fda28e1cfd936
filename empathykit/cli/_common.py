"""Helpers shared by the command modules: stderr console, progress, tables."""

from __future__ import annotations

import time
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Iterable, Iterator, Optional

import typer
from rich.console import Console

from empathykit.cli import _progress

# stdout is for data; everything for people goes to stderr.
err_console = Console(stderr=True)
out_console = Console()


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator:
    """A rich progress bar on stderr; yields ``advance(n=1)``.

    Library functions accept an optional ``on_progress(n)`` callback; commands
    pass the ``advance`` from here so the library itself never prints.
    """
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
    bar = Progress(*columns, console=err_console, transient=False)
    task = bar.add_task(description, total=total)
    started = time.monotonic()

    def line() -> str:  # off a terminal, where the bar draws nothing until it ends
        done = bar.tasks[0].completed
        count = f"{done:g}/{bar.tasks[0].total:g}" if bar.tasks[0].total else f"{done:g}"
        return f"{description}: {count}, {_progress.elapsed(time.monotonic() - started)} elapsed"

    def advance(n: float = 1, total: float | None = None, note: str | None = None) -> None:
        # shown from the first report on, so errors raised before any work print alone
        if not bar.live.is_started:
            bar.start()
        if note:  # a message for the user (e.g. a fresh MLM head), above the bar
            bar.console.print(note)
        if total is not None:
            bar.update(task, total=total)
        bar.advance(task, n)

    try:
        with _progress.heartbeat(err_console, line):
            yield advance
    finally:
        if bar.live.is_started:
            bar.stop()


def status(description: str):
    """``err_console.status`` that still prints, as plain lines, when stderr is not a terminal."""
    return _progress.status(err_console, description)


def print_table(title: str, columns: list[str], rows: list[list], console: Console | None = None) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*["" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    (console or err_console).print(table)


def choice(name: str, values: Iterable[str]) -> type[Enum]:
    """A closed set of option values built from the library's constant: Typer lists the
    values in ``--help`` and refuses any other with the allowed ones (``.value`` is the string)."""
    return Enum(name, {value: value for value in values}, type=str)


#: ``-O KEY=VALUE`` as push, agreement and export accept it.
SchemaOptions = Annotated[list[str], typer.Option("--schema-option", "-O", help="Schema option KEY=VALUE (repeatable; "
                                                   "default: the options recorded in the annotations by pull).")]
#: ``-s`` of the commands that read pulled annotations: the recorded schema by default.
RecordedSchema = Annotated[Optional[str], typer.Option("--schema", "-s", help="Schema of the annotations (default: the one "
                                                        "`annotate pull` recorded, else seek-provide; a different one is refused).")]


def schema_options(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs of ``--schema-option`` as a dict."""
    from empathykit.errors import InputError

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"schema option {pair!r}: expected KEY=VALUE (e.g. labels=emolit)")
        options[key.strip()] = value.strip()
    return options
