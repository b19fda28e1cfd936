"""The runners of trainer folders whose family runs its own way (``epitome``, ``circumplex``,
``similarity``, any other family's ``predict``), and :func:`trainer_runner`, which picks a trainer
folder's runner (the head families' is :class:`~empathykit.predict.runners.HeadRunner`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from empathykit.errors import InputError
from empathykit.predict.runners import HeadRunner, Outputs, require_torch, texts_of
from empathykit.progress import Counter
from empathykit.train.choices import HEAD_FAMILIES
from empathykit.train.circumplex import embed_texts
from empathykit.train.circumplex_metrics import nearest_direction
from empathykit.train.similarity import from_unit, pair_cosines


class EpitomeRunner:
    """One to three EPITOME mechanism models (the several-folders rule: one folder per mechanism)."""

    sortable = False

    def __init__(self, family, dirs: Sequence[Path]):
        self.loaded = family.load(list(dirs))

    def run(self, records, *, on_progress=None, **_: Any) -> Outputs:
        return Outputs(self.loaded.predict(list(records), on_progress=on_progress))


class CircumplexRunner:
    """A circumplex folder: the nearest class direction of the text's embedding."""

    sortable = False

    def __init__(self, family, folder: Path):
        self.model, self.tokenizer, self.directions, config, self.info = family.load(folder)
        self.saved = config.get("settings", {})

    def run(
        self, records, *, embeddings=False, batch_size=None, max_length=None, on_progress=None, **_: Any
    ) -> Outputs:
        inputs, names = self.info["inputs"], self.info["label_names"]
        if not any(c in r for r in records for c in inputs):
            raise InputError(f"the records have no column(s) {inputs} that this model reads")
        texts = texts_of(records, inputs)
        x = embed_texts(
            self.model,
            self.tokenizer,
            texts,
            max_length=max_length or self.saved.get("max_length", 128),
            batch_size=batch_size or self.saved.get("eval_batch_size", 64),
            on_progress=on_progress,
        )
        ids, cos = nearest_direction(x, self.directions) if len(x) else ([], [])
        rows = [
            {"prediction": None, "prediction_score": None}
            if all(not t[i].strip() for t in texts)
            else {"prediction": [names[int(ids[i])]], "prediction_score": float(cos[i])}
            for i in range(len(records))
        ]
        return Outputs(rows, embeddings=x if embeddings else None)


class SimilarityRunner:
    """A story-similarity bi-encoder: a score on the export's scale per pair."""

    sortable = False

    def __init__(self, family, folder: Path, config: Mapping[str, Any]):
        self.model = family.load(folder)
        self.columns, self.scale = tuple(config["columns"]), tuple(config["scale"])

    def run(self, records, *, batch_size=None, on_progress=None, **_: Any) -> Outputs:
        a, b = self.columns
        missing = [c for c in self.columns if not any(c in r for r in records)]
        if missing:
            raise InputError(f"the records have no column(s) {missing}; this model scores pairs {self.columns}")
        keep = [
            i for i, r in enumerate(records) if all(isinstance(r.get(c), str) and r[c].strip() for c in self.columns)
        ]
        count = Counter(on_progress, "scoring pairs", total=len(records))
        cosines = pair_cosines(
            self.model, [records[i][a] for i in keep], [records[i][b] for i in keep], batch_size or 64
        )
        rows: list[dict[str, Any]] = [{"prediction": None, "prediction_score": None} for _ in records]
        for i, cos in zip(keep, cosines):
            rows[i] = {"prediction": round(from_unit(cos, self.scale), 4), "prediction_score": round(cos, 4)}
        count(len(records))
        return Outputs(rows)


class FamilyRunner:
    """A family predict knows nothing more of: its own ``predict`` (which reads the folder each call)."""

    sortable = False

    def __init__(self, family, dirs: Sequence[Path]):
        self.family, self.target = family, dirs[0] if len(dirs) == 1 else list(dirs)

    def run(self, records, *, on_progress=None, **_: Any) -> Outputs:
        return Outputs(self.family.predict(self.target, list(records), on_progress=on_progress))


def trainer_runner(family, dirs: Sequence[Path], config: Mapping[str, Any], info: Mapping[str, Any]):
    """The runner of trainer folder(s) whose ``config.yaml`` (``config``) names ``family``."""
    require_torch()
    if family.name in HEAD_FAMILIES:
        return HeadRunner(dirs[0], config, info)
    if family.name == "epitome":
        return EpitomeRunner(family, dirs)
    if family.name == "circumplex":
        return CircumplexRunner(family, dirs[0])
    if family.name == "similarity":
        return SimilarityRunner(family, dirs[0], config)
    return FamilyRunner(family, dirs)
