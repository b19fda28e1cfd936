"""``annotate push``: items → Label Studio tasks, validated first, imported in batches.

Order of work, so that a failure never leaves a mess:

1. read the items, give each a stable ``item_id``, validate every record with
   the schema (and every pre-annotation / gold value) — nothing is sent
   before all of them pass;
2. create the project (Label Studio validates the labeling config) or reuse
   it; created, then resolved to the lowest id of that title, so concurrent
   pushes share one project (``concurrency``);
3. list the item ids already in the project and skip them (idempotent; the
   ledger the last push left in ``project_dir()/push/`` is checked with one
   count and brought up to date with the tasks changed since, see
   ``concurrency``);
4. import the rest in batches of ``batch_size`` tasks (one request each, with
   predictions and gold annotations inline), re-checking before each batch
   what other pushes imported meanwhile, and deleting this run's own tasks
   that lost a race afterwards (``concurrency``). A batch Label Studio refuses
   stops the push with the batch named; re-running the same command imports
   what is missing, without duplicates.

Task data = the record's columns (JSON-safe) + ``item_id`` (+ ``round``).

Options of ``push``:

- ``items``: a CSV/JSONL/Parquet path, dicts, or ``"<dataset>:<path>"`` for a
  released data set the registry knows (``epitome:...``, ``emolit:...``;
  ``schema`` then defaults to the release's, and the reader's problems are
  listed in the report).
- ``id_column``: the items' stable id (default ``item_id``, then ``id``, else a
  hash of the schema's inputs).
- ``round_size``: put ``round`` (1, 2, ...) in the task data, ``round_size``
  items per round in input order; ``first_round`` numbers the first one
  (default: the numbering of an earlier push of the same items, else after the
  highest round of the project's other tasks).
- ``overlap``: k annotators per task (``maximum_annotations``).
- ``predictions_column``: pre-annotations, a typed value of the schema's target
  or a ``{field: value}`` dict (or its JSON); ``model_version`` names the model
  (required with predictions); ``prediction_score_column``.
- ``gold_column``: ground-truth values (same form); the task gets a
  ground-truth annotation and the project serves gold tasks first.
- ``on_progress``: ``empathykit.progress``; tasks imported of those to import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from empathykit.annotate import projects as prj
from empathykit.annotate.concurrency import import_guarded, remove_lost_races, resolve_project, sweep_twins
from empathykit.annotate.connection import Connection, StudioClient, batches_arrived, connect, short_body
from empathykit.annotate.ledger import Ledger, saved_ledger
from empathykit.annotate.push_items import check_settings, prepare, resolve_input
from empathykit.errors import StudioConnectionError, StudioError
from empathykit.progress import Progress
from empathykit.schemas.base import Schema

# tasks per import request: per-request work (the guard's re-check, Label Studio's counters) made 1000-task
# batches 1.5-1.8x slower than 5000-task ones on a 20,000-task push; 5000 short tasks are a few MB
DEFAULT_BATCH_SIZE = 5000


@dataclass
class PushReport:
    """What a push did. ``skipped``: items already in the project;
    ``duplicates``: repeated item ids in the input (first one kept)."""

    project_id: int
    project_title: str
    project_url: str
    project_created: bool
    schema: str
    items: int
    created: int
    skipped: int
    duplicates: int
    batches: int
    ids_from: str
    rounds: list[int] = field(default_factory=list)
    predictions: int = 0
    gold: int = 0
    overlap: int | None = None
    config_differs: bool = False
    problems: list[str] = field(default_factory=list)  # from a data set reader
    bad_lines: list[str] = field(default_factory=list)  # malformed input lines skipped (skip_bad)
    race_removed: int = 0  # own tasks deleted after a concurrent push imported the same items first
    race_kept: list[str] = field(default_factory=list)  # item ids left twice: the twin was annotated meanwhile


def push(
    items: str | Path | Iterable[Mapping[str, Any]],
    *,
    schema: str | Schema | None,
    project: str,
    id_column: str | None = None,
    round_size: int | None = None,
    first_round: int | None = None,
    overlap: int | None = None,
    predictions_column: str | None = None,
    prediction_score_column: str | None = None,
    model_version: str | None = None,
    gold_column: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    schema_options: Mapping[str, Any] | None = None,
    skip_bad: bool = False,
    connection: Connection | None = None,
    on_progress: Progress | None = None,
) -> PushReport:
    """Push ``items`` as tasks of ``schema`` into the project titled
    ``project`` (created if missing); the options are in the module docstring.

    Raises ``SchemaError``/``InputError`` before anything is sent when an item
    lacks a field, ``StudioError`` naming the failed batch.
    """
    problems: list[str] = []
    items, schema = resolve_input(items, schema, schema_options, problems)
    check_settings(project, batch_size, round_size, overlap, predictions_column, model_version)
    # 1. read, identify, validate: nothing leaves before every record passes
    prepared = prepare(items, schema, id_column, skip_bad, predictions_column, prediction_score_column, gold_column)
    records, predictions, gold = prepared.records, prepared.predictions, prepared.gold
    # 2. the project
    client = connect(connection)
    ref, created = _project(client, project, schema, overlap, bool(gold))
    # 3. what is there already
    ledger = Ledger(client, ref.id, saved_ledger(client, ref.id))
    ledger.refresh()
    if round_size:
        _number_rounds(records, ledger.rounds, round_size, first_round)
    todo = [r for r in records if not ledger.present(r["item_id"])]
    # 4. batched import
    tasks = [
        _task(
            r,
            predictions.get(r["item_id"]),
            prediction_score_column,
            model_version,
            gold.get(r["item_id"]),
            schema,
            (predictions_column, gold_column, prediction_score_column),
        )
        for r in todo
    ]
    batches = [tasks[i : i + batch_size] for i in range(0, len(tasks), batch_size)]
    _import_batches(client, ref, ledger, batches, on_progress)
    race_removed, race_kept = remove_lost_races(ledger, lambda item: 1 if item in gold else 0)
    ledger.save()  # the next push of this project reads only what changed after this one
    if created:  # only the winner's creator deletes twins, one at a time
        sweep_twins(client, project)
    mine = {item for item, ids in ledger.tasks.items() if ids and min(ids) in ledger.ours}
    return PushReport(
        project_id=ref.id,
        project_title=ref.title,
        project_url=ref.url,
        project_created=created,
        schema=schema.name,
        items=len(records),
        created=len(mine),
        skipped=len(records) - len(mine),
        duplicates=prepared.duplicates,
        batches=len(batches),
        ids_from=prepared.ids_from,
        rounds=sorted({r["round"] for r in records}) if round_size else [],
        predictions=len(mine & predictions.keys()),
        gold=len(mine & gold.keys()),
        overlap=overlap if overlap is not None else ref.maximum_annotations,
        config_differs=not created and _normalise(ref.label_config) != _normalise(schema.label_config()),
        problems=problems,
        bad_lines=prepared.bad_lines,
        race_removed=race_removed,
        race_kept=race_kept,
    )


def _project(
    client: StudioClient, project: str, schema: Schema, overlap: int | None, has_gold: bool
) -> tuple[prj.ProjectRef, bool]:
    """The project titled ``project``: created, or reused when it holds the same schema."""
    settings: dict[str, Any] = {}
    if overlap is not None:
        settings.update(maximum_annotations=overlap, overlap_cohort_percentage=100)
    if has_gold:
        settings.update(annotator_evaluation_enabled=True)
    ref, created = resolve_project(
        client,
        project,
        lambda: prj.create_project(
            client,
            title=project,
            schema_name=schema_tag(schema),
            label_config=schema.label_config(),
            instructions=schema.instructions,
            settings=settings,
        ),
    )
    if not created:
        if ref.schema is not None and ref.schema.split(" ")[0] != schema.name:
            raise StudioError(
                f"project {ref.title!r} (id {ref.id}) holds schema {ref.schema.split(' ')[0]!r}, not {schema.name!r}",
                hint="push into another project title",
            )
        prj.update_project(client, ref, settings)
    return ref, created


def _number_rounds(
    records: list[dict[str, Any]], existing: dict[str, Any], round_size: int, first_round: int | None
) -> None:
    """Put ``round`` in each record, ``round_size`` records per round in input order."""
    if first_round is None:
        first_round = _first_round(records, existing, {r["item_id"] for r in records}, round_size)
    for position, record in enumerate(records):
        record["round"] = first_round + position // round_size


def _import_batches(
    client: StudioClient, ref: prj.ProjectRef, ledger: Ledger, batches: list[list[dict]], on_progress: Progress | None
) -> None:
    sent: list[int] = []

    def send(batch: list[dict], number: int, total: int) -> list[int]:
        try:
            ids = _import(client, ref, batch, number, total)
        except StudioConnectionError as error:
            raise batches_arrived(error, number - 1, total, len(sent)) from None
        sent.extend(ids)
        return ids

    import_guarded(ledger, batches, send, on_progress)


def _first_round(records: list[dict[str, Any]], existing: dict[str, Any], ours: set[str], round_size: int) -> int:
    """Resume an earlier push of this input with its own numbering; else start
    after the highest round of the project's other tasks."""
    for position, record in enumerate(records):
        known = existing.get(record["item_id"])
        if isinstance(known, int):
            return known - position // round_size
    return 1 + max(
        (int(rnd) for item, rnd in existing.items() if item not in ours and isinstance(rnd, (int, float))), default=0
    )


def schema_tag(schema: Schema) -> str:
    """How the project description records the schema: its name, plus its
    options as JSON when it has any (so pull can rebuild the same schema)."""
    if schema.options:
        return f"{schema.name} {json.dumps(dict(schema.options), sort_keys=True, separators=(',', ':'))}"
    return schema.name


def _normalise(xml: str) -> str:
    return " ".join(xml.split())


def _task(
    record: dict[str, Any],
    prediction: dict | None,
    score_column: str | None,
    model_version: str | None,
    gold: dict | None,
    schema: Schema,
    consumed: tuple[str | None, ...],
) -> dict[str, Any]:
    data = {k: v for k, v in record.items() if k not in consumed}
    task: dict[str, Any] = {"data": data}
    if prediction is not None:
        entry: dict[str, Any] = {"model_version": model_version, "result": schema.to_results(prediction)}
        score = record.get(score_column) if score_column else None
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            entry["score"] = float(score)
        task["predictions"] = [entry]
    if gold is not None:
        # imported annotations default to ground truth; say so explicitly anyway
        task["annotations"] = [{"result": schema.to_results(gold), "ground_truth": True}]
    return task


def _import(client: StudioClient, ref: prj.ProjectRef, batch: list[dict], number: int, total: int) -> list[int]:
    from label_studio_sdk.core.api_error import ApiError

    first, last = batch[0]["data"]["item_id"], batch[-1]["data"]["item_id"]
    where = f"batch {number}/{total} (items {first!r}..{last!r})"
    hint = "re-run the same command: items already imported are skipped, the rest are imported"
    try:
        with client.call(f"importing {where} into project {ref.id}"):
            try:
                answer = client.sdk.projects.import_tasks(ref.id, request=batch, return_task_ids=True)
            except ApiError as error:
                if error.status_code in (401, 403):
                    raise  # a refused key, not a refused batch
                raise StudioError(
                    f"Label Studio at {client.url} refused {where} of project {ref.id}: "
                    f"HTTP {error.status_code}: {short_body(error.body)}",
                    hint=hint,
                ) from None
    except StudioError as error:
        if error.hint is None:
            error.hint = hint
        raise
    return list(answer.task_ids or [])
