"""The embedded local Label Studio: its own virtual environment, one server
process per studio folder (``project_dir()/studio/`` unless chosen, see
``local.py``), on SQLite or on a private PostgreSQL cluster (``postgres.py``).

``label-studio`` pins many packages, so it lives in a separate venv
(``$EMPATHYKIT_LABEL_STUDIO_VENV`` or ``cache_dir()/label-studio-venv``),
created on first use with the pinned ``LABEL_STUDIO_REQUIREMENT``
(``installation.py``).

Startup facts (Label Studio 1.23), which is why this module looks as it does:

- Every ``label-studio`` command, even ``label-studio --version``, first runs
  the ~200 Django migrations of its SQLite database (30-60 s on two cores) and,
  unless ``LATEST_VERSION_CHECK=false``, asks PyPI for the latest release
  (10 s timeout). That is the "hang" of a first ``--version``. We migrate one
  empty template database per Label Studio version in ``cache_dir()`` and copy
  it into each new data folder: a fresh server answers ``/health`` in ~5 s.
- Offline-safe environment: ``LATEST_VERSION_CHECK=false`` (no PyPI call),
  ``COLLECT_ANALYTICS=false`` (no front-end telemetry); feature flags are
  offline by default and Sentry has no DSN.
- ``SECRET_KEY`` is random per start unless given; it signs sessions and the
  JWT personal access tokens, so we keep one per data folder (``secret_key``,
  0600) and tokens survive restarts.
- Tokens: new organizations have legacy tokens disabled and personal access
  tokens (JWT refresh tokens) enabled. The SDK takes either as ``api_key``
  (it exchanges a PAT for short-lived access tokens itself). A PAT can only be
  created by the logged-in user, so after the first start we log the admin in
  (credentials passed through ``LABEL_STUDIO_USERNAME``/``LABEL_STUDIO_PASSWORD``,
  never on the command line) and create theirs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import httpx

from empathykit.errors import StudioError
from empathykit.io import atomic_path
from empathykit.progress import Progress, report
from empathykit.studio import accounts, local, postgres
from empathykit.studio.installation import bin_path, ensure_venv, label_studio_version, migrate, server_env, template_db
from empathykit.studio.local import ServerState, connection_file, pid_alive, studio_dir, write_private
from empathykit.studio.ports import free_port, port_is_free

ADMIN_EMAIL = "admin@empathykit.local"
DEFAULT_PORT = 8080
START_TIMEOUT = 300.0


def install(
    venv: Path | None = None, *, database: str | None = None, on_progress: Progress | None = None
) -> tuple[Path, str]:
    """Install Label Studio and migrate its template database (SQLite, and the
    PostgreSQL one with ``database="postgres"``) now, so that the first
    ``start`` takes seconds. Returns the venv and the version."""
    venv = ensure_venv(venv, on_progress=on_progress)
    version = label_studio_version(venv)
    template_db(venv, version, on_progress)
    if database == "postgres":
        postgres.template_cluster(postgres.find_bin(), version, lambda env, work: migrate(venv, work, env), on_progress)
    elif database not in (None, "sqlite"):
        raise StudioError(f"unknown database {database!r}", hint=f"choose one of: {', '.join(DATABASES)}")
    return venv, version


# -- ports and processes ------------------------------------------------------
def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


# -- start / stop / status ------------------------------------------------------
DATABASES = ("sqlite", "postgres")


def start(
    port: int | None = None,
    *,
    state_dir: Path | None = None,
    venv: Path | None = None,
    host: str = "127.0.0.1",
    timeout: float = START_TIMEOUT,
    database: str | None = None,
    record: bool = True,
    on_progress: Progress | None = None,
) -> ServerState:
    """Start (or find running) the local Label Studio of ``state_dir``.

    Installs the venv if needed, prepares the database (``"sqlite"``, the
    default, or ``"postgres"``: a private cluster, see ``postgres.py``; a
    studio folder keeps the one it was created with), starts ``label-studio``
    detached on ``host`` (``port``, or the first free port from 8080), waits
    for ``/health``, creates the admin account and its personal access token
    on first start, and records everything in ``connection.json`` (0600) and,
    with ``record``, the folder in the per-user list of running servers."""
    state_dir = (state_dir or studio_dir()).resolve()
    conn_path = connection_file(state_dir)
    state = ServerState.load(conn_path)
    chosen = _database_of(state_dir, state, database)
    if local.is_running(state):
        # running (or still starting, from another `start`): wait for it, never start a second one
        _wait_healthy(state.url, state.pid, Path(state.log), timeout)
        state = _ensure_token(state, conn_path, on_progress)
        if record:
            local.record(state_dir, state)
        return state

    venv = ensure_venv(venv, on_progress=on_progress)
    version = label_studio_version(venv)
    data_dir = state_dir / "data"
    database_env, cluster = _prepare_database(state_dir, data_dir, chosen, venv, version, on_progress)
    secret_key = _secret_key(state_dir)
    admin_password = state.admin_password if state else accounts.generate_password()
    admin_email = state.admin_email if state else ADMIN_EMAIL
    port = _pick_port(port, host, state.port if state else DEFAULT_PORT)
    url = f"http://{host}:{port}"
    log = state_dir / "server.log"
    env = server_env(
        data_dir,
        secret_key,
        {"LABEL_STUDIO_USERNAME": admin_email, "LABEL_STUDIO_PASSWORD": admin_password, **database_env},
    )
    report(on_progress, f"starting Label Studio {version} at {url}")
    process = _launch(venv, host, port, data_dir, env, log)
    new_state = ServerState(
        url=url,
        api_key=state.api_key if state else "",
        admin_email=admin_email,
        admin_password=admin_password,
        port=port,
        pid=process.pid,
        data_dir=str(data_dir),
        log=str(log),
        venv=str(venv),
        label_studio_version=version,
        started_at=time.time(),
        database=chosen,
        postgres=cluster.record() if cluster else None,
    )
    new_state.save(conn_path)  # the PID first, so that `stop` can end a server that never got healthy

    try:
        _wait_healthy(url, process.pid, log, timeout, child=process)
    except StudioError:
        _terminate(process.pid)
        if cluster:
            cluster.stop()
        raise

    new_state = _ensure_token(new_state, conn_path, on_progress)
    if record:
        local.record(state_dir, new_state)
    return new_state


def _secret_key(state_dir: Path) -> str:
    """The folder's Django secret key, made on first start and kept, so sessions survive a restart."""
    secret_file = state_dir / "secret_key"
    if not secret_file.exists():
        write_private(secret_file, secrets.token_urlsafe(48))
    return secret_file.read_text().strip()


def _pick_port(port: int | None, host: str, preferred: int) -> int:
    if port is None:
        return free_port(preferred, host)
    if not port_is_free(port, host):
        raise StudioError(f"port {port} on {host} is in use", hint="pass another --port, or omit it to take a free one")
    return port


def _launch(venv: Path, host: str, port: int, data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``label-studio start``, detached (its own session), logging to ``log``."""
    with open(log, "ab") as log_handle:
        return subprocess.Popen(
            [
                str(bin_path(venv, "label-studio")),
                "start",
                "--no-browser",
                "--internal-host",
                host,
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--skip-long-migrations",
            ],
            env=env,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=log.parent,
        )


def _database_of(state_dir: Path, state: ServerState | None, asked: str | None) -> str:
    """The studio folder's database: the one it holds, else ``asked`` (default SQLite)."""
    if asked is not None and asked not in DATABASES:
        raise StudioError(f"unknown database {asked!r}", hint=f"choose one of: {', '.join(DATABASES)}")
    holds = state.database if state else None
    if holds is None and (state_dir / "postgres" / "data").exists():
        holds = "postgres"
    if holds is None and (state_dir / "data" / "label_studio.sqlite3").exists():
        holds = "sqlite"
    if holds and asked and asked != holds:
        raise StudioError(
            f"the studio folder {state_dir} holds a Label Studio on {holds}, not {asked}",
            hint=f"start it without --database, or give another --studio-dir for a new {asked} one",
        )
    return holds or asked or "sqlite"


def _prepare_database(
    state_dir: Path, data_dir: Path, database: str, venv: Path, version: str, on_progress: Progress | None
) -> tuple[dict[str, str], postgres.Cluster | None]:
    """Label Studio's database settings, and the PostgreSQL cluster when there is one (started)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if database == "postgres":
        cluster = postgres.prepare(state_dir, version, lambda env, work: migrate(venv, work, env), on_progress)
        return cluster.django_env(), cluster
    db = data_dir / "label_studio.sqlite3"
    data_dir.chmod(0o700)  # before the copy: the new database is never readable by others, even for a moment
    if not db.exists():
        template = template_db(venv, version, on_progress)
        with atomic_path(db) as tmp:
            shutil.copyfile(template, tmp)
    local.private_sqlite(data_dir)  # on every start: studios made before this rule are tightened too
    return {}, None


def _ensure_token(state: ServerState, conn_path: Path, on_progress: Progress | None) -> ServerState:
    """Create the admin's personal access token unless the recorded one works."""
    if state.api_key and _token_works(state.url, state.api_key):
        return state
    report(on_progress, "creating the admin's personal access token")
    session = accounts.login(state.url, state.admin_email, state.admin_password)
    try:
        state.api_key = accounts.personal_token(session)
    finally:
        session.close()
    state.save(conn_path)
    return state


def _wait_healthy(url: str, pid: int, log: Path, timeout: float, child: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        exited = child.poll() is not None if child is not None else not pid_alive(pid)
        if exited:
            code = f" (code {child.returncode})" if child is not None else ""
            raise StudioError(
                f"Label Studio exited{code} before answering at {url}: {local.log_tail(log)}", hint=f"see {log}"
            )
        if time.monotonic() > deadline:
            raise StudioError(f"Label Studio did not answer {url}/health within {timeout:.0f} s", hint=f"see {log}")
        time.sleep(0.25)


def _token_works(url: str, api_key: str) -> bool:
    try:
        refreshed = httpx.post(f"{url}/api/token/refresh/", json={"refresh": api_key}, timeout=10)
    except httpx.HTTPError:
        return False
    return refreshed.status_code == 200


def _terminate(pid: int, grace: float = 15.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while pid_alive(pid) and time.monotonic() < deadline:
        try:  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(*, state_dir: Path | None = None) -> ServerState | None:
    """End the server this state folder started, and its PostgreSQL cluster;
    returns its state, or ``None`` when none was running. Never touches any
    other process."""
    state_dir = (state_dir or local.locate().studio_dir).resolve()
    conn_path = connection_file(state_dir)
    state = ServerState.load(conn_path)
    local.forget(state_dir)
    if state is None:
        return None
    stopped = ServerState(**asdict(state)) if local.is_running(state) else None
    if stopped:
        _terminate(state.pid)
    if state.postgres and postgres.Cluster.from_record(state.postgres).stop() and stopped is None:
        stopped = ServerState(**asdict(state))  # Label Studio had died; its cluster still ran
    if state.pid is not None:
        state.pid = None
        state.save(conn_path)
    return stopped


def status(*, state_dir: Path | None = None) -> dict:
    """Where things run: the local server (if any), its database, every other local server running
    (URL, folder, database) and the connection in use."""
    located = local.locate(state_dir, choose=False)
    state = ServerState.load(connection_file(located.studio_dir))
    running = local.is_running(state)
    elsewhere = located.elsewhere or local.running_servers(located.studio_dir)
    return {
        "state_dir": str(located.studio_dir),
        "found": located.how,
        "elsewhere": [
            {"studio_dir": str(folder), "url": s.url, "database_label": s.database_label()} for folder, s in elsewhere
        ],
        "local": None
        if state is None
        else {
            "url": state.url,
            "running": running,
            "healthy": running and healthy(state.url),
            "pid": state.pid if running else None,
            "admin_email": state.admin_email,
            "data_dir": state.data_dir,
            "log": state.log,
            "venv": state.venv,
            "label_studio_version": state.label_studio_version,
            "database": state.database,
            "database_label": state.database_label(),
            "connection_file": str(connection_file(located.studio_dir)),
        },
        "remote_url": os.environ.get("LABEL_STUDIO_URL"),
    }
