"""A private PostgreSQL cluster for the local Label Studio (``studio start --database postgres``).

Label Studio recommends PostgreSQL above ~100k tasks or 5 concurrent users.
The cluster is the system's PostgreSQL server programs (Debian's
``postgresql``; ``$EMPATHYKIT_PG_BIN`` names another folder holding
``pg_ctl``) run on data in the studio folder (``postgres/data``). It listens
on no TCP port, only on a Unix socket in a folder only its owner can enter,
so ``trust`` authentication reaches no one else and no password exists to
leak. PostgreSQL refuses to run as root: as root, the cluster runs as the
``postgres`` system account (created by the Debian package), which must be
able to enter the studio folder.

Fresh databases cost ~50 s of Label Studio migrations, so one migrated
cluster per PostgreSQL major and Label Studio version is kept in
``cache_dir()``: a new studio folder copies it and creates its database with
``CREATE DATABASE label_studio TEMPLATE label_studio_template`` (seconds).
Only the postmaster whose data folder is this studio's is ever stopped.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from empathykit.config import cache_dir
from empathykit.errors import StudioError
from empathykit.io import FOLDER_MARKER, atomic_path
from empathykit.progress import Progress, report
from empathykit.studio.local import is_our_process, log_tail, pid_alive

PG_BIN_VARIABLE = "EMPATHYKIT_PG_BIN"
DATABASE = "label_studio"
TEMPLATE = "label_studio_template"
SUPERUSER = "postgres"
PORT = 5432  # only names the socket file: the cluster listens on no TCP port
SOCKET_PATH_LIMIT = 100  # sun_path holds 107 bytes; ".s.PGSQL.5432" goes after the folder
STOP_GRACE = 10.0  # seconds a stopped postmaster may take to exit after pg_ctl returns
INSTALL_HINT = (
    f"install PostgreSQL's server programs (Debian/Ubuntu: `apt-get install postgresql`), or set "
    f"{PG_BIN_VARIABLE} to the folder holding pg_ctl"
)


def find_bin() -> Path:
    """The folder of ``initdb``/``pg_ctl``/``postgres``: ``$EMPATHYKIT_PG_BIN``, the
    ``PATH``, or Debian's ``/usr/lib/postgresql/<major>/bin`` (newest)."""
    chosen = os.environ.get(PG_BIN_VARIABLE)
    candidates = [Path(chosen)] if chosen else []
    on_path = shutil.which("pg_ctl")
    if on_path and not chosen:
        candidates.append(Path(on_path).resolve().parent)
    if not chosen:
        debian = Path("/usr/lib/postgresql")
        majors = (
            sorted(
                (p for p in debian.glob("*/bin") if p.parent.name.isdigit()),
                key=lambda p: int(p.parent.name),
                reverse=True,
            )
            if debian.is_dir()
            else []
        )
        candidates += majors
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres", "psql")):
            return folder
    where = f"{PG_BIN_VARIABLE}={chosen}" if chosen else "the PATH or /usr/lib/postgresql"
    raise StudioError(
        f"PostgreSQL's server programs (initdb, pg_ctl, postgres, psql) are not in {where}", hint=INSTALL_HINT
    )


def major_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True)
    words = out.stdout.split()
    if out.returncode != 0 or not words:
        raise StudioError(
            f"{bin_dir / 'postgres'} does not run: {(out.stderr or out.stdout).strip()[:200]}", hint=INSTALL_HINT
        )
    return words[-1].split(".")[0]


def server_account() -> str | None:
    """The OS account the cluster runs as: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise StudioError(
            "PostgreSQL refuses to run as root and there is no 'postgres' account to run it as",
            hint="run empathykit as a normal user, or install Debian's postgresql package (it creates the account)",
        ) from None
    return SUPERUSER


def _as_account(account: str | None) -> dict[str, Any]:
    if account is None:
        return {}
    entry = pwd.getpwnam(account)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _give_to(path: Path, account: str | None) -> None:
    if account is None:
        return
    entry = pwd.getpwnam(account)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _check_reachable(path: Path, account: str | None) -> None:
    """Fail early, in one line, when ``account`` cannot enter ``path``'s folders."""
    if account is None:
        return
    uid = pwd.getpwnam(account).pw_uid
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            return
        mode = folder.stat()
        if mode.st_uid != uid and not mode.st_mode & stat.S_IXOTH:
            raise StudioError(
                f"PostgreSQL cannot run as root, so it runs as the {account!r} account, which cannot enter {folder}",
                hint="choose a studio folder that account can reach (--studio-dir), or run empathykit as a normal user",
            )


@dataclass
class Cluster:
    """One PostgreSQL cluster: ``home`` holds ``data/`` and ``postgres.log``."""

    home: Path
    bin_dir: Path
    account: str | None
    socket_dir: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def record(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "bin": str(self.bin_dir),
            "account": self.account,
            "socket_dir": str(self.socket_dir),
            "database": DATABASE,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Cluster:
        return cls(Path(record["home"]), Path(record["bin"]), record.get("account"), Path(record["socket_dir"]))

    def django_env(self, database: str = DATABASE) -> dict[str, str]:
        """Label Studio's settings for this cluster (its ``DJANGO_DB=default`` is PostgreSQL)."""
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": database,
            "POSTGRE_USER": SUPERUSER,
            "POSTGRE_PASSWORD": "",
            "POSTGRE_HOST": str(self.socket_dir),
            "POSTGRE_PORT": str(PORT),
        }

    def _run(self, *args: str, timeout: float = 120) -> str:
        out = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            **_as_account(self.account),
        )
        if out.returncode != 0:
            tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [""]
            raise StudioError(f"PostgreSQL {args[0]} failed: {tail[0]}", hint=f"see {self.log}")
        return out.stdout

    def init(self) -> None:
        """``initdb`` into an empty ``data/``."""
        self.home.mkdir(parents=True, exist_ok=True)
        _give_to(self.home, self.account)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale")

    def postmaster_pid(self) -> int | None:
        """The PID of this cluster's running postmaster, checked against its data folder."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) and is_our_process(pid, b"postgres", str(self.data)) else None

    def start(self) -> None:
        if self.postmaster_pid():
            return
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.socket_dir, 0o700)
        _give_to(self.socket_dir, self.account)
        options = shlex.join(["-h", "", "-k", str(self.socket_dir), "-p", str(PORT)])
        process = subprocess.Popen(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "120",
                "-o",
                options,
                "start",
            ],
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            **_as_account(self.account),
        )
        output, _ = process.communicate(timeout=180)
        if process.returncode != 0:
            tail = log_tail(self.log, 2) or output.strip()
            raise StudioError(f"PostgreSQL did not start on {self.data}: {tail}", hint=f"see {self.log}")

    def stop(self) -> bool:
        """Stop this cluster's postmaster (fast shutdown); ``False`` when none ran."""
        pid = self.postmaster_pid()
        if not pid:
            return False
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        # pg_ctl returns once postmaster.pid is gone, which the postmaster removes just before it exits:
        # on a loaded machine the process can outlive that by a moment; stop means it is gone
        deadline = time.monotonic() + STOP_GRACE
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return True

    def sql(self, statement: str, database: str = "postgres") -> str:
        return self._run(
            "psql",
            "-h",
            str(self.socket_dir),
            "-p",
            str(PORT),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            statement,
        )

    def has_database(self, name: str) -> bool:
        return self.sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"


def socket_dir_for(home: Path) -> Path:
    """``home/run``, or a private folder under the system's temp folder when that
    path is too long for a Unix socket."""
    inside = home / "run"
    if len(str(inside)) + len("/.s.PGSQL.5432") <= SOCKET_PATH_LIMIT:
        return inside
    return Path(tempfile.mkdtemp(prefix="empathykit-pg-"))


Migrate = Callable[[dict[str, str], Path], None]


def template_cluster(bin_dir: Path, version: str, migrate: Migrate, on_progress: Progress | None) -> Path:
    """The cached data folder of a stopped cluster holding ``label_studio_template``
    migrated for Label Studio ``version`` (built once, ~1 minute)."""
    target = cache_dir() / "label-studio-templates" / f"postgres{major_version(bin_dir)}-label_studio-{version}"
    if (target / "PG_VERSION").exists():
        return target
    report(on_progress, "preparing the Label Studio PostgreSQL template (first run only, about a minute)")
    account = server_account()
    work = Path(tempfile.mkdtemp(prefix="empathykit-pg-template-"))
    os.chmod(work, 0o755)  # the server account must enter it when we are root
    cluster = Cluster(work / "postgres", bin_dir, account, work / "run")
    try:
        cluster.init()
        cluster.start()
        cluster.sql(f'CREATE DATABASE "{TEMPLATE}"')
        migrate(cluster.django_env(TEMPLATE), work / "label-studio")
        cluster.sql(f'ALTER DATABASE "{TEMPLATE}" IS_TEMPLATE true')
        cluster.stop()
        with atomic_path(target, output="postgres-template", label="PostgreSQL template") as staging:
            shutil.copytree(cluster.data, staging, symlinks=True)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return target


def prepare(state_dir: Path, version: str, migrate: Migrate, on_progress: Progress | None) -> Cluster:
    """The studio folder's cluster, created from the template on first use and
    started, with its ``label_studio`` database."""
    bin_dir = find_bin()
    account = server_account()
    home = state_dir / "postgres"
    _check_reachable(home, account)
    cluster = Cluster(home, bin_dir, account, socket_dir_for(home))
    if not (cluster.data / "PG_VERSION").exists():
        template = template_cluster(bin_dir, version, migrate, on_progress)
        home.mkdir(parents=True, exist_ok=True)
        # copied whole or not at all: a folder without PG_VERSION is never ours to delete
        with atomic_path(cluster.data, output="postgres-data", label="PostgreSQL data folder") as data:
            shutil.copytree(template, data, symlinks=True, ignore=shutil.ignore_patterns(FOLDER_MARKER))
            os.chmod(data, 0o700)
        _give_to(home, account)
    report(on_progress, "starting PostgreSQL")
    cluster.start()
    if not cluster.has_database(DATABASE):
        cluster.sql(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{TEMPLATE}"')
    return cluster
