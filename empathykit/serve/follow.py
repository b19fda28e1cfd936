"""``serve LOOP_DIR``: the newest model a loop writes, swapped in on the server's own timer.

``empathykit loop`` writes each round's model folder, then names it in the loop folder's
``current-model.txt``. A daemon thread reads that file every ``every`` seconds; a new version is
loaded on that thread, beside the model in service, and swapped in with one assignment, so no
request waits on the load or fails during it: a request answers with the model it started with,
the next with the new one. Each swap is one log line (``old -> new``); a model that cannot be
loaded is one line too, once per version, and the old model keeps serving.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import EmpathykitError
from empathykit.predict.models import CURRENT_MODEL, folders_version, open_model, resolve_dirs


def is_loop_folder(paths: list[Path]) -> bool:
    return len(paths) == 1 and (paths[0] / CURRENT_MODEL).is_file()


class Follower:
    """Calls ``swap(model)`` with each new model the loop folder names; ``version()`` is the one in service."""

    def __init__(
        self,
        folder: Path,
        version: Callable[[], str],
        swap: Callable[[Any], None],
        *,
        every: float = 2.0,
        log: Callable[[str], None],
    ):
        self.folder, self.every = folder, max(every, 0.05)
        self._version, self._swap, self._log = version, swap, log
        self._failed: str | None = None  # a version that did not load: said once, not every tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="empathykit-follow-loop", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception as error:
                self._log(f"serve: following {self.folder} failed this time ({type(error).__name__}: {error})")

    def check(self) -> bool:
        """Load and swap in the loop's newest model when it is not the one in service; whether it did."""
        try:
            dirs = resolve_dirs(self.folder)
            newest = folders_version(dirs) if dirs and all(d.is_dir() for d in dirs) else None
        except (OSError, EmpathykitError):
            return False  # the loop is between writes; the next tick reads it whole
        old = self._version()
        if newest is None or newest in (old, self._failed):
            return False
        try:
            model = open_model(dirs)
        except Exception as error:
            self._failed = newest
            self._log(f"serve: cannot load {newest} ({type(error).__name__}: {error}); still serving {old}")
            return False
        self._swap(model)
        self._failed = None
        self._log(f"serve: model {old} -> {model.version}")
        return True
