"""Rows of concurrent ``/predict`` requests run through the model together.

Label Studio asks for one task at a time while annotators open tasks, and for many at once from
the Data Manager; FastAPI runs the handlers in its thread pool, so concurrent requests arrive on
several threads. Each request queues its rows and waits; one worker thread takes the queue,
waits ``window`` seconds for more requests to join unless ``max_rows`` are already queued, and
predicts every queued row of one model version in one call, then hands each request its own rows.
Rows that arrive while a batch runs form the next batch.

Limits: one process (uvicorn runs one worker, the model lives in its memory); a request is never
split across batches, so one larger than ``max_rows`` runs as a batch of its own; an error in a
batch is raised in every request of that batch (``Backend`` keeps tasks it cannot read out of
batches, so one bad task does not fail the others). An idle server adds ``window`` (5 ms) to a
lone request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Request:
    model: Any
    records: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    rows: list[dict[str, Any]] | None = None
    error: BaseException | None = None


class Batcher:
    """``predict(model, records)`` from any thread; ``model.predict`` runs on one worker thread."""

    def __init__(self, window: float = 0.005, max_rows: int = 64):
        self.window, self.max_rows = window, max_rows
        self.batches = 0  # model calls made, for /health and the benchmark
        self._ready = threading.Condition()
        self._pending: list[_Request] = []
        self._worker: threading.Thread | None = None

    def predict(self, model: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request = _Request(model, list(records))
        with self._ready:
            self._pending.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="empathykit-batcher", daemon=True)
                self._worker.start()
            self._ready.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.rows or []

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                queued = sum(len(r.records) for r in self._pending)
            if queued < self.max_rows:
                time.sleep(self.window)  # let requests arriving together join this batch
            with self._ready:
                batch = self._take()
            self._run(batch)

    def _take(self) -> list[_Request]:
        """The first request and every later one of the same model version that fits ``max_rows``."""
        first, rows = self._pending[0], 0
        batch, rest = [], []
        for request in self._pending:
            fits = not batch or rows + len(request.records) <= self.max_rows
            if request.model is first.model and fits:
                batch.append(request)
                rows += len(request.records)
            else:
                rest.append(request)
        self._pending = rest
        return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            rows = batch[0].model.predict([record for request in batch for record in request.records])
            self.batches += 1
            start = 0
            for request in batch:
                request.rows = rows[start:start + len(request.records)]
                start += len(request.records)
        except BaseException as error:  # noqa: BLE001 - handed to every waiting request, raised there
            for request in batch:
                request.error = error
        finally:
            for request in batch:
                request.done.set()
