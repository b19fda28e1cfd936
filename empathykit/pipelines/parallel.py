"""Order-keeping parallel map for the streaming pipelines.

Arrow's parsers and compute kernels release the GIL, so threads use every core for
the Arrow part of the work without copying batches between processes. Results come
back in input order (the output, the dedup's "first post wins" and the counts match
a one-thread run) with at most ``workers + 1`` items in flight, so memory stays flat.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


def cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under a batch scheduler)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ordered_map(function: Callable[[In], Out], items: Iterable[In], workers: int | None = None) -> Iterator[Out]:
    """``map(function, items)`` on ``workers`` threads (default: :func:`cores`), in input order.
    An exception in ``function`` is raised where its result would have been yielded."""
    workers = workers or cores()
    if workers == 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a consumer that stops early, or an error: drop the work not yet started
            for future in pending:
                future.cancel()
