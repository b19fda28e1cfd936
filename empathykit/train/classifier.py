"""Family ``classifier``: one text or a text pair → a linear head on a fine-tuned encoder.

The head sits on the first token (the papers' BERT baseline) or on the mean of the
token states (``--set pooling=mean``). The export's label kind picks the task:
single-label (``choice``), multi-label (``multichoice``, e.g. emotions) or
regression (``rating``). ``--set soft_labels=true`` trains on the export's
``label_distribution`` (the annotators' votes) instead of the majority label.
Training is transformers' ``Trainer`` with one ``compute_loss``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from empathykit.errors import InputError, TrainError
from empathykit.progress import Progress
from empathykit.train import class_weights as cw
from empathykit.train import folder as mf
from empathykit.train import hf, labels
from empathykit.train.families import Family
from empathykit.train.metrics import add_confusion_figure
from empathykit.train.modeling import POOLINGS, batched_logits, build_model, load_model, save_model
from empathykit.train.settings import TrainSettings, setting
from empathykit.train.skeleton import TrainingRun

MAIN = "main"


@dataclass
class ClassifierSettings(TrainSettings):
    pooling: str = setting("first", "first (the first token's state, as the BERT baseline) | mean (over tokens)")
    soft_labels: bool = setting(False, "train on the export's label_distribution (annotator votes) as soft targets")
    threshold: float = setting(0.5, "multi-label: a class is predicted at or above this probability")
    class_weights: str = setting("none", cw.HELP)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pooling not in POOLINGS:
            raise TrainError(f"setting pooling={self.pooling!r}: expected one of {', '.join(POOLINGS)}")
        if not 0.0 < self.threshold < 1.0:
            raise TrainError(f"setting threshold must be between 0 and 1, got {self.threshold}")
        cw.check_setting(self.class_weights)


def encode_split(split, tokenizer, data, settings, scale, *, task_id: int | None = None, soft: bool = False):
    """Token ids + ``labels`` (+ ``soft`` targets, + ``task``) for one split."""
    size = labels.head_size(data.kind, data.label_names)
    keep = [data.label_column] + ([labels.DISTRIBUTION] if soft else [])
    carried = [c for c in ("teacher",) if c in split.column_names]  # kd's teacher probabilities
    encoded = hf.tokenize(split, tokenizer, data.inputs, settings.max_length, keep=keep + carried)

    def add(row: dict[str, Any]) -> dict[str, Any]:
        out = {"labels": labels.target(data.kind, row[data.label_column], size, scale)}
        if soft:
            out["soft"] = [float(p) for p in row[labels.DISTRIBUTION]]
        if task_id is not None:
            out["task"] = task_id
        return out

    encoded = encoded.map(add, remove_columns=keep)
    if data.kind == "choice":  # rows without a label (-1) cannot train
        encoded = encoded.filter(lambda row: row["labels"] >= 0)
    return encoded


def collator(tokenizer):
    """Dynamic padding for the token fields; every other field stacked as a tensor."""
    import torch
    from transformers import DataCollatorWithPadding

    pad = DataCollatorWithPadding(tokenizer)
    token_keys = ("input_ids", "attention_mask", "token_type_ids")

    def collate(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = pad([{k: f[k] for k in token_keys if k in f} for f in features])
        for key in features[0]:
            if key not in token_keys:
                batch[key] = torch.tensor([f[key] for f in features])
        return batch

    return collate


def heads_trainer_class():
    from transformers import Trainer

    class HeadsTrainer(Trainer):
        """``Trainer`` whose loss is the head's: its kind's loss on the ``main`` head."""

        kind: str = "choice"
        class_weight: list[float] | None = None

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            targets = inputs.pop("labels")
            soft = inputs.pop("soft", None)
            logits = model(**inputs, task=MAIN)
            value = labels.loss(self.kind, logits, targets, soft, weight=self.class_weight)
            return (value, {"logits": logits}) if return_outputs else value

    return HeadsTrainer


class ClassifierFamily(Family):
    name = "classifier"
    settings_class = ClassifierSettings

    def check(self, data, settings) -> None:
        labels.check_labels(
            data, kinds=("choice", "multichoice", "rating"), soft=settings.soft_labels, family=self.name
        )
        if settings.class_weights != "none" and data.kind != "choice":
            raise TrainError(
                f"setting class_weights={settings.class_weights!r} weighs single-label classes; task "
                f"{data.task!r} has {data.kind} labels",
                hint="--set class_weights=none",
            )

    def train(
        self,
        data,
        settings,
        out_dir: Path,
        *,
        resume: bool = False,
        on_progress: Progress | None = None,
        command: str | None = None,
    ) -> dict[str, Any]:
        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            tokenizer = run.tokenizer
            scale = labels.scale_of(data) if data.kind == "rating" else None
            heads = {MAIN: labels.head_size(data.kind, data.label_names)}
            model = build_model(run.base, heads, settings.pooling, settings.dropout)
            soft = settings.soft_labels and data.kind == "choice"
            train_set = encode_split(data.split("train"), tokenizer, data, settings, scale, soft=soft)
            has_val = "validation" in data.dataset and len(data.dataset["validation"]) > 0
            val_set = (
                encode_split(data.split("validation"), tokenizer, data, settings, scale, soft=soft) if has_val else None
            )
            trainer = heads_trainer_class()(
                model=model,
                args=hf.training_arguments(
                    settings, run.work, evaluate=has_val, prediction_loss_only=True, label_names=["labels"]
                ),
                train_dataset=train_set,
                eval_dataset=val_set,
                data_collator=collator(tokenizer),
                callbacks=[hf.progress_callback(on_progress)],
            )
            trainer.kind = data.kind
            if data.kind == "choice":
                trainer.class_weight = cw.class_weights(
                    settings.class_weights, data.split("train")[data.label_column], data.label_names
                )
            facts = run.fit(
                trainer, score=lambda: self._split_metrics(model, tokenizer, data, "validation", settings, scale)
            )
            if not run.main:
                return {}
            model.eval()
            metrics = run.held_out(lambda split: self._split_metrics(model, tokenizer, data, split, settings, scale))
            config = {"heads": heads, "pooling": settings.pooling, "scale": list(scale) if scale else None}
            return run.finish(lambda tmp: save_model(model, tokenizer, tmp), {**metrics, **facts}, extra_config=config)

    def _split_metrics(self, model, tokenizer, data, split, settings, scale) -> dict[str, Any]:
        rows = data.split(split)
        texts = [[t if isinstance(t, str) else "" for t in rows[c]] for c in data.inputs]
        logits = batched_logits(
            model, tokenizer, texts, max_length=settings.max_length, batch_size=settings.eval_batch_size, task=MAIN
        )
        decoded = labels.decode(data.kind, logits, data.label_names, scale, getattr(settings, "threshold", 0.5))
        gold = rows[data.label_column]
        if data.kind == "choice":
            keep = [i for i, g in enumerate(gold) if g is not None and g >= 0]
            gold, decoded = [gold[i] for i in keep], [decoded[i] for i in keep]
        return labels.split_metrics(data.kind, gold, decoded, data.label_names)

    def load(self, model_dir: Path):
        """``(model, tokenizer, config, labels.json, settings)`` of a trained folder."""
        config = mf.read_model_config(model_dir)
        label_info = mf.read_labels(model_dir)
        model, tokenizer = load_model(Path(model_dir), dict(config["heads"]), config.get("pooling", "first"))
        settings = config.get("settings", {})
        return model, tokenizer, config, label_info, settings

    def evaluate(self, model_dir: Path, data, split: str = "test", out_dir: Path | None = None) -> dict[str, Any]:

        model, tokenizer, config, info, saved = self.load(model_dir)
        check_same_labels(data, info)
        scale = tuple(config["scale"]) if config.get("scale") else None
        settings = SimpleNamespace(
            max_length=saved.get("max_length", 128),
            eval_batch_size=saved.get("eval_batch_size", 64),
            threshold=saved.get("threshold", 0.5),
        )
        result = self._split_metrics(model, tokenizer, data, split, settings, scale)
        return add_confusion_figure(result, data.label_names, out_dir, model_dir, split)

    def predict(
        self, model_dir: Path, records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        model, tokenizer, config, info, saved = self.load(model_dir)
        inputs = info["inputs"]
        missing = [c for c in inputs if not any(c in r for r in records)]
        if missing:
            raise InputError(f"the records have no column(s) {missing} that this model reads (inputs {inputs})")
        texts = [[r.get(c) if isinstance(r.get(c), str) else "" for r in records] for c in inputs]
        logits = batched_logits(
            model,
            tokenizer,
            texts,
            max_length=saved.get("max_length", 128),
            batch_size=saved.get("eval_batch_size", 64),
            task=MAIN,
            on_progress=on_progress,
        )
        scale = tuple(config["scale"]) if config.get("scale") else None
        rows = labels.decode(info["kind"], logits, info.get("label_names"), scale, saved.get("threshold", 0.5))
        empty = [all(not texts[c][i].strip() for c in range(len(inputs))) for i in range(len(records))]
        return [
            {"prediction": None, "prediction_score": None}
            if blank
            else {"prediction": r["prediction"], "prediction_score": r["prediction_score"]}
            for r, blank in zip(rows, empty)
        ]


def check_same_labels(data, info: dict[str, Any]) -> None:

    if data.kind != info.get("kind") or (info.get("label_names") and data.label_names != info["label_names"]):
        raise InputError(
            f"{data.source}: task {data.task!r} has {data.kind} labels {data.label_names}; the model "
            f"was trained on {info.get('kind')} labels {info.get('label_names')}"
        )
