"""Never worse than the start: the model a run hands back is the best it saw on validation,
the starting point included.

Before the first step the starting model (the pre-trained encoder, or the ``--model`` of a
continued classifier) is scored on the validation split; so is the model after each epoch
(``eval_each_epoch``) and at the end. The weights of the best so far wait in the run folder
(``best.pt``, with ``best.json`` saying whose they are, so ``--resume`` keeps the comparison); at
the end they are put back into the model when they beat the final ones. ``metrics.json`` and the
card say which was kept and why (``kept``). The score is the validation split's main metric
(:func:`main_metric`: macro-F1 for single- and multi-label tasks, Pearson or Spearman for ratings,
minus the masked-LM loss); a later model must beat the best strictly, so a tie keeps the earlier.

``keep_best=false`` keeps the final model and says so; a run with no validation split keeps the
final model and says why in one line; a validation split under ``min_validation`` items is
too small to decide well: the rule still applies, with a warning, recorded.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from empathykit.errors import TrainError
from empathykit.io import write_json

#: (metric in the validation metrics, sign): the first one present is the score (higher is better)
MAIN_METRICS = (("macro_f1", 1.0), ("pearson", 1.0), ("spearman", 1.0), ("mlm_loss", -1.0))
WEIGHTS, RECORD = "best.pt", "best.json"
FILES = (WEIGHTS, RECORD, f".{WEIGHTS}.tmp")

Score = Callable[[], dict[str, Any]]
#: where messages for the user that are not progress go (the command line prints them)
log = logging.getLogger("empathykit")


def main_metric(metrics: dict[str, Any]) -> tuple[str, float]:
    """``(name, score)`` of a run's validation metrics (higher is better)."""
    found = validation_score(metrics.get("validation") or {})
    if found is None:
        raise TrainError(
            "the settings search scores trials on the validation split, and this run has no validation metrics",
            hint="train on data with a validation split",
        )
    return found


def validation_score(validation: dict[str, Any]) -> tuple[str, float] | None:
    """``(metric, signed score)`` of one split's metrics, or None when none of :data:`MAIN_METRICS` is there.
    A metric that could not be computed (a model giving every pair the same cosine has no correlation)
    scores lowest."""
    for name, sign in MAIN_METRICS:
        if name not in validation:
            continue
        value = validation[name]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
            return name, sign * float(value)
        return name, float("-inf")
    return None


class KeepBest:
    """The comparison of one run in its run ``folder`` (see the module doc): ``score()`` measures
    ``model`` on the validation split of ``examples`` items."""

    def __init__(self, settings, folder: Path, model, score: Score | None, examples: int):
        self.settings, self.folder, self.model, self.score = settings, Path(folder), model, score
        self.examples = examples
        self.record: dict[str, Any] = {}

    @property
    def active(self) -> bool:
        return bool(self.settings.keep_best) and self.score is not None and self.examples > 0

    def start(self, resumed: bool) -> None:
        """Score the starting model (or, resuming, read the comparison so far); main process only."""
        if not self.active:
            return
        if self.examples < self.settings.min_validation:
            log.warning(
                "keep_best: the validation split has %d items, under min_validation=%d; too few to tell "
                "models apart reliably",
                self.examples,
                self.settings.min_validation,
            )
        saved = self.folder / RECORD
        if resumed and saved.is_file() and (self.folder / WEIGHTS).is_file():
            self.record = json.loads(saved.read_text(encoding="utf-8"))
            return
        self.record = {"scores": [], "best": None}
        self.observe("start", 0)

    def observe(self, at: str, step: int) -> None:
        """Score the model now; keep its weights when it beats the best so far."""
        if any(s["step"] == step for s in self.record["scores"]):
            return
        metric, value = self._measure()
        entry = {"at": at, "step": step, "metric": metric, "score": value}
        self.record["scores"].append(entry)
        best = self.record["best"]
        if best is None or value > best["score"]:
            self._save_weights()
            self.record["best"] = entry
        write_json(self.folder / RECORD, self.record)

    def finish(self, step: int) -> dict[str, Any]:
        """Score the final model, put the best weights back when they beat it; what was kept and why."""
        if not self.active:
            return self._final_only()
        self.observe("final", step)
        best, final = self.record["best"], self.record["scores"][-1]
        restored = best["step"] != final["step"]
        if restored:
            self._load_weights()
        metric = best["metric"]
        shown = lambda e: f"{e['at']} {_unsigned(metric, e['score']):.4f}"
        if best["at"] == "start":
            reason = (
                f"training did not beat the starting model on validation {metric} ({shown(best)} >= {shown(final)})"
            )
        elif restored:
            beaten = ">" if best["score"] > final["score"] else ">=, and a later model must do better"
            reason = f"{best['at']} scored best on validation {metric} ({shown(best)} {beaten} {shown(final)})"
        else:
            reason = f"the final model scored best on validation {metric} ({shown(final)})"
        kept = {
            "kept": "start" if best["at"] == "start" else best["at"],
            "reason": reason,
            "metric": metric,
            "score": _unsigned(metric, best["score"]),
            "validation_examples": self.examples,
            "scores": [{**s, "score": _unsigned(metric, s["score"])} for s in self.record["scores"]],
        }
        if self.examples < self.settings.min_validation:
            kept["warning"] = (
                f"validation split of {self.examples} items, under min_validation="
                f"{self.settings.min_validation}: the choice may be noise"
            )
        return kept

    def callback(self):
        """A ``TrainerCallback`` scoring the model after each epoch (main process, ``eval_each_epoch``)."""
        from transformers import TrainerCallback

        keeper = self

        class _EachEpoch(TrainerCallback):
            def on_epoch_end(self, args, state, control, **kwargs):
                if keeper.active and keeper.settings.eval_each_epoch and state.is_world_process_zero:
                    keeper.observe(f"epoch {round(state.epoch or 0, 2):g}", state.global_step)

        return _EachEpoch()

    def _final_only(self) -> dict[str, Any]:
        if not self.settings.keep_best:
            reason = "keep_best=false: the final model is kept, whatever it scores"
        elif self.examples == 0:
            reason = "no validation split: the final model is kept (nothing to compare it with the start on)"
            log.warning("keep_best: %s", reason)
        else:
            reason = "this family has no validation score: the final model is kept"
        return {"kept": "final", "reason": reason, "validation_examples": self.examples}

    def _measure(self) -> tuple[str, float]:
        was_training = getattr(self.model, "training", False)
        self.model.eval()  # no dropout: the score is the one the kept model will have
        try:
            metrics = self.score()
        finally:
            self.model.train(was_training)
        found = validation_score(metrics)
        if found is None:
            raise TrainError(
                f"keep_best: the validation metrics have none of {[m for m, _ in MAIN_METRICS]}",
                hint="--set keep_best=false",
            )
        return found

    def _save_weights(self) -> None:
        import torch

        tmp = self.folder / f".{WEIGHTS}.tmp"
        torch.save({k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}, tmp)
        os.replace(tmp, self.folder / WEIGHTS)

    def _load_weights(self) -> None:
        import torch

        state = torch.load(self.folder / WEIGHTS, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state)


def _unsigned(metric: str, score: float) -> float:
    return dict(MAIN_METRICS)[metric] * score
