"""`empathykit annotate ...` and `empathykit studio ...` through the CLI."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.schemas import get_schema
from empathykit.studio import ports, server

runner = CliRunner()
SEEK = get_schema("seek-provide")


def run(*args):
    result = runner.invoke(app, list(args))
    # stdout and stderr as a terminal shows them, with rich's line wrapping undone
    return result, " ".join(result.output.split())


@pytest.mark.studio
def test_push_status_pull_users(studio_env, tmp_path):
    studio = studio_env
    title = studio.project_title("cli")
    source = tmp_path / "items.csv"
    pd.DataFrame({"id": ["007", "008", "009"], "text": ["I am so scared", "You are not alone", "News"]}).to_csv(
        source, index=False
    )
    result, text = run(
        "annotate",
        "push",
        "--input",
        str(source),
        "--schema",
        "seek-provide",
        "--project",
        title,
        "--round-size",
        "2",
        "--overlap",
        "2",
    )
    assert result.exit_code == 0, text
    assert "3 tasks imported" in text and "rounds 1-2" in text and "2 annotators per task" in text
    result, text = run("annotate", "push", "-i", str(source), "-s", "seek-provide", "-p", title)
    assert result.exit_code == 0 and "0 tasks imported" in text and "3 already there" in text

    passwords = tmp_path / "pw.csv"
    emails = [f"cli{i}.{studio.project_title('u').split()[-1]}@example.org" for i in range(2)]
    result, text = run(
        "annotate",
        "users",
        "--emails",
        ",".join(emails),
        "--password",
        "Sup3r-secret-pw",
        "--passwords-out",
        str(passwords),
    )
    assert result.exit_code == 0, text
    assert "Sup3r-secret-pw" not in text and "created" in text and emails[0] in text
    assert stat.S_IMODE(os.stat(passwords).st_mode) == 0o600
    assert "Sup3r-secret-pw" in passwords.read_text()
    result, text = run("annotate", "users", "--emails", emails[0], "--passwords-out", str(passwords))
    assert result.exit_code == 0 and "exists" in text

    from empathykit.annotate.users import AnnotatorAccount, accounts

    tasks = studio.tasks(_project_id(studio, title))
    session = accounts.login(studio.url, emails[0], "Sup3r-secret-pw")
    token = accounts.personal_token(session)
    annotator = AnnotatorAccount(emails[0], accounts.whoami(session)["id"], "created", api_key=token)
    studio.submit(tasks[0]["id"], SEEK.to_results({"empathy": "seeking"}), annotator, lead_time=7)

    result, text = run("annotate", "status", "--project", title)
    assert result.exit_code == 0, text
    assert "0/3 tasks done" in text and emails[0] in text and "round 2" in text

    out = tmp_path / "pulled.parquet"
    result, text = run("annotate", "pull", "--project", title, "--out", str(out))
    assert result.exit_code == 0, text
    frame = pd.read_parquet(out)
    assert list(frame["item_id"]) == ["007"] and list(frame["lead_time"]) == [7.0]
    assert "1 annotations" in text


def _project_id(studio, title):
    return next(p.id for p in studio.client().projects.list() if p.title == title)


def test_unreachable_server_is_one_red_line(monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{ports.free_port()}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "tok-xyz")
    source = tmp_path / "i.jsonl"
    source.write_text('{"id": 1, "text": "hello"}\n')
    result, text = run("annotate", "push", "-i", str(source), "-s", "seek-provide", "-p", "x")
    assert result.exit_code == 1
    assert url in text and "empathykit studio start" in text and "tok-xyz" not in text
    assert "Traceback" not in text


def test_missing_field_is_named_before_connecting(monkeypatch, tmp_path):
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{ports.free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "tok")
    source = tmp_path / "i.jsonl"
    source.write_text('{"id": "a", "text": "hello"}\n{"id": "b"}\n')
    result, text = run("annotate", "push", "-i", str(source), "-s", "seek-provide", "-p", "x")
    assert result.exit_code == 1 and "item 'b'" in text and "'text'" in text


def test_malformed_jsonl_names_the_line(tmp_path):
    source = tmp_path / "i.jsonl"
    source.write_text('{"id": "a", "text": "hello"}\n{oops\n')
    result, text = run("annotate", "push", "-i", str(source), "-s", "seek-provide", "-p", "x")
    assert result.exit_code == 1 and "line 2" in text


def test_bad_schema_option_is_explained(tmp_path):
    source = tmp_path / "i.jsonl"
    source.write_text('{"id": "a", "text": "hello"}\n')
    result, text = run("annotate", "push", "-i", str(source), "-s", "emotion", "-p", "x", "-O", "labels")
    assert result.exit_code == 1 and "KEY=VALUE" in text


def test_studio_status_without_a_server(monkeypatch, tmp_path):
    monkeypatch.setenv("EMPATHYKIT_DIR", str(tmp_path / ".empathykit"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    result, text = run("studio", "status")
    assert result.exit_code == 0 and "never started" in text
    result, text = run("studio", "stop")
    assert result.exit_code == 0 and "no local Label Studio was running" in text


@pytest.mark.slow
@pytest.mark.studio
def test_studio_start_status_stop(monkeypatch, tmp_path):
    monkeypatch.setenv("EMPATHYKIT_DIR", str(tmp_path / ".empathykit"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    port = ports.free_port()
    try:
        result, text = run("studio", "start", "--port", str(port))
        assert result.exit_code == 0, text
        assert f"http://127.0.0.1:{port}" in text
        state = server.ServerState.load(server.connection_file())
        assert state.api_key not in text and state.admin_password not in text
        result, text = run("studio", "status")
        assert "running" in text and str(state.pid) in text
        result, text = run("studio", "start")  # already running: same server
        assert result.exit_code == 0 and f"pid {state.pid}" in text
    finally:
        result, text = run("studio", "stop")
    assert result.exit_code == 0 and "stopped" in text
    assert not server.pid_alive(state.pid)
    result, text = run("studio", "status")
    assert "stopped" in text
