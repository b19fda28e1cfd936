"""Benchmark: the ``epitome`` family on EPITOME Reddit, each mechanism, beside a published
reproduction of the reference (RoBERTa-base bi-encoder, 4 epochs) on the same data.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_epitome.py [--model DIR] [--epochs 1] [--out results.json]

Data: ``epitome:$EMPATHYKIT_DATA/epitome`` exported on the fly (seeded 80/10/10 split, one
split per item across mechanisms). Encoder: all-MiniLM-L6-v2 (the offline CPU encoder;
roberta-base is not available offline). Everything else is the reference README's
command (lr 2e-5, batch 32, max length 64, dropout 0.1, lambda_EI 1.0, lambda_RE 0.5,
seeker encoder frozen); on a shared 2-core CPU fewer epochs than the reference's 4.
Metrics on the test split: accuracy, macro-F1 and IOU-F1 over the whole split, and the
reference's per-batch means (batches of 32) beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path, minilm

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
    metrics = family.train(data, settings, work / mechanism)
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
    }


def table(rows: list[dict], encoder: str, epochs: float) -> str:
    lines = [
        "| mechanism | model | epochs | accuracy | macro-F1 | F1 no / weak / strong | IOU-F1 | IOU P / R "
        "| token F1 | argmax tags: IOU-F1, IOU P / R, token F1 | span decoding (threshold, gap, min words) |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | --- |",
    ]
    for row in rows:
        acc, f1, iou = PUBLISHED[row["mechanism"]]
        lines.append(
            f"| {row['mechanism']} | reproduction of the reference (roberta-base) | 4 | {acc:.4f} | {f1:.4f} "
            f"| | {iou:.4f} | | | | |"
        )
        per = " / ".join(f"{v:.3f}" for v in row.get("per_class_f1", {}).values())
        d = row.get("rationale_decoding") or {}
        lines.append(
            f"| {row['mechanism']} | empathykit `epitome` ({encoder}) | {epochs:g} | {row['accuracy']:.4f} "
            f"| {row['macro_f1']:.4f} | {per} | {row['iou_f1']:.4f} | {row['iou_precision']:.3f} / "
            f"{row['iou_recall']:.3f} | {row['token_f1']:.4f} | {row['argmax_iou_f1']:.4f}, "
            f"{row['argmax_iou_precision']:.3f} / {row['argmax_iou_recall']:.3f}, {row['argmax_token_f1']:.4f} "
            f"| {d.get('threshold')}, {d.get('max_gap')}, {d.get('min_length')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("--model", default=None, help="encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--mechanisms", default="ER,IP,EX")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="more KEY=VALUE settings")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = parser.parse_args()
    data_path("epitome")  # a missing data folder stops here, before any training
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mechanism in args.mechanisms.split(","):
            rows.append(run(mechanism, model, args.epochs, Path(tmp), args.overrides))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows, encoder, args.epochs))
    if args.out:
        args.out.write_text(json.dumps({"encoder": encoder, "epochs": args.epochs, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
