"""Append-only JSONL of raw X API pages with a checkpoint beside it.

One page per line, in the shape the API sent it (``data``, ``includes``,
``meta``, ``errors``) plus the provenance key ``__empathykit``. Beside
``OUT`` lies ``OUT.checkpoint.json``: the byte offset of ``OUT`` that the
checkpoint covers and, per run (endpoint + query), where to go on.

Crash safety: a page line is written and fsynced before the checkpoint that
counts it is renamed into place. On opening, ``OUT`` is cut back to the
checkpoint's offset, which drops a partial last line and any page written
after the last checkpoint; the run then fetches that page again, so every
tweet lands exactly once.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from empathykit import __version__
from empathykit.errors import InputError
from empathykit.io import write_json

CHECKPOINT_FORMAT = "empathykit.x-checkpoint/1"


def checkpoint_path(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".checkpoint.json")


def _end_of_last_line(path: Path) -> int:
    """Byte offset just after the file's last newline (0 if it has none)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - 65536)
            handle.seek(start)
            chunk = handle.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
    return 0


class PageLog:
    """Open ``output`` for appending pages; use as a context manager."""

    def __init__(self, output: str | os.PathLike):
        self.path = Path(output)
        self.checkpoint_path = checkpoint_path(self.path)
        self.state = self._load()
        self.discarded_bytes = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "ab")
        try:
            self._lock()
            self._reconcile()
        except BaseException:
            self._handle.close()
            raise

    def _lock(self) -> None:
        """Two runs appending to one file would interleave pages and fight over the checkpoint."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one run at a time is the user's care
            return
        try:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"another run is writing to {self.path}",
                             hint="wait for it to finish, or collect into another file") from None

    def _load(self) -> dict[str, Any]:
        if not self.checkpoint_path.exists():
            return {"format": CHECKPOINT_FORMAT, "output": self.path.name, "offset": None,
                    "pages": 0, "tweets": 0, "runs": {}}
        try:
            state = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"checkpoint {self.checkpoint_path} is not readable JSON ({exc})",
                             hint="move it aside to start the collection into this file afresh") from None
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise InputError(f"{self.checkpoint_path} is not an empathykit X checkpoint (format {CHECKPOINT_FORMAT})")
        return state

    def _reconcile(self) -> None:
        size = self.path.stat().st_size
        offset = self.state["offset"]
        if offset is None:
            # A file written by something else: keep its complete lines.
            offset = _end_of_last_line(self.path) if size else 0
        elif size < offset:
            raise InputError(f"{self.path} has {size} bytes but its checkpoint counts {offset}; "
                             "the file was changed outside empathykit",
                             hint=f"move {self.checkpoint_path.name} aside to append a fresh collection")
        if size > offset:
            os.ftruncate(self._handle.fileno(), offset)
            os.fsync(self._handle.fileno())
            self.discarded_bytes = size - offset
        self.state["offset"] = offset
        self._save()

    def _save(self) -> None:
        self.state["version"] = __version__
        self.state["updated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_json(self.checkpoint_path, self.state)

    def run(self, key: str) -> dict[str, Any] | None:
        """The saved state of one run (a copy), or None."""
        state = self.state["runs"].get(key)
        return dict(state) if state is not None else None

    def append(self, page: dict[str, Any], *, key: str, run: dict[str, Any], tweets: int) -> None:
        """Write one page line durably, then the checkpoint with ``run`` as the state of ``key``."""
        line = (json.dumps(page, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self._handle.write(line)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.state["offset"] += len(line)
        self.state["pages"] += 1
        self.state["tweets"] += tweets
        self.save_run(key, run)

    def save_run(self, key: str, run: dict[str, Any]) -> None:
        """Record a run's state with no page (e.g. a search that found nothing new)."""
        self.state["runs"][key] = dict(run)
        self._save()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "PageLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
