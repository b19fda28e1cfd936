"""Training settings: one dataclass per family, every field documented and validated.

:func:`resolve_settings` is the one place a run's settings are built: the defaults, a
resumed run's recorded settings, ``--config FILE.yaml`` (a mapping of setting names), the
``--set key=value`` overrides and the command's own options, each over the one before; each
value is coerced to the field's type and the whole validated in ``__post_init__``. An unknown
key is one line listing the valid ones.

A family subclasses :class:`TrainSettings` and adds fields with
:func:`setting` (a default and a help text, shown by ``empathykit train
--help-settings`` and in the model card).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

from empathykit.errors import TrainError
from empathykit.keyvalue import parse_list, parse_pairs
from empathykit.textfiles import text_encoding

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
S = TypeVar("S", bound="TrainSettings")


def setting(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field with its documentation (``metadata["help"]``)."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help}, **kwargs)
    return field(default=default, metadata={"help": help}, **kwargs)


@dataclass
class TrainSettings:
    """Settings every family shares (defaults suit a base-size encoder on one GPU)."""

    model: str = setting("", "encoder to fine-tune: a local model folder (config.json + tokenizer); set by --model")
    seed: int = setting(42, "random seed, set before the model is built (weights, shuffling, dropout)")
    epochs: float = setting(3.0, "training epochs")
    max_steps: int = setting(-1, "stop after this many optimizer steps (-1: run all epochs)")
    batch_size: int = setting(16, "training examples per device and step")
    eval_batch_size: int = setting(64, "examples per device in evaluation and prediction")
    gradient_accumulation: int = setting(1, "steps whose gradients are summed before each update")
    learning_rate: float = setting(2e-5, "peak learning rate (AdamW, linear decay)")
    weight_decay: float = setting(0.01, "AdamW weight decay")
    warmup_ratio: float = setting(0.1, "fraction of the steps with a linear warm-up")
    max_length: int = setting(128, "tokens per input (text pairs: both together); longer inputs are truncated")
    dropout: float = setting(0.1, "dropout before the task head(s)")
    precision: str = setting(
        "auto", "auto (bf16 on a GPU that has it, else fp16 on a GPU, else fp32) | bf16 | fp16 | fp32"
    )
    save_steps: int = setting(200, "write a checkpoint every N optimizer steps (for --resume)")
    save_total_limit: int = setting(2, "checkpoints kept (older ones are deleted)")
    logging_steps: int = setting(20, "report the training loss every N steps")
    eval_each_epoch: bool = setting(True, "evaluate on the validation split after each epoch")
    num_workers: int = setting(0, "data-loader worker processes")
    keep_best: bool = setting(
        True,
        "hand back the best model on validation, the starting model included (false: the "
        "final one); metrics.json and the card say which was kept and why",
    )
    min_validation: int = setting(
        100,
        "a validation split with fewer items is too small to choose a model reliably: keep_best warns, and records it",
    )

    def __post_init__(self) -> None:
        positive = (
            "batch_size",
            "eval_batch_size",
            "gradient_accumulation",
            "max_length",
            "save_steps",
            "logging_steps",
            "save_total_limit",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise TrainError(f"setting {name} must be at least 1, got {getattr(self, name)}")
        if self.epochs <= 0 and self.max_steps <= 0:
            raise TrainError(f"setting epochs must be positive, got {self.epochs}")
        if self.learning_rate <= 0:
            raise TrainError(f"setting learning_rate must be positive, got {self.learning_rate}")
        for name in ("warmup_ratio", "dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise TrainError(f"setting {name} must be in [0, 1), got {getattr(self, name)}")
        if self.weight_decay < 0 or self.num_workers < 0 or self.min_validation < 0:
            raise TrainError("settings weight_decay, num_workers and min_validation must not be negative")
        if self.precision not in PRECISIONS:
            raise TrainError(f"setting precision={self.precision!r}: expected one of {', '.join(PRECISIONS)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def documentation(cls: type[TrainSettings]) -> list[tuple[str, str, Any, str]]:
    """``(name, type, default, help)`` for every setting of ``cls``."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        rows.append((f.name, _type_name(hints[f.name]), default, f.metadata.get("help", "")))
    return rows


def load_settings(
    cls: type[S], config_file: str | Path | None = None, overrides: Iterable[str] = (), **values: Any
) -> S:
    """``cls`` from a YAML file, then ``key=value`` overrides, then ``values`` (from CLI options)."""
    return resolve_settings(cls, config_file=config_file, overrides=overrides, options=values)


def resolve_settings(
    cls: type[S],
    *,
    recorded: Mapping[str, Any] | None = None,
    config_file: str | Path | None = None,
    overrides: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
) -> S:
    """The one place a run's settings are built, each source over the one before:
    the defaults < ``recorded`` (a resumed run's settings) < ``config_file`` < ``overrides`` (``--set``)
    < ``options`` (the command's own options, ``--model``, ``--aux``, ``--teacher``). An option that is
    None, or an empty mapping, was not given; a mapping adds its keys to the setting's mapping (``--aux``
    adds a task to the file's). Validated once, on the merged whole."""
    merged: dict[str, Any] = dict(recorded or {})
    if config_file is not None:
        merged.update(_read_yaml(Path(config_file)))
    merged.update(parse_pairs(overrides, "--set", "epochs=2", empty_value=True, error=TrainError))
    for key, value in (options or {}).items():
        if isinstance(value, Mapping):
            if value:
                merged[key] = {**_to_dict(merged.get(key) or {}, key), **value}
        elif value is not None:
            merged[key] = value
    return build_settings(cls, merged)


def build_settings(cls: type[S], values: Mapping[str, Any]) -> S:
    """``cls(**values)`` with each value coerced to its field's type; unknown keys rejected."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in values if k not in names]
    if unknown:
        raise TrainError(
            f"unknown setting(s) {', '.join(map(repr, unknown))} for {cls.__name__}; valid: {', '.join(names)}"
        )
    coerced = {k: _coerce(k, v, hints[k]) for k, v in values.items()}
    return cls(**coerced)


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise TrainError(f"{path}: no such settings file")
    try:
        data = yaml.safe_load(path.read_text(encoding=text_encoding(path, expected="YAML text"))) or {}
    except yaml.YAMLError as error:
        raise TrainError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise TrainError(f"{path}: expected a mapping of setting names to values, got {type(data).__name__}")
    return data


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint)).replace("typing.", "")


def _coerce(name: str, value: Any, hint: Any) -> Any:
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    try:
        if hint is bool:
            return _to_bool(value)
        if hint in (int, float):
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if hint is float else value
            if hint is int and isinstance(value, str):
                number = int(float(value)) if float(value).is_integer() else int(value)
            return hint(number)
        if hint is str:
            return str(value)
        if origin is dict:
            return _to_dict(value, name)
        if origin is list:
            return (
                list(value)
                if isinstance(value, (list, tuple))
                else [v.strip() for v in str(value).split(",") if v.strip()]
            )
    except (TypeError, ValueError):
        raise TrainError(f"setting {name}={value!r}: expected {_type_name(hint)}") from None
    return value


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


def _to_dict(value: Any, name: str = "") -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if not str(value).strip():
        return {}
    return dict(parse_list(value, f"setting {name}".strip(), "sst=sst2:DIR,emo=goemotions:DIR", error=TrainError))
