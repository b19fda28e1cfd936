"""The agreement result: what ``agreement compute`` returns and ``agreement.json`` holds.

Typed, so the report, the CLI and the export card read it by attribute. It lives
in the data layer beside the annotations table because ``agreement.json`` is a
side file of a pull: the export card (below ``agreement/``) reads it back with
:func:`read_agreement`. ``to_json`` writes the layout below, key for key;
``from_json`` reads it.

JSON layout::

    {"schema", "settings": {n_boot, seed, confidence, weights, iou_threshold},
     "input": {rows, annotations, items, cancelled: {total, by_annotator},
               ground_truth_annotations, ids_with_several_emails,
               emails_with_several_ids, duplicates: {count, rule, units}, unknown_fields},
     "annotators": {id: {email, annotations, ground_truth, cancelled, median_lead_time}},
     "rounds": [1, 2, ...],
     "fields": {name: {kind, level, units, pairable_units, values,
                       coefficients: {name: ESTIMATE},
                       labels, weights | distance, labels_binary, tokens, u_alpha_by_label,
                       pairs: [{annotators: [a, b], units, cohen_kappa, percent_agreement,
                                confusion | token_f1, iou_f1}],
                       annotators: [{annotator_id, values, label_distribution, alpha_without,
                                     agreement_with_others, cohen_kappa_with_others,
                                     reference: {units, percent_agreement, cohen_kappa}}],
                       reference: {gold, adjudicated},
                       rounds: [{round, annotators, units, coefficients}]}
                | {kind, level, not_applicable}}}

    ESTIMATE = {"value": float, "ci": [low, high] | null, "n_boot": int}
             | {"value": null, "undefined": "why"}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from empathykit.errors import AgreementError, EmpathykitError
from empathykit.io import read_json_document
from empathykit.table.agreement_input import AnnotatorSummary, InputSummary

WEIGHTS = ("linear", "quadratic")


@dataclass(frozen=True)
class Settings:
    """Knobs of ``compute_agreement``; written into the JSON as they were used."""

    n_boot: int = 1000
    seed: int = 0
    confidence: float = 0.95
    weights: str = "quadratic"  # ordinal/interval/ratio fields: weighted kappa and AC2
    iou_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.n_boot < 0:
            raise AgreementError(f"bootstrap resamples must be >= 0, got {self.n_boot}")
        if not 0 < self.confidence < 1:
            raise AgreementError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.weights not in WEIGHTS:
            raise AgreementError(f"weights must be linear or quadratic, got {self.weights!r}")
        if not 0 < self.iou_threshold <= 1:
            raise AgreementError(f"IOU threshold must be in (0, 1], got {self.iou_threshold}")


@dataclass(frozen=True)
class Estimate:
    """One coefficient: its value with a bootstrap interval, or why it is undefined."""

    value: float | None
    ci: tuple[float, float] | None = None
    n_boot: int = 0
    undefined: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.value is None:
            return {"value": None, "undefined": self.undefined}
        return {"value": self.value, "ci": None if self.ci is None else list(self.ci), "n_boot": self.n_boot}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Estimate:
        ci = doc.get("ci")
        return cls(
            doc.get("value"),
            None if ci is None else (ci[0], ci[1]),
            int(doc.get("n_boot", 0)),
            doc.get("undefined", ""),
        )


Scores = dict[str, Estimate]


def _scores_json(scores: Scores) -> dict[str, Any]:
    return {name: est.to_json() for name, est in scores.items()}


def _scores(doc: dict[str, Any], skip: tuple[str, ...]) -> Scores:
    return {k: Estimate.from_json(v) for k, v in doc.items() if k not in skip}


@dataclass
class PairAgreement:
    """Two annotators on the units they share: kappa and percent agreement, or span F1s."""

    annotators: tuple[int, int]
    units: int
    scores: Scores
    confusion: list[list[int]] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"annotators": list(self.annotators), "units": self.units, **_scores_json(self.scores)}
        return out if self.confusion is None else {**out, "confusion": self.confusion}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PairAgreement:
        a, b = doc["annotators"]
        return cls((a, b), doc["units"], _scores(doc, ("annotators", "units", "confusion")), doc.get("confusion"))


@dataclass
class ReferenceAgreement:
    """An annotator against the gold or adjudicated labels, or why there is none."""

    units: int
    scores: Scores = field(default_factory=dict)
    undefined: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.undefined:
            return {"units": self.units, "undefined": self.undefined}
        return {"units": self.units, **_scores_json(self.scores)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ReferenceAgreement:
        return cls(doc["units"], _scores(doc, ("units", "undefined")), doc.get("undefined", ""))


@dataclass
class AnnotatorAgreement:
    """One annotator on one field: values given, agreement with the others and the reference."""

    annotator_id: int
    values: int
    label_distribution: dict[str, int]
    scores: Scores
    reference: ReferenceAgreement

    def to_json(self) -> dict[str, Any]:
        return {
            "annotator_id": self.annotator_id,
            "values": self.values,
            "label_distribution": self.label_distribution,
            **_scores_json(self.scores),
            "reference": self.reference.to_json(),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AnnotatorAgreement:
        return cls(
            doc["annotator_id"],
            doc["values"],
            doc["label_distribution"],
            _scores(doc, ("annotator_id", "values", "label_distribution", "reference")),
            ReferenceAgreement.from_json(doc["reference"]),
        )


#: Keys of ``Agreement`` in the order the JSON gives them.
_AGREEMENT_KEYS = (
    "units",
    "pairable_units",
    "values",
    "tokens",
    "iou_threshold",
    "coefficients",
    "u_alpha_units",
    "u_alpha_by_label",
    "pairs",
    "annotators",
    "weights",
    "labels",
    "distance",
    "labels_binary",
)


@dataclass
class Agreement:
    """The coefficients of one set of units: a field, one round of it, or one label of a
    multichoice field. ``None``: not computed for this set (left out of the JSON)."""

    units: int
    pairable_units: int
    values: int
    coefficients: Scores
    tokens: str | None = None  # spans: where the tokens came from
    iou_threshold: float | None = None  # spans
    u_alpha_units: int | None = None  # spans with item texts
    u_alpha_by_label: Scores | None = None
    pairs: list[PairAgreement] | None = None  # whole field only
    annotators: list[AnnotatorAgreement] | None = None
    weights: str | None = None  # choice and rating fields
    labels: list[str] | None = None
    distance: str | None = None  # multichoice: "masi"
    labels_binary: dict[str, Agreement] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _AGREEMENT_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            if key in ("coefficients", "u_alpha_by_label"):
                value = _scores_json(value)
            elif key in ("pairs", "annotators"):
                value = [row.to_json() for row in value]
            elif key == "labels_binary":
                value = {label: view.to_json() for label, view in value.items()}
            out[key] = value
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Agreement:
        given = {key: doc[key] for key in _AGREEMENT_KEYS if key in doc}
        given["coefficients"] = _scores(doc.get("coefficients", {}), ())
        if "u_alpha_by_label" in given:
            given["u_alpha_by_label"] = _scores(given["u_alpha_by_label"], ())
        if "pairs" in given:
            given["pairs"] = [PairAgreement.from_json(row) for row in given["pairs"]]
        if "annotators" in given:
            given["annotators"] = [AnnotatorAgreement.from_json(row) for row in given["annotators"]]
        if "labels_binary" in given:
            given["labels_binary"] = {k: cls.from_json(v) for k, v in given["labels_binary"].items()}
        given.setdefault("units", 0)
        given.setdefault("pairable_units", 0)
        given.setdefault("values", 0)
        return cls(**given)


@dataclass
class RoundAgreement:
    """A field's coefficients on one round's units."""

    round: int
    annotators: list[int]
    agreement: Agreement

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round, "annotators": self.annotators, **self.agreement.to_json()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RoundAgreement:
        rest = {k: v for k, v in doc.items() if k not in ("round", "annotators")}
        return cls(doc["round"], doc["annotators"], Agreement.from_json(rest))


@dataclass
class FieldAgreement:
    """One field: its coefficients (``agreement``), or why there are none
    (``not_applicable`` for free text, ``undefined`` when nobody gave a value)."""

    kind: str
    level: str
    agreement: Agreement | None = None
    reference: dict[str, int] = field(default_factory=dict)  # {"gold": n, "adjudicated": n}
    rounds: list[RoundAgreement] = field(default_factory=list)
    not_applicable: str = ""
    undefined: str = ""

    @property
    def coefficients(self) -> Scores:
        return self.agreement.coefficients if self.agreement else {}

    def to_json(self) -> dict[str, Any]:
        head = {"kind": self.kind, "level": self.level}
        if self.not_applicable:
            return {**head, "not_applicable": self.not_applicable}
        if self.agreement is None:
            return {**head, "coefficients": {}, "undefined": self.undefined}
        return {
            **head,
            **self.agreement.to_json(),
            "reference": self.reference,
            "rounds": [r.to_json() for r in self.rounds],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FieldAgreement:
        if "not_applicable" in doc or "undefined" in doc:
            return cls(
                doc["kind"],
                doc["level"],
                not_applicable=doc.get("not_applicable", ""),
                undefined=doc.get("undefined", ""),
            )
        return cls(
            doc["kind"],
            doc["level"],
            Agreement.from_json(doc),
            doc.get("reference", {}),
            [RoundAgreement.from_json(r) for r in doc.get("rounds", [])],
        )


@dataclass
class AgreementResult:
    """Agreement of every field of a schema in one annotations table."""

    schema: str
    settings: Settings
    input: InputSummary
    annotators: dict[str, AnnotatorSummary]
    rounds: list[int]
    fields: dict[str, FieldAgreement]

    def who(self, annotator: int) -> str:
        """The annotator's email, or ``#id`` when the table has none."""
        summary = self.annotators.get(str(annotator))
        return (summary.email if summary else None) or f"#{annotator}"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "settings": asdict(self.settings),
            "input": self.input.to_json(),
            "annotators": {k: asdict(v) for k, v in self.annotators.items()},
            "rounds": self.rounds,
            "fields": {name: f.to_json() for name, f in self.fields.items()},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AgreementResult:
        return cls(
            doc.get("schema", ""),
            Settings(**doc.get("settings", {})),
            InputSummary.from_json(doc.get("input", {})),
            {k: AnnotatorSummary(**v) for k, v in doc.get("annotators", {}).items()},
            doc.get("rounds", []),
            {name: FieldAgreement.from_json(f) for name, f in doc["fields"].items()},
        )


def read_agreement(path: str | Path, error: type[EmpathykitError] = AgreementError) -> AgreementResult:
    """``agreement.json`` as written by ``agreement compute``; a wrong file is one ``error``."""
    hint = "pass the JSON `empathykit agreement compute -o` wrote"
    document = read_json_document(path, "agreement", "fields", hint, error)
    try:
        return AgreementResult.from_json(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise error(f"{path}: agreement JSON of another layout ({type(exc).__name__}: {exc})", hint=hint) from None
