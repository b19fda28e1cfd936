"""Benchmark: the ``epitome`` family on EPITOME Reddit, each mechanism, beside a published
reproduction of the reference (RoBERTa-base bi-encoder, 4 epochs) on the same data.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_epitome.py [--model DIR] [--epochs 4] \
        [--mechanisms ER,IP,EX] [--seeds 0 1 2] [--set KEY=VALUE ...] [--out results.json] [--keep-models DIR]

Data: ``epitome:$EMPATHYKIT_DATA/epitome`` exported on the fly (seeded 80/10/10 split, one
split per item across mechanisms). Encoder: all-MiniLM-L6-v2 (the offline CPU encoder;
roberta-base is not available offline). Everything else is the reference README's
command (lr 2e-5, batch 32, max length 64, dropout 0.1, lambda_EI 1.0, lambda_RE 0.5,
seeker encoder frozen); on a shared 2-core CPU fewer epochs than the reference's 4.
Metrics on the test split: accuracy, macro-F1 and IOU-F1 over the whole split, and the
reference's per-batch means (batches of 32) beside them. Each mechanism is trained once per seed
(the training seed; the split stays the same) and the table gives mean ± sd over the seeds. With
``--out``, every finished run is recorded at once and a restart with the same settings skips it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path, minilm
from _runs import RunLog

MECHANISMS = {"ER": "emotional_reactions", "IP": "interpretations", "EX": "explorations"}
#: accuracy, macro-F1, IOU-F1 of a published reproduction of the reference (RoBERTa-base, Reddit)
PUBLISHED = {"ER": (0.7911, 0.7366, 0.5643), "IP": (0.8233, 0.6224, 0.5847), "EX": (0.9266, 0.6804, 0.8088)}


def load_data(task: str):
    """``load_training_data(epitome:$EMPATHYKIT_DATA/epitome, task)``; before ``exports.load`` lands, the same
    Parquet files read directly."""
    from empathykit.errors import InputError
    from empathykit.train.data import TrainingData, _cached_import, load_training_data

    spec = f"epitome:{data_path('epitome')}"
    try:
        return load_training_data(spec, task)
    except InputError:
        import datasets

        folder = _cached_import(spec, {})
        dataset = datasets.load_dataset(str(folder), task)
        return TrainingData(
            dataset=dataset,
            task=task,
            kind="choice",
            label_names=["no", "weak", "strong"],
            inputs=["seeker_post", "response_post"],
            schema="epitome",
            source=spec,
        )


def run(mechanism: str, model: str, epochs: float, work: Path, extra: list[str]) -> dict:
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    family = get_family("epitome")
    settings = load_settings(
        family.settings_class,
        None,
        [f"epochs={epochs}", "eval_each_epoch=false", "save_steps=100000", *extra],
        model=model,
    )
    data = load_data(MECHANISMS[mechanism])
    started = time.perf_counter()
    metrics = family.train(data, settings, work)
    test = metrics["test"]
    argmax = test.get("argmax") or test  # the reference's argmax tags, beside the decoding chosen on validation
    return {
        "mechanism": mechanism,
        "seconds": round(time.perf_counter() - started, 1),
        **{
            k: test[k]
            for k in (
                "accuracy",
                "macro_f1",
                "iou_f1",
                "token_f1",
                "iou_f1_batch_mean",
                "token_f1_batch_mean",
                "iou_precision",
                "iou_recall",
                "examples",
            )
        },
        "per_class_f1": {name: c["f1"] for name, c in test["per_class"].items()},
        "argmax_iou_f1": argmax["iou_f1"],
        "argmax_token_f1": argmax["token_f1"],
        "argmax_iou_precision": argmax["iou_precision"],
        "argmax_iou_recall": argmax["iou_recall"],
        "rationale_decoding": metrics.get("rationale_decoding"),
        "level_offsets": metrics.get("level_offsets"),
    }


def spread(values: list[float], digits: int = 4) -> str:
    mean = f"{statistics.mean(values):.{digits}f}"
    return f"{mean} ± {statistics.stdev(values):.{digits}f}" if len(values) > 1 else mean


def each(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def table(runs: dict[str, dict], encoder: str, epochs: float) -> str:
    """A row per mechanism: mean ± sd over its seeds, macro-F1 and IOU-F1 per seed, beside the reproduction."""
    lines = [
        "| mechanism | model | seeds | accuracy | macro-F1 | macro-F1 per seed | F1 no / weak / strong (mean) "
        "| IOU-F1 | IOU-F1 per seed | token F1 | argmax tags IOU-F1 |",
        "| --- | --- | --- | ---: | ---: | --- | --- | ---: | --- | ---: | ---: |",
    ]
    for mechanism in MECHANISMS:
        rows = [r for r in runs.values() if r["mechanism"] == mechanism]
        if not rows:
            continue
        acc, f1, iou = PUBLISHED[mechanism]
        lines.append(
            f"| {mechanism} | reproduction of the reference (roberta-base) | | {acc:.4f} | {f1:.4f} | | | {iou:.4f} | | | |"
        )
        names = list(rows[0]["per_class_f1"])
        per_class = " / ".join(f"{statistics.mean(r['per_class_f1'][n] for r in rows):.3f}" for n in names)
        seeds = ", ".join(str(r["seed"]) for r in rows)
        lines.append(
            f"| {mechanism} | empathykit `epitome` ({encoder}, {epochs:g} epochs) | {seeds} "
            f"| {spread([r['accuracy'] for r in rows])} | {spread([r['macro_f1'] for r in rows])} "
            f"| {each([r['macro_f1'] for r in rows])} | {per_class} | {spread([r['iou_f1'] for r in rows])} "
            f"| {each([r['iou_f1'] for r in rows])} | {spread([r['token_f1'] for r in rows])} "
            f"| {spread([r['argmax_iou_f1'] for r in rows])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("--model", default=None, help="encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--epochs", type=float, default=4.0)
    parser.add_argument("--mechanisms", default="ER,IP,EX")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds (default: 0 1 2)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="more KEY=VALUE settings")
    parser.add_argument("--out", type=Path, default=None, help="record each finished run here; a restart resumes")
    parser.add_argument(
        "--keep-models",
        type=Path,
        default=None,
        help="keep each trained model in this folder as MECHANISM-SEED/ (default: a temporary folder, removed)",
    )
    args = parser.parse_args()
    data_path("epitome")  # a missing data folder stops here, before any training
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    log = RunLog(args.out, {"encoder": encoder, "epochs": args.epochs, "set": sorted(args.overrides)})
    for mechanism in args.mechanisms.split(","):
        for seed in args.seeds:
            key = f"{mechanism}-{seed}"
            if log.done(key):
                print(f"{key}: recorded in {args.out}, not run again", file=sys.stderr)
                continue
            settings = [*args.overrides, f"seed={seed}"]
            if args.keep_models is not None:
                row = run(mechanism, model, args.epochs, args.keep_models / f"{mechanism}-{seed}", settings)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    row = run(mechanism, model, args.epochs, Path(tmp) / mechanism, settings)
            log.record(key, {**row, "seed": seed})
            print(json.dumps(log.runs[key]), file=sys.stderr, flush=True)
    print(table(log.runs, encoder, args.epochs))


if __name__ == "__main__":
    main()
