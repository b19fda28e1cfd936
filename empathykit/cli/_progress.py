"""Progress that is never silent: plain lines on stderr when it is not a terminal.

rich's bars and spinners draw nothing on a stream that is not a terminal (a log file, CI, a
pipe) until they end, so a long step there (the first Label Studio install, a training epoch)
looked hung. Where stderr is a terminal the live bar or spinner is shown as before.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console


def heartbeat_seconds() -> float:
    """Seconds between plain progress lines (``$EMPATHYKIT_PROGRESS_SECONDS``, default 10)."""
    return float(os.environ.get("EMPATHYKIT_PROGRESS_SECONDS") or 10)


def elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


@contextmanager
def heartbeat(console: Console, line: Callable[[], str]) -> Iterator[None]:
    """Print ``line()`` every ``heartbeat_seconds()`` while the block runs, only when the
    console is not a terminal (a terminal has the live bar)."""
    if console.is_terminal:
        yield
        return
    stop, interval = threading.Event(), heartbeat_seconds()

    def beat() -> None:
        while not stop.wait(interval):
            console.print(line(), highlight=False, markup=False)

    thread = threading.Thread(target=beat, name="empathykit-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def status(console: Console, description: str) -> Iterator[Callable[[str], None]]:
    """A spinner for a step without a count; yields ``update(message)``. Off a terminal each
    message is a plain line, followed by a line with the elapsed time every ``heartbeat_seconds()``."""
    if console.is_terminal:
        with console.status(description) as spinner:
            yield spinner.update
        return
    current, started = [description], time.monotonic()

    def update(message: str) -> None:
        current[0] = message
        console.print(message, highlight=False, markup=False)

    console.print(description, highlight=False, markup=False)
    with heartbeat(console, lambda: f"{current[0]}: still working, {elapsed(time.monotonic() - started)} elapsed"):
        yield update
