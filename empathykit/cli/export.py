"""`empathykit export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import RecordedSchema, SchemaOptions, choice
from empathykit.exports.choices import AGGREGATIONS, FORMATS, SPAN_MODES

Format = choice("Format", FORMATS)
Aggregation = choice("Aggregation", AGGREGATIONS)
SpanMode = choice("SpanMode", SPAN_MODES)


def export_command(
    annotations: Annotated[
        Path,
        typer.Argument(
            help="Tidy annotations Parquet from `annotate pull`, or a published "
            "data set as DATASET:PATH (epitome:, newsemp:, emolit:, "
            "empathic-stories:, empathic-story-pairs:, twittemp:, sst2:, "
            "goemotions:)."
        ),
    ],
    schema: RecordedSchema = None,
    schema_option: SchemaOptions = [],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced atomically).")] = Path("export"),
    items: Annotated[
        Path | None, typer.Option(help="Pushed items (item_id + inputs); default: <annotations>.items.parquet.")
    ] = None,
    adjudicated: Annotated[
        Path | None, typer.Option(help="adjudications.parquet from `agreement adjudicated`; final labels.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the stratified split.")] = 0,
    train: Annotated[float, typer.Option(help="Train fraction.")] = 0.8,
    validation: Annotated[float, typer.Option(help="Validation fraction.")] = 0.1,
    test: Annotated[float, typer.Option(help="Test fraction.")] = 0.1,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only these task variants (configs); repeatable.")
    ] = None,
    group_by: Annotated[
        str | None, typer.Option("--group-by", help="Rows sharing this column's value stay in one split.")
    ] = None,
    format: Annotated[
        Format,
        typer.Option("--format", help="hf (Parquet configs + card) or epitome-csv (the EPITOME release's files)."),
    ] = "hf",
    aggregate: Annotated[
        Aggregation,
        typer.Option(
            "--aggregate",
            help="majority (ties flagged), majority-drop, dawid-skene, "
            "mace (choices; crowd-kit), mean, median (ratings).",
        ),
    ] = "majority",
    spans: Annotated[
        SpanMode,
        typer.Option(
            "--spans", help="Span fields: character-level majority, union or intersection of the annotators' spans."
        ),
    ] = "majority",
    dehydrate: Annotated[
        bool,
        typer.Option("--dehydrate", help="Ids, labels and metadata only, no text (to share tweets under X's terms)."),
    ] = False,
    agreement: Annotated[
        Path | None,
        typer.Option(help="`agreement compute` JSON for the card; default: agreement.json beside the annotations."),
    ] = None,
    collection: Annotated[
        Path | None,
        typer.Option(
            help="`filter` counts JSON (topics, lexicon, counts) for the card; default: the one *.counts.json beside the annotations."
        ),
    ] = None,
    license: Annotated[
        str | None,
        typer.Option("--license", help="License id the card states (the Hub's ids, e.g. cc-by-4.0); default: other."),
    ] = None,
    push_to_hub: Annotated[
        str | None,
        typer.Option(
            "--push-to-hub", help="Publish the folder to this Hub dataset repo (OWNER/NAME); token from HF_TOKEN."
        ),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="With --push-to-hub: create the repository private.")
    ] = False,
) -> None:
    """Aggregate pulled annotations (majority vote, ties flagged) into a Hugging Face DatasetDict with stratified splits.

    An option the chosen flow does not take (e.g. --aggregate with a DATASET:PATH import) is refused."""
    from empathykit.cli._common import schema_options
    from empathykit.exports.flows import ExportOptions, check_options, flow_of

    options = ExportOptions(
        schema=schema,
        schema_options=schema_options(schema_option),
        items=items,
        adjudicated=adjudicated,
        seed=seed,
        fractions=(train, validation, test),
        tasks=tuple(task or ()),
        group_by=group_by,
        format=format.value,
        method=aggregate.value,
        spans=spans.value,
        dehydrate=dehydrate,
        agreement=agreement,
        collection=collection,
        license=license,
        push_to_hub=push_to_hub,
    )
    check_options(flow_of(str(annotations), options.format), options)  # before the token check and any work
    if push_to_hub:  # a missing token or a bad repo id stops before any work
        from empathykit.exports.hub import check_repo, hub_token

        check_repo(push_to_hub), hub_token()
    _report(_run(annotations, out, options))
    _push(out, push_to_hub, private)


def _run(source: Path, out: Path, options):
    from empathykit.cli._common import err_console, progress
    from empathykit.exports.flows import run_export

    problems: list = []
    with progress("exporting") as on_progress:
        report = run_export(str(source), out, options, on_problem=problems.append, on_progress=on_progress)
    for problem in problems[:5]:
        err_console.print(f"[yellow]{problem}[/yellow]", highlight=False)
    if len(problems) > 5:
        err_console.print(f"… {len(problems) - 5} more problem(s), listed in {out / 'export.json'}")
    return report


def _report(report) -> None:
    """The tables of what was written, by the kind of report the flow returned."""
    from empathykit.cli._common import err_console, print_table
    from empathykit.exports.flows import EpitomeCsvReport
    from empathykit.exports.importers import ImportReport

    if isinstance(report, EpitomeCsvReport):
        print_table(
            f"EPITOME CSV → {report.out_dir}",
            ["file", "rows", "left out (tied or not annotated)"],
            [[f, report.rows[m], report.left_out[m]] for m, f in zip(report.rows, report.files)],
        )
        return
    if isinstance(report, ImportReport):
        splits = sorted(
            {s for counts in report.configs.values() for s in counts}, key=["train", "validation", "test", "all"].index
        )
        print_table(
            f"{report.dataset} → {report.out_dir} ({report.format}, splits: {report.splits_from})",
            ["config", *splits],
            [[name, *(counts.get(s, "") for s in splits)] for name, counts in report.configs.items()],
        )
        return
    print_table(
        f"export → {report.out_dir}",
        ["split", "rows", "labels"],
        [[name, size, report.label_counts.get(name, "")] for name, size in report.split_sizes.items()],
    )
    err_console.print(
        f"{report.items_annotated} items annotated; {report.ties} ties (in ties.parquet); "
        f"{report.unlabelled} unlabelled; {report.adjudicated} adjudicated; "
        f"{report.not_annotated} pushed but never annotated (in no split)"
    )
    for warning in report.warnings:
        err_console.print(f"[yellow]warning: {warning}[/yellow]", highlight=False)


def _push(out: Path, repo: str | None, private: bool) -> None:
    if not repo:
        return
    from empathykit.cli._common import err_console, progress
    from empathykit.exports.hub import push_to_hub

    with progress(f"pushing to {repo}"):
        pushed = push_to_hub(out, repo, private=private)
    err_console.print(
        f"pushed {pushed.files} files to {pushed.url}" + (" (private)" if private else ""), highlight=False
    )
