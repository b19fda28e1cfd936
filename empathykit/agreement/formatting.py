"""How agreement figures are written in reports and plots: coefficient names, an estimate
with its interval, annotators by e-mail."""

from __future__ import annotations

from empathykit.table.agreement import AgreementResult, Estimate

COEFFICIENT_NAMES = {
    "krippendorff_alpha": "Krippendorff's alpha",
    "fleiss_kappa": "Fleiss' kappa",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2": "Gwet's AC2",
    "percent_agreement": "percent agreement",
    "cohen_kappa_mean": "Cohen's kappa (mean of pairs)",
    "token_f1": "token-level F1 (mean of pairs)",
    "iou_f1": "IOU-F1 (mean of pairs)",
    "u_alpha": "Krippendorff's u-alpha",
}


def fmt(est: Estimate | None) -> str:
    """``0.742 [0.681, 0.801]``, or ``undefined: reason``."""
    if est is None:
        return ""
    if est.value is None:
        return f"undefined: {est.undefined}"
    return f"{est.value:.3f}" + (f" [{est.ci[0]:.3f}, {est.ci[1]:.3f}]" if est.ci else "")


def short_name(result: AgreementResult, annotator: int) -> str:
    return result.who(annotator).split("@")[0]


def named(keys) -> list[str]:
    return [COEFFICIENT_NAMES.get(k, k) for k in keys]
