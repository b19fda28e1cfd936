"""Additive per-unit statistics and their seeded percentile bootstrap over units.

Every coefficient is a function of sums of per-unit statistics, so a bootstrap
resample is a weighted sum: one matrix product per chunk of resamples gives all
of a set of units' coefficients at once (``Blocks``), from weights drawn once per
set of units (``Resampler``).
"""

from __future__ import annotations

import zlib
from itertools import combinations
from typing import Callable, Iterable, Iterator

import numpy as np

from empathykit.agreement import coefficients as co
from empathykit.table.agreement import Estimate, ReferenceAgreement, Scores, Settings

Finisher = Callable[[np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]
#: ``{name: (value, reason, bootstrap values (B,))}``
Results = dict[str, tuple[float, int, np.ndarray]]


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

    def evaluate(self, resamples: Iterable[np.ndarray]) -> Results:
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
        return {
            name: (float(value), int(reason), np.concatenate(boot[name]) if boot[name] else np.zeros(0))
            for name, (value, reason) in point.items()
        }


class Resampler:
    """Bootstrap weight matrices, one draw per set of units, shared by every
    coefficient on those units (so all of a field's intervals come from the same
    resamples). Seeded by the settings' seed, the scope (``all``, ``round 2``)
    and the unit ids, so a re-run gives the same intervals. Draws are kept for
    reuse while they are small; larger ones are drawn again (same seed, same
    weights) so memory stays at one chunk."""

    KEEP = 50_000_000  # weights kept in memory at most (float32: 200 MB)

    def __init__(self, settings: Settings, chunk: int = 250):
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


def estimate(value: float, reason: int, boot: np.ndarray, confidence: float, detail: str = "") -> Estimate:
    """One coefficient: value with its interval, or why it is undefined."""
    if reason != co.DEFINED or not np.isfinite(value):
        why = co.REASONS[reason] if reason != co.DEFINED else "not a finite number"
        return Estimate(None, undefined=why + (f" ({detail})" if detail else ""))
    interval = co.percentile_interval(boot, confidence)
    return Estimate(value, None if interval is None else (interval[0], interval[1]), int(np.isfinite(boot).sum()))


def mean_of(results: Results, names: list[str], reason_if_none: int) -> tuple[float, int, np.ndarray]:
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


# -- pairs and the reference, shared by categorical and span fields --------------------------------

NO_REFERENCE = "no gold or adjudicated label on this annotator's units"


def reference_agreement(units: int, scores: Callable[[], Scores]) -> ReferenceAgreement:
    """An annotator's agreement with the reference labels, or why there is none."""
    return ReferenceAgreement(units, scores()) if units else ReferenceAgreement(0, undefined=NO_REFERENCE)


def sharing_pairs(present: np.ndarray) -> list[tuple[int, int]]:
    """Annotator pairs ``(a, b)``, ``a < b``, that annotated at least one unit in common."""
    shared = present.T.astype(np.int64) @ present.astype(np.int64)
    return [(a, b) for a, b in combinations(range(present.shape[1]), 2) if shared[a, b]]
