"""`empathykit annotate`: pre-annotate, push items to Label Studio, pull annotations, accounts, progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli import _conventions, annotate_model

app = typer.Typer(
    cls=_conventions.ordered_group(_conventions.ANNOTATE_ORDER),
    no_args_is_help=True,
    short_help="Annotate in Label Studio: users, push, status, pull, predict, connect, next-round, dedupe.",
    help="Annotate in Label Studio, in the order of the work: create annotator accounts (users), push "
    "items as tasks (push), follow the rounds (status), pull the annotations (pull); with a model, "
    "pre-annotate items (predict), let Label Studio ask a served model (connect) and push the "
    "items it is least sure about as the next round (next-round); remove duplicate tasks (dedupe).",
)


@app.command("push")
def push_command(
    input: Annotated[
        str,
        typer.Option(
            "--input",
            "-i",
            help="Items: CSV, JSONL or Parquet, or DATASET:PATH (epitome, emolit, empathic-stories, empathic-story-pairs, twittemp).",
        ),
    ],
    project: Annotated[str, typer.Option("--project", "-p", help="Project title (created if missing).")],
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema", "-s", help="Annotation schema (e.g. seek-provide); default for DATASET:PATH: the data set's."
        ),
    ] = None,
    schema_option: Annotated[
        list[str], typer.Option("--schema-option", "-O", help="Schema option KEY=VALUE (repeatable).")
    ] = [],
    id_column: Annotated[
        str | None, typer.Option(help="Stable item id column (default item_id, then id, else a hash of the inputs).")
    ] = None,
    round_size: Annotated[
        int | None, typer.Option(help="Items per annotation round; adds `round` to each task.")
    ] = None,
    first_round: Annotated[
        int | None, typer.Option(help="Number of the first round (default: after the project's last).")
    ] = None,
    overlap: Annotated[int | None, typer.Option(help="Annotators per task (Label Studio maximum_annotations).")] = None,
    predictions_column: Annotated[
        str | None, typer.Option(help="Column with pre-annotations (target value or {field: value}).")
    ] = None,
    prediction_score_column: Annotated[str | None, typer.Option(help="Column with the prediction scores.")] = None,
    model_version: Annotated[str | None, typer.Option(help="Name of the model behind the pre-annotations.")] = None,
    gold_column: Annotated[
        str | None, typer.Option(help="Column with gold values: ground-truth annotations for calibration.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Tasks per import request.")] = 5000,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed JSONL lines instead of stopping.")
    ] = False,
) -> None:
    """Validate every item against the schema, then import the new ones as tasks in batches (re-runs import nothing twice)."""
    from empathykit.annotate.push import push
    from empathykit.cli._common import err_console, progress, schema_options

    with progress("importing tasks") as on_progress:
        report = push(
            input,
            schema=schema,
            project=project,
            schema_options=schema_options(schema_option),
            id_column=id_column,
            round_size=round_size,
            first_round=first_round,
            overlap=overlap,
            predictions_column=predictions_column,
            prediction_score_column=prediction_score_column,
            model_version=model_version,
            gold_column=gold_column,
            batch_size=batch_size,
            skip_bad=skip_bad,
            on_progress=on_progress,
        )
    err_console.print(
        f"{'created' if report.project_created else 'reused'} project {report.project_title!r} (id {report.project_id}): "
        f"{report.created} tasks imported in {report.batches} batches, {report.skipped} already there, "
        f"{report.duplicates} duplicate ids in the input; {report.predictions} pre-annotated, {report.gold} gold"
        + (f"; rounds {report.rounds[0]}-{report.rounds[-1]}" if report.rounds else "")
        + (f"; {report.overlap} annotators per task" if report.overlap else ""),
        highlight=False,
    )
    if report.race_removed:
        err_console.print(
            f"note: a concurrent push imported {report.race_removed} of these items at the same "
            "moment; this run's copies were deleted",
            highlight=False,
        )
    if report.race_kept:
        err_console.print(
            f"[yellow]note:[/] {len(report.race_kept)} items are in the project twice and the later "
            f"copy is already annotated, e.g. {report.race_kept[0]!r}; see `empathykit annotate status`",
            highlight=False,
        )
    if report.bad_lines:
        err_console.print(
            f"[yellow]skipped:[/] {len(report.bad_lines)} malformed lines, e.g. {report.bad_lines[0]}",
            highlight=False,
            markup=True,
        )
    if report.problems:
        err_console.print(
            f"[yellow]note:[/] the data set reader reported {len(report.problems)} problems, e.g. {report.problems[0]}",
            highlight=False,
        )
    if report.config_differs:
        err_console.print(
            "[yellow]note:[/] the project's labeling config differs from the schema's "
            "(edited in the UI?); pull reports results the schema does not know"
        )
    err_console.print(f"tasks: {report.project_url}", highlight=False)


@app.command("pull")
def pull_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Project title or id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Tidy annotations Parquet to write.")],
    schema: Annotated[
        str | None, typer.Option("--schema", "-s", help="Schema (default: the one push recorded).")
    ] = None,
    since_last: Annotated[
        bool, typer.Option("--since-last", help="Fetch only what changed since the last pull into OUT and merge.")
    ] = False,
) -> None:
    """Write every annotation as tidy rows (annotation x field) to Parquet, plus items and unknown-result side tables."""
    from empathykit.annotate.pull import pull
    from empathykit.cli._common import err_console, progress

    with progress("pulling annotated tasks") as on_progress:
        report = pull(project, out=out, schema=schema, since_last=since_last, on_progress=on_progress)
    err_console.print(
        f"{report.annotations} annotations ({report.cancelled} skipped, {report.ground_truth} gold) → "
        f"{report.rows} rows in {report.out}; items in {report.items_out}"
        + (
            f"; incremental: {report.new_annotations} new, {report.updated_annotations} updated, "
            f"{report.removed_annotations} removed"
            if report.incremental
            else ""
        ),
        highlight=False,
    )
    if report.unknown:
        err_console.print(
            f"[yellow]note:[/] {report.unknown} results the schema {report.schema!r} does not know "
            f"(config edited in the UI?) kept in {report.unknown_out}",
            highlight=False,
        )


@app.command("users")
def users_command(
    emails: Annotated[str, typer.Option("--emails", "-e", help="Comma-separated e-mails of annotators.")],
    password: Annotated[
        str | None, typer.Option(help="One password for all new accounts (default: generated).")
    ] = None,
    passwords_out: Annotated[Path, typer.Option(help="File (mode 0600) receiving the new accounts' passwords.")] = Path(
        "annotator-passwords.csv"
    ),
) -> None:
    """Create annotator accounts in Label Studio (via its invite link); passwords go to a private file, never the screen."""
    from empathykit.annotate.users import create_annotators
    from empathykit.cli._common import err_console, print_table, progress

    with progress("creating accounts") as on_progress:
        accounts = create_annotators(emails, password=password, passwords_out=passwords_out, on_progress=on_progress)
    written = sum(a.status == "created" for a in accounts)
    print_table("annotators", ["email", "id", "status"], [[a.email, a.id, a.status] for a in accounts])
    if written:
        err_console.print(f"passwords of {written} new accounts in {passwords_out} (mode 0600)", highlight=False)


@app.command("status")
def status_command(project: Annotated[str, typer.Option("--project", "-p", help="Project title or id.")]) -> None:
    """Show annotation progress of a project per round and per annotator."""
    from empathykit.annotate.status import project_status
    from empathykit.cli._common import err_console, print_table, progress

    with progress("reading the project's tasks") as on_progress:
        report = project_status(project, on_progress=on_progress)
    print_table(
        f"{report.project_title} (id {report.project_id}): {report.done}/{report.tasks} tasks done, "
        f"{report.overlap} annotator(s) per task",
        ["round", "tasks", "started", "done", "annotations", "skipped"],
        [
            ["-" if r.round is None else r.round, r.tasks, r.started, r.done, r.annotations, r.skipped]
            for r in report.rounds
        ],
    )
    rounds = [r.round for r in report.rounds]
    print_table(
        "per annotator (tasks annotated or skipped)",
        ["annotator", "id", "total", *[f"round {r}" if r is not None else "no round" for r in rounds]],
        [
            [a.email or "?", a.annotator_id, a.tasks, *[a.per_round.get(r, 0) for r in rounds]]
            for a in report.annotators
        ],
    )
    dup = report.duplicates
    if dup.items:
        examples = "; ".join(f"{item!r} on tasks {', '.join(map(str, ids))}" for item, ids in dup.examples)
        err_console.print(
            f"[yellow]duplicates:[/] {dup.items} items are on more than one task "
            f"({dup.extra_tasks} extra tasks), e.g. {examples}; remove them with "
            f"`empathykit annotate dedupe -p {report.project_id}`",
            highlight=False,
        )
    if report.counters.tasks:
        from empathykit.annotate.status import COUNTER_FIX

        task_id, counted, stored = report.counters.examples[0]
        err_console.print(
            f"[yellow]counters:[/] on {report.counters.tasks} tasks Label Studio's counters disagree "
            f"with the annotations stored (e.g. task {task_id}: counted {counted}, stored {stored}), "
            f"so the progress above is wrong. Fix: {COUNTER_FIX}",
            highlight=False,
        )
    err_console.print(report.project_url, highlight=False)


@app.command("dedupe")
def dedupe_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Project title or id.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would be deleted.")] = False,
) -> None:
    """Delete later copies of items present more than once (earliest task kept; annotated copies never deleted, reported)."""
    from empathykit.annotate.duplicates import dedupe
    from empathykit.cli._common import err_console, progress

    with progress("reading the project's tasks") as on_progress:
        report = dedupe(project, dry_run=dry_run, on_progress=on_progress)
    dup = report.duplicates
    verb = "would delete" if report.dry_run else "deleted"
    err_console.print(
        f"{report.project_title} (id {report.project_id}): {report.tasks} tasks, {dup.items} items on "
        f"more than one task; {verb} {len(report.deleted)} unannotated later copies",
        highlight=False,
    )
    if report.annotated:
        shown = ", ".join(f"{item!r} (task {task})" for item, task in report.annotated[:5])
        err_console.print(
            f"[yellow]kept:[/] {len(report.annotated)} later copies carry annotations and were not "
            f"deleted: {shown}; merge or delete them in the UI",
            highlight=False,
        )
    err_console.print(report.project_url, highlight=False)


annotate_model.register(app)
