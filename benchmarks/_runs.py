"""The results file of a multi-run benchmark, so a run killed midway resumes where it stopped.

Each finished run (a mechanism and seed, a seed, ...) is recorded under its key the moment it
ends, the file replaced atomically; a later start with the same ``--out`` and the same settings
skips the keys already there. A file recorded with other settings is never mixed in: the benchmark
stops in one line and asks for another ``--out``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


class RunLog:
    def __init__(self, path: Path | None, settings: dict[str, Any]):
        self.path, self.settings = path, json.loads(json.dumps(settings, default=str))
        self.runs: dict[str, Any] = {}
        if path is not None and path.exists():
            try:
                saved = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                sys.exit(f"{path}: not a results file of this benchmark ({error}); give another --out")
            if not isinstance(saved, dict) or "runs" not in saved:
                sys.exit(f"{path}: not a results file of this benchmark (no settings and runs); give another --out")
            if saved.get("settings") != self.settings:
                sys.exit(
                    f"{path} holds runs of other settings ({saved.get('settings')}); "
                    "give another --out to run these, or the same settings to resume"
                )
            self.runs = saved.get("runs", {})

    def done(self, key: str) -> bool:
        return key in self.runs

    def record(self, key: str, result: Any) -> None:
        self.runs[key] = result
        self.write()

    def write(self, **extra: Any) -> None:
        """The settings, the runs so far and ``extra`` (a summary), replacing the file atomically."""
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        whole = {"settings": self.settings, "runs": self.runs, **extra}
        tmp.write_text(json.dumps(whole, indent=2, default=str) + "\n")
        os.replace(tmp, self.path)
