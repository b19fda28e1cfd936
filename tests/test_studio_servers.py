"""Several local Label Studio servers: ``studio status`` lists every running one (URL, folder, database)
and exits 0; ``studio start`` in a new folder while one runs says so and uses it, ``--new`` starts a
second one. Against the session's real Label Studio and one more started here."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.studio import ports, server

pytestmark = pytest.mark.studio


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result, " ".join(result.output.split())


def move_to(folder, monkeypatch):
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("EMPATHYKIT_DIR", str(folder / ".empathykit"))
    return folder / ".empathykit" / "studio"


def test_start_offers_the_running_server_and_status_lists_every_one(studio, tmp_path, monkeypatch):
    for key in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    server.start(state_dir=studio.state_dir)  # already running: only recorded, as `studio start` does
    own = move_to(tmp_path / "second", monkeypatch)

    result, text = run("studio", "start")
    assert result.exit_code == 0, text
    assert f"already runs at {studio.url}" in text and str(studio.state_dir) in text and "--new" in text
    assert not own.exists()  # nothing started, nothing written

    try:
        result, text = run("studio", "start", "--new", "--port", str(ports.free_port()))
        assert result.exit_code == 0, text
        second = server.ServerState.load(server.connection_file(own))
        assert second.url != studio.url and server.healthy(second.url)

        result, text = run("studio", "status")
        assert result.exit_code == 0 and "other studio folder" in text, text
        info = server.status()
        assert (info["local"]["url"], info["local"]["running"]) == (second.url, True)
        assert info["elsewhere"] == [
            {"studio_dir": str(studio.state_dir), "url": studio.url, "database_label": studio.state.database_label()}
        ]

        move_to(tmp_path / "third", monkeypatch)  # no studio here, two running elsewhere
        result, text = run("studio", "status")
        assert result.exit_code == 0 and "2 local servers run" in text, text
        listed = {(other["url"], other["studio_dir"]) for other in server.status()["elsewhere"]}
        assert listed == {(studio.url, str(studio.state_dir)), (second.url, str(own))}
    finally:
        server.stop(state_dir=own)
