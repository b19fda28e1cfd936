"""`empathykit loop`: pull, export, train (warm start), evaluate and choose the next round, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import StrategyOption, choice
from empathykit.train.choices import HEAD_FAMILIES

Family = choice("Family", HEAD_FAMILIES)


def loop_command(
    project: Annotated[
        str, typer.Option("--project", "-p", help="Project title or id (its annotations train the model).")
    ],
    input: Annotated[
        str,
        typer.Option("--input", "-i", help="Pool of items the next rounds are chosen from (CSV, JSONL or Parquet)."),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="Local encoder folder fine-tuned in round 1 (later rounds start from the previous round's model).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Loop folder: round-K/ per round and the state a killed loop resumes from."),
    ],
    size: Annotated[int, typer.Option("--size", "-n", min=1, help="Items per new round.")],
    strategy: StrategyOption = "uncertainty",
    rounds: Annotated[
        int,
        typer.Option(
            help="Annotation rounds the loop runs in all: each trains on a freshly annotated round, then pushes the next."
        ),
    ] = 1,
    family: Annotated[
        Family,
        typer.Option(
            "--family",
            "-f",
            help="Model family (one with a classification or rating head, which the next round's choice reads).",
        ),
    ] = "classifier",
    task: Annotated[str | None, typer.Option(help="Export task variant to train on (default: the export's).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of splits, training and choices.")] = 0,
    set_: Annotated[list[str], typer.Option("--set", help="KEY=VALUE training setting (repeatable).")] = [],
    overlap: Annotated[
        int | None,
        typer.Option(help="Annotations or skips a task needs to count as done (default: the project's overlap)."),
    ] = None,
    min_done: Annotated[
        float | None, typer.Option(help="Go on when this fraction of the round's tasks is done (default: all of them).")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Wait (polling, a progress line each time) until the round is annotated, instead of exiting."
        ),
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between checks with --wait.")] = 60.0,
    min_alpha: Annotated[
        float | None, typer.Option(help="Stop before training when the round's Krippendorff alpha is below this.")
    ] = None,
    repull: Annotated[
        bool, typer.Option("--repull", help="Pull the round again (after adjudicating it) before training.")
    ] = False,
) -> None:
    """Run the model in the annotation loop: pull → export → agreement → train → evaluate → next round, one line per
    step. After pushing a round it waits for people: re-run (from cron) until the round is annotated, or pass --wait."""
    from empathykit.cli._common import err_console, progress
    from empathykit.loop.run import People, run_loop

    def say(number: int, step: str, summary: str) -> None:
        err_console.print(f"round {number} {step}: {summary}", highlight=False, soft_wrap=True)

    def waiting(progress) -> None:
        err_console.print(progress.line(waiting=True), highlight=False, soft_wrap=True)

    people = People(
        overlap=overlap, min_done=min_done, wait=wait, poll_seconds=poll, on_wait=waiting, min_alpha=min_alpha
    )
    with progress("running the loop") as on_progress:  # a line at least every 10 s in a cron log too
        report = run_loop(
            project,
            input,
            model,
            out,
            size=size,
            strategy=strategy.value,
            family=family.value,
            task=task,
            seed=seed,
            overrides=set_,
            rounds=rounds,
            on_step=say,
            people=people,
            repull=repull,
            on_progress=on_progress,
        )
    if report.waiting:
        err_console.print(report.waiting, highlight=False, soft_wrap=True)
    elif report.round > rounds:
        err_console.print(
            f"{rounds} round(s) done (state in {report.loop_dir}); pass a larger --rounds to go on",
            highlight=False,
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"{report.rounds_run} round(s) done; next: round {report.round}, step {report.step} "
            f"(state in {report.loop_dir})",
            highlight=False,
            soft_wrap=True,
        )
