"""One run per output: the kernel's advisory lock on a file beside the output."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from empathykit.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

LOCK_TAG = ".empathykit-lock"


@contextlib.contextmanager
def output_lock(target: str | os.PathLike, *, label: str = "output") -> Iterator[Path]:
    """Hold the one lock of ``target`` (``.NAME.empathykit-lock`` beside it) while a run writes it.

    A second holder stops at once with one line naming the live one (pid, host, start time). The
    lock is the kernel's (``flock``): a run killed outright lets go of it, so the next run takes
    it over without guessing from pids, which the system reuses."""
    target = Path(target)
    path = target.parent / f".{target.name}{LOCK_TAG}"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = _take_lock(path, target, label)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        handle.close()


def _take_lock(path: Path, target: Path, label: str) -> IO:
    if fcntl is None:
        raise OutputError(
            f"{label} {target}: one run per output needs advisory file locks, which this system lacks",
            hint="run empathykit on Linux or macOS (or WSL)",
        )
    while True:
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _holder(handle.read())
            handle.close()
            raise OutputError(
                f"{label} {target} is being written by another run ({holder})",
                hint="wait for that run to finish, or stop it; a run that was killed lets go by itself",
            ) from None
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed it as we opened it: lock the new one
            handle.close()
            continue
        handle.seek(0)
        handle.truncate()
        started = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}) + "\n")
        handle.flush()
        return handle


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (ValueError, KeyError, TypeError):
        return "a process that is just starting"
