"""Shared fixtures: one real Label Studio server for the whole test session.

The ``studio`` fixture (session scope) starts the ``label-studio`` package
from its own venv (``$EMPATHYKIT_LABEL_STUDIO_VENV``, else the default cache
venv, installed on first use) on a free loopback port with a throw-away data
folder, exactly as ``empathykit studio start`` does, and stops it at the end.
If the server cannot start, every test using it fails loudly (never skips).

What a test gets (``StudioHandle``)::

    def test_round_trip(studio, tmp_path):
        studio.url, studio.api_key          # admin connection (api_key: a personal access token)
        studio.connection                   # empathykit.annotate.connection.Connection for push/pull
        studio.client()                     # label_studio_sdk.LabelStudio as the admin
        a, b, c = studio.make_annotators(3) # fresh accounts: .id, .email, .api_key, .password
        report = push(..., connection=studio.connection)
        tasks = studio.tasks(report.project_id)          # [{"id", "data"}, ...] in import order
        studio.submit(tasks[0]["id"], schema.to_results({"empathy": "seeking"}), a, lead_time=4.2)
        studio.submit(task_id, [], b, was_cancelled=True)  # a skipped task
        studio.update(annotation_id, results, a)           # edit (bumps updated_at)

Every annotator account is new (unique e-mails per call), so tests sharing the
session server do not see each other's annotators; use a unique project title
per test (``studio.project_title("name")``). ``studio.env()`` gives the
``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY`` pair for CLI tests
(``monkeypatch.setenv``). Users: the schemas, agreement and end-to-end tests.

``studio_pg`` is the same on PostgreSQL (``studio start --database
postgres``); it skips, naming the reason, only where PostgreSQL's server
programs are missing. ``start_studio(folder)`` starts a throw-away server of
one's own (for tests that break a server on purpose).
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import pytest
from tables import make_votes, tidy_rows  # this folder is on sys.path (pytest puts a conftest's folder there)

from empathykit.annotate.connection import Connection
from empathykit.annotate.users import AnnotatorAccount, create_annotators
from empathykit.studio import installation, ports, server


class StudioHandle:
    """The session's Label Studio server and helpers to act on it."""

    def __init__(self, state: server.ServerState, state_dir: Path):
        self.state = state
        self.state_dir = state_dir
        self.url = state.url
        self.api_key = state.api_key
        self.admin_email = state.admin_email
        self.connection = Connection(state.url, state.api_key, "test session")
        self._counter = itertools.count(1)
        self._run = uuid.uuid4().hex[:8]
        self._clients: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"StudioHandle(url={self.url!r})"

    def env(self) -> dict[str, str]:
        return {"LABEL_STUDIO_URL": self.url, "LABEL_STUDIO_API_KEY": self.api_key}

    def client(self, account: AnnotatorAccount | None = None):
        """``label_studio_sdk.LabelStudio`` as the admin, or as ``account``."""
        from label_studio_sdk import LabelStudio

        key = account.api_key if account is not None else self.api_key
        if key not in self._clients:
            self._clients[key] = LabelStudio(base_url=self.url, api_key=key)
        return self._clients[key]

    def project_title(self, name: str) -> str:
        return f"{name} {self._run}-{next(self._counter)}"

    def make_annotators(self, n: int, *, prefix: str = "annotator") -> list[AnnotatorAccount]:
        """``n`` new annotator accounts, each with a password and an API key."""
        emails = [f"{prefix}{next(self._counter)}.{self._run}@example.org" for _ in range(n)]
        return create_annotators(emails, with_tokens=True, connection=self.connection)

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        """All tasks of a project, ``{"id", "data"}``, in id order."""
        client = self.client()
        found = client.tasks.list(project=project_id, fields="all", page_size=1000)
        rows = [{"id": t.id, "data": t.data} for t in found]
        return sorted(rows, key=lambda t: t["id"])

    def submit(
        self,
        task_id: int,
        results: Sequence[dict],
        annotator: AnnotatorAccount,
        *,
        lead_time: float = 5.0,
        was_cancelled: bool = False,
    ) -> dict[str, Any]:
        """Submit an annotation AS ``annotator`` through the API; returns it as a dict."""
        created = self.client(annotator).annotations.create(
            id=task_id, result=list(results), lead_time=lead_time, was_cancelled=was_cancelled
        )
        return created.model_dump()

    def update(
        self,
        annotation_id: int,
        results: Sequence[dict],
        annotator: AnnotatorAccount,
        *,
        lead_time: float | None = None,
    ) -> dict[str, Any]:
        kwargs = {"lead_time": lead_time} if lead_time is not None else {}
        updated = self.client(annotator).annotations.update(id=annotation_id, result=list(results), **kwargs)
        return updated.model_dump()


def start_studio(state_dir: Path, **options: Any) -> StudioHandle:
    """Start a real Label Studio in ``state_dir`` (``options`` go to ``server.start``);
    any failure fails the test loudly, with the server log's tail."""
    venv = installation.venv_path()
    try:
        state = server.start(port=ports.free_port(), state_dir=state_dir, venv=venv, **options)
    except Exception as error:
        log = state_dir / "server.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
        server.stop(state_dir=state_dir)
        pytest.fail(f"could not start Label Studio from {venv}: {error}\n--- server log ---\n{tail}", pytrace=False)
    return StudioHandle(state, state_dir)


@pytest.fixture(scope="session")
def studio(tmp_path_factory) -> StudioHandle:
    """A real Label Studio on SQLite for the whole session (see the module docstring)."""
    state_dir = tmp_path_factory.mktemp("studio")
    handle = start_studio(state_dir)
    yield handle
    server.stop(state_dir=state_dir)


def postgres_folder() -> Path:
    """A studio folder for a PostgreSQL-backed server, or a skip naming why there
    can be none. As root the cluster runs as the ``postgres`` account, which
    cannot enter pytest's 0700 temp folders, so this one is made enterable."""
    import tempfile

    from empathykit.errors import StudioError
    from empathykit.studio import postgres

    try:
        postgres.find_bin()
        postgres.server_account()
    except StudioError as error:
        pytest.skip(f"no PostgreSQL here ({error}); .ci/run installs it with apt-get")
    folder = Path(tempfile.mkdtemp(prefix="empathykit-tests-pg-"))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def studio_pg() -> StudioHandle:
    """The same as ``studio``, on a private PostgreSQL cluster (``studio start --database postgres``).
    Skips, saying why, only where PostgreSQL's server programs are not installed."""
    import shutil

    folder = postgres_folder()
    state_dir = folder / "studio"
    handle = start_studio(state_dir, database="postgres")
    yield handle
    server.stop(state_dir=state_dir)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def studio_env(studio, monkeypatch) -> StudioHandle:
    """``studio`` with LABEL_STUDIO_URL/API_KEY set for this test (CLI tests)."""
    for key, value in studio.env().items():
        monkeypatch.setenv(key, value)
    return studio


@pytest.fixture
def project_dir(tmp_path, monkeypatch) -> Path:
    """An isolated ``project_dir()`` (pull checkpoints, local state)."""
    path = tmp_path / ".empathykit"
    monkeypatch.setenv("EMPATHYKIT_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _own_server_list(tmp_path_factory, monkeypatch):
    """Each test sees an empty per-user list of running servers: a server one
    test records is never found (nor stopped) by another test's commands."""
    monkeypatch.setenv("EMPATHYKIT_STATE", str(tmp_path_factory.mktemp("user-state")))
    monkeypatch.delenv("EMPATHYKIT_STUDIO_DIR", raising=False)


def _session_folder(prefix: str) -> str:
    """A temporary folder removed when the test process ends (each run used to leave two in /tmp)."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, True)
    return folder


if os.environ.get("EMPATHYKIT_DIR") is None:
    # Keep state written by commands under test out of the working tree.
    os.environ["EMPATHYKIT_DIR"] = str(Path(_session_folder("empathykit-tests-")) / ".empathykit")
if os.environ.get("EMPATHYKIT_STATE") is None:
    # ... and the per-user list of running servers out of the user's own.
    os.environ["EMPATHYKIT_STATE"] = _session_folder("empathykit-tests-state-")


def pytest_configure(config):
    # label-studio-sdk 2.1 still calls pydantic's deprecated parse_obj on token refresh
    config.addinivalue_line("filterwarnings", "ignore:The `parse_obj` method is deprecated:DeprecationWarning")


# -- the data sets the tests read ------------------------------------------------------
SAMPLES = Path(__file__).parent / "data"  # small cuts of the public releases, each with its license


def whole_release(*parts: str) -> Path:
    """``$EMPATHYKIT_TEST_DATA/<parts>``: a whole public release (CI points the variable at
    ../shared/data), for facts only the whole release has (row counts, every rationale); the
    test is skipped when the variable is unset. The cuts under SAMPLES serve everything else."""
    root = os.environ.get("EMPATHYKIT_TEST_DATA")
    if not root:
        pytest.skip("needs a whole release: set EMPATHYKIT_TEST_DATA to the folder holding the data sets")
    path = Path(root, *parts)
    if not path.exists():  # the variable is set, so a missing release is a broken setup, not a skip
        pytest.fail(f"EMPATHYKIT_TEST_DATA={root} has no {Path(*parts)}", pytrace=False)
    return path


# -- pulled annotations the export tests share ----------------------------------------------
@pytest.fixture
def annotated(tmp_path):
    """A pulled seek-provide table (:func:`tables.make_votes` and two ties) with its items file."""
    votes = make_votes()
    votes["tie1"] = ["seeking", "providing", "none"]
    votes["tie2"] = ["seeking", "providing", None]
    annotations = tmp_path / "ann.parquet"
    tidy_rows(votes).to_parquet(annotations)
    items = pd.DataFrame({"item_id": sorted(votes), "text": [f"text of {k}" for k in sorted(votes)]})
    items.to_parquet(tmp_path / "ann.items.parquet")
    return annotations, votes
