"""Atomic outputs that never destroy what was there.

Every output is written to a temporary beside its target and renamed into
place, so an interrupted command never leaves a half-written file and a re-run
simply replaces its earlier output. Every output carries its kind (``export``,
``model``, ``predictions``, ...; see :mod:`empathykit.outputs` for where the
kind is kept), and what stands at the target is only ever replaced by an
earlier output of the same kind that empathykit wrote: a file output never
replaces a folder or someone else's file, a folder output never replaces a
file, and a folder output replaces a folder only when that folder is empty or
an earlier output of that kind. Commands call :func:`check_output` first, so a
wrong path, or a folder they cannot write in, stops them before any work; a
disk that fills up while writing is one line naming the path too.

Temporaries are named ``.NAME.empathykit-tmp-PID-RANDOM`` (recognisable, and
hidden). They are removed on every exit the process sees: exceptions,
Ctrl-C, and SIGTERM (turned into ``SystemExit`` while an output is open). A
run that was killed outright leaves its temporary behind; the next run on the
same output removes it once its process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from empathykit.errors import EmpathykitError, OutputError
from empathykit.locks import output_lock  # noqa: F401  (re-exported: io is where commands find it)
from empathykit.outputs import (
    FOLDER_MARKER,
    describe,
    digest,
    file_kind,
    folder_kind,
    parquet_kind,
    read_marker,
    read_sidecar,
    sidecar_path,
    stamp_schema,
)
from empathykit.temporaries import TMP_TAG, clean_stale, remove, sigterm_unwinds, temporary_name

#: what a failed write means for the user: the place cannot take the output
_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_WRITE_HINTS = {
    errno.EROFS: "that folder is on a read-only file system; choose another output path",
    errno.ENOSPC: "the disk is full; free some space or choose another output path",
    errno.EDQUOT: "your disk quota is used up; free some space or choose another output path",
}


def check_output(
    target: str | os.PathLike,
    kind: str = "file",
    *,
    output: str | None = None,
    marker: str | None = None,
    label: str = "output",
    tag: str | None = None,
) -> Path:
    """Raise :class:`OutputError` unless ``target`` may receive a ``kind`` (``"file"`` or ``"dir"``)
    output of the kind ``output`` (``"export"``, ``"predictions"``, ...): it is absent, an empty
    folder, or an earlier ``output`` that empathykit wrote, and its folder can be written in.
    ``marker``: a file that marks the caller's earlier folders from before markers named a kind;
    ``tag``: the same as ``output``. Without ``output`` (internal files), any file and any folder
    empathykit wrote may be replaced. Also removes stale temporaries of ``target`` left by killed
    runs. Returns the path."""
    target = Path(target)
    output = output or tag
    if kind not in ("file", "dir"):
        raise ValueError(f"kind must be 'file' or 'dir', not {kind!r}")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"{label} {target}: {parent} is a file, not a folder", hint="choose an output path inside a folder"
                )
            break
    clean_stale(target)
    if target.exists() or target.is_symlink():
        _check_existing(target, kind, output, marker, label)
    _check_writable(target, label)
    return target


def _check_existing(target: Path, kind: str, output: str | None, marker: str | None, label: str) -> None:
    if kind == "file" and target.is_dir():
        raise OutputError(
            f"{label} {target} is an existing folder; expected a file path (nothing was written)",
            hint=f"name a file, e.g. {target / 'out'}{target.suffix or '.parquet'}, or remove the folder yourself",
        )
    if kind == "dir" and not target.is_dir():
        raise OutputError(
            f"{label} {target} is an existing file; expected a folder path (nothing was written)",
            hint="name a new folder, or remove the file yourself",
        )
    if kind == "dir" and not any(target.iterdir()):
        return
    if output is None:
        if kind == "dir" and not (target / FOLDER_MARKER).is_file() and not (marker and (target / marker).exists()):
            expected = f"{FOLDER_MARKER}" + (f" or {marker}" if marker else "")
            raise OutputError(
                f"{label} {target} is a folder that is not an earlier output of this command "
                f"(no {expected} in it); nothing was written",
                hint="name a new or empty folder, or remove that one yourself",
            )
        return
    found = folder_kind(target, marker) if kind == "dir" else file_kind(target)
    if found == output or (found == "legacy" and marker):
        return
    what = "folder" if kind == "dir" else "file"
    raise OutputError(
        f"{label} {target}: there is {describe(target, found)}, which writing {output} there would "
        f"{'delete' if kind == 'dir' else 'replace'}; nothing was written",
        hint=f"name a new {what}, or move that one away yourself",
    )


def _check_writable(target: Path, label: str) -> None:
    """Create and remove a file where ``target``'s temporary will go (its nearest existing folder)."""
    folder = next((p for p in target.parents if p.exists()), Path("."))
    probe = folder / f".{target.name}{TMP_TAG}{os.getpid()}-probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except FileExistsError:
        return
    except OSError as exc:
        raise _cannot_write(target, folder, exc, label) from None


def _cannot_write(target: Path, folder: Path, exc: OSError, label: str) -> OutputError:
    reason = os.strerror(exc.errno) if exc.errno else exc.strerror or str(exc).split("\n")[0]
    return OutputError(
        f"{label} {target}: cannot write in {folder} ({reason}); nothing was written",
        hint=_WRITE_HINTS.get(exc.errno, "choose a folder you can write to, or fix its permissions"),
    )


def disk_error(exc: OSError) -> OutputError | None:
    """One line for a write the file system refused anywhere (full, over quota, read-only); None for
    any other ``OSError``, which stays loud."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return None
    quoted = re.search(r"'([^']+)'", str(exc))  # Arrow names the file in its message, not in filename
    where = os.fsdecode(exc.filename) if exc.filename is not None else quoted.group(1) if quoted else "a file"
    return OutputError(f"cannot write {where} ({os.strerror(exc.errno)})", hint=_WRITE_HINTS[exc.errno])


def _write_failure(exc: BaseException, target: Path, tmp: Path, label: str) -> OutputError | None:
    """The one line for an ``OSError`` met while writing ``target`` (None: not a write failure)."""
    if not isinstance(exc, OSError) or exc.errno not in _WRITE_ERRNOS:
        return None
    name = os.fsdecode(exc.filename) if exc.filename is not None else None
    if name is not None and not name.startswith(str(tmp)) and Path(name).parent != target.parent:
        return None  # an input that could not be read, not the output
    return _cannot_write(target, target.parent, exc, label)


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike,
    *,
    suffix: str = "",
    output: str | None = None,
    marker: str | None = None,
    tag: str | None = None,
    label: str = "output",
) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (the caller creates a file or a folder there);
    on success it replaces ``target``, on any failure it is removed. ``output``: the kind of
    output written (see :func:`check_output`; ``tag`` is the same), which a folder gets in its
    :data:`FOLDER_MARKER` (a marker the caller wrote is kept), a Parquet file in its metadata
    when the caller put it there (:func:`stamp_schema`), and any other file in its sidecar.
    A write the place cannot take (read-only, full disk) is one :class:`OutputError` line."""
    target = Path(target)
    output = output or tag
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(target, next((p for p in target.parents if p.exists()), Path(".")), exc, label) from None
    clean_stale(target)
    tmp = temporary_name(target, suffix)
    with sigterm_unwinds():
        try:
            yield tmp
            if tmp.is_dir():
                check_output(target, "dir", output=output, marker=marker, label=label)
                _mark_folder(tmp, output, marker)
                _swap_folder(tmp, target)
            elif output:
                check_output(target, "file", output=output, label=label)
                _replace_file(tmp, target, output)
            else:
                if target.is_dir() and not target.is_symlink():
                    check_output(target, "file", label=label)  # raises: never remove a folder for a file
                os.replace(tmp, target)
        except BaseException as exc:
            remove(tmp)
            failure = _write_failure(exc, target, tmp, label)
            if failure is not None:
                raise failure from None
            raise


def mark_folder(folder: str | os.PathLike, output: str, *, label: str = "output") -> Path:
    """Make ``folder`` (checked as :func:`check_output` does) an ``output`` folder written in place,
    file by file, rather than renamed into place whole."""
    folder = check_output(folder, "dir", output=output, label=label)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _mark_folder(folder, output, None)
    except OSError as exc:
        raise _cannot_write(folder, folder.parent, exc, label) from None
    return folder


def _mark_folder(folder: Path, output: str | None, marker: str | None) -> None:
    document = read_marker(folder)
    if document is None:
        if not output and marker and (folder / marker).exists():
            return
        document = {"written_by": "empathykit"}
    elif not output or document.get("output"):
        return  # the caller wrote its own
    if output:
        document["output"] = output
    (folder / FOLDER_MARKER).write_text(json.dumps(document) + "\n", encoding="utf-8")


def _replace_file(tmp: Path, target: Path, output: str) -> None:
    """Rename ``tmp`` onto ``target``, the kind of output going with it. The sidecar names both the
    old and the new bytes while the rename happens, so a kill in between leaves a provable file."""
    sidecar = sidecar_path(target)
    if parquet_kind(tmp) == output:
        os.replace(tmp, target)
        with contextlib.suppress(FileNotFoundError):
            sidecar.unlink()
        return
    new = digest(tmp)
    old = (read_sidecar(target).get("sha256") or []) if file_kind(target) == output else []
    mode = tmp.stat().st_mode & 0o666
    _write_sidecar(sidecar, output, [new, *old], mode)
    os.replace(tmp, target)
    _write_sidecar(sidecar, output, [new], mode)


def _write_sidecar(sidecar: Path, output: str, digests: list[str], mode: int) -> None:
    tmp = temporary_name(sidecar)
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "w", encoding="utf-8") as handle:
            json.dump({"written_by": "empathykit", "output": output, "sha256": digests}, handle)
            handle.write("\n")
        os.replace(tmp, sidecar)
    except BaseException:
        remove(tmp)
        raise


def remove_output(target: str | os.PathLike) -> None:
    """Remove an output file that empathykit wrote, with its sidecar (absent: nothing to do)."""
    for path in (Path(target), sidecar_path(target)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _swap_folder(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        return
    old = temporary_name(target, ".old")
    target.rename(old)
    tmp.rename(target)
    remove(old)


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike, mode: str = "w", *, output: str | None = None, **kwargs: Any
) -> Iterator[IO]:
    """``open()`` a temporary file that replaces ``target`` when closed cleanly."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(target, output=output) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def write_json(target: str | os.PathLike, obj: Any, *, output: str | None = None) -> Path:
    with atomic_open(target, output=output) as handle:
        json.dump(obj, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")
    return Path(target)


def write_parquet(target: str | os.PathLike, table: Any, *, output: str | None = None) -> Path:
    """Write a ``pyarrow.Table`` or ``pandas.DataFrame`` atomically, ``output`` in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    if output:
        table = table.replace_schema_metadata(stamp_schema(table.schema, output).metadata)
    with atomic_path(target, output=output) as tmp:
        pq.write_table(table, tmp)
    return Path(target)


def read_json_document(
    path: str | Path, what: str, required_key: str, hint: str, error: type[EmpathykitError]
) -> dict[str, Any]:
    """A JSON object another command wrote (``what``: how to name it), with ``required_key``;
    a missing, unreadable or foreign file is one ``error`` line."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file", hint=hint) from None
    except (OSError, ValueError) as exc:
        raise error(f"{path}: not a readable {what} JSON ({type(exc).__name__})", hint=hint) from None
    if not isinstance(document, dict) or required_key not in document:
        raise error(f"{path}: not {what} JSON (no {required_key!r} key)", hint=hint)
    return document
