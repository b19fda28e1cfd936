"""Task variants: the named configs one annotation set exports to, whether the
labels come from annotations (``exports``) or from a published release
(``releases.registry``): both read this one list.

API::

    Variant(name, source, kind, label_names=None, mapping=None, inputs=(), scale=None,
            description="", extra={})
    variants_for(schema) -> list[Variant]      # every variant that applies, default order
    select(variants, tasks, source=...) -> list  # ``--task``; ExportError names the known ones

``source`` is the aggregated column the variant reads (``label``: the schema's
target; else a field name: EPITOME's mechanisms, story-pair's four similarities); ``mapping`` (when set)
maps the source's labels to the variant's (``seeking``/``providing`` →
``positive`` for ``empathy-vs-none``, section 5 of the TwittEmp paper).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from empathykit.errors import ExportError


@dataclass(frozen=True)
class Variant:
    name: str
    source: str
    kind: str  # "choice" | "multichoice" | "rating"
    label_names: tuple[str, ...] | None = None
    mapping: dict[str, str] | None = None
    inputs: tuple[str, ...] = ()
    scale: tuple[float, float] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def map_label(self, value: Any) -> Any:
        return self.mapping.get(value, value) if self.mapping and isinstance(value, str) else value


def _one_vs_rest(name: str, label: str, labels: Sequence[str], inputs: tuple[str, ...]) -> Variant:
    return Variant(
        name,
        "label",
        "choice",
        ("rest", label),
        {other: "rest" for other in labels if other != label},
        inputs,
        description=f"{label} vs the other classes",
    )


#: Schemas whose every field of this kind is a config of its own, named as the release importer names it
#: (``releases/registry.py``), so a model trained on a release reads an annotation export.
PER_FIELD = {"epitome": "choice", "story-pair": "rating"}


def _per_field(schema, inputs: tuple[str, ...]) -> list[Variant]:
    fields = [f for f in schema.fields if f.kind == PER_FIELD[schema.name]]
    fields.sort(key=lambda f: f.name != schema.target)  # the target first, then the schema's order
    return [
        Variant(
            f.name,
            f.name,
            f.kind,
            tuple(f.labels) if f.kind == "choice" else None,
            None,
            inputs,
            tuple(map(float, f.scale)) if f.kind == "rating" and f.scale else None,
            f.description or f.name,
            {"rationales": f"{f.name}_rationales"} if schema.name == "epitome" else {},
        )
        for f in fields
    ]


def variants_for(schema) -> list[Variant]:
    """Every variant that applies to ``schema`` (its target field first)."""
    if schema.target is None:
        raise ExportError(f"schema {schema.name!r} has no target field to export", hint="pick a schema with a target")
    target = schema.field(schema.target)
    inputs = tuple(schema.inputs)
    base = Variant(
        schema.name if schema.name == "seek-provide" else target.name,
        "label",
        target.kind,
        tuple(target.labels) if target.kind != "rating" else None,
        None,
        inputs,
        tuple(map(float, target.scale)) if target.scale else None,
        target.description or target.name,
    )
    if schema.name in PER_FIELD:  # one config per annotated field of the kind the releases export
        return _per_field(schema, inputs)
    variants = [base]
    labels = tuple(target.labels)
    if schema.name == "seek-provide" and {"seeking", "providing"} <= set(labels):
        none = [label for label in labels if label not in ("seeking", "providing")]
        variants.append(
            Variant(
                "empathy-vs-none",
                "label",
                "choice",
                (*none, "empathy"),
                {"seeking": "empathy", "providing": "empathy"},
                inputs,
                description="seeking or providing vs none",
            )
        )
        variants += [
            _one_vs_rest("seek-vs-rest", "seeking", labels, inputs),
            _one_vs_rest("provide-vs-rest", "providing", labels, inputs),
        ]
    return variants


def select(variants: list, tasks: Sequence[str] | None, *, source: str = "this schema") -> list:
    """The variants (or any named configs) ``--task`` names, in their own order; all without ``tasks``.
    An unknown name is one line listing the known ones."""
    if not tasks:
        return variants
    known = [v.name for v in variants]
    unknown = [t for t in tasks if t not in known]
    if unknown:
        raise ExportError(
            f"task {', '.join(map(repr, unknown))} does not apply; {source} has {', '.join(known)}",
            hint=f"pass --task with some of: {', '.join(known)}",
        )
    return [v for v in variants if v.name in tasks]
