"""Family ``similarity``: a bi-encoder (mean pooling) whose cosine matches empathic similarity.

Trained with ``sentence-transformers``' own trainer and losses (EmpathicStories'
SBERT fine-tuning): ``CosineSimilarityLoss`` (MSE between cosine and target,
the default) or ``CoSENTLoss``. The target is the export's config
(``similarity_empathy|_event|_emotion|_moral``), a 1-4 mean rating mapped
linearly to [0, 1]; ``--set inputs=summary`` trains on the stories' summaries.
Validation / test metrics: Pearson and Spearman between cosine and human
score, for the fine-tuned and for the untouched pre-trained encoder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError, TrainError
from empathykit.progress import Counter, Progress
from empathykit.train import folder as mf
from empathykit.train import hf
from empathykit.train.families import Family
from empathykit.train.metrics import bootstrap_interval, retrieval_metrics
from empathykit.train.settings import TrainSettings, setting
from empathykit.train.skeleton import TrainingRun

LOSSES = ("cosine", "cosent")
INPUTS = ("story", "summary")
PAIR = ("story_a", "story_b")
ENCODER = "encoder"


@dataclass
class SimilaritySettings(TrainSettings):
    loss: str = setting("cosine", "cosine (MSE between cosine and target, EmpathicStories' choice) | cosent")
    inputs: str = setting("story", "story (the full texts) | summary (story_a_summary / story_b_summary)")
    learning_rate: float = setting(2e-5, "peak learning rate (AdamW, linear decay)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in LOSSES:
            raise TrainError(f"setting loss={self.loss!r}: expected one of {', '.join(LOSSES)}")
        if self.inputs not in INPUTS:
            raise TrainError(f"setting inputs={self.inputs!r}: expected one of {', '.join(INPUTS)}")


# -- sentence-transformers helpers (also used by the circumplex family) -------------------------


def build_encoder(base: str | Path, max_length: int, extra_modules: Sequence[Any] = ()):
    """A ``SentenceTransformer``: the encoder + mean pooling (+ ``extra_modules``)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models

    transformer = models.Transformer(str(base), max_seq_length=max_length)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[transformer, pooling, *extra_modules], device=_device())


def load_encoder(path: str | Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device=_device(), local_files_only=True)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def st_arguments(settings: TrainSettings, work: Path, evaluate: bool):
    """G's training arguments (seed, precision, checkpoints) as sentence-transformers' class."""
    import transformers
    from sentence_transformers import SentenceTransformerTrainingArguments

    args = hf.training_arguments(settings, work, evaluate=evaluate)
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(transformers.TrainingArguments) if f.init}
    return SentenceTransformerTrainingArguments(**values)


def st_fit(run, model, loss, train_set, val_set, on_progress: Progress | None, score=None):
    """Train with ``SentenceTransformerTrainer`` in ``run`` (a :class:`~empathykit.train.skeleton.TrainingRun`)."""
    from sentence_transformers import SentenceTransformerTrainer

    trainer = SentenceTransformerTrainer(
        model=model,
        args=st_arguments(run.settings, run.work, val_set is not None),
        train_dataset=train_set,
        eval_dataset=val_set,
        loss=loss,
        callbacks=[hf.progress_callback(on_progress)],
    )
    return run.fit(trainer, score=score, model=model)


def embed(model, texts: Sequence[str], batch_size: int = 64):
    """Unit-length embeddings (numpy, float32)."""
    return model.encode(
        list(texts), batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
    )


# -- data ---------------------------------------------------------------------------------------


def pair_columns(data, inputs: str) -> tuple[str, str]:
    """The two text columns to read: the export's pair, or its summaries."""
    if len(data.inputs) != 2:
        raise InputError(
            f"{data.source}: the similarity family needs story pairs (two texts and a score); "
            f"task {data.task!r} has inputs {data.inputs}",
            hint="export an empathic-story-pairs config, e.g. --task similarity_empathy",
        )
    columns = tuple(data.inputs) if inputs == "story" else tuple(f"{c}_summary" for c in data.inputs)
    return columns  # type: ignore[return-value]


def check_pairs(rows: Any, columns: tuple[str, str], scale: tuple[float, float], where: str) -> None:
    """Every pair has two texts and a score on its scale (one line naming the first bad row)."""
    missing = [c for c in columns if c not in rows.column_names]
    if missing:
        raise InputError(
            f"{where}: no column(s) {missing}; pairs need two texts and a score",
            hint="--set inputs=story if the export has no summaries",
        )
    low, high = scale
    for i, row in enumerate(rows):
        texts = [row[c] for c in columns]
        if any(not isinstance(t, str) or not t.strip() for t in texts):
            raise InputError(
                f"{where}: pair {row.get('item_id', i)!r} lacks a text in {columns}",
                hint="drop pairs without both stories before training",
            )
        score = row.get("label")
        if score is None or score != score:
            raise InputError(f"{where}: pair {row.get('item_id', i)!r} has no score")
        if not low <= float(score) <= high:
            raise InputError(
                f"{where}: pair {row.get('item_id', i)!r} has score {score}, outside its scale {low:g}-{high:g}"
            )


def to_unit(score: float, scale: tuple[float, float]) -> float:
    low, high = scale
    return (float(score) - low) / (high - low)


def from_unit(value: float, scale: tuple[float, float]) -> float:
    low, high = scale
    return low + min(max(float(value), 0.0), 1.0) * (high - low)


def correlations(predicted: Sequence[float], gold: Sequence[float]) -> dict[str, float | None]:
    from scipy.stats import pearsonr, spearmanr

    if len(gold) < 3 or len(set(gold)) < 2 or len(set(predicted)) < 2:
        return {"pearson": None, "spearman": None, "pairs": len(gold)}
    return {
        "pearson": float(pearsonr(predicted, gold)[0]),
        "spearman": float(spearmanr(predicted, gold)[0]),
        "pairs": len(gold),
        "ci95": bootstrap_interval("pearson", gold, predicted),
    }


def pair_cosines(model, a: Sequence[str], b: Sequence[str], batch_size: int = 64) -> list[float]:
    ea, eb = embed(model, a, batch_size), embed(model, b, batch_size)
    return [float(x) for x in (ea * eb).sum(axis=1)]


# -- the family ---------------------------------------------------------------------------------


class SimilarityFamily(Family):
    name = "similarity"
    settings_class = SimilaritySettings
    needs_inputs = PAIR

    def check(self, data, settings) -> None:
        if data.kind != "rating" or not data.scale:
            raise InputError(
                f"{data.source}: the similarity family needs a rating score per pair; task "
                f"{data.task!r} has {data.kind} labels"
            )
        columns = pair_columns(data, settings.inputs)
        for split in data.dataset:
            check_pairs(data.dataset[split], columns, tuple(data.scale), f"{data.source} [{split}]")

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
        from datasets import Dataset
        from sentence_transformers.sentence_transformer import losses

        def rows(split: str):
            part = data.split(split)
            return Dataset.from_dict(
                {
                    "sentence1": part[columns[0]],
                    "sentence2": part[columns[1]],
                    "score": [to_unit(s, scale) for s in part["label"]],
                }
            )

        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            columns, scale = pair_columns(data, settings.inputs), tuple(data.scale)
            model = build_encoder(run.base, settings.max_length)
            pretrained = build_encoder(run.base, settings.max_length)
            loss = (losses.CoSENTLoss if settings.loss == "cosent" else losses.CosineSimilarityLoss)(model)
            has_val = "validation" in data.dataset and len(data.dataset["validation"]) > 0
            facts = st_fit(
                run,
                model,
                loss,
                rows("train"),
                rows("validation") if has_val else None,
                on_progress,
                score=lambda: split_metrics(model, data, "validation", columns, settings.eval_batch_size),
            )
            if not run.main:
                return {}
            metrics: dict[str, Any] = {}
            for _split, values in run.held_out(
                lambda split: {
                    split: split_metrics(model, data, split, columns, settings.eval_batch_size),
                    f"{split}_pretrained": split_metrics(pretrained, data, split, columns, settings.eval_batch_size),
                }
            ).items():
                metrics.update(values)
            config = {
                "scale": list(scale),
                "columns": list(columns),
                "target": data.task,
                "target_mapping": f"score {scale[0]:g}-{scale[1]:g} mapped linearly to cosine target [0, 1]",
            }
            return run.finish(lambda tmp: model.save(str(tmp / ENCODER)), {**metrics, **facts}, extra_config=config)

    def evaluate(self, model_dir: Path, data, split: str = "test", out_dir: Path | None = None) -> dict[str, Any]:
        config = mf.read_model_config(model_dir)
        columns = tuple(config["columns"])
        check_pairs(data.split(split), columns, tuple(data.scale or config["scale"]), f"{data.source} [{split}]")
        return split_metrics(
            load_encoder(Path(model_dir) / ENCODER),
            data,
            split,
            columns,
            config.get("settings", {}).get("eval_batch_size", 64),
        )

    def load(self, model_dir: Path):
        """The encoder, read once (``serve`` keeps it and answers every request from memory)."""
        return load_encoder(Path(model_dir) / ENCODER)

    def predict(
        self, model_dir: Path, records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """A score on the export's scale (1-4 for story pairs) per pair: a story-pair pre-annotation."""
        config = mf.read_model_config(model_dir)
        columns, scale = tuple(config["columns"]), tuple(config["scale"])
        missing = [c for c in columns if not any(c in r for r in records)]
        if missing:
            raise InputError(f"the records have no column(s) {missing}; this model scores pairs {columns}")
        keep = [i for i, r in enumerate(records) if all(isinstance(r.get(c), str) and r[c].strip() for c in columns)]
        model = self.load(model_dir)
        count = Counter(on_progress, "scoring pairs", total=len(records))
        cosines = pair_cosines(model, [records[i][columns[0]] for i in keep], [records[i][columns[1]] for i in keep])
        out = [{"prediction": None, "prediction_score": None} for _ in records]
        for i, cos in zip(keep, cosines):
            out[i] = {"prediction": round(from_unit(cos, scale), 4), "prediction_score": round(cos, 4)}
        count(len(records))
        return out


def split_metrics(model, data, split: str, columns: tuple[str, str], batch_size: int = 64) -> dict[str, Any]:
    rows = data.split(split)
    cosines = pair_cosines(model, rows[columns[0]], rows[columns[1]], batch_size)
    gold = [float(s) for s in rows["label"]]
    result: dict[str, Any] = correlations(cosines, gold)
    if {"story_a_id", "story_b_id"} <= set(rows.column_names):
        result["retrieval"] = retrieval_metrics(rows["story_a_id"], rows["story_b_id"], gold, cosines)
    return result
