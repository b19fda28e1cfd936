"""Commands of `empathykit annotate` that use a model: predict, connect, next-round (registered by
`empathykit.cli.annotate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import StrategyOption


def predict_command(
    input: Annotated[str, typer.Option("--input", "-i", help="Items: CSV, JSONL or Parquet.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Parquet to write: the items plus `prediction` (and `prediction_score`)."),
    ],
    schema: Annotated[
        str, typer.Option("--schema", "-s", help="Annotation schema whose target is predicted (e.g. seek-provide).")
    ],
    model: Annotated[Path | None, typer.Option(help="Local Hugging Face sequence-classification model folder.")] = None,
    lexicon_rule: Annotated[
        list[str],
        typer.Option(
            help="Instead of a model: SCORE<OP>NUMBER:LABEL, e.g. 'empathy_score<4.5:none' (repeatable, first match wins)."
        ),
    ] = [],
    lexicon: Annotated[
        Path | None, typer.Option(help="Lexicon for --lexicon-rule (default: the bundled list).")
    ] = None,
    schema_option: Annotated[
        list[str], typer.Option("--schema-option", "-O", help="Schema option KEY=VALUE (repeatable).")
    ] = [],
    label_map: Annotated[
        str | None, typer.Option(help="Model label to schema label, e.g. LABEL_0=none,LABEL_1=seeking.")
    ] = None,
    text_field: Annotated[
        str | None, typer.Option(help="Column to predict from (default: the schema's input).")
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Multi-label models: probability at which a label is predicted.")
    ] = 0.5,
    batch_size: Annotated[int, typer.Option(help="Texts per model batch.")] = 32,
    model_version: Annotated[
        str | None,
        typer.Option(help="Version to record (default: model folder + config hash, or lexicon + rules hash)."),
    ] = None,
) -> None:
    """Pre-annotate items with a local model's or the lexicon's predictions, ready for `annotate push`."""
    from empathykit.cli._common import err_console, progress, schema_options
    from empathykit.errors import InputError
    from empathykit.predict.predictions import predict, predict_lexicon
    from empathykit.schemas import get_schema

    if (model is None) == (not lexicon_rule):
        raise InputError("give either --model PATH or one or more --lexicon-rule RULE")
    chosen = get_schema(schema, **schema_options(schema_option))
    if model is not None:
        with progress("predicting") as on_progress:
            report = predict(
                input,
                out,
                schema=chosen,
                model=model,
                batch_size=batch_size,
                text_field=text_field,
                label_map=label_map,
                threshold=threshold,
                model_version=model_version,
                on_progress=on_progress,
            )
    else:
        report = predict_lexicon(
            input,
            out,
            schema=chosen,
            rules=lexicon_rule,
            lexicon=lexicon,
            text_field=text_field,
            model_version=model_version,
        )
    counts = ", ".join(f"{label} {n}" for label, n in report.labels.items()) or "no labels"
    err_console.print(f"{report.predicted}/{report.items} items predicted ({counts}) → {report.out}", highlight=False)
    score = f" --prediction-score-column {report.score_column}" if report.score_column else ""
    err_console.print(
        f"push with: empathykit annotate push --input {report.out} --schema {schema}"
        + "".join(f" -O {o}" for o in schema_option)
        + " --project ... "
        f"--predictions-column prediction{score} --model-version '{report.model_version}'",
        highlight=False,
        soft_wrap=True,
    )


def connect_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Project title or id.")],
    url: Annotated[
        str, typer.Option("--url", help="URL of a running `empathykit serve` (as Label Studio reaches it).")
    ],
    title: Annotated[
        str | None, typer.Option(help="Name of the backend in Label Studio (default: empathykit MODEL_VERSION).")
    ] = None,
    auth_user: Annotated[
        str | None,
        typer.Option(
            "--auth-user",
            help="The user `serve --auth-user` requires; the password is read from EMPATHYKIT_SERVE_PASSWORD and stored in Label Studio's ML backend settings.",
        ),
    ] = None,
) -> None:
    """Register a running `empathykit serve` as the project's ML backend and turn pre-labelling on."""
    from empathykit.cli._common import err_console
    from empathykit.serve.auth import credentials_from_env
    from empathykit.serve.connect import connect_backend

    report = connect_backend(project, url, title=title, credentials=credentials_from_env(auth_user))
    err_console.print(
        f"{'connected' if report.created else 'updated'} ML backend {report.url} (id {report.backend_id}) "
        f"to project {report.project_title!r} (id {report.project_id}); pre-labelling on with model "
        f"{report.model_version}",
        highlight=False,
    )
    err_console.print(report.project_url, highlight=False)


def next_round_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Project title or id.")],
    input: Annotated[
        str,
        typer.Option(
            "--input", "-i", help="Pool of items: CSV, JSONL or Parquet (those already in the project are left out)."
        ),
    ],
    model: Annotated[Path, typer.Option("--model", help="Model folder `empathykit train` wrote (classifier or kd).")],
    size: Annotated[int, typer.Option("--size", "-n", help="Items in the round.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Parquet of the chosen items with predictions; OUT.selection.json beside it says why."
        ),
    ],
    strategy: StrategyOption = "uncertainty",
    seed: Annotated[int, typer.Option(help="Seed of random choices and ties.")] = 0,
    schema: Annotated[str | None, typer.Option("--schema", "-s", help="Schema (default: the project's).")] = None,
    id_column: Annotated[
        str | None, typer.Option(help="Stable item id column (default item_id, then id, else a hash of the inputs).")
    ] = None,
) -> None:
    """Choose the pool items the model is least sure about (or a diverse, uncertain spread) and push them as the next round, pre-annotated."""
    from empathykit.active.nextround import next_round
    from empathykit.cli._common import err_console, progress

    with progress("scoring the pool") as on_progress:
        report = next_round(
            project,
            input,
            model,
            size=size,
            out=out,
            strategy=strategy.value,
            seed=seed,
            schema=schema,
            id_column=id_column,
            on_progress=on_progress,
        )
    err_console.print(
        f"round {report.round} of {report.project_title!r} (id {report.project_id}): {report.chosen} of "
        f"{report.candidates} candidates chosen by {report.strategy} (pool {report.pool}, "
        f"{report.in_project} already in the project); {report.pushed} pushed, {report.predicted} "
        f"pre-annotated by {report.model_version}",
        highlight=False,
    )
    err_console.print(f"chosen items: {report.out}; why: {report.selection}", highlight=False)
    err_console.print(report.project_url, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `annotate` group."""
    app.command("predict")(predict_command)
    app.command("connect")(connect_command)
    app.command("next-round")(next_round_command)
