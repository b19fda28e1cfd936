"""What an annotations table held before agreement, as ``agreement.json`` keeps it: the input's
counts and problems (:class:`InputSummary`) and each account's counts (:class:`AnnotatorSummary`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class InputSummary:
    """What the table held before agreement: counts and the problems found in it."""

    rows: int
    annotations: int
    items: int
    cancelled: int
    cancelled_by_annotator: dict[str, int]
    ground_truth_annotations: int
    ids_with_several_emails: list[dict[str, Any]]  # {annotator_id, emails}
    emails_with_several_ids: list[dict[str, Any]]  # {email, annotator_ids}
    duplicate_rule: str
    duplicate_units: list[dict[str, Any]]  # units one annotator annotated twice
    unknown_fields: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "annotations": self.annotations,
            "items": self.items,
            "cancelled": {"total": self.cancelled, "by_annotator": self.cancelled_by_annotator},
            "ground_truth_annotations": self.ground_truth_annotations,
            "ids_with_several_emails": self.ids_with_several_emails,
            "emails_with_several_ids": self.emails_with_several_ids,
            "duplicates": {
                "count": len(self.duplicate_units),
                "rule": self.duplicate_rule,
                "units": self.duplicate_units,
            },
            "unknown_fields": self.unknown_fields,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> InputSummary:
        cancelled, duplicates = doc.get("cancelled", {}), doc.get("duplicates", {})
        return cls(
            doc.get("rows", 0),
            doc.get("annotations", 0),
            doc.get("items", 0),
            cancelled.get("total", 0),
            cancelled.get("by_annotator", {}),
            doc.get("ground_truth_annotations", 0),
            doc.get("ids_with_several_emails", []),
            doc.get("emails_with_several_ids", []),
            duplicates.get("rule", ""),
            duplicates.get("units", []),
            doc.get("unknown_fields", []),
        )


@dataclass
class AnnotatorSummary:
    """An account's counts over the whole table."""

    email: str | None
    annotations: int
    ground_truth: int
    cancelled: int
    median_lead_time: float | None
