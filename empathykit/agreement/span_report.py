"""Agreement of span fields: token-level F1, IOU-F1 and u-alpha (statistics in ``spans``)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from empathykit.agreement import coefficients as co
from empathykit.agreement import spans as sp
from empathykit.agreement.bootstrap import Blocks, Results, estimate, mean_of, reference_agreement, sharing_pairs
from empathykit.agreement.table import FieldData, text_from_spans
from empathykit.table.agreement import Agreement, AnnotatorAgreement, Estimate, PairAgreement, Settings


def _u_alpha_note(have_texts: bool, n_annotators: int, crossed: np.ndarray) -> str:
    """Why u-alpha cannot be computed; empty when it can (exact only with the texts'
    lengths and every rater on every unit)."""
    if not have_texts:
        return "u-alpha needs the item texts (their lengths bound the continuum); pass the items table"
    if n_annotators < 2:
        return "u-alpha needs two or more annotators"
    if not crossed.any():
        return f"no item was annotated by all {n_annotators} annotators (u-alpha needs every rater on every item)"
    return ""


def spans_report(
    data: FieldData,
    texts: dict[str, str] | None,
    settings: Settings,
    resamples: Iterable[np.ndarray],
    *,
    detail: bool = True,
    token_cache: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Agreement:
    """Token-level F1, IOU-F1 and u-alpha of one spans field (or one round of it)."""
    f = data.field
    values, reference = data.matrix(data.decoder())
    n_units, n_annotators = len(data.units), len(data.annotators)
    # the reference rides along as annotator index M
    values = [[*row, ref] for row, ref in zip(values, reference)]
    have_texts = texts is not None and all(u in texts for u in data.units)
    if have_texts:
        unit_texts = [texts[u] for u in data.units]  # type: ignore[index]
        keys: list[str | None] = list(data.units)
    else:
        unit_texts = [text_from_spans(row) for row in values]
        keys = [None] * n_units
    frame = sp.span_rows(values, f.labels, unit_texts, keys, token_cache if token_cache is not None else {})
    present = np.array([[v is not None for v in row] for row in values], dtype=bool).reshape(n_units, n_annotators + 1)
    pairs = sharing_pairs(present[:, :n_annotators])
    gold_pairs = [
        (j, n_annotators) for j in range(n_annotators) if detail and (present[:, j] & present[:, n_annotators]).any()
    ]
    stats = sp.pair_unit_stats(frame, present, pairs + gold_pairs, settings.iou_threshold)
    blocks = Blocks(n_units)
    for p in range(len(pairs) + len(gold_pairs)):
        blocks.add(
            stats[:, p, :], lambda s, p=p: {f"token/{p}": sp.finish_token_f1(s), f"iou/{p}": sp.finish_iou_f1(s)}
        )
    crossed = present[:, :n_annotators].all(axis=1)
    u_alpha_note = _u_alpha_note(have_texts, n_annotators, crossed)
    if not u_alpha_note:
        lengths = np.array([len(t) for t in unit_texts], dtype=np.float64) * crossed
        rater_spans = frame[(frame["annotator"] < n_annotators) & crossed[frame["unit"].to_numpy()]]
        unitized = sp.UnitizedAlpha(rater_spans, lengths, n_annotators, len(f.labels))
        blocks.add(unitized.stats, lambda s: {f"ualpha/{k}": v for k, v in unitized.finish(s).items()})
    results = blocks.evaluate(resamples)
    conf = settings.confidence
    no_pairs = co.NO_SHARED if pairs else co.NO_PAIRABLE
    out = Agreement(
        units=n_units,
        pairable_units=int((present[:, :n_annotators].sum(axis=1) >= 2).sum()),
        values=int(present[:, :n_annotators].sum()),
        tokens="item text" if have_texts else "span texts (items table not given)",
        iou_threshold=settings.iou_threshold,
        coefficients={
            "token_f1": estimate(*mean_of(results, [f"token/{p}" for p in range(len(pairs))], no_pairs), conf),
            "iou_f1": estimate(*mean_of(results, [f"iou/{p}" for p in range(len(pairs))], no_pairs), conf),
            "u_alpha": Estimate(None, undefined=u_alpha_note)
            if u_alpha_note
            else estimate(*results["ualpha/all"], conf),
        },
    )
    if not u_alpha_note:
        out.u_alpha_units = int(crossed.sum())
        out.u_alpha_by_label = {label: estimate(*results[f"ualpha/{k}"], conf) for k, label in enumerate(f.labels)}
    if detail:
        gold_index = {j: len(pairs) + k for k, (j, _) in enumerate(gold_pairs)}
        out.pairs = [
            PairAgreement(
                (data.annotators[a], data.annotators[b]),
                int((present[:, a] & present[:, b]).sum()),
                {"token_f1": estimate(*results[f"token/{p}"], conf), "iou_f1": estimate(*results[f"iou/{p}"], conf)},
            )
            for p, (a, b) in enumerate(pairs)
        ]
        out.annotators = _annotator_rows(data, frame, present, pairs, gold_index, results, conf)
    return out


def _annotator_rows(
    data: FieldData,
    frame,
    present: np.ndarray,
    pairs: list[tuple[int, int]],
    gold_index: dict[int, int],
    results: Results,
    conf: float,
) -> list[AnnotatorAgreement]:
    labels, reference_column = data.field.labels, len(data.annotators)
    rows = []
    for j, annotator in enumerate(data.annotators):
        mine = frame[frame["annotator"] == j]
        involved = [p for p, pair in enumerate(pairs) if j in pair]
        scores = {
            "token_f1_with_others": estimate(*mean_of(results, [f"token/{p}" for p in involved], co.NO_SHARED), conf),
            "iou_f1_with_others": estimate(*mean_of(results, [f"iou/{p}" for p in involved], co.NO_SHARED), conf),
        }
        reference = reference_agreement(
            int((present[:, j] & present[:, reference_column]).sum()),
            lambda j=j: {
                "token_f1": estimate(*results[f"token/{gold_index[j]}"], conf),
                "iou_f1": estimate(*results[f"iou/{gold_index[j]}"], conf),
            },
        )
        rows.append(
            AnnotatorAgreement(
                annotator,
                int(present[:, j].sum()),
                {labels[k]: int(n) for k, n in mine.groupby("label").size().items()},
                scores,
                reference,
            )
        )
    return rows
