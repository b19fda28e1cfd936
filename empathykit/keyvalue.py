"""``KEY=VALUE`` options, parsed in one place: ``--set``, ``--schema-option``, ``--aux``,
``--teacher``, ``--search`` and ``--label-map`` all read their pairs here, so every one of them
accepts and refuses the same spellings and says so in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable

from empathykit.errors import EmpathykitError, InputError


def split_pair(
    text: str,
    option: str,
    example: str,
    *,
    form: str = "KEY=VALUE",
    empty_value: bool = False,
    error: type[EmpathykitError] = InputError,
) -> tuple[str, str]:
    """``(key, value)`` of one ``KEY=VALUE``, both stripped; a missing ``=`` or key (or value,
    unless ``empty_value``) is one line naming the option, the expected ``form`` and an example."""
    key, sep, value = str(text).partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not (value or empty_value):
        raise error(f"{option} {text!r}: expected {form} (e.g. {example})")
    return key, value


def parse_pairs(
    values: Iterable[str],
    option: str,
    example: str,
    *,
    form: str = "KEY=VALUE",
    empty_value: bool = False,
    error: type[EmpathykitError] = InputError,
) -> dict[str, str]:
    """``{key: value}`` of repeated ``KEY=VALUE`` options (a later key wins)."""
    return dict(split_pair(v, option, example, form=form, empty_value=empty_value, error=error) for v in values)


def parse_list(
    text: str, option: str, example: str, *, form: str = "KEY=VALUE", error: type[EmpathykitError] = InputError
) -> list[tuple[str, str]]:
    """``[(key, value), ...]`` of one comma-separated ``K1=V1,K2=V2`` (keys may repeat, in order)."""
    pairs = [split_pair(p, option, example, form=form, error=error) for p in str(text).split(",") if p.strip()]
    if not pairs:
        raise error(f"{option} is empty", hint=f"e.g. {option} {example}")
    return pairs
