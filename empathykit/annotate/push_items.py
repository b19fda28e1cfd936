"""The items of a push, before anything is sent: read (a file, records, or a released data
set), given stable ids, deduplicated and validated with the schema, with their typed
pre-annotations and gold values; and the push's settings checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from empathykit.errors import InputError, SchemaError
from empathykit.records import assign_item_ids, json_safe, read_records
from empathykit.releases.registry import parse_spec, read_dataset, release
from empathykit.schemas import get_schema
from empathykit.schemas.base import Schema

MAX_TITLE = 50  # Label Studio's limit on project titles


def resolve_input(
    items: str | Path | Iterable[Mapping[str, Any]],
    schema: str | Schema | None,
    schema_options: Mapping[str, Any] | None,
    problems: list[str],
):
    """The items (a ``<dataset>:<path>`` read by its release's reader, whose problems are
    collected) and the schema (the release's when none is given)."""
    dataset = parse_spec(items) if isinstance(items, (str, Path)) else None
    if dataset is not None:
        name, path = dataset
        if schema is None and release(name).schema:
            schema = release(name).schema
            schema_options = {**release(name).schema_options, **dict(schema_options or {})}
        items = read_dataset(name, path, on_problem=lambda problem: problems.append(str(problem)))
    if schema is None:
        raise SchemaError("no schema given (expected --schema NAME, e.g. seek-provide)")
    if isinstance(schema, str):
        schema = get_schema(schema, **dict(schema_options or {}))
    return items, schema


def check_settings(
    project: str,
    batch_size: int,
    round_size: int | None,
    overlap: int | None,
    predictions_column: str | None,
    model_version: str | None,
) -> None:
    if batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {batch_size}")
    if round_size is not None and round_size < 1:
        raise InputError(f"round size must be at least 1, got {round_size}")
    if overlap is not None and overlap < 1:
        raise InputError(f"overlap must be at least 1 annotator, got {overlap}")
    if not project.strip() or len(project) > MAX_TITLE:
        raise InputError(
            f"project title {project!r} has {len(project)} characters; Label Studio takes 1 to {MAX_TITLE}"
        )
    if predictions_column and not model_version:
        raise InputError("pre-annotations need a model version (--model-version, e.g. 'lexicon-v1')")


@dataclass
class Prepared:
    """The items read, identified and validated, with their typed pre-annotations and gold."""

    records: list[dict[str, Any]]
    ids_from: str
    duplicates: int
    predictions: dict[str, dict[str, Any]]
    gold: dict[str, dict[str, Any]]
    bad_lines: list[str]


def prepare(
    items,
    schema: Schema,
    id_column: str | None,
    skip_bad: bool,
    predictions_column: str | None,
    score_column: str | None,
    gold_column: str | None,
) -> Prepared:
    bad_lines: list[str] = []
    if isinstance(items, (str, Path)):
        keep_text = [c for c in (id_column, "item_id", "id") if c]
        records = read_records(items, string_columns=keep_text, skip_bad=skip_bad, on_bad=bad_lines.append)
    else:
        records = [{str(k): json_safe(v) for k, v in dict(r).items()} for r in items]
        if not records:
            raise InputError("no items to push (expected at least one record)")
    ids_from = assign_item_ids(records, schema.inputs, id_column)
    for column in (predictions_column, score_column, gold_column):
        if column and not any(column in r for r in records):
            raise InputError(f"no column {column!r} in the input")
    schema.validate_records(records)
    records, duplicates = _dedupe(records)

    def typed(column: str | None) -> dict[str, dict[str, Any]]:
        values = {r["item_id"]: _typed(schema, r, column) for r in records} if column else {}
        return {k: v for k, v in values.items() if v is not None}

    return Prepared(records, ids_from, duplicates, typed(predictions_column), typed(gold_column), bad_lines)


def _dedupe(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    seen: dict[str, dict[str, Any]] = {}
    for position, record in enumerate(records):
        item = record["item_id"]
        first = seen.get(item)
        if first is None:
            seen[item] = record
        elif first != record:
            raise InputError(
                f"item {item!r} appears twice with different content (second at record {position})",
                hint="give every item a unique id (--id-column) or drop the duplicate",
            )
    return list(seen.values()), len(records) - len(seen)


def _typed(schema: Schema, record: Mapping[str, Any], column: str | None) -> dict[str, Any] | None:
    """The ``{field: value}`` of a prediction/gold cell, checked against the schema."""
    raw = record.get(column) if column else None
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.lstrip().startswith(("{", "[")):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise SchemaError(f"item {record['item_id']!r}: column {column!r} holds invalid JSON") from None
    if isinstance(raw, Mapping):
        values = dict(raw)
    elif schema.target is not None:
        values = {schema.target: raw}
    else:
        raise SchemaError(
            f"item {record['item_id']!r}: column {column!r} must hold a {{field: value}} dict "
            f"(schema {schema.name!r} has no single target field)"
        )
    try:
        results = schema.to_results(values)
    except (SchemaError, KeyError, TypeError, ValueError) as error:
        raise SchemaError(f"item {record['item_id']!r}: column {column!r}: {error}") from None
    _, unknown = schema.parse_results(results)
    if unknown:
        raise SchemaError(f"item {record['item_id']!r}: column {column!r}: {unknown[0]['reason']}")
    return values
