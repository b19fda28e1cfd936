"""Where the local Label Studio runs, found from any working directory.

A studio folder (``project_dir()/studio`` unless chosen otherwise) holds one
local server's ``connection.json`` (0600: URL, admin login, API token, PID,
database). ``studio start`` also adds the folder to a per-user list of
running servers (``user_state_dir()/studios.json``; folders and URLs only,
never secrets), so that commands run from another folder find the server.

Which studio folder a command uses (:func:`locate`), first match wins:

1. ``--studio-dir DIR`` (``studio`` commands), then ``$EMPATHYKIT_STUDIO_DIR``;
2. this folder's own studio, when its server runs;
3. the one server the per-user list says is running (several: an error that
   lists them and asks for ``--studio-dir``);
4. this folder's own studio, stopped or never started.

A stopped own studio while another server runs is reported with the running
one's folder, never with a hint to start a second server.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from empathykit.config import project_dir, user_state_dir
from empathykit.errors import StudioError
from empathykit.io import atomic_path

STUDIO_DIR_VARIABLE = "EMPATHYKIT_STUDIO_DIR"


@dataclass
class ServerState:
    """What ``connection.json`` records about a local server (file mode 0600).

    ``database`` is ``"sqlite"`` or ``"postgres"``; for PostgreSQL,
    ``postgres`` holds the cluster's folder, socket folder and OS user."""

    url: str
    api_key: str = field(repr=False)
    admin_email: str
    admin_password: str = field(repr=False)
    port: int
    pid: int | None
    data_dir: str
    log: str
    venv: str
    label_studio_version: str
    started_at: float | None = None
    database: str = "sqlite"
    postgres: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: Path) -> ServerState | None:
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
        except (ValueError, TypeError) as error:
            raise StudioError(
                f"{path}: unreadable Label Studio connection file ({type(error).__name__})",
                hint=f"delete {path.parent} to start a fresh local Label Studio",
            ) from None

    def save(self, path: Path) -> None:
        write_private_json(path, asdict(self))

    def database_label(self) -> str:
        if self.database == "postgres" and self.postgres:
            return f"PostgreSQL (cluster {Path(self.postgres['home']) / 'data'}, database {self.postgres['database']})"
        return f"SQLite ({Path(self.data_dir) / 'label_studio.sqlite3'})"


def write_private(target: Path, text: str) -> None:
    """Atomic write of a file readable only by its owner (it holds secrets)."""
    with atomic_path(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)


def write_private_json(target: Path, obj: dict) -> None:
    write_private(target, json.dumps(obj, indent=2) + "\n")


#: the SQLite database and the files SQLite keeps beside it while it writes
SQLITE_FILES = (
    "label_studio.sqlite3",
    "label_studio.sqlite3-wal",
    "label_studio.sqlite3-shm",
    "label_studio.sqlite3-journal",
)


def private_sqlite(data_dir: Path) -> None:
    """The SQLite database holds the password hashes of the admin and every annotator: readable by
    its owner only (0600), in a folder only its owner can enter (0700). SQLite gives its journal
    files the database's mode. (A PostgreSQL cluster's folder is 0700 and owned by its server.)"""
    data_dir.chmod(0o700)
    for name in SQLITE_FILES:
        if (data_dir / name).exists():
            (data_dir / name).chmod(0o600)


def studio_dir() -> Path:
    """The studio folder ``start`` uses: ``$EMPATHYKIT_STUDIO_DIR``, else this folder's."""
    chosen = os.environ.get(STUDIO_DIR_VARIABLE)
    return Path(chosen).resolve() if chosen else project_dir() / "studio"


def connection_file(state_dir: Path | None = None) -> Path:
    return (state_dir or studio_dir()) / "connection.json"


# -- processes ----------------------------------------------------------------------
def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie is not alive
        try:
            return stat.read_text().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False
    return True


def is_our_process(pid: int, program: bytes, folder: str) -> bool:
    """True when ``pid`` runs ``program`` with ``folder`` among its arguments
    (where the OS lets us look; elsewhere the recorded PID is trusted)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return pid_alive(pid)
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    return any(program in a for a in args) and any(folder.encode() in a for a in args)


def is_running(state: ServerState | None) -> bool:
    """The recorded Label Studio process is alive and is the one started for this folder."""
    return bool(state and pid_alive(state.pid) and is_our_process(state.pid, b"label-studio", state.data_dir))


def log_tail(log: Path, lines: int = 3) -> str:
    """The last lines of a server log, joined on one line (for one-line errors)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


# -- the per-user list of running servers ----------------------------------------------
def registry_file() -> Path:
    return user_state_dir() / "studios.json"


def _read_registry() -> list[dict[str, Any]]:
    try:
        entries = json.loads(registry_file().read_text(encoding="utf-8")).get("servers", [])
    except (OSError, ValueError, AttributeError):
        return []  # a missing or damaged list only loses the look-up from other folders
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("studio_dir"), str)]


def _write_registry(entries: list[dict[str, Any]]) -> None:
    target = registry_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps({"servers": entries}, indent=2) + "\n", encoding="utf-8")


def running_servers(exclude: Path | None = None) -> list[tuple[Path, ServerState]]:
    """The listed studio folders whose server runs now (checked, not trusted)."""
    found = []
    for entry in _read_registry():
        folder = Path(entry["studio_dir"])
        if exclude is not None and folder == exclude:
            continue
        try:
            state = ServerState.load(connection_file(folder))
        except StudioError:
            continue
        if is_running(state):
            found.append((folder, state))
    return found


def record(state_dir: Path, state: ServerState) -> None:
    """List ``state_dir`` as running (and drop folders whose server is gone)."""
    keep = [{"studio_dir": str(folder), "url": s.url, "pid": s.pid} for folder, s in running_servers(state_dir)]
    keep.append({"studio_dir": str(state_dir), "url": state.url, "pid": state.pid, "recorded_at": time.time()})
    _write_registry(keep)


def forget(state_dir: Path) -> None:
    entries = _read_registry()
    if any(Path(e["studio_dir"]) == state_dir for e in entries):
        _write_registry([e for e in entries if Path(e["studio_dir"]) != state_dir])


@dataclass
class Located:
    """The studio folder a command uses, why, and the servers running elsewhere."""

    studio_dir: Path
    how: str
    elsewhere: list[tuple[Path, ServerState]] = field(default_factory=list)


def locate(explicit: Path | None = None, *, choose: bool = True) -> Located:
    """The studio folder to use (see the module docstring for the order). ``choose=False`` (a look,
    as ``studio status`` takes): several servers running is no error; this folder's is reported."""
    if explicit is not None:
        return Located(Path(explicit).resolve(), "--studio-dir")
    if os.environ.get(STUDIO_DIR_VARIABLE):
        return Located(studio_dir(), STUDIO_DIR_VARIABLE)
    own = project_dir() / "studio"
    own_state = ServerState.load(connection_file(own))
    if is_running(own_state):
        return Located(own, "this folder's")
    elsewhere = running_servers(own)
    if own_state is None and len(elsewhere) == 1:
        return Located(elsewhere[0][0], "running (found in the per-user list)")
    if own_state is None and len(elsewhere) > 1 and choose:
        listed = "; ".join(f"{s.url} ({folder})" for folder, s in elsewhere)
        raise StudioError(
            f"{len(elsewhere)} local Label Studio servers run: {listed}",
            hint=f"choose one: set {STUDIO_DIR_VARIABLE}=DIR (`studio` commands also take --studio-dir)",
        )
    return Located(own, "this folder's", elsewhere)


def running_instead(explicit: Path | None = None) -> tuple[Path, ServerState] | None:
    """The server running elsewhere that ``studio start`` offers instead of starting a second one: when
    no folder was chosen (``--studio-dir``, ``$EMPATHYKIT_STUDIO_DIR``), this folder has no studio of
    its own yet, and one other server runs (several: the first listed)."""
    if explicit is not None or os.environ.get(STUDIO_DIR_VARIABLE):
        return None
    own = project_dir() / "studio"
    if connection_file(own).exists():
        return None
    elsewhere = running_servers(own)
    return elsewhere[0] if elsewhere else None


def use_running_hint(folder: Path, url: str) -> str:
    return (
        f"a local Label Studio runs at {url} (studio folder {folder}): use it by setting {STUDIO_DIR_VARIABLE}={folder}"
    )


def api_example(url: str, conn_file: Path) -> str:
    """One shell line that lists the projects through the API with the recorded token.

    Label Studio 1.23's personal access token is a JWT refresh token: it is
    exchanged at ``/api/token/refresh/`` for a short-lived access token sent
    as ``Authorization: Bearer`` (sending it as ``Token`` is refused, 401).
    The line reads the token from the 0600 connection file, so it never shows it."""
    read_key = (
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"api_key\"])' "
        f"{shlex.quote(str(conn_file))})"
    )
    exchange = (
        f"$(curl -s -X POST {url}/api/token/refresh/ -H 'Content-Type: application/json' "
        f'-d "{{\\"refresh\\": \\"{read_key}\\"}}" '
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access\"])')"
    )
    return f'curl -s -H "Authorization: Bearer {exchange}" {url}/api/projects/'
