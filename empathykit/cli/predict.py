"""`empathykit predict`: a trained model over a whole corpus (streaming, resumable, several processes or Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import choice
from empathykit.pipelines.choices import ENGINES

Engine = choice("Engine", ENGINES)


def predict_command(
    model_dir: Annotated[
        Path,
        typer.Argument(
            help="A model folder written by `empathykit train`, a loop folder (its newest model), or for EPITOME up to three folders, one per mechanism, joined by commas: ER_DIR,IP_DIR,EX_DIR."
        ),
    ],
    input_path: Annotated[
        Path, typer.Argument(help="Items: Parquet, CSV, JSONL (read in chunks, never whole) or a JSON list.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Parquet with the items plus prediction and prediction_score, one row group per chunk; the model version is in its metadata.",
        ),
    ],
    model_version: Annotated[
        str | None, typer.Option(help="Version recorded with the predictions (default: folder name + hash).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Rows per model call (default: the model's saved eval batch size).")
    ] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Tokens per text (default: the model's saved max length).")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk: one output row group, what a kill can lose.")] = 4096,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad", help="Set bad input rows aside in OUT_STEM.bad.jsonl instead of stopping at the first."
        ),
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local (this process, or each process of torchrun / accelerate launch) or dask (a dask.distributed cluster)."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="--engine dask: the scheduler's address (default: a LocalCluster on this machine)."),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="--engine dask without --scheduler: worker processes of the LocalCluster.")
    ] = 2,
) -> None:
    """Predict with a trained model; killed and run again with the same command it goes on where it stopped. The output feeds `annotate push --predictions-column prediction`."""
    from empathykit.cli._common import err_console, progress
    from empathykit.cli._conventions import require_torch
    from empathykit.predict.corpus import CorpusSettings, predict_corpus

    require_torch("predict")
    settings = CorpusSettings(batch_size=batch_size, max_length=max_length, chunk_rows=chunk_rows, skip_bad=skip_bad)
    with progress("predicting") as on_progress:
        report = predict_corpus(
            model_dir,
            input_path,
            out,
            settings=settings,
            model_version=model_version,
            engine=engine.value,
            scheduler=scheduler,
            workers=workers,
            on_progress=on_progress,
        )
    if report.rank != 0:
        return  # the first process of a launcher reports for all
    resumed = f" ({report.resumed} of {report.chunks} row groups from an earlier run)" if report.resumed else ""
    rate = report.items / report.seconds if report.seconds else 0.0
    err_console.print(
        f"{report.predicted}/{report.items} items predicted → {report.out}{resumed}; "
        f"{rate:.0f} rows/s; labels {report.labels}",
        highlight=False,
    )
    if report.bad:
        err_console.print(f"{report.bad} bad rows set aside in {report.bad_path}", highlight=False)
    err_console.print(
        f"push with: --predictions-column prediction --prediction-score-column prediction_score "
        f"--model-version {report.model_version}",
        highlight=False,
    )
    typer.echo(report.model_version)
