"""Active learning: uncertainty scores, batch selection, and ``annotate next-round`` against the real Label Studio."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.active.outputs import model_outputs
from empathykit.active.strategies import select, uncertainty
from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.predict.predictions import predict_records
from tests.loop_fixtures import seek_classifier

POOL = [
    "sad hurt my day",
    "happy party fun",
    "the sad party",
    "win a sunny day",
    "sorry it was fun",
    "my friend is so lost",
    "we cry and win",
    "great day today",
    "the pain was very happy",
    "a sunny party",
]


def test_uncertainty_picks_the_items_nearest_the_boundary():
    probs = np.array([[0.99, 0.01], [0.55, 0.45], [0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    for method in ("uncertainty", "margin", "entropy"):
        assert select(uncertainty("choice", probs, method), 2, method).indices == [3, 1]
    assert uncertainty("choice", probs, "margin")[1] == pytest.approx(0.9)  # 1 - (0.55 - 0.45)


def test_multilabel_is_per_label_entropy_and_rating_the_variance():
    p = np.array([[0.5, 0.9], [0.1, 0.1]])
    h = lambda q: -(q * math.log(q) + (1 - q) * math.log(1 - q))
    assert uncertainty("multichoice", p, "entropy") == pytest.approx([(h(0.5) + h(0.9)) / 2, h(0.1)])
    samples = np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 2.0]])
    assert uncertainty("rating", samples).tolist() == pytest.approx([0.0, 2.0 / 3.0])


def test_diversity_never_picks_near_duplicates_together():
    # 0 and 1 are near-duplicates and the most uncertain; 2 is a little surer but elsewhere
    x = np.array([[1.0, 0.0, 0.0], [1.0, 0.01, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    scores = np.array([0.50, 0.49, 0.40, 0.05])
    assert select(scores, 2, "uncertainty").indices == [0, 1]
    assert select(scores, 2, "diversity", embeddings=x).indices == [0, 2]
    assert select(scores, 3, "diversity", embeddings=x).indices == [0, 2, 3]
    # an item already in the project counts as picked: its twin is not chosen
    assert select(scores, 1, "diversity", embeddings=x, labelled=x[:1]).indices == [2]
    picks = select(scores, 3, "random", seed=1).indices
    assert picks == select(scores, 3, "random", seed=1).indices and len(set(picks)) == 3
    with pytest.raises(InputError, match="unknown strategy 'best'"):
        select(scores, 2, "best")


def test_a_bad_strategy_or_size_is_one_line_before_any_work(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "annotate",
            "next-round",
            "-p",
            "x",
            "-i",
            str(tmp_path / "none.jsonl"),
            "--model",
            str(tmp_path),
            "-n",
            "5",
            "-o",
            str(tmp_path / "o.parquet"),
            "--strategy",
            "best",
        ],
    )
    # a closed set is checked by the parser (usage error, exit 2), before any work
    assert result.exit_code == 2 and "'best' is not one of" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 2  # one error: line, one hint: line
    result = CliRunner().invoke(
        app, ["loop", "-p", "x", "-i", "pool.jsonl", "-m", str(tmp_path), "-o", str(tmp_path / "loop"), "-n", "0"]
    )
    assert result.exit_code == 2 and "--size" in result.output and "greater than or equal to 1" in result.output
    assert not (tmp_path / "loop").exists()


def test_the_tiny_model_scores_match_its_predictions(seek_classifier):
    records = [{"text": t} for t in POOL]
    scored = model_outputs(seek_classifier, records)
    rows = predict_records(seek_classifier, records)
    # least confident = 1 - the probability predict_records reports for its label
    assert uncertainty("choice", scored.outputs) == pytest.approx([1 - r["prediction_score"] for r in rows], abs=1e-5)
    assert scored.embeddings.shape == (len(POOL), 32)


@pytest.mark.studio
def test_next_round_pushes_the_least_sure_items_with_predictions(studio_env, seek_classifier, tmp_path):
    title = studio_env.project_title("next-round")
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"item_id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(POOL)))
    rows = predict_records(seek_classifier, [{"text": t} for t in POOL])
    order = sorted(range(len(POOL)), key=lambda i: rows[i]["prediction_score"])
    runner = CliRunner()
    common = ["annotate", "next-round", "-p", title, "-i", str(pool), "--model", str(seek_classifier), "-n", "3"]
    result = runner.invoke(app, [*common, "-o", str(tmp_path / "r1.parquet"), "--schema", "seek-provide"])
    assert result.exit_code == 0, result.output
    chosen = pd.read_parquet(tmp_path / "r1.parquet")
    assert set(chosen["item_id"]) == {f"p{i}" for i in order[:3]}  # nearest the boundary
    assert list(chosen["prediction"]) == [rows[int(i[1:])]["prediction"] for i in chosen["item_id"]]
    why = json.loads((tmp_path / "r1.selection.json").read_text())
    assert why["strategy"] == "uncertainty" and why["round"] == 1 and why["seed"] == 0
    assert [c["item_id"] for c in why["chosen"]] == list(chosen["item_id"])
    # round 2 leaves out what round 1 pushed: nothing twice
    result = runner.invoke(app, [*common, "-o", str(tmp_path / "r2.parquet"), "--strategy", "diversity"])
    assert result.exit_code == 0, result.output
    why = json.loads((tmp_path / "r2.selection.json").read_text())
    assert why["round"] == 2 and why["candidates"] == len(POOL) - 3
    tasks = studio_env.tasks(why["project_id"])
    assert len(tasks) == 6 and len({t["data"]["item_id"] for t in tasks}) == 6
    assert sorted(t["data"]["round"] for t in tasks) == [1, 1, 1, 2, 2, 2]
    stored = list(studio_env.client().predictions.list(project=why["project_id"]))
    assert len(stored) == 6 and all(p.score is not None and p.model_version for p in stored)


@pytest.mark.studio
def test_next_round_reads_the_config_and_loads_the_weights_once(studio_env, seek_classifier, tmp_path, monkeypatch):
    """Scoring the pool, the diversity centres and the pre-labels all come from one loaded model."""
    from pathlib import Path

    import safetensors.torch

    reads, loads = [], []
    read_text, load_file = Path.read_text, safetensors.torch.load_file

    def counting_read(self, *args, **kwargs):
        if self.name == "config.yaml":
            reads.append(self)
        return read_text(self, *args, **kwargs)

    def counting_load(path, *args, **kwargs):
        loads.append(path)
        return load_file(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read)
    monkeypatch.setattr(safetensors.torch, "load_file", counting_load)
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"item_id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(POOL)))
    from empathykit.active.nextround import next_round

    title = studio_env.project_title("loads-once")
    next_round(title, pool, seek_classifier, size=2, out=tmp_path / "r1.parquet", schema="seek-provide")
    reads.clear(), loads.clear()
    report = next_round(title, pool, seek_classifier, size=2, out=tmp_path / "r2.parquet", strategy="diversity")
    assert report.chosen == 2 and report.predicted == 2
    assert len([p for p in reads if p.parent == seek_classifier]) == 1
    assert [Path(p).name for p in loads] == ["heads.safetensors"]


@pytest.mark.studio
def test_next_round_on_story_pairs_pushes_rating_prelabels(studio_env, tmp_path):
    """A rating model (story-pair similarity, 1-4) pre-labels its round too: the variance of dropout samples
    chooses, and each chosen pair goes out with the model's rounded rating as Label Studio's prediction."""
    from empathykit.schemas import get_schema
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings
    from tests.loop_fixtures import TRAIN
    from tests.train_fixtures import build_tiny_model, pair_data, pair_rows

    model = tmp_path / "rating"
    settings = load_settings(
        get_family("classifier").settings_class, None, TRAIN, model=str(build_tiny_model(tmp_path / "base"))
    )
    get_family("classifier").train(pair_data(), settings, model)
    pool = tmp_path / "pairs.jsonl"
    pool.write_text(
        "".join(json.dumps({k: r[k] for k in ("item_id", "story_a", "story_b")}) + "\n" for r in pair_rows(12, 7))
    )
    report_out = tmp_path / "r1.parquet"
    result = CliRunner().invoke(
        app,
        [
            "annotate",
            "next-round",
            "-p",
            studio_env.project_title("pairs-round"),
            "-i",
            str(pool),
            "--model",
            str(model),
            "-n",
            "4",
            "-o",
            str(report_out),
            "--schema",
            "story-pair",
        ],
    )
    assert result.exit_code == 0, result.output
    chosen = pd.read_parquet(report_out)
    rows = predict_records(model, chosen[["story_a", "story_b"]].to_dict("records"))
    expected = {item: min(max(round(r["prediction"]), 1), 4) for item, r in zip(chosen["item_id"], rows)}
    assert dict(zip(chosen["item_id"], chosen["prediction"])) == expected
    why = json.loads((tmp_path / "r1.selection.json").read_text())
    assert why["kind"] == "rating"
    stored = list(studio_env.client().predictions.list(project=why["project_id"]))
    assert len(stored) == 4 and all(p.model_version == why["model_version"] for p in stored)
    schema = get_schema("story-pair")
    assert sorted(schema.parse_results(p.result)[0]["similarity_empathy"] for p in stored) == sorted(expected.values())
    # a rating model cannot pre-label a choice project: one line, before anything is chosen or pushed
    title = studio_env.project_title("wrong kind")
    refused = CliRunner().invoke(
        app,
        [
            "annotate",
            "next-round",
            "-p",
            title,
            "-i",
            str(pool),
            "--model",
            str(model),
            "-n",
            "2",
            "-o",
            str(tmp_path / "w.parquet"),
            "--schema",
            "seek-provide",
        ],
    )
    assert refused.exit_code != 0 and "predicts rating labels, but 'seek-provide'" in refused.output
    assert not (tmp_path / "w.parquet").exists() and not (tmp_path / "w.selection.json").exists()
    assert title not in {p.title for p in studio_env.client().projects.list()}
