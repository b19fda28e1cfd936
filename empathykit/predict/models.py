"""One loaded model: what ``predict``, ``annotate predict``, ``serve``, ``annotate next-round`` and ``loop`` run.

:func:`open_model` reads a model once (``config.yaml`` parsed once, weights loaded once) from

- one folder written by ``empathykit train`` (its ``family`` says how it runs);
- one to three EPITOME folders, one per mechanism (given as several paths or ``ER,IP,EX``): the only
  family whose folders combine; any other family given several folders is one line;
- a loop folder (``empathykit loop`` writes :data:`CURRENT_MODEL` in it): the newest round's model;
- a plain Hugging Face sequence-classification folder (``config.json``, never downloaded).

The :class:`LoadedModel` knows its family, label kind and names, the target (task) it was trained
on, its inputs and its version (computed once; the versions of several folders joined by ``+``).
``run(records)`` gives, in one call, the prediction rows, the class probabilities and, where the
family has them and they are asked for, the pooled embeddings (:class:`~empathykit.predict.runners.Outputs`).
``predict(records)`` is the rows alone: what ``serve`` calls per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from empathykit.errors import InputError
from empathykit.predict.family_runners import trainer_runner
from empathykit.predict.runners import HuggingFaceRunner, Outputs, huggingface_version
from empathykit.progress import Progress
from empathykit.train import folder as mf
from empathykit.train.families import get_family

#: a file in a loop folder naming the newest model folder(s) (one per line); written by ``empathykit loop``
CURRENT_MODEL = "current-model.txt"
#: the family name of a plain Hugging Face sequence-classification folder
HUGGINGFACE = "huggingface"


def resolve_dirs(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """The model folders ``paths`` name: the folders given (``A,B,C`` split when no such path exists),
    or the newest model a loop folder names."""
    given = [paths] if isinstance(paths, (str, Path)) else list(paths)
    parts: list[str] = []
    for path in given:
        text = str(path)
        if "," in text and not Path(text).exists():
            parts += [p.strip() for p in text.split(",") if p.strip()]
        else:
            parts.append(text)
    if len(parts) == 1 and (Path(parts[0]) / CURRENT_MODEL).is_file():
        pointer = Path(parts[0]) / CURRENT_MODEL
        return [Path(line.strip()) for line in pointer.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Path(p) for p in parts]


def folders_version(dirs: Sequence[Path]) -> str:
    """The version of trainer folder(s): ``NAME-HASH`` each, joined by ``+`` (an EPITOME set)."""
    return "+".join(mf.model_version(d) for d in dirs)


def model_version_of(paths: str | Path | Sequence[str | Path]) -> str:
    """The version :func:`open_model` gives these folders, without loading any weights."""
    dirs = resolve_dirs(paths)
    if len(dirs) == 1 and not (dirs[0] / mf.MARKER).is_file() and (dirs[0] / "config.json").is_file():
        return huggingface_version(dirs[0])
    for folder in dirs:
        mf.read_model_config(folder)  # one line for a folder that is no model
    return folders_version(dirs)


@dataclass
class LoadedModel:
    """A model in memory; build it with :func:`open_model`."""

    dirs: list[Path]
    family: str
    version: str
    info: dict[str, Any]
    runner: Any = field(repr=False)

    @property
    def kind(self) -> str | None:
        """``choice``, ``multichoice`` or ``rating`` (None for EPITOME's several fields)."""
        return self.info.get("kind")

    @property
    def label_names(self) -> list[str] | None:
        return self.info.get("label_names")

    @property
    def target(self) -> str | None:
        """The task (schema target) the model was trained on, as its export named it."""
        return self.info.get("task")

    @property
    def inputs(self) -> list[str]:
        return list(self.info.get("inputs") or [])

    @property
    def sortable(self) -> bool:
        """Whether rows may be batched sorted by length (the answers do not depend on batch neighbours)."""
        return bool(getattr(self.runner, "sortable", False))

    def run(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        embeddings: bool = False,
        dropout_passes: int = 0,
        batch_size: int | None = None,
        max_length: int | None = None,
        sort: bool = True,
        on_progress: Progress | None = None,
    ) -> Outputs:
        """Rows, probabilities and (``embeddings=True``) pooled embeddings of ``records`` in one pass.
        ``dropout_passes``: for a rating head, that many predictions with dropout on (``Outputs.samples``).
        ``batch_size``/``max_length``: the model's saved settings unless given."""
        if batch_size is not None and batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {batch_size}")
        if max_length is not None and max_length < 1:
            raise InputError(f"max length must be at least 1, got {max_length}")
        return self.runner.run(
            list(records),
            embeddings=embeddings,
            dropout_passes=dropout_passes,
            batch_size=batch_size,
            max_length=max_length,
            sort=sort and self.sortable,
            on_progress=on_progress,
        )

    def predict(
        self, records: Sequence[Mapping[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """``[{"prediction", "prediction_score", ...}]`` for ``records``, in order."""
        return self.run(records, on_progress=on_progress).rows


def open_model(
    paths: str | Path | Sequence[str | Path], *, inputs: Sequence[str] | None = None, threshold: float = 0.5
) -> LoadedModel:
    """Load the model(s) ``paths`` name (see the module docstring), once.

    ``inputs``/``threshold``: for a plain Hugging Face folder, the column it reads (it records none)
    and the probability at which a multi-label model predicts a label."""
    dirs = resolve_dirs(paths)
    if not dirs:
        raise InputError("no model folder given", hint="pass a folder `empathykit train` wrote")
    first = dirs[0]
    if len(dirs) == 1 and not (first / mf.MARKER).is_file() and (first / "config.json").is_file():
        runner = HuggingFaceRunner(first, inputs or ["text"], threshold)
        info = {"kind": runner.spec.kind, "label_names": runner.spec.names, "inputs": list(inputs or ["text"])}
        return LoadedModel([first], HUGGINGFACE, runner.version, info, runner)
    configs = [mf.read_model_config(d) for d in dirs]
    family = get_family(configs[0]["family"])
    if len(dirs) > 1 and family.name != "epitome":
        raise InputError(
            f"several model folders go together only for EPITOME (one per mechanism); "
            f"{first} is a {family.name!r} model"
        )
    info = mf.read_labels(first)
    runner = trainer_runner(family, dirs, configs[0], info)
    return LoadedModel(list(dirs), family.name, folders_version(dirs), info, runner)
