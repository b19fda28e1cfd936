"""Family ``mlm``: continue an encoder's masked-language-model pretraining on unlabelled text.

The domain-adaptive step of the TwittEmp paper's section 6 (after Han and Eisenstein 2019):
dynamic masking (transformers' ``DataCollatorForLanguageModeling``, new masks every batch) and
transformers' ``Trainer``. The text comes from :func:`empathykit.train.texts.read_corpus`
(collected or filtered Parquet, JSONL, a CSV column, or the texts of any export / ``DATASET:PATH``).
Texts are tokenized, joined and cut into blocks of ``max_length`` tokens (``line_by_line=true``:
one text per row instead); a seeded ``validation_fraction`` of the blocks is held out and its
masked-LM loss is measured with fixed masks before and after training.

The folder written is an encoder: ``config.json``, weights with the MLM head, the tokenizer (and
a sentence-transformers checkpoint's pooling files), plus the usual ``config.yaml``,
``metrics.json`` and card; every other family takes it as ``--model``. A checkpoint saved without
an MLM head (sentence-transformers models, bare encoders) gets a freshly initialised head; the run
says so and records ``fresh_mlm_head`` in the metrics.
"""

from __future__ import annotations

import itertools
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from empathykit.errors import InputError, TrainError
from empathykit.progress import Progress
from empathykit.train import folder as mf
from empathykit.train import hf
from empathykit.train.families import Family
from empathykit.train.settings import TrainSettings, setting
from empathykit.train.skeleton import TrainingRun, notify
from empathykit.train.texts import TextCorpus, read_corpus

#: files that make a folder a sentence-transformers model; copied so the similarity family pools the same way
SENTENCE_TRANSFORMERS = (
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling",
    "2_Normalize",
)
EVAL_MASK_SEED = 1234


@dataclass
class MLMSettings(TrainSettings):
    epochs: float = setting(1.0, "passes over the text")
    learning_rate: float = setting(5e-5, "peak learning rate (AdamW, linear decay)")
    warmup_ratio: float = setting(0.06, "fraction of the steps with a linear warm-up")
    text_column: str = setting(
        "",
        "column holding the text (files: default 'text'; exports/imports: default the task's inputs, e.g. seeker_post)",
    )
    mlm_probability: float = setting(0.15, "share of tokens masked in each batch (dynamic masking)")
    line_by_line: bool = setting(
        False,
        "one text per row (truncated to max_length) instead of texts joined and cut into blocks of max_length tokens",
    )
    max_texts: int = setting(0, "pretrain on at most this many texts (a seeded sample; 0: all)")
    validation_fraction: float = setting(0.05, "share of the blocks held out to measure the masked-LM loss")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.mlm_probability < 1.0:
            raise TrainError(f"setting mlm_probability must be between 0 and 1, got {self.mlm_probability}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise TrainError(f"setting validation_fraction must be in [0, 1), got {self.validation_fraction}")
        if self.max_texts < 0:
            raise TrainError(f"setting max_texts must not be negative, got {self.max_texts}")


def blocks(corpus: TextCorpus, tokenizer, settings: MLMSettings):
    """A ``datasets.Dataset`` of token blocks (or of single texts with ``line_by_line``)."""
    from datasets import Dataset

    texts = Dataset.from_dict({"text": corpus.texts})
    if settings.line_by_line:
        return texts.map(
            lambda b: tokenizer(
                b["text"], truncation=True, max_length=settings.max_length, return_special_tokens_mask=True
            ),
            batched=True,
            remove_columns=["text"],
        )
    tokens = texts.map(
        lambda b: tokenizer(b["text"], return_special_tokens_mask=True), batched=True, remove_columns=["text"]
    )
    total = sum(len(ids) for ids in tokens["input_ids"])
    size = settings.max_length
    if total < size:
        raise InputError(
            f"{corpus.source}: {len(corpus.texts)} text(s) make {total} tokens, fewer than one block "
            f"of max_length={size}",
            hint=f"add text, or --set max_length={max(total, 8)} or line_by_line=true",
        )

    def group(batch: dict[str, list]) -> dict[str, list]:
        joined = {k: list(itertools.chain.from_iterable(batch[k])) for k in batch}
        length = len(joined["input_ids"]) // size * size
        return {k: [v[i : i + size] for i in range(0, length, size)] for k, v in joined.items()}

    # one joined batch: no tokens are dropped at batch edges (the corpora here fit in memory)
    return tokens.map(group, batched=True, batch_size=len(tokens))


def masked_lm_loss(model, dataset, tokenizer, settings: MLMSettings) -> float:
    """Mean masked-LM loss per masked token on ``dataset``, with the same masks every call."""
    import torch
    from transformers import DataCollatorForLanguageModeling

    collate = DataCollatorForLanguageModeling(tokenizer, mlm_probability=settings.mlm_probability, seed=EVAL_MASK_SEED)
    device = next(model.parameters()).device
    total = count = 0.0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(dataset), settings.eval_batch_size):
            batch = collate([dataset[i] for i in range(start, min(start + settings.eval_batch_size, len(dataset)))])
            batch = {k: v.to(device) for k, v in batch.items()}
            masked = int((batch["labels"] != -100).sum())
            if masked:
                total += float(model(**batch).loss) * masked
                count += masked
    model.train(was_training)
    return total / count if count else float("nan")


def load_mlm_model(base: Path):
    """``(model, fresh_head)``: the encoder with its MLM head, or a new head where the checkpoint has none."""
    from transformers import AutoModelForMaskedLM

    try:
        model, info = AutoModelForMaskedLM.from_pretrained(str(base), local_files_only=True, output_loading_info=True)
    except ValueError as error:
        raise TrainError(f"model {base}: no masked-LM architecture for it ({str(error).splitlines()[0]})") from None
    base_prefix = getattr(model, "base_model_prefix", "")
    fresh = [k for k in info.get("missing_keys", ()) if not k.startswith(f"{base_prefix}.")]
    return model, bool(fresh)


class MLMFamily(Family):
    name = "mlm"
    settings_class = MLMSettings

    def load_data(self, data: str, task: str | None, settings: MLMSettings) -> TextCorpus:
        return read_corpus(
            data, task=task, column=settings.text_column, max_texts=settings.max_texts, seed=settings.seed
        )

    def check(self, data, settings) -> None:
        if not isinstance(data, TextCorpus):
            raise TrainError("family 'mlm' trains on unlabelled text (train_model reads it with read_corpus)")

    def train(
        self,
        data: TextCorpus,
        settings: MLMSettings,
        out_dir: Path,
        *,
        resume: bool = False,
        on_progress: Progress | None = None,
        command: str | None = None,
    ) -> dict[str, Any]:
        from transformers import DataCollatorForLanguageModeling, Trainer

        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            base, tokenizer = run.base, run.tokenizer
            if tokenizer.mask_token is None:
                raise TrainError(
                    f"model {base}: its tokenizer has no mask token, so it cannot be pretrained as a "
                    "masked language model"
                )
            dataset = blocks(data, tokenizer, settings).shuffle(seed=settings.seed)
            held = int(round(len(dataset) * settings.validation_fraction)) if len(dataset) > 1 else 0
            held = min(max(held, 1 if settings.validation_fraction else 0), len(dataset) - 1)
            train_set, val_set = dataset.select(range(held, len(dataset))), dataset.select(range(held))
            model, fresh = load_mlm_model(base)
            if fresh:
                notify(
                    f"{base} has no masked-LM head (a sentence-transformers or bare encoder "
                    "checkpoint): a freshly initialised head is trained with it"
                )
            before = masked_lm_loss(model, val_set, tokenizer, settings) if held else None
            trainer = Trainer(
                model=model,
                args=hf.training_arguments(settings, run.work, evaluate=bool(held)),
                train_dataset=train_set,
                eval_dataset=val_set if held else None,
                data_collator=DataCollatorForLanguageModeling(tokenizer, mlm_probability=settings.mlm_probability),
                callbacks=[hf.progress_callback(on_progress)],
            )
            run_facts = run.fit(
                trainer, examples=held, score=lambda: {"mlm_loss": masked_lm_loss(model, val_set, tokenizer, settings)}
            )
            if not run.main:
                return {}
            metrics: dict[str, Any] = {
                "texts": len(data.texts),
                "train_blocks": len(train_set),
                "fresh_mlm_head": fresh,
                **run_facts,
            }
            if held:
                after = masked_lm_loss(model, val_set, tokenizer, settings)
                metrics["validation"] = {
                    "mlm_loss_before": before,
                    "mlm_loss": after,
                    "perplexity_before": math.exp(before),
                    "perplexity": math.exp(after),
                    "blocks": held,
                }
            return run.finish(
                lambda tmp: _save(model, tokenizer, base, tmp), metrics, extra_config={"base_model": str(base)}
            )

    def evaluate(self, model_dir: Path, data, split: str = "test", out_dir: Path | None = None) -> dict[str, Any]:
        """Masked-LM loss and perplexity on the texts of ``split`` (fixed masks)."""
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        saved = mf.read_model_config(model_dir).get("settings", {})
        settings = MLMSettings(**{k: v for k, v in saved.items() if k in MLMSettings.__dataclass_fields__})
        rows = data.split(split)
        columns = [settings.text_column] if settings.text_column in rows.column_names else list(data.inputs)
        texts = [t for c in columns for t in rows[c] if isinstance(t, str) and t.strip()]
        corpus = TextCorpus(texts=texts, source=f"{data.source} ({split})", columns=columns, rows=len(rows))
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        model = AutoModelForMaskedLM.from_pretrained(str(model_dir), local_files_only=True)
        loss = masked_lm_loss(model, blocks(corpus, tokenizer, settings), tokenizer, settings)
        return {"mlm_loss": loss, "perplexity": math.exp(loss), "texts": len(texts)}

    def predict(
        self, model_dir: Path, records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        raise InputError(
            f"{model_dir}: an 'mlm' model folder is a pretrained encoder, it predicts no labels",
            hint=f"fine-tune it first: empathykit train DATA --model {model_dir} --family classifier -o OUT",
        )


def _save(model, tokenizer, base: Path, folder: Path) -> None:
    model = getattr(model, "module", model)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    for name in SENTENCE_TRANSFORMERS:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.is_file():
            shutil.copy2(source, folder / name)
