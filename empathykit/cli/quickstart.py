"""`empathykit quickstart`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def quickstart_command(
    workdir: Annotated[Path, typer.Option(help="Folder for the collected and filtered Parquet files.")] = Path(
        "quickstart"
    ),
    project: Annotated[
        str, typer.Option(help="Label Studio project title (reused when it exists).")
    ] = "TwittEmp quickstart",
    topic: Annotated[list[str] | None, typer.Option("--topic", "-t", help="Required topic term (repeatable).")] = None,
    overlap: Annotated[int, typer.Option(help="Annotators per task.")] = 3,
    port: Annotated[
        int | None, typer.Option(help="Port of the local Label Studio (default: 8080 or the next free one).")
    ] = None,
) -> None:
    """Run the whole path on the bundled sample tweets: collect, filter with the empathy lexicon, and push a seek/provide project to a local Label Studio (or the one LABEL_STUDIO_URL names)."""
    from empathykit.cli._common import err_console, print_table, progress
    from empathykit.quickstart import run_quickstart

    with progress("quickstart") as on_progress:
        report = run_quickstart(
            workdir,
            project=project,
            topics=tuple(topic or ("cancer",)),
            overlap=overlap,
            port=port,
            on_progress=on_progress,
        )
    print_table(
        "filter", ["stage", "dropped", "remaining"], [[s["stage"], s["dropped"], s["remaining"]] for s in report.stages]
    )
    err_console.print(
        f"{report.posts} sample tweets read, {report.kept} kept; "
        f"{report.tasks_created} tasks created, {report.tasks_skipped} already there."
    )
    if report.login_email:
        err_console.print(
            f"Log in as [bold]{report.login_email}[/] (password in {report.connection_source}), "
            "or add annotators with `empathykit annotate users`."
        )
    err_console.print("Tasks are waiting at:")
    print(report.project_url)
