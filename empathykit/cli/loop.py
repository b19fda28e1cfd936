"""`empathykit loop`: pull, export, train (warm start), evaluate and choose the next round, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from empathykit.cli._common import choice
from empathykit.train.choices import HEAD_FAMILIES

Family = choice("Family", HEAD_FAMILIES)


def loop_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Project title or id (its annotations train the model).")],
    input: Annotated[str, typer.Option("--input", "-i", help="Pool of items the next rounds are chosen from (CSV, JSONL or Parquet).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Local encoder folder fine-tuned in round 1 (later rounds start from the previous round's model).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Loop folder: round-K/ per round and the state a killed loop resumes from.")],
    size: Annotated[int, typer.Option("--size", "-n", help="Items per new round.")],
    strategy: Annotated[str, typer.Option(help="uncertainty | margin | entropy | diversity | random.")] = "uncertainty",
    rounds: Annotated[int, typer.Option(help="Rounds to run now (a resumed round counts as one).")] = 1,
    family: Annotated[Family, typer.Option("--family", "-f", help="Model family (one with a classification or rating head, which the next round's choice reads).")] = "classifier",
    task: Annotated[Optional[str], typer.Option(help="Export task variant to train on (default: the export's).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of splits, training and choices.")] = 0,
    set_: Annotated[list[str], typer.Option("--set", help="KEY=VALUE training setting (repeatable).")] = [],  # noqa: B006
) -> None:
    """Run the model in the annotation loop: pull → export → train → evaluate → next round, one line per step; re-run to resume."""
    from empathykit.cli._common import err_console
    from empathykit.loop.run import run_loop

    def say(number: int, step: str, summary: str) -> None:
        err_console.print(f"round {number} {step}: {summary}", highlight=False, soft_wrap=True)

    with err_console.status("running the loop"):
        report = run_loop(project, input, model, out, size=size, strategy=strategy, family=family.value, task=task,
                          seed=seed, overrides=set_, rounds=rounds, on_step=say)
    err_console.print(f"{report.rounds_run} round(s) done; next: round {report.round}, step {report.step} "
                      f"(state in {report.loop_dir})", highlight=False)
