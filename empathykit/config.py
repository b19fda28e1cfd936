"""Where empathykit keeps its state.

- ``project_dir()``: project-local state (``./.empathykit`` or ``$EMPATHYKIT_DIR``):
  the local Label Studio's database and connection file, pull checkpoints.
- ``cache_dir()``: per-user state shared by projects (``$EMPATHYKIT_CACHE`` or
  ``$XDG_CACHE_HOME/empathykit``, by default ``~/.cache/empathykit``): the Label
  Studio virtual environment and its migrated template databases, and
  ``retrieve``'s corpus embeddings (``embeddings_cache_dir()``).
- ``user_state_dir()``: per-user records that outlive a working directory
  (``$EMPATHYKIT_STATE`` or ``$XDG_STATE_HOME/empathykit``, by default
  ``~/.local/state/empathykit``): which local Label Studio servers run and
  from which studio folder, so that commands find them from any folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_dir() -> Path:
    return Path(os.environ.get("EMPATHYKIT_DIR", ".empathykit")).resolve()


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "empathykit"
    return Path(os.environ.get("EMPATHYKIT_CACHE") or default).resolve()


def embeddings_cache_dir() -> Path:
    return cache_dir() / "embeddings"


def user_state_dir() -> Path:
    default = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "empathykit"
    return Path(os.environ.get("EMPATHYKIT_STATE", default)).resolve()
