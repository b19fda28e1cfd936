"""``--push-to-hub REPO``: publish an export folder as a Hugging Face dataset repository.

The token comes from ``HF_TOKEN`` only and never reaches a log, an output or an
exception message: errors from the Hub are re-raised as one line naming the
repository and the error type, the token scrubbed out of the text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from empathykit.errors import ExportError

_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class PushReport:
    repo: str
    url: str
    private: bool
    files: int


def hub_token() -> str:
    token = os.environ.get("HF_TOKEN", "").strip()
    if not token:
        raise ExportError(
            "--push-to-hub needs a Hugging Face token in HF_TOKEN",
            hint="export HF_TOKEN=<a write token from https://huggingface.co/settings/tokens>",
        )
    return token


def check_repo(repo: str) -> str:
    if not _REPO.match(repo or ""):
        raise ExportError(
            f"--push-to-hub {repo!r} is not a repository id", hint="use OWNER/NAME, e.g. me/twittemp-annotations"
        )
    return repo


def push_to_hub(
    folder: str | Path, repo: str, *, private: bool = False, message: str = "empathykit export"
) -> PushReport:
    """Create ``repo`` (a dataset repository, kept if it exists) and upload ``folder`` into it."""
    from huggingface_hub import HfApi

    folder = Path(folder)
    if not (folder / "export.json").is_file() or not (folder / "README.md").is_file():
        raise ExportError(
            f"{folder}: not an export folder (no export.json and README.md)",
            hint="push the folder `empathykit export -o` wrote",
        )
    check_repo(repo)
    token = hub_token()
    api = HfApi(token=token)
    try:
        created = api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(repo_id=repo, folder_path=str(folder), repo_type="dataset", commit_message=message)
    except Exception as exc:
        text = str(exc).replace(token, "***").splitlines()
        raise ExportError(
            f"pushing to {repo} failed: {type(exc).__name__}: {text[0] if text else ''}"[:300],
            hint="check HF_TOKEN has write access and the network is reachable; the export folder is intact",
        ) from None
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    return PushReport(repo=repo, url=str(getattr(created, "url", created)), private=private, files=files)
