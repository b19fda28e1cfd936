"""Agreement of categorical fields (choice, rating, multichoice) at their level.

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
=============================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from empathykit.agreement import coefficients as co
from empathykit.agreement.bootstrap import (
    Blocks,
    Finisher,
    Results,
    estimate,
    mean_of,
    reference_agreement,
    sharing_pairs,
)
from empathykit.agreement.table import FieldData
from empathykit.table.agreement import Agreement, AnnotatorAgreement, PairAgreement, Settings


@dataclass
class Categorical:
    """A field's values as codes ``(N, M)`` over a value domain."""

    codes: np.ndarray
    labels: list[str]  # display name per value
    positions: np.ndarray  # numeric position per value (ranks or scale values)
    level: str  # nominal | ordinal | interval | ratio | masi
    distances: np.ndarray | None  # fixed Krippendorff distances, None for ordinal
    weights: np.ndarray  # agreement weights of kappa / AC2
    weights_name: str
    reference: np.ndarray  # (N,) reference codes, -1 where none


def _codes(data: FieldData, code_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(N, M)`` codes of the cells and ``(N,)`` codes of the reference (``-1`` missing)."""
    codes = np.full((len(data.units), len(data.annotators)), -1, dtype=np.int64)
    codes[data.cell_unit, data.cell_annotator] = [code_of[raw] for raw in data.cell_raw.tolist()]
    reference = np.full(len(data.units), -1, dtype=np.int64)
    reference[data.ref_unit] = [code_of[raw] for raw in data.ref_raw.tolist()]
    return codes, reference


def _label_sets(data: FieldData, decoded: dict[str, Any]) -> Categorical:
    """A multichoice field: each distinct label set is one value, MASI distances between them."""
    f = data.field
    sets = {raw: frozenset(value) for raw, value in decoded.items()}
    domain = sorted(set(sets.values()), key=lambda s: (len(s), sorted(f.labels.index(x) for x in s)))
    index = {s: k for k, s in enumerate(domain)}
    codes, reference = _codes(data, {raw: index[value] for raw, value in sets.items()})
    labels = ["{" + ", ".join(sorted(s, key=f.labels.index)) + "}" for s in domain]
    distances = np.array([[co.masi_distance(a, b) for b in domain] for a in domain]).reshape(len(domain), len(domain))
    return Categorical(
        codes,
        labels,
        np.arange(len(domain), dtype=np.float64),
        "masi",
        distances,
        np.eye(len(domain)),
        "identity",
        reference,
    )


def categorical(data: FieldData, settings: Settings, decoded: dict[str, Any]) -> Categorical:
    """The value domain of a choice, rating or multichoice field and its codes."""
    f = data.field
    if f.kind == "multichoice":
        return _label_sets(data, decoded)
    if f.kind == "rating":
        low, high = f.scale  # type: ignore[misc]
        domain_values: list[Any] = list(range(low, high + 1))
        positions = np.asarray(domain_values, dtype=np.float64)
    else:
        domain_values = list(f.labels)
        positions = np.arange(len(domain_values), dtype=np.float64)
    index = {v: k for k, v in enumerate(domain_values)}
    codes, reference = _codes(data, {raw: index[value] for raw, value in decoded.items()})
    weights_name = "identity" if f.level == "nominal" else settings.weights
    return Categorical(
        codes,
        [str(v) for v in domain_values],
        positions,
        f.level,
        co.distance_matrix(positions, f.level),
        co.agreement_weights(positions, weights_name),  # type: ignore[arg-type]
        weights_name,
        reference,
    )


def binary_views(data: FieldData, decoded: dict[str, Any]) -> dict[str, Categorical]:
    """Each label of a multichoice field as a nominal present/absent field."""
    out = {}
    for label in data.field.labels:
        codes, reference = _codes(data, {raw: int(label in value) for raw, value in decoded.items()})
        out[label] = Categorical(
            codes,
            [f"not {label}", label],
            np.arange(2.0),
            "nominal",
            co.distance_matrix(np.arange(2.0), "nominal"),
            np.eye(2),
            "identity",
            reference,
        )
    return out


def _package_alpha(counts: np.ndarray, cat: Categorical) -> float:
    """Point estimate of alpha with the ``krippendorff`` package."""
    import krippendorff

    if cat.level == "masi":
        table = cat.distances

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):  # the package's DistanceMetric protocol
            return table[i1, i2].astype(dtype)

        return float(
            krippendorff.alpha(
                value_counts=counts, value_domain=np.arange(len(cat.labels)), level_of_measurement=metric
            )
        )
    return float(krippendorff.alpha(value_counts=counts, value_domain=cat.positions, level_of_measurement=cat.level))


def _alpha_finisher(name: str, distances: np.ndarray | None) -> Finisher:
    return lambda sums: {name: co.finish_alpha(sums, distances)}


def _one_value_detail(counts: np.ndarray, labels: list[str]) -> str:
    pairable = counts[counts.sum(axis=1) >= 2].sum(axis=0)
    used = [labels[k] for k in np.flatnonzero(pairable)]
    return f"every pairable value is {used[0]!r}" if len(used) == 1 else ""


def _blocks(cat: Categorical, counts: np.ndarray, pairs: list[tuple[int, int]], ac_name: str, detail: bool) -> Blocks:
    """The per-unit statistics of every coefficient (per annotator too with ``detail``)."""
    blocks = Blocks(cat.codes.shape[0])
    blocks.add(co.alpha_unit_stats(counts, cat.distances), _alpha_finisher("alpha", cat.distances))
    blocks.add(
        co.chance_unit_stats(counts, cat.weights),
        lambda s: {
            "percent": co.finish_percent(s),
            "fleiss": co.finish_fleiss(s),
            ac_name: co.finish_gwet(s, cat.weights),
        },
    )
    for p, (a, b) in enumerate(pairs):
        blocks.add(
            co.pair_unit_stats(cat.codes[:, a], cat.codes[:, b], cat.weights),
            lambda s, p=p: {f"kappa/{p}": co.finish_cohen(s, cat.weights), f"pct/{p}": co.finish_pair_percent(s)},
        )
    if detail:
        for j in range(cat.codes.shape[1]):
            without = counts - co.onehot(cat.codes[:, j], len(cat.labels))
            blocks.add(co.alpha_unit_stats(without, cat.distances), _alpha_finisher(f"loo/{j}", cat.distances))
            mine = cat.codes[:, j]
            blocks.add(co.others_unit_stats(counts, mine), lambda s, j=j: {f"others/{j}": co.finish_others(s)})
            if ((mine >= 0) & (cat.reference >= 0)).any():
                blocks.add(
                    co.pair_unit_stats(mine, cat.reference, cat.weights),
                    lambda s, j=j: {
                        f"ref_kappa/{j}": co.finish_cohen(s, cat.weights),
                        f"ref_pct/{j}": co.finish_pair_percent(s),
                    },
                )
    return blocks


def categorical_report(
    cat: Categorical,
    annotators: list[int],
    settings: Settings,
    resamples: Iterable[np.ndarray],
    *,
    detail: bool = True,
    kappas: bool = True,
) -> Agreement:
    """Coefficients of one categorical field (or one round of it, ``detail=False``)."""
    counts = co.value_counts(cat.codes, len(cat.labels))
    pairs = sharing_pairs(cat.codes >= 0)
    ac_name = "gwet_ac1" if cat.weights_name == "identity" else "gwet_ac2"
    results = _blocks(cat, counts, pairs, ac_name, detail).evaluate(resamples)

    def alpha_point(name: str, value_counts: np.ndarray) -> None:
        value, reason, boot = results[name]
        if reason == co.DEFINED:
            results[name] = (_package_alpha(value_counts, cat), reason, boot)

    alpha_point("alpha", counts)
    conf = settings.confidence
    one_value = _one_value_detail(counts, cat.labels)
    est = lambda name, extra="": estimate(*results[name], conf, extra)
    coeffs = {"krippendorff_alpha": est("alpha", one_value)}
    if kappas:
        coeffs["fleiss_kappa"] = est("fleiss", one_value)
        coeffs[ac_name] = est(ac_name)
    coeffs["percent_agreement"] = est("percent")
    if kappas:
        coeffs["cohen_kappa_mean"] = estimate(
            *mean_of(results, [f"kappa/{p}" for p in range(len(pairs))], co.NO_SHARED if pairs else co.NO_PAIRABLE),
            conf,
        )
    out = Agreement(
        units=cat.codes.shape[0],
        pairable_units=int((counts.sum(axis=1) >= 2).sum()),
        values=int((cat.codes >= 0).sum()),
        coefficients=coeffs,
    )
    if detail:
        for j in range(len(annotators)):
            alpha_point(f"loo/{j}", counts - co.onehot(cat.codes[:, j], len(cat.labels)))
        out.pairs = _pair_rows(cat, annotators, pairs, est, kappas)
        out.annotators = _annotator_rows(cat, annotators, pairs, results, est, conf, kappas)
    return out


def _pair_rows(
    cat: Categorical, annotators: list[int], pairs: list[tuple[int, int]], est, kappas: bool
) -> list[PairAgreement]:
    rows = []
    for p, (a, b) in enumerate(pairs):
        scores = {"percent_agreement": est(f"pct/{p}")}
        confusion = None
        if kappas:
            scores["cohen_kappa"] = est(f"kappa/{p}")
            confusion = co.confusion(cat.codes[:, a], cat.codes[:, b], len(cat.labels)).tolist()
        rows.append(
            PairAgreement(
                (annotators[a], annotators[b]),
                int(((cat.codes[:, a] >= 0) & (cat.codes[:, b] >= 0)).sum()),
                scores,
                confusion,
            )
        )
    return rows


def _annotator_rows(
    cat: Categorical,
    annotators: list[int],
    pairs: list[tuple[int, int]],
    results: Results,
    est,
    conf: float,
    kappas: bool,
) -> list[AnnotatorAgreement]:
    rows = []
    for j, annotator in enumerate(annotators):
        mine = cat.codes[:, j]
        distribution = np.bincount(mine[mine >= 0], minlength=len(cat.labels))
        involved = [p for p, pair in enumerate(pairs) if j in pair]
        scores = {"alpha_without": est(f"loo/{j}"), "agreement_with_others": est(f"others/{j}")}
        if kappas:
            scores["cohen_kappa_with_others"] = estimate(
                *mean_of(results, [f"kappa/{p}" for p in involved], co.NO_SHARED), conf
            )
        reference = reference_agreement(
            int(((mine >= 0) & (cat.reference >= 0)).sum()),
            lambda j=j: {
                "percent_agreement": est(f"ref_pct/{j}"),
                **({"cohen_kappa": est(f"ref_kappa/{j}")} if kappas else {}),
            },
        )
        rows.append(
            AnnotatorAgreement(
                annotator,
                int((mine >= 0).sum()),
                {cat.labels[k]: int(n) for k, n in enumerate(distribution) if n},
                scores,
                reference,
            )
        )
    return rows
