"""Benchmark: training throughput and peak memory of the trainer against the reference's way.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_throughput.py [--model DIR] [--examples 512] [--repeats 1]

The same EPITOME bi-encoder (all-MiniLM-L6-v2 by default; ``empathykit.train.epitome_model``),
the same examples (the first N of EPITOME Reddit emotional reactions, train split, read from
``$EMPATHYKIT_DATA/epitome``; set the variable, there is no default), batch 32,
max length 64, lr 2e-5, one epoch, trained twice in one run, each in a fresh process:

- ``trainer``: the ``epitome`` family's path: transformers' ``Trainer``, dynamic padding (each
  batch padded to its longest seeker / response);
- ``grouped``: the same with ``--set group_by_length=true`` (batches of similar lengths);
- ``static loop``: a plain PyTorch loop (AdamW, linear schedule, no Trainer) over batches padded
  to the maximum length, as the reference's ``train.py`` does.

Reported: examples per second of the training step alone (data prepared beforehand) and peak
memory (RSS of the process; on a GPU, the peak of allocated GPU memory), plus the mean padded
width of the response batches.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import HELP, data_path
from bench_train_epitome import load_data, minilm

BATCH, MAX_LENGTH, LR = 32, 64, 2e-5
PHASES = ("static", "trainer", "grouped")


def prepared(model_dir: str, examples: int):
    from transformers import AutoTokenizer

    from empathykit.train.epitome import encode_split
    from empathykit.train.epitome_model import build_model
    from empathykit.train.hf import seed_everything

    seed_everything(12)
    data = load_data("emotional_reactions")
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    rows = encode_split(data.split("train").select(range(examples)), tokenizer, MAX_LENGTH)
    model = build_model(model_dir, dropout=0.1, lambda_EI=1.0, lambda_RE=0.5, train_seeker=False)
    return tokenizer, rows, model


def phase_trainer(model_dir: str, examples: int, work: Path, grouped: bool = False) -> dict:
    from transformers import Trainer

    from empathykit.train import hf
    from empathykit.train.epitome import EpitomeSettings
    from empathykit.train.epitome_model import collator

    tokenizer, rows, model = prepared(model_dir, examples)
    settings = EpitomeSettings(
        model=model_dir, epochs=1, save_steps=100000, logging_steps=1000, eval_each_epoch=False, seed=12
    )
    collate = collator(tokenizer)
    widths: list[int] = []

    def counting(features):
        batch = collate(features)
        widths.append(batch["response_input_ids"].shape[1])
        return batch

    args = hf.training_arguments(
        settings,
        work,
        evaluate=False,
        label_names=["labels", "rationale_labels"],
        length_column_name="length",
        train_sampling_strategy="group_by_length" if grouped else "random",
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=counting)
    return _timed(lambda: hf.fit(trainer, work, False), len(rows), widths)


def phase_static(model_dir: str, examples: int, work: Path) -> dict:
    import torch
    from transformers import get_linear_schedule_with_warmup

    from empathykit.train.epitome_model import collator

    tokenizer, rows, model = prepared(model_dir, examples)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).train()
    loader = torch.utils.data.DataLoader(
        rows, batch_size=BATCH, shuffle=True, collate_fn=collator(tokenizer, pad_to=MAX_LENGTH)
    )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)
    schedule = get_linear_schedule_with_warmup(optimizer, 0, len(loader))
    widths: list[int] = []

    def loop():
        for batch in loader:
            widths.append(batch["response_input_ids"].shape[1])
            loss = model(**{k: v.to(device) for k, v in batch.items()})["loss"]
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()

    return _timed(loop, len(rows), widths)


def _timed(step, examples: int, widths: list[int]) -> dict:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if torch.cuda.is_available()
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "examples": examples,
        "seconds": round(seconds, 2),
        "examples_per_s": round(examples / seconds, 2),
        "peak_mib": round(peak),
        "memory": "GPU allocated" if torch.cuda.is_available() else "RSS",
        "mean_width": round(sum(widths) / max(len(widths), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("--model", default=None)
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=Path("/tmp"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_path("epitome")  # a missing data folder stops here, before any child process
    model = args.model or minilm()
    if args.phase:
        if args.phase == "static":
            print(json.dumps(phase_static(model, args.examples, args.work)))
        else:
            print(json.dumps(phase_trainer(model, args.examples, args.work, grouped=args.phase == "grouped")))
        return
    import tempfile

    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    results: dict[str, list[dict]] = {phase: [] for phase in PHASES}
    for _ in range(args.repeats):
        for phase in PHASES:
            with tempfile.TemporaryDirectory() as tmp:
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--phase",
                        phase,
                        "--model",
                        model,
                        "--examples",
                        str(args.examples),
                        "--work",
                        tmp,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
                )
            results[phase].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(phase, results[phase][-1], file=sys.stderr, flush=True)
    best = {k: max(v, key=lambda r: r["examples_per_s"]) for k, v in results.items()}
    print("| encoder | training | padding | mean response width | examples/s | peak memory (MiB) |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for phase, label, padding in (
        ("trainer", "empathykit `Trainer`", "dynamic"),
        ("grouped", "empathykit `Trainer`, `group_by_length=true`", "dynamic"),
        ("static", "plain PyTorch loop", f"static, {MAX_LENGTH}"),
    ):
        r = best[phase]
        print(
            f"| {encoder} | {label} | {padding} | {r['mean_width']} | {r['examples_per_s']} | "
            f"{r['peak_mib']} ({r['memory']}) |"
        )
    for phase in ("trainer", "grouped"):
        speed = best[phase]["examples_per_s"] / best["static"]["examples_per_s"]
        print(f"\n{phase} / static loop: {speed:.2f}x the examples per second")


if __name__ == "__main__":
    main()
