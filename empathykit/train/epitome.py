"""Family ``epitome``: the EPITOME bi-encoder, one model per communication mechanism.

Trains on an EPITOME mechanism config (``epitome:DIR`` or its export:
``seeker_post``, ``response_post``, ``label`` 0/1/2 and ``rationales``, character
spans in the response). The network is :mod:`empathykit.train.epitome_model`;
training is transformers' ``Trainer`` (the model's ``forward`` returns the loss),
with a collator that pads each text per batch. Defaults are the reference
README's commands: lr 2e-5, batch 32, max length 64, 4 epochs, dropout 0.1,
``lambda_EI`` 1.0, ``lambda_RE`` 0.5, seeker encoder frozen.

``predict`` takes up to three models (one per mechanism, like the reference's
``test.py``) and writes, per mechanism, the level and the rationale spans, plus a
``prediction`` cell ``{mechanism: level, mechanism_rationales: [spans]}`` that
``annotate push --predictions-column prediction`` takes as pre-annotations of the
``epitome`` schema (no spans where the predicted level is "no": annotators are
told to leave level 0 unhighlighted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError, TrainError
from empathykit.progress import Progress
from empathykit.schemas.epitome import LEVELS, MECHANISMS, rationale_field
from empathykit.train import class_weights as cw
from empathykit.train import folder as mf
from empathykit.train import hf, labels
from empathykit.train import level_decoding as ld
from empathykit.train import rationales as rat
from empathykit.train import span_decoding as sd
from empathykit.train.epitome_model import build_model, collator, encode_pairs, infer, load_model, save_model
from empathykit.train.families import Family
from empathykit.train.metrics import add_confusion_figure, classification_metrics
from empathykit.train.settings import TrainSettings, setting
from empathykit.train.skeleton import TrainingRun

NEEDS = ("seeker_post", "response_post", "label", "rationales")


@dataclass
class EpitomeSettings(TrainSettings):
    epochs: float = setting(4.0, "training epochs (the reference: 4)")
    batch_size: int = setting(32, "training examples per device and step (the reference: 32)")
    max_length: int = setting(64, "tokens per text: seeker and response are each truncated to it (the reference: 64)")
    warmup_ratio: float = setting(0.0, "fraction of the steps with a linear warm-up (the reference: none)")
    weight_decay: float = setting(0.0, "AdamW weight decay (the reference: none)")
    lambda_EI: float = setting(1.0, "weight of the empathy-level loss (the reference's --lambda_EI)")
    lambda_RE: float = setting(0.5, "weight of the rationale-tagging loss (the reference's --lambda_RE)")
    train_seeker: bool = setting(False, "also fine-tune the seeker encoder (the reference keeps it frozen)")
    group_by_length: bool = setting(False, "batch pairs of similar length (less padding, faster; batches less random)")
    class_weights: str = setting("none", "level loss: " + cw.HELP)
    rationale_weight: float = setting(
        1.0, "weight of the rationale tag against the other tokens in the tagging loss (the reference: 1)"
    )
    rationale_decoding: str = setting(
        "auto",
        "auto: tag threshold, clause voting, gap merging and minimum span length chosen on the "
        "validation split's IOU-F1, spans snapped to words | argmax (the reference)",
    )
    level_decoding: str = setting(
        "argmax",
        "argmax (the reference) | auto: an offset per level on the log-probabilities, chosen on the validation "
        "split's macro-F1 (for a rare level that argmax never predicts, such as IP's weak level)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()

        if self.lambda_EI < 0 or self.lambda_RE < 0 or self.lambda_EI + self.lambda_RE == 0:
            raise TrainError(
                f"settings lambda_EI={self.lambda_EI}, lambda_RE={self.lambda_RE}: both must be "
                "non-negative and not both 0"
            )
        cw.check_setting(self.class_weights)
        if self.rationale_weight <= 0 or self.rationale_decoding not in ("auto", "argmax"):
            raise TrainError(
                f"settings rationale_weight={self.rationale_weight}, rationale_decoding="
                f"{self.rationale_decoding!r}: the weight must be positive, the decoding auto or argmax"
            )
        if self.level_decoding not in ("auto", "argmax"):
            raise TrainError(f"setting level_decoding={self.level_decoding!r}: expected auto or argmax")


def encode_split(split, tokenizer, max_length: int):
    """Token ids of both texts, ``labels`` and per-token ``rationale_labels`` (rows without a level dropped)."""

    def encode(batch: dict[str, list]) -> dict[str, Any]:
        seekers, responses = (_texts(batch[c]) for c in ("seeker_post", "response_post"))
        rows, offsets = encode_pairs(tokenizer, seekers, responses, max_length)
        out = {k: [r[k] for r in rows] for k in rows[0]} if rows else {}
        out["rationale_labels"] = [rat.token_tags(o, s) for o, s in zip(offsets, batch["rationales"])]
        out["labels"] = batch["label"]
        out["length"] = [len(r["seeker_input_ids"]) + len(r["response_input_ids"]) for r in rows]
        return out

    encoded = split.map(encode, batched=True, remove_columns=split.column_names)
    return encoded.filter(lambda row: row["labels"] is not None and row["labels"] >= 0)


def _texts(values: Sequence[Any]) -> list[str]:
    return [v if isinstance(v, str) else "" for v in values]


def gold_tags(tokenizer, rows, max_length: int) -> list[list[int]]:

    _, offsets = encode_pairs(tokenizer, [""] * len(rows), _texts(rows["response_post"]), max_length)
    return [rat.token_tags(o, s) for o, s in zip(offsets, rows["rationales"])]


def split_metrics(
    model,
    tokenizer,
    rows,
    *,
    max_length: int,
    batch_size: int,
    names: Sequence[str],
    decoding: sd.Decoding = sd.ARGMAX,
    level_offsets: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Level accuracy / macro-F1 (+ per class; levels decided with ``level_offsets``) and rationale token F1 /
    IOU-F1 over the whole split, the spans decoded with ``decoding`` (and, when that is not the reference's
    argmax, the argmax figures under ``argmax``)."""

    rows, probs, scores, offsets, gold = rationale_scores(model, tokenizer, rows, max_length, batch_size)
    predicted = ld.decide(probs, level_offsets)
    result = classification_metrics(list(rows["label"]), predicted, list(names))
    texts = _texts(rows["response_post"])
    result.update(rat.rationale_metrics(sd.decode_all(scores, offsets, decoding, texts), gold))
    if decoding != sd.ARGMAX:
        result["argmax"] = rat.rationale_metrics(sd.decode_all(scores, offsets, sd.ARGMAX), gold)
    return result


def rationale_scores(model, tokenizer, rows, max_length: int, batch_size: int):
    """``(rows with a level, level probabilities, per-token rationale probabilities, offsets, gold tags)``."""
    rows = rows.select([i for i, g in enumerate(rows["label"]) if g is not None and g >= 0])
    probs, scores, offsets = infer(
        model,
        tokenizer,
        _texts(rows["seeker_post"]),
        _texts(rows["response_post"]),
        max_length=max_length,
        batch_size=batch_size,
        scores=True,
    )
    return rows, probs, scores, offsets, gold_tags(tokenizer, rows, max_length)


def saved_decoding(config: dict[str, Any]) -> sd.Decoding:
    """The decoding a model folder was tuned with (argmax for folders from before span decoding)."""
    return sd.Decoding(**config["rationale_decoding"]) if config.get("rationale_decoding") else sd.ARGMAX


def tuned_decoding(model, tokenizer, rows, settings) -> tuple[sd.Decoding, list[float]]:
    """The span decoding and the level offsets the settings ask to choose on ``rows`` (validation)."""
    decoding, level_offsets = sd.ARGMAX, []
    if settings.rationale_decoding == "auto" or settings.level_decoding == "auto":
        rows, probs, scores, offsets, gold = rationale_scores(
            model, tokenizer, rows, settings.max_length, settings.eval_batch_size
        )
        if settings.rationale_decoding == "auto":
            decoding, _ = sd.choose_decoding(scores, offsets, gold, texts=_texts(rows["response_post"]))
        if settings.level_decoding == "auto":
            level_offsets, _ = ld.choose_offsets(probs, list(rows["label"]))
    return decoding, level_offsets


class EpitomeFamily(Family):
    name = "epitome"
    settings_class = EpitomeSettings
    needs_inputs = ("seeker_post", "response_post")

    def check(self, data, settings) -> None:

        train = data.split("train")
        missing = [c for c in NEEDS if c not in train.column_names]
        if missing:
            raise InputError(
                f"{data.source}: no column(s) {missing} that family 'epitome' needs (an EPITOME "
                f"mechanism config: {', '.join(NEEDS)}); it has {train.column_names}",
                hint="train on epitome:DIR or an export of the epitome schema (--task MECHANISM)",
            )
        if data.kind != "choice" or len(data.label_names or ()) != 3:
            raise InputError(
                f"{data.source}: task {data.task!r} has {data.kind} labels {data.label_names}; family "
                "'epitome' trains the three EPITOME levels (no / weak / strong)"
            )
        labels.check_labels(data, kinds=("choice",), family=self.name)

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
        from transformers import Trainer

        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            tokenizer = run.tokenizer
            model = build_model(
                run.base,
                dropout=settings.dropout,
                lambda_EI=settings.lambda_EI,
                lambda_RE=settings.lambda_RE,
                train_seeker=settings.train_seeker,
            )
            model.level_weight = cw.class_weights(
                settings.class_weights, data.split("train")["label"], data.label_names
            )
            model.rationale_weight = settings.rationale_weight
            train_set = encode_split(data.split("train"), tokenizer, settings.max_length)
            has_val = "validation" in data.dataset and len(data.dataset["validation"]) > 0
            val_set = encode_split(data.split("validation"), tokenizer, settings.max_length) if has_val else None
            args = hf.training_arguments(
                settings,
                run.work,
                evaluate=has_val,
                prediction_loss_only=True,
                label_names=["labels", "rationale_labels"],
                find_unused=settings.train_seeker is False,
                length_column_name="length",
                train_sampling_strategy="group_by_length" if settings.group_by_length else "random",
            )
            trainer = Trainer(
                model=model,
                args=args,
                train_dataset=train_set,
                eval_dataset=val_set,
                data_collator=collator(tokenizer),
                callbacks=[hf.progress_callback(on_progress)],
            )
            facts = run.fit(
                trainer,
                score=lambda: split_metrics(
                    model,
                    tokenizer,
                    data.split("validation"),
                    max_length=settings.max_length,
                    batch_size=settings.eval_batch_size,
                    names=data.label_names,
                    decoding=sd.ARGMAX,
                ),
            )
            if not run.main:
                return {}
            model.eval()
            decoding, level_offsets = sd.ARGMAX, []
            if has_val:
                decoding, level_offsets = tuned_decoding(model, tokenizer, data.split("validation"), settings)
            metrics = run.held_out(
                lambda split: split_metrics(
                    model,
                    tokenizer,
                    data.split(split),
                    max_length=settings.max_length,
                    batch_size=settings.eval_batch_size,
                    names=data.label_names,
                    decoding=decoding,
                    level_offsets=level_offsets,
                )
            )
            chosen = {"rationale_decoding": decoding.to_dict(), "level_offsets": level_offsets}
            return run.finish(
                lambda tmp: save_model(model, tokenizer, tmp),
                {**metrics, **chosen, **facts},
                extra_config={"mechanism": data.task, **chosen},
            )

    def evaluate(self, model_dir: Path, data, split: str = "test", out_dir: Path | None = None) -> dict[str, Any]:

        self.check(data, None)
        config = mf.read_model_config(model_dir)
        saved = config.get("settings", {})
        model, tokenizer = load_model(Path(model_dir))
        result = split_metrics(
            model,
            tokenizer,
            data.split(split),
            max_length=saved.get("max_length", 64),
            batch_size=saved.get("eval_batch_size", 64),
            names=data.label_names,
            decoding=saved_decoding(config),
            level_offsets=config.get("level_offsets"),
        )
        return add_confusion_figure(result, data.label_names, out_dir, model_dir, split)

    def predict(
        self, model_dir: Path | Sequence[Path], records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        return self.load(model_dir).predict(records, on_progress=on_progress)

    def load(self, model_dir: Path | Sequence[Path]) -> LoadedMechanisms:
        """The one to three mechanism models read once; ``serve`` keeps this and predicts from memory."""
        dirs = [Path(model_dir)] if isinstance(model_dir, (str, Path)) else [Path(d) for d in model_dir]
        return LoadedMechanisms(dirs)


def _mechanisms(model_dirs: Sequence[Path]) -> list[tuple[Path, str]]:
    if not 1 <= len(model_dirs) <= 3:
        raise InputError(f"EPITOME predictions take one to three models (one per mechanism), got {len(model_dirs)}")
    chosen: list[tuple[Path, str]] = []
    for folder in model_dirs:
        config = mf.read_model_config(folder)
        if config["family"] != "epitome":
            raise InputError(f"{folder}: a {config['family']!r} model; only epitome models combine with others")
        mechanism = config.get("mechanism") or mf.read_labels(folder).get("task")
        if any(m == mechanism for _, m in chosen):
            raise InputError(
                f"two models for mechanism {mechanism!r} ({chosen[0][0]} and {folder})",
                hint="give at most one model per mechanism",
            )
        chosen.append((folder, mechanism))
    return chosen


def predict_mechanisms(
    model_dirs: Sequence[Path], records: list[dict[str, Any]], on_progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Load the models of ``model_dirs`` and predict ``records`` (see :meth:`LoadedMechanisms.predict`)."""
    return LoadedMechanisms(model_dirs).predict(records, on_progress=on_progress)


class LoadedMechanisms:
    """One to three mechanism models (weights, tokenizer, saved config) held in memory."""

    def __init__(self, model_dirs: Sequence[Path]):
        self.chosen = _mechanisms(model_dirs)
        self.models = [
            (mechanism, mf.read_model_config(folder), *load_model(folder)) for folder, mechanism in self.chosen
        ]

    def predict(self, records: list[dict[str, Any]], on_progress: Progress | None = None) -> list[dict[str, Any]]:
        """Per record: ``prediction`` (JSON of ``{mechanism: level, mechanism_rationales: spans}``),
        ``prediction_score`` (the mean probability of the chosen levels), and per mechanism the level,
        its probability and the rationale spans as columns."""
        return _predict(self.chosen, self.models, records, on_progress)


def _predict(chosen, models, records: list[dict[str, Any]], on_progress: Progress | None) -> list[dict[str, Any]]:
    missing = [c for c in ("seeker_post", "response_post") if not any(c in r for r in records)]
    if missing:
        raise InputError(f"the records have no column(s) {missing} that EPITOME models read")
    seekers, responses = (
        _texts([r.get("seeker_post") for r in records]),
        _texts([r.get("response_post") for r in records]),
    )
    blank = [not s.strip() for s in responses]
    out: list[dict[str, Any]] = [{} for _ in records]
    values: list[dict[str, Any]] = [{} for _ in records]
    scores: list[list[float]] = [[] for _ in records]
    for mechanism, config, model, tokenizer in models:
        saved = config.get("settings", {})
        probs, token_scores, offsets = infer(
            model,
            tokenizer,
            seekers,
            responses,
            max_length=saved.get("max_length", 64),
            batch_size=saved.get("eval_batch_size", 64),
            scores=True,
            on_progress=on_progress,
            stage=f"predicting {mechanism}",
        )
        tags = sd.decode_all(token_scores, offsets, saved_decoding(config), responses)
        levels = ld.decide(probs, config.get("level_offsets"))
        label = MECHANISMS.get(mechanism, {}).get("span", mechanism)
        for i, (p, t, o, level) in enumerate(zip(probs, tags, offsets, levels)):
            if blank[i]:
                continue
            spans = rat.char_spans(t, o, responses[i], label) if level > 0 else []
            out[i].update({mechanism: LEVELS[level], f"{mechanism}_score": p[level], rationale_field(mechanism): spans})
            values[i].update({mechanism: LEVELS[level], rationale_field(mechanism): spans})
            scores[i].append(p[level])
    return [
        {"prediction": None, "prediction_score": None, **{k: None for k in _columns(chosen)}}
        if blank[i]
        else {
            "prediction": json.dumps(values[i], ensure_ascii=False),
            "prediction_score": sum(scores[i]) / len(scores[i]),
            **out[i],
        }
        for i in range(len(records))
    ]


def _columns(chosen: Sequence[tuple[Path, str]]) -> list[str]:

    return [c for _, m in chosen for c in (m, f"{m}_score", rationale_field(m))]
