"""Benchmark: 1,000,000 annotation rows (200,000 items x 5 annotators, seek-provide)
to an export folder (every task-variant config as Parquet, card, export.json), with
majority vote and with Dawid-Skene, against the same majority vote written plainly
in pandas (groupby + value_counts, ties flagged) in the same run.

    python benchmarks/bench_export.py [--items 200000] [--annotators 5]

Annotators are simulated: each gives the item's true label with probability 0.6-0.9
(fixed per annotator), else a uniformly random one, so ties occur. Peak memory is
the process's maximum resident set size (``ru_maxrss``) after each stage.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from empathykit.table.columns import TIDY_COLUMNS, encode_value

LABELS = ("seeking", "providing", "none")


def simulate(n_items: int, n_annotators: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(3, size=n_items)
    skill = np.linspace(0.9, 0.6, n_annotators)
    right = rng.random((n_items, n_annotators)) < skill
    labels = np.where(right, truth[:, None], rng.integers(3, size=(n_items, n_annotators))).ravel()
    n = n_items * n_annotators
    item_ids = np.array([f"t{i:07d}" for i in range(n_items)], dtype=object)
    encoded = np.array([encode_value(label) for label in LABELS], dtype=object)
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s")
    tidy = pd.DataFrame(
        {
            "project_id": 1,
            "task_id": np.repeat(np.arange(n_items), n_annotators),
            "item_id": np.repeat(item_ids, n_annotators),
            "round": 1,
            "annotation_id": np.arange(1, n + 1),
            "annotator_id": np.tile(np.arange(1, n_annotators + 1), n_items),
            "annotator_email": np.tile(
                np.array([f"a{a}@example.org" for a in range(1, n_annotators + 1)], dtype=object), n_items
            ),
            "field": "empathy",
            "value": encoded[labels],
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": 3.5,
            "created_at": created,
            "updated_at": created,
        }
    )[list(TIDY_COLUMNS)]
    items = pd.DataFrame({"item_id": item_ids, "text": [f"post number {i} about how I feel" for i in range(n_items)]})
    return tidy, items


def pandas_majority(path: Path) -> pd.DataFrame:
    """The plain pandas version: latest value per (item, annotator), counts, ties flagged."""
    tidy = pd.read_parquet(path, columns=["item_id", "annotator_id", "field", "value", "was_cancelled", "created_at"])
    tidy = tidy[~tidy["was_cancelled"] & tidy["value"].notna()].sort_values("created_at", kind="stable")
    tidy = tidy.drop_duplicates(["item_id", "field", "annotator_id"], keep="last")
    counts = tidy.groupby("item_id")["value"].value_counts().rename("n").reset_index()
    counts = counts.sort_values(["item_id", "n"], ascending=[True, False], kind="stable")
    top = counts.groupby("item_id").head(2)
    first = top.groupby("item_id").nth(0).set_index("item_id")
    second = top.groupby("item_id")["n"].nth(1)
    second.index = top.loc[second.index, "item_id"]
    tie = first["n"].eq(second.reindex(first.index)).fillna(False)
    label = first["value"].map(json.loads).where(~tie)
    return pd.DataFrame({"empathy": label, "empathy_tie": tie})


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, results: dict, fn):
    start = time.perf_counter()
    value = fn()
    results[name] = {"seconds": round(time.perf_counter() - start, 2), "peak_rss_mib": round(peak_mib())}
    print(
        f"{name:32s} {results[name]['seconds']:7.2f} s   peak RSS {results[name]['peak_rss_mib']:6.0f} MiB", flush=True
    )
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=5)
    args = parser.parse_args()
    import datasets

    datasets.disable_progress_bars()
    from empathykit.exports.aggregate import aggregate
    from empathykit.exports.hf import export_dataset
    from empathykit.schemas import get_schema

    results: dict = {"rows": args.items * args.annotators, "items": args.items, "annotators": args.annotators}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tidy, items = timed("simulate", results, lambda: simulate(args.items, args.annotators))
        tidy.to_parquet(tmp / "ann.parquet", index=False)
        items.to_parquet(tmp / "ann.items.parquet", index=False)
        del tidy, items
        reports = {}
        for method in ("majority", "dawid-skene"):
            reports[method] = timed(
                f"export --aggregate {method}",
                results,
                lambda m=method: export_dataset(tmp / "ann.parquet", "seek-provide", tmp / f"out-{m}", method=m),
            )
        plain = timed("pandas majority (aggregation only)", results, lambda: pandas_majority(tmp / "ann.parquet"))
        ours = timed(
            "empathykit aggregate (only)",
            results,
            lambda: aggregate(pd.read_parquet(tmp / "ann.parquet"), get_schema("seek-provide")).set_index("item_id"),
        )
        same = ours["empathy"].equals(plain["empathy"].reindex(ours.index)) and ours["empathy_tie"].astype(bool).equals(
            plain["empathy_tie"].reindex(ours.index).astype(bool)
        )
        results["same_labels_as_pandas"] = bool(same)
        results["ties"] = reports["majority"].ties
        results["ratio_aggregate_vs_pandas"] = round(
            results["empathykit aggregate (only)"]["seconds"]
            / results["pandas majority (aggregation only)"]["seconds"],
            2,
        )
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
