"""Agreement coefficients as vectorised functions of per-unit statistics.

Every coefficient here is a function of *sums over units* of small per-unit
statistics. That is what makes the bootstrap cheap: resampling units with
replacement is a weight matrix ``W`` of shape ``(B, N)`` (how often each of
the ``N`` units occurs in each of ``B`` resamples), the resampled sums are one
matrix product ``W @ S`` with the ``(N, K)`` statistics ``S``, and each
``finish_*`` function turns sums with any leading batch shape ``(...)`` into
coefficients of shape ``(...)``. The point estimate is the same function of
the plain sums.

Each ``finish_*`` returns ``(value, reason)``: ``reason`` is an integer array
indexing ``REASONS`` (``0`` where the coefficient is defined, ``value`` NaN
where it is not), so an undefined coefficient always carries its cause.

Notation follows the sources: ``counts`` ``(N, V)`` is how many annotators gave
unit ``u`` value ``v`` (Krippendorff's ``n_uv``, Gwet's ``r_ik``); ``codes``
``(N,)`` is one annotator's value index per unit, ``-1`` where missing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

#: Why a coefficient is undefined; ``reason`` arrays index this tuple.
REASONS = (
    "",
    "no unit has values from two or more annotators",
    "only one value occurs among the pairable values, so chance agreement is total",
    "the two annotators share no unit",
    "the field has fewer than two categories",
    "no annotator marked any span",
)
DEFINED, NO_PAIRABLE, ONE_VALUE, NO_SHARED, FEW_CATEGORIES, NO_SPANS = range(len(REASONS))

EPS = 1e-12
Weights = Literal["identity", "linear", "quadratic"]


def first_reason(*conditions: tuple[np.ndarray, int]) -> np.ndarray:
    """First matching reason code per element (``np.select`` keeps order)."""
    conds = [np.asarray(c) for c, _ in conditions]
    return np.select(conds, [code for _, code in conditions], DEFINED).astype(np.int8)


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(den) > EPS, num / np.where(np.abs(den) > EPS, den, 1.0), np.nan)


# -- building blocks ----------------------------------------------------------


def value_counts(codes: np.ndarray, n_values: int) -> np.ndarray:
    """``(N, M)`` codes of ``M`` annotators (``-1`` missing) → ``(N, V)`` counts."""
    codes = np.asarray(codes)
    n_units = codes.shape[0]
    present = codes >= 0
    flat = (np.arange(n_units)[:, None] * n_values + np.where(present, codes, 0))[present]
    return np.bincount(flat, minlength=n_units * n_values).reshape(n_units, n_values).astype(np.float64)


def onehot(codes: np.ndarray, n_values: int) -> np.ndarray:
    """``(N,)`` codes (``-1`` missing) → ``(N, V)`` indicator rows (zero where missing)."""
    codes = np.asarray(codes)
    out = np.zeros((codes.shape[0], n_values))
    present = codes >= 0
    out[np.flatnonzero(present), codes[present]] = 1.0
    return out


def agreement_weights(positions: np.ndarray, scheme: Weights = "identity") -> np.ndarray:
    """``(V, V)`` agreement weights (1 on the diagonal) over value positions ``(V,)``.

    ``linear``: ``1 - |x_k - x_l| / (max - min)``; ``quadratic``:
    ``1 - (x_k - x_l)^2 / (max - min)^2`` (Cohen 1968; Gwet 2014, ch. 3)."""
    x = np.asarray(positions, dtype=np.float64)
    span = x.max() - x.min() if x.size else 0.0
    if scheme == "identity" or span == 0:
        return np.eye(x.size)
    diff = np.abs(x[:, None] - x[None, :]) / span
    if scheme == "linear":
        return 1.0 - diff
    if scheme == "quadratic":
        return 1.0 - diff**2
    raise ValueError(f"unknown weights {scheme!r}; expected identity, linear or quadratic")


def distance_matrix(positions: np.ndarray, level: str) -> np.ndarray | None:
    """``(V, V)`` Krippendorff distances ``delta^2`` for a fixed metric, or ``None``
    for ``ordinal`` (its distances depend on the marginals; see ``ordinal_distances``)."""
    x = np.asarray(positions, dtype=np.float64)
    if level == "nominal":
        return 1.0 - np.eye(x.size)
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        total = x[:, None] + x[None, :]
        return np.divide(x[:, None] - x[None, :], total, out=np.zeros_like(total), where=total != 0) ** 2
    if level == "ordinal":
        return None
    raise ValueError(f"unknown level {level!r}")


def ordinal_distances(n_v: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal metric ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2``.

    ``n_v`` ``(..., V)`` pairable values per rank → ``(..., V, V)``."""
    cum = np.concatenate([np.zeros(n_v.shape[:-1] + (1,)), np.cumsum(n_v, axis=-1)], axis=-1)
    upper = cum[..., None, 1:] - cum[..., :-1, None]  # [c, k] = sum of n_g for g in c..k (valid for c <= k)
    v = n_v.shape[-1]
    between = np.where(np.arange(v)[:, None] <= np.arange(v)[None, :], upper, np.swapaxes(upper, -1, -2))
    return (between - (n_v[..., :, None] + n_v[..., None, :]) / 2) ** 2


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance between two label sets (Passonneau 2006): ``1 - J * M`` with
    ``J`` the Jaccard index and ``M`` 1 (equal), 2/3 (one contains the other),
    1/3 (overlap), 0 (disjoint). Two empty sets are equal (distance 0)."""
    if a == b:
        return 0.0
    union = len(a | b)
    jaccard = len(a & b) / union
    monotonicity = 2 / 3 if (a <= b or b <= a) else (1 / 3 if a & b else 0.0)
    return 1.0 - jaccard * monotonicity


# -- Krippendorff's alpha -------------------------------------------------------


def coincidences(counts: np.ndarray) -> np.ndarray:
    """Per-unit coincidence matrices ``(N, V, V)``: ``(n_uc n_uk - [c=k] n_uc) / (m_u - 1)``
    for units with ``m_u >= 2`` values, zero otherwise (Krippendorff 2011, sec. B)."""
    m = counts.sum(axis=1)
    scale = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
    outer = counts[:, :, None] * counts[:, None, :]
    idx = np.arange(counts.shape[1])
    outer[:, idx, idx] -= counts
    return outer * scale[:, None, None]


def alpha_unit_stats(counts: np.ndarray, distances: np.ndarray | None) -> np.ndarray:
    """Additive statistics of alpha per unit.

    Fixed metric ``(V, V)``: ``[D_o contribution, n_uv of pairable units]`` ``(N, 1 + V)``.
    Ordinal (``distances is None``): the flattened coincidences ``(N, V * V)``."""
    if distances is None:
        return coincidences(counts).reshape(counts.shape[0], -1)
    m = counts.sum(axis=1)
    pairable = (m >= 2).astype(np.float64)
    observed = np.einsum("nc,ck,nk->n", counts, distances, counts) * pairable / np.maximum(m - 1, 1)
    return np.concatenate([observed[:, None], counts * pairable[:, None]], axis=1)


def finish_alpha(sums: np.ndarray, distances: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Alpha ``1 - (n - 1) sum(o * d) / sum(n_c n_k d)`` from ``alpha_unit_stats`` sums ``(..., K)``."""
    if distances is None:
        v = int(round(np.sqrt(sums.shape[-1])))
        o = sums.reshape(sums.shape[:-1] + (v, v))
        n_v = o.sum(axis=-1)
        d = ordinal_distances(n_v)
        observed = (o * d).sum(axis=(-2, -1))
    else:
        observed, n_v = sums[..., 0], sums[..., 1:]
        d = distances
    n = n_v.sum(axis=-1)
    expected = np.einsum("...c,...ck,...k->...", n_v, d, n_v)
    value = 1.0 - safe_ratio((n - 1) * observed, expected)
    reason = first_reason((n < 2 - EPS, NO_PAIRABLE), (expected <= EPS, ONE_VALUE))
    return np.where(reason == DEFINED, value, np.nan), reason


# -- Fleiss' kappa, Gwet's AC1/AC2, percent agreement (multi-rater, missing data) --


def chance_unit_stats(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-unit statistics shared by Fleiss' kappa, Gwet's AC1/AC2 and percent
    agreement, in Gwet's (2014) formulation for missing ratings:
    ``[pa_w_i, pa_i, [r_i>=2], [r_i>=1], r_ik / r_i (V)]`` ``(N, 4 + V)``.

    ``pa_w_i = sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` with ``r*_ik = sum_l w_kl r_il``."""
    r = counts.sum(axis=1)
    two = r >= 2
    one = r >= 1
    pair_den = np.where(two, r * (r - 1), 1.0)
    weighted = (counts * (counts @ weights.T - 1)).sum(axis=1) / pair_den * two
    exact = (counts * (counts - 1)).sum(axis=1) / pair_den * two
    shares = counts / np.where(one, r, 1.0)[:, None]
    return np.concatenate([weighted[:, None], exact[:, None], two[:, None], one[:, None], shares], axis=1).astype(
        np.float64
    )


def _chance_parts(sums: np.ndarray):
    n2, n1 = sums[..., 2], sums[..., 3]
    pa_w = safe_ratio(sums[..., 0], n2)
    pa = safe_ratio(sums[..., 1], n2)
    pi = sums[..., 4:] / np.where(n1 > EPS, n1, 1.0)[..., None]
    return pa_w, pa, pi, n2


def finish_percent(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over units rated twice or more of the share of agreeing rater pairs."""
    _, pa, _, n2 = _chance_parts(sums)
    reason = first_reason((n2 <= EPS, NO_PAIRABLE))
    return np.where(reason == DEFINED, pa, np.nan), reason


def finish_fleiss(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fleiss' kappa ``(p_a - p_e) / (1 - p_e)``, ``p_e = sum_k pi_k^2`` (Fleiss 1971;
    Gwet 2014's generalisation to a varying number of raters per unit)."""
    _, pa, pi, n2 = _chance_parts(sums)
    pe = (pi**2).sum(axis=-1)
    value = safe_ratio(pa - pe, 1 - pe)
    reason = first_reason((n2 <= EPS, NO_PAIRABLE), (1 - pe <= EPS, ONE_VALUE))
    return np.where(reason == DEFINED, value, np.nan), reason


def finish_gwet(sums: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gwet's AC1 (identity weights) / AC2: ``p_e = T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)``
    with ``q`` the number of categories and ``T_w`` the sum of the weights (Gwet 2008, 2014)."""
    q = weights.shape[0]
    pa_w, _, pi, n2 = _chance_parts(sums)
    if q < 2:
        reason = np.full(np.shape(n2), FEW_CATEGORIES, dtype=np.int8)
        return np.full(np.shape(n2), np.nan), reason
    pe = weights.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum(axis=-1)
    value = safe_ratio(pa_w - pe, 1 - pe)
    reason = first_reason((n2 <= EPS, NO_PAIRABLE), (1 - pe <= EPS, ONE_VALUE))
    return np.where(reason == DEFINED, value, np.nan), reason


# -- two annotators -------------------------------------------------------------


def pair_unit_stats(codes_a: np.ndarray, codes_b: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-unit statistics of Cohen's kappa between two annotators:
    ``[w(a, b), [a = b], onehot(a) (V), onehot(b) (V), [both rated]]`` ``(N, 3 + 2V)``."""
    both = (codes_a >= 0) & (codes_b >= 0)
    a = np.where(both, codes_a, -1)
    b = np.where(both, codes_b, -1)
    safe_a, safe_b = np.maximum(a, 0), np.maximum(b, 0)
    v = weights.shape[0]
    agree_w = weights[safe_a, safe_b] * both
    agree = (a == b) & both
    return np.concatenate([agree_w[:, None], agree[:, None], onehot(a, v), onehot(b, v), both[:, None]], axis=1)


def finish_cohen(sums: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Weighted) Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` with
    ``p_o = sum w_kl p_kl`` and ``p_e = sum w_kl p_k. p_.l`` (Cohen 1960, 1968)."""
    v = weights.shape[0]
    n = sums[..., -1]
    safe_n = np.where(n > EPS, n, 1.0)
    po = sums[..., 0] / safe_n
    rows = sums[..., 2 : 2 + v] / safe_n[..., None]
    cols = sums[..., 2 + v : 2 + 2 * v] / safe_n[..., None]
    pe = np.einsum("...k,kl,...l->...", rows, weights, cols)
    value = safe_ratio(po - pe, 1 - pe)
    reason = first_reason((n <= EPS, NO_SHARED), (1 - pe <= EPS, ONE_VALUE))
    return np.where(reason == DEFINED, value, np.nan), reason


def finish_pair_percent(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of shared units on which the two annotators gave the same value."""
    n = sums[..., -1]
    reason = first_reason((n <= EPS, NO_SHARED))
    return np.where(reason == DEFINED, safe_ratio(sums[..., 1], n), np.nan), reason


def others_unit_stats(counts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-unit ``[others agreeing with the annotator, others]`` ``(N, 2)`` for one
    annotator's ``codes`` ``(N,)`` against everyone's ``counts`` ``(N, V)``."""
    rated = codes >= 0
    agreeing = np.where(rated, counts[np.arange(codes.shape[0]), np.maximum(codes, 0)] - 1, 0)
    others = np.where(rated, counts.sum(axis=1) - 1, 0)
    return np.stack([agreeing, others], axis=1).astype(np.float64)


def finish_others(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of the annotator's pairings with other annotators that agree."""
    reason = first_reason((sums[..., 1] <= EPS, NO_SHARED))
    return np.where(reason == DEFINED, safe_ratio(sums[..., 0], sums[..., 1]), np.nan), reason


def confusion(codes_a: np.ndarray, codes_b: np.ndarray, n_values: int) -> np.ndarray:
    """``(V, V)`` counts of (value of a, value of b) over the units both rated."""
    both = (codes_a >= 0) & (codes_b >= 0)
    flat = codes_a[both] * n_values + codes_b[both]
    return np.bincount(flat, minlength=n_values * n_values).reshape(n_values, n_values)


# -- the bootstrap ----------------------------------------------------------------


def resample_weights(n_units: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``(B, N)`` multiplicities of each unit in ``B`` resamples of ``N`` units drawn
    with replacement (a non-parametric bootstrap over units)."""
    draws = rng.integers(0, n_units, size=(n_resamples, n_units))
    offsets = (np.arange(n_resamples) * n_units)[:, None]
    flat = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n_units)
    return flat.reshape(n_resamples, n_units).astype(np.float64)


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the defined bootstrap values, ``None`` when none is defined."""
    defined = samples[np.isfinite(samples)]
    if defined.size == 0:
        return None
    tail = (1 - confidence) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high)
