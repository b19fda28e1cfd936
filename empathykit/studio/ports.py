"""Free loopback ports for the local servers (Label Studio, the ML backend, test servers)."""

from __future__ import annotations

import socket

from empathykit.errors import StudioError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server can listen on ``host:port`` now. Address reuse, as the servers themselves bind
    (uvicorn, Django): sockets a killed server left in TIME-WAIT do not count, only a listener does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    # Label Studio's own check connects to "localhost"; a listener there also counts as taken
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("localhost", port)) != 0


def free_port(start: int | None = None, host: str = "127.0.0.1") -> int:
    """``start`` if free, else the next free port above it; any free port if ``None``."""
    if start is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            return sock.getsockname()[1]
    for port in range(start, min(start + 1000, 65536)):
        if port_is_free(port, host):
            return port
    raise StudioError(f"no free port in {start}..{start + 999} on {host}", hint="pass --port")
