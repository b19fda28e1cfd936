"""What ``/predict`` accepts: the request limits, and each task read into a model record or an error.

Label Studio sends ``{"tasks": [{"id", "data": {column: text}}, ...]}``, but anything can reach
the port. Every task is checked on its own before any reaches the model, so a task that is not an
object, lacks a text, holds a number or ``null``, a lone surrogate (``"\\ud800"``: valid JSON,
but no text a tokenizer can encode) or a text over the size limit gets its own error and never
shares a model call with the others. Too many tasks, or a body too large, refuse the whole
request (HTTP 413) before any is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from empathykit.errors import InputError


@dataclass(frozen=True)
class Limits:
    """What one ``/predict`` request may hold. A Label Studio "retrieve predictions" sends the whole
    selection in one request, hence the generous task count; the model truncates long texts anyway."""

    max_tasks: int = 10_000
    max_text_bytes: int = 100_000
    max_body_bytes: int = 64 * 2**20

    def __post_init__(self) -> None:
        for name in ("max_tasks", "max_text_bytes", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise InputError(f"{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")


class TooLarge(InputError):
    """A request over the limits: HTTP 413."""


def check_count(tasks: Sequence[Any], limits: Limits) -> None:
    if len(tasks) > limits.max_tasks:
        raise TooLarge(
            f"the request holds {len(tasks):,} tasks; this server takes at most {limits.max_tasks:,} per request",
            hint="send fewer tasks per request, or start serve with a larger --max-tasks",
        )


def task_label(task: Any, position: int) -> str:
    """How an answer names a task: its id when it has a plain one, else its position."""
    ident = task.get("id") if isinstance(task, Mapping) else None
    if isinstance(ident, (int, str)) and not isinstance(ident, bool) and len(str(ident)) <= 64:
        return f"task {ident}"
    return f"task #{position + 1}"


def read_task(task: Any, position: int, inputs: Sequence[str], limits: Limits) -> dict[str, str]:
    """The model record of one task (its input texts), or ``InputError`` saying what is wrong with it."""
    label = task_label(task, position)
    if not isinstance(task, Mapping):
        raise InputError(f"{label} is {_kind(task)}, not an object with 'data'")
    data = task.get("data")
    if not isinstance(data, Mapping):
        raise InputError(f"{label}: 'data' is {_kind(data)}, not an object of texts ({', '.join(inputs)})")
    record = {}
    for column in inputs:
        value = data.get(column)
        if not isinstance(value, str):
            found = "missing" if column not in data else _kind(value)
            raise InputError(f"{label}: no text in {column!r} ({found}); the model reads {list(inputs)}")
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise InputError(
                f"{label}: {column!r} holds an unpaired surrogate (a \\ud800-\\udfff escape "
                "without its pair), which is not text"
            ) from None
        if size > limits.max_text_bytes:
            raise InputError(
                f"{label}: {column!r} is {size:,} bytes; this server reads at most "
                f"{limits.max_text_bytes:,} per text (serve --max-text-bytes)"
            )
        if not value.strip():
            raise InputError(f"{label}: no text in {column!r} (blank); the model reads {list(inputs)}")
        record[column] = value
    return record


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__
