"""Append-only JSONL of raw X API pages with a checkpoint beside it.

One page per line, in the shape the API sent it (``data``, ``includes``,
``meta``, ``errors``) plus the provenance key ``__empathykit``. Beside
``OUT`` lies ``OUT.checkpoint.json``: the byte offset of ``OUT`` that the
checkpoint covers and, per run (endpoint + query), where to go on.

Crash safety: a page line is written and fsynced before the checkpoint that
counts it is renamed into place. On opening, ``OUT`` is cut back to the
checkpoint's offset, which drops a partial last line and any page written
after the last checkpoint; the run then fetches that page again, so every
tweet lands exactly once. A non-empty ``OUT`` without its checkpoint is not
a page log empathykit wrote: it is refused, never cut or appended to. One run
at a time writes a page log (:func:`empathykit.io.output_lock`).
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from empathykit import __version__
from empathykit.errors import InputError, OutputError
from empathykit.io import output_lock, write_json

CHECKPOINT_FORMAT = "empathykit.x-checkpoint/1"


def checkpoint_path(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".checkpoint.json")


class PageLog:
    """Open ``output`` for appending pages; use as a context manager."""

    def __init__(self, output: str | os.PathLike):
        self.path = Path(output)
        self.checkpoint_path = checkpoint_path(self.path)
        self.discarded_bytes = 0
        # two runs appending to one file would interleave pages and fight over the checkpoint
        self._held = contextlib.ExitStack()
        try:
            self._held.enter_context(output_lock(self.path, label="pages file"))
            self.state = self._load()
            self._handle = self._held.enter_context(open(self.path, "ab"))
            self._reconcile()
        except BaseException:
            self._held.close()
            raise

    def _load(self) -> dict[str, Any]:
        if not self.checkpoint_path.exists():
            return {
                "format": CHECKPOINT_FORMAT,
                "output": self.path.name,
                "offset": None,
                "pages": 0,
                "tweets": 0,
                "runs": {},
            }
        try:
            state = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"checkpoint {self.checkpoint_path} is not readable JSON ({exc})",
                hint="move it aside to start the collection into this file afresh",
            ) from None
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise InputError(f"{self.checkpoint_path} is not an empathykit X checkpoint (format {CHECKPOINT_FORMAT})")
        return state

    def _reconcile(self) -> None:
        size = self.path.stat().st_size
        offset = self.state["offset"]
        if offset is None and size:
            raise OutputError(
                f"pages file {self.path}: there is a file empathykit did not write ({size} bytes, no "
                f"{self.checkpoint_path.name} beside it), which collecting would append to; nothing "
                "was written",
                hint="collect into a new file, or move that one away yourself",
            )
        if offset is None:
            offset = 0
        elif size < offset:
            raise InputError(
                f"{self.path} has {size} bytes but its checkpoint counts {offset}; "
                "the file was changed outside empathykit",
                hint=f"move {self.checkpoint_path.name} aside to append a fresh collection",
            )
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
        self._held.close()

    def __enter__(self) -> PageLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
