"""What stands at an output path: which kind of output empathykit wrote there, if any.

Every output a command writes carries its kind (``export``, ``model``, ``predictions``, ...), so
that a command replaces only an earlier output of its own kind (the rule lives in
:func:`empathykit.io.check_output`):

- a folder in its marker file :data:`FOLDER_MARKER` (``{"written_by": "empathykit", "output": KIND}``);
  folders written before the marker named a kind are known by a file of their own
  (:data:`LEGACY_MARKERS`, e.g. an export's ``export.json``);
- a Parquet file in its schema metadata (:data:`PARQUET_KEY`);
- any other file (JSON, CSV, PNG, a passwords file) in a hidden sidecar beside it,
  ``.NAME.empathykit-output.json``, holding the kind and the SHA-256 of the bytes written: a file
  edited or replaced since no longer counts as ours.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

FOLDER_MARKER = ".empathykit-output.json"
PARQUET_KEY = b"empathykit.output"
SIDECAR_TAG = ".empathykit-output.json"
#: files that told an output folder's kind before its marker did (still replaceable by their command)
LEGACY_MARKERS = {"export.json": "export", "agreement.json": "agreement-report", "loop-state.json": "loop"}


def read_marker(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The :data:`FOLDER_MARKER` of ``folder`` as a dict (None: absent or not readable JSON)."""
    try:
        value = json.loads((Path(folder) / FOLDER_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def folder_kind(folder: str | os.PathLike, legacy_marker: str | None = None) -> str | None:
    """The kind of output empathykit wrote as ``folder`` (None: not provably one of its outputs).
    ``legacy_marker``: a file that marks a caller's earlier outputs without a kind in the marker."""
    folder = Path(folder)
    marker = read_marker(folder)
    if marker and marker.get("output"):
        return str(marker["output"])
    for name, kind in LEGACY_MARKERS.items():
        if (folder / name).is_file():
            return kind
    if legacy_marker and (folder / legacy_marker).exists():
        return "legacy"
    return None


def sidecar_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.parent / f".{path.name}{SIDECAR_TAG}"


def digest(path: str | os.PathLike) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def read_sidecar(path: str | os.PathLike) -> dict[str, Any]:
    try:
        value = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def parquet_kind(path: str | os.PathLike) -> str | None:
    """The kind in a Parquet file's schema metadata (None: not Parquet, or not marked)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"PAR1":
                return None
    except OSError:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return None
    value = metadata.get(PARQUET_KEY)
    return value.decode("utf-8", "replace") if value else None


def file_kind(path: str | os.PathLike) -> str | None:
    """The kind of output empathykit wrote as the file ``path``, as it is now (None: not provable)."""
    kind = parquet_kind(path)
    if kind:
        return kind
    sidecar = read_sidecar(path)
    if not sidecar.get("output"):
        return None
    try:
        return str(sidecar["output"]) if digest(path) in (sidecar.get("sha256") or []) else None
    except OSError:
        return None


def stamp_schema(schema: Any, output: str) -> Any:
    """``schema`` (a ``pyarrow.Schema``) carrying ``output`` as the kind of the file it is written to."""
    return schema.with_metadata({**(schema.metadata or {}), PARQUET_KEY: output.encode("utf-8")})


def describe(path: Path, kind: str | None) -> str:
    """What stands at ``path``, with what replacing it would lose (files and bytes)."""
    if path.is_dir():
        count, size = 0, 0
        for root, _dirs, names in os.walk(path):
            for name in names:
                count += 1
                try:
                    size += (Path(root) / name).stat().st_size
                except OSError:
                    pass
        what = f"empathykit's {kind} folder" if kind and kind != "legacy" else "a folder empathykit did not write"
        return f"{what} ({count} files, {_size(size)})"
    size = path.stat().st_size if path.exists() else 0
    earlier = read_sidecar(path).get("output")
    what = (
        f"empathykit's {kind} output"
        if kind
        else f"a file changed since empathykit wrote it as {earlier}"
        if earlier
        else "a file empathykit did not write"
    )
    return f"{what} ({_size(size)})"


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} bytes"
