"""Benchmark: TwittEmp (the half in the shared data), Tables 5 and 6 of Hosseini & Caragea (2021):
``classifier``, MT and KD for empathy-vs-none, seek-vs-rest and provide-vs-rest.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_twittemp.py [--model DIR] [--seeds 0 1 2]
        [--tasks empathy-vs-none seek-vs-rest provide-vs-rest] [--epochs 2] [--aux-max-examples 500] [--out results.json]

Data: ``twittemp:$EMPATHYKIT_DATA/twittemp/TwittEmp-half.csv`` (1,503 of the release's 3,000 tweets).
The binary tasks are built here from the import's ``seek-provide`` labels (seeking / providing /
none): empathy-vs-none = seeking or providing vs none; seek-vs-rest = seeking vs the others;
provide-vs-rest = providing vs the others. For each seed the tweets are split again, stratified
and seeded, 80/10/10 (as the NewsEmp benchmark). Rows, scored by P/R/F1 of the positive class on
the test split: ``classifier`` (the paper's BERT row), MT (``kd`` with ``annealing=false``, SST-2
and GoEmotions heads) and KD (``kd``, SST-2 and GoEmotions teachers trained on a seeded subsample,
the main teacher being the classifier of the same seed). GoEmotions stands in for EmoNet, so the
paper's rows to compare with are MT/KD_SST+EmoNet. Results are written after every run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train_newsemp import ROWS, minilm, resplit, train_rows

TASKS = {
    "empathy-vs-none": ("none", "empathy", ("seeking", "providing")),
    "seek-vs-rest": ("rest", "seeking", ("seeking",)),
    "provide-vs-rest": ("rest", "providing", ("providing",)),
}
#: (precision, recall, F1) of the paper's rows: Table 5 (empathy) and Table 6 (seek, provide)
PAPER = {
    "empathy-vs-none": {"classifier": (85.60, 84.55, 84.07), "MT": (80.53, 84.73, 83.11), "KD": (82.42, 85.77, 84.56)},
    "seek-vs-rest": {"classifier": (78.07, 61.60, 66.51), "MT": (77.16, 59.81, 67.01), "KD": (79.89, 59.60, 67.97)},
    "provide-vs-rest": {"classifier": (76.94, 75.40, 77.16), "MT": (76.19, 82.20, 78.49), "KD": (76.68, 81.15, 79.06)},
}


def data_folder() -> Path:
    folder = os.environ.get("EMPATHYKIT_DATA")
    if not folder:
        sys.exit(
            "set EMPATHYKIT_DATA to the shared data folder (the one holding twittemp/, newsemp/, aux/), "
            "e.g. EMPATHYKIT_DATA=../shared/data"
        )
    return Path(folder)


def binary_task(data, task: str):
    """``data`` (the ``seek-provide`` import) with labels 0/1 for ``task``."""
    negative, positive, members = TASKS[task]
    names = list(data.label_names)
    chosen = {names.index(m) for m in members}
    dataset = data.dataset.map(lambda row: {"label": int(row["label"] in chosen)})
    return dataclasses.replace(data, dataset=dataset, task=task, label_names=[negative, positive])


def one_seed(model: str, seed: int, task: str, args, work: Path, aux: dict[str, str], twittemp: str) -> dict:
    from empathykit.train.data import load_training_data

    data = resplit(binary_task(load_training_data(twittemp, "seek-provide"), task), seed)
    tests = train_rows(data, model, seed, args, work, aux, rows=args.rows, tag=f"{task}-")
    return {row: [100 * test[k] for k in ("precision", "recall", "f1")] for row, test in tests.items()}


def mean_prf(values: list) -> str:
    """``P | R | F1 (± sd)`` cells: the means over seeds of ``[precision, recall, f1]`` rows."""
    p, r, f = (statistics.mean(v[i] for v in values) for i in range(3))
    spread = f" ± {statistics.stdev(v[2] for v in values):.2f}" if len(values) > 1 else ""
    return f"{p:.2f} | {r:.2f} | {f:.2f}{spread}"


def common_arguments(parser: argparse.ArgumentParser, epochs: float = 2.0) -> None:
    """The options every TwittEmp benchmark takes (encoder, seeds, fine-tuning, output)."""
    parser.add_argument("--model", default=None, help="encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=float, default=epochs)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here (after each run)")


def table(results: dict, encoder: str, args) -> str:
    lines = [
        f"TwittEmp half (1,503 tweets), seeded 80/10/10, {encoder}, CPU, {args.epochs:g} epoch(s), max length "
        f"{args.max_length}, lr {args.learning_rate:g}, aux subsampled to {args.aux_max_examples}",
        "",
        "| task | model | encoder | seeds | P | R | F1 (mean ± sd) | paper P / R / F1 (BERT-base) |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for task, by_seed in results.items():
        for row in ROWS:
            values = {s: r[row] for s, r in by_seed.items() if row in r}
            if values:
                paper = " / ".join(f"{x:.2f}" for x in PAPER[task][row])
                lines.append(
                    f"| {task} | {row} | {encoder} | {', '.join(map(str, values))} "
                    f"| {mean_prf(list(values.values()))} | {paper} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--aux-max-examples", type=int, default=500)
    args = parser.parse_args()
    shared = data_folder()
    twittemp = f"twittemp:{shared / 'twittemp' / 'TwittEmp-half.csv'}"
    aux = {"sst": f"sst2:{shared / 'aux' / 'sst2'}", "emo": f"goemotions:{shared / 'aux' / 'goemotions'}"}
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for task in args.tasks:
                results.setdefault(task, {})[seed] = one_seed(model, seed, task, args, Path(tmp), aux, twittemp)
                if args.out:
                    args.out.write_text(
                        json.dumps(
                            {
                                "encoder": encoder,
                                "args": {k: v for k, v in vars(args).items() if k != "out"},
                                "results": results,
                            },
                            indent=2,
                            default=str,
                        )
                        + "\n"
                    )
    print(table(results, encoder, args))


if __name__ == "__main__":
    main()
