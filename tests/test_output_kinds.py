"""One output rule (issue 25 item 2, issue 26 item 1): a command replaces only an earlier output of its
own kind that empathykit wrote; anything else stops before any work, one line naming what is there,
and not a byte changes. Read-only folders and full disks are one line naming the path (issue 26 item 2)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.io import FOLDER_MARKER
from tests.loop_fixtures import seek_classifier
from tests.train_fixtures import make_export, tiny_model

runner = CliRunner()
EMPATHYKIT = Path(sys.executable).with_name("empathykit")
SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"


def _flat(output: str) -> str:
    return " ".join(output.split())


def _tree(path: Path) -> dict[str, str]:
    """Every file under ``path`` (hidden ones too), or ``path`` itself, by its SHA-256."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        p.relative_to(path).as_posix() if p != path else "": hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def _refused(result, *words: str) -> str:
    text = _flat(result.output)
    assert result.exit_code == 1, text
    assert "Traceback" not in result.output and "nothing was written" in text
    for word in words:
        assert word in text, text
    return text


@pytest.fixture
def model_copy(seek_classifier, tmp_path) -> Path:
    return Path(shutil.copytree(seek_classifier, tmp_path / "models" / "seek", symlinks=True))


def test_export_onto_a_model_folder_is_refused_and_an_earlier_export_replaced(annotated, model_copy, tmp_path):
    annotations, _ = annotated
    before = _tree(model_copy)
    result = runner.invoke(app, ["export", str(annotations), "-o", str(model_copy)])
    _refused(result, "empathykit's model folder", str(model_copy), "delete")
    assert _tree(model_copy) == before
    out = tmp_path / "export"
    for _ in range(2):
        result = runner.invoke(app, ["export", str(annotations), "-o", str(out), "--seed", "1"])
        assert result.exit_code == 0, result.output
    assert json.loads((out / FOLDER_MARKER).read_text())["output"] == "export"


def test_train_onto_an_export_folder_is_refused_and_an_earlier_model_replaced(tiny_model, model_copy, tmp_path):
    export = make_export(tmp_path / "export")
    before = _tree(export)
    args = [
        "--model",
        str(tiny_model),
        "--set",
        "max_steps=2",
        "--set",
        "batch_size=8",
        "--set",
        "eval_each_epoch=false",
    ]
    result = runner.invoke(app, ["train", str(export), "-o", str(export), *args])
    _refused(result, "empathykit's export folder", str(export))
    assert _tree(export) == before and not (tmp_path / ".export.train-run").exists()
    result = runner.invoke(app, ["train", str(export), "-o", str(model_copy), *args])
    assert result.exit_code == 0, result.output
    assert json.loads((model_copy / FOLDER_MARKER).read_text())["output"] == "model"
    assert str(tiny_model) in (model_copy / "config.yaml").read_text()  # this run's model, not the copied one


def test_predict_onto_a_users_parquet_is_refused_and_earlier_predictions_replaced(seek_classifier, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(json.dumps({"item_id": str(i), "text": t}) + "\n" for i, t in enumerate(["so sad", "fun"]))
    )
    mine = tmp_path / "my.parquet"
    pd.DataFrame({"id": [1, 2], "note": ["a month", "of work"]}).to_parquet(mine)
    before = _tree(mine)
    result = runner.invoke(app, ["predict", str(seek_classifier), str(items), "-o", str(mine)])
    _refused(result, "a file empathykit did not write", str(mine))
    assert _tree(mine) == before
    out = tmp_path / "predictions.parquet"
    for _ in range(2):
        result = runner.invoke(app, ["predict", str(seek_classifier), str(items), "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 2
    # another command's output is not predictions either
    posts = tmp_path / "posts.parquet"
    assert runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(posts)]).exit_code == 0
    result = runner.invoke(app, ["predict", str(seek_classifier), str(items), "-o", str(posts)])
    _refused(result, "empathykit's posts output")


def test_agreement_report_onto_a_model_folder_is_refused_and_an_earlier_report_replaced(
    annotated, model_copy, tmp_path
):
    annotations, _ = annotated
    before = _tree(model_copy)
    result = runner.invoke(app, ["agreement", "report", str(annotations), "-o", str(model_copy), "-b", "0"])
    _refused(result, "empathykit's model folder", str(model_copy))
    assert _tree(model_copy) == before
    out = tmp_path / "report"
    for _ in range(2):
        result = runner.invoke(app, ["agreement", "report", str(annotations), "-o", str(out), "-b", "0"])
        assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    result = runner.invoke(app, ["agreement", "compute", str(annotations), "-o", str(out / "report.md"), "-b", "0"])
    _refused(result, str(out / "report.md"))  # a file inside a report is not an agreement JSON


def test_passwords_out_onto_a_users_csv_is_refused_before_any_account(tmp_path, monkeypatch):
    # the check comes first: with no Label Studio listening, the refusal is what the user sees
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    mine = tmp_path / "mynotes.csv"
    mine.write_text("name,phone\nann,555-0100\n")
    result = runner.invoke(app, ["annotate", "users", "--emails", "a@example.org", "--passwords-out", str(mine)])
    text = _flat(result.output)
    assert result.exit_code == 1 and "not an earlier passwords file" in text and "no account was created" in text
    assert mine.read_text() == "name,phone\nann,555-0100\n"


@pytest.mark.studio
def test_passwords_reach_the_file_before_the_account_exists(studio_env, tmp_path, monkeypatch):
    from empathykit.annotate import users
    from empathykit.annotate.users import organization_users
    from empathykit.studio import accounts

    for key, value in studio_env.env().items():
        monkeypatch.setenv(key, value)
    unique = studio_env.project_title("pw").split()[-1]
    mine, emails = tmp_path / "mynotes.csv", [f"pw{i}.{unique}@example.org" for i in range(2)]
    mine.write_text("name,phone\nann,555-0100\n")
    result = runner.invoke(app, ["annotate", "users", "--emails", emails[0], "--passwords-out", str(mine)])
    assert result.exit_code == 1 and mine.read_text() == "name,phone\nann,555-0100\n"
    admin = studio_env.connection
    from empathykit.annotate.connection import connect

    assert emails[0] not in organization_users(connect(admin))
    # an earlier passwords file keeps its rows; the connection drops right after a sign-up: the account
    # exists, and so does its password, in the file
    passwords = tmp_path / "pw.csv"
    passwords.write_text("email,password\nold@example.org,kept-Secret-1\n")

    def dropped(session):
        raise ConnectionError("connection reset after the sign-up")

    monkeypatch.setattr(accounts, "whoami", dropped)
    with pytest.raises(ConnectionError):
        users.create_annotators(emails[1:], connection=admin, passwords_out=passwords)
    rows = dict(line.split(",") for line in passwords.read_text().splitlines()[1:])
    assert rows["old@example.org"] == "kept-Secret-1" and emails[1] in organization_users(connect(admin))
    assert oct(passwords.stat().st_mode & 0o777) == "0o600"
    monkeypatch.undo()
    session = accounts.login(studio_env.url, emails[1], rows[emails[1]])
    assert accounts.whoami(session)["email"].lower() == emails[1]


@pytest.mark.studio
def test_next_round_never_overwrites_an_earlier_rounds_record(studio_env, seek_classifier, tmp_path, monkeypatch):
    for key, value in studio_env.env().items():
        monkeypatch.setenv(key, value)
    title = studio_env.project_title("rounds")
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        "".join(
            json.dumps({"item_id": f"p{i}", "text": t}) + "\n"
            for i, t in enumerate(["so sad", "a fun day", "I cry", "we win", "lost it", "party"])
        )
    )
    args = [
        "annotate",
        "next-round",
        "-p",
        title,
        "-i",
        str(pool),
        "--model",
        str(seek_classifier),
        "-n",
        "2",
        "-o",
        str(tmp_path / "next.parquet"),
    ]
    assert runner.invoke(app, [*args, "--schema", "seek-provide"]).exit_code == 0
    before = _tree(tmp_path / "next.parquet"), _tree(tmp_path / "next.selection.json")
    result = runner.invoke(app, args)
    text = _flat(result.output)
    assert result.exit_code == 1 and "round 1" in text and "round 2" in text and "round-2.parquet" in text, text
    assert (_tree(tmp_path / "next.parquet"), _tree(tmp_path / "next.selection.json")) == before
    project = json.loads((tmp_path / "next.selection.json").read_text())["project_id"]
    assert len(studio_env.tasks(project)) == 2  # nothing pushed


# -- read-only folders and full disks -------------------------------------------------------------------
def _sandboxed(mount: str, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``empathykit ARGS`` in a user and mount namespace where ``folder`` is read-only (``ro``) or a
    8 KiB file system (``full``); skipped where the system allows neither."""
    how = (
        f'mount --bind -o ro "{folder}" "{folder}"' if mount == "ro" else f'mount -t tmpfs -o size=8k tmpfs "{folder}"'
    )
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", how], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces to mount {folder} {mount} here: {probe.stderr.strip()}")
    env = {**os.environ, "COLUMNS": "400", "TERM": "dumb"}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'{how} && exec "$@"', "sh", str(EMPATHYKIT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def _one_line(process: subprocess.CompletedProcess, folder: Path, *words: str) -> None:
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert process.returncode == 1, process.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert "Traceback" not in process.stderr and len(errors) == 1, process.stderr
    flat = _flat(process.stderr)
    assert str(folder) in flat, flat
    for word in words:
        assert word in flat, flat


@pytest.fixture
def readonly(tmp_path) -> Path:
    folder = tmp_path / "readonly"
    folder.mkdir()
    (folder / "keep.txt").write_text("kept")
    return folder


@pytest.mark.parametrize("family", ["predict", "export", "filter", "agreement report", "passwords-out", "train"])
def test_read_only_folder_is_one_line(family, annotated, seek_classifier, readonly, tmp_path, tiny_model):
    annotations, _ = annotated
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"item_id": "1", "text": "so sad"}) + "\n")
    args = {
        "predict": lambda: ["predict", str(seek_classifier), str(items), "-o", str(readonly / "p.parquet")],
        "export": lambda: ["export", str(annotations), "-o", str(readonly / "export")],
        "filter": lambda: ["filter", str(items), "-o", str(readonly / "f.parquet")],
        "agreement report": lambda: [
            "agreement",
            "report",
            str(annotations),
            "-o",
            str(readonly / "report"),
            "-b",
            "0",
        ],
        "passwords-out": lambda: [
            "annotate",
            "users",
            "--emails",
            "a@example.org",
            "--passwords-out",
            str(readonly / "pw.csv"),
        ],
        "train": lambda: [
            "train",
            str(make_export(tmp_path / "export")),
            "--model",
            str(tiny_model),
            "-o",
            str(readonly / "model"),
        ],
    }[family]()
    process = _sandboxed("ro", readonly, *args)
    _one_line(process, readonly, "Read-only file system")
    assert sorted(p.name for p in readonly.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("family", ["export", "predict"])
def test_a_full_disk_is_one_line_naming_the_output(family, annotated, seek_classifier, tmp_path):
    annotations, _ = annotated
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"item_id": str(i), "text": f"so sad {i} " * 40}) + "\n" for i in range(300)))
    small = tmp_path / "small"
    small.mkdir()
    args = {
        "export": ["export", str(annotations), "-o", str(small / "export")],
        "predict": ["predict", str(seek_classifier), str(items), "-o", str(small / "p.parquet")],
    }[family]
    process = _sandboxed("full", small, *args)
    _one_line(process, small, "No space left on device")
