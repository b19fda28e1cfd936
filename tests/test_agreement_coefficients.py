"""Agreement maths against published reference values and independent computations.

Sources of the reference values (each also recomputed here from its definition):

- Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", sec. C:
  4 observers x 12 units with missing values: nominal 0.743, ordinal 0.815,
  interval 0.849, ratio 0.797; sec. A: binary data, 2 observers, alpha 0.095.
- Krippendorff (2004), Content Analysis 2nd ed., p. 254: the unitizing example,
  D_o(c) = 0.0144, D_e(c) = 0.0532, alpha_c = 0.7286, D_e(k) = 0.0490, alpha_k = 1.
- Fleiss (1971): 30 patients x 6 psychiatrists x 5 diagnoses, kappa 0.430
  (R irr ``kappam.fleiss(diagnoses)`` 0.4302445); Wikipedia's worked example
  (10 subjects x 14 raters x 5 categories) 0.210.
- Cohen's kappa: Wikipedia's 50-item example 0.40; R irr ``kappa2(anxiety[, 2:3])``
  unweighted -0.006289308, "equal" (linear) 0.1459075, "squared" 0.2520325.
- Gwet (2014) Handbook data in his irrCAC package: ``cac.raw4raters`` (the same
  12 x 4 reliability data) percent agreement 0.8181818, AC1 0.77544, Fleiss
  0.76117, AC2 (quadratic) 0.914, alpha (quadratic = interval) 0.84911;
  ``distrib.6raters`` AC1 0.4448007, Fleiss 0.4139265, alpha 0.4204384, AC2
  (quadratic) 0.4837438; ``cont3x3abstractors`` Cohen 0.7964094, AC1
  0.8493305, percent 0.89, quadratic Cohen 0.8921569, quadratic AC2 0.9402369.
"""

from __future__ import annotations

import itertools

import krippendorff
import numpy as np
import pandas as pd
import pytest

from empathykit.agreement import coefficients as co
from empathykit.agreement.spans import UnitizedAlpha, finish_iou_f1, finish_token_f1, pair_unit_stats, span_rows

nan = np.nan

# Krippendorff 2011, sec. C (rows: observers A-D; columns: units 1-12)
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

# Fleiss 1971 (as in R irr's `diagnoses`): 30 patients, 6 raters, diagnoses 1-5
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Wikipedia, "Fleiss' kappa", worked example: raters per category per subject
FLEISS_WIKI = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ],
    float,
)

# irrCAC `distrib.6raters`: raters per category per subject
DISTRIB_6RATERS = np.array(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
    ],
    float,
)

# irrCAC `cont3x3abstractors`: rows rater 1, columns rater 2
CONT3X3 = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])

# R irr `anxiety`: 20 subjects rated 1-6 by 3 raters
ANXIETY = np.array(
    [
        3,
        3,
        3,
        4,
        5,
        5,
        2,
        3,
        5,
        2,
        2,
        6,
        1,
        5,
        2,
        2,
        1,
        2,
        4,
        3,
        3,
        6,
        4,
        6,
        2,
        4,
        2,
        4,
        3,
        3,
        2,
        3,
        3,
        3,
        2,
        2,
        1,
        3,
        3,
        4,
        2,
        1,
        4,
        4,
        3,
        2,
        1,
        6,
        1,
        1,
        1,
        2,
        3,
        3,
        1,
        1,
        3,
        3,
        2,
        2,
    ]
).reshape(20, 3, order="F")


def codes_of(data: np.ndarray) -> np.ndarray:
    """Observers x units with NaN → units x observers codes (value - 1, -1 missing)."""
    return np.where(np.isnan(data), -1, data - 1).astype(int).T


def table_to_codes(table: np.ndarray) -> np.ndarray:
    a, b = [], []
    for i, j in itertools.product(range(table.shape[0]), range(table.shape[1])):
        a += [i] * int(table[i, j])
        b += [j] * int(table[i, j])
    return np.stack([a, b], axis=1)


def alpha(counts: np.ndarray, level: str, positions: np.ndarray) -> float:
    d = co.distance_matrix(positions, level)
    value, reason = co.finish_alpha(co.alpha_unit_stats(counts, d).sum(axis=0), d)
    assert reason == co.DEFINED
    return float(value)


def naive_alpha(units: list[list[float]], level: str) -> float:
    """Alpha straight from its definition: all ordered pairs of values within units
    (each unit weighted 1/(m_u - 1)) against all pairs of pairable values."""
    pairable = [u for u in units if len(u) >= 2]
    values = [v for u in pairable for v in u]
    domain = sorted(set(values))
    n_v = {c: values.count(c) for c in domain}

    def delta(c: float, k: float) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return ((c - k) / (c + k)) ** 2 if c + k else 0.0
        lo, hi = sorted((c, k))  # ordinal
        return (sum(n_v[g] for g in domain if lo <= g <= hi) - (n_v[c] + n_v[k]) / 2) ** 2

    observed = sum(
        sum(delta(u[i], u[j]) for i in range(len(u)) for j in range(len(u)) if i != j) / (len(u) - 1) for u in pairable
    )
    n = len(values)
    expected = sum(delta(values[i], values[j]) for i in range(n) for j in range(n) if i != j) / (n - 1)
    return 1 - observed / expected


# -- Krippendorff's alpha ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level,published", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_alpha_krippendorff_2011_example(level, published):
    codes = codes_of(K2011)
    counts = co.value_counts(codes, 5)
    positions = np.arange(1.0, 6.0)
    ours = alpha(counts, level, positions)
    units = [[v for v in K2011[:, u] if not np.isnan(v)] for u in range(K2011.shape[1])]
    assert ours == pytest.approx(naive_alpha(units, level), abs=1e-12)
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=K2011, level_of_measurement=level), abs=1e-12)
    assert round(ours, 3) == published


def test_alpha_krippendorff_2011_binary_example():
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    counts = co.value_counts(np.array([a, b]).T, 2)
    ours = alpha(counts, "nominal", np.arange(2.0))
    assert ours == pytest.approx(naive_alpha([[x, y] for x, y in zip(a, b)], "nominal"), abs=1e-12)
    assert round(ours, 3) == 0.095


def test_ordinal_distances_follow_the_definition():
    n_v = np.array([3.0, 5.0, 2.0])
    d = co.ordinal_distances(n_v)
    assert d[0, 1] == (3 + 5 - (3 + 5) / 2) ** 2
    assert d[0, 2] == (3 + 5 + 2 - (3 + 2) / 2) ** 2
    assert d[1, 2] == (5 + 2 - (5 + 2) / 2) ** 2
    assert np.allclose(d, d.T) and not d.diagonal().any()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_vectorised_alpha_equals_the_package_on_random_data(seed, level):
    rng = np.random.default_rng(seed)
    n_units, n_coders, v = 40, 4, 5
    data = rng.integers(1, v + 1, size=(n_coders, n_units)).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    counts = co.value_counts(codes_of(data), v)
    expected = krippendorff.alpha(value_counts=counts, value_domain=np.arange(1, v + 1), level_of_measurement=level)
    assert alpha(counts, level, np.arange(1.0, v + 1)) == pytest.approx(expected, abs=1e-10)


def test_alpha_ignores_units_with_one_value_as_krippendorff_defines():
    codes = codes_of(K2011)
    counts = co.value_counts(codes, 5)
    lone = np.zeros((3, 5))
    lone[:, 4] = 1  # three units with a single value each: not pairable, must not count
    assert alpha(np.vstack([counts, lone]), "nominal", np.arange(5.0)) == pytest.approx(
        alpha(counts, "nominal", np.arange(5.0))
    )


# -- Fleiss, Gwet, percent agreement ------------------------------------------------------------------


def chance(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return co.chance_unit_stats(counts, weights).sum(axis=0)


def naive_fleiss(table: np.ndarray) -> float:
    """Fleiss (1971), eqs. 1-6, for a constant number of raters."""
    n_sub, _ = table.shape
    m = table.sum(axis=1)[0]
    p_j = table.sum(axis=0) / (n_sub * m)
    p_i = ((table**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), (p_j**2).sum()
    return (p_bar - p_e) / (1 - p_e)


def test_fleiss_1971_example():
    counts = co.value_counts(FLEISS_1971 - 1, 5)
    value, _ = co.finish_fleiss(chance(counts, np.eye(5)))
    assert value == pytest.approx(naive_fleiss(counts), abs=1e-12)
    assert value == pytest.approx(0.4302445, abs=1e-7)
    assert round(float(value), 2) == 0.43


def test_fleiss_wikipedia_example():
    value, _ = co.finish_fleiss(chance(FLEISS_WIKI, np.eye(5)))
    assert value == pytest.approx(naive_fleiss(FLEISS_WIKI), abs=1e-12)
    assert round(float(value), 3) == 0.210


def test_gwet_handbook_raw4raters():
    counts = co.value_counts(codes_of(K2011), 5)
    stats = chance(counts, np.eye(5))
    assert co.finish_percent(stats)[0] == pytest.approx(0.8181818, abs=1e-7)
    assert co.finish_gwet(stats, np.eye(5))[0] == pytest.approx(0.77544, abs=5e-6)
    assert co.finish_fleiss(stats)[0] == pytest.approx(0.76117, abs=5e-6)
    quadratic = co.agreement_weights(np.arange(1.0, 6.0), "quadratic")
    assert co.finish_gwet(chance(counts, quadratic), quadratic)[0] == pytest.approx(0.914, abs=5e-4)
    assert alpha(counts, "interval", np.arange(1.0, 6.0)) == pytest.approx(0.84911, abs=5e-6)


def test_gwet_ac1_by_hand_on_raw4raters():
    """AC1 from Gwet's formulas written out: p_a over units rated twice or more,
    pi_k over all rated units, p_e = sum pi_k (1 - pi_k) / (q - 1)."""
    units = [[v for v in K2011[:, u] if not np.isnan(v)] for u in range(12)]
    q = 5
    pa = np.mean(
        [
            sum(u.count(k) * (u.count(k) - 1) for k in range(1, 6)) / (len(u) * (len(u) - 1))
            for u in units
            if len(u) >= 2
        ]
    )
    pi = [np.mean([u.count(k) / len(u) for u in units]) for k in range(1, 6)]
    pe = sum(p * (1 - p) for p in pi) / (q - 1)
    counts = co.value_counts(codes_of(K2011), 5)
    assert co.finish_gwet(chance(counts, np.eye(5)), np.eye(5))[0] == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)


def test_gwet_and_fleiss_on_distrib_6raters():
    stats = chance(DISTRIB_6RATERS, np.eye(5))
    assert co.finish_gwet(stats, np.eye(5))[0] == pytest.approx(0.4448007, abs=1e-7)
    assert co.finish_fleiss(stats)[0] == pytest.approx(0.4139265, abs=1e-7)
    assert alpha(DISTRIB_6RATERS, "nominal", np.arange(5.0)) == pytest.approx(0.4204384, abs=1e-7)
    quadratic = co.agreement_weights(np.arange(5.0), "quadratic")
    assert co.finish_gwet(chance(DISTRIB_6RATERS, quadratic), quadratic)[0] == pytest.approx(0.4837438, abs=1e-7)


# -- Cohen's kappa -----------------------------------------------------------------------------------------


def cohen(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> float:
    value, reason = co.finish_cohen(co.pair_unit_stats(a, b, weights).sum(axis=0), weights)
    assert reason == co.DEFINED
    return float(value)


def test_cohen_wikipedia_example():
    # 50 proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15
    table = np.array([[15, 10], [5, 20]])  # rows A (no, yes), columns B (no, yes)
    codes = table_to_codes(table)
    p_o = (15 + 20) / 50
    p_e = (25 / 50) * (20 / 50) + (25 / 50) * (30 / 50)
    assert cohen(codes[:, 0], codes[:, 1], np.eye(2)) == pytest.approx((p_o - p_e) / (1 - p_e))
    assert round(cohen(codes[:, 0], codes[:, 1], np.eye(2)), 2) == 0.40


@pytest.mark.parametrize(
    "scheme,published", [("identity", -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)]
)
def test_weighted_cohen_r_irr_anxiety(scheme, published):
    levels = sorted(set(ANXIETY[:, 1]) | set(ANXIETY[:, 2]))  # irr uses the levels that occur
    a = np.searchsorted(levels, ANXIETY[:, 1])
    b = np.searchsorted(levels, ANXIETY[:, 2])
    weights = co.agreement_weights(np.arange(float(len(levels))), scheme)
    assert cohen(a, b, weights) == pytest.approx(published, abs=1e-7)


def test_two_rater_coefficients_on_cont3x3abstractors():
    codes = table_to_codes(CONT3X3)
    counts = co.value_counts(codes, 3)
    assert cohen(codes[:, 0], codes[:, 1], np.eye(3)) == pytest.approx(0.7964094, abs=1e-7)
    assert co.finish_pair_percent(co.pair_unit_stats(codes[:, 0], codes[:, 1], np.eye(3)).sum(0))[0] == pytest.approx(
        0.89
    )
    assert co.finish_gwet(chance(counts, np.eye(3)), np.eye(3))[0] == pytest.approx(0.8493305, abs=1e-7)
    quadratic = co.agreement_weights(np.arange(3.0), "quadratic")
    assert cohen(codes[:, 0], codes[:, 1], quadratic) == pytest.approx(0.8921569, abs=1e-7)
    assert co.finish_gwet(chance(counts, quadratic), quadratic)[0] == pytest.approx(0.9402369, abs=1e-7)


def test_weights_match_the_published_matrices():
    assert np.allclose(co.agreement_weights(np.arange(1.0, 4.0), "linear"), [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]])
    assert np.allclose(
        co.agreement_weights(np.arange(1.0, 4.0), "quadratic"), [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]]
    )


# -- properties --------------------------------------------------------------------------------------------------


def every_coefficient(codes: np.ndarray, v: int) -> dict[str, float]:
    counts = co.value_counts(codes, v)
    identity = np.eye(v)
    stats = chance(counts, identity)
    out = {
        "alpha": co.finish_alpha(
            co.alpha_unit_stats(counts, co.distance_matrix(np.arange(v), "nominal")).sum(0),
            co.distance_matrix(np.arange(v), "nominal"),
        )[0],
        "fleiss": co.finish_fleiss(stats)[0],
        "ac1": co.finish_gwet(stats, identity)[0],
        "percent": co.finish_percent(stats)[0],
    }
    for a, b in itertools.combinations(range(codes.shape[1]), 2):
        out[f"kappa{a}{b}"] = co.finish_cohen(co.pair_unit_stats(codes[:, a], codes[:, b], identity).sum(0), identity)[
            0
        ]
    return {k: float(x) for k, x in out.items()}


def test_identical_annotations_give_one():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 4, 50)
    codes = np.stack([truth] * 3, axis=1)
    assert all(x == pytest.approx(1.0) for x in every_coefficient(codes, 4).values())
    counts = co.value_counts(codes, 4)
    for level in ("ordinal", "interval", "ratio"):
        assert alpha(counts, level, np.arange(1.0, 5.0)) == pytest.approx(1.0)
    quadratic = co.agreement_weights(np.arange(4.0), "quadratic")
    assert co.finish_gwet(chance(counts, quadratic), quadratic)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_relabelling_categories_changes_nothing(seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(60, 3))
    codes[rng.random(codes.shape) < 0.2] = -1
    permutation = rng.permutation(4)
    relabelled = np.where(codes >= 0, permutation[np.maximum(codes, 0)], -1)
    before, after = every_coefficient(codes, 4), every_coefficient(relabelled, 4)
    assert before == pytest.approx(after, abs=1e-12)


def test_missing_values_handled_as_krippendorff_defines():
    # Removing a value from a unit of two makes the unit unpairable; alpha must
    # then equal alpha on the data without that unit (Krippendorff 2011, sec. C).
    data = K2011.copy()
    data[0, 0] = nan
    data[2, 0] = nan
    data[3, 0] = nan  # unit 1 keeps one value (observer B)
    without = np.delete(data, 0, axis=1)
    assert krippendorff.alpha(reliability_data=data, level_of_measurement="nominal") == pytest.approx(
        alpha(co.value_counts(codes_of(without), 5), "nominal", np.arange(5.0))
    )


def test_undefined_coefficients_carry_their_reason():
    one_rater = np.array([[0, -1], [1, -1], [2, -1]])
    counts = co.value_counts(one_rater, 3)
    d = co.distance_matrix(np.arange(3), "nominal")
    assert co.finish_alpha(co.alpha_unit_stats(counts, d).sum(0), d)[1] == co.NO_PAIRABLE
    assert co.finish_fleiss(chance(counts, np.eye(3)))[1] == co.NO_PAIRABLE

    all_none = np.zeros((10, 3), dtype=int)
    counts = co.value_counts(all_none, 3)
    value, reason = co.finish_alpha(co.alpha_unit_stats(counts, d).sum(0), d)
    assert np.isnan(value) and reason == co.ONE_VALUE
    assert co.finish_fleiss(chance(counts, np.eye(3)))[1] == co.ONE_VALUE
    assert (
        co.finish_cohen(co.pair_unit_stats(all_none[:, 0], all_none[:, 1], np.eye(3)).sum(0), np.eye(3))[1]
        == co.ONE_VALUE
    )
    # Gwet's AC1 stays defined when one category dominates completely: that is its point
    assert co.finish_gwet(chance(counts, np.eye(3)), np.eye(3)) == (pytest.approx(1.0), co.DEFINED)
    disjoint = co.pair_unit_stats(np.array([0, -1]), np.array([-1, 1]), np.eye(3)).sum(0)
    assert co.finish_cohen(disjoint, np.eye(3))[1] == co.NO_SHARED


def test_masi_distance_examples():
    a, b, c = frozenset("a"), frozenset("ab"), frozenset("bc")
    assert co.masi_distance(b, b) == 0
    assert co.masi_distance(frozenset(), frozenset()) == 0
    assert co.masi_distance(a, b) == pytest.approx(1 - (1 / 2) * (2 / 3))
    assert co.masi_distance(b, c) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert co.masi_distance(a, frozenset("c")) == 1
    assert co.masi_distance(frozenset(), a) == 1


# -- bootstrap ------------------------------------------------------------------------------------------------------


def test_resample_weights_are_seeded_multiplicities():
    w1 = co.resample_weights(50, 20, np.random.default_rng(7))
    w2 = co.resample_weights(50, 20, np.random.default_rng(7))
    assert np.array_equal(w1, w2)
    assert (w1.sum(axis=1) == 50).all() and (w1 >= 0).all()


def test_bootstrap_of_sums_equals_recomputing_on_resampled_units():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 3, size=(30, 3))
    counts = co.value_counts(codes, 3)
    d = co.distance_matrix(np.arange(3), "nominal")
    stats = co.alpha_unit_stats(counts, d)
    draws = rng.integers(0, 30, size=30)
    weights = np.bincount(draws, minlength=30).astype(float)
    resampled = krippendorff.alpha(value_counts=counts[draws], level_of_measurement="nominal")
    assert co.finish_alpha(weights @ stats, d)[0] == pytest.approx(resampled, abs=1e-12)


def test_percentile_interval():
    assert co.percentile_interval(np.array([nan, nan])) is None
    low, high = co.percentile_interval(np.linspace(0, 1, 1001))
    assert low == pytest.approx(0.025) and high == pytest.approx(0.975)


# -- spans --------------------------------------------------------------------------------------------------------------


def test_unitized_alpha_krippendorff_2004_example():
    # continuum 150..450 (length 300); two observers; categories c (0) and k (1)
    units = [
        (0, 0, 225, 70),
        (0, 0, 370, 30),
        (1, 0, 220, 80),
        (1, 0, 355, 20),
        (1, 0, 400, 20),
        (0, 1, 180, 60),
        (0, 1, 300, 50),
        (1, 1, 180, 60),
        (1, 1, 300, 50),
    ]
    frame = pd.DataFrame(
        [(0, a, c, b - 150, b - 150 + n) for a, c, b, n in units], columns=["unit", "annotator", "label", "c0", "c1"]
    )
    measure = UnitizedAlpha(frame, np.array([300.0]), n_raters=2, n_labels=2)
    sums = measure.stats.sum(axis=0)
    observed, expected, _ = measure.disagreements(sums)
    assert observed == pytest.approx([0.0144, 0.0], abs=5e-5)
    assert expected == pytest.approx([0.0532, 0.0490], abs=5e-5)
    result = measure.finish(sums)
    assert result["0"][0] == pytest.approx(0.7286, abs=5e-5)
    assert result["1"][0] == pytest.approx(1.0)
    # Krippendorff prints 0.859 from the rounded D_o and D_e above
    assert result["all"][0] == pytest.approx(1 - 0.0144 / (0.0532 + 0.0490), abs=5e-4)


def test_unitized_alpha_observed_disagreement_by_hand():
    # one category; rater 0 marks [2, 6), rater 1 marks [4, 9) and [12, 14) on a continuum of 20
    frame = pd.DataFrame(
        [(0, 0, 0, 2, 6), (0, 1, 0, 4, 9), (0, 1, 0, 12, 14)], columns=["unit", "annotator", "label", "c0", "c1"]
    )
    measure = UnitizedAlpha(frame, np.array([20.0]), n_raters=2, n_labels=1)
    observed, _, _ = measure.disagreements(measure.stats.sum(axis=0))
    # overlapping pair: (2-4)^2 + (6-9)^2 = 13; [12,14) lies in rater 0's gap: 2^2 = 4
    assert observed[0] == pytest.approx(2 * (13 + 4) / (2 * 1 * 20**2))


def span_stats(spans_a, spans_b, text, threshold=0.5):
    values = [[spans_a, spans_b]]
    frame = span_rows(values, ("r",), [text], [None], {})
    stats = pair_unit_stats(frame, np.array([[True, True]]), [(0, 1)], threshold)
    return stats.sum(axis=0)[0]


def span(start, end):
    return {"start": start, "end": end, "text": "", "label": "r"}


def test_token_and_iou_f1_by_hand():
    text = "i feel so alone and sad today"
    #       0 2    7  10    16  20  24
    a = [span(2, 15), span(24, 29)]  # "feel so alone", "today"
    b = [span(7, 15), span(20, 23)]  # "so alone", "sad"
    stats = span_stats(a, b, text)
    # tokens: A = {feel, so, alone, today} (4), B = {so, alone, sad} (3), shared 2
    assert finish_token_f1(stats)[0] == pytest.approx(2 * 2 / (4 + 3))
    # IOU("feel so alone", "so alone") = 2/3 >= 0.5: one match each way
    # precision = 1/2 (b's spans matched), recall = 1/2 (a's spans matched)
    assert finish_iou_f1(stats)[0] == pytest.approx(0.5)
    assert finish_iou_f1(span_stats(a, b, text, threshold=0.7))[0] == 0


def test_span_f1_symmetric_and_undefined_without_spans():
    text = "one two three four"
    a, b = [span(0, 7)], [span(4, 13), span(14, 18)]
    assert finish_token_f1(span_stats(a, b, text))[0] == pytest.approx(finish_token_f1(span_stats(b, a, text))[0])
    assert finish_iou_f1(span_stats(a, b, text))[0] == pytest.approx(finish_iou_f1(span_stats(b, a, text))[0])
    value, reason = finish_token_f1(span_stats([], [], text))
    assert np.isnan(value) and reason == co.NO_SPANS
