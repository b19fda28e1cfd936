"""Local server management and connection resolution (library)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from empathykit.annotate.connection import Connection, connect, resolve_connection
from empathykit.errors import StudioError
from empathykit.studio import installation, ports, server


def _state(tmp_path, **changes):
    values = dict(
        url="http://127.0.0.1:9",
        api_key="secret-token-123",
        admin_email="admin@x.org",
        admin_password="pw-secret",
        port=9,
        pid=None,
        data_dir=str(tmp_path / "data"),
        log=str(tmp_path / "log"),
        venv="/nowhere",
        label_studio_version="1.23.2",
    )
    values.update(changes)
    return server.ServerState(**values)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.setenv("EMPATHYKIT_DIR", str(tmp_path / ".empathykit"))
    return tmp_path


def test_environment_wins_over_the_connection_file(clean_env, monkeypatch):
    _state(clean_env).save(server.connection_file())
    assert resolve_connection().url == "http://127.0.0.1:9"
    monkeypatch.setenv("LABEL_STUDIO_URL", "https://ls.example.org/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k")
    conn = resolve_connection()
    assert (conn.url, conn.source) == ("https://ls.example.org", "environment")
    assert "k" not in repr(conn).replace("ls.example.org", "")


def test_half_an_environment_is_an_error(clean_env, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", "https://ls.example.org")
    with pytest.raises(StudioError, match="LABEL_STUDIO_API_KEY is not set"):
        resolve_connection()


def test_no_server_configured_says_how_to_start_one(clean_env):
    with pytest.raises(StudioError, match="no Label Studio configured") as caught:
        resolve_connection()
    assert "empathykit studio start" in caught.value.hint and "LABEL_STUDIO_URL" in caught.value.hint


def test_connection_file_is_private_and_secrets_stay_out_of_repr(clean_env):
    state = _state(clean_env)
    path = server.connection_file()
    state.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "secret-token-123" not in repr(state) and "pw-secret" not in repr(state)
    assert server.ServerState.load(path) == state


def test_unreachable_server_names_url_and_remedy():
    url = f"http://127.0.0.1:{ports.free_port()}"
    with pytest.raises(StudioError) as caught:
        connect(Connection(url, "some-token"))
    assert url in str(caught.value) and "cannot reach" in str(caught.value)
    assert "empathykit studio start" in caught.value.hint
    assert "some-token" not in str(caught.value) + caught.value.hint


@pytest.mark.studio
def test_wrong_token_is_refused_without_showing_it(studio):
    with pytest.raises(StudioError, match="refused the API key") as caught:
        connect(Connection(studio.url, "wrong-token-abc123"))
    assert studio.url in str(caught.value)
    assert "wrong-token-abc123" not in str(caught.value) + (caught.value.hint or "")


@pytest.mark.studio
def test_studio_fixture_server_is_healthy_and_recorded(studio):
    assert server.healthy(studio.url)
    state = server.ServerState.load(server.connection_file(studio.state_dir))
    assert state.pid and server.pid_alive(state.pid) and state.url == studio.url
    info = server.status(state_dir=studio.state_dir)
    assert info["local"]["running"] and info["local"]["healthy"]


def test_stop_never_ends_a_process_it_did_not_start(clean_env):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _state(clean_env, pid=other.pid).save(server.connection_file())
        assert server.stop() is None
        assert other.poll() is None  # still running
        assert server.ServerState.load(server.connection_file()).pid is None
    finally:
        other.kill()
        other.wait()


def test_free_port_skips_taken_ports():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert not ports.port_is_free(taken)
        assert ports.free_port(taken) > taken


def test_missing_venv_is_reported(tmp_path):
    with pytest.raises(StudioError, match="no working label-studio"):
        installation.label_studio_version(tmp_path / "no-venv")
