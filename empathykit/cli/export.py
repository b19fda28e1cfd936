"""`empathykit export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def export_command(
    annotations: Annotated[Path, typer.Argument(help="Tidy annotations Parquet from `annotate pull`.")],
    schema: Annotated[str, typer.Option("--schema", "-s", help="Schema the project was pushed with.")] = "seek-provide",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced atomically).")] = Path("export"),
    items: Annotated[Optional[Path], typer.Option(help="Pushed items (item_id + inputs); default: <annotations>.items.parquet.")] = None,
    adjudicated: Annotated[Optional[Path], typer.Option(help="adjudications.parquet from `agreement adjudicated`; final labels.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the stratified split.")] = 0,
    train: Annotated[float, typer.Option(help="Train fraction.")] = 0.8,
    validation: Annotated[float, typer.Option(help="Validation fraction.")] = 0.1,
    test: Annotated[float, typer.Option(help="Test fraction.")] = 0.1,
) -> None:
    """Aggregate pulled annotations (majority vote, ties flagged) into a Hugging Face DatasetDict with stratified splits."""
    from empathykit.cli._common import err_console, print_table
    from empathykit.exports.hf import export_dataset

    with err_console.status("exporting") as status:
        report = export_dataset(annotations, schema, out, items=items, adjudicated=adjudicated, seed=seed,
                                fractions=(train, validation, test), on_progress=lambda msg: status.update(msg))
    print_table(f"export → {report.out_dir}", ["split", "rows", "labels"],
                [[name, size, report.label_counts.get(name, "")] for name, size in report.split_sizes.items()])
    err_console.print(f"{report.items_annotated} items annotated; {report.ties} ties (in ties.parquet); "
                      f"{report.unlabelled} unlabelled; {report.adjudicated} adjudicated")
