"""Retrieval: the planted nearest story comes first, the cache is reused, bad corpora are one line,
and EmpathicStories' retrieval metrics on hand-computed rankings."""

from __future__ import annotations

import json

import pytest

from empathykit.errors import InputError
from tests.train_fixtures import pair_data, similarity_settings, tiny_model


@pytest.fixture(scope="module")
def model_dir(tiny_model, tmp_path_factory):
    from empathykit.train.families import get_family

    out = tmp_path_factory.mktemp("ret") / "model"
    get_family("similarity").train(pair_data(32), similarity_settings(tiny_model, epochs=1), out)
    return out


def test_planted_nearest_story_first_and_cache_reused(model_dir, tmp_path, monkeypatch):
    from empathykit.train.retrieval import retrieve

    monkeypatch.setenv("EMPATHYKIT_CACHE", str(tmp_path / "cache"))  # not the user's own cache

    planted = "my friend was so sad and hurt today"
    others = ["we win the party", "sunny fun day", "the great happy win", "a very fun party today"]
    corpus = tmp_path / "stories.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": f"s{i}", "story": t}) + "\n" for i, t in enumerate(others[:2] + [planted] + others[2:])
        ),
        encoding="utf-8",
    )
    first = retrieve(model_dir, corpus, [planted], k=3)
    assert first["results"][0]["id"] == "s2" and first["results"][0]["score"] == pytest.approx(1.0, abs=1e-4)
    assert [r["rank"] for r in first["results"]] == [1, 2, 3] and not first["cached"]
    again = retrieve(model_dir, corpus, [planted], k=3, index="usearch")
    assert again["cached"] and again["results"][0]["id"] == "s2"
    with pytest.raises(InputError, match="corpus has 5 stories"):
        retrieve(model_dir, corpus, [planted], k=6)


def test_corpus_without_stories_is_one_line(model_dir, tmp_path):
    from empathykit.train.retrieval import retrieve

    empty = tmp_path / "empty.csv"
    empty.write_text("story,id\n,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no stories"):
        retrieve(model_dir, empty, ["a query"], k=1)


def test_retrieval_metrics_hand_computed():
    from empathykit.train.metrics import retrieval_metrics

    # query q has three partners: human 4 > 2 > 1; model ranks them 2nd, 1st, 3rd
    metrics = retrieval_metrics(["q", "q", "q"], ["a", "b", "c"], [4, 2, 1], [0.5, 0.9, 0.1])
    assert metrics["queries"] == 1 and metrics["precision_at_1"] == 0.0
    assert metrics["kendall_tau"] == pytest.approx(1 / 3)  # 2 concordant, 1 discordant of 3
    assert metrics["spearman_rho"] == pytest.approx(0.5)  # 1 - 6*2/(3*8)
    tied = retrieval_metrics(["q", "q"], ["a", "b"], [3, 3], [0.2, 0.8])
    assert tied["precision_at_1"] == 1.0  # ties: either human-top story counts


def test_retrieve_command_writes_jsonl_and_rejects_large_k(model_dir, tmp_path):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    corpus = tmp_path / "stories.txt"
    corpus.write_text("we win the party\nmy friend was so sad\nsunny fun day\n", encoding="utf-8")
    out = tmp_path / "hits.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "retrieve",
            str(model_dir),
            "--corpus",
            str(corpus),
            "-k",
            "2",
            "--query",
            "my friend was so sad",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in out.read_text().splitlines()]
    assert [h["rank"] for h in hits] == [1, 2] and hits[0]["text"] == "my friend was so sad"
    bad = CliRunner().invoke(app, ["retrieve", str(model_dir), "--corpus", str(corpus), "-k", "9", "--query", "x"])
    assert bad.exit_code != 0 and "corpus has 3 stories" in bad.output
