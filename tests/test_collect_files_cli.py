"""`empathykit collect file` and `empathykit filter` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from empathykit.cli.main import app

SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"
runner = CliRunner()


def _flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def test_collect_file_then_filter(tmp_path):
    posts, kept = tmp_path / "posts.parquet", tmp_path / "kept.parquet"
    result = runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(posts)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(posts).num_rows == 151
    result = runner.invoke(app, ["filter", str(posts), "-o", str(kept), "--mask-emails", "--mask-phones"])
    assert result.exit_code == 0, result.output
    assert "near_duplicates" in _flat(result.output)
    counts = json.loads((tmp_path / "kept.counts.json").read_text())
    texts = pq.read_table(kept)["text"].to_pylist()
    assert len(texts) == counts["kept"] >= 40
    assert any("<EMAIL>" in t for t in texts) and any("<PHONE>" in t for t in texts)
    assert counts["config"]["mask_emails"] is True and counts["config"]["lexicon"]["words"] == 199


def test_filter_options(tmp_path):
    kept = tmp_path / "any.parquet"
    counts = tmp_path / "c.json"
    result = runner.invoke(
        app,
        [
            "filter",
            str(SAMPLE),
            "-o",
            str(kept),
            "--counts",
            str(counts),
            "--lang",
            "any",
            "--keep-retweets",
            "--topic",
            "cancer",
            "--topic",
            "cáncer",
            "--min-tokens",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    stages = {s["stage"]: s["dropped"] for s in json.loads(counts.read_text())["stages"]}
    assert stages["language"] == stages["retweets"] == stages["min_tokens"] == 0


def test_filter_with_a_custom_lexicon_and_dask_engine(tmp_path):
    lexicon = tmp_path / "words.csv"
    lexicon.write_text("word,rating\ngrief,6.0\nlove,5.5\n")
    posts = tmp_path / "posts.parquet"
    assert runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(posts)]).exit_code == 0
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    result = runner.invoke(app, ["filter", str(posts), "-o", str(local), "--lexicon", str(lexicon)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["filter", str(posts), "-o", str(dask), "--lexicon", str(lexicon), "--engine", "dask"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(dask).equals(pq.read_table(local))
    texts = pq.read_table(local)["text"].to_pylist()
    assert texts and all("grief" in t.lower() or "love" in t.lower() for t in texts)


def test_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "cancer pain here"}\nnot json\n')
    result = runner.invoke(app, ["collect", "file", str(bad), "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 1 and "bad.jsonl, line 2: not valid JSON" in _flat(result.output)
    assert "--skip-bad" in _flat(result.output)
    result = runner.invoke(app, ["collect", "file", str(bad), "-o", str(tmp_path / "o.parquet"), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "o.parquet").num_rows == 1
    csv = tmp_path / "notext.csv"
    csv.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["collect", "file", str(csv), "-o", str(tmp_path / "o2.parquet")])
    assert result.exit_code == 1 and "has no text column" in _flat(result.output)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["filter", str(empty), "-o", str(tmp_path / "f.parquet")])
    assert result.exit_code == 1 and "is empty" in _flat(result.output)
    result = runner.invoke(app, ["filter", str(SAMPLE), "-o", str(tmp_path / "f.parquet"), "--engine", "spark"])
    assert result.exit_code == 2 and "'spark' is not one of 'local'" in _flat(
        result.output
    )  # a choice: Typer lists them
