"""`empathykit agreement`: coefficients, reports, disagreements and adjudication."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import RecordedSchema, SchemaOptions, choice
from empathykit.table.agreement import WEIGHTS

app = typer.Typer(
    help="Inter-annotator agreement: coefficients with bootstrap intervals, reports, adjudication.",
    no_args_is_help=True,
)

Annotations = Annotated[Path, typer.Argument(help="Tidy annotations Parquet from `annotate pull`.")]
SchemaName = Annotated[str, typer.Option("--schema", "-s", help="Schema the project was pushed with.")]
Fields = Annotated[list[str], typer.Option("--field", "-f", help="Only this field (repeatable; default: all).")]
Items = Annotated[
    Path | None, typer.Option(help="Pushed items (item_id + inputs); default: <annotations>.items.parquet if present.")
]
Adjudicated = Annotated[Path | None, typer.Option(help="adjudications.parquet: reference labels that override gold.")]
Bootstrap = Annotated[int, typer.Option("--bootstrap", "-b", help="Bootstrap resamples over units (0: no intervals).")]
Seed = Annotated[int, typer.Option(help="Seed of the bootstrap.")]
Confidence = Annotated[float, typer.Option(help="Confidence level of the intervals.")]
Weighting = choice("Weighting", WEIGHTS)
Weights = Annotated[Weighting, typer.Option(help="Weights of kappa and Gwet's AC2 on ordinal/interval fields.")]
Iou = Annotated[float, typer.Option("--iou", help="IOU a span needs to match another (IOU-F1).")]


def _schema(annotations: Path | None, name: str | None, options: list[str]):
    """The schema pull recorded in ``annotations`` (``-O`` overriding), else ``name``."""
    from empathykit.cli._common import schema_options
    from empathykit.table.annotations import schema_of

    return schema_of(annotations, name, schema_options(options))


def _items(annotations: Path, items: Path | None) -> Path | None:
    if items is not None:
        return items
    from empathykit.table.columns import items_path

    beside = items_path(annotations)
    return beside if beside.exists() else None


def _compute(annotations, schema, schema_option, field, items, adjudicated, bootstrap, seed, confidence, weights, iou):
    from empathykit.agreement.compute import compute_agreement
    from empathykit.cli._common import progress
    from empathykit.table.agreement import Settings

    settings = Settings(n_boot=bootstrap, seed=seed, confidence=confidence, weights=weights.value, iou_threshold=iou)
    with progress("computing agreement") as on_progress:
        return compute_agreement(
            annotations,
            _schema(annotations, schema, schema_option),
            items=_items(annotations, items),
            adjudications=adjudicated,
            fields=field or None,
            settings=settings,
            on_progress=on_progress,
        )


def _print_summary(result) -> None:
    from empathykit.agreement.summary import pair_rows, summary_rows
    from empathykit.cli._common import err_console, print_table

    print_table(
        f"agreement ({result.schema})",
        ["field", "coefficient", "value", "95% low", "95% high", "units / why undefined"],
        summary_rows(result),
    )
    pairs = pair_rows(result)
    if pairs:
        print_table(
            "annotator pairs",
            ["field", "annotator", "annotator", "shared units", "Cohen kappa / token F1", "% agreement / IOU-F1"],
            pairs,
        )
    inp = result.input
    notes = [f"{inp.annotations} annotations, {inp.cancelled} skipped excluded"]
    if inp.duplicate_units:
        notes.append(f"{len(inp.duplicate_units)} units annotated twice by one annotator ({inp.duplicate_rule})")
    for entry in inp.ids_with_several_emails:
        notes.append(f"annotator id {entry['annotator_id']} has several emails: {', '.join(entry['emails'])}")
    for entry in inp.emails_with_several_ids:
        notes.append(f"email {entry['email']} has several annotator ids: {entry['annotator_ids']}")
    err_console.print("; ".join(notes), highlight=False)


@app.command("compute")
def compute_command(
    annotations: Annotations,
    schema: RecordedSchema = None,
    schema_option: SchemaOptions = [],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write.")] = Path("agreement.json"),
    field: Fields = [],
    items: Items = None,
    adjudicated: Adjudicated = None,
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    confidence: Confidence = 0.95,
    weights: Weights = "quadratic",
    iou: Iou = 0.5,
    json_out: Annotated[bool, typer.Option("--json", help="Also print the JSON on stdout.")] = False,
    model_predictions: Annotated[
        str | None,
        typer.Option(
            help="Model predictions: a FILE (item_id, prediction), or 'project' for the predictions stored on the annotations' Label Studio project. The model is compared with each annotator, the majority and gold, apart from the humans."
        ),
    ] = None,
    model_version: Annotated[
        str | None,
        typer.Option(
            help="Name of the model in the report (default: the version predict recorded in the file, else its name); with 'project', only this model version's predictions."
        ),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            help="Column of the predictions file that identifies items as push did (default item_id, then id, else a hash of the inputs)."
        ),
    ] = None,
) -> None:
    """Every coefficient of every field at its level, with bootstrap intervals: a table on stderr, JSON to --out."""
    import json

    from empathykit.cli._common import err_console
    from empathykit.io import check_output, write_json

    check_output(out, "file", output="agreement")
    result = _compute(
        annotations, schema, schema_option, field, items, adjudicated, bootstrap, seed, confidence, weights, iou
    )
    payload = result.to_json()
    if model_predictions is not None:
        payload["model"] = _model_rater(annotations, model_predictions, model_version, schema, schema_option, id_column)
    write_json(out, payload, output="agreement")
    _print_summary(result)
    err_console.print(f"written: {out}", highlight=False)
    if json_out:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def _model_rater(annotations, predictions, version, schema, schema_option, id_column=None) -> dict:
    from empathykit.agreement.model_rater import model_agreement
    from empathykit.cli._common import print_table

    chosen = _schema(annotations, schema, schema_option)
    if predictions == PROJECT:
        predictions, version = _stored(annotations, chosen, version)
    found = model_agreement(annotations, predictions, chosen, model_version=version, id_column=id_column)
    rows = [
        [rnd, who, part["units"], part["kappa"], part["percent"]]
        for rnd, parts in found["rounds"].items()
        for who, part in [
            *((a["email"] or a["annotator_id"], a) for a in parts["annotators"]),
            ("majority", parts["majority"]),
            ("gold", parts["gold"]),
        ]
    ]
    print_table(
        f"model {found['model_version']} against the annotators ({found['field']})",
        ["round", "against", "shared items", "Cohen kappa", "% agreement"],
        rows,
    )
    return found


#: ``--model-predictions project``: the predictions stored on the annotations' project
PROJECT = "project"


def _stored(annotations, schema, version):
    """The project's stored predictions (``project_id`` of the pulled annotations) and the name they go by."""
    import pandas as pd

    from empathykit.annotate.stored_predictions import stored_predictions
    from empathykit.errors import AgreementError

    projects = pd.read_parquet(annotations, columns=["project_id"])["project_id"].dropna().unique()
    if len(projects) != 1:
        raise AgreementError(
            f"{annotations}: --model-predictions project needs annotations of one project (found {len(projects)})",
            hint="pass a predictions FILE instead",
        )
    rows = stored_predictions(int(projects[0]), schema, model_version=version)
    return pd.DataFrame(rows), version or "+".join(sorted({r["model_version"] for r in rows}))


@app.command("report")
def report_command(
    annotations: Annotations,
    schema: RecordedSchema = None,
    schema_option: SchemaOptions = [],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for report.md, report.html, agreement.json and the PNG plots.")
    ] = Path("agreement-report"),
    field: Fields = [],
    items: Items = None,
    adjudicated: Adjudicated = None,
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    confidence: Confidence = 0.95,
    weights: Weights = "quadratic",
    iou: Iou = 0.5,
) -> None:
    """Markdown and HTML report with plots (coefficients per round, confusion heatmaps, per-annotator bars) and JSON."""
    from empathykit.agreement.report import write_report
    from empathykit.cli._common import err_console, progress
    from empathykit.io import check_output

    check_output(
        out, "dir", output="agreement-report", label="report folder"
    )  # an earlier report, or a new or empty folder
    result = _compute(
        annotations, schema, schema_option, field, items, adjudicated, bootstrap, seed, confidence, weights, iou
    )
    with progress("drawing the report"):
        files = write_report(result, out)
    _print_summary(result)
    err_console.print(
        f"report: {files.html} and {files.markdown} ({len(files.figures)} plots); JSON: {files.json}", highlight=False
    )


@app.command("disagreements")
def disagreements_command(
    annotations: Annotations,
    schema: RecordedSchema = None,
    schema_option: SchemaOptions = [],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table of disagreements: .parquet or .csv.")] = Path(
        "disagreements.parquet"
    ),
    field: Fields = [],
    push: Annotated[
        bool, typer.Option("--push", help="Also push the items as an adjudication project into Label Studio.")
    ] = False,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Adjudication project title (with --push).")
    ] = None,
    items: Items = None,
) -> None:
    """Write the units where annotators differ; with --push, create an adjudication project showing every answer."""
    from empathykit.agreement.adjudicate import find_disagreements, push_adjudication, write_table
    from empathykit.cli._common import err_console, progress
    from empathykit.errors import InputError
    from empathykit.io import check_output

    check_output(out, "file", output="disagreements")
    parsed = _schema(annotations, schema, schema_option)
    if push and not project:
        raise InputError("--push needs the adjudication project's title (--project)")
    table = find_disagreements(annotations, parsed, fields=field or None)
    write_table(table, out)
    err_console.print(f"{len(table)} disagreements on {table['item_id'].nunique()} items → {out}", highlight=False)
    if push and len(table):
        item_table = _items(annotations, items)
        if item_table is None:
            raise InputError(f"no items table beside {annotations}", hint="pass the pushed items with --items")
        with progress("pushing adjudication tasks") as on_progress:
            report = push_adjudication(
                annotations, parsed, items=item_table, project=project, disagreements=table, on_progress=on_progress
            )
        err_console.print(
            f"adjudication project {report.project_title!r} (id {report.project_id}): {report.created} tasks "
            f"created, {report.skipped} already there, {report.predictions} answers added as predictions",
            highlight=False,
        )
        err_console.print(f"tasks: {report.project_url}", highlight=False)


@app.command("adjudicated")
def adjudicated_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Adjudication project title or id.")],
    schema: SchemaName = "seek-provide",
    schema_option: SchemaOptions = [],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Parquet to write (item_id, field, value, adjudicator).")
    ] = Path("adjudications.parquet"),
) -> None:
    """Pull adjudicated labels into adjudications.parquet, which `export --adjudicated` makes final."""
    from empathykit.agreement.adjudicate import pull_adjudications
    from empathykit.cli._common import err_console, progress
    from empathykit.io import check_output

    check_output(out, "file", output="adjudications")
    with progress("pulling adjudications") as on_progress:
        report = pull_adjudications(project, _schema(None, schema, schema_option), out=out, on_progress=on_progress)
    if not report.rows:
        skipped = f"; {report.skipped} skipped, which do not count" if report.skipped else ""
        err_console.print(
            f"nothing adjudicated yet: none of the {report.tasks} tasks in {report.project_title!r} has a "
            f"submitted adjudication{skipped}. Adjudicate them in Label Studio, then run this again "
            f"({report.out} holds no rows).",
            highlight=False,
        )
        return
    err_console.print(
        f"{report.rows} adjudicated values on {report.items} items by {', '.join(report.adjudicators) or 'nobody'}"
        + (f"; {report.readjudicated} adjudicated more than once (the latest counts)" if report.readjudicated else "")
        + f" → {report.out}",
        highlight=False,
    )
