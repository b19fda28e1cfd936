"""Benchmark: agreement of 10,000 units x 5 annotators, every coefficient with
1,000 bootstrap resamples, against NLTK's Krippendorff's alpha in the same run.

    python benchmarks/bench_agreement.py [--units 10000] [--annotators 5] [--bootstrap 1000]

The table has four fields, one per kind agreement treats differently: a
nominal choice (3 labels), an ordinal 1-5 rating, a 4-label multichoice and
rationale spans over the item text, so the run computes alpha, Fleiss' kappa,
Gwet's AC1/AC2, percent agreement, every pair's (weighted) Cohen's kappa,
leave-one-out alpha, MASI alpha and per-label coefficients, token-level F1,
IOU-F1 and u-alpha, each with bootstrap intervals, per field and per round.

The baseline is ``nltk.metrics.agreement.AnnotationTask(...).alpha()`` on the
nominal field: one point estimate, no interval. NLTK is not a dependency of
empathykit; install it to run the comparison (``pip install nltk``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd

from empathykit.agreement import coefficients as co
from empathykit.agreement.compute import compute_agreement
from empathykit.schemas.base import Field, Schema
from empathykit.table.agreement import Settings
from empathykit.table.columns import TIDY_COLUMNS, encode_value

LABELS = ("seeking", "providing", "none")
EMOTIONS = ("sad", "angry", "afraid", "hopeful")
WORDS = "i feel so alone since the diagnosis but my sister keeps calling and it helps a lot today".split()

SCHEMA = Schema(
    name="bench",
    title="benchmark",
    instructions="",
    inputs=("text",),
    fields=(
        Field("empathy", "choice", "nominal", "text", labels=LABELS),
        Field("intensity", "rating", "ordinal", "text", scale=(1, 5)),
        Field("emotions", "multichoice", "nominal", "text", labels=EMOTIONS),
        Field("rationale", "spans", "spans", "text", labels=("rationale",)),
    ),
    config_template='<View><Text name="text" value="$text"/><!-- name="empathy" name="intensity" '
    'name="emotions" name="rationale" --></View>',
)


def synthetic(n_units: int, n_annotators: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy annotations where each annotator follows a per-unit truth with noise."""
    rng = np.random.default_rng(seed)
    shape = (n_units, n_annotators)
    noisy = lambda p: rng.random(shape) < p
    empathy = np.where(noisy(0.25), rng.integers(0, 3, shape), rng.integers(0, 3, n_units)[:, None])
    intensity = np.clip(
        rng.integers(1, 6, n_units)[:, None] + np.where(noisy(0.3), rng.integers(-1, 2, shape), 0), 1, 5
    )
    emotions = np.where(noisy(0.3), rng.integers(0, 16, shape), rng.integers(0, 16, n_units)[:, None])
    # texts of 16 words; rationale = a run of words, annotators move its ends by a word at times
    words = rng.integers(0, len(WORDS), (n_units, 16))
    texts = [" ".join(WORDS[w] for w in row) for row in words]
    starts_of = [np.cumsum([0] + [len(WORDS[w]) + 1 for w in row[:-1]]) for row in words]
    first = rng.integers(0, 12, n_units)[:, None] + np.where(noisy(0.2), rng.integers(-1, 2, shape), 0)
    last = first + rng.integers(1, 4, n_units)[:, None] + np.where(noisy(0.2), rng.integers(-1, 2, shape), 0)
    first, last = np.clip(first, 0, 14), np.clip(last, 1, 15)
    last = np.maximum(last, first + 1)

    choice_json = [encode_value(x) for x in LABELS]
    rating_json = {r: encode_value(r) for r in range(1, 6)}
    multi_json = [encode_value([e for k, e in enumerate(EMOTIONS) if mask >> k & 1]) for mask in range(16)]
    unit = np.repeat(np.arange(n_units), n_annotators)
    annotator = np.tile(np.arange(n_annotators), n_units)
    spans = []
    for u, j in zip(unit, annotator):
        s = starts_of[u]
        a, b = first[u, j], last[u, j]
        end = s[b - 1] + len(WORDS[words[u, b - 1]])
        spans.append(
            encode_value([{"start": int(s[a]), "end": int(end), "text": texts[u][s[a] : end], "label": "rationale"}])
        )
    per_field = {
        "empathy": [choice_json[x] for x in empathy.ravel()],
        "intensity": [rating_json[x] for x in intensity.ravel()],
        "emotions": [multi_json[x] for x in emotions.ravel()],
        "rationale": spans,
    }
    n = unit.size
    base = pd.DataFrame(
        {
            "project_id": 1,
            "task_id": unit,
            "item_id": [f"u{u:06d}" for u in unit],
            "round": 1 + unit * 4 // n_units,
            "annotation_id": np.arange(1, n + 1),
            "annotator_id": annotator + 1,
            "annotator_email": [f"annotator{j + 1}@example.org" for j in annotator],
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": rng.gamma(2.0, 6.0, n),
            "created_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s"),
        }
    )
    base["updated_at"] = base["created_at"]
    frame = pd.concat([base.assign(field=name, value=values) for name, values in per_field.items()], ignore_index=True)
    frame["round"] = frame["round"].astype("Int64")
    items = pd.DataFrame({"item_id": [f"u{u:06d}" for u in range(n_units)], "text": texts})
    return frame[list(TIDY_COLUMNS)], items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    frame, items = synthetic(args.units, args.annotators)
    with tempfile.TemporaryDirectory() as tmp:
        path, items_path = Path(tmp) / "annotations.parquet", Path(tmp) / "annotations.items.parquet"
        frame.to_parquet(path)
        items.to_parquet(items_path)

        start = time.perf_counter()
        result = compute_agreement(path, SCHEMA, items=items_path, settings=Settings(n_boot=args.bootstrap))
        full = time.perf_counter() - start

        nominal = frame[frame["field"] == "empathy"]
        start = time.perf_counter()
        compute_agreement(nominal, SCHEMA, fields=["empathy"], settings=Settings(n_boot=args.bootstrap))
        nominal_time = time.perf_counter() - start
        start = time.perf_counter()
        point = compute_agreement(nominal, SCHEMA, fields=["empathy"], settings=Settings(n_boot=0))
        point_time = time.perf_counter() - start

    ours = point.fields["empathy"].coefficients["krippendorff_alpha"].value
    n_estimates = json.dumps(result.to_json()).count('"value"')
    print(f"{args.units} units x {args.annotators} annotators, 4 fields, {args.bootstrap} bootstrap resamples")
    print(
        f"  empathykit, whole table, every coefficient with intervals: {full:.2f} s ({n_estimates} estimates: "
        f"per field, pair, annotator and round)"
    )
    print(
        f"  empathykit, nominal field alone: {nominal_time:.2f} s with intervals, {point_time:.2f} s point estimates only"
    )

    # alpha alone, same triples, same process: the maths without the table handling
    triples = list(
        zip(nominal["annotator_id"].astype(str), nominal["item_id"], [json.loads(v) for v in nominal["value"]])
    )
    start = time.perf_counter()
    units, unit_codes = np.unique([t[1] for t in triples], return_inverse=True)
    coders, coder_codes = np.unique([t[0] for t in triples], return_inverse=True)
    codes = np.full((units.size, coders.size), -1)
    codes[unit_codes, coder_codes] = [LABELS.index(t[2]) for t in triples]
    counts = co.value_counts(codes, len(LABELS))
    alpha_point = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    alpha_time = time.perf_counter() - start
    distances = co.distance_matrix(np.arange(len(LABELS)), "nominal")
    start = time.perf_counter()
    stats = co.alpha_unit_stats(counts, distances)
    weights = co.resample_weights(units.size, args.bootstrap, np.random.default_rng(0))
    boot, _ = co.finish_alpha(weights @ stats, distances)
    boot_time = time.perf_counter() - start
    print(
        f"  empathykit alpha from the triples: {alpha_time:.3f} s (alpha {alpha_point:.6f}); "
        f"its {args.bootstrap} bootstrap resamples: {boot_time:.2f} s, interval {co.percentile_interval(boot)}"
    )
    assert abs(alpha_point - ours) < 1e-12
    try:
        from nltk.metrics.agreement import AnnotationTask
    except ImportError:
        print("  nltk not installed: no baseline (pip install nltk)")
        return
    start = time.perf_counter()
    theirs = AnnotationTask(data=triples).alpha()
    nltk_time = time.perf_counter() - start
    # NLTK has no bootstrap: time it on a few resamples of the units and scale up
    rng = np.random.default_rng(1)
    by_unit: dict[str, list] = {}
    for t in triples:
        by_unit.setdefault(t[1], []).append(t)
    keys = list(by_unit)
    sample = 5
    start = time.perf_counter()
    for _ in range(sample):
        drawn = rng.integers(0, len(keys), len(keys))
        AnnotationTask(
            data=[(c, f"{item}/{n}", v) for n, d in enumerate(drawn) for c, item, v in by_unit[keys[d]]]
        ).alpha()
    nltk_boot = (time.perf_counter() - start) / sample * args.bootstrap
    print(
        f"  nltk AnnotationTask.alpha: {nltk_time:.3f} s (alpha {theirs:.6f}, difference {abs(theirs - ours):.1e}); "
        f"{args.bootstrap} resamples ~ {nltk_boot:.0f} s (timed on {sample}, scaled)"
    )
    print(
        f"  ratio nltk / empathykit: {nltk_time / alpha_time:.1f}x for one alpha, "
        f"{nltk_boot / boot_time:.0f}x for alpha's {args.bootstrap} resamples, "
        f"{nltk_boot / full:.0f}x for nltk's alpha resamples against empathykit's whole table with intervals"
    )


if __name__ == "__main__":
    main()
