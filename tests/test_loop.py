"""``empathykit loop`` against the real Label Studio: a round end to end, killed between steps and resumed;
it waits for simulated annotators (accounts answering through the API) between rounds, and gates on agreement."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.loop.gate import GateError
from empathykit.loop.run import People, run_loop
from empathykit.loop.state import read_state
from empathykit.schemas import get_schema
from empathykit.serve.backend import CURRENT_MODEL
from tests.train_fixtures import make_rows, tiny_model

SEEK = get_schema("seek-provide")
TRAIN = ["epochs=3", "learning_rate=3e-3", "warmup_ratio=0", "eval_each_epoch=false", "save_steps=1000", "batch_size=8"]


class Killed(Exception):
    """Stands for the process being killed right after a step was recorded."""


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its bytes (empty when the folder does not exist)."""
    return (
        {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        if folder.exists()
        else {}
    )


def annotation_count(studio, project_id: int) -> int:
    tasks = studio.client().tasks.list(project=project_id, fields="all", page_size=1000)
    return sum((t.total_annotations or 0) + (t.cancelled_annotations or 0) for t in tasks)


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
    pool.write_text(
        "".join(
            json.dumps({"item_id": r["item_id"], "text": r["text"]}) + "\n"
            for r in make_rows(20, seed=6) + annotated[:5]
        )
    )  # 5 already in the project
    loop_dir = tmp_path / "loop"
    seen: list[tuple[int, str]] = []

    def kill_after_train(number: int, step: str, summary: str) -> None:
        seen.append((number, step))
        if step == "train":
            raise Killed

    common = dict(size=4, overrides=TRAIN, connection=studio.connection)
    with pytest.raises(Killed):
        run_loop(title, pool, tiny_model, loop_dir, on_step=kill_after_train, **common)
    assert seen == [(1, "pull"), (1, "export"), (1, "agreement"), (1, "train")]
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
    assert (chosen["pool"], chosen["in_project"]) == (25, 5)  # pool items in the project, not its 30 tasks

    # round 2 is pushed, not annotated: a re-run says how far it is and changes nothing, here or in the project
    command = [
        "loop",
        "-p",
        title,
        "-i",
        str(pool),
        "-m",
        str(tiny_model),
        "-o",
        str(loop_dir),
        "-n",
        "4",
        "--rounds",
        "2",
        *[a for s in TRAIN for a in ("--set", s)],
    ]
    before = snapshot(tmp_path), annotation_count(studio, report.project_id), len(studio.tasks(report.project_id))
    result = CliRunner().invoke(app, command, env=studio.env())
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "round 2: 0 of 4 tasks done, 0 annotators active; re-run when done, or --wait"
    round_two = [t for t in studio.tasks(report.project_id) if t["data"].get("round") == 2]
    assert len(round_two) == 4
    studio.submit(round_two[0]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
    after_one = annotation_count(studio, report.project_id)
    waiting = run_loop(title, pool, tiny_model, loop_dir, rounds=2, **common)
    assert waiting.waiting == "round 2: 1 of 4 tasks done, 1 annotator active; re-run when done, or --wait"
    assert waiting.steps == [] and (waiting.round, waiting.step) == (2, "pull")
    assert (
        snapshot(tmp_path),
        annotation_count(studio, report.project_id) - 1,
        len(studio.tasks(report.project_id)),
    ) == before
    assert after_one == before[1] + 1
    assert not (loop_dir / "round-2").exists()

    # --wait: the annotators finish (one skips) while the loop polls; then round 2 runs, warm-started
    polled: list[str] = []

    def finish_the_round(progress) -> None:
        polled.append(progress.line(waiting=True))
        if len(polled) == 1:
            studio.submit(round_two[1]["id"], SEEK.to_results({"empathy": "none"}), annotator)
            studio.submit(round_two[2]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
            studio.submit(round_two[3]["id"], [], annotator, was_cancelled=True)

    steps: list[str] = []
    people = People(wait=True, poll_seconds=0.05, on_wait=finish_the_round)
    second = run_loop(
        title,
        pool,
        tiny_model,
        loop_dir,
        rounds=2,
        people=people,
        on_step=lambda n, step, summary: steps.append(f"round {n} {step}: {summary}"),
        **common,
    )
    assert polled == ["round 2: 1 of 4 tasks done, 1 annotator active; waiting"]
    assert [line.split(":")[0] for line in steps] == [
        f"round 2 {s}" for s in ("pull", "export", "agreement", "train", "evaluate", "next-round")
    ]
    assert "34 annotations (1 skipped)" in steps[0]
    assert (second.round, second.step, second.waiting) == (3, "pull", None)
    assert read_state(loop_dir).pushed_round == 3
    finished = CliRunner().invoke(app, command, env=studio.env())
    assert finished.exit_code == 0 and "2 round(s) done" in finished.output, finished.output
    warm = loop_dir / "round-1" / "warm-start"
    assert (warm / "config.json").is_file() and (warm / "tokenizer.json").is_file()
    import yaml

    config = yaml.safe_load((loop_dir / "round-2" / "model" / "config.yaml").read_text())
    assert config["settings"]["model"] == str(warm)
    assert (loop_dir / CURRENT_MODEL).read_text().strip().endswith("round-2/model")
    # round 2's export card names the model that pre-labelled the items round 1 chose
    card = (loop_dir / "round-2" / "export" / "README.md").read_text()
    assert "## Pre-labelling" in card and f"`{chosen['model_version']}` (4 items)" in card


def one_round(studio, name: str, n: int, *, seed: int, overlap: int):
    """A new project holding ``n`` rows as round 1, each task for ``overlap`` annotators."""
    title = studio.project_title(name)
    rows = make_rows(n, seed=seed)
    report = push(
        [{"item_id": r["item_id"], "text": r["text"]} for r in rows],
        schema="seek-provide",
        project=title,
        round_size=n,
        overlap=overlap,
        connection=studio.connection,
    )
    return title, rows, report


@pytest.mark.studio
def test_loop_on_a_half_annotated_first_round_writes_nothing(studio, tiny_model, tmp_path):
    title, _, report = one_round(studio, "loop-half", 10, seed=7, overlap=2)
    first, second = studio.make_annotators(2)
    tasks = studio.tasks(report.project_id)
    for task in tasks[:6]:
        studio.submit(task["id"], SEEK.to_results({"empathy": "none"}), first)
    for task in tasks[:3]:
        studio.submit(task["id"], SEEK.to_results({"empathy": "none"}), second)
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"item_id": "p1", "text": "a text"}) + "\n")
    loop_dir = tmp_path / "loop"
    kept = run_loop(title, pool, tiny_model, loop_dir, size=2, overrides=TRAIN, connection=studio.connection)
    assert kept.waiting == "round 1: 3 of 10 tasks done, 2 annotators active; re-run when done, or --wait"
    assert not loop_dir.exists()
    # an overlap of one counts 6 tasks done; --min-done 0.7 needs 7 of them
    one = People(overlap=1, min_done=0.7)
    kept = run_loop(
        title, pool, tiny_model, loop_dir, size=2, overrides=TRAIN, connection=studio.connection, people=one
    )
    assert kept.waiting == ("round 1: 6 of 10 tasks done, 2 annotators active (7 needed); re-run when done, or --wait")
    assert not loop_dir.exists()


@pytest.mark.studio
def test_agreement_gate_stops_before_training_and_the_resumed_loop_reuses_the_round(studio, tiny_model, tmp_path):
    title, rows, report = one_round(studio, "loop-gate", 16, seed=8, overlap=3)
    careful, also_careful, careless = studio.make_annotators(3)
    truth = {r["item_id"]: ("seeking" if r["label"] else "none") for r in rows}
    for number, task in enumerate(studio.tasks(report.project_id)):
        label = truth[task["data"]["item_id"]]
        studio.submit(task["id"], SEEK.to_results({"empathy": label}), careful)
        studio.submit(task["id"], SEEK.to_results({"empathy": label if number % 4 else "providing"}), also_careful)
        studio.submit(task["id"], SEEK.to_results({"empathy": ("none", "seeking", "providing")[number % 3]}), careless)
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        "".join(json.dumps({"item_id": r["item_id"], "text": r["text"]}) + "\n" for r in make_rows(8, seed=9))
    )
    loop_dir = tmp_path / "loop"
    common = dict(size=2, overrides=TRAIN, connection=studio.connection)
    with pytest.raises(GateError) as stopped:
        run_loop(title, pool, tiny_model, loop_dir, people=People(min_alpha=0.95), **common)
    line = str(stopped.value)
    assert "\n" not in line and "is below --min-alpha 0.95" in line
    assert str(loop_dir / "round-1" / "agreement" / "report.md") in line and f"without {careless.email}" in line
    assert (read_state(loop_dir).round, read_state(loop_dir).step) == (1, "agreement")
    kept = snapshot(loop_dir)
    assert {
        "round-1/annotations.parquet",
        "round-1/agreement/report.md",
        "round-1/agreement/gate.json",
        "round-1/export/README.md",
    } <= set(kept)
    assert not (loop_dir / "round-1" / "model").exists()

    # the same gate again: the stored report answers, nothing is pulled or computed again
    with pytest.raises(GateError):
        run_loop(title, pool, tiny_model, loop_dir, people=People(min_alpha=0.95), **common)
    assert snapshot(loop_dir) == kept

    # a lower gate goes on from the stored round: training starts on its export
    seen: list[str] = []

    def stop_after_train(number: int, step: str, summary: str) -> None:
        seen.append(step)
        if step == "train":
            raise Killed

    with pytest.raises(Killed):
        run_loop(title, pool, tiny_model, loop_dir, people=People(min_alpha=-0.5), on_step=stop_after_train, **common)
    assert seen == ["agreement", "train"]
    assert {k: v for k, v in snapshot(loop_dir).items() if k in kept and k != "loop-state.json"} == {
        k: v for k, v in kept.items() if k != "loop-state.json"
    }
    with pytest.raises(Exception, match="--repull goes back"):
        run_loop(title, pool, tiny_model, loop_dir, repull=True, **common)
    assert read_state(loop_dir).step == "evaluate"  # refused before anything changed
