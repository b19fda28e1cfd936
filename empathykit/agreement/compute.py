"""Agreement of a pulled project, field by field, at each field's level of measurement.

``compute_agreement`` is the library entry point: a tidy annotation table and a
schema in, a JSON-ready dict out.

What is computed per field:

=============================  ==========================================================
``nominal`` choice             Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, percent
                               agreement, Cohen's kappa per pair
``ordinal``/``interval``/      alpha at that level (choice labels are ranks in schema
``ratio`` (choice, rating)     order; ratings their scale values), Fleiss' kappa
                               (unweighted), Gwet's AC2 and weighted Cohen's kappa per
                               pair (``weights``: linear or quadratic), percent agreement
``multichoice``                alpha with the MASI distance between label sets and
                               exact-set percent agreement for the field, plus every
                               nominal coefficient per label as a present/absent field
``spans``                      token-level F1, IOU-F1 and u-alpha (``spans`` module)
``text``                       nothing: reported as not applicable
=============================  ==========================================================

Per field there are also the pairs (Cohen's kappa, percent agreement and the
confusion matrix, or the span F1s), the annotators (alpha without them,
agreement with the others, agreement with the reference, label distribution)
and the same coefficients round by round. Every coefficient carries a seeded
percentile bootstrap interval over units; an undefined one carries its reason.

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

import zlib
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from empathykit.agreement import coefficients as co
from empathykit.agreement import spans as sp
from empathykit.agreement.table import (FieldData, Inventory, as_schema, field_data, take_inventory,
                                        text_from_spans)
from empathykit.table.annotations import check_values, load_annotations, read_adjudications, read_items
from empathykit.errors import AgreementError
from empathykit.schemas.base import Schema

Finisher = Callable[[np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]
NOT_APPLICABLE = "free-text field: no agreement coefficient applies"


@dataclass(frozen=True)
class Settings:
    """Knobs of ``compute_agreement``; written into the JSON as they were used."""

    n_boot: int = 1000
    seed: int = 0
    confidence: float = 0.95
    weights: str = "quadratic"      # ordinal/interval/ratio fields: weighted kappa and AC2
    iou_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.n_boot < 0:
            raise AgreementError(f"bootstrap resamples must be >= 0, got {self.n_boot}")
        if not 0 < self.confidence < 1:
            raise AgreementError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.weights not in ("linear", "quadratic"):
            raise AgreementError(f"weights must be linear or quadratic, got {self.weights!r}")
        if not 0 < self.iou_threshold <= 1:
            raise AgreementError(f"IOU threshold must be in (0, 1], got {self.iou_threshold}")


# -- additive statistics and their bootstrap ----------------------------------------------


class Blocks:
    """Named per-unit statistics of one set of units, evaluated on the plain
    sums (point estimates) and on bootstrap resamples of the units."""

    def __init__(self, n_units: int):
        self.n_units = n_units
        self._stats: list[np.ndarray] = []
        self._finishers: list[tuple[slice, Finisher]] = []
        self._width = 0

    def add(self, stats: np.ndarray, finish: Finisher) -> None:
        stats = np.asarray(stats, dtype=np.float64).reshape(self.n_units, -1)
        self._stats.append(stats)
        self._finishers.append((slice(self._width, self._width + stats.shape[1]), finish))
        self._width += stats.shape[1]

    def _finish(self, sums: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for part, finish in self._finishers:
            out.update(finish(sums[..., part]))
        return out

    def evaluate(self, resamples: Iterable[np.ndarray]) -> dict[str, tuple[float, int, np.ndarray]]:
        """``{name: (value, reason, bootstrap values (B,))}`` given the resampling
        weight chunks ``(b, N)`` of ``Resampler.chunks``."""
        matrix = np.concatenate(self._stats, axis=1) if self._stats else np.zeros((self.n_units, 0))
        point = self._finish(matrix.sum(axis=0))
        boot: dict[str, list[np.ndarray]] = {name: [] for name in point}
        if self.n_units and matrix.shape[1]:
            single = matrix.astype(np.float32)  # counts are exact in float32; halves the product's cost
            for weights in resamples:
                for name, (values, _) in self._finish((weights @ single).astype(np.float64)).items():
                    boot[name].append(values)
        return {name: (float(value), int(reason), np.concatenate(boot[name]) if boot[name] else np.zeros(0))
                for name, (value, reason) in point.items()}


class Resampler:
    """Bootstrap weight matrices, one draw per set of units, shared by every
    coefficient on those units (so all of a field's intervals come from the same
    resamples). Seeded by the settings' seed, the scope (``all``, ``round 2``)
    and the unit ids, so a re-run gives the same intervals. Draws are kept for
    reuse while they are small; larger ones are drawn again (same seed, same
    weights) so memory stays at one chunk."""

    KEEP = 50_000_000  # weights kept in memory at most (float32: 200 MB)

    def __init__(self, settings: "Settings", chunk: int = 250):
        self.settings = settings
        self.chunk = chunk
        self._kept: dict[tuple[str, int, int], list[np.ndarray]] = {}

    def chunks(self, scope: str, units: list[str]) -> Iterable[np.ndarray]:
        digest = zlib.crc32("\x1f".join(units).encode())
        key = (scope, len(units), digest)
        if key in self._kept:
            return self._kept[key]
        drawn = self._draw(scope, len(units), digest)
        if self.settings.n_boot * len(units) <= self.KEEP:
            self._kept[key] = list(drawn)
            return self._kept[key]
        return drawn

    def _draw(self, scope: str, n_units: int, digest: int) -> Iterator[np.ndarray]:
        rng = np.random.default_rng([self.settings.seed, zlib.crc32(scope.encode()), digest])
        n_boot = self.settings.n_boot
        for start in range(0, n_boot if n_units else 0, self.chunk):
            yield co.resample_weights(n_units, min(self.chunk, n_boot - start), rng).astype(np.float32)


def estimate(value: float, reason: int, boot: np.ndarray, confidence: float, detail: str = "") -> dict[str, Any]:
    """JSON of one coefficient: value with its interval, or why it is undefined."""
    if reason != co.DEFINED or not np.isfinite(value):
        why = co.REASONS[reason] if reason != co.DEFINED else "not a finite number"
        return {"value": None, "undefined": why + (f" ({detail})" if detail else "")}
    interval = co.percentile_interval(boot, confidence)
    return {"value": value, "ci": None if interval is None else list(interval),
            "n_boot": int(np.isfinite(boot).sum())}


def _mean_of(results: dict[str, tuple[float, int, np.ndarray]], names: list[str], reason_if_none: int) -> tuple[float, int, np.ndarray]:
    """Mean over several coefficients (e.g. all pairs), ignoring undefined ones."""
    defined = [results[n] for n in names if results[n][1] == co.DEFINED]
    if not defined:
        return float("nan"), reason_if_none, np.full(0, np.nan)
    value = float(np.mean([d[0] for d in defined]))
    stacked = np.stack([results[n][2] for n in names])
    finite = np.isfinite(stacked)
    count = finite.sum(axis=0)
    boot = np.where(count > 0, np.where(finite, stacked, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
    return value, co.DEFINED, boot


# -- categorical fields (choice, rating, multichoice) ------------------------------------------


@dataclass
class Categorical:
    """A field's values as codes ``(N, M)`` over a value domain."""

    codes: np.ndarray
    labels: list[str]             # display name per value
    positions: np.ndarray         # numeric position per value (ranks or scale values)
    level: str                    # nominal | ordinal | interval | ratio | masi
    distances: np.ndarray | None  # fixed Krippendorff distances, None for ordinal
    weights: np.ndarray           # agreement weights of kappa / AC2
    weights_name: str
    reference: np.ndarray         # (N,) reference codes, -1 where none


def _codes(data: FieldData, code_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(N, M)`` codes of the cells and ``(N,)`` codes of the reference (``-1`` missing)."""
    codes = np.full((len(data.units), len(data.annotators)), -1, dtype=np.int64)
    codes[data.cell_unit, data.cell_annotator] = [code_of[raw] for raw in data.cell_raw.tolist()]
    reference = np.full(len(data.units), -1, dtype=np.int64)
    reference[data.ref_unit] = [code_of[raw] for raw in data.ref_raw.tolist()]
    return codes, reference


def categorical(data: FieldData, settings: Settings, decoded: dict[str, Any]) -> Categorical:
    """The value domain of a choice, rating or multichoice field and its codes."""
    f = data.field
    if f.kind == "multichoice":
        sets = {raw: frozenset(value) for raw, value in decoded.items()}
        domain = sorted(set(sets.values()), key=lambda s: (len(s), sorted(f.labels.index(x) for x in s)))
        index = {s: k for k, s in enumerate(domain)}
        code_of = {raw: index[value] for raw, value in sets.items()}
        labels = ["{" + ", ".join(sorted(s, key=f.labels.index)) + "}" for s in domain]
        distances = np.array([[co.masi_distance(a, b) for b in domain] for a in domain]).reshape(len(domain), len(domain))
        positions = np.arange(len(domain), dtype=np.float64)
        level, weights, weights_name = "masi", np.eye(len(domain)), "identity"
    else:
        if f.kind == "rating":
            low, high = f.scale  # type: ignore[misc]
            domain_values: list[Any] = list(range(low, high + 1))
            positions = np.asarray(domain_values, dtype=np.float64)
        else:
            domain_values = list(f.labels)
            positions = np.arange(len(domain_values), dtype=np.float64)
        index = {v: k for k, v in enumerate(domain_values)}
        code_of = {raw: index[value] for raw, value in decoded.items()}
        labels = [str(v) for v in domain_values]
        level = f.level
        distances = co.distance_matrix(positions, level)
        weights_name = "identity" if level == "nominal" else settings.weights
        weights = co.agreement_weights(positions, weights_name)  # type: ignore[arg-type]
    codes, reference = _codes(data, code_of)
    return Categorical(codes, labels, positions, level, distances, weights, weights_name, reference)


def binary_views(data: FieldData, decoded: dict[str, Any]) -> dict[str, Categorical]:
    """Each label of a multichoice field as a nominal present/absent field."""
    out = {}
    for label in data.field.labels:
        codes, reference = _codes(data, {raw: int(label in value) for raw, value in decoded.items()})
        out[label] = Categorical(codes, [f"not {label}", label], np.arange(2.0), "nominal",
                                 co.distance_matrix(np.arange(2.0), "nominal"), np.eye(2), "identity", reference)
    return out


NO_REFERENCE = "no gold or adjudicated label on this annotator's units"


def _reference(units: int, estimates: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """An annotator's agreement with the reference labels, or why there is none."""
    return {"units": units, **estimates()} if units else {"units": 0, "undefined": NO_REFERENCE}


def _sharing_pairs(present: np.ndarray) -> list[tuple[int, int]]:
    """Annotator pairs ``(a, b)``, ``a < b``, that annotated at least one unit in common."""
    shared = present.T.astype(np.int64) @ present.astype(np.int64)
    return [(a, b) for a, b in combinations(range(present.shape[1]), 2) if shared[a, b]]


def _package_alpha(counts: np.ndarray, cat: Categorical) -> float:
    """Point estimate of alpha with the ``krippendorff`` package."""
    import krippendorff

    if cat.level == "masi":
        table = cat.distances

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):  # the package's DistanceMetric protocol
            return table[i1, i2].astype(dtype)

        return float(krippendorff.alpha(value_counts=counts, value_domain=np.arange(len(cat.labels)),
                                        level_of_measurement=metric))
    return float(krippendorff.alpha(value_counts=counts, value_domain=cat.positions, level_of_measurement=cat.level))


def _alpha_finisher(name: str, distances: np.ndarray | None) -> Finisher:
    return lambda sums: {name: co.finish_alpha(sums, distances)}


def _one_value_detail(counts: np.ndarray, labels: list[str]) -> str:
    pairable = counts[counts.sum(axis=1) >= 2].sum(axis=0)
    used = [labels[k] for k in np.flatnonzero(pairable)]
    return f"every pairable value is {used[0]!r}" if len(used) == 1 else ""


def categorical_report(cat: Categorical, annotators: list[int], settings: Settings, resamples: Iterable[np.ndarray],
                       *, detail: bool = True, kappas: bool = True) -> dict[str, Any]:
    """Coefficients of one categorical field (or one round of it, ``detail=False``)."""
    n_units, n_annotators = cat.codes.shape
    counts = co.value_counts(cat.codes, len(cat.labels))
    pairs = _sharing_pairs(cat.codes >= 0)
    blocks = Blocks(n_units)
    blocks.add(co.alpha_unit_stats(counts, cat.distances), _alpha_finisher("alpha", cat.distances))
    ac_name = "gwet_ac1" if cat.weights_name == "identity" else "gwet_ac2"
    blocks.add(co.chance_unit_stats(counts, cat.weights),
               lambda s: {"percent": co.finish_percent(s), "fleiss": co.finish_fleiss(s),
                          ac_name: co.finish_gwet(s, cat.weights)})
    for p, (a, b) in enumerate(pairs):
        blocks.add(co.pair_unit_stats(cat.codes[:, a], cat.codes[:, b], cat.weights),
                   lambda s, p=p: {f"kappa/{p}": co.finish_cohen(s, cat.weights), f"pct/{p}": co.finish_pair_percent(s)})
    if detail:
        for j in range(n_annotators):
            without = counts - co.onehot(cat.codes[:, j], len(cat.labels))
            blocks.add(co.alpha_unit_stats(without, cat.distances), _alpha_finisher(f"loo/{j}", cat.distances))
            mine = cat.codes[:, j]
            blocks.add(co.others_unit_stats(counts, mine), lambda s, j=j: {f"others/{j}": co.finish_others(s)})
            if ((mine >= 0) & (cat.reference >= 0)).any():
                blocks.add(co.pair_unit_stats(mine, cat.reference, cat.weights),
                           lambda s, j=j: {f"ref_kappa/{j}": co.finish_cohen(s, cat.weights),
                                           f"ref_pct/{j}": co.finish_pair_percent(s)})
    results = blocks.evaluate(resamples)

    def alpha_point(name: str, value_counts: np.ndarray) -> None:
        value, reason, boot = results[name]
        if reason == co.DEFINED:
            results[name] = (_package_alpha(value_counts, cat), reason, boot)

    alpha_point("alpha", counts)
    conf = settings.confidence
    one_value = _one_value_detail(counts, cat.labels)
    est = lambda name, extra="": estimate(*results[name], conf, extra)  # noqa: E731

    coeffs: dict[str, Any] = {"krippendorff_alpha": est("alpha", one_value)}
    if kappas:
        coeffs["fleiss_kappa"] = est("fleiss", one_value)
        coeffs[ac_name] = est(ac_name)
    coeffs["percent_agreement"] = est("percent")
    if kappas:
        coeffs["cohen_kappa_mean"] = estimate(*_mean_of(results, [f"kappa/{p}" for p in range(len(pairs))],
                                                        co.NO_SHARED if pairs else co.NO_PAIRABLE), conf)
    out: dict[str, Any] = {
        "units": n_units,
        "pairable_units": int((counts.sum(axis=1) >= 2).sum()),
        "values": int((cat.codes >= 0).sum()),
        "coefficients": coeffs,
    }
    if not detail:
        return out

    pair_rows = []
    for p, (a, b) in enumerate(pairs):
        row = {"annotators": [annotators[a], annotators[b]],
               "units": int(((cat.codes[:, a] >= 0) & (cat.codes[:, b] >= 0)).sum()),
               "percent_agreement": est(f"pct/{p}")}
        if kappas:
            row["cohen_kappa"] = est(f"kappa/{p}")
            row["confusion"] = co.confusion(cat.codes[:, a], cat.codes[:, b], len(cat.labels)).tolist()
        pair_rows.append(row)
    annotator_rows = []
    for j, annotator in enumerate(annotators):
        alpha_point(f"loo/{j}", counts - co.onehot(cat.codes[:, j], len(cat.labels)))
        mine = cat.codes[:, j]
        distribution = np.bincount(mine[mine >= 0], minlength=len(cat.labels))
        involved = [p for p, pair in enumerate(pairs) if j in pair]
        row = {"annotator_id": annotator, "values": int((mine >= 0).sum()),
               "label_distribution": {cat.labels[k]: int(n) for k, n in enumerate(distribution) if n},
               "alpha_without": est(f"loo/{j}"),
               "agreement_with_others": est(f"others/{j}")}
        if kappas:
            row["cohen_kappa_with_others"] = estimate(*_mean_of(results, [f"kappa/{p}" for p in involved], co.NO_SHARED), conf)
        row["reference"] = _reference(int(((mine >= 0) & (cat.reference >= 0)).sum()),
                                      lambda j=j: {"percent_agreement": est(f"ref_pct/{j}"),
                                                   **({"cohen_kappa": est(f"ref_kappa/{j}")} if kappas else {})})
        annotator_rows.append(row)
    out["pairs"] = pair_rows
    out["annotators"] = annotator_rows
    return out


# -- spans -------------------------------------------------------------------------------------


def spans_report(data: FieldData, texts: dict[str, str] | None, settings: Settings, resamples: Iterable[np.ndarray],
                 *, detail: bool = True, token_cache: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> dict[str, Any]:
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
    pairs = _sharing_pairs(present[:, :n_annotators])
    gold_pairs = [(j, n_annotators) for j in range(n_annotators)
                  if detail and (present[:, j] & present[:, n_annotators]).any()]
    gold_index = {j: len(pairs) + k for k, (j, _) in enumerate(gold_pairs)}
    stats = sp.pair_unit_stats(frame, present, pairs + gold_pairs, settings.iou_threshold)
    blocks = Blocks(n_units)
    for p in range(len(pairs) + len(gold_pairs)):
        blocks.add(stats[:, p, :], lambda s, p=p: {f"token/{p}": sp.finish_token_f1(s), f"iou/{p}": sp.finish_iou_f1(s)})

    # u-alpha: exact only with the texts' lengths and every rater on every unit
    crossed = present[:, :n_annotators].all(axis=1)
    u_alpha_note = ""
    if not have_texts:
        u_alpha_note = "u-alpha needs the item texts (their lengths bound the continuum); pass the items table"
    elif n_annotators < 2:
        u_alpha_note = "u-alpha needs two or more annotators"
    elif not crossed.any():
        u_alpha_note = f"no item was annotated by all {n_annotators} annotators (u-alpha needs every rater on every item)"
    unitized = None
    if not u_alpha_note:
        lengths = np.array([len(t) for t in unit_texts], dtype=np.float64) * crossed
        rater_spans = frame[(frame["annotator"] < n_annotators) & crossed[frame["unit"].to_numpy()]]
        unitized = sp.UnitizedAlpha(rater_spans, lengths, n_annotators, len(f.labels))
        blocks.add(unitized.stats, lambda s: {f"ualpha/{k}": v for k, v in unitized.finish(s).items()})
    results = blocks.evaluate(resamples)
    conf = settings.confidence
    est = lambda name: estimate(*results[name], conf)  # noqa: E731
    pair_names = range(len(pairs))
    no_pairs = co.NO_SHARED if pairs else co.NO_PAIRABLE
    coeffs = {
        "token_f1": estimate(*_mean_of(results, [f"token/{p}" for p in pair_names], no_pairs), conf),
        "iou_f1": estimate(*_mean_of(results, [f"iou/{p}" for p in pair_names], no_pairs), conf),
        "u_alpha": est("ualpha/all") if unitized else {"value": None, "undefined": u_alpha_note},
    }
    out: dict[str, Any] = {
        "units": n_units,
        "pairable_units": int((present[:, :n_annotators].sum(axis=1) >= 2).sum()),
        "values": int(present[:, :n_annotators].sum()),
        "tokens": "item text" if have_texts else "span texts (items table not given)",
        "iou_threshold": settings.iou_threshold,
        "coefficients": coeffs,
    }
    if unitized:
        out["u_alpha_units"] = int(crossed.sum())
        out["u_alpha_by_label"] = {label: est(f"ualpha/{k}") for k, label in enumerate(f.labels)}
    if not detail:
        return out
    out["pairs"] = [{"annotators": [data.annotators[a], data.annotators[b]],
                     "units": int((present[:, a] & present[:, b]).sum()),
                     "token_f1": est(f"token/{p}"), "iou_f1": est(f"iou/{p}")} for p, (a, b) in enumerate(pairs)]
    rows = []
    for j, annotator in enumerate(data.annotators):
        mine = frame[frame["annotator"] == j]
        involved = [p for p, pair in enumerate(pairs) if j in pair]
        rows.append({
            "annotator_id": annotator, "values": int(present[:, j].sum()),
            "label_distribution": {f.labels[k]: int(n) for k, n in mine.groupby("label").size().items()},
            "token_f1_with_others": estimate(*_mean_of(results, [f"token/{p}" for p in involved], co.NO_SHARED), conf),
            "iou_f1_with_others": estimate(*_mean_of(results, [f"iou/{p}" for p in involved], co.NO_SHARED), conf),
            "reference": _reference(int((present[:, j] & present[:, n_annotators]).sum()),
                                    lambda j=j: {"token_f1": est(f"token/{gold_index[j]}"),
                                                 "iou_f1": est(f"iou/{gold_index[j]}")}),
        })
    out["annotators"] = rows
    return out


# -- a whole table ---------------------------------------------------------------------------------


def _field_report(data: FieldData, texts: dict[str, str] | None, settings: Settings, resampler: Resampler,
                  scope: str, *, detail: bool, token_cache: dict) -> dict[str, Any]:
    f = data.field
    resamples = resampler.chunks(scope, data.units)
    if f.kind == "spans":
        return spans_report(data, texts, settings, resamples, detail=detail, token_cache=token_cache)
    decoded = data.decoder()
    cat = categorical(data, settings, decoded)
    report = categorical_report(cat, data.annotators, settings, resamples, detail=detail, kappas=cat.level != "masi")
    if f.kind != "multichoice":
        report.update(weights=cat.weights_name, labels=cat.labels)
        return report
    report["distance"] = "masi"
    if detail:
        # each use gets its own iterable: large draws are regenerated, not kept
        report["labels_binary"] = {label: categorical_report(view, data.annotators, settings,
                                                             resampler.chunks(scope, data.units), detail=False)
                                   for label, view in binary_views(data, decoded).items()}
    return report


def _texts(items: pd.DataFrame | None, schema: Schema) -> dict[str, dict[str, str]]:
    """``{input name: {item_id: text}}`` for the inputs spans point at."""
    if items is None:
        return {}
    out = {}
    for f in schema.fields:
        if f.kind == "spans" and f.to_name in items.columns:
            column = items[f.to_name]
            out[f.to_name] = dict(zip(items["item_id"].astype(str), column.fillna("").astype(str)))
    return out


def compute_agreement(
    annotations: str | Path | pd.DataFrame,
    schema: Schema | str | None = None,
    *,
    items: str | Path | pd.DataFrame | None = None,
    adjudications: str | Path | pd.DataFrame | None = None,
    fields: list[str] | None = None,
    settings: Settings = Settings(),
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Agreement of every field of ``schema`` in a tidy annotation table.

    ``items`` (the pushed items: ``item_id`` plus inputs) gives span fields
    their texts; ``adjudications`` (``item_id, field, value``) overrides gold
    as the reference. ``schema`` None (or a name): the one pull recorded in
    the table, with its options. Returns the JSON-ready result."""
    notify = on_progress or (lambda _msg: None)
    schema = as_schema(schema, annotations)
    frame = load_annotations(annotations)
    if frame.empty:
        raise AgreementError("the annotation table is empty", hint="pull a project with annotations first")
    check_values(frame, schema, error=AgreementError)
    chosen = list(schema.fields) if not fields else [schema.field(name) for name in fields]
    if isinstance(items, (str, Path)):
        items = read_items(items)
    if isinstance(adjudications, (str, Path)):
        adjudications = read_adjudications(adjudications)
    texts = _texts(items, schema)
    inventory = take_inventory(frame, schema)
    if not set(schema.field_names) & set(frame["field"].dropna().astype(str)):
        raise AgreementError(f"the annotations hold none of schema {schema.name!r}'s fields {list(schema.field_names)} "
                             f"(found {sorted(frame['field'].dropna().astype(str).unique())[:10]})",
                             hint="pass the schema the project was pushed with (--schema)")
    rounds = sorted(int(r) for r in frame["round"].dropna().unique())
    resampler = Resampler(settings)
    token_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    result: dict[str, Any] = {
        "schema": schema.name,
        "settings": asdict(settings),
        "input": inventory.to_json(),
        "annotators": _annotator_summary(inventory),
        "rounds": rounds,
        "fields": {},
    }
    for f in chosen:
        notify(f"field {f.name}")
        if f.level == "text" or f.kind == "text":
            result["fields"][f.name] = {"kind": f.kind, "level": f.level, "not_applicable": NOT_APPLICABLE}
            continue
        mine = frame[(frame["field"] == f.name).to_numpy()] if f.kind != "spans" else frame
        data = field_data(mine, f, adjudications)
        field_texts = texts.get(f.to_name)
        report: dict[str, Any] = {"kind": f.kind, "level": f.level}
        if not data.units:
            report["coefficients"] = {}
            report["undefined"] = "no submitted annotation has a value for this field"
            result["fields"][f.name] = report
            continue
        report.update(_field_report(data, field_texts, settings, resampler, "all", detail=True, token_cache=token_cache))
        report["reference"] = data.reference_source
        per_round = []
        for r in rounds:
            notify(f"field {f.name}, round {r}")
            round_data = field_data(mine[(mine["round"] == r).fillna(False).to_numpy()], f, adjudications)
            if round_data.units:
                per_round.append({"round": r, "annotators": round_data.annotators,
                                  **_field_report(round_data, field_texts, settings, resampler, f"round {r}",
                                                  detail=False, token_cache=token_cache)})
        report["rounds"] = per_round
        result["fields"][f.name] = report
    return result


def _annotator_summary(inventory: Inventory) -> dict[str, Any]:
    ids = sorted(set(inventory.emails) | set(inventory.annotations_by_annotator) | set(inventory.cancelled))
    return {str(a): {"email": inventory.emails.get(a),
                     "annotations": inventory.annotations_by_annotator.get(a, 0),
                     "ground_truth": inventory.ground_truth_by_annotator.get(a, 0),
                     "cancelled": inventory.cancelled.get(a, 0),
                     "median_lead_time": inventory.median_lead_time.get(a)} for a in ids}


#: Short coefficient names for terminal tables.
SHORT_NAMES = {"krippendorff_alpha": "alpha", "fleiss_kappa": "Fleiss kappa", "gwet_ac1": "Gwet AC1", "gwet_ac2": "Gwet AC2",
               "percent_agreement": "% agreement", "cohen_kappa_mean": "Cohen kappa (mean)", "token_f1": "token F1",
               "iou_f1": "IOU-F1", "u_alpha": "u-alpha"}


def summary_rows(result: dict[str, Any]) -> list[list[Any]]:
    """``[field, coefficient, value, low, high, units]`` rows for a table."""
    rows = []
    for name, report in result["fields"].items():
        if "not_applicable" in report:
            rows.append([name, "—", None, None, None, report["not_applicable"]])
            continue
        for coefficient, est in report.get("coefficients", {}).items():
            ci = est.get("ci") or [None, None]
            rows.append([name, SHORT_NAMES.get(coefficient, coefficient), est["value"], ci[0], ci[1],
                         report.get("pairable_units") if est["value"] is not None else est["undefined"]])
    return rows


def pair_rows(result: dict[str, Any]) -> list[list[Any]]:
    """``[field, annotator a, annotator b, shared units, kappa or token F1, % agreement or IOU-F1]``
    rows of every annotator pair."""
    def who(annotator: int) -> str:
        return result["annotators"].get(str(annotator), {}).get("email") or f"#{annotator}"

    rows = []
    for name, report in result["fields"].items():
        for pair in report.get("pairs", []):
            first, second = ("cohen_kappa", "percent_agreement") if "cohen_kappa" in pair else \
                ("token_f1", "iou_f1") if "token_f1" in pair else (None, "percent_agreement")
            rows.append([name, who(pair["annotators"][0]), who(pair["annotators"][1]), pair["units"],
                         pair[first]["value"] if first else None, pair[second]["value"]])
    return rows
