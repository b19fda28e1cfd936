"""Atomic outputs that never destroy what was there.

Every output is written to a temporary beside its target and renamed into
place, so an interrupted command never leaves a half-written file and a re-run
simply replaces its earlier output. What stands at the target is only ever
replaced by an output of the same kind: a file output never replaces a folder,
a folder output never replaces a file, and a folder output replaces a folder
only when that folder is empty or an earlier output of the same kind (it holds
the caller's ``marker`` file, e.g. ``export.json``, or else
:data:`FOLDER_MARKER`, which folders written here get when they lack one). Commands call :func:`check_output`
first, so a wrong path stops them before any work.

Temporaries are named ``.NAME.empathykit-tmp-PID-RANDOM`` (recognisable, and
hidden). They are removed on every exit the process sees: exceptions,
Ctrl-C, and SIGTERM (turned into ``SystemExit`` while an output is open). A
run that was killed outright leaves its temporary behind; the next run on the
same output removes it once its process is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterator

from empathykit.errors import EmpathykitError, OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

TMP_TAG = ".empathykit-tmp-"
FOLDER_MARKER = ".empathykit-output.json"
_open_outputs = 0
_previous_handler: Any = None


def _describe(path: Path) -> str:
    return "a folder" if path.is_dir() else "a file"


def check_output(target: str | os.PathLike, kind: str = "file", *, marker: str | None = None,
                 label: str = "output", tag: str | None = None) -> Path:
    """Raise :class:`OutputError` unless ``target`` may receive a ``kind`` (``"file"`` or ``"dir"``)
    output: it is absent, or of that kind (a folder: empty, or an earlier output, see the module
    doc; with ``tag``, only a folder whose :data:`FOLDER_MARKER` says ``"output": tag`` counts).
    Also removes stale temporaries of ``target`` left by killed runs. Returns the path."""
    target = Path(target)
    if kind not in ("file", "dir"):
        raise ValueError(f"kind must be 'file' or 'dir', not {kind!r}")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{label} {target}: {parent} is a file, not a folder",
                                  hint="choose an output path inside a folder")
            break
    clean_stale(target)
    if not target.exists() and not target.is_symlink():
        return target
    if kind == "file" and target.is_dir():
        raise OutputError(f"{label} {target} is an existing folder; expected a file path (nothing was written)",
                          hint=f"name a file, e.g. {target / 'out'}{target.suffix or '.parquet'}, "
                               "or remove the folder yourself")
    if kind == "dir" and not target.is_dir():
        raise OutputError(f"{label} {target} is an existing file; expected a folder path (nothing was written)",
                          hint="name a new folder, or remove the file yourself")
    if kind == "dir" and tag and not _replaceable_folder(target, None, tag):
        raise OutputError(f"{label} {target} is a folder that empathykit did not write as a {tag} folder "
                          f"(no {FOLDER_MARKER} saying so); nothing was written",
                          hint="name a new or empty folder, or remove that one yourself")
    if kind == "dir" and not _replaceable_folder(target, marker, tag):
        expected = f"{FOLDER_MARKER}" + (f" or {marker}" if marker else "")
        raise OutputError(f"{label} {target} is a folder that is not an earlier output of this command "
                          f"(no {expected} in it); nothing was written",
                          hint="name a new or empty folder, or remove that one yourself")
    return target


def _replaceable_folder(folder: Path, marker: str | None, tag: str | None = None) -> bool:
    if tag:
        return not any(folder.iterdir()) or (read_marker(folder) or {}).get("output") == tag
    if (folder / FOLDER_MARKER).is_file() or (marker and (folder / marker).exists()):
        return True
    return not any(folder.iterdir())


def read_marker(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The :data:`FOLDER_MARKER` of ``folder`` as a dict (None: absent or not readable JSON)."""
    try:
        value = json.loads((Path(folder) / FOLDER_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def clean_stale(target: str | os.PathLike) -> list[Path]:
    """Remove temporaries of ``target`` whose process is gone; a folder swap killed halfway
    (target missing, its previous version parked as ``….old``) is undone instead."""
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for stale in sorted(target.parent.glob(f".{_glob_escape(target.name)}{TMP_TAG}*")):
        pid = _pid_of(stale.name[len(target.name) + 1 + len(TMP_TAG):])
        if pid is None or process_alive(pid):
            continue
        if stale.name.endswith(".old") and not target.exists():
            stale.rename(target)  # the previous output, parked by a swap that never finished
            continue
        _remove(stale)
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


def _remove(path: Path) -> None:
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


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, suffix: str = "", marker: str | None = None,
                tag: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (the caller creates a file or a folder there);
    on success it replaces ``target``, on any failure it is removed. ``marker``/``tag``: what
    marks an earlier folder output of the same kind (see :func:`check_output`); a folder the
    caller gave its own :data:`FOLDER_MARKER` keeps it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    tmp = temporary_name(target, suffix)
    with sigterm_unwinds():
        try:
            yield tmp
            if tmp.is_dir():
                check_output(target, "dir", marker=marker, tag=tag)
                if not (tmp / FOLDER_MARKER).exists() and not (marker and (tmp / marker).exists()):
                    (tmp / FOLDER_MARKER).write_text(json.dumps({"written_by": "empathykit"}) + "\n",
                                                     encoding="utf-8")
                _swap_folder(tmp, target)
            else:
                if target.is_dir() and not target.is_symlink():
                    check_output(target, "file")  # raises: never remove a folder for a file
                os.replace(tmp, target)
        except BaseException:
            _remove(tmp)
            raise


def _swap_folder(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        return
    old = temporary_name(target, ".old")
    target.rename(old)
    tmp.rename(target)
    _remove(old)


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """``open()`` a temporary file that replaces ``target`` when closed cleanly."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(target) as tmp:
        with open(tmp, mode, **kwargs) as handle:
            yield handle


def write_json(target: str | os.PathLike, obj: Any) -> Path:
    with atomic_open(target) as handle:
        json.dump(obj, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")
    return Path(target)


def write_parquet(target: str | os.PathLike, table: Any) -> Path:
    """Write a ``pyarrow.Table`` or ``pandas.DataFrame`` atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    return Path(target)


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
        raise OutputError(f"{label} {target}: one run per output needs advisory file locks, which this system "
                          "lacks", hint="run empathykit on Linux or macOS (or WSL)")
    while True:
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _holder(handle.read())
            handle.close()
            raise OutputError(f"{label} {target} is being written by another run ({holder})",
                              hint="wait for that run to finish, or stop it; a run that was killed lets go by itself")
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


def read_json_document(path: str | Path, what: str, required_key: str, hint: str,
                       error: type[EmpathykitError]) -> dict[str, Any]:
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
