"""``empathykit loop`` against the real Label Studio: a round end to end, killed between steps and resumed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.loop.run import run_loop
from empathykit.loop.state import read_state
from empathykit.schemas import get_schema
from empathykit.serve.backend import CURRENT_MODEL
from tests.train_fixtures import make_rows, tiny_model  # noqa: F401  (fixture)

SEEK = get_schema("seek-provide")
TRAIN = ["epochs=3", "learning_rate=3e-3", "warmup_ratio=0", "eval_each_epoch=false", "save_steps=1000",
         "batch_size=8"]


class Killed(Exception):
    """Stands for the process being killed right after a step was recorded."""


@pytest.mark.studio
def test_loop_killed_between_steps_resumes_at_its_step(studio, tiny_model, tmp_path):
    title = studio.project_title("loop")
    annotated = make_rows(30, seed=5)
    items = [{"item_id": r["item_id"], "text": r["text"]} for r in annotated]
    report = push(items, schema="seek-provide", project=title, round_size=30, connection=studio.connection)
    (annotator,) = studio.make_annotators(1)
    labels = {r["item_id"]: ("seeking" if r["label"] else "none") for r in annotated}
    for task in studio.tasks(report.project_id):
        studio.submit(task["id"], SEEK.to_results({"empathy": labels[task["data"]["item_id"]]}), annotator)
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"item_id": r["item_id"], "text": r["text"]}) + "\n"
                            for r in make_rows(20, seed=6) + annotated[:5]))  # 5 already in the project
    loop_dir = tmp_path / "loop"
    seen: list[tuple[int, str]] = []

    def kill_after_train(number: int, step: str, summary: str) -> None:
        seen.append((number, step))
        if step == "train":
            raise Killed

    common = dict(size=4, overrides=TRAIN, connection=studio.connection)
    with pytest.raises(Killed):
        run_loop(title, pool, tiny_model, loop_dir, on_step=kill_after_train, **common)
    assert seen == [(1, "pull"), (1, "export"), (1, "train")]
    state = read_state(loop_dir)
    assert (state.round, state.step) == (1, "evaluate")
    model = loop_dir / "round-1" / "model"
    trained_at = (model / "config.yaml").stat().st_mtime_ns
    assert (loop_dir / CURRENT_MODEL).read_text().strip() == str(model.resolve())

    resumed = run_loop(title, pool, tiny_model, loop_dir, **common)
    assert resumed.steps == [(1, "evaluate"), (1, "next-round")]  # nothing before the kill runs again
    assert (model / "config.yaml").stat().st_mtime_ns == trained_at
    assert (resumed.round, resumed.step) == (2, "pull")
    assert "accuracy" in json.loads((loop_dir / "round-1" / "evaluation.json").read_text())
    assert resumed.history[0]["round"] == 1 and "accuracy" in resumed.history[0]
    chosen = json.loads((loop_dir / "round-1" / "next-round.selection.json").read_text())
    tasks = studio.tasks(report.project_id)
    assert len(tasks) == 34 and {c["item_id"] for c in chosen["chosen"]} <= {t["data"]["item_id"] for t in tasks}
    assert chosen["candidates"] == 20 and chosen["round"] == 2

    # round 2 through the command: warm start from round 1's fine-tuned encoder, a line per step
    result = CliRunner().invoke(app, ["loop", "-p", title, "-i", str(pool), "-m", str(tiny_model),
                                      "-o", str(loop_dir), "-n", "4", *[a for s in TRAIN for a in ("--set", s)]],
                                env=studio.env())
    assert result.exit_code == 0, result.output
    for step in ("pull", "export", "train", "evaluate", "next-round"):
        assert f"round 2 {step}:" in result.output
    warm = loop_dir / "round-1" / "warm-start"
    assert (warm / "config.json").is_file() and (warm / "tokenizer.json").is_file()
    import yaml

    config = yaml.safe_load((loop_dir / "round-2" / "model" / "config.yaml").read_text())
    assert config["settings"]["model"] == str(warm)
    assert (loop_dir / CURRENT_MODEL).read_text().strip().endswith("round-2/model")
    # round 2's export card names the model that pre-labelled the items round 1 chose
    card = (loop_dir / "round-2" / "export" / "README.md").read_text()
    assert "## Pre-labelling" in card and f"`{chosen['model_version']}` (4 items)" in card
