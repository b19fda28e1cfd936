"""Benchmark: Emolit emotions, the ``circumplex`` loss vs supervised contrastive vs the classifier head.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_circumplex.py [--model DIR] [--train 600] [--test 300] [--epochs 2]

Data: ``emolit:$EMPATHYKIT_DATA/emolit/train.csv`` (training) and ``test.csv`` (test), imported on
the fly (12 emotions), subsampled (seeded) to ``--train`` training and ``--test`` test texts so that each model trains
in a few minutes on a shared CPU; the full data is ``--train 0 --test 0``. Encoder:
all-MiniLM-L6-v2. For every model: macro-F1 and accuracy on test (circumplex/supcon: nearest
class direction; classifier: its head, and nearest class direction on its mean-pooled states),
circularity of the test embeddings (Fisher-Lee circular correlation of class-centroid angles
after 2D PCA with the Emolit circle, neighbours kept), and macro-F1 after PCA to 2, 8 and 32
dimensions (fit on train, nearest centroid). The untouched encoder is scored the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path, minilm

STUDY = (
    "circumplex study (seeds/003), qualitative: the circular loss gives interpretable, circular embeddings "
    "that keep their F1 under reduction to few dimensions, at a lower F1 than contrastive/classifier "
    "training in the full dimension"
)


def read_import(path: Path):
    """One ``emolit:FILE`` import as a Dataset of all its rows (every split's Parquet file joined;
    empty ones skipped): the benchmark makes its own train/test from the release's two files."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    from empathykit.train.data import _cached_import

    folder = _cached_import(f"emolit:{path}", {}) / "emotion"
    tables = [pq.read_table(f) for f in sorted(folder.glob("*.parquet")) if pq.read_metadata(f).num_rows]
    return Dataset(pa.concat_tables(tables).combine_chunks())


def load(n_train: int, n_test: int):
    """Train on Emolit's train.csv, test on its test.csv (the release's own held-out file)."""
    from datasets import DatasetDict

    from empathykit.schemas.emotion import PRESETS
    from empathykit.train.data import TrainingData

    def sub(part, n: int):
        part = part.shuffle(seed=0)
        return part.select(range(min(n, len(part)))) if n else part

    train, test = data_path("emolit", "train.csv"), data_path("emolit", "test.csv")
    splits = {"train": sub(read_import(train), n_train), "test": sub(read_import(test), n_test)}
    return TrainingData(
        dataset=DatasetDict(splits),
        task="emotion",
        kind="choice",
        label_names=list(PRESETS["emolit"]),
        inputs=["text"],
        schema="emotion",
        source=f"emolit:{train}",
    )


def pooled_states(encoder, tokenizer, texts, max_length: int = 64, batch_size: int = 64):
    """Mean-pooled last hidden states (the classifier's and the untouched encoder's embeddings)."""
    import numpy as np
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                texts[start : start + batch_size],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            hidden = encoder(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            out.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(out)


def score_states(encoder, tokenizer, data, angles) -> dict:
    from empathykit.train.circumplex_metrics import embedding_metrics

    tr, te = data.dataset["train"], data.dataset["test"]
    return embedding_metrics(
        pooled_states(encoder, tokenizer, tr["text"]),
        tr["label"],
        pooled_states(encoder, tokenizer, te["text"]),
        te["label"],
        angles,
        data.label_names,
    )


def row(name: str, m: dict, seconds: float | None, head_f1: float | None = None) -> dict:
    keys = (
        "macro_f1",
        "accuracy",
        "circular_correlation",
        "neighbours_kept",
        "macro_f1_2d",
        "macro_f1_8d",
        "macro_f1_32d",
    )
    return {"model": name, "head_macro_f1": head_f1, "seconds": seconds, **{k: m.get(k) for k in keys}}


def run(model: str, data, epochs: float, work: Path, png_dir: Path | None) -> list[dict]:
    from transformers import AutoModel, AutoTokenizer

    from empathykit.train.circular import class_angles
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    angles = class_angles("emolit", data.label_names)
    common = [f"epochs={epochs}", "eval_each_epoch=false", "save_steps=100000", "max_length=64", "batch_size=32"]
    rows = [
        row(
            "pre-trained (no fine-tuning)",
            score_states(AutoModel.from_pretrained(model), AutoTokenizer.from_pretrained(model), data, angles),
            0,
        )
    ]
    for loss in ("circumplex", "supcon"):
        family = get_family("circumplex")
        settings = load_settings(
            family.settings_class, None, [*common, f"loss={loss}", "learning_rate=5e-5"], model=model
        )
        started = time.perf_counter()
        metrics = family.train(data, settings, work / loss)
        seconds = round(time.perf_counter() - started, 1)
        if png_dir is not None:
            metrics["test"] = family.evaluate(work / loss, data, "test", png_dir / loss)
        rows.append(row(f"circumplex family, loss={loss}", metrics["test"], seconds))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    family = get_family("classifier")
    settings = load_settings(family.settings_class, None, [*common, "pooling=mean", "learning_rate=5e-5"], model=model)
    started = time.perf_counter()
    metrics = family.train(data, settings, work / "classifier")
    seconds = round(time.perf_counter() - started, 1)
    net, tokenizer, *_ = family.load(work / "classifier")
    rows.append(
        row(
            "classifier head (mean pooling)",
            score_states(net.encoder, tokenizer, data, angles),
            seconds,
            metrics["test"]["macro_f1"],
        )
    )
    return rows


def table(rows: list[dict], encoder: str, epochs: float, n_train: int, n_test: int) -> str:
    f = lambda v: "" if v is None else f"{v:.3f}"
    lines = [
        f"Emolit, {encoder}, CPU, {epochs:g} epoch(s), {n_train} train / {n_test} test texts (seeded subsample)",
        "",
        "| model | macro-F1 (nearest class direction) | head macro-F1 | accuracy | circular corr. "
        "| neighbours kept | F1 2-d | F1 8-d | F1 32-d | train s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {f(r['macro_f1'])} | {f(r['head_macro_f1'])} | {f(r['accuracy'])} "
            f"| {f(r['circular_correlation'])} | {f(r['neighbours_kept'])} | {f(r['macro_f1_2d'])} "
            f"| {f(r['macro_f1_8d'])} | {f(r['macro_f1_32d'])} | {r['seconds'] if r['seconds'] else ''} |"
        )
    return "\n".join(lines + ["", STUDY])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("--model", default=None, help="encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--train", type=int, default=600, help="training texts (0: all)")
    parser.add_argument("--test", type=int, default=300, help="test texts (0: all)")
    parser.add_argument("--png", type=Path, default=None, help="write the 2D circle PNGs under this folder")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = parser.parse_args()
    data = load(args.train, args.test)  # first: without the data, one line and no encoder import
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    n_train, n_test = len(data.dataset["train"]), len(data.dataset["test"])
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(model, data, args.epochs, Path(tmp), args.png)
    print(table(rows, encoder, args.epochs, n_train, n_test))
    if args.out:
        args.out.write_text(
            json.dumps(
                {"encoder": encoder, "epochs": args.epochs, "train": n_train, "test": n_test, "rows": rows}, indent=2
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
