"""The PNG plots of ``agreement report`` (matplotlib's Agg backend: no display needed):
coefficients with their bootstrap intervals, agreement per round, confusions between
annotators, and each annotator against the others."""

from __future__ import annotations

from pathlib import Path

from empathykit.agreement.formatting import COEFFICIENT_NAMES, fmt, short_name
from empathykit.io import atomic_path
from empathykit.table.agreement import AgreementResult, Estimate, FieldAgreement


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _errors(ests: list[Estimate | None]) -> tuple[list[float], list[list[float]]]:
    values, low, high = [], [], []
    for est in ests:
        v = est.value if est else None
        ci = est.ci if est else None
        values.append(float("nan") if v is None else v)
        low.append(0.0 if v is None or not ci else max(v - ci[0], 0.0))
        high.append(0.0 if v is None or not ci else max(ci[1] - v, 0.0))
    return values, [low, high]


def plot_coefficients(result: AgreementResult, path: Path) -> Path | None:
    import matplotlib.pyplot as plt

    labels, ests = [], []
    for name, report in result.fields.items():
        for key, est in report.coefficients.items():
            labels.append(f"{name}: {COEFFICIENT_NAMES.get(key, key)}")
            ests.append(est)
    if not labels:
        return None
    values, err = _errors(ests)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(labels) + 1.2))
    y = list(range(len(labels)))[::-1]
    ax.errorbar(values, y, xerr=err, fmt="o", color="#1f5f99", ecolor="#7aa6d1", capsize=4)
    for yi, v, est in zip(y, values, ests):
        ax.annotate(
            "undefined" if est.value is None else f"{v:.2f}",
            (1.02, yi),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=9,
            color="#444",
        )
    ax.set_yticks(y, labels)
    lowest = min([v - e for v, e in zip(values, err[0]) if v == v] + [0.0])
    ax.set_xlim(min(lowest - 0.05, 0.0), 1.02)
    ax.axvline(0, color="#999", lw=0.8)
    for ref in (0.667, 0.8):
        ax.axvline(ref, color="#c44", lw=0.8, ls=":")
    ax.set_xlabel("value (95% bootstrap interval); dotted: Krippendorff's 0.667 and 0.8 guides")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def plot_rounds(name: str, report: FieldAgreement, path: Path) -> Path | None:
    import matplotlib.pyplot as plt

    rounds = report.rounds
    if not rounds:
        return None
    keys = list(report.coefficients)
    xs = [r.round for r in rounds]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    width = 0.08
    for i, key in enumerate(keys):
        values, err = _errors([r.agreement.coefficients.get(key) for r in rounds])
        shift = (i - (len(keys) - 1) / 2) * width
        ax.errorbar(
            [x + shift for x in xs], values, yerr=err, fmt="-o", capsize=3, label=COEFFICIENT_NAMES.get(key, key)
        )
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("round")
    ax.set_ylabel("value (95% bootstrap interval)")
    ax.set_title(f"{name}: agreement round by round")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def plot_confusions(
    result: AgreementResult, name: str, report: FieldAgreement, path: Path, most: int = 12
) -> Path | None:
    import matplotlib.pyplot as plt
    import numpy as np

    a = report.agreement
    pairs = [p for p in (a.pairs if a else None) or [] if p.confusion is not None and p.units]
    if not pairs:
        return None
    pairs = sorted(pairs, key=lambda p: -p.units)[:most]
    labels = a.labels or []
    cols = min(3, len(pairs))
    rows = (len(pairs) + cols - 1) // cols
    size = 1.2 + 0.45 * len(labels)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size + 1, rows * size + 0.6), squeeze=False)
    for ax, pair in zip(axes.ravel(), pairs):
        matrix = np.asarray(pair.confusion)
        ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if count > matrix.max() / 2 else "black",
            )
        first, second = pair.annotators
        ax.set_title(f"kappa {fmt(pair.scores['cohen_kappa']).split(' ')[0]}", fontsize=9)
        ax.set_ylabel(short_name(result, first), fontsize=8)
        ax.set_xlabel(short_name(result, second), fontsize=8)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for ax in axes.ravel()[len(pairs) :]:
        ax.axis("off")
    fig.suptitle(f"{name}: confusion matrices (rows: first annotator)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_annotators(result: AgreementResult, name: str, report: FieldAgreement, path: Path) -> Path | None:
    import matplotlib.pyplot as plt
    import numpy as np

    annotators = (report.agreement.annotators if report.agreement else None) or []
    if not annotators:
        return None
    metrics = [
        k
        for k in (
            "agreement_with_others",
            "cohen_kappa_with_others",
            "token_f1_with_others",
            "iou_f1_with_others",
            "alpha_without",
        )
        if k in annotators[0].scores
    ]
    ref_key = next((k for k in ("cohen_kappa", "token_f1") if any(k in a.reference.scores for a in annotators)), None)
    series = [(m.replace("_", " "), [a.scores[m] for a in annotators]) for m in metrics]
    if ref_key:
        series.append(
            (f"{ref_key.replace('_', ' ')} with reference", [a.reference.scores.get(ref_key) for a in annotators])
        )
    names = [short_name(result, a.annotator_id) for a in annotators]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.35 * len(names) + 2.8), gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(names))
    width = 0.8 / max(len(series), 1)
    for i, (label, ests) in enumerate(series):
        values, err = _errors(ests)
        left.bar(
            x + (i - (len(series) - 1) / 2) * width, np.nan_to_num(values), width, yerr=err, capsize=2, label=label
        )
    alpha = report.coefficients.get("krippendorff_alpha")
    field_alpha = alpha.value if alpha else None
    if field_alpha is not None:
        left.axhline(field_alpha, color="#333", lw=0.8, ls="--")
    left.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    left.set_ylabel("value (95% bootstrap interval)")
    left.set_title(
        f"{name}: agreement per annotator" + (" (dashed: field alpha)" if field_alpha is not None else ""), fontsize=10
    )
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    left.grid(axis="y", alpha=0.3)
    order = report.agreement.labels or []
    categories = sorted(
        {k for a in annotators for k in a.label_distribution}, key=lambda k: order.index(k) if k in order else 99
    )
    # spans: how many spans per annotated unit; otherwise: the share of each value
    spans = report.kind == "spans"
    bottom = np.zeros(len(names))
    for category in categories:
        counts = np.array([a.label_distribution.get(category, 0) for a in annotators], dtype=float)
        totals = np.array(
            [max(a.values if spans else sum(a.label_distribution.values()), 1) for a in annotators], dtype=float
        )
        right.barh(names, counts / totals, left=bottom, label=category)
        bottom += counts / totals
    if not spans:
        right.set_xlim(0, 1)
    right.invert_yaxis()
    right.set_title(
        "spans per annotated unit" if spans else "label distribution (share of each annotator's values)", fontsize=10
    )
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4)
    fig.tight_layout()
    return _save(fig, path)
