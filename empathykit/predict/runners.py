"""How each kind of model folder runs once it is in memory, behind :class:`~empathykit.predict.models.LoadedModel`.

A runner is built once from a folder's config (read by the caller, once) and answers
``run(records, ...) -> Outputs`` as often as asked. The trainer's head families
(``classifier``, ``kd``) and plain Hugging Face sequence classifiers share one batch loop
(:func:`head_outputs`): tokenise, forward, then :func:`empathykit.train.labels.decode`, the one
place logits become labels. Rows are batched sorted by length (less padding); their answers come
back in input order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from empathykit.errors import EmpathykitError, InputError
from empathykit.progress import Counter, Progress
from empathykit.train import labels as label_kinds
from empathykit.train import modeling

TORCH_HINT = (
    "install torch==2.13.0 (CPU) first: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
)


@dataclass
class Outputs:
    """One call's answers, one row per record, in input order.

    ``rows``: ``{"prediction", "prediction_score", ...}`` (the family's own columns too);
    ``probabilities``: ``(n, classes)`` softmax (choice) or sigmoid (multichoice) values, None where
    the family has none; ``embeddings``: ``(n, hidden)`` pooled encoder states where asked and the
    family has them; ``samples``: ``(n, passes)`` rating predictions with dropout on, where asked."""

    rows: list[dict[str, Any]]
    probabilities: Any = None
    embeddings: Any = None
    samples: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[Any]:
        return [row.get("prediction") for row in self.rows]


def require_torch():
    try:
        import torch
    except ImportError:
        raise EmpathykitError("predicting with a model needs torch, which is not installed", hint=TORCH_HINT) from None
    return torch


def device_of():
    """The GPU when there is one (weights and batches move there), else the CPU."""
    torch = require_torch()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def texts_of(records: Sequence[Mapping[str, Any]], inputs: Sequence[str]) -> list[list[str]]:
    """One list per input column; anything but text reads as ``""``."""
    return [[r.get(c) if isinstance(r.get(c), str) else "" for r in records] for c in inputs]


def length_order(texts: list[list[str]], sort: bool) -> list[int]:
    """Row positions, longest first when ``sort`` (a batch's rows then pad to similar lengths)."""
    rows = range(len(texts[0]) if texts else 0)
    if not sort:
        return list(rows)
    return sorted(rows, key=lambda i: -sum(len(column[i]) for column in texts))


@dataclass
class HeadSpec:
    """What a head network needs besides its weights: the label kind and how its outputs read."""

    kind: str
    names: list[str] | None
    inputs: list[str]
    scale: tuple[float, float] | None
    threshold: float
    batch_size: int
    max_length: int
    skip_blank: bool = False  # a tokenizer without special tokens cannot encode an empty text


def head_outputs(
    forward,
    tokenizer,
    spec: HeadSpec,
    records: Sequence[Mapping[str, Any]],
    *,
    embeddings: bool,
    batch_size: int | None,
    max_length: int | None,
    sort: bool,
    on_progress: Progress | None,
    dropout: Callable[[dict], Any] | None = None,
) -> Outputs:
    """The one batch loop of head models. ``forward(encoded) -> (logits, pooled or None)``;
    ``dropout(encoded) -> (batch, passes)``: rating samples with dropout on (active learning).
    Rows without any text get no prediction (``spec.skip_blank``: nor a model call)."""
    torch = require_torch()
    missing = [c for c in spec.inputs if not any(c in r for r in records)]
    if missing:
        raise InputError(f"the records have no column(s) {missing} that this model reads (inputs {spec.inputs})")
    texts = texts_of(records, spec.inputs)
    blank = [all(not column[i].strip() for column in texts) for i in range(len(records))]
    order = [i for i in length_order(texts, sort) if not (spec.skip_blank and blank[i])]
    size, length = batch_size or spec.batch_size, max_length or spec.max_length
    logits, pooled, samples = [], [], []
    count = Counter(
        on_progress, "predicting", total=len(records), done=len(records) - len(order)
    )  # blank: nothing to run
    with torch.inference_mode():
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            encoded = tokenizer(
                *[[column[i] for i in chunk] for column in texts[:2]],
                truncation=True,
                max_length=length,
                padding=True,
                return_tensors="pt",
            )
            batch_logits, batch_pooled = forward(encoded)
            logits.append(batch_logits.float().cpu())
            if embeddings and batch_pooled is not None:
                pooled.append(batch_pooled.float().cpu())
            if dropout is not None:
                samples.append(dropout(encoded).float().cpu())
            count(len(chunk))
    return _assemble(spec, len(records), order, blank, logits, pooled, samples)


def _assemble(
    spec: HeadSpec, n: int, order: list[int], blank: list[bool], logits: list, pooled: list, samples: list
) -> Outputs:
    """Batches of rows in ``order`` back in input order, decoded by the kind's one rule
    (:func:`empathykit.train.labels.decode`); rows never run read as NaN probabilities."""
    torch = require_torch()
    index = torch.tensor(order, dtype=torch.long)

    def placed(parts: list, width: int):
        full = torch.full((n, width), float("nan")) if len(order) < n else torch.zeros((n, width))
        if parts:
            full[index] = torch.cat(parts)
        return full

    width = len(spec.names or ()) if spec.kind != "rating" else 1
    joined = placed(logits, width)
    rows = [
        {"prediction": None, "prediction_score": None}
        if blank[i]
        else {"prediction": r["prediction"], "prediction_score": r["prediction_score"]}
        for i, r in enumerate(
            label_kinds.decode(spec.kind, torch.nan_to_num(joined), spec.names, spec.scale, spec.threshold)
        )
    ]
    probabilities = None
    if spec.kind == "choice":
        probabilities = torch.softmax(joined, dim=1).numpy()
    elif spec.kind == "multichoice":
        probabilities = torch.sigmoid(joined).numpy()
    return Outputs(
        rows,
        probabilities,
        placed(pooled, pooled[0].shape[1]).numpy() if pooled else None,
        placed(samples, samples[0].shape[1]).numpy() if samples else None,
    )


class HeadRunner:
    """A trainer folder of a head family (``classifier``, ``kd``): encoder + linear heads."""

    sortable = True

    def __init__(self, folder: Path, config: Mapping[str, Any], info: Mapping[str, Any]):
        self.model, self.tokenizer = modeling.load_model(folder, dict(config["heads"]), config.get("pooling", "first"))
        self.device = device_of()
        self.model.to(self.device)
        saved = config.get("settings", {})
        self.spec = HeadSpec(
            info["kind"],
            info.get("label_names"),
            list(info["inputs"]),
            tuple(config["scale"]) if config.get("scale") else None,
            float(saved.get("threshold", 0.5)),
            int(saved.get("eval_batch_size", 64)),
            int(saved.get("max_length", 128)),
        )

    def _forward(self, encoded):
        pooled = self.model.pool(**{k: v.to(self.device) for k, v in encoded.items()})
        return self.model.heads["main"](pooled), pooled

    def _dropout(self, passes: int):
        torch = require_torch()

        def samples(encoded):
            self.model.train()  # dropout on: the spread of the samples is the model's uncertainty
            try:
                moved = {k: v.to(self.device) for k, v in encoded.items()}
                return torch.stack(
                    [self.model.heads["main"](self.model.pool(**moved))[:, 0] for _ in range(passes)], dim=1
                )
            finally:
                self.model.eval()

        return samples

    def run(
        self,
        records,
        *,
        embeddings=False,
        dropout_passes=0,
        batch_size=None,
        max_length=None,
        sort=True,
        on_progress=None,
    ) -> Outputs:
        dropout = self._dropout(dropout_passes) if dropout_passes and self.spec.kind == "rating" else None
        return head_outputs(
            self._forward,
            self.tokenizer,
            self.spec,
            records,
            embeddings=embeddings,
            batch_size=batch_size,
            max_length=max_length,
            sort=sort,
            on_progress=on_progress,
            dropout=dropout,
        )


def huggingface_version(folder: Path) -> str:
    """``NAME-HASH`` of a plain Hugging Face folder: its name and a hash of its ``config.json``."""
    digest = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()[:8]
    return f"{folder.resolve().name}-{digest}"


class HuggingFaceRunner:
    """A plain Hugging Face sequence-classification folder (``config.json``; never downloaded)."""

    sortable = True

    def __init__(self, folder: Path, inputs: Sequence[str], threshold: float = 0.5):
        require_torch()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.network = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError) as error:
            raise InputError(
                f"{folder}: cannot load a sequence-classification model and tokenizer ({str(error).splitlines()[0]})"
            ) from None
        self.device = device_of()
        self.network.to(self.device).eval()
        config = self.network.config
        self.id2label = {int(k): str(v) for k, v in config.id2label.items()}
        kind = "multichoice" if config.problem_type == "multi_label_classification" else "choice"
        self.spec = HeadSpec(
            kind,
            [self.id2label[i] for i in sorted(self.id2label)],
            list(inputs),
            None,
            threshold,
            32,
            512,
            skip_blank=True,
        )
        self.version = huggingface_version(folder)

    def _forward(self, encoded):
        return self.network(**{k: v.to(self.device) for k, v in encoded.items()}).logits, None

    def run(
        self,
        records,
        *,
        embeddings=False,
        dropout_passes=0,
        batch_size=None,
        max_length=None,
        sort=True,
        on_progress=None,
    ) -> Outputs:
        return head_outputs(
            self._forward,
            self.tokenizer,
            self.spec,
            records,
            embeddings=False,
            batch_size=batch_size,
            max_length=max_length,
            sort=sort,
            on_progress=on_progress,
        )
