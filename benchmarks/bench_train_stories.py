"""Benchmark: EmpathicStories, the ``similarity`` family fine-tuned vs the untouched encoder.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_stories.py [--model DIR] [--epochs 3] [--folds 5] [--pairs FILE]

Data: ``empathic-story-pairs:$EMPATHYKIT_DATA/empathic-stories/PAIRS (dev).csv`` (the public dev
split, 100 pairs), target ``similarity_empathy`` (1-4, mapped to [0, 1]). It is too small for a
train/test split, so: k-fold cross-validation over all pairs (seeded folds of pairs; a story may
occur in a training and a test pair, the pair itself never does). Each pair is scored by the
model that did not see it; the out-of-fold cosines of all pairs give Pearson and Spearman with
the human score and the retrieval metrics (each story a query ranking the other stories of its
pairs: precision@1 with ties, Kendall's tau, Spearman's rho), beside the same for the
pre-trained encoder. Per-fold means of the correlations are reported too. With the full release,
``--pairs`` the full PAIRS file runs the same (``--pairs`` needs no ``EMPATHYKIT_DATA``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path, minilm

TASK = "similarity_empathy"


def all_pairs(path: Path):
    """Every pair of the import (its train/validation/test splits together) and the data's facts."""
    from datasets import concatenate_datasets

    from empathykit.train.data import load_training_data

    data = load_training_data(f"empathic-story-pairs:{path}", TASK)
    return data, concatenate_datasets([data.dataset[s] for s in data.dataset if len(data.dataset[s])])


def cross_validate(model: str, path: Path, folds: int, epochs: float, work: Path, max_length: int = 256) -> dict:
    import dataclasses

    import numpy as np
    from datasets import DatasetDict
    from sklearn.model_selection import KFold

    from empathykit.train.families import get_family
    from empathykit.train.metrics import retrieval_metrics
    from empathykit.train.settings import load_settings
    from empathykit.train.similarity import build_encoder, correlations, pair_cosines

    data, pairs = all_pairs(path)
    family = get_family("similarity")
    settings = load_settings(
        family.settings_class,
        None,
        [f"epochs={epochs}", "eval_each_epoch=false", "save_steps=100000", "batch_size=16", f"max_length={max_length}"],
        model=model,
    )
    gold = [float(s) for s in pairs["label"]]
    tuned = [0.0] * len(pairs)
    per_fold, started = [], time.perf_counter()
    for k, (train_idx, test_idx) in enumerate(KFold(folds, shuffle=True, random_state=0).split(np.arange(len(pairs)))):
        fold = dataclasses.replace(
            data, dataset=DatasetDict({"train": pairs.select(train_idx), "test": pairs.select(test_idx)})
        )
        metrics = family.train(fold, settings, work / f"fold{k}")
        test = pairs.select(test_idx)
        rows = family.predict(
            work / f"fold{k}", [{"story_a": a, "story_b": b} for a, b in zip(test["story_a"], test["story_b"])]
        )
        for i, r in zip(test_idx, rows):
            tuned[int(i)] = r["prediction_score"]
        per_fold.append({"fine-tuned": metrics["test"], "pre-trained": metrics["test_pretrained"]})
        print(
            json.dumps(
                {
                    "fold": k,
                    "pearson": metrics["test"]["pearson"],
                    "pretrained_pearson": metrics["test_pretrained"]["pearson"],
                }
            ),
            file=sys.stderr,
            flush=True,
        )
    seconds = round(time.perf_counter() - started, 1)
    base = pair_cosines(build_encoder(model, settings.max_length), pairs["story_a"], pairs["story_b"])
    result = {}
    for name, cosines in (("pre-trained", base), ("fine-tuned", tuned)):
        result[name] = {
            **correlations(cosines, gold),
            **retrieval_metrics(pairs["story_a_id"], pairs["story_b_id"], gold, cosines),
            **{f"fold_mean_{m}": float(np.mean([f[name][m] for f in per_fold])) for m in ("pearson", "spearman")},
        }
    return {"pairs": len(pairs), "folds": folds, "max_length": max_length, "seconds": seconds, "results": result}


def table(out: dict, encoder: str, epochs: float) -> str:
    f = lambda v: "" if v is None else f"{v:.3f}"
    lines = [
        f"EmpathicStories dev ({out['pairs']} pairs), {out['folds']}-fold cross-validation, {encoder}, CPU, "
        f"{epochs:g} epoch(s) per fold, {out['max_length']} tokens per story, target similarity_empathy",
        "",
        "| encoder | Pearson (out-of-fold) | Spearman | Pearson (fold mean) | Spearman (fold mean) "
        "| P@1 | Kendall tau | Spearman rho | queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in out["results"].items():
        lines.append(
            f"| {name} | {f(r['pearson'])} | {f(r['spearman'])} | {f(r['fold_mean_pearson'])} "
            f"| {f(r['fold_mean_spearman'])} | {f(r['precision_at_1'])} | {f(r['kendall_tau'])} "
            f"| {f(r['spearman_rho'])} | {r['queries']} |"
        )
    return "\n".join(lines)


OPTIONS = {
    "--model": dict(default=None, help="encoder folder (default: all-MiniLM-L6-v2)"),
    "--pairs": dict(
        type=Path,
        default=None,
        help="a PAIRS csv of EmpathicStories (default: $EMPATHYKIT_DATA/empathic-stories/PAIRS (dev).csv)",
    ),
    "--epochs": dict(type=float, default=3.0, help="training epochs per fold"),
    "--folds": dict(type=int, default=5, help="cross-validation folds"),
    "--max-length": dict(type=int, default=256, help="tokens per story (longer ones are truncated)"),
    "--out": dict(type=Path, default=None, help="write the results as JSON here"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    for flag, options in OPTIONS.items():
        parser.add_argument(flag, **options)
    args = parser.parse_args()
    args.pairs = args.pairs or data_path("empathic-stories", "PAIRS (dev).csv")
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    with tempfile.TemporaryDirectory() as tmp:
        out = cross_validate(model, args.pairs, args.folds, args.epochs, Path(tmp), args.max_length)
    print(table(out, encoder, args.epochs))
    if args.out:
        args.out.write_text(json.dumps({"encoder": encoder, "epochs": args.epochs, **out}, indent=2) + "\n")


if __name__ == "__main__":
    main()
