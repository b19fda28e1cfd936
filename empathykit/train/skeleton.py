"""One training run, start to finish: the skeleton every family's ``train`` uses.

    def train(self, data, settings, out_dir, *, resume=False, on_progress=None, command=None):
        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command,
                         on_progress=on_progress) as run:
            model = build(run.base, ...)                 # run.tokenizer, run.work (checkpoints) ready
            trainer = Trainer(..., args=hf.training_arguments(settings, run.work, ...))
            facts = run.fit(trainer)                     # from the last checkpoint with --resume; losses
            if not run.main:                             # other processes of a distributed run stop here
                return {}
            metrics = {**run.held_out(lambda split: ...), **facts}     # validation / test where present
            return run.finish(lambda tmp: save(model, tmp), metrics, extra_config={...})

Entering checks, before any work and in this order: the base model (config, tokenizer, complete
weights), the family's own data check, the precision, the output path (absent, empty, or an
earlier model folder by empathykit's marker), the lock on the output (one live run per output;
a killed run's lock is taken over), the run folder ``.OUT.train-run/`` (checkpoints; with
``--resume`` the run's recorded settings must match, except :data:`SAFE_ON_RESUME`), then the
seeds and the tokenizer. ``finish`` writes the model folder whole (the user's files in an
earlier one kept) with ``config.yaml`` and the card saying how the weights were made, resumes
included, and removes the run folder. A run that fails before its first checkpoint leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError, TrainError
from empathykit.io import output_lock, write_json
from empathykit.progress import Progress
from empathykit.train import folder as mf
from empathykit.train import hf
from empathykit.train.keep_best import FILES as KEEP_BEST_FILES
from empathykit.train.keep_best import KeepBest, Score

log = logging.getLogger("empathykit")
RECORD = "run.json"
#: settings a resumed run may change: they decide what is logged, kept and how fast metrics are
#: computed, not the weights; the record says from which checkpoint on they held
SAFE_ON_RESUME = (
    "save_steps",
    "logging_steps",
    "save_total_limit",
    "eval_batch_size",
    "num_workers",
    "keep_best",
    "min_validation",
)
HELD_OUT = ("validation", "test")


def notify(text: str) -> None:
    """A message for the user that is not progress (a fresh head, a restarted run): the
    ``empathykit`` logger, which the command line prints above its progress bar."""
    log.warning("%s", text)


class TrainingRun:
    """The run of ``family`` on ``data`` into ``out_dir`` (a context manager, see the module doc)."""

    def __init__(
        self,
        family,
        data,
        settings,
        out_dir: str | Path,
        *,
        resume: bool = False,
        command: str | None = None,
        on_progress: Progress | None = None,
    ):
        self.family, self.data, self.settings = family, data, settings
        self.out_dir, self.work = Path(out_dir), mf.run_dir(out_dir)
        self.resume, self.command, self.on_progress = resume, command, on_progress
        self.base: Path | None = None
        self.tokenizer: Any = None
        self.checkpoint: str | None = None
        self.changed: dict[str, dict[str, Any]] = {}
        self.main = hf.is_main_process()
        self.record: dict[str, Any] = {}
        self._held = contextlib.ExitStack()

    # -- start --------------------------------------------------------------------------------

    def __enter__(self) -> TrainingRun:
        self.base = mf.check_base_model(self.settings.model)
        hf.release_process_group_at_exit()
        self.family.check(self.data, self.settings)
        hf.resolve_precision(self.settings.precision)
        mf.check_model_output(self.out_dir)
        try:
            if self.main:
                self._held.enter_context(output_lock(self.out_dir, label="model folder"))
            self._open_run_folder()
            hf.seed_everything(self.settings.seed)
            self.tokenizer = load_tokenizer(self.base)
        except BaseException:
            self._close(failed=True)
            raise
        return self

    def _open_run_folder(self) -> None:
        work = self.work
        if work.is_dir() and any(work.glob("checkpoint-*")) and not self.resume:
            raise TrainError(
                f"an unfinished run left checkpoints in {work}",
                hint="add --resume to continue it, or remove that folder to start over",
            )
        self.checkpoint = hf.last_checkpoint(work) if self.resume else None
        if self.resume and self.checkpoint is None:
            if mf.is_model_folder(self.out_dir):
                raise TrainError(
                    f"nothing to resume: {self.out_dir} is a finished model and no unfinished run is left in {work}",
                    hint="drop --resume to train it again",
                )
            notify(f"--resume: no usable checkpoint in {work}; starting over")
        self.record = (
            self._check_same_run()
            if self.checkpoint
            else {
                "family": self.family.name,
                "settings": self.settings.to_dict(),
                "data": self.data.describe(),
                "command": self.command,
                "started": _now(),
                "resumed": [],
            }
        )
        if self.main:
            work.mkdir(parents=True, exist_ok=True)
            write_json(work / RECORD, self.record)

    def _check_same_run(self) -> dict[str, Any]:
        """The run's record, once this run's family, data and settings are the run's (safe ones aside)."""
        path = self.work / RECORD
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise TrainError(
                f"--resume: {path} is missing or unreadable, so this run's settings cannot be checked "
                "against the run that wrote the checkpoints",
                hint=f"remove {self.work} and train without --resume",
            ) from None
        now = {
            "family": self.family.name,
            **{f"data.{k}": v for k, v in self.data.describe().items() if k != "source"},
            **self.settings.to_dict(),
        }
        then = {
            "family": record.get("family"),
            **{f"data.{k}": v for k, v in (record.get("data") or {}).items() if k != "source"},
            **(record.get("settings") or {}),
        }
        differ = {
            k: (then.get(k), now.get(k)) for k in now.keys() | then.keys() if _json(then.get(k)) != _json(now.get(k))
        }
        unsafe = sorted(k for k in differ if k not in SAFE_ON_RESUME)
        if unsafe:
            listed = "; ".join(f"{k} {differ[k][0]!r} -> {differ[k][1]!r}" for k in unsafe)
            raise TrainError(
                f"--resume: this run differs from the one being resumed: {listed}",
                hint=f"resume with the run's settings ({path}), or remove {self.work} and train "
                "without --resume to start over",
            )
        self.changed = {k: {"before": differ[k][0], "after": differ[k][1]} for k in sorted(differ)}
        return record

    # -- training -----------------------------------------------------------------------------

    def fit(self, trainer, *, score: Score | None = None, model=None, examples: int | None = None) -> dict[str, Any]:
        """``trainer.train()`` from the last checkpoint when resuming; first/last logged loss and run facts.
        ``score()``: the validation metrics of ``model`` (default ``trainer.model``) as it is now, for
        :class:`~empathykit.train.keep_best.KeepBest` (``examples``: the validation split's size, by
        default the data's); ``kept`` in the facts says which model the run hands back, and why."""
        trainer.add_callback(_resumed_settings_callback())
        if examples is None:
            examples = len(self.data.dataset["validation"]) if "validation" in self.data.dataset else 0
        keeper = KeepBest(self.settings, self.work, model if model is not None else trainer.model, score, examples)
        if self.main:
            keeper.start(resumed=self.checkpoint is not None)
            trainer.add_callback(keeper.callback())
        if self.checkpoint and self.main:
            self.record["resumed"].append(
                {"from": Path(self.checkpoint).name, "at": _now(), "command": self.command, "changed": self.changed}
            )
            self.record["settings"] = self.settings.to_dict()
            write_json(self.work / RECORD, self.record)
        facts = hf.fit(trainer, self.work, self.checkpoint is not None)
        self.main = trainer.is_world_process_zero()
        losses = [float(e["loss"]) for e in trainer.state.log_history if "loss" in e]
        kept = keeper.finish(trainer.state.global_step) if self.main else {}
        return {
            "train_loss_first": losses[0] if losses else None,
            "train_loss": losses[-1] if losses else None,
            **facts,
            "kept": kept,
        }

    def held_out(self, measure: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """``{split: measure(split)}`` for the validation and test splits the data has rows in."""
        dataset = self.data.dataset
        return {split: measure(split) for split in HELD_OUT if split in dataset and len(dataset[split])}

    # -- finish -------------------------------------------------------------------------------

    def finish(
        self, save: Callable[[Path], None], metrics: dict[str, Any], extra_config: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Write the model folder (``save(tmp)`` writes weights and tokenizer) and end the run."""
        config = dict(extra_config or {})
        if self.record.get("resumed"):
            config["resumed"] = self.record["resumed"]
        mf.write_model_folder(
            self.out_dir,
            save,
            family=self.family.name,
            settings=self.settings.to_dict(),
            data=self.data.describe(),
            metrics=metrics,
            command=self.record.get("command") or self.command,
            extra_config=config,
        )
        mf.finish_run(self.out_dir)
        return metrics

    def __exit__(self, kind, error, trace) -> bool:
        self._close(failed=kind is not None)
        return False

    def _close(self, failed: bool) -> None:
        """Release the lock; a failed run that made no checkpoint leaves no run folder behind."""
        try:
            if failed and self.main and self.work.is_dir() and not _worth_keeping(self.work):
                shutil.rmtree(self.work, ignore_errors=True)
        finally:
            self._held.close()


def load_tokenizer(base: Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise InputError(
            f"model {base}: its tokenizer cannot be loaded ({str(error).splitlines()[0][:200]})",
            hint="copy the whole model folder again, tokenizer files included",
        ) from None
    except Exception as error:  # the tokenizers library raises its own Exception on a corrupt tokenizer.json
        raise InputError(
            f"model {base}: its tokenizer cannot be loaded ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200] if str(error) else ''})",
            hint="copy the whole model folder again, tokenizer files included",
        ) from None


def _resumed_settings_callback():
    """The Trainer restores ``save_steps``/``logging_steps`` from the checkpoint's state; a resumed run
    uses the ones it was given (they are safe to change, and the record says so)."""
    from transformers import TrainerCallback

    class _Resumed(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            state.save_steps, state.logging_steps = args.save_steps, args.logging_steps

    return _Resumed()


def _worth_keeping(work: Path) -> bool:
    """Anything a run made besides its records (checkpoints, kd teachers, search trials)."""
    return any(p.is_file() and p.name not in (RECORD, *KEEP_BEST_FILES) for p in work.rglob("*"))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
