"""`empathykit export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from empathykit.cli._common import RecordedSchema, SchemaOptions


def export_command(
    annotations: Annotated[Path, typer.Argument(help="Tidy annotations Parquet from `annotate pull`, or a published "
                                                     "data set as DATASET:PATH (epitome:, newsemp:, emolit:, "
                                                     "empathic-stories:, empathic-story-pairs:, twittemp:, sst2:, "
                                                     "goemotions:).")],
    schema: RecordedSchema = None,
    schema_option: SchemaOptions = [],  # noqa: B006
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced atomically).")] = Path("export"),
    items: Annotated[Optional[Path], typer.Option(help="Pushed items (item_id + inputs); default: <annotations>.items.parquet.")] = None,
    adjudicated: Annotated[Optional[Path], typer.Option(help="adjudications.parquet from `agreement adjudicated`; final labels.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the stratified split.")] = 0,
    train: Annotated[float, typer.Option(help="Train fraction.")] = 0.8,
    validation: Annotated[float, typer.Option(help="Validation fraction.")] = 0.1,
    test: Annotated[float, typer.Option(help="Test fraction.")] = 0.1,
    task: Annotated[Optional[list[str]], typer.Option("--task", help="Only these task variants (configs); repeatable.")] = None,
    group_by: Annotated[Optional[str], typer.Option("--group-by", help="Rows sharing this column's value stay in one split.")] = None,
    format: Annotated[str, typer.Option("--format", help="hf (Parquet configs + card) or epitome-csv (the EPITOME release's files).")] = "hf",
    aggregate: Annotated[str, typer.Option("--aggregate", help="majority (ties flagged), majority-drop, dawid-skene, "
                                                              "mace (choices; crowd-kit), mean, median (ratings).")] = "majority",
    spans: Annotated[str, typer.Option("--spans", help="Span fields: character-level majority, union or intersection of the annotators' spans.")] = "majority",
    dehydrate: Annotated[bool, typer.Option("--dehydrate", help="Ids, labels and metadata only, no text (to share tweets under X's terms).")] = False,
    agreement: Annotated[Optional[Path], typer.Option(help="`agreement compute` JSON for the card; default: agreement.json beside the annotations.")] = None,
    collection: Annotated[Optional[Path], typer.Option(help="`filter` counts JSON (topics, lexicon, counts) for the card; default: the one *.counts.json beside the annotations.")] = None,
    license: Annotated[Optional[str], typer.Option("--license", help="License id the card states (the Hub's ids, e.g. cc-by-4.0); default: other.")] = None,
    push_to_hub: Annotated[Optional[str], typer.Option("--push-to-hub", help="Publish the folder to this Hub dataset repo (OWNER/NAME); token from HF_TOKEN.")] = None,
    private: Annotated[bool, typer.Option("--private", help="With --push-to-hub: create the repository private.")] = False,
) -> None:
    """Aggregate pulled annotations (majority vote, ties flagged) into a Hugging Face DatasetDict with stratified splits."""
    from empathykit.cli._common import err_console, print_table, schema_options
    from empathykit.releases.registry import is_import_spec

    if push_to_hub:  # a missing token or a bad repo id stops before any work
        from empathykit.exports.hub import check_repo, hub_token

        check_repo(push_to_hub), hub_token()
    if is_import_spec(str(annotations)):
        _import(str(annotations), out, task=task, seed=seed, fractions=(train, validation, test),
                group_by=group_by, format=format, dehydrate=dehydrate)
        return _push(out, push_to_hub, private)
    options = schema_options(schema_option)
    if format == "epitome-csv":
        from empathykit.table.annotations import schema_of

        return _epitome_csv(annotations, schema_of(annotations, schema, options).name, out, items=items,
                            adjudicated=adjudicated, schema_options=options)
    from empathykit.exports.hf import export_dataset

    with err_console.status("exporting") as status:
        report = export_dataset(annotations, schema, out, items=items, adjudicated=adjudicated, seed=seed,
                                fractions=(train, validation, test), schema_options=options, on_progress=lambda msg: status.update(msg),
                                dehydrate=dehydrate, method=aggregate, tasks=task, group_by=group_by, spans=spans, agreement=agreement,
                                collection=collection, license=license)
    print_table(f"export → {report.out_dir}", ["split", "rows", "labels"],
                [[name, size, report.label_counts.get(name, "")] for name, size in report.split_sizes.items()])
    err_console.print(f"{report.items_annotated} items annotated; {report.ties} ties (in ties.parquet); "
                      f"{report.unlabelled} unlabelled; {report.adjudicated} adjudicated")
    for warning in report.warnings:
        err_console.print(f"[yellow]warning: {warning}[/yellow]", highlight=False)
    _push(out, push_to_hub, private)


def _push(out: Path, repo: Optional[str], private: bool) -> None:
    if not repo:
        return
    from empathykit.cli._common import err_console
    from empathykit.exports.hub import push_to_hub

    with err_console.status(f"pushing to {repo}"):
        pushed = push_to_hub(out, repo, private=private)
    err_console.print(f"pushed {pushed.files} files to {pushed.url}" + (" (private)" if private else ""), highlight=False)


def _import(spec: str, out: Path, **options) -> None:
    """A published data set, no Label Studio (``exports.importers``)."""
    from empathykit.cli._common import err_console, print_table
    from empathykit.exports.importers import export_import

    problems: list = []
    with err_console.status("importing") as status:
        report = export_import(spec, out, on_problem=problems.append, on_progress=status.update, **options)
    for problem in problems[:5]:
        err_console.print(f"[yellow]{problem}[/yellow]", highlight=False)
    if len(problems) > 5:
        err_console.print(f"… {len(problems) - 5} more problem(s), listed in {out / 'export.json'}")
    splits = sorted({s for counts in report.configs.values() for s in counts}, key=["train", "validation", "test", "all"].index)
    print_table(f"{report.dataset} → {report.out_dir} ({report.format}, splits: {report.splits_from})",
                ["config", *splits], [[name, *(counts.get(s, "") for s in splits)] for name, counts in report.configs.items()])


def _epitome_csv(annotations: Path, schema: str, out: Path, **options) -> None:
    """EPITOME annotations as the release's CSV files, one per mechanism."""
    from empathykit.cli._common import print_table
    from empathykit.errors import ExportError
    from empathykit.exports.epitome_csv import rows_from_annotations, write_epitome_csv

    if schema != "epitome":
        raise ExportError(f"--format epitome-csv writes EPITOME annotations; schema {schema!r} is not epitome",
                          hint="export with -s epitome")
    tables, left_out = rows_from_annotations(annotations, **options)
    files = write_epitome_csv(tables, out)
    print_table(f"EPITOME CSV → {out}", ["file", "rows", "left out (tied or not annotated)"],
                [[f.name, len(tables[m]), left_out[m]] for m, f in zip(tables, files)])
