"""Building transformers' ``Trainer`` the way every family needs it.

- seeds set before the model is built (:func:`seed_everything`);
- dynamic padding (``DataCollatorWithPadding``: each batch padded to its longest input);
- precision from ``settings.precision`` (:func:`resolve_precision`: bf16 where the GPU has it);
- checkpoints every ``save_steps`` in the run folder and ``resume`` from the last one;
- nothing launcher-specific: under ``accelerate launch`` or ``torchrun`` the ``Trainer``
  picks up the process group from the environment (gloo on CPU, nccl on GPUs);
- progress reported through ``on_progress`` (``empathykit.progress``: optimizer steps of the
  total) from the main process only.
"""

from __future__ import annotations

import atexit
import os
import shutil
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import TrainError
from empathykit.progress import Progress, report


def seed_everything(seed: int) -> None:
    """Seeds (python, numpy, torch) before the model is built; also quiets the libraries' own bars
    (progress is ours, on stderr)."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.set_seed(seed)


def resolve_precision(precision: str) -> tuple[bool, bool]:
    """``(bf16, fp16)`` for the setting on this hardware; bf16/fp16 asked where there is none → one line."""
    import torch

    cuda = torch.cuda.is_available()
    bf16_ok = cuda and torch.cuda.is_bf16_supported()
    if precision == "auto":
        return (bf16_ok, cuda and not bf16_ok)
    if precision == "bf16" and not bf16_ok:
        raise TrainError(
            "precision bf16 asked, but this machine has no GPU with bf16 "
            f"({'CUDA GPU without bf16' if cuda else 'no CUDA GPU'})",
            hint="use --set precision=auto (picks what the hardware has) or fp32",
        )
    if precision == "fp16" and not cuda:
        raise TrainError(
            "precision fp16 asked, but this machine has no CUDA GPU", hint="use --set precision=auto or fp32"
        )
    return (precision == "bf16", precision == "fp16")


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def release_process_group_at_exit() -> None:
    """Under a launcher, destroy the process group when the process ends. Left to the interpreter's
    teardown, gloo's threads can outlive it and abort the process ("terminate called without an
    active exception") after a run that succeeded. At exit rather than after each run: a process
    may train several (kd's teachers, a search's trials) on the one group."""
    if world_size() > 1 and _destroy_process_group not in _registered:
        atexit.register(_destroy_process_group)
        _registered.append(_destroy_process_group)


def _destroy_process_group() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


_registered: list = []


def tokenize(dataset, tokenizer, inputs: Sequence[str], max_length: int, keep: Sequence[str] = ()):
    """Token ids for one text or a pair (truncated, not padded: the collator pads per batch)."""
    missing = [c for c in inputs if c not in dataset.column_names]
    if missing:
        raise TrainError(f"dataset has no column(s) {missing}; it has {dataset.column_names}")

    def encode(batch: dict[str, list]) -> dict[str, Any]:
        texts = [[t if isinstance(t, str) else "" for t in batch[c]] for c in inputs]
        return tokenizer(*texts[:2], truncation=True, max_length=max_length)

    drop = [c for c in dataset.column_names if c not in keep]
    return dataset.map(encode, batched=True, remove_columns=drop, desc=None)


def training_arguments(settings, work_dir: Path, *, evaluate: bool, find_unused: bool = True, **extra: Any):
    from transformers import TrainingArguments

    bf16, fp16 = resolve_precision(settings.precision)
    args = dict(
        output_dir=str(work_dir),
        seed=settings.seed,
        data_seed=settings.seed,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.eval_batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        warmup_steps=float(settings.warmup_ratio) if settings.warmup_ratio else 0,
        lr_scheduler_type="linear",
        bf16=bf16,
        fp16=fp16,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        logging_steps=settings.logging_steps,
        logging_first_step=True,
        eval_strategy="epoch" if evaluate and settings.eval_each_epoch else "no",
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=settings.num_workers,
        remove_unused_columns=False,
        ddp_find_unused_parameters=find_unused,
        use_cpu=not _cuda(),
        log_level="warning",
        save_only_model=False,
    )
    args.update(extra)
    try:
        return TrainingArguments(**args)
    except ValueError as error:
        raise TrainError(f"training arguments: {str(error).splitlines()[0]}") from None


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


CHECKPOINT_FILES = ("trainer_state.json", "optimizer.pt", "scheduler.pt")


def last_checkpoint(work_dir: Path) -> str | None:
    """The newest complete checkpoint. A run killed while writing one leaves it half written
    (the Trainer does not write checkpoints atomically): such folders are removed, the one
    before is used."""

    if not work_dir.is_dir():
        return None
    found = sorted(
        (p for p in work_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.name.split("-")[-1]),
        reverse=True,
    )
    for folder in found:
        if all((folder / name).is_file() for name in CHECKPOINT_FILES) and any(folder.glob("rng_state*")):
            return str(folder)
        shutil.rmtree(folder, ignore_errors=True)
    return None


def progress_callback(on_progress: Progress | None, stage: str = "training"):
    """A ``TrainerCallback`` that reports optimizer steps done of the total (main process only)."""
    from transformers import TrainerCallback

    class _Progress(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                report(on_progress, stage, state.global_step, state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                report(on_progress, stage, state.global_step, state.max_steps)

    return _Progress()


def fit(trainer, work_dir: Path, resume: bool) -> Any:
    """``trainer.train()``, from the last checkpoint in ``work_dir`` when ``resume``. The Trainer's
    own printer (log dicts on stdout) is removed: stdout is for data."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    checkpoint = last_checkpoint(work_dir) if resume else None
    trainer.train(resume_from_checkpoint=checkpoint)
    return {"resumed_from": Path(checkpoint).name if checkpoint else None, "world_size": world_size()}
