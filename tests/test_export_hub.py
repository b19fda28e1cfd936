"""`--push-to-hub`: everything up to the network call (only HfApi's network methods are replaced)."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app

TOKEN = "hf_secretTOKEN0123456789abcdef"


@pytest.fixture
def hub(monkeypatch):
    """Record what create_repo/upload_folder receive (and the token HfApi was built with)."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoUrl

    calls: list = []

    def create_repo(self, repo_id, **kwargs):
        calls.append(("create_repo", self.token, repo_id, kwargs))
        return RepoUrl(f"https://huggingface.co/datasets/{repo_id}")

    def upload_folder(self, **kwargs):
        from pathlib import Path

        files = sorted(
            str(p.relative_to(kwargs["folder_path"])) for p in Path(kwargs["folder_path"]).rglob("*") if p.is_file()
        )
        calls.append(("upload_folder", self.token, kwargs, files))

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    return calls


def test_push_creates_a_dataset_repo_and_uploads_the_folder_token_never_shown(
    annotated, tmp_path, hub, monkeypatch, caplog
):
    annotations, _ = annotated
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app, ["export", str(annotations), "-o", str(tmp_path / "out"), "--push-to-hub", "me/empathy", "--private"]
    )
    assert result.exit_code == 0, result.output
    (_, token, repo, kwargs), (_, token2, upload, files) = hub
    assert token == token2 == TOKEN and repo == "me/empathy"
    assert kwargs == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert upload["repo_id"] == "me/empathy" and upload["repo_type"] == "dataset"
    assert upload["folder_path"] == str(tmp_path / "out")
    assert "README.md" in files and "export.json" in files and "seek-provide/train.parquet" in files
    assert "datasets/me/empathy" in result.output and "(private)" in result.output
    assert TOKEN not in result.output and TOKEN not in caplog.text
    assert all(TOKEN not in p.read_text(errors="ignore") for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_missing_token_is_one_line_before_any_output(annotated, tmp_path, hub, monkeypatch):
    annotations, _ = annotated
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = CliRunner().invoke(
        app, ["export", str(annotations), "-o", str(tmp_path / "out"), "--push-to-hub", "me/empathy"]
    )
    assert result.exit_code == 1 and "HF_TOKEN" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and hub == []
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    result = CliRunner().invoke(
        app, ["export", str(annotations), "-o", str(tmp_path / "out"), "--push-to-hub", "not a repo"]
    )
    assert result.exit_code == 1 and "OWNER/NAME" in result.output and not (tmp_path / "out").exists()


def test_a_hub_failure_is_one_line_with_the_token_scrubbed(annotated, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    def failing(self, repo_id, **kwargs):
        raise RuntimeError(f"401 Unauthorized for token {self.token}\nmore detail")

    monkeypatch.setattr(HfApi, "create_repo", failing)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    annotations, _ = annotated
    result = CliRunner().invoke(
        app, ["export", str(annotations), "-o", str(tmp_path / "out"), "--push-to-hub", "me/empathy"]
    )
    assert result.exit_code == 1 and "pushing to me/empathy failed: RuntimeError" in result.output
    assert TOKEN not in result.output and "Traceback" not in result.output
    assert (tmp_path / "out" / "export.json").exists()  # the export itself stays
