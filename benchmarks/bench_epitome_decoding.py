"""Benchmark: rationale decodings of the same EPITOME weights, side by side on the test split.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_epitome_decoding.py MODELS [--out results.json]

``MODELS`` is the folder ``bench_train_epitome.py --keep-models`` filled (one ``MECHANISM-SEED/``
model each). For every model the validation and test splits are scored once; then each decoding is
chosen on validation and measured on test: the reference's argmax tags, word decoding (threshold,
word snapping, gaps, minimum length) and word decoding with clause voting among the candidates.
Only the decoding differs between columns, so a difference is the decoding's, not training noise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _data import HELP, data_path
from _runs import RunLog
from bench_train_epitome import MECHANISMS, PUBLISHED, each, load_data, spread

DECODINGS = ("argmax", "words", "clauses")


def _strings(values) -> list[str]:
    return [v if isinstance(v, str) else "" for v in values]


def decode_one(folder: Path, mechanism: str) -> dict:
    from empathykit.train import folder as mf
    from empathykit.train import rationales as rat
    from empathykit.train import span_decoding as sd
    from empathykit.train.epitome import rationale_scores
    from empathykit.train.epitome_model import load_model

    saved = mf.read_model_config(folder).get("settings", {})
    model, tokenizer = load_model(folder)
    data = load_data(MECHANISMS[mechanism])
    scored = {
        split: rationale_scores(model, tokenizer, data.split(split), saved.get("max_length", 64), 64)
        for split in ("validation", "test")
    }
    (val_rows, _, val_scores, val_offsets, val_gold) = scored["validation"]
    (test_rows, _, test_scores, test_offsets, test_gold) = scored["test"]
    val_texts, test_texts = (_strings(rows["response_post"]) for rows in (val_rows, test_rows))
    chosen = {
        "argmax": sd.ARGMAX,
        "words": sd.choose_decoding(val_scores, val_offsets, val_gold)[0],
        "clauses": sd.choose_decoding(val_scores, val_offsets, val_gold, texts=val_texts)[0],
    }
    out = {}
    for name, decoding in chosen.items():
        metrics = rat.rationale_metrics(sd.decode_all(test_scores, test_offsets, decoding, test_texts), test_gold)
        out[name] = {
            "decoding": decoding.to_dict(),
            **{k: metrics[k] for k in ("iou_f1", "iou_precision", "iou_recall", "token_f1")},
        }
    return out


def table(runs: dict[str, dict]) -> str:
    lines = [
        "| mechanism | seeds | reproduction IOU-F1 | argmax tags | word decoding | word decoding + clause voting "
        "| per seed (clause voting) | clause fraction chosen |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for mechanism in MECHANISMS:
        keys = sorted(k for k in runs if k.startswith(f"{mechanism}-"))
        if not keys:
            continue
        column = lambda name, keys=keys: [runs[k][name]["iou_f1"] for k in keys]
        lines.append(
            f"| {mechanism} | {', '.join(k.split('-', 1)[1] for k in keys)} | {PUBLISHED[mechanism][2]:.4f} "
            f"| {spread(column('argmax'))} | {spread(column('words'))} | **{spread(column('clauses'))}** "
            f"| {each(column('clauses'))} "
            f"| {', '.join(str(runs[k]['clauses']['decoding']['clause']) for k in keys)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=HELP)
    parser.add_argument("models", type=Path, nargs="?", help="the folder bench_train_epitome.py --keep-models filled")
    parser.add_argument("--out", type=Path, default=None, help="record each model's figures here; a restart resumes")
    args = parser.parse_args()
    data_path("epitome")  # a missing data folder stops here, before any model is read
    if args.models is None:
        sys.exit("give MODELS, the folder bench_train_epitome.py --keep-models filled")
    folders = sorted(p for p in args.models.glob("*-*") if p.is_dir() and p.name.split("-")[0] in MECHANISMS)
    if not folders:
        sys.exit(f"{args.models}: no MECHANISM-SEED model folders (fill it with bench_train_epitome.py --keep-models)")
    log = RunLog(args.out, {"models": str(args.models.resolve()), "decodings": list(DECODINGS)})
    for folder in folders:
        if not log.done(folder.name):
            log.record(folder.name, decode_one(folder, folder.name.split("-")[0]))
            print(f"{folder.name}: {log.runs[folder.name]}", file=sys.stderr, flush=True)
    print(table(log.runs))


if __name__ == "__main__":
    main()
