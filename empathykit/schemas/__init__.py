"""Annotation schemas, one module per task; each module defines ``SCHEMA``
(or ``build_schema(**options)`` for configurable tasks). Adding a schema means
adding one module here: the registry discovers them.

Modules:

- ``_xml``: Small builders for Label Studio config XML, shared by the schema modules
- ``base``: What every annotation schema is made of
- ``emotion``: Emotions in a text, several per text, plus sentiment polarity
- ``epitome``: EPITOME
- ``seek_provide``: TwittEmp
- ``story_features``: EmpathicStories story features
- ``story_pair``: EmpathicStories story pairs
- ``variants``: Task variants
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from empathykit.errors import SchemaError
from empathykit.schemas.base import Field, Schema

__all__ = ["Field", "Schema", "get_schema", "schema_names"]


def _modules() -> dict[str, str]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name not in ("base", "variants"):
            found[info.name.replace("_", "-")] = f"{__name__}.{info.name}"
    return found


def schema_names() -> list[str]:
    return sorted(_modules())


def get_schema(name: str, **options: Any) -> Schema:
    """The schema called ``name`` (e.g. ``seek-provide``), built with ``options``
    when its module offers ``build_schema``."""
    modules = _modules()
    if name not in modules:
        raise SchemaError(f"unknown schema {name!r}; expected one of {', '.join(sorted(modules))}")
    module = importlib.import_module(modules[name])
    if hasattr(module, "build_schema"):
        accepted = inspect.signature(module.build_schema).parameters
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise SchemaError(f"schema {name!r} has no option(s) {unknown}; expected some of {sorted(accepted)}")
        return module.build_schema(**options)
    if options:
        raise SchemaError(f"schema {name!r} takes no options (got {sorted(options)})")
    return module.SCHEMA
