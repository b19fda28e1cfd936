"""``empathykit loop``: pull -> export -> train -> evaluate -> next-round, round after round.

Each round keeps its outputs in ``LOOP_DIR/round-K/``: ``annotations.parquet`` (pull),
``export/`` (the dataset), ``model/`` (trained from the encoder in round 1, then warm-started
from the previous round's fine-tuned encoder), ``evaluation.json`` (test metrics) and
``next-round.parquet`` with ``next-round.selection.json`` (what was pushed and why). After
training, ``LOOP_DIR/current-model.txt`` names the new model, so an ``empathykit serve LOOP_DIR``
answers with it from its next request on. The state file (:mod:`empathykit.loop.state`) makes a
killed loop resume at its step.

The loop waits for people: before it pulls, the round it pushed last (at first, the project's
newest round) must be annotated (:mod:`empathykit.loop.progress`). A run before that changes
nothing, in Label Studio or on disk, and says how far the round is; ``wait`` polls until it is
done. Between export and training the round's agreement is reported and, with ``min_alpha``,
gated (:mod:`empathykit.loop.gate`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from empathykit.active.needs import require_libraries
from empathykit.active.nextround import check_choice, next_round, selection_path
from empathykit.annotate import projects as prj
from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.pull import pull, resolve_schema
from empathykit.annotate.push import push
from empathykit.errors import InputError
from empathykit.exports.flows import ExportOptions, run_export
from empathykit.exports.loading import configs
from empathykit.io import atomic_open, atomic_path, check_output, mark_folder, write_json
from empathykit.loop.gate import check_gate, round_gate
from empathykit.loop.progress import RoundProgress, check_min_done, round_progress
from empathykit.loop.state import STEPS, LoopState, next_step, read_state, save_state
from empathykit.predict.models import CURRENT_MODEL
from empathykit.progress import Progress, within
from empathykit.progress import report as report_progress
from empathykit.train.folder import check_base_model, model_version, run_dir
from empathykit.train.run import evaluate_model, train_model

StepReport = Callable[[int, str, str], None]
#: tokenizer files a warm start needs beside the fine-tuned encoder's weights
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "added_tokens.json",
)


@dataclass
class LoopReport:
    loop_dir: str
    rounds_run: int
    round: int
    step: str
    steps: list[tuple[int, str]]
    history: list[dict[str, Any]]
    #: the status line when the loop stopped to wait for annotators (nothing else was done)
    waiting: str | None = None


@dataclass
class People:
    """When the round the loop waits for counts as annotated, and whether to wait for it.

    ``overlap``: annotations (or skips) a task needs (None: the project's own overlap);
    ``min_done``: the fraction of the round's tasks that must be done (None: all);
    ``wait``: poll every ``poll_seconds`` until done, calling ``on_wait(progress)`` each time,
    instead of returning at once; ``min_alpha``: the agreement gate (None: report only)."""

    overlap: int | None = None
    min_done: float | None = None
    wait: bool = False
    poll_seconds: float = 60.0
    on_wait: Callable[[RoundProgress], None] | None = None
    min_alpha: float | None = None


def run_loop(
    project: str,
    pool: str | Path,
    encoder: str | Path,
    loop_dir: str | Path,
    *,
    size: int,
    strategy: str = "uncertainty",
    family: str = "classifier",
    task: str | None = None,
    seed: int = 0,
    overrides: list[str] | None = None,
    rounds: int = 1,
    connection: Connection | None = None,
    on_step: StepReport | None = None,
    people: People | None = None,
    repull: bool = False,
    on_progress: Progress | None = None,
) -> LoopReport:
    """Run the loop until round ``rounds`` is done (every round trains on a freshly annotated round,
    resuming a killed one first); ``on_step(round, step, summary)`` after each step, ``on_progress``
    names the step that runs (``round 2: train``). Returns early, having changed nothing, while the
    round it waits for is not annotated (``report.waiting``)."""

    people = people or People()
    loop_dir = Path(loop_dir)
    _check_inputs(strategy, size, rounds, people, encoder)
    state = _open_state(
        project,
        pool,
        encoder,
        loop_dir,
        size=size,
        strategy=strategy,
        family=family,
        task=task,
        seed=seed,
        overrides=overrides,
    )
    if repull:
        _repull(state, loop_dir)
    done: list[tuple[int, str]] = []
    completed = 0
    while state.round <= rounds:
        if state.step == STEPS[0]:
            progress = _await_round(state, people, connection)
            if not progress.complete:
                return LoopReport(
                    str(loop_dir), completed, state.round, state.step, done, state.history, waiting=progress.line()
                )
        mark_folder(loop_dir, "loop", label="loop folder")
        report_progress(on_progress, f"round {state.round}: {state.step}")
        step_progress = within(on_progress, f"round {state.round} {state.step}")
        summary = _run_step(state, loop_dir, connection, people, step_progress)
        done.append((state.round, state.step))
        step_round, step = state.round, state.step
        next_step(state)
        save_state(loop_dir, state)
        completed += step == STEPS[-1]
        if on_step:
            on_step(step_round, step, summary)
    return LoopReport(str(loop_dir), completed, state.round, state.step, done, state.history)


def _check_inputs(strategy: str, size: int, rounds: int, people: People, encoder: str | Path) -> None:
    """Libraries, the model and every option, before any pool is read or project asked."""
    require_libraries("loop")
    check_base_model(str(encoder))
    check_choice(strategy, size)
    check_min_done(people.min_done)
    if rounds < 1:
        raise InputError(f"rounds must be at least 1, got {rounds}")
    if people.wait and not people.poll_seconds > 0:
        raise InputError(
            f"--poll is the seconds between checks with --wait; it must be above 0, got {people.poll_seconds}"
        )
    if people.overlap is not None and people.overlap < 1:
        raise InputError(f"--overlap must be at least 1, got {people.overlap}")
    if people.min_alpha is not None and not -1 <= people.min_alpha <= 1:
        raise InputError(f"--min-alpha is a Krippendorff alpha, between -1 and 1; got {people.min_alpha}")


def _open_state(
    project: str,
    pool: str | Path,
    encoder: str | Path,
    loop_dir: Path,
    *,
    size: int,
    strategy: str,
    family: str,
    task: str | None,
    seed: int,
    overrides: list[str] | None,
) -> LoopState:
    """The loop's state, read or new; nothing is written here."""
    state = read_state(loop_dir)
    if state is None:
        check_output(loop_dir, "dir", output="loop", label="loop folder")
        return LoopState(
            project=str(project),
            pool=str(pool),
            encoder=str(encoder),
            size=size,
            strategy=strategy,
            family=family,
            task=task,
            seed=seed,
            overrides=list(overrides or []),
        )
    if state.project != str(project):
        raise InputError(
            f"{loop_dir} runs the loop of project {state.project!r}, not {project!r}", hint="use another loop folder"
        )
    state.pool, state.size, state.strategy = str(pool), size, strategy  # what may change between runs
    return state


def _await_round(state: LoopState, people: People, connection: Connection | None) -> RoundProgress:
    """The progress of the round the next pull needs; with ``wait``, polled until it is complete."""
    while True:
        progress = round_progress(
            state.project, state.pushed_round, overlap=people.overlap, min_done=people.min_done, connection=connection
        )
        if progress.complete or not people.wait:
            return progress
        if people.on_wait:
            people.on_wait(progress)
        time.sleep(people.poll_seconds)


def _repull(state: LoopState, loop_dir: Path) -> None:
    """Back to the round's pull (after adjudication), when the round has not trained yet."""
    if state.step == STEPS[0]:
        return  # about to pull anyway
    if state.step not in ("export", "agreement"):
        raise InputError(
            f"--repull goes back to round {state.round}'s pull before training; the loop is at step {state.step!r}",
            hint="re-run without --repull",
        )
    gate = state.round_dir(loop_dir) / "agreement"
    if gate.is_dir():
        shutil.rmtree(gate)  # the loop's own report of the annotations being pulled again
    state.step = STEPS[0]


def _run_step(
    state: LoopState, loop_dir: Path, connection: Connection | None, people: People, on_progress: Progress | None
) -> str:
    if state.step == "agreement":
        return _agreement(state, loop_dir, people.min_alpha)
    summary = STEP_FUNCTIONS[state.step](state, loop_dir, connection, on_progress)
    if state.step == "evaluate":
        state.history.append({"round": state.round, **summary_metrics(state, loop_dir)})
    return summary


# -- the steps -------------------------------------------------------------------------
def _pull(state: LoopState, loop_dir: Path, connection: Connection | None, on_progress: Progress | None) -> str:
    folder = state.round_dir(loop_dir)
    folder.mkdir(parents=True, exist_ok=True)
    report = pull(state.project, out=folder / "annotations.parquet", connection=connection, on_progress=on_progress)
    if report.annotations - report.cancelled <= 0:
        raise InputError(
            f"project {state.project!r} has no annotations yet; the loop trains on them",
            hint="annotate a first round (annotate push --round-size N), then run the loop",
        )
    return f"{report.annotations} annotations ({report.cancelled} skipped) of project {report.project_title!r}"


def _export(state: LoopState, loop_dir: Path, connection: Connection | None, on_progress: Progress | None) -> str:
    folder = state.round_dir(loop_dir)
    report = run_export(
        folder / "annotations.parquet", folder / "export", ExportOptions(seed=state.seed), on_progress=on_progress
    )
    return f"{report.items_annotated} items exported, splits {report.split_sizes}"


def _train(state: LoopState, loop_dir: Path, connection: Connection | None, on_progress: Progress | None) -> str:
    folder = state.round_dir(loop_dir)
    model = folder / "model"
    if not (model / "config.yaml").is_file():  # else: trained before a kill, not yet recorded
        previous = state.round_dir(loop_dir, state.round - 1) / "model"
        base = warm_start(previous) if state.round > 1 and (previous / "config.yaml").is_file() else Path(state.encoder)
        resume = run_dir(model).is_dir() and any(run_dir(model).glob("checkpoint-*"))
        train_model(
            str(folder / "export"),
            family=state.family,
            model=str(base),
            out_dir=model,
            task=_task(state, folder),
            overrides=[f"seed={state.seed}", *state.overrides],
            resume=resume,
            on_progress=on_progress,
        )
    with atomic_open(loop_dir / CURRENT_MODEL) as handle:  # `serve LOOP_DIR` answers with it from now on
        handle.write(f"{model.resolve()}\n")
    return f"model {model_version(model)}"


def _evaluate(state: LoopState, loop_dir: Path, connection: Connection | None, on_progress: Progress | None) -> str:
    folder = state.round_dir(loop_dir)
    metrics = evaluate_model(folder / "model", str(folder / "export"), split="test", task=_task(state, folder))
    write_json(folder / "evaluation.json", metrics)
    shown = {
        k: round(v, 4)
        for k, v in metrics.items()
        if k in ("macro_f1", "accuracy", "f1", "pearson", "spearman") and isinstance(v, (int, float))
    }
    return "test " + ", ".join(f"{k} {v}" for k, v in shown.items())


def _agreement(state: LoopState, loop_dir: Path, min_alpha: float | None) -> str:
    folder = state.round_dir(loop_dir)
    facts = round_gate(folder / "annotations.parquet", folder / "agreement", state.pushed_round)
    check_gate(facts, min_alpha, folder / "agreement")
    return f"round {facts.round}: {facts.describe()}" if facts.round is not None else facts.describe()


def _next_round(state: LoopState, loop_dir: Path, connection: Connection | None, on_progress: Progress | None) -> str:
    folder = state.round_dir(loop_dir)
    out = folder / "next-round.parquet"
    if (
        selection_path(out).is_file() and out.is_file()
    ):  # chosen (and perhaps pushed) before a kill: push, never rechoose
        facts = json.loads(selection_path(out).read_text(encoding="utf-8"))
        predicted = "prediction" in _columns(out)
        report = push(
            out,
            schema=_project_schema(state, connection),
            project=facts["project"],
            predictions_column="prediction" if predicted else None,
            prediction_score_column="prediction_score" if predicted else None,
            model_version=facts["model_version"] if predicted else None,
            connection=connection,
            on_progress=on_progress,
        )
        state.pushed_round = facts["round"]
        return f"round {facts['round']} pushed again after a stop: {report.created} imported, {report.skipped} there"
    report = next_round(
        state.project,
        state.pool,
        folder / "model",
        size=state.size,
        out=out,
        strategy=state.strategy,
        seed=state.seed + state.round,
        connection=connection,
        on_progress=on_progress,
    )
    state.pushed_round = report.round
    return (
        f"round {report.round}: {report.chosen} of {report.candidates} pool items chosen by {report.strategy}, "
        f"{report.pushed} pushed"
    )


STEP_FUNCTIONS = {"pull": _pull, "export": _export, "train": _train, "evaluate": _evaluate, "next-round": _next_round}


# -- helpers -----------------------------------------------------------------------------
def warm_start(model_dir: Path) -> Path:
    """A base-model folder of a trained model: its fine-tuned encoder and its tokenizer (hard links)."""
    target = model_dir.parent / "warm-start"
    if (target / "config.json").is_file():
        return target
    sources = [p for p in (model_dir / "encoder").iterdir() if p.is_file()]
    sources += [model_dir / name for name in TOKENIZER_FILES if (model_dir / name).is_file()]
    with atomic_path(target, output="warm-start", label="warm-start folder") as tmp:
        tmp.mkdir()
        for source in sources:
            try:
                os.link(source, tmp / source.name)
            except OSError:
                shutil.copy2(source, tmp / source.name)
    return target


def summary_metrics(state: LoopState, loop_dir: Path) -> dict[str, Any]:
    path = state.round_dir(loop_dir) / "evaluation.json"
    metrics = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _task(state: LoopState, folder: Path) -> str:
    """The task trained on: the one asked for, else the export's first (the schema's own target)."""

    return state.task or configs(folder / "export")[0]


def _columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return pq.read_schema(path).names


def _project_schema(state: LoopState, connection: Connection | None):
    return resolve_schema(prj.require_project(connect(connection), state.project), None)
