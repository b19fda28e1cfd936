"""The one renderer of ``empathykit.progress``: a live bar on a terminal, plain lines elsewhere.

rich's bars and spinners draw nothing on a stream that is not a terminal (a log file, CI, a
pipe) until they end, and then leave a spinner frame in the file; so off a terminal the renderer
prints plain lines instead: one when a stage starts and one at least every
``heartbeat_seconds()`` (stage, counts, rate and time left when known, time elapsed), so a long
step never looks hung. Nothing shows before the first report (or a short wait), so an error
raised before any work prints alone.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console

from empathykit.progress import Progress

#: seconds before a terminal spinner shows for a step that reports nothing
SHOW_AFTER = 0.5
#: finished stages a terminal keeps listed above the running one (a loop runs dozens)
KEEP_FINISHED = 4


def heartbeat_seconds() -> float:
    """Seconds between plain progress lines (``$EMPATHYKIT_PROGRESS_SECONDS``, default 10)."""
    return float(os.environ.get("EMPATHYKIT_PROGRESS_SECONDS") or 10)


def elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _count(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Renderer:
    """A ``Progress`` that draws on ``console``; ``title`` is the stage until the first report."""

    def __init__(self, console: Console, title: str):
        self.console, self.terminal = console, console.is_terminal
        self.stage, self.done, self.total, self.done_at_start = title, None, None, 0
        self.stage_started = self.last_line = time.monotonic()
        self.shown, self.lock = False, threading.Lock()
        self.bar = self.task = None

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        with self.lock:
            new = stage != self.stage
            if new or self.done is None:  # the rate counts this run's work, not a resumed run's
                self.done_at_start = done or 0
            if new:
                self.stage, self.stage_started = stage, time.monotonic()
            self.done, self.total = done, total
            if self.terminal:
                self._draw(new)
            elif new or not self.shown:
                self._line(self.describe())

    def describe(self, beat: bool = False) -> str:
        """The plain line of the current stage; a heartbeat adds rate, time left and time elapsed."""
        spent = time.monotonic() - self.stage_started
        if self.done is None:
            return f"{self.stage}: still working, {elapsed(spent)} elapsed" if beat else self.stage
        parts = [_count(self.done) + (f"/{_count(self.total)}" if self.total is not None else "")]
        if beat and self.total is not None and self.done >= self.total:
            parts.append("finishing")
        elif beat and self.done > self.done_at_start and spent > 0:
            rate = (self.done - self.done_at_start) / spent
            parts.append(f"{rate:.1f}/s" if rate < 10 else f"{rate:.0f}/s")
            if self.total is not None:
                parts.append(f"about {elapsed((self.total - self.done) / rate)} left")
        if beat:
            parts.append(f"{elapsed(spent)} elapsed")
        return f"{self.stage}: " + ", ".join(parts)

    def beat(self) -> None:
        """Called by the clock: starts a quiet terminal spinner, or prints a due plain line."""
        with self.lock:
            if self.terminal:
                if not self.shown:
                    self._draw(False)
            elif time.monotonic() - self.last_line >= heartbeat_seconds():
                self._line(self.describe(beat=True))

    def close(self, failed: bool) -> None:
        with self.lock:
            if not self.terminal and not failed and self.done is not None:  # the log says how it ended
                spent = elapsed(time.monotonic() - self.stage_started)
                self._line(f"{self.describe()}, done in {spent}")
            if self.bar is not None:
                if not failed and self.task is not None and self.done is not None:  # the last stage ends full
                    self.bar.update(self.task, total=max(self.total or 0, self.done), completed=self.done)
                self.bar.live.transient = failed  # an error stands alone, without a half-drawn bar
                self.bar.stop()

    def _line(self, text: str) -> None:
        self.shown, self.last_line = True, time.monotonic()
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def _draw(self, new: bool) -> None:
        if self.bar is None:
            self.bar = _bar(self.console)
            self.bar.start()
        if new or self.task is None:
            if self.task is not None:  # the finished stage stays listed, full
                finished = self.bar.tasks[-1]
                self.bar.update(
                    self.task,
                    total=finished.total or finished.completed or 1,
                    completed=finished.total or finished.completed or 1,
                )
            for old in self.bar.tasks[:-KEEP_FINISHED]:
                self.bar.update(old.id, visible=False)
            self.task = self.bar.add_task(self.stage, total=self.total)
        self.bar.update(self.task, total=self.total, completed=self.done or 0)
        self.shown = True


def _bar(console: Console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    return Bar(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def rendered(console: Console, title: str) -> Iterator[Progress]:
    """A ``Progress`` drawn on ``console`` while the block runs, with its clock."""
    renderer, stop = Renderer(console, title), threading.Event()
    tick = SHOW_AFTER if renderer.terminal else min(1.0, heartbeat_seconds() / 4)

    def clock() -> None:
        while not stop.wait(tick):
            renderer.beat()

    thread = threading.Thread(target=clock, name="empathykit-progress", daemon=True)
    thread.start()
    failed = True
    try:
        yield renderer
        failed = False
    finally:
        stop.set()
        thread.join()
        renderer.close(failed)
