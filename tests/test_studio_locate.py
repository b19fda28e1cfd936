"""The local server is found from any folder (issue 19, point 4).

``studio start`` lists the server's studio folder per user, so that
``annotate``, ``agreement`` and ``studio status|stop`` run from another
working directory use it; ``--studio-dir``/``$EMPATHYKIT_STUDIO_DIR`` choose
one; ``studio status`` says how to call the API with a working ``curl`` line.
Against the session's real Label Studio.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.studio import server

pytestmark = pytest.mark.studio


@pytest.fixture
def elsewhere(studio, tmp_path, monkeypatch):
    """A fresh working folder with no studio of its own; the session server
    recorded (as `studio start` does) in this test's own per-user list."""
    for key in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    server.start(state_dir=studio.state_dir)  # already running: only waits and records it
    folder = tmp_path / "another-folder"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("EMPATHYKIT_DIR", str(folder / ".empathykit"))
    return folder


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result, " ".join(result.output.split())


def test_annotate_and_agreement_find_the_running_server_from_another_folder(studio, elsewhere, tmp_path):
    title = studio.project_title("found from anywhere")
    push(
        [{"item_id": "a", "text": "I feel so alone"}],
        schema="seek-provide",
        project=title,
        connection=studio.connection,
    )
    result, text = run("annotate", "status", "-p", title)
    assert result.exit_code == 0, text
    assert "0/1 tasks done" in text
    out = tmp_path / "pulled.parquet"
    result, text = run("annotate", "pull", "-p", title, "-o", str(out))
    assert result.exit_code == 0, text
    assert out.exists()


def test_studio_status_prints_url_login_database_and_a_working_api_call(studio, elsewhere):
    result = CliRunner().invoke(app, ["studio", "status"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line[:4] in ("url:", "logi", "data", "api:")
    }
    assert lines["url"] == studio.url
    assert studio.admin_email in lines["login"] and "connection.json" in lines["login"]
    assert lines["database"].startswith("SQLite")
    assert studio.api_key not in result.output and studio.state.admin_password not in result.output
    assert "/api/token/refresh/" in lines["api"] and "Bearer" in lines["api"]
    answer = subprocess.run(["bash", "-c", lines["api"]], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert "results" in json.loads(answer.stdout)


def test_a_stopped_own_studio_points_at_the_running_one_never_at_starting_another(studio, elsewhere):
    own = elsewhere / ".empathykit" / "studio"
    stopped = server.ServerState.load(server.connection_file(studio.state_dir))
    stopped.pid, stopped.url, stopped.data_dir = None, "http://127.0.0.1:9", str(own / "data")
    stopped.save(server.connection_file(own))
    result, text = run("annotate", "status", "-p", "anything")
    assert result.exit_code == 1
    assert studio.url in text and f"EMPATHYKIT_STUDIO_DIR={studio.state_dir}" in text.replace(" ", "")
    assert "studio start" not in text
    result, text = run("studio", "status")
    assert "stopped" in text and studio.url in text and "studio start" not in text


def test_studio_dir_variable_chooses_the_server(studio, tmp_path, monkeypatch):
    for key in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("EMPATHYKIT_DIR", str(tmp_path / ".empathykit"))  # nothing recorded, nothing here
    result, text = run("studio", "status")
    assert "never started" in text
    monkeypatch.setenv("EMPATHYKIT_STUDIO_DIR", str(studio.state_dir))
    result, text = run("studio", "status")
    assert result.exit_code == 0 and "running" in text and studio.url in text
    result, text = run("studio", "status", "--studio-dir", str(tmp_path / "none"))
    assert "never started" in text
