"""``agreement report``: Markdown and HTML with PNG plots, plus the JSON.

The report is built once as a list of blocks (headings, paragraphs, tables,
figures) and rendered twice, so the Markdown and the HTML never disagree.
Plots use matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

from empathykit.agreement.formatting import COEFFICIENT_NAMES, fmt, named
from empathykit.agreement.plots import plot_annotators, plot_coefficients, plot_confusions, plot_rounds
from empathykit.io import atomic_path, mark_folder, write_json
from empathykit.table.agreement import AgreementResult, AnnotatorAgreement, FieldAgreement
from empathykit.table.agreement_input import InputSummary


@dataclass
class ReportFiles:
    markdown: Path
    html: Path
    json: Path
    figures: list[Path] = dc_field(default_factory=list)


# -- blocks --------------------------------------------------------------------------------------


def _problems(inp: InputSummary) -> list[str]:
    problems = []
    for entry in inp.ids_with_several_emails:
        problems.append(
            f"annotator id {entry['annotator_id']} appears with several emails: {', '.join(entry['emails'])}"
        )
    for entry in inp.emails_with_several_ids:
        problems.append(f"email {entry['email']} belongs to several annotator ids: {entry['annotator_ids']}")
    if inp.duplicate_units:
        problems.append(
            f"{len(inp.duplicate_units)} unit(s) annotated twice by the same annotator; {inp.duplicate_rule}"
        )
    if inp.unknown_fields:
        problems.append(f"fields not in the schema, ignored: {', '.join(inp.unknown_fields)}")
    return problems


def _blocks(result: AgreementResult, figures: dict[str, str]) -> list[tuple[str, Any]]:
    settings, inp = result.settings, result.input
    b: list[tuple[str, Any]] = [("h1", f"Agreement: schema {result.schema}")]
    b.append(
        (
            "p",
            f"{inp.annotations} annotations of {inp.items} items by {len(result.annotators)} accounts; "
            f"{inp.cancelled} skipped/cancelled annotations excluded; "
            f"{inp.ground_truth_annotations} ground-truth annotations used as reference. "
            f"Intervals: {settings.confidence:.0%} percentile bootstrap over units, "
            f"{settings.n_boot} resamples, seed {settings.seed}; weighted coefficients use "
            f"{settings.weights} weights.",
        )
    )
    problems = _problems(inp)
    if problems:
        b += [("h2", "Problems in the input"), ("ul", problems)]
    rows = []
    for name, report in result.fields.items():
        if report.not_applicable:
            rows.append([name, report.level, "—", report.not_applicable, ""])
            continue
        pairable = str(report.agreement.pairable_units) if report.agreement else ""
        rows += [
            [name, report.level, COEFFICIENT_NAMES.get(key, key), fmt(est), pairable]
            for key, est in report.coefficients.items()
        ]
    b += [("h2", "Summary"), ("table", (["field", "level", "coefficient", "value [95% CI]", "pairable units"], rows))]
    if "coefficients" in figures:
        b.append(("img", (figures["coefficients"], "Every coefficient with its bootstrap interval")))
    b.append(("h2", "Annotators"))
    b.append(
        (
            "table",
            (
                ["annotator", "email", "annotations", "of which gold", "skipped", "median lead time (s)"],
                [
                    [
                        k,
                        v.email or "",
                        v.annotations,
                        v.ground_truth,
                        v.cancelled,
                        "" if v.median_lead_time is None else f"{v.median_lead_time:.1f}",
                    ]
                    for k, v in result.annotators.items()
                ],
            ),
        )
    )
    for name, report in result.fields.items():
        if report.agreement is not None and report.coefficients:
            b += _field_blocks(result, name, report, figures)
    return b


def _field_head(report: FieldAgreement) -> list[tuple[str, Any]]:
    """What the field's values are and how its coefficients were computed."""
    a = report.agreement
    assert a is not None
    b: list[tuple[str, Any]] = []
    if a.labels:
        b.append(("p", f"Values: {', '.join(a.labels)}; kappa/AC weights: {a.weights}."))
    if report.kind == "multichoice":
        b.append(
            (
                "p",
                "Field-level alpha uses the MASI distance between label sets; percent agreement counts "
                "identical sets. Each label is also scored as a present/absent nominal field.",
            )
        )
    if report.kind == "spans":
        b.append(
            (
                "p",
                f"Tokens from the {a.tokens}; IOU-F1 threshold {a.iou_threshold}."
                + (
                    f" u-alpha over the {a.u_alpha_units} items every annotator annotated."
                    if a.u_alpha_units is not None
                    else ""
                ),
            )
        )
    ref = report.reference
    b.append(
        (
            "p",
            f"{a.units} units, {a.pairable_units} with two or more annotations; reference labels: "
            f"{ref.get('gold', 0)} gold, {ref.get('adjudicated', 0)} adjudicated.",
        )
    )
    coefficient_rows = [[COEFFICIENT_NAMES.get(k, k), fmt(v)] for k, v in a.coefficients.items()]
    coefficient_rows += [[f"u-alpha, label {label}", fmt(v)] for label, v in (a.u_alpha_by_label or {}).items()]
    b.append(("table", (["coefficient", "value [95% CI]"], coefficient_rows)))
    if a.labels_binary:
        keys = list(next(iter(a.labels_binary.values())).coefficients)
        b.append(("h3", "Per label (present / absent)"))
        b.append(
            (
                "table",
                (
                    ["label", *named(keys)],
                    [[label, *[fmt(r.coefficients[k]) for k in keys]] for label, r in a.labels_binary.items()],
                ),
            )
        )
    return b


def _field_blocks(
    result: AgreementResult, name: str, report: FieldAgreement, figures: dict[str, str]
) -> list[tuple[str, Any]]:
    a = report.agreement
    assert a is not None
    b: list[tuple[str, Any]] = [("h2", f"Field `{name}` ({report.kind}, {report.level})"), *_field_head(report)]
    if report.rounds:
        keys = list(a.coefficients)
        b.append(("h3", "By round"))
        b.append(
            (
                "table",
                (
                    ["round", "units", *named(keys)],
                    [
                        [r.round, r.agreement.units, *[fmt(r.agreement.coefficients.get(k)) for k in keys]]
                        for r in report.rounds
                    ],
                ),
            )
        )
        if f"rounds:{name}" in figures:
            b.append(("img", (figures[f"rounds:{name}"], f"{name}: coefficients round by round")))
    if a.pairs:
        metric_keys = [k for k in ("cohen_kappa", "percent_agreement", "token_f1", "iou_f1") if k in a.pairs[0].scores]
        b.append(("h3", "Annotator pairs"))
        b.append(
            (
                "table",
                (
                    ["pair", "shared units", *metric_keys],
                    [
                        [
                            f"{result.who(p.annotators[0])} / {result.who(p.annotators[1])}",
                            p.units,
                            *[fmt(p.scores[k]) for k in metric_keys],
                        ]
                        for p in a.pairs
                    ],
                ),
            )
        )
        if f"confusion:{name}" in figures:
            b.append(("img", (figures[f"confusion:{name}"], f"{name}: confusion matrices of annotator pairs")))
    if a.annotators:
        b += _annotator_blocks(result, name, a.annotators, figures)
    return b


def _annotator_blocks(
    result: AgreementResult, name: str, annotators: list[AnnotatorAgreement], figures: dict[str, str]
) -> list[tuple[str, Any]]:
    keys = [
        k
        for k in (
            "alpha_without",
            "agreement_with_others",
            "cohen_kappa_with_others",
            "token_f1_with_others",
            "iou_f1_with_others",
        )
        if k in annotators[0].scores
    ]
    ref_keys = [
        k
        for k in ("percent_agreement", "cohen_kappa", "token_f1", "iou_f1")
        if any(k in a.reference.scores for a in annotators)
    ]
    b: list[tuple[str, Any]] = [("h3", "Per annotator")]
    b.append(
        (
            "p",
            "alpha_without: alpha of the others when this annotator is left out (higher than the "
            "field's alpha: this annotator lowers agreement). Reference: gold or adjudicated labels.",
        )
    )
    b.append(
        (
            "table",
            (
                [
                    "annotator",
                    "values",
                    *keys,
                    "reference units",
                    *[f"reference {k}" for k in ref_keys],
                    "label distribution",
                ],
                [
                    [
                        result.who(a.annotator_id),
                        a.values,
                        *[fmt(a.scores[k]) for k in keys],
                        a.reference.units,
                        *[fmt(a.reference.scores.get(k)) for k in ref_keys],
                        ", ".join(f"{k}: {v}" for k, v in a.label_distribution.items()),
                    ]
                    for a in annotators
                ],
            ),
        )
    )
    if f"annotators:{name}" in figures:
        b.append(("img", (figures[f"annotators:{name}"], f"{name}: agreement per annotator and label distribution")))
    return b


def _markdown(blocks: list[tuple[str, Any]]) -> str:
    out = []
    for kind, body in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + body)
        elif kind == "p":
            out.append(body)
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in body))
        elif kind == "table":
            header, rows = body
            cell = lambda v: str(v).replace("|", "\\|")
            lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            path, caption = body
            out.append(f"![{caption}]({path})")
    return "\n\n".join(out) + "\n"


def _inline_code(text: str) -> str:
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}code{background:#f3f3f3;padding:0 3px}
figcaption{color:#555;font-size:13px}"""


def _html(blocks: list[tuple[str, Any]], title: str) -> str:
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>"
    ]
    for kind, body in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append(f"<{kind}>{_inline_code(body)}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{_inline_code(body)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in body) + "</ul>")
        elif kind == "table":
            header, rows = body
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
                + "</tbody></table>"
            )
        elif kind == "img":
            path, caption = body
            out.append(
                f"<figure><img src='{html.escape(path)}' alt='{html.escape(caption)}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# -- entry point ----------------------------------------------------------------------------------------


def write_report(result: AgreementResult, out_dir: str | Path) -> ReportFiles:
    """Write ``report.md``, ``report.html``, ``agreement.json`` and the PNG plots into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir = mark_folder(out_dir, "agreement-report", label="report folder")
    figures: dict[str, str] = {}
    written: list[Path] = []

    def keep(key: str, made: Path | None) -> None:
        if made is not None:
            figures[key] = made.name
            written.append(made)

    keep("coefficients", plot_coefficients(result, out_dir / "coefficients.png"))
    for name, report in result.fields.items():
        if report.agreement is None or not report.coefficients:
            continue
        keep(f"rounds:{name}", plot_rounds(name, report, out_dir / f"rounds_{name}.png"))
        keep(f"confusion:{name}", plot_confusions(result, name, report, out_dir / f"confusion_{name}.png"))
        keep(f"annotators:{name}", plot_annotators(result, name, report, out_dir / f"annotators_{name}.png"))
    blocks = _blocks(result, figures)
    md, page, js = out_dir / "report.md", out_dir / "report.html", out_dir / "agreement.json"
    with atomic_path(md) as tmp:
        tmp.write_text(_markdown(blocks), encoding="utf-8")
    with atomic_path(page) as tmp:
        tmp.write_text(_html(blocks, f"Agreement: {result.schema}"), encoding="utf-8")
    write_json(js, result.to_json())
    return ReportFiles(md, page, js, written)
