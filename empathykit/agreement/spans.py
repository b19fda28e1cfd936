"""Agreement on spans (rationales): token-level F1, IOU-F1 and Krippendorff's u-alpha.

Like ``coefficients``, everything is a function of additive per-unit
statistics, so the bootstrap over units is one matrix product.

- **Token-level F1** between annotators ``a`` and ``b``: tokens (words and
  punctuation marks) covered by a span of each, label-aware, pooled over the
  units both annotated: ``2 |A & B| / (|A| + |B|)``.
- **IOU-F1** (DeYoung et al. 2020, as EPITOME reports for rationales): a span
  of ``b`` matches when its token IOU with some span of ``a`` (same label) is at
  least the threshold (0.5); precision is the share of ``b``'s spans that
  match, recall the share of ``a``'s spans matched by ``b``, both pooled over
  units; symmetric in ``a`` and ``b``.
- **u-alpha** (Krippendorff 1995; 2004, sec. 12.4): exact, on the character
  continuum formed by the items' texts, each item a section whose ends bound
  gaps; needs the item texts (their lengths) and every rater coding every
  item, so it uses the items all of the field's annotators annotated.
  Overlapping spans of one label by one annotator are merged first (the
  measure assumes they do not overlap).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from empathykit.agreement.coefficients import DEFINED, EPS, NO_PAIRABLE, NO_SHARED, NO_SPANS, first_reason, safe_ratio
from empathykit.agreement.table import tokens

#: Columns of ``pair_unit_stats`` per (unit, pair).
PAIR_COLUMNS = ("both", "inter", "size_a", "size_b", "matched_a", "spans_a", "matched_b", "spans_b")


def span_rows(
    values: list[list[Any]],
    labels: tuple[str, ...],
    texts: list[str],
    keys: list[str | None],
    token_cache: dict[str, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """One row per distinct span: ``unit, annotator, label`` (indices), character
    range ``c0, c1`` (clipped to the text) and token range ``t0, t1``.

    ``keys[u]`` names unit ``u``'s text in ``token_cache`` (``None``: not cached)."""

    label_index = {label: k for k, label in enumerate(labels)}
    records = [
        (u, j, label_index[s["label"]], int(s["start"]), int(s["end"]))
        for u, row in enumerate(values)
        for j, spans in enumerate(row)
        for s in spans or ()
    ]
    frame = pd.DataFrame(
        np.array(records, dtype=np.int64).reshape(-1, 5), columns=["unit", "annotator", "label", "c0", "c1"]
    ).drop_duplicates()
    frame = frame.reset_index(drop=True)
    # all texts laid end to end (one separator apart): one searchsorted maps every span to tokens
    starts, ends = [], []
    for text, key in zip(texts, keys):
        if key is None:
            found = tokens(text)
        else:
            found = token_cache.get(key)
            if found is None:
                found = token_cache[key] = tokens(text)
        starts.append(found[0])
        ends.append(found[1])
    length = np.array([len(t) for t in texts], dtype=np.int64)
    char_base = np.concatenate([[0], np.cumsum(length + 1)[:-1]]).astype(np.int64)
    token_base = np.concatenate([[0], np.cumsum([len(x) for x in starts])[:-1]]).astype(np.int64)
    all_starts = np.concatenate([x + b for x, b in zip(starts, char_base)]) if starts else np.zeros(0, np.int64)
    all_ends = np.concatenate([x + b for x, b in zip(ends, char_base)]) if ends else np.zeros(0, np.int64)
    unit = frame["unit"].to_numpy()
    c0 = np.clip(frame["c0"].to_numpy(), 0, length[unit])
    c1 = np.clip(frame["c1"].to_numpy(), c0, length[unit])
    frame["c0"], frame["c1"] = c0, c1
    frame["t0"] = np.searchsorted(all_ends, c0 + char_base[unit], side="right") - token_base[unit]
    frame["t1"] = np.searchsorted(all_starts, c1 + char_base[unit], side="left") - token_base[unit]
    return frame


def merge_ranges(frame: pd.DataFrame, start: str, end: str, keys: list[str]) -> pd.DataFrame:
    """Union of overlapping ranges per ``keys`` group (touching ranges stay apart)."""
    if frame.empty:
        return frame[[*keys, start, end]].copy()
    frame = frame.sort_values([*keys, start, end])
    reach = frame.groupby(keys)[end].cummax()
    previous = reach.groupby([frame[k] for k in keys]).shift()
    run = (previous.isna() | (frame[start] >= previous)).cumsum()
    grouped = frame.groupby(run)
    merged = grouped[keys].first()
    merged[start] = grouped[start].min()
    merged[end] = grouped[end].max()
    return merged.reset_index(drop=True)


def _cross(frame: pd.DataFrame) -> pd.DataFrame:
    """Ordered pairs of rows of different annotators on the same unit and label."""
    pairs = frame.merge(frame, on=["unit", "label"], suffixes=("_a", "_b"))
    return pairs[pairs["annotator_a"] != pairs["annotator_b"]]


class _Keyed:
    """Values summed per integer key, looked up in bulk (missing keys give 0)."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.keys, inverse = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True)
        self.values = np.bincount(inverse, weights=np.asarray(values, dtype=np.float64), minlength=self.keys.size)

    def __getitem__(self, query: np.ndarray) -> np.ndarray:
        if not self.keys.size:
            return np.zeros(np.shape(query))
        at = np.minimum(np.searchsorted(self.keys, query), self.keys.size - 1)
        return np.where(self.keys[at] == query, self.values[at], 0.0)


def pair_unit_stats(
    spans: pd.DataFrame, present: np.ndarray, pairs: list[tuple[int, int]], iou_threshold: float = 0.5
) -> np.ndarray:
    """``(N, P, 8)`` statistics (``PAIR_COLUMNS``) of each annotator pair per unit.

    ``present`` ``(N, M)``: whether the annotator annotated the unit."""
    n_units, n_raters = present.shape
    key2 = lambda u, a: u * n_raters + a
    key3 = lambda u, a, b: (u * n_raters + a) * n_raters + b
    live = spans[spans["t1"] > spans["t0"]]

    tokens = merge_ranges(live, "t0", "t1", ["unit", "annotator", "label"])
    size = _Keyed(
        key2(tokens["unit"].to_numpy(), tokens["annotator"].to_numpy()), (tokens["t1"] - tokens["t0"]).to_numpy()
    )
    cross = _cross(tokens)
    overlap = np.maximum(
        0, np.minimum(cross["t1_a"], cross["t1_b"]).to_numpy() - np.maximum(cross["t0_a"], cross["t0_b"]).to_numpy()
    )
    inter = _Keyed(
        key3(cross["unit"].to_numpy(), cross["annotator_a"].to_numpy(), cross["annotator_b"].to_numpy()), overlap
    )

    distinct = live[["unit", "annotator", "label", "t0", "t1"]].drop_duplicates().reset_index(drop=True)
    distinct["span"] = np.arange(len(distinct))
    count = _Keyed(key2(distinct["unit"].to_numpy(), distinct["annotator"].to_numpy()), np.ones(len(distinct)))
    cross = _cross(distinct)
    shared = np.maximum(
        0, np.minimum(cross["t1_a"], cross["t1_b"]).to_numpy() - np.maximum(cross["t0_a"], cross["t0_b"]).to_numpy()
    )
    union = (cross["t1_a"] - cross["t0_a"]).to_numpy() + (cross["t1_b"] - cross["t0_b"]).to_numpy() - shared
    hits = cross[shared / np.maximum(union, 1) >= iou_threshold]
    # a span of a is matched by b when some span of b reaches the threshold with it
    hits = hits.drop_duplicates(["span_a", "annotator_b"])
    matched = _Keyed(
        key3(hits["unit"].to_numpy(), hits["annotator_a"].to_numpy(), hits["annotator_b"].to_numpy()),
        np.ones(len(hits)),
    )

    out = np.zeros((n_units, len(pairs), len(PAIR_COLUMNS)))
    units = np.arange(n_units)
    for p, (a, b) in enumerate(pairs):
        both = present[:, a] & present[:, b]
        u = units[both]
        out[u, p, 0] = 1.0
        out[u, p, 1] = inter[key3(u, a, b)]
        out[u, p, 2] = size[key2(u, a)]
        out[u, p, 3] = size[key2(u, b)]
        out[u, p, 4] = matched[key3(u, a, b)]  # spans of a matched by b
        out[u, p, 5] = count[key2(u, a)]
        out[u, p, 6] = matched[key3(u, b, a)]  # spans of b matched by a
        out[u, p, 7] = count[key2(u, b)]
    return out


def finish_token_f1(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token-level F1 from ``PAIR_COLUMNS`` sums ``(..., 8)``."""
    den = sums[..., 2] + sums[..., 3]
    reason = first_reason((sums[..., 0] <= EPS, NO_SHARED), (den <= EPS, NO_SPANS))
    return np.where(reason == DEFINED, safe_ratio(2 * sums[..., 1], den), np.nan), reason


def finish_iou_f1(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IOU-F1 from ``PAIR_COLUMNS`` sums ``(..., 8)`` (0 when nothing matches)."""
    recall = np.nan_to_num(safe_ratio(sums[..., 4], sums[..., 5]))
    precision = np.nan_to_num(safe_ratio(sums[..., 6], sums[..., 7]))
    f1 = np.nan_to_num(safe_ratio(2 * precision * recall, precision + recall))
    reason = first_reason((sums[..., 0] <= EPS, NO_SHARED), (sums[..., 5] + sums[..., 7] <= EPS, NO_SPANS))
    return np.where(reason == DEFINED, f1, np.nan), reason


# -- Krippendorff's u-alpha --------------------------------------------------------------


class UnitizedAlpha:
    """Per-unit statistics and finisher of u-alpha for one field.

    For each category ``c`` (a span label) with units (merged spans) of
    lengths ``l_g`` and gaps of lengths ``l_h`` (per rater, bounded by the
    item's ends), ``R`` raters and a continuum of total length ``L``:

    - ``D_o(c) = 2 / (R (R - 1) L^2) * sum over rater pairs of
      sum_{overlapping units} ((b_g - b_h)^2 + (e_g - e_h)^2)
      + sum_{a unit inside the other rater's gap} l_g^2``
    - ``D_e(c) = 2 / L * [(N_c - 1) sum_g (2 l_g^3 - 3 l_g^2 + l_g) / 3
      + sum_g l_g^2 sum_{h: l_h >= l_g} (l_h - l_g + 1)]
      / (R L (R L - 1) - sum_g l_g (l_g - 1))``
    - ``u-alpha = 1 - sum_c D_o(c) / sum_c D_e(c)``; per category ``1 - D_o(c) / D_e(c)``.

    The bilinear term is kept additive by per-unit histograms over the unit
    lengths: ``U_i(l)`` (units of length ``l``) and
    ``H_i(l) = sum_{gaps h of item i} max(0, l_h - l + 1)``.
    """

    def __init__(self, spans: pd.DataFrame, lengths: np.ndarray, n_raters: int, n_labels: int):
        self.n_raters = n_raters
        self.n_labels = n_labels
        n_units = lengths.shape[0]
        merged = merge_ranges(spans[spans["c1"] > spans["c0"]], "c0", "c1", ["unit", "annotator", "label"])
        merged["length"] = merged["c1"] - merged["c0"]
        self.grids: list[np.ndarray] = []
        blocks = [lengths[:, None].astype(np.float64)]
        for c in range(n_labels):
            units = merged[merged["label"] == c]
            grid = np.unique(units["length"].to_numpy()) if len(units) else np.zeros(0, dtype=np.int64)
            self.grids.append(grid)
            blocks.append(self._category_stats(units, lengths, grid, n_units))
        self.stats = np.concatenate(blocks, axis=1)

    def _category_stats(self, units: pd.DataFrame, lengths: np.ndarray, grid: np.ndarray, n_units: int) -> np.ndarray:
        r = self.n_raters
        u_idx = units["unit"].to_numpy()
        length = units["length"].to_numpy().astype(np.float64)
        scalars = np.zeros((n_units, 4))  # D_o numerator, N_c, sum (2l^3-3l^2+l)/3, sum l(l-1)
        np.add.at(scalars[:, 1], u_idx, 1.0)
        np.add.at(scalars[:, 2], u_idx, (2 * length**3 - 3 * length**2 + length) / 3)
        np.add.at(scalars[:, 3], u_idx, length * (length - 1))

        cross = _cross(units.assign(row=np.arange(len(units))))
        overlapping = cross[(cross["c0_a"] < cross["c1_b"]) & (cross["c0_b"] < cross["c1_a"])]
        ordered = overlapping[overlapping["annotator_a"] < overlapping["annotator_b"]]
        delta = ((ordered["c0_a"] - ordered["c0_b"]) ** 2 + (ordered["c1_a"] - ordered["c1_b"]) ** 2).to_numpy(
            np.float64
        )
        np.add.at(scalars[:, 0], ordered["unit"].to_numpy(), delta)
        # a unit lies inside a gap of every other rater whose units it does not overlap
        overlapped_by = (
            overlapping.groupby("row_a")["annotator_b"].nunique().reindex(np.arange(len(units)), fill_value=0)
        )
        inside = (r - 1) - overlapped_by.to_numpy()
        np.add.at(scalars[:, 0], u_idx, inside * length**2)

        hist = np.zeros((n_units, grid.size))
        if grid.size:
            np.add.at(hist, (u_idx, np.searchsorted(grid, length.astype(np.int64))), 1.0)
        gaps_unit, gaps_len = self._gaps(units, lengths)
        reach = np.zeros((n_units, grid.size))
        for lo in range(0, gaps_len.size if grid.size else 0, 65536):
            # chunked so the (gaps x lengths) matrix stays small
            contrib = np.maximum(0.0, gaps_len[lo : lo + 65536, None] - grid[None, :] + 1.0)
            np.add.at(reach, gaps_unit[lo : lo + 65536], contrib)
        return np.concatenate([scalars, hist, reach], axis=1)

    def _gaps(self, units: pd.DataFrame, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gap lengths per unit for every rater (a rater without units has one gap: the item)."""
        n_units = lengths.shape[0]
        ordered = units.sort_values(["unit", "annotator", "c0"])
        u = ordered["unit"].to_numpy()
        a = ordered["annotator"].to_numpy()
        c0 = ordered["c0"].to_numpy()
        c1 = ordered["c1"].to_numpy()
        first = np.r_[True, (u[1:] != u[:-1]) | (a[1:] != a[:-1])] if u.size else np.zeros(0, bool)
        last = np.r_[first[1:], True] if u.size else np.zeros(0, bool)
        prev_end = np.where(first, 0, np.r_[0, c1[:-1]])
        before = c0 - prev_end
        after = lengths[u] - c1
        empty_raters = self.n_raters - np.bincount(u[first], minlength=n_units)
        gap_unit = np.concatenate([u, u[last], np.repeat(np.arange(n_units), empty_raters)])
        gap_len = np.concatenate([before, after[last], np.repeat(lengths, empty_raters)]).astype(np.float64)
        keep = gap_len > 0
        return gap_unit[keep], gap_len[keep]

    def disagreements(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(D_o, D_e, N_c)``, each ``(..., C)``, from summed stats ``(..., K)``."""
        r = self.n_raters
        length = sums[..., 0]
        safe = np.where(length > 0, length, 1.0)
        observed, expected, count = [], [], []
        offset = 1
        for grid in self.grids:
            block = sums[..., offset : offset + 4 + 2 * grid.size]
            offset += 4 + 2 * grid.size
            do_num, n_c, cubic, square = block[..., 0], block[..., 1], block[..., 2], block[..., 3]
            hist, reach = block[..., 4 : 4 + grid.size], block[..., 4 + grid.size :]
            bilinear = (hist * reach * grid.astype(np.float64) ** 2).sum(axis=-1)
            observed.append(safe_ratio(2 * do_num, r * (r - 1) * length**2))
            expected.append(
                safe_ratio(2 / safe * ((n_c - 1) * cubic + bilinear), r * length * (r * length - 1) - square)
            )
            count.append(n_c)
        return np.stack(observed, -1), np.stack(expected, -1), np.stack(count, -1)

    def finish(self, sums: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"all": u-alpha, "<label index>": u-alpha of that category}`` as
        ``(value, reason)`` from summed stats ``(..., K)``."""
        observed, expected, count = self.disagreements(sums)
        few_raters = np.full(sums.shape[:-1], self.n_raters < 2)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in range(len(self.grids)):
            reason = first_reason((few_raters, NO_PAIRABLE), (count[..., c] <= EPS, NO_SPANS))
            value = 1 - safe_ratio(observed[..., c], expected[..., c])
            out[str(c)] = (np.where(reason == DEFINED, value, np.nan), reason)
        total_expected = np.nan_to_num(expected).sum(axis=-1)
        reason = first_reason((few_raters, NO_PAIRABLE), (total_expected <= EPS, NO_SPANS))
        value = 1 - safe_ratio(np.nan_to_num(observed).sum(axis=-1), total_expected)
        out["all"] = (np.where(reason == DEFINED, value, np.nan), reason)
        return out
