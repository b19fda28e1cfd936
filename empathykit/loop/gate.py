"""The loop's agreement gate: a round's Krippendorff alpha, reported, before anything trains on it.

Each round's annotations (the round the people just finished) get an agreement report in
``round-K/agreement/`` (``report.md``, ``report.html``, ``agreement.json``) and a ``gate.json``
with the schema target's alpha and the annotator whose removal raises it most. With
``--min-alpha X`` a round below X stops the loop before training, in one line naming the report
and that annotator; the pull, export and report stay, and a resumed loop reads ``gate.json``
again instead of recomputing (so lowering the gate goes on at once).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from empathykit.agreement.compute import compute_agreement
from empathykit.agreement.report import write_report
from empathykit.agreement.table import as_schema
from empathykit.errors import AgreementError, EmpathykitError
from empathykit.io import write_json
from empathykit.table.agreement import Settings
from empathykit.table.annotations import read_annotations

GATE_FILE = "gate.json"


class GateError(EmpathykitError):
    """A round's agreement is below the loop's ``--min-alpha`` (or cannot be measured)."""


@dataclass
class GateFacts:
    round: int | None
    field: str | None
    alpha: float | None
    undefined: str = ""
    annotators: int = 0
    worst: dict[str, Any] | None = None  # {"annotator_id", "email", "alpha_without"}

    def describe(self) -> str:
        if self.alpha is None:
            return f"alpha undefined ({self.undefined})"
        text = f"alpha {self.alpha:.3f} on {self.field!r}"
        if self.worst:
            text += (
                f"; without {self.worst['email'] or '#' + str(self.worst['annotator_id'])} it would be "
                f"{self.worst['alpha_without']:.3f}"
            )
        return text


def round_gate(annotations: Path, out_dir: Path, round_number: int | None) -> GateFacts:
    """The round's agreement report (written to ``out_dir``) and its gate facts; reused when written."""
    stored = out_dir / GATE_FILE
    if stored.is_file():
        return GateFacts(**json.loads(stored.read_text(encoding="utf-8")))
    schema = as_schema(None, annotations)
    frame = read_annotations(annotations)
    if "round" in frame.columns and frame["round"].notna().any():
        if round_number is None:  # the loop's first round: the project's newest
            round_number = int(frame["round"].max())
        if (frame["round"] == round_number).any():
            frame = frame[(frame["round"] == round_number).fillna(False).to_numpy()]
    target = schema.target or schema.fields[0].name
    try:
        result = compute_agreement(frame, schema, fields=[target], settings=Settings(n_boot=200))
    except AgreementError as error:
        facts = GateFacts(round_number, target, None, undefined=str(error))
    else:
        write_report(result, out_dir)
        facts = _facts(result, round_number, target)
    write_json(stored, asdict(facts))
    return facts


def _facts(result, round_number: int | None, target: str) -> GateFacts:
    report = result.fields[target]
    agreement = report.agreement
    if agreement is None:
        return GateFacts(round_number, target, None, undefined=report.undefined or report.not_applicable)
    alpha = agreement.coefficients.get("krippendorff_alpha")
    if alpha is None or alpha.value is None:
        return GateFacts(
            round_number,
            target,
            None,
            undefined=alpha.undefined if alpha else "not computed",
            annotators=len(agreement.annotators or []),
        )
    worst = None
    for row in agreement.annotators or []:
        without = row.scores.get("alpha_without")
        if (
            without is not None
            and without.value is not None
            and without.value > alpha.value
            and (worst is None or without.value > worst["alpha_without"])
        ):
            email = result.annotators.get(str(row.annotator_id))
            worst = {
                "annotator_id": row.annotator_id,
                "email": email.email if email else None,
                "alpha_without": without.value,
            }
    return GateFacts(round_number, target, alpha.value, annotators=len(agreement.annotators or []), worst=worst)


def check_gate(facts: GateFacts, min_alpha: float | None, report_dir: Path) -> None:
    """Stop (one line) when ``min_alpha`` is set and the round's alpha is below it or unmeasured."""
    if min_alpha is None:
        return
    report = report_dir / "report.md"
    named = f"round {facts.round}" if facts.round is not None else "the round"
    if facts.alpha is None:
        raise GateError(
            f"{named}: alpha cannot be measured ({facts.undefined}); the loop stops before training "
            f"(--min-alpha {min_alpha})",
            hint="annotate the round with an overlap of 2 or more, or re-run without --min-alpha",
        )
    if facts.alpha < min_alpha:
        worst = ""
        if facts.worst:
            who = facts.worst["email"] or f"annotator #{facts.worst['annotator_id']}"
            worst = f"; without {who} alpha would be {facts.worst['alpha_without']:.3f}"
        raise GateError(
            f"{named}: alpha {facts.alpha:.3f} on {facts.field!r} is below --min-alpha {min_alpha}; "
            f"the loop stops before training (report {report}{worst})",
            hint="adjudicate the round and re-run with --repull, or re-run with a lower --min-alpha",
        )
