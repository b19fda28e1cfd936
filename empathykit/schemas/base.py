"""What every annotation schema is made of.

A schema module (one per annotation task, in this package) defines a
``SCHEMA`` object: the Label Studio labeling config annotators see, the input
record it needs, how Label Studio results parse into typed values, the
Hugging Face ``Features`` of the export, and the level of measurement of each
annotated field that agreement uses. Nothing else in empathykit restates
these facts; everything reads them from here.

Annotated values travel through the tidy annotation table
(:mod:`empathykit.table.columns`) JSON-encoded in the ``value`` column:

=============  ===================================================  ==============
kind           Python value                                         Label Studio tag
=============  ===================================================  ==============
choice         ``str`` (one of ``labels``)                          ``<Choices>``
multichoice    ``list[str]`` (sorted, subset of ``labels``)         ``<Choices choice="multiple">``
rating         ``int`` in ``scale``                                 ``<Rating>``, or ``<Choices>`` of numbers when ``labels`` are set
text           ``str`` (lines joined by newline)                    ``<TextArea>``
spans          ``list[{"start","end","text","label"}]`` by start    ``<Labels>`` on a ``<Text>``
=============  ===================================================  ==============
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Iterable, Literal, Mapping

from empathykit.errors import SchemaError

Kind = Literal["choice", "multichoice", "rating", "text", "spans"]
#: Level of measurement for agreement. "text" fields are free text: no coefficient.
Level = Literal["nominal", "ordinal", "interval", "ratio", "spans", "text"]


@dataclass(frozen=True)
class Field:
    """One annotated field of a schema.

    ``name`` is both the ``from_name`` of the Label Studio control tag and the
    field's name in every output. ``labels`` are in scale order for ordinal
    choices. A rating field with ``labels`` is a ``<Choices>`` control (a
    Likert scale) whose choice values are those numbers as strings.
    """

    name: str
    kind: Kind
    level: Level
    to_name: str
    labels: tuple[str, ...] = ()
    scale: tuple[int, int] | None = None
    required: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind in ("choice", "multichoice", "spans") and not self.labels:
            raise ValueError(f"field {self.name!r}: a {self.kind} field needs labels")
        if self.kind == "rating" and self.scale is None:
            raise ValueError(f"field {self.name!r}: a rating field needs a scale")
        if (
            self.kind == "rating"
            and self.labels
            and self.labels != tuple(str(n) for n in range(self.scale[0], self.scale[1] + 1))
        ):  # type: ignore[index]
            raise ValueError(f"field {self.name!r}: rating labels must be the numbers of its scale")

    # -- values -----------------------------------------------------------
    def parse(self, value: Mapping[str, Any]) -> Any:
        """Typed value from one Label Studio result's ``value`` dict.

        Raises ``SchemaError`` when the result does not fit the field (a label
        the schema does not know, a rating outside the scale)."""
        if self.kind in ("choice", "multichoice"):
            choices = list(value.get("choices") or [])
            unknown = [c for c in choices if c not in self.labels]
            if unknown:
                raise SchemaError(
                    f"field {self.name!r}: unknown label(s) {unknown}; expected one of {list(self.labels)}"
                )
            if self.kind == "choice":
                if len(choices) != 1:
                    raise SchemaError(f"field {self.name!r}: expected exactly one choice, got {choices}")
                return choices[0]
            return sorted(choices, key=self.labels.index)
        if self.kind == "rating":
            raw = value.get("rating", value.get("choices"))
            if isinstance(raw, list):
                raw = raw[0] if len(raw) == 1 else None
            try:
                rating = int(raw)
            except (TypeError, ValueError):
                raise SchemaError(f"field {self.name!r}: expected an integer rating, got {raw!r}") from None
            low, high = self.scale  # type: ignore[misc]
            if not low <= rating <= high:
                raise SchemaError(f"field {self.name!r}: rating {rating} outside {low}..{high}")
            return rating
        if self.kind == "text":
            text = value.get("text", "")
            return "\n".join(text) if isinstance(text, list) else str(text)
        if self.kind == "spans":
            labels = list(value.get("labels") or [])
            unknown = [lab for lab in labels if lab not in self.labels]
            if unknown or len(labels) != 1:
                raise SchemaError(f"field {self.name!r}: span labels {labels}; expected one of {list(self.labels)}")
            return [
                {
                    "start": int(value["start"]),
                    "end": int(value["end"]),
                    "text": value.get("text", ""),
                    "label": labels[0],
                }
            ]
        raise AssertionError(self.kind)

    def to_result_value(self, typed: Any) -> list[dict[str, Any]]:
        """Inverse of ``parse``: Label Studio result ``value`` dicts for a typed
        value (used for pre-annotations, gold tasks and tests)."""
        if self.kind == "choice":
            return [{"choices": [typed]}]
        if self.kind == "multichoice":
            return [{"choices": list(typed)}]
        if self.kind == "rating":
            return [{"choices": [str(int(typed))]}] if self.labels else [{"rating": int(typed)}]
        if self.kind == "text":
            return [{"text": [typed]}]
        if self.kind == "spans":
            return [{"start": s["start"], "end": s["end"], "text": s["text"], "labels": [s["label"]]} for s in typed]
        raise AssertionError(self.kind)

    def result_type(self) -> str:
        """The ``type`` Label Studio puts on results of this field."""
        if self.kind == "rating" and self.labels:
            return "choices"
        return {
            "choice": "choices",
            "multichoice": "choices",
            "rating": "rating",
            "text": "textarea",
            "spans": "labels",
        }[self.kind]


@dataclass(frozen=True)
class Schema:
    """An annotation task: inputs, fields, labeling config, export features.

    ``inputs`` are the record keys a pushed item must carry (besides
    ``item_id``); ``optional_inputs`` are shown when present. ``target`` names
    the field that ``export`` aggregates into the dataset's ``label``.
    """

    name: str
    title: str
    instructions: str
    inputs: tuple[str, ...]
    fields: tuple[Field, ...]
    config_template: str
    target: str | None = None
    optional_inputs: tuple[str, ...] = ()
    options: Mapping[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r}: duplicate field names {names}")
        if self.target is not None and self.target not in names:
            raise ValueError(f"schema {self.name!r}: target {self.target!r} is not a field")

    # -- lookup -------------------------------------------------------------
    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise SchemaError(f"schema {self.name!r} has no field {name!r}; fields: {[f.name for f in self.fields]}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    # -- Label Studio ---------------------------------------------------------
    def label_config(self) -> str:
        """The labeling config XML (validated by the server at push time)."""
        xml = self.config_template
        for f in self.fields:
            if f'name="{f.name}"' not in xml:
                raise ValueError(f"schema {self.name!r}: config has no control named {f.name!r}")
        return xml

    def validate_record(self, record: Mapping[str, Any], *, position: int | None = None) -> None:
        """Raise ``SchemaError`` naming the item and the missing field."""
        item = record.get("item_id")
        where = f"item {item!r}" if item is not None else f"record {position}"
        if item is None or item == "":
            raise SchemaError(
                f"{where}: missing field 'item_id' (schema {self.name!r} needs {['item_id', *self.inputs]})"
            )
        for key in self.inputs:
            value = record.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise SchemaError(
                    f"{where}: missing field {key!r} (schema {self.name!r} needs {['item_id', *self.inputs]})"
                )

    def validate_records(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Check every record before anything is sent."""
        for position, record in enumerate(records):
            self.validate_record(record, position=position)

    def parse_results(self, results: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Typed values per field from one annotation's ``result`` list.

        Returns ``(values, unknown)``: ``unknown`` holds the results that name a
        field the schema does not know or do not fit their field, each with a
        ``reason``; callers keep them in a side table, never drop them."""
        values: dict[str, Any] = {}
        unknown: list[dict[str, Any]] = []
        known = {f.name: f for f in self.fields}
        for result in results:
            name = result.get("from_name")
            f = known.get(name)
            if f is None:
                unknown.append({**result, "reason": f"unknown field {name!r}"})
                continue
            try:
                typed = f.parse(result.get("value") or {})
            except SchemaError as err:
                unknown.append({**result, "reason": str(err)})
                continue
            if f.kind == "spans":
                values.setdefault(f.name, []).extend(typed)
            else:
                values[f.name] = typed
        for name, spans in values.items():
            if known[name].kind == "spans":
                spans.sort(key=lambda s: (s["start"], s["end"], s["label"]))
        return values, unknown

    def to_results(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Label Studio ``result`` list for typed values (pre-annotations, gold, tests)."""
        results = []
        for name, typed in values.items():
            f = self.field(name)
            for value in f.to_result_value(typed):
                results.append({"from_name": f.name, "to_name": f.to_name, "type": f.result_type(), "value": value})
        return results

    # -- Hugging Face -------------------------------------------------------
    def features(self):
        """``datasets.Features`` of the exported dataset: the inputs as strings,
        ``item_id``, and one column per field (the target as ``label``). Choice
        fields hold class ids, ``-1`` where the value is missing."""
        from datasets import ClassLabel, Features, List, Value

        cols: dict[str, Any] = {"item_id": Value("string")}
        for key in (*self.inputs, *self.optional_inputs):
            cols[key] = Value("string")
        for f in self.fields:
            column = "label" if f.name == self.target else f.name
            if f.kind == "choice":
                cols[column] = ClassLabel(names=list(f.labels))
            elif f.kind == "multichoice":
                cols[column] = List(ClassLabel(names=list(f.labels)))
            elif f.kind == "rating":
                cols[column] = Value("float32")  # aggregated over annotators
            elif f.kind == "text":
                cols[column] = List(Value("string"))  # one per annotator
            elif f.kind == "spans":
                cols[column] = List(
                    {"start": Value("int32"), "end": Value("int32"), "text": Value("string"), "label": Value("string")}
                )
        return Features(cols)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("_", text.lower()).strip("_")
