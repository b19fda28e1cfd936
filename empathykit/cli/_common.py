"""Helpers shared by the command modules: stderr console, progress, tables."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Annotated, ContextManager, Iterable

import typer
from rich.console import Console, ConsoleDimensions

from empathykit.active.choices import STRATEGIES
from empathykit.cli import _progress
from empathykit.progress import Progress

#: Width off a terminal: lines for people (errors, summaries) are never wrapped in a log or a file.
UNWRAPPED = 100_000


class PeopleConsole(Console):
    """A console whose lines wrap at the terminal's width, and not at all off a terminal,
    where a wrapped error would read as several (``grep error:`` finds one of its lines)."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNWRAPPED, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


# stdout is for data; everything for people goes to stderr.
err_console = PeopleConsole(stderr=True)
out_console = Console()


class _LibraryMessages(logging.Handler):
    """What the library logs for people (a fresh head, a restarted run) as lines on stderr, above
    any progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(record.getMessage(), highlight=False, markup=False)


def show_library_messages() -> None:
    """Warnings of the ``empathykit`` logger on stderr (once per process)."""
    logger = logging.getLogger("empathykit")
    if not any(isinstance(handler, _LibraryMessages) for handler in logger.handlers):
        logger.addHandler(_LibraryMessages(logging.WARNING))


def progress(title: str) -> ContextManager[Progress]:
    """The ``on_progress`` a command passes to the library (``empathykit.progress``): a bar on a
    terminal, plain lines at least every 10 s elsewhere; ``title`` names the work until the
    library names its first stage."""
    return _progress.rendered(err_console, title)


def print_table(title: str, columns: list[str], rows: list[list], console: Console | None = None) -> None:
    from rich.table import Table

    console = console or err_console
    # as wide as its title (as the screen allows), so a title naming a long path stays one line in a log
    table = Table(title=title, min_width=min(len(title), console.width))
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*["" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(table)


def choice(name: str, values: Iterable[str]) -> type[Enum]:
    """A closed set of option values built from the library's constant: Typer lists the
    values in ``--help`` and refuses any other with the allowed ones (``.value`` is the string)."""
    return Enum(name, {value: value for value in values}, type=str)


Strategy = choice("Strategy", STRATEGIES)
#: ``--strategy`` of ``annotate next-round`` and ``loop``: one closed set, listed in ``--help``.
StrategyOption = Annotated[
    Strategy,
    typer.Option(
        "--strategy",
        help="How the next items are chosen (uncertainty, margin, entropy: the model's doubt; diversity; random).",
    ),
]
#: ``-O KEY=VALUE`` as push, agreement and export accept it.
SchemaOptions = Annotated[
    list[str],
    typer.Option(
        "--schema-option",
        "-O",
        help="Schema option KEY=VALUE (repeatable; default: the options recorded in the annotations by pull).",
    ),
]
#: ``-s`` of the commands that read pulled annotations: the recorded schema by default.
RecordedSchema = Annotated[
    str | None,
    typer.Option(
        "--schema",
        "-s",
        help="Schema of the annotations (default: the one "
        "`annotate pull` recorded, else seek-provide; a different one is refused).",
    ),
]


def schema_options(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs of ``--schema-option`` as a dict."""
    from empathykit.keyvalue import parse_pairs

    return parse_pairs(pairs, "--schema-option", "labels=emolit", empty_value=True)
