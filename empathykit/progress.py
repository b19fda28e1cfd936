"""One progress contract for every long step: a stage name, and counts when known.

A library function that can take more than a moment accepts ``on_progress: Progress | None``
and calls it as ``on_progress(stage, done, total)``:

- ``stage``: what runs now, a short phrase ("pulling annotated tasks", "round 2: training");
- ``done``: how much of that stage is finished so far (a running count, not an increment), or
  ``None`` for a step without counts;
- ``total``: how much the stage will have, when known.

A call with a new stage starts that stage. The library never prints; the command line renders
the calls (a bar on a terminal, plain lines elsewhere). Messages that are not progress (a
fresh head, a restarted run) go to the ``empathykit`` logger, which the command line shows.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress: ``stage`` names the step, ``done``/``total`` count it when known."""

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None: ...


def report(on_progress: Progress | None, stage: str, done: int | None = None, total: int | None = None) -> None:
    """``on_progress(stage, done, total)`` when there is a receiver."""
    if on_progress is not None:
        on_progress(stage, done, total)


def within(on_progress: Progress | None, prefix: str) -> Progress | None:
    """``on_progress`` for a part of a larger run: each stage named ``prefix: stage``
    (``round 2 train: training``), so a log says which part the counts belong to."""
    if on_progress is None:
        return None

    def part(stage: str, done: int | None = None, total: int | None = None) -> None:
        on_progress(f"{prefix}: {stage}", done, total)

    return part


class Counter:
    """Counts one stage's work and reports the running count, for loops that know what each
    batch added: ``count = Counter(on_progress, "filtering posts"); count(len(batch))``.

    Created where the work starts (after the inputs are checked), it reports ``done`` at once,
    so the stage shows while its first batch runs."""

    def __init__(self, on_progress: Progress | None, stage: str, total: int | None = None, done: int = 0):
        self.on_progress, self.stage, self.total, self.done = on_progress, stage, total, done
        report(on_progress, stage, done, total)

    def __call__(self, n: int = 1) -> None:
        self.done += n
        report(self.on_progress, self.stage, self.done, self.total)

    def set_total(self, total: int | None) -> None:
        self.total = total
        report(self.on_progress, self.stage, self.done, total)
