"""Label Studio on PostgreSQL (issue 20, points 6 and 8).

``studio start --database postgres`` runs the server on a private cluster in
the studio folder, made from a migrated template database, so a fresh server
answers in seconds; ``studio stop`` ends the server and its cluster and
nothing else. The concurrent-push guard and the push -> pull -> agreement ->
export round trip run here exactly as on SQLite. Skips, saying why, only
where PostgreSQL's server programs are not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.studio import local, postgres, server
from tests import test_end_to_end as end_to_end
from tests import test_push_concurrent as concurrent
from tests.conftest import postgres_folder, start_studio

pytestmark = [pytest.mark.studio, pytest.mark.slow]


def test_the_server_runs_on_its_own_postgres_cluster_and_status_says_so(studio_pg, monkeypatch):
    state = server.ServerState.load(server.connection_file(studio_pg.state_dir))
    assert state.database == "postgres"
    cluster = postgres.Cluster.from_record(state.postgres)
    assert cluster.data.is_relative_to(studio_pg.state_dir) and cluster.postmaster_pid()
    assert cluster.has_database(postgres.DATABASE)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    result = CliRunner().invoke(app, ["studio", "status", "--studio-dir", str(studio_pg.state_dir)])
    assert result.exit_code == 0, result.output
    assert f"database: PostgreSQL (cluster {cluster.data}" in result.stdout


def test_parallel_pushes_on_postgres_import_each_item_once(studio_pg):
    concurrent.test_parallel_pushes_of_overlapping_inputs_make_one_project_with_each_item_once(studio_pg)


def test_push_pull_agreement_export_round_trip_on_postgres(studio_pg, project_dir, tmp_path, monkeypatch):
    for key, value in studio_pg.env().items():
        monkeypatch.setenv(key, value)
    end_to_end.test_cli_path_push_pull_agreement_export(studio_pg, project_dir, tmp_path)


def test_a_fresh_postgres_studio_answers_in_seconds_and_stop_ends_only_its_processes(studio_pg):
    folder = postgres_folder()  # the session's server built the template database already
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        began = time.monotonic()
        handle = start_studio(folder / "studio", database="postgres", record=False)
        took = time.monotonic() - began
        state = server.ServerState.load(server.connection_file(handle.state_dir))
        cluster = postgres.Cluster.from_record(state.postgres)
        postmaster = cluster.postmaster_pid()
        assert postmaster and local.is_running(state) and server.healthy(handle.url)
        assert took < 45, f"a fresh PostgreSQL-backed server took {took:.0f} s"
        assert server.stop(state_dir=handle.state_dir) is not None
        assert not local.pid_alive(state.pid) and not local.pid_alive(postmaster)
        assert bystander.poll() is None
        assert studio_pg.client().projects.list(page_size=1) is not None  # the session's cluster still serves
        again = server.start(state_dir=handle.state_dir, record=False)  # restart keeps the database
        assert again.database == "postgres" and server.stop(state_dir=handle.state_dir) is not None
    finally:
        server.stop(state_dir=folder / "studio")
        bystander.kill()
        bystander.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_studio_folder_keeps_its_database(studio_pg):
    with pytest.raises(server.StudioError, match="holds a Label Studio on postgres"):
        server.start(state_dir=studio_pg.state_dir, database="sqlite", record=False)
