"""Benchmark: unsupervised domain adaptation, NewsEmp -> TwittEmp, beside Table 7 of Hosseini & Caragea (2021).

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_domain_adaptation.py [--model DIR] [--seeds 0 1 2]
        [--rows SOURCE-ONLY PRETRAIN-TwittEmp ...] [--epochs 2] [--mlm-epochs 2] [--out results.json]

Rows, each scored by precision, recall and F1 of the empathy class on the TwittEmp test split
(the TwittEmp half, ``empathy-vs-none`` built from ``seek-provide`` as in ``bench_twittemp.py``,
split again 80/10/10 with the seed):

- SOURCE-ONLY: ``classifier`` fine-tuned on NewsEmp ``empathy_bin`` (80/10/10 with the seed), scored
  on TwittEmp through the label map ``high=empathy,low=none`` (:mod:`empathykit.train.label_map`);
- PRETRAIN-X: ``mlm`` on X's texts without labels, then the same fine-tuning from that encoder,
  the same scoring. X: TwittEmp (the half's 1,500 tweets, test tweets included, as unlabelled
  target text is in Han and Eisenstein 2019), GoEmotions (a seeded sample of ``--mlm-max-texts``
  Reddit comments), EPITOME (the seeker posts of the Reddit release);
- TARGET-ONLY: ``classifier`` fine-tuned on the TwittEmp training split (Table 5's BERT row).

Data folder: env var EMPATHYKIT_DATA. Results are written after every row (``--out``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train_newsemp import minilm, resplit
from bench_twittemp import binary_task, common_arguments, data_folder, mean_prf

#: Table 7 (BERT-base): precision, recall, F1 of the empathy class
PAPER = {
    "SOURCE-ONLY": (51.12, 94.71, 67.24),
    "PRETRAIN-EMPATHETICDIALOGUES": (52.71, 94.80, 67.73),
    "PRETRAIN-DailyDialog": (52.70, 98.78, 68.72),
    "PRETRAIN-GoEmotions": (51.85, 96.74, 67.51),
    "PRETRAIN-ISEAR": (52.63, 97.56, 68.37),
    "PRETRAIN-Twitter": (51.29, 96.34, 67.94),
    "TARGET-ONLY": (85.60, 84.55, 84.07),
}
#: our rows -> the paper's row they stand beside
BESIDE = {
    "SOURCE-ONLY": "SOURCE-ONLY",
    "PRETRAIN-TwittEmp": "PRETRAIN-Twitter",
    "PRETRAIN-GoEmotions": "PRETRAIN-GoEmotions",
    "PRETRAIN-EPITOME": None,
    "TARGET-ONLY": "TARGET-ONLY",
}
ROWS = tuple(BESIDE)
LABEL_MAP = "high=empathy,low=none"


def corpora(shared: Path) -> dict[str, tuple[str, str | None, str]]:
    """Row -> (DATA, task, text column) of the unlabelled text it pretrains on."""
    return {
        "PRETRAIN-TwittEmp": (f"twittemp:{shared / 'twittemp' / 'TwittEmp-half.csv'}", "seek-provide", ""),
        "PRETRAIN-GoEmotions": (f"goemotions:{shared / 'aux' / 'goemotions'}", None, ""),
        "PRETRAIN-EPITOME": (f"epitome:{shared / 'epitome'}", "emotional_reactions", "seeker_post"),
    }


def pretrain(row: str, model: str, seed: int, args, work: Path, shared: Path) -> tuple[str, dict]:
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    data, task, column = corpora(shared)[row]
    family = get_family("mlm")
    settings = load_settings(
        family.settings_class,
        None,
        [
            f"seed={seed}",
            f"epochs={args.mlm_epochs}",
            f"max_length={args.mlm_max_length}",
            "batch_size=16",
            f"learning_rate={args.mlm_learning_rate}",
            f"max_texts={args.mlm_max_texts}",
            f"text_column={column}",
            "eval_each_epoch=false",
            "save_steps=100000",
        ],
        model=model,
    )
    corpus = family.load_data(data, task, settings)
    metrics = family.train(corpus, settings, work / f"{row}-{seed}")
    return str(work / f"{row}-{seed}"), {"texts": metrics["texts"], **(metrics.get("validation") or {})}


def fine_tune(data, encoder: str, seed: int, args, out: Path) -> None:
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    family = get_family("classifier")
    settings = load_settings(
        family.settings_class,
        None,
        [
            f"seed={seed}",
            f"epochs={args.epochs}",
            f"max_length={args.max_length}",
            "batch_size=32",
            f"learning_rate={args.learning_rate}",
            "eval_each_epoch=false",
            "save_steps=100000",
        ],
        model=encoder,
    )
    family.train(data, settings, out)


def one_row(row: str, model: str, seed: int, args, work: Path, shared: Path) -> dict:
    from empathykit.train.data import load_training_data
    from empathykit.train.folder import read_labels
    from empathykit.train.label_map import apply_label_map, parse_label_map
    from empathykit.train.run import family_of

    started = time.perf_counter()
    target = resplit(
        binary_task(
            load_training_data(f"twittemp:{shared / 'twittemp' / 'TwittEmp-half.csv'}", "seek-provide"),
            "empathy-vs-none",
        ),
        seed,
    )
    out, facts = work / f"{row}-{seed}-classifier", {}
    if row == "TARGET-ONLY":
        fine_tune(target, model, seed, args, out)
        scored = target
    else:
        encoder = model
        if row.startswith("PRETRAIN-"):
            encoder, facts = pretrain(row, model, seed, args, work, shared)
        source = resplit(load_training_data(f"newsemp:{shared / 'newsemp' / 'messages.csv'}", "empathy_bin"), seed)
        fine_tune(source, encoder, seed, args, out)
        scored = apply_label_map(target, read_labels(out), parse_label_map(LABEL_MAP))
    test = family_of(out).evaluate(out, scored, "test")
    result = {
        "prf": [100 * test[k] for k in ("precision", "recall", "f1")],
        "positive": test["positive_class"],
        "mlm": facts,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps({"row": row, "seed": seed, **result}, default=float), file=sys.stderr, flush=True)
    return result


def table(results: dict, encoder: str, args) -> str:
    lines = [
        f"NewsEmp empathy_bin -> TwittEmp half empathy-vs-none (test split of a seeded 80/10/10), {encoder}, CPU; "
        f"fine-tuning {args.epochs:g} epoch(s), max length {args.max_length}, lr {args.learning_rate:g}; "
        f"mlm {args.mlm_epochs:g} epoch(s), blocks of {args.mlm_max_length}, lr {args.mlm_learning_rate:g}",
        "",
        "| row | encoder | seeds | P | R | F1 (mean ± sd) | paper row | paper P / R / F1 (BERT-base) |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in ROWS:
        values = {s: r for s, r in results.get(row, {}).items()}
        if not values:
            continue
        beside = BESIDE[row]
        paper = " / ".join(f"{x:.2f}" for x in PAPER[beside]) if beside else "not in the paper"
        lines.append(
            f"| {row} | {encoder} | {', '.join(map(str, values))} "
            f"| {mean_prf([v['prf'] for v in values.values()])} | {beside or '-'} | {paper} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--mlm-epochs", type=float, default=2.0)
    parser.add_argument("--mlm-max-length", type=int, default=64)
    parser.add_argument("--mlm-learning-rate", type=float, default=5e-5)
    parser.add_argument("--mlm-max-texts", type=int, default=3000)
    args = parser.parse_args()
    shared = data_folder()
    model = args.model or minilm()
    encoder = Path(model).name if args.model else "all-MiniLM-L6-v2"
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for row in args.rows:
                results.setdefault(row, {})[seed] = one_row(row, model, seed, args, Path(tmp), shared)
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
