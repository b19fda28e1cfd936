"""Commands of `empathykit collect` that read files and archives (registered by `empathykit.cli.collect`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `collect` group."""
    app.command("file")(collect_file)


def collect_file(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Files: X API v2 JSONL (tweets or pages), twarc2 output, "
            "v1.1 JSON, CSV/TSV, Stream Grab .tar archives, posts Parquet."
        ),
    ],
    output: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")] = Path("posts.parquet"),
    fmt: Annotated[str, typer.Option("--format", help="auto, jsonl, csv, stream-grab or parquet.")] = "auto",
    text_column: Annotated[
        str, typer.Option(help="CSV/Parquet column holding the text (default: text, full_text, tweet, ...).")
    ] = None,
    id_column: Annotated[
        str, typer.Option(help="CSV column holding post ids (default: id, id_str, tweet_id; else a hash of the text).")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed lines instead of stopping.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at an input without posts instead of skipping it.")
    ] = False,
) -> None:
    """Read posts from files and archives into one Parquet file (the posts schema)."""
    from empathykit.cli._common import err_console, print_table, progress
    from empathykit.pipelines.readers import collect_files

    with progress("reading posts") as on_progress:
        report = collect_files(
            inputs,
            output,
            fmt=fmt,
            text_column=text_column,
            id_column=id_column,
            skip_bad=skip_bad,
            strict=strict,
            on_progress=on_progress,
        )
    rows = [
        ["posts", report.posts],
        ["files", len(report.files)],
        ["empty files skipped", len(report.empty_files)],
        ["bad lines skipped", report.bad_lines],
        ["control records (deletes, limits)", report.control_records],
        ["corrupt archive members", len(report.corrupt_members)],
        ["ids replaced by a text hash", report.ids.replaced],
    ]
    print_table(f"collect file -> {output}", ["", "count"], rows)
    for problem in report.empty_files:
        err_console.print(f"[yellow]skipped:[/] {problem}", highlight=False, markup=True)
    for problem in report.bad_examples + report.corrupt_members + report.ids.messages():
        err_console.print(f"[yellow]warning:[/] {problem}", highlight=False, markup=True)
