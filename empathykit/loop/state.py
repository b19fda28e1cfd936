"""Where a loop is: ``LOOP_DIR/loop-state.json``, rewritten atomically after every step.

A killed loop resumes at the step it was in: a step is recorded as done only once its outputs
are complete, and every step can run again over its own half-written outputs (pull and export
rewrite theirs, training resumes from its checkpoints, a pushed round is pushed again, which
imports only what is missing). A state written before the agreement step existed resumes
as it was (its steps keep their names).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from empathykit.errors import InputError
from empathykit.io import write_json

STATE_FILE = "loop-state.json"
STEPS = ("pull", "export", "agreement", "train", "evaluate", "next-round")


@dataclass
class LoopState:
    project: str
    pool: str
    encoder: str
    size: int
    strategy: str = "uncertainty"
    family: str = "classifier"
    task: str | None = None
    seed: int = 0
    overrides: list[str] = field(default_factory=list)
    round: int = 1
    step: str = "pull"
    #: the project round the loop pushed last, which the next pull waits for (None: the project's newest)
    pushed_round: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def round_dir(self, loop_dir: Path, number: int | None = None) -> Path:
        return Path(loop_dir) / f"round-{number or self.round}"


def read_state(loop_dir: str | Path) -> LoopState | None:
    path = Path(loop_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        return LoopState(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise InputError(f"{path}: not a loop state ({error})", hint="remove the file to start the loop over") from None


def save_state(loop_dir: str | Path, state: LoopState) -> None:
    write_json(Path(loop_dir) / STATE_FILE, asdict(state))


def next_step(state: LoopState) -> None:
    """Advance to the following step (the round's last step opens the next round)."""
    position = STEPS.index(state.step)
    if position + 1 < len(STEPS):
        state.step = STEPS[position + 1]
    else:
        state.round, state.step = state.round + 1, STEPS[0]
