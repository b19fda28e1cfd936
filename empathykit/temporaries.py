"""Temporaries of outputs: their names, their removal once their process is gone, and SIGTERM
turned into ``SystemExit`` while an output is open (so the temporary is removed on the way out).

Temporaries are named ``.NAME.empathykit-tmp-PID-RANDOM`` (recognisable, and hidden); see
:mod:`empathykit.io` for the outputs they become.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TMP_TAG = ".empathykit-tmp-"
_open_outputs = 0
_previous_handler: Any = None


def clean_stale(target: str | os.PathLike) -> list[Path]:
    """Remove temporaries of ``target`` whose process is gone; a folder swap killed halfway
    (target missing, its previous version parked as ``….old``) is undone instead."""
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for stale in sorted(target.parent.glob(f".{_glob_escape(target.name)}{TMP_TAG}*")):
        pid = _pid_of(stale.name[len(target.name) + 1 + len(TMP_TAG) :])
        if pid is None or process_alive(pid):
            continue
        if stale.name.endswith(".old") and not target.exists():
            stale.rename(target)  # the previous output, parked by a swap that never finished
            continue
        remove(stale)
        removed.append(stale)
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _pid_of(rest: str) -> int | None:
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine still runs."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def temporary_name(target: Path, suffix: str = "") -> Path:
    return target.with_name(f".{target.name}{TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def _on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through atomic_path, which removes its temporary


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While an output is open, SIGTERM raises ``SystemExit`` instead of killing the process outright."""
    global _open_outputs, _previous_handler
    main = threading.current_thread() is threading.main_thread()
    if main:
        if _open_outputs == 0:
            current = signal.getsignal(signal.SIGTERM)
            if current in (signal.SIG_DFL, None):
                _previous_handler = current
                signal.signal(signal.SIGTERM, _on_sigterm)
        _open_outputs += 1
    try:
        yield
    finally:
        if main:
            _open_outputs -= 1
            if _open_outputs == 0 and _previous_handler is not None:
                signal.signal(signal.SIGTERM, _previous_handler)
                _previous_handler = None
