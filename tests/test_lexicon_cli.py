"""`empathykit lexicon` through the CLI."""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import whole_release
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.lexicons import load_lexicon

runner = CliRunner()


def _flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def test_show_and_stats_of_the_bundled_list():
    result = runner.invoke(app, ["lexicon", "show", "--top", "3", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["word", "empathy"] and [r[0] for r in rows[1:]] == ["healing", "grieve", "heartbreaks"]
    result = runner.invoke(app, ["lexicon", "stats", "--json"])
    stats = json.loads(result.stdout)
    assert stats["words"] == 199 and stats["duplicates"][0]["word"] == "depression"
    assert "depression" in result.stderr  # the duplicate is reported


def test_select_with_exclusions_and_topic_corpus(tmp_path):
    corpus = tmp_path / "topic.txt"
    corpus.write_text("healing after cancer\ngrief and healing\nsorrow in the ward\n")
    out = tmp_path / "chosen.csv"
    result = runner.invoke(
        app,
        [
            "lexicon",
            "select",
            "-o",
            str(out),
            "--top",
            "2",
            "--exclude",
            "healing",
            "--exclude",
            "cancer",
            "--topic-corpus",
            str(corpus),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_lexicon(out).words == ["sorrow", "grief"]


def test_score_adds_columns(tmp_path):
    source = tmp_path / "texts.parquet"
    pq.write_table(pa.table({"essay": ["grief and healing", "nothing"], "n": [1, 2]}), source)
    result = runner.invoke(
        app, ["lexicon", "score", str(source), "-o", str(tmp_path / "s.parquet"), "--text-column", "essay"]
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.column_names == [
        "essay",
        "n",
        "lexicon_matches",
        "lexicon_coverage",
        "empathy_score",
        "distress_score",
    ]
    assert table["lexicon_matches"].to_pylist() == [2, 0]


def test_bad_lexicon_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("word,rating\ngrief,high\n")
    result = runner.invoke(app, ["lexicon", "stats", "--lexicon", str(bad)])
    assert result.exit_code == 1 and "bad.csv, line 2: rating 'high'" in _flat(result.output)


def test_induce_on_newsemp(tmp_path):
    out = tmp_path / "newsemp_lexicon.csv"
    newsemp = whole_release("newsemp", "messages.csv")  # a held-out r needs the 1,860 messages
    result = runner.invoke(app, ["lexicon", "induce", str(newsemp), "-o", str(out), "--group-column", "response_id"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "newsemp_lexicon.report.json").read_text())
    assert report["dimensions"]["empathy"]["test_pearson_r"] > 0.2
    lexicon = load_lexicon(out)
    assert lexicon.dimensions == ["empathy", "distress"] and len(lexicon) == report["vocabulary"]
