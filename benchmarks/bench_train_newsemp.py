"""Benchmark: NewsEmp ``empathy_bin``, the ``classifier`` and ``kd`` families beside Table 4 of
Hosseini & Caragea (2021).

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_newsemp.py [--model DIR] [--seeds 0 1 2] [--epochs 2]
        [--max-length 64] [--aux-max-examples 1000] [--rows classifier MT KD] [--out results.json]

Data: ``newsemp:$EMPATHYKIT_DATA/newsemp/messages.csv``, task ``empathy_bin`` (auxiliary tasks:
``$EMPATHYKIT_DATA/aux/sst2`` and ``aux/goemotions``; set the variable, there is no default). For each seed the
messages (all splits of the import together) are split again, stratified and seeded, 80/10/10;
the same seed drives the training. Rows, each scored by F1 of the positive class on the test split:

- ``classifier``: the encoder with a linear head on the first token (the paper's BERT row);
- MT: family ``kd`` with ``annealing=false`` (one-hot labels; main + SST-2 + GoEmotions heads);
- KD: family ``kd``, teachers SST-2 (``sst2:``) and GoEmotions (``goemotions:``, standing in for
  EmoNet) trained here on a seeded subsample (``aux_max_examples``), the main-task teacher being
  the ``classifier`` row's model of the same seed; lambda rises 0 -> 1 over training.

Each finished seed is recorded at once (``--out``); a restart with the same settings skips it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path, minilm
from _runs import RunLog

PAPER = {"classifier": 63.79, "MT": 64.42, "KD": 68.41}  # Table 4: BERT, MT_SST+EmoNet, KD_SST+EmoNet
ROWS = ("classifier", "MT", "KD")


def newsemp() -> str:
    return f"newsemp:{data_path('newsemp', 'messages.csv')}"


def aux_data() -> dict[str, str]:
    return {"sst": f"sst2:{data_path('aux', 'sst2')}", "emo": f"goemotions:{data_path('aux', 'goemotions')}"}


def resplit(data, seed: int):
    """All messages, split again 80/10/10, stratified by label, with ``seed``."""
    from datasets import DatasetDict, concatenate_datasets
    from sklearn.model_selection import train_test_split

    every = concatenate_datasets([data.dataset[s] for s in data.dataset if len(data.dataset[s])])
    index = list(range(len(every)))
    train, rest = train_test_split(index, test_size=0.2, stratify=every["label"], random_state=seed)
    validation, test = train_test_split(
        rest, test_size=0.5, stratify=[every["label"][i] for i in rest], random_state=seed
    )
    parts = {"train": train, "validation": validation, "test": test}
    return dataclasses.replace(data, dataset=DatasetDict({k: every.select(v) for k, v in parts.items()}))


def train_rows(
    data, model: str, seed: int, args, work: Path, aux: dict[str, str], rows=ROWS, tag: str = ""
) -> dict[str, dict]:
    """Test metrics of the ``classifier``, MT and KD rows (``rows``) on ``data`` with ``seed``; the KD
    row's main-task teacher is the classifier row's model (``tag`` keeps runs of several tasks apart)."""
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    common = [
        f"seed={seed}",
        f"epochs={args.epochs}",
        f"max_length={args.max_length}",
        "batch_size=32",
        f"learning_rate={args.learning_rate}",
        "eval_each_epoch=false",
        "save_steps=100000",
    ]
    runs = {"classifier": ("classifier", []), "MT": ("kd", ["annealing=false"]), "KD": ("kd", [])}
    results = {}
    for row, (name, extra) in runs.items():
        if row not in rows:
            continue
        family = get_family(name)
        options = {}
        if name == "kd":
            options = {"aux": aux, "aux_max_examples": args.aux_max_examples}
            if row == "KD":
                options["teachers"] = {"main": str(work / f"{tag}classifier-{seed}")}
        settings = load_settings(family.settings_class, None, common + extra, model=model, **options)
        started = time.perf_counter()
        results[row] = family.train(data, settings, work / f"{tag}{row}-{seed}")["test"]
        print(
            json.dumps(
                {
                    "task": tag.rstrip("-") or None,
                    "seed": seed,
                    "row": row,
                    "prf": [round(100 * results[row][k], 2) for k in ("precision", "recall", "f1")],
                    "seconds": round(time.perf_counter() - started, 1),
                }
            ),
            file=sys.stderr,
            flush=True,
        )
    return results


def one_seed(model: str, seed: int, args, work: Path) -> dict[str, float]:
    from empathykit.train.data import load_training_data

    data = resplit(load_training_data(newsemp(), "empathy_bin"), seed)
    rows = ("classifier", *args.rows) if "KD" in args.rows else args.rows  # KD's main teacher is the classifier
    trained = train_rows(data, model, seed, args, work, aux_data(), rows=rows)
    return {row: 100 * test["f1"] for row, test in trained.items()}


def table(results: dict[int, dict[str, float]], encoder: str, args) -> str:
    lines = [
        f"NewsEmp empathy_bin, seeded 80/10/10, {encoder}, CPU, {args.epochs:g} epoch(s), max length "
        f"{args.max_length}, aux subsampled to {args.aux_max_examples} training examples, "
        f"seeds {', '.join(map(str, results))}",
        "",
        "| model | encoder | F1 positive class (mean ± sd) | per seed | paper (Table 4, BERT-base) |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for row in ROWS:
        values = [r[row] for r in results.values() if row in r]
        if not values:
            continue
        spread = f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else ""
        lines.append(
            f"| {row} | {encoder} | {statistics.mean(values):.2f}{spread} "
            f"| {', '.join(f'{v:.2f}' for v in values)} | {PAPER[row]:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("--model", default=None, help="encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--aux-max-examples", type=int, default=1000)
    parser.add_argument(
        "--rows",
        nargs="+",
        choices=ROWS,
        default=list(ROWS),
        help="rows to train (default: all; KD trains the classifier too, its main-task teacher)",
    )
    parser.add_argument("--out", type=Path, default=None, help="record each finished seed here; a restart resumes")
    args = parser.parse_args()
    newsemp(), aux_data()  # a missing data folder stops here, before any training
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "seeds")}
    log = RunLog(args.out, {"encoder": encoder, **settings})
    for seed in args.seeds:
        if log.done(str(seed)):
            print(f"seed {seed}: recorded in {args.out}, not run again", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            log.record(str(seed), one_seed(model, seed, args, Path(tmp)))
    results = {int(seed): log.runs[str(seed)] for seed in args.seeds}
    print(table(results, encoder, args))


if __name__ == "__main__":
    main()
