"""The main job on the embedded defaults: bundled sample tweets → filter →
a seek/provide project in a local Label Studio, ready for annotators."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from empathykit.annotate.connection import resolve_connection
from empathykit.annotate.push import push
from empathykit.pipelines.filtering import FilterConfig, run_filter
from empathykit.pipelines.readers import collect_files
from empathykit.progress import Progress, report
from empathykit.studio import server

SAMPLE_TWEETS = "tweets.jsonl"


def sample_tweets_path() -> Path:
    """The bundled sample tweets (X API v2 pages; synthetic, see sample_data/README.md)."""
    return Path(str(resources.files("empathykit.pipelines") / "sample_data" / SAMPLE_TWEETS))


@dataclass
class QuickstartReport:
    workdir: str
    posts: int
    kept: int
    stages: list[dict]
    project_id: int
    project_url: str
    tasks_created: int
    tasks_skipped: int
    server_url: str
    login_email: str | None
    connection_source: str


def run_quickstart(
    workdir: str | Path = "quickstart",
    *,
    project: str = "TwittEmp quickstart",
    topics: tuple[str, ...] = ("cancer",),
    round_size: int = 200,
    overlap: int = 3,
    port: int | None = None,
    on_progress: Progress | None = None,
) -> QuickstartReport:
    """Collect the sample tweets, filter them, push them for annotation.

    Uses the server named by ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY`` when
    set, otherwise starts (or reuses) the local one. Re-running imports nothing
    twice."""

    workdir = Path(workdir)
    login_email = None
    if not os.environ.get("LABEL_STUDIO_URL"):
        report(on_progress, "starting the local Label Studio (the first start installs it: a few minutes)")
        login_email = server.start(port=port, on_progress=on_progress).admin_email
    connection = resolve_connection()

    read = collect_files([sample_tweets_path()], workdir / "posts.parquet", on_progress=on_progress)
    filtered = run_filter(
        [workdir / "posts.parquet"],
        workdir / "filtered.parquet",
        config=FilterConfig(topics=tuple(topics)),
        on_progress=on_progress,
    )
    report(on_progress, "pushing tasks to Label Studio")
    pushed = push(
        filtered.output,
        schema="seek-provide",
        project=project,
        id_column="id",
        round_size=round_size,
        overlap=overlap,
        connection=connection,
        on_progress=on_progress,
    )
    return QuickstartReport(
        workdir=str(workdir),
        posts=read.posts,
        kept=filtered.counts["kept"],
        stages=filtered.counts["stages"],
        project_id=pushed.project_id,
        project_url=pushed.project_url,
        tasks_created=pushed.created,
        tasks_skipped=pushed.skipped,
        server_url=connection.url,
        login_email=login_email,
        connection_source=connection.source,
    )
