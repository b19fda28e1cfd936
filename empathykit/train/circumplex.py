"""Family ``circumplex``: emotion embeddings on the unit hypersphere, arranged on the class circle.

An encoder (mean pooling) and a linear projection, normalised to unit length.
The default loss (the circumplex study, ../shared/seeds/003) asks, for every
pair in a batch, that the cosine of the two embeddings equal the cosine of the
angle between their classes on the circle (``--set angles=emolit|plutchik|FILE``);
same-class pairs only need a cosine of at least ``1 - margin``.
``--set loss=supcon`` is the supervised contrastive baseline (Khosla et al.
2020). Classes are predicted by the nearest class direction: the normalised
mean training embedding of each class (kept in the model folder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from empathykit.errors import InputError, TrainError
from empathykit.progress import Counter, Progress
from empathykit.train import folder as mf
from empathykit.train import hf, labels
from empathykit.train.circular import class_angles
from empathykit.train.circumplex_metrics import class_directions, embedding_metrics, nearest_direction, projection_png
from empathykit.train.classifier import check_same_labels, collator, encode_split
from empathykit.train.families import Family
from empathykit.train.settings import TrainSettings, setting
from empathykit.train.skeleton import TrainingRun

LOSSES = ("circumplex", "supcon")
WEIGHTS = "projection.safetensors"


@dataclass
class CircumplexSettings(TrainSettings):
    loss: str = setting(
        "circumplex",
        "circumplex (cosine of embeddings = cosine of class angles) | supcon (supervised contrastive baseline)",
    )
    angles: str = setting("emolit", "class angles: emolit | plutchik | a file of NAME,DEGREES lines naming every class")
    margin: float = setting(0.1, "same-class pairs: cosine pushed to at least 1 - margin (circumplex loss)")
    temperature: float = setting(0.1, "supcon temperature")
    dim: int = setting(64, "size of the embedding on the hypersphere")
    learning_rate: float = setting(5e-5, "peak learning rate (AdamW, linear decay)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in LOSSES:
            raise TrainError(f"setting loss={self.loss!r}: expected one of {', '.join(LOSSES)}")
        if not 0.0 <= self.margin < 2.0:
            raise TrainError(f"setting margin must be in [0, 2), got {self.margin}")
        if self.temperature <= 0 or self.dim < 2:
            raise TrainError("settings temperature must be positive and dim at least 2")


def circumplex_loss(z, y, angles, margin: float = 0.1):
    """Mean over pairs i<j of (cos(z_i, z_j) − cos(θ_yi − θ_yj))², same-class pairs only penalised
    below 1 − margin. ``z``: unit rows; ``angles``: radians per class (a tensor)."""
    import torch

    sims = z @ z.T
    theta = angles[y]
    target = torch.cos(theta[:, None] - theta[None, :])
    same = y[:, None] == y[None, :]
    error = torch.where(same, torch.clamp((1.0 - margin) - sims, min=0.0), sims - target)
    upper = torch.triu(torch.ones_like(sims, dtype=torch.bool), diagonal=1)
    return (error[upper] ** 2).mean() if upper.any() else sims.sum() * 0.0


def supcon_loss(z, y, temperature: float = 0.1):
    """Supervised contrastive loss: −mean log-softmax of same-class pairs over all other rows."""
    import torch

    n = z.shape[0]
    logits = (z @ z.T) / temperature
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (y[:, None] == y[None, :]) & ~self_mask
    counts = positive.sum(1)
    keep = counts > 0
    if not keep.any():
        return z.sum() * 0.0
    summed = torch.where(positive, log_prob, torch.zeros_like(log_prob)).sum(1)
    return -(summed[keep] / counts[keep]).mean()


def _module():
    import torch
    from torch import nn

    class SphereEncoder(nn.Module):
        """Encoder → mean pooling → linear → unit length; ``forward`` returns the loss when given labels."""

        def __init__(
            self, encoder, dim: int, angles, loss: str = "circumplex", margin: float = 0.1, temperature: float = 0.1
        ):
            super().__init__()
            self.encoder, self.loss_name, self.margin, self.temperature = encoder, loss, margin, temperature
            self.projection = nn.Linear(encoder.config.hidden_size, dim)
            self.register_buffer("angles", torch.as_tensor(angles, dtype=torch.float32), persistent=False)

        def embed(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            hidden = self.encoder(**kwargs).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return nn.functional.normalize(self.projection(pooled).float(), dim=-1)

        def forward(self, input_ids, attention_mask, token_type_ids=None, labels=None, **_: Any):
            z = self.embed(input_ids, attention_mask, token_type_ids)
            if labels is None:
                return {"embeddings": z}
            if self.loss_name == "supcon":
                value = supcon_loss(z, labels, self.temperature)
            else:
                value = circumplex_loss(z, labels, self.angles, self.margin)
            return {"loss": value, "embeddings": z}

    return SphereEncoder


def embed_texts(
    model,
    tokenizer,
    texts: list[list[str]],
    *,
    max_length: int = 128,
    batch_size: int = 64,
    on_progress: Progress | None = None,
):
    """Unit embeddings (numpy, rows × dim) for one text or a pair per row (``texts``: one list per input)."""
    import numpy as np
    import torch

    rows, out = len(texts[0]) if texts else 0, []
    device = next(model.parameters()).device
    count = Counter(on_progress, "predicting", total=rows)
    with torch.inference_mode():
        for start in range(0, rows, batch_size):
            chunk = [column[start : start + batch_size] for column in texts]
            encoded = tokenizer(*chunk[:2], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            out.append(model.embed(**{k: v.to(device) for k, v in encoded.items()}).cpu().numpy())
            count(len(chunk[0]))
    return np.concatenate(out) if out else np.zeros((0, model.projection.out_features), np.float32)


def _texts(rows, inputs: list[str]) -> list[list[str]]:
    return [[t if isinstance(t, str) else "" for t in rows[c]] for c in inputs]


def _save(model, tokenizer, directions, folder: Path) -> None:
    import torch
    from safetensors.torch import save_file

    model = getattr(model, "module", model)
    model.encoder.save_pretrained(str(folder / "encoder"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    tensors = {f"projection.{k}": v.detach().contiguous().cpu() for k, v in model.projection.state_dict().items()}
    tensors["directions"] = torch.as_tensor(directions, dtype=torch.float32).contiguous()
    save_file(tensors, str(folder / WEIGHTS))


class CircumplexFamily(Family):
    name = "circumplex"
    settings_class = CircumplexSettings

    def check(self, data, settings) -> None:
        labels.check_labels(data, kinds=("choice",), family=self.name)
        class_angles(settings.angles, data.label_names or [])

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
        from transformers import AutoModel, Trainer

        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            tokenizer = run.tokenizer
            angles = class_angles(settings.angles, data.label_names)
            model = _module()(
                AutoModel.from_pretrained(str(run.base), local_files_only=True),
                settings.dim,
                angles,
                settings.loss,
                settings.margin,
                settings.temperature,
            )
            train_set = encode_split(data.split("train"), tokenizer, data, settings, None)
            has_val = "validation" in data.dataset and len(data.dataset["validation"]) > 0
            val_set = encode_split(data.split("validation"), tokenizer, data, settings, None) if has_val else None
            trainer = Trainer(
                model=model,
                args=hf.training_arguments(
                    settings, run.work, evaluate=has_val, prediction_loss_only=True, label_names=["labels"]
                ),
                train_dataset=train_set,
                eval_dataset=val_set,
                data_collator=collator(tokenizer),
                callbacks=[hf.progress_callback(on_progress)],
            )
            facts = run.fit(
                trainer,
                score=lambda: self._metrics(
                    model,
                    tokenizer,
                    data,
                    "validation",
                    angles,
                    self._embed_split(model, tokenizer, data, "train", settings.max_length, settings.eval_batch_size),
                    settings.max_length,
                    settings.eval_batch_size,
                ),
            )
            if not run.main:
                return {}
            model.eval()
            train_x, train_y = self._embed_split(
                model, tokenizer, data, "train", settings.max_length, settings.eval_batch_size
            )
            directions = class_directions(train_x, train_y, len(data.label_names))
            metrics = run.held_out(
                lambda split: self._metrics(
                    model,
                    tokenizer,
                    data,
                    split,
                    angles,
                    (train_x, train_y),
                    settings.max_length,
                    settings.eval_batch_size,
                )
            )
            config = {"dim": settings.dim, "angles": [math.degrees(a) for a in angles], "loss": settings.loss}
            return run.finish(
                lambda tmp: _save(model, tokenizer, directions, tmp), {**metrics, **facts}, extra_config=config
            )

    @staticmethod
    def _embed_split(model, tokenizer, data, split, max_length, batch_size):
        rows = data.split(split)
        gold = rows[data.label_column]
        keep = [i for i, g in enumerate(gold) if g is not None and g >= 0]
        rows = rows.select(keep)
        x = embed_texts(model, tokenizer, _texts(rows, data.inputs), max_length=max_length, batch_size=batch_size)
        return x, [gold[i] for i in keep]

    def _metrics(self, model, tokenizer, data, split, angles, train, max_length, batch_size, png=None):
        x, y = self._embed_split(model, tokenizer, data, split, max_length, batch_size)
        result = embedding_metrics(train[0], train[1], x, y, angles, data.label_names)
        if png is not None:
            projection_png(train[0], x, y, data.label_names, angles, png, f"{png.parent.name}: {split}")
            result["figures"] = [str(png)]
        return result

    def load(self, model_dir: Path):
        """``(model, tokenizer, directions, config, labels.json)`` of a trained folder."""
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        folder = Path(model_dir)
        config = mf.read_model_config(folder)
        weights = load_file(str(folder / WEIGHTS))
        angles = [math.radians(a) for a in config["angles"]]
        model = _module()(
            AutoModel.from_pretrained(str(folder / "encoder"), local_files_only=True), config["dim"], angles
        )
        model.projection.load_state_dict(
            {k.split(".", 1)[1]: v for k, v in weights.items() if k.startswith("projection.")}
        )
        model.eval()
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        return model, tokenizer, weights["directions"].numpy(), config, mf.read_labels(folder)

    def evaluate(self, model_dir: Path, data, split: str = "test", out_dir: Path | None = None) -> dict[str, Any]:

        model, tokenizer, _, config, info = self.load(model_dir)
        check_same_labels(data, info)
        saved = config.get("settings", {})
        length, size = saved.get("max_length", 128), saved.get("eval_batch_size", 64)
        angles = [math.radians(a) for a in config["angles"]]
        train = self._embed_split(model, tokenizer, data, "train", length, size)
        png = Path(out_dir) / f"circle_{split}.png" if out_dir is not None else None
        return self._metrics(model, tokenizer, data, split, angles, train, length, size, png=png)

    def predict(
        self, model_dir: Path, records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """The nearest class direction as the ``emotion`` schema's pre-annotation (a list of one emotion,
        its ``emotions`` field is multichoice), the cosine as the score."""
        model, tokenizer, directions, config, info = self.load(model_dir)
        inputs = info["inputs"]
        if not any(c in r for r in records for c in inputs):
            raise InputError(f"the records have no column(s) {inputs} that this model reads")
        saved = config.get("settings", {})
        texts = [[r.get(c) if isinstance(r.get(c), str) else "" for r in records] for c in inputs]
        x = embed_texts(
            model,
            tokenizer,
            texts,
            max_length=saved.get("max_length", 128),
            batch_size=saved.get("eval_batch_size", 64),
            on_progress=on_progress,
        )
        ids, cos = nearest_direction(x, directions) if len(x) else ([], [])
        names = info["label_names"]
        return [
            {"prediction": None, "prediction_score": None}
            if all(not texts[c][i].strip() for c in range(len(inputs)))
            else {"prediction": [names[int(ids[i])]], "prediction_score": float(cos[i])}
            for i in range(len(records))
        ]
