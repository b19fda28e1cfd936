"""Rows of concurrent ``/predict`` requests run through the model together, in chunks.

Label Studio asks for one task at a time while annotators open tasks, and for a whole selection
at once from the Data Manager; FastAPI runs the handlers in its thread pool, so concurrent requests
arrive on several threads. Each request queues its rows and waits; one worker thread takes the
queue, waits ``window`` seconds for more requests to join unless ``max_rows`` are already queued,
and predicts up to ``max_rows`` rows of one model version in one call, then hands each request its
own rows.

A request larger than ``max_rows`` is fed to the model a chunk at a time. Requests none of whose
rows have run yet go first, in a chunk of their own (not topped up with a large request's rows),
smallest first; then the rest, the requests served least so far first. So a one-task request sent
while a 10,000-task request runs waits for about the chunk in progress, not for the whole request,
and concurrent one-task requests still share one model call.

A chunk whose model call fails is run again row by row, so only the rows the model cannot read
fail: each request gets, per row, the model's row or the exception that row raised. One process
(uvicorn runs one worker, the model lives in its memory). An idle server adds ``window`` (5 ms) to
a lone request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(eq=False)
class _Request:
    model: Any
    records: list[dict[str, Any]]
    taken: int = 0  # rows handed to the worker so far
    finished: int = 0  # rows answered so far
    outcomes: list[Any] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.outcomes = [None] * len(self.records)


def _predict(model: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return model.predict(records)


class Batcher:
    """``predict(model, records)`` from any thread; the model runs on one worker thread.

    ``call(model, records)`` runs the model on a list of records and returns one row per record
    (default: ``model.predict(records)``)."""

    def __init__(
        self,
        window: float = 0.005,
        max_rows: int = 64,
        call: Callable[[Any, list[dict[str, Any]]], list[dict[str, Any]]] = _predict,
    ):
        self.window, self.max_rows, self.call = window, max(1, max_rows), call
        self.batches = 0  # model calls that answered, for the benchmark and the tests
        self.retried = 0  # chunks run again row by row after their model call failed
        self._ready = threading.Condition()
        self._pending: list[_Request] = []
        self._worker: threading.Thread | None = None

    def predict(self, model: Any, records: list[dict[str, Any]]) -> list[Any]:
        """One outcome per record, in order: the model's row, or the exception raised on that record."""
        request = _Request(model, list(records))
        if not request.records:
            return []
        with self._ready:
            self._pending.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="empathykit-batcher", daemon=True)
                self._worker.start()
            self._ready.notify()
        request.done.wait()
        return request.outcomes

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                queued = sum(len(r.records) - r.taken for r in self._pending)
            if queued < self.max_rows:
                time.sleep(self.window)  # let requests arriving together join this chunk
            with self._ready:
                chunk = self._take()
            self._run(chunk)

    def _take(self) -> list[tuple[_Request, int, int]]:
        """Up to ``max_rows`` rows of one model version: ``(request, start, stop)`` slices. Requests not
        yet started, if any, alone and smallest first; else the requests served least so far first
        (the sorts are stable, so equals keep their arrival order)."""
        fresh = sorted((r for r in self._pending if r.taken == 0), key=lambda r: len(r.records))
        order = fresh or sorted(self._pending, key=lambda r: r.taken)
        model, room, chunk = order[0].model, self.max_rows, []
        for request in order:
            if room == 0:
                break
            if request.model is not model:
                continue
            count = min(room, len(request.records) - request.taken)
            chunk.append((request, request.taken, request.taken + count))
            request.taken += count
            room -= count
        self._pending = [r for r in self._pending if r.taken < len(r.records)]
        return chunk

    def _run(self, chunk: list[tuple[_Request, int, int]]) -> None:
        records = [record for request, start, stop in chunk for record in request.records[start:stop]]
        try:
            outcomes = self._outcomes(chunk[0][0].model, records)
        except BaseException as error:
            outcomes = [error] * len(records)
        position = 0
        for request, start, stop in chunk:
            request.outcomes[start:stop] = outcomes[position : position + stop - start]
            position += stop - start
            request.finished += stop - start
            if request.finished == len(request.records):
                request.done.set()

    def _outcomes(self, model: Any, records: list[dict[str, Any]]) -> list[Any]:
        try:
            rows = list(self.call(model, records))
            if len(rows) != len(records):
                raise RuntimeError(f"the model answered {len(rows)} rows for {len(records)}")
            self.batches += 1
            return rows
        except Exception as error:
            if len(records) == 1:
                return [error]
        self.retried += 1
        return [self._outcomes(model, [record])[0] for record in records]
