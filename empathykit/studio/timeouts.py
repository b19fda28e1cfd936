"""Connect and read timeouts of every request to Label Studio.

A request has a connect timeout of :data:`CONNECT_TIMEOUT` seconds and a read
timeout of :data:`READ_TIMEOUT` (the longest silence between bytes) unless it
passes a longer one it needs; ``EMPATHYKIT_STUDIO_CONNECT_TIMEOUT`` and
``EMPATHYKIT_STUDIO_TIMEOUT`` override them.
"""

from __future__ import annotations

import os

import httpx

from empathykit.errors import StudioError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


def timeouts(read: float | None = None) -> httpx.Timeout:
    """Connect and read timeouts (seconds) for one request: ``read`` or the default, from the environment."""
    connect = _seconds("EMPATHYKIT_STUDIO_CONNECT_TIMEOUT", CONNECT_TIMEOUT)
    read = read if read is not None else _seconds("EMPATHYKIT_STUDIO_TIMEOUT", READ_TIMEOUT)
    return httpx.Timeout(read, connect=connect, pool=connect)


def _seconds(variable: str, default: float) -> float:
    raw = os.environ.get(variable)
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if value <= 0:
        raise StudioError(f"{variable}={raw!r}: expected a number of seconds above 0")
    return value
