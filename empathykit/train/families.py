"""Model families, registered by name as lazy ``"module:Class"`` strings.

A family is one kind of model (a classifier, a multi-task student, the
EPITOME bi-encoder, ...). It names its settings class and implements
:class:`Family`'s four methods; the commands look it up here by ``--family``
(training) or by the ``family`` recorded in a model folder's ``config.yaml``
(evaluate, predict). Adding a family = one module + one line in
:data:`empathykit.train.choices.FAMILIES`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from empathykit.errors import TrainError
from empathykit.progress import Progress
from empathykit.train.choices import FAMILIES
from empathykit.train.data import TrainingData, load_training_data

if TYPE_CHECKING:
    from empathykit.train.settings import TrainSettings


class Family:
    """Base of every family. Subclasses set ``name`` and ``settings_class`` and override the methods.

    - ``check(data, settings)``: raise a one-line ``InputError``/``TrainError`` for data the family
      cannot train on (missing columns, wrong label kind, one class only); called before any work.
    - ``train(data, settings, out_dir, resume=False, on_progress=None, command=None) -> metrics``:
      fit, write the model folder (see :mod:`empathykit.train.folder`) and return the validation /
      test metrics that also go to ``metrics.json``. ``command``: the command line, for the card
      (every input, ``kd``'s ``aux`` and ``teachers`` included, is a setting).
    - ``evaluate(model_dir, data, split, out_dir=None) -> metrics``: metrics on one split; with
      ``out_dir``, PNGs (confusion matrix, ...) are written there.
    - ``predict(model_dir, records) -> list[dict]``: one dict per record, with ``prediction`` (a
      value of the label: a class name, a list of names, a number) and ``prediction_score``.
    """

    name: ClassVar[str] = ""
    settings_class: ClassVar[type]
    #: the inputs the family needs, as the export's ``inputs`` (None: any one text or a pair)
    needs_inputs: ClassVar[tuple[str, ...] | None] = None

    def load_data(self, data: str, task: str | None, settings: TrainSettings) -> Any:
        """What ``train`` reads from DATA (an export or ``DATASET:PATH``; ``mlm``: unlabelled text)."""
        return load_training_data(data, task)

    def check(self, data: TrainingData, settings: TrainSettings) -> None:
        return None

    def train(
        self,
        data: TrainingData,
        settings: TrainSettings,
        out_dir: Path,
        *,
        resume: bool = False,
        on_progress: Progress | None = None,
        command: str | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def evaluate(
        self, model_dir: Path, data: TrainingData, split: str = "test", out_dir: Path | None = None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def predict(
        self, model_dir: Path, records: list[dict[str, Any]], on_progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        raise NotImplementedError


def family_names() -> list[str]:
    return sorted(FAMILIES)


def get_family(name: str) -> Family:
    """The family registered as ``name``, imported on first use."""
    if name not in FAMILIES:
        raise TrainError(f"unknown family {name!r}; expected one of {', '.join(family_names())}")
    module_name, _, class_name = FAMILIES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (error.name == module_name or module_name.startswith(error.name + ".")):
            raise TrainError(f"family {name!r} is registered but its module {module_name} is not there") from None
        raise TrainError(
            f"family {name!r} needs {error.name}, which is not installed",
            hint="pip install 'empathykit[train]' (torch==2.13.0 first)",
        ) from None
    return getattr(module, class_name)()
