"""Rows of the terminal tables ``agreement compute`` and ``agreement report`` print."""

from __future__ import annotations

from typing import Any

from empathykit.table.agreement import AgreementResult

#: Short coefficient names for terminal tables.
SHORT_NAMES = {
    "krippendorff_alpha": "alpha",
    "fleiss_kappa": "Fleiss kappa",
    "gwet_ac1": "Gwet AC1",
    "gwet_ac2": "Gwet AC2",
    "percent_agreement": "% agreement",
    "cohen_kappa_mean": "Cohen kappa (mean)",
    "token_f1": "token F1",
    "iou_f1": "IOU-F1",
    "u_alpha": "u-alpha",
}


def summary_rows(result: AgreementResult) -> list[list[Any]]:
    """``[field, coefficient, value, low, high, units]`` rows for a table."""
    rows: list[list[Any]] = []
    for name, report in result.fields.items():
        if report.not_applicable:
            rows.append([name, "—", None, None, None, report.not_applicable])
            continue
        pairable = report.agreement.pairable_units if report.agreement else None
        for coefficient, est in report.coefficients.items():
            low, high = est.ci or (None, None)
            rows.append(
                [
                    name,
                    SHORT_NAMES.get(coefficient, coefficient),
                    est.value,
                    low,
                    high,
                    pairable if est.value is not None else est.undefined,
                ]
            )
    return rows


def pair_rows(result: AgreementResult) -> list[list[Any]]:
    """``[field, annotator a, annotator b, shared units, kappa or token F1, % agreement or IOU-F1]``
    rows of every annotator pair."""
    rows = []
    for name, report in result.fields.items():
        for pair in (report.agreement.pairs if report.agreement else None) or []:
            first, second = (
                ("cohen_kappa", "percent_agreement")
                if "cohen_kappa" in pair.scores
                else ("token_f1", "iou_f1")
                if "token_f1" in pair.scores
                else (None, "percent_agreement")
            )
            rows.append(
                [
                    name,
                    result.who(pair.annotators[0]),
                    result.who(pair.annotators[1]),
                    pair.units,
                    pair.scores[first].value if first else None,
                    pair.scores[second].value,
                ]
            )
    return rows
