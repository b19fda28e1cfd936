"""``annotate next-round``: choose the pool items most worth annotating and push them as the next round.

1. The pool is read and identified like ``annotate push`` does (``item_id``, else ``id``, else a
   hash of the schema's inputs); items already in the project are never candidates.
2. The model, opened once (:func:`empathykit.predict.models.open_model`: ``config.yaml`` read and
   the weights loaded once), scores every candidate in one pass (:mod:`empathykit.active.outputs`:
   probabilities, embeddings and the prediction rows) and the strategy picks ``size`` of them
   (:mod:`empathykit.active.strategies`; ``diversity`` also keeps away from the items already in
   the project).
3. The chosen items carry the prediction rows of that pass in the schema's terms (what ``serve``
   answers) and are written to OUT (Parquet, with
   ``al_rank``, ``al_score``, ``al_strategy`` and ``prelabel_model_version``, which the export card
   reports), with ``OUT.selection.json`` beside it: strategy, seed,
   model version, pool counts and each chosen item's score. Only then are they pushed as one new
   round with their predictions and scores, so the Data Manager shows and sorts them. An
   ``OUT.selection.json`` of an earlier round is never overwritten: the run stops before scoring,
   naming that round (each round gets its own OUT).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empathykit.active.needs import require_libraries
from empathykit.active.outputs import check_scoring_model, model_outputs
from empathykit.active.strategies import STRATEGIES, select, uncertainty
from empathykit.annotate import projects as prj
from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.pull import resolve_schema
from empathykit.annotate.push import push
from empathykit.errors import InputError, OutputError, SchemaError
from empathykit.exports.card import PRELABEL_COLUMN
from empathykit.io import check_output, write_json, write_parquet
from empathykit.predict.models import LoadedModel
from empathykit.predict.values import model_label_names, to_values
from empathykit.progress import Progress
from empathykit.records import assign_item_ids, read_records
from empathykit.schemas import get_schema
from empathykit.schemas.base import Schema

MAX_CENTRES = 2000  # labelled items diversity keeps away from (a seeded sample beyond that)


@dataclass
class NextRoundReport:
    project_id: int
    project_title: str
    project_url: str
    round: int
    strategy: str
    seed: int
    model_version: str
    pool: int
    in_project: int
    candidates: int
    chosen: int
    pushed: int
    predicted: int
    out: str
    selection: str
    scores: list[float] = field(default_factory=list)


def selection_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".selection.json")


def keep_earlier_round(out: str | Path, project: str, number: int) -> None:
    """Stop before any scoring when ``OUT.selection.json`` records another round (or project) than
    round ``number`` of ``project``: replacing it would lose why that round's items were chosen."""
    record = selection_path(out)
    if not record.is_file():
        return
    try:
        earlier = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = {}
    if isinstance(earlier, dict) and earlier.get("round") == number and earlier.get("project") == project:
        return  # this round, chosen before but not pushed whole: choosing it again replaces nothing pushed
    which = (
        f"round {earlier.get('round')} of project {earlier.get('project')!r}"
        if isinstance(earlier, dict)
        else "an earlier round"
    )
    raise OutputError(
        f"{record} records why {which} was chosen; round {number} of {project!r} would overwrite it "
        "(nothing was scored or pushed)",
        hint=f"name another output, e.g. -o {Path(out).with_name(f'round-{number}.parquet')}",
    )


def next_round(
    project: str | int,
    pool: str | Path,
    model_dir: str | Path,
    *,
    size: int,
    out: str | Path,
    strategy: str = "uncertainty",
    seed: int = 0,
    schema: str | Schema | None = None,
    id_column: str | None = None,
    connection: Connection | None = None,
    on_progress: Progress | None = None,
) -> NextRoundReport:
    """Choose ``size`` items of ``pool`` for ``project`` by ``strategy`` and push them as the next round."""

    require_libraries("annotate next-round")
    check_choice(strategy, size)
    model = check_scoring_model(model_dir)  # opened once: config.yaml read and the weights loaded here only
    if Path(out).suffix.lower() != ".parquet":
        raise InputError(f"{out}: the chosen items are written as Parquet; expected a .parquet file name")
    check_output(out, "file", output="selection")
    check_output(selection_path(out), "file", output="selection-record", label="selection record")
    client = connect(connection)
    ref = prj.find_project(client, project)
    if ref is None and schema is None:
        raise InputError(f"no project {project!r} yet", hint="pass --schema to start it with this round")
    chosen_schema = _schema(ref, schema)
    names, version = prelabel_names(model, chosen_schema)  # a model that cannot pre-label stops before any work
    records = read_records(pool, string_columns=[c for c in (id_column, "item_id", "id") if c])
    if not records:
        raise InputError(f"{pool}: no items in the pool")
    assign_item_ids(records, chosen_schema.inputs, id_column)
    tasks = list(prj.iter_tasks(client, ref.id, include="id,data", on_progress=on_progress)) if ref is not None else []
    present = {str((t.get("data") or {}).get("item_id")) for t in tasks}
    rounds = [r for t in tasks if isinstance(r := (t.get("data") or {}).get("round"), (int, float))]
    unique = {r["item_id"]: r for r in records}
    candidates = [r for item, r in unique.items() if item not in present]
    in_project = len(unique) - len(candidates)  # pool items the project holds (not the project's size)
    if not candidates:
        raise InputError(
            f"every pool item is already in project {project!r}; nothing to choose", hint="add items to the pool"
        )
    keep_earlier_round(out, ref.title if ref else str(project), int(max(rounds, default=0)) + 1)
    selection, scored = _choose(
        model, candidates, tasks, size=size, strategy=strategy, seed=seed, on_progress=on_progress
    )
    next_number = int(max(rounds, default=0)) + 1
    chosen = [
        {
            **candidates[i],
            "al_rank": rank + 1,
            "al_score": score,
            "al_strategy": strategy,
            "round": next_number,
            PRELABEL_COLUMN: version,
        }
        for rank, (i, score) in enumerate(zip(selection.indices, selection.scores))
    ]
    rows = [scored.rows[i] for i in selection.indices]
    predicted = _write_with_predictions(chosen, rows, out, chosen_schema, names)
    facts = {
        "project": ref.title if ref else str(project),
        "project_id": ref.id if ref else None,
        "round": next_number,
        "strategy": strategy,
        "seed": seed,
        "model": str(model_dir),
        "model_version": version,
        "pool": len(records),
        "in_project": in_project,
        "candidates": len(candidates),
        "size": size,
        "kind": scored.kind,
        "chosen": [{"item_id": c["item_id"], "rank": c["al_rank"], "score": c["al_score"]} for c in chosen],
    }
    write_json(selection_path(out), facts, output="selection-record")
    pushed = push(
        out,
        schema=chosen_schema,
        project=ref.title if ref else str(project),
        predictions_column="prediction" if predicted else None,
        prediction_score_column="prediction_score" if predicted else None,
        model_version=version if predicted else None,
        connection=connection,
        on_progress=on_progress,
    )
    if facts["project_id"] is None:  # the round started the project
        write_json(selection_path(out), {**facts, "project_id": pushed.project_id}, output="selection-record")
    return NextRoundReport(
        project_id=pushed.project_id,
        project_title=pushed.project_title,
        project_url=pushed.project_url,
        round=next_number,
        strategy=strategy,
        seed=seed,
        model_version=version,
        pool=len(records),
        in_project=in_project,
        candidates=len(candidates),
        chosen=len(chosen),
        pushed=pushed.created,
        predicted=pushed.predictions,
        out=str(out),
        selection=str(selection_path(out)),
        scores=selection.scores,
    )


def check_choice(strategy: str, size: int) -> None:
    """A strategy and round size that can choose, before any pool is read or model loaded."""

    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if size < 1:
        raise InputError(f"the round size must be at least 1, got {size}")


def _choose(
    model: LoadedModel,
    candidates: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    *,
    size: int,
    strategy: str,
    seed: int,
    on_progress: Progress | None,
):
    """The strategy's pick among ``candidates`` and their scores (rows, probabilities, embeddings);
    ``diversity`` keeps away from the project's items (``tasks``)."""

    scored = model_outputs(model, candidates, on_progress=on_progress)
    centres = None
    if strategy == "diversity" and tasks:
        labelled = [dict(t["data"]) for t in tasks if isinstance(t.get("data"), dict)]
        if len(labelled) > MAX_CENTRES:
            labelled = random.Random(seed).sample(labelled, MAX_CENTRES)
        centres = model_outputs(model, labelled).embeddings
    scores = uncertainty(scored.kind, scored.outputs, strategy)
    return select(scores, size, strategy, embeddings=scored.embeddings, labelled=centres, seed=seed), scored


def _schema(ref: prj.ProjectRef | None, schema: str | Schema | None) -> Schema:
    if ref is not None:
        return resolve_schema(ref, schema)
    return get_schema(schema) if isinstance(schema, str) else schema  # type: ignore[return-value]


def prelabel_names(model: LoadedModel, schema: Schema) -> tuple[dict[str, str], str]:
    """The model's label names on the schema's and its version; one line, before any work, when the model
    cannot pre-label the schema's target (another kind, labels that map onto none)."""
    target = schema.field(schema.target) if schema.target else None
    info, version = model.info, model.version
    if target is None or info.get("kind") != target.kind:
        raise SchemaError(
            f"model {version} predicts {info.get('kind')} labels, but {schema.name!r}'s target is "
            f"{target.kind if target else 'missing'}",
            hint="choose with a model trained on this schema",
        )
    try:
        return model_label_names(info, target), version
    except InputError as error:
        raise SchemaError(f"model {version} cannot pre-label {schema.name!r}: {error}") from None


def _write_with_predictions(
    chosen: list[dict[str, Any]], rows: list[dict[str, Any]], out: str | Path, schema: Schema, names: dict[str, str]
) -> bool:
    """OUT with ``prediction``/``prediction_score`` as ``serve`` answers them (labels, levels, a 1-4 rating)
    from the model's prediction ``rows`` (``names``: :func:`prelabel_names`). Returns whether it predicted."""
    import pyarrow as pa

    target = schema.field(schema.target)  # type: ignore[arg-type]
    written = []
    for item, row in zip(chosen, rows, strict=True):
        values = to_values(row, schema, names)
        single = values is not None and target is not None and set(values) == {target.name}
        if values is None:  # not pre-labelled: the item does not say a model did
            item = {**item, PRELABEL_COLUMN: None}
        written.append(
            {
                **item,
                "prediction": (values[target.name] if single else json.dumps(values)) if values else None,
                "prediction_score": row.get("prediction_score") if values else None,
            }
        )
    write_parquet(out, pa.Table.from_pylist(written), output="selection")
    return any(w["prediction"] is not None for w in written)
