"""`empathykit train`, `empathykit evaluate` (`empathykit predict`: cli/predict.py)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import choice
from empathykit.train.choices import FAMILIES, SPLITS

Family = choice("Family", FAMILIES)
Split = choice("Split", SPLITS)
DATA_HELP = "An export folder, or DATASET:PATH exported on the fly (newsemp:messages.csv, sst2:DIR, epitome:DIR, ...)."


def _settings_help(family: str) -> None:
    from empathykit.cli._common import print_table
    from empathykit.train.families import get_family
    from empathykit.train.settings import documentation

    rows = [
        [name, kind, repr(default), text]
        for name, kind, default, text in documentation(get_family(family).settings_class)
    ]
    print_table(
        f"settings of family {family} (--set KEY=VALUE, or a --config YAML file)",
        ["setting", "type", "default", "meaning"],
        rows,
    )


def _family_chosen(ctx: typer.Context, value: Family) -> Family:
    if ctx.meta.get("empathykit.help_settings"):  # --help-settings came before --family
        _settings_help(value.value)
        raise typer.Exit()
    return value


def _help_settings(ctx: typer.Context, value: bool) -> bool:
    """Eager, like --help: the settings print without DATA and -o (--family is eager too, so
    whichever of the two comes last on the line prints)."""
    if value and not ctx.resilient_parsing:
        if "family" in ctx.params:
            _settings_help(Family(ctx.params["family"]).value)
            raise typer.Exit()
        ctx.meta["empathykit.help_settings"] = True
    return value


def train_command(
    data: Annotated[str, typer.Argument(help=DATA_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write (whole, when training ends).")],
    family: Annotated[
        Family,
        typer.Option(
            "--family",
            "-f",
            is_eager=True,
            callback=_family_chosen,
            help="Model family (mlm: masked-LM pretraining on unlabelled text: Parquet/JSONL/CSV/TXT or any DATA's texts).",
        ),
    ] = "classifier",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Local encoder folder to fine-tune (never downloaded); required unless the --config file or a --set names model, or --resume continues a run.",
        ),
    ] = None,
    task: Annotated[str | None, typer.Option(help="Task variant (export config) when the data has several.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of settings.")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="KEY=VALUE setting over the config file (repeatable).")] = [],
    aux: Annotated[
        list[str], typer.Option(help="kd: NAME=DATA auxiliary task (export or DATASET:PATH; repeatable).")
    ] = [],
    teacher: Annotated[
        list[str], typer.Option(help="kd: NAME=MODEL_DIR trained teacher for a task (main or an --aux name).")
    ] = [],
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the unfinished run from its last checkpoint.")
    ] = False,
    search: Annotated[
        list[str],
        typer.Option(
            help="SETTING=V1,V2,... grid (repeatable) or a YAML space file: every combination is trained, the best on validation kept."
        ),
    ] = [],
    help_settings: Annotated[
        bool,
        typer.Option(
            "--help-settings",
            is_eager=True,
            callback=_help_settings,
            expose_value=False,
            help="List the family's settings and exit (no DATA needed).",
        ),
    ] = False,
) -> None:
    """Fine-tune a model family on an exported dataset; writes weights, tokenizer, labels, config.yaml, metrics and a model card."""
    from empathykit.cli._common import err_console, progress
    from empathykit.cli._conventions import require_torch
    from empathykit.keyvalue import parse_pairs
    from empathykit.train.run import train_model

    require_torch("train")
    aux_tasks = parse_pairs(aux, "--aux", "sst=sst2:../data/aux/sst2", form="NAME=DATA")
    teachers = parse_pairs(teacher, "--teacher", "main=models/teacher", form="NAME=MODEL_DIR")
    command = "empathykit " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with progress(f"training {family.value}") as on_progress:
        metrics = train_model(
            data,
            family=family.value,
            model=model,
            out_dir=out,
            task=task,
            config_file=config,
            overrides=set_,
            resume=resume,
            aux=aux_tasks,
            teachers=teachers,
            command=command,
            on_progress=on_progress,
            search=search,
        )
    if metrics:
        err_console.print(f"model written to {out}")
        typer.echo(json.dumps(_headline(metrics), indent=2, default=float))


def _headline(metrics: dict) -> dict:
    return {
        split: {k: v for k, v in values.items() if k not in ("per_class", "confusion_matrix")}
        if isinstance(values, dict)
        else values
        for split, values in metrics.items()
    }


def evaluate_command(
    model_dir: Annotated[Path, typer.Argument(help="A model folder written by `empathykit train`.")],
    data: Annotated[str, typer.Argument(help=DATA_HELP)],
    split: Annotated[Split, typer.Option(help="Split to evaluate on.")] = "test",
    task: Annotated[str | None, typer.Option(help="Task variant (default: the one the model was trained on).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the metrics JSON here (and the PNGs beside it) instead of stdout only."
        ),
    ] = None,
    label_map: Annotated[
        str | None,
        typer.Option(
            help="Score on another data set's labels: MODEL_CLASS=DATA_CLASS,... (e.g. high=empathy,low=none; several data classes: high=seeking+providing; several model classes: seeking=empathy,providing=empathy,none=none)."
        ),
    ] = None,
) -> None:
    """Metrics of a trained model on a split (JSON to stdout) and a confusion-matrix PNG."""
    from empathykit.cli._common import err_console, progress
    from empathykit.cli._conventions import require_torch
    from empathykit.io import check_output, write_json
    from empathykit.train.run import evaluate_model

    require_torch("evaluate")
    if out is not None:
        check_output(out, "file", output="evaluation")
    figures = out.parent if out else Path(model_dir) / "figures"
    with progress(f"evaluating on {split.value}"):
        result = evaluate_model(model_dir, data, split=split.value, task=task, figures_dir=figures, label_map=label_map)
    if out is not None:
        write_json(out, result, output="evaluation")
        err_console.print(f"metrics written to {out}")
    for figure in result.get("figures", []):
        err_console.print(f"figure: {figure}")
    interval = result.get("ci95")
    if interval:  # whether two models differ by more than noise
        err_console.print(
            f"{interval['metric']} {result[interval['metric']]:.4f}, bootstrap 95 % interval "
            f"{interval['low']:.4f} to {interval['high']:.4f} over {interval['examples']} items"
        )
    typer.echo(json.dumps(result, indent=2, default=float))
