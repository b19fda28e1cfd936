"""Which export runs for a source and a format, and which options it takes.

Three flows write an export; each takes only some of the options ``export``
offers, and an option given to a flow that does not take it is refused in one
line naming the option and the flow (it would otherwise be dropped in silence):

=====================================  ===================================================
annotations (``--format hf``)          every option (``exports.hf.export_dataset``)
annotations, ``--format epitome-csv``  schema, items, adjudications
                                       (the EPITOME release's CSV files)
``DATASET:PATH`` import                tasks, seed, fractions, group-by, format, dehydrate,
                                       Hub push (``exports.importers.export_import``)
=====================================  ===================================================

An import with ``--format epitome-csv`` writes the release's files unsplit, so it
takes the tasks alone. Options are named as ``empathykit export`` spells them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import ExportError
from empathykit.exports.choices import AGGREGATIONS, FORMATS, SPAN_MODES
from empathykit.exports.epitome_csv import rows_from_annotations, write_epitome_csv
from empathykit.exports.hf import ExportReport, export_dataset
from empathykit.exports.importers import ImportReport, export_import
from empathykit.progress import Progress
from empathykit.releases.common import ReadProblem
from empathykit.releases.registry import is_import_spec
from empathykit.table.annotations import schema_of


@dataclass(frozen=True)
class ExportOptions:
    """Every option of ``empathykit export``; the defaults are what "not given" means."""

    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)
    items: str | Path | None = None
    adjudicated: str | Path | None = None
    seed: int = 0
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    tasks: tuple[str, ...] = ()
    group_by: str | None = None
    format: str = "hf"
    method: str = "majority"
    spans: str = "majority"
    dehydrate: bool = False
    agreement: str | Path | None = None
    collection: str | Path | None = None
    license: str | None = None
    push_to_hub: str | None = None


#: How the CLI spells each option, for the refusals.
FLAGS = {
    "schema": "--schema",
    "schema_options": "--schema-option",
    "items": "--items",
    "adjudicated": "--adjudicated",
    "seed": "--seed",
    "fractions": "--train/--validation/--test",
    "tasks": "--task",
    "group_by": "--group-by",
    "format": "--format",
    "method": "--aggregate",
    "spans": "--spans",
    "dehydrate": "--dehydrate",
    "agreement": "--agreement",
    "collection": "--collection",
    "license": "--license",
    "push_to_hub": "--push-to-hub",
}

#: flow -> the options it takes (every other one must keep its default).
TAKES = {
    "annotations": frozenset(FLAGS),
    "an annotations export with --format epitome-csv": frozenset(
        {"schema", "schema_options", "items", "adjudicated", "format"}
    ),
    "a DATASET:PATH import": frozenset(
        {"tasks", "seed", "fractions", "group_by", "format", "dehydrate", "push_to_hub"}
    ),
    "a DATASET:PATH import with --format epitome-csv": frozenset({"tasks", "format"}),
}


def flow_of(source: str | Path, format: str) -> str:
    """The flow that exports ``source`` in ``format``; an unknown format is refused."""
    if format not in FORMATS:
        raise ExportError(f"--format {format!r} is not a format; expected one of {', '.join(FORMATS)}")
    if is_import_spec(source):
        return "a DATASET:PATH import" + (" with --format epitome-csv" if format == "epitome-csv" else "")
    return "an annotations export with --format epitome-csv" if format == "epitome-csv" else "annotations"


def check_options(flow: str, options: ExportOptions) -> None:
    """Refuse, in one line, the first option ``flow`` does not take; and values outside a closed set."""
    if options.method not in AGGREGATIONS:
        raise ExportError(f"--aggregate {options.method!r} is not a method; expected one of {', '.join(AGGREGATIONS)}")
    if options.spans not in SPAN_MODES:
        raise ExportError(f"--spans {options.spans!r} is not a mode; expected one of {', '.join(SPAN_MODES)}")
    default = ExportOptions()
    for option in fields(ExportOptions):
        name = option.name
        if name not in TAKES[flow] and getattr(options, name) != getattr(default, name):
            raise ExportError(
                f"{FLAGS[name]} does not apply to {flow}",
                hint="leave it out"
                + ("" if flow.startswith("a DATASET") else ", or export another way (see `empathykit export --help`)"),
            )


@dataclass
class EpitomeCsvReport:
    """The EPITOME release's files written from annotations."""

    out_dir: str
    files: list[str]
    rows: dict[str, int]  # mechanism -> rows written
    left_out: dict[str, int]  # mechanism -> items tied or not annotated


def export_epitome_csv(annotations: str | Path, out: str | Path, options: ExportOptions) -> EpitomeCsvReport:
    """EPITOME annotations as the release's CSV files, one per mechanism."""
    schema = schema_of(annotations, options.schema, options.schema_options)
    if schema.name != "epitome":
        raise ExportError(
            f"--format epitome-csv writes EPITOME annotations; schema {schema.name!r} is not epitome",
            hint="export with -s epitome",
        )
    tables, left_out = rows_from_annotations(
        annotations, items=options.items, adjudicated=options.adjudicated, schema_options=options.schema_options
    )
    files = write_epitome_csv(tables, out)
    return EpitomeCsvReport(str(out), [f.name for f in files], {m: len(rows) for m, rows in tables.items()}, left_out)


def run_export(
    source: str | Path,
    out: str | Path,
    options: ExportOptions = ExportOptions(),
    *,
    on_problem: Callable[[ReadProblem], None] | None = None,
    on_progress: Progress | None = None,
) -> ExportReport | ImportReport | EpitomeCsvReport:
    """Export ``source`` (a pulled annotations table or ``DATASET:PATH``) to ``out`` by the flow
    its kind and ``options.format`` choose, after refusing options that flow does not take."""
    flow = flow_of(source, options.format)
    check_options(flow, options)
    if flow.startswith("a DATASET:PATH import"):
        return export_import(
            str(source),
            out,
            task=list(options.tasks) or None,
            seed=options.seed,
            fractions=options.fractions,
            group_by=options.group_by,
            format=options.format,
            dehydrate=options.dehydrate,
            on_problem=on_problem,
            on_progress=on_progress,
        )
    if options.format == "epitome-csv":
        return export_epitome_csv(source, out, options)
    return export_dataset(
        source,
        options.schema,
        out,
        items=options.items,
        adjudicated=options.adjudicated,
        seed=options.seed,
        fractions=options.fractions,
        schema_options=options.schema_options,
        on_progress=on_progress,
        dehydrate=options.dehydrate,
        method=options.method,
        tasks=list(options.tasks) or None,
        agreement=options.agreement,
        collection=options.collection,
        license=options.license,
        group_by=options.group_by,
        spans=options.spans,
    )
