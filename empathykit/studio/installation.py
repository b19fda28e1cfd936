"""Label Studio's own virtual environment and its migrated template database.

``label-studio`` pins many packages, so it lives in a separate venv
(``$EMPATHYKIT_LABEL_STUDIO_VENV`` or ``cache_dir()/label-studio-venv``),
created on first use with the pinned ``LABEL_STUDIO_REQUIREMENT``. Every
``label-studio`` command first runs its Django migrations, so one empty,
migrated template database per version is kept in ``cache_dir()`` and copied
into each new data folder (see ``server.py`` for the startup facts).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from empathykit.config import cache_dir
from empathykit.errors import StudioError
from empathykit.io import atomic_path
from empathykit.progress import Progress, report

LABEL_STUDIO_REQUIREMENT = "label-studio==1.23.2"

OFFLINE_ENV = {
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "FEATURE_FLAGS_OFFLINE": "true",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LOG_LEVEL": "WARNING",
    # the local server calls `empathykit serve` (ML backend + its webhook) on this machine, which Label Studio's
    # SSRF guard blocks by default; link-local (cloud metadata) addresses stay blocked
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": "169.254.0.0/16,fe80::/10",
}


def venv_path() -> Path:
    override = os.environ.get("EMPATHYKIT_LABEL_STUDIO_VENV")
    return Path(override).resolve() if override else cache_dir() / "label-studio-venv"


def bin_path(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_venv(venv: Path | None = None, *, on_progress: Progress | None = None) -> Path:
    """The Label Studio venv, created and installed on first use (minutes)."""
    venv = venv or venv_path()
    if bin_path(venv, "label-studio").exists():
        return venv
    report(on_progress, f"installing {LABEL_STUDIO_REQUIREMENT} into {venv} (first run only, a few minutes)")
    try:
        if not bin_path(venv, "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [
                str(bin_path(venv, "python")),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                LABEL_STUDIO_REQUIREMENT,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or error.stdout or "").strip().splitlines()[-1:] or [""]
        raise StudioError(
            f"could not install {LABEL_STUDIO_REQUIREMENT} into {venv}: {tail[0]}",
            hint="check network access to PyPI, or point EMPATHYKIT_LABEL_STUDIO_VENV "
            "at a venv that has label-studio installed",
        ) from None
    return venv


def label_studio_version(venv: Path) -> str:
    python = bin_path(venv, "python")
    out = (
        subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
            capture_output=True,
            text=True,
        )
        if python.exists()
        else None
    )
    if out is None or out.returncode != 0:
        raise StudioError(
            f"{venv} has no working label-studio installation",
            hint=f"delete {venv} (it is re-created) or fix EMPATHYKIT_LABEL_STUDIO_VENV",
        )
    return out.stdout.strip()


def server_env(data_dir: Path, secret_key: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LABEL_STUDIO_", "HEARTEX_", "DJANGO_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(OFFLINE_ENV)
    env.update({"LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "SECRET_KEY": secret_key, **(extra or {})})
    return env


def migrate(venv: Path, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
    """Run Label Studio's migrations on an empty database (every command does; ``version`` is the cheapest)."""
    out = subprocess.run(
        [str(bin_path(venv, "label-studio")), "version", "--data-dir", str(data_dir)],
        env=server_env(data_dir, secrets.token_hex(32), extra_env),
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [""]
        raise StudioError(f"Label Studio could not initialise its database: {tail[0]}")


def template_db(venv: Path, version: str, on_progress: Progress | None) -> Path:
    """An empty, fully migrated SQLite database for this Label Studio version."""
    template = cache_dir() / "label-studio-templates" / f"label_studio-{version}.sqlite3"
    if template.exists():
        return template
    report(on_progress, "preparing the Label Studio database (first run only, about a minute)")
    work = template.parent / f".build-{os.getpid()}-{secrets.token_hex(4)}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        migrate(venv, work)
        db = work / "label_studio.sqlite3"
        if not db.exists():
            raise StudioError("Label Studio could not initialise its database: no label_studio.sqlite3 written")
        with atomic_path(template) as tmp:
            shutil.copyfile(db, tmp)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return template
