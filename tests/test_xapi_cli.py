"""`empathykit collect search|stream|hydrate|queries|rules` through the CLI, the token from the environment."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers
from test_xapi_support import TOKEN, load, replay, tweet_ids
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.xapi.client import HOST, STREAM_RULES, TWEETS_LOOKUP

QUERY = "(healing OR grief) cancer lang:en -is:retweet"
RULES = load("rules_list.json")["exchanges"][0]["body"]["data"]


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def _invoke(runner, *args):
    result = runner.invoke(app, ["collect", *args])
    assert TOKEN not in result.output
    return result


def test_search_builds_the_query_from_words_and_writes_pages(runner, tmp_path):
    out = tmp_path / "search.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json")
        result = _invoke(runner, "search", "-w", "healing", "-w", "grief", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # reports go to stderr
    assert "8 tweets in 3 pages" in result.stderr
    assert len(tweet_ids(out)) == 8
    assert out.with_name("search.jsonl.checkpoint.json").exists()
    assert TOKEN not in out.read_text() + out.with_name("search.jsonl.checkpoint.json").read_text()


def test_search_401_is_one_red_line_and_a_hint(runner, tmp_path):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_401.json")
        result = _invoke(runner, "search", "-q", QUERY, "-o", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error_lines == [
        "error: X API refused the bearer token for recent search (/2/tweets/search/recent) "
        "(401 Unauthorized): the token in X_BEARER_TOKEN is missing or wrong"
    ]


def test_archive_403_names_the_access_needed(runner, tmp_path):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_all_403.json")
        result = _invoke(runner, "search", "--archive", "-q", QUERY, "-o", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 1
    assert "full-archive search needs Pro or Academic Research access" in result.stderr


def test_missing_token(runner, monkeypatch, tmp_path):
    monkeypatch.delenv("X_BEARER_TOKEN")
    result = _invoke(runner, "search", "-q", QUERY, "-o", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 1 and "error: X_BEARER_TOKEN is not set" in result.stderr


def test_queries_prints_one_query_a_line_within_the_limit(runner):
    result = _invoke(runner, "queries", "--max-query-length", "200", "--topic", "cancer", "--topic", "chemo")
    assert result.exit_code == 0, result.output
    queries = result.stdout.splitlines()
    assert len(queries) > 5 and all(len(q) <= 200 for q in queries)
    assert all(q.endswith(" (cancer OR chemo) lang:en -is:retweet") for q in queries)
    assert f"{len(queries)} queries" in result.stderr


def test_queries_from_a_lexicon_file_top_n_without_operators(runner, tmp_path):
    lexicon = tmp_path / "empathy.csv"
    lexicon.write_text("word,rating\ngrief,6.1\nside effects,5.2\nhope,6.5\n")
    result = _invoke(
        runner, "queries", "--lexicon", str(lexicon), "--top", "2", "--no-topic", "--lang", "any", "--keep-retweets"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "(hope OR grief)\n"


def test_hydrate_command(runner, tmp_path):
    templates = load("lookup_templates.json")
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("1788000000000000001\n1788000000000000002\n")
    body = {
        "data": [{**templates["tweet"], "id": "1788000000000000001"}],
        "includes": {"users": [templates["user"]]},
        "errors": [{**templates["missing"], "value": "1788000000000000002"}],
    }
    out = tmp_path / "hydrated.jsonl"
    with responses.RequestsMock() as rsps:
        rsps.add(
            "GET",
            HOST + TWEETS_LOOKUP,
            json=body,
            match=[
                matchers.query_param_matcher({"ids": "1788000000000000001,1788000000000000002"}, strict_match=False)
            ],
        )
        result = _invoke(runner, "hydrate", str(ids_file), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "2 ids: 1 found, 1 missing" in result.stderr
    assert tweet_ids(out) == ["1788000000000000001"]


def test_stream_command(runner, tmp_path):
    out = tmp_path / "stream.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        replay(rsps, "stream_drop.json", only=[0])
        result = _invoke(runner, "stream", "--name", "cancer", "--max-tweets", "2", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "2 tweets" in result.stderr and "stopped: max-tweets" in result.stderr
    assert len(tweet_ids(out)) == 2


def test_rules_list_json_shows_only_our_rules(runner):
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        result = _invoke(runner, "rules", "list", "--json")
    assert result.exit_code == 0, result.output
    assert [r["tag"] for r in json.loads(result.stdout)] == ["empathykit:cancer", "empathykit:cancer"]


def test_rules_add_keeps_an_identical_rule(runner):
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")  # no POST registered: nothing may be added
        result = _invoke(runner, "rules", "add", "cancer", "-w", "healing", "-w", "grief")
    assert result.exit_code == 0, result.output
    assert "empathykit:cancer: 0 added, 1 already there, 0 deleted" in result.stderr


def test_rules_delete_needs_a_name_or_all_and_spares_other_rules(runner):
    result = _invoke(runner, "rules", "delete")
    assert result.exit_code == 1 and "give a rule set NAME or --all" in result.stderr
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        rsps.add(
            "POST",
            HOST + STREAM_RULES,
            json={"meta": {"summary": {"deleted": 2, "not_deleted": 0}}},
            match=[matchers.json_params_matcher({"delete": {"ids": [RULES[0]["id"], RULES[1]["id"]]}})],
        )
        result = _invoke(runner, "rules", "delete", "--all")
    assert result.exit_code == 0, result.output
    assert "2 rules deleted" in result.stderr
