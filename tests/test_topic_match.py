"""The topic stage's matching modes (issue 8, point 8)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.pipelines.filtering import FilterConfig, filter_batch
from empathykit.pipelines.posts import rows_to_batch

# every text carries a lexicon word ("pain") and enough tokens; only the topic term's form differs
TEXTS = {
    "word": "my cancer pain is back again today",
    "hashtag": "so much pain again today #cancer",
    "plural": "two cancers and the pain never stops",
    "plural_hashtag": "so much pain again today #cancers",
    "compound_hashtag": "so much pain again today #cancersurvivor",
    "inside": "the anticancer drugs bring pain every day",
    "mention": "@cancerfund the pain is real for me today",
    "other": "my back pain is back again today",
}
EXPECTED = {
    "word": {"word", "hashtag"},
    "prefix": {"word", "hashtag", "plural", "plural_hashtag", "compound_hashtag"},
    "substring": {"word", "hashtag", "plural", "plural_hashtag", "compound_hashtag", "inside"},
}


def _kept(match: str) -> set[str]:
    names = list(TEXTS)
    batch = rows_to_batch([{"id": name, "text": TEXTS[name], "lang": "en"} for name in names])
    config = FilterConfig(topic_match=match, exact_dedup=False, near_dedup=False)
    kept, counts = filter_batch(batch, config)
    assert counts["topic"] == len(names) - kept.num_rows
    return set(kept.column("id").to_pylist())


@pytest.mark.parametrize("match", sorted(EXPECTED))
def test_topic_match_modes(match):
    # mentions are masked to <USER> before the topic stage, so @cancerfund never counts
    assert _kept(match) == EXPECTED[match]


def test_default_is_whole_words():
    assert FilterConfig().topic_match == "word" and _kept("word") == EXPECTED["word"]


def test_unknown_mode_is_one_line():
    with pytest.raises(InputError, match="unknown topic match 'fuzzy'; expected one of word, prefix, substring"):
        FilterConfig(topic_match="fuzzy")


def test_cli_option_and_counts_file(tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("id,text\n" + "".join(f"{k},{v}\n" for k, v in TEXTS.items()), encoding="utf-8")
    out = tmp_path / "kept.parquet"
    result = CliRunner().invoke(app, ["filter", str(source), "-o", str(out), "--topic-match", "prefix"])
    assert result.exit_code == 0, result.output
    assert set(pq.read_table(out)["id"].to_pylist()) == EXPECTED["prefix"]
    counts = json.loads((tmp_path / "kept.counts.json").read_text())
    assert counts["config"]["topic_match"] == "prefix"
    topic = next(s for s in counts["stages"] if s["stage"] == "topic")
    assert topic["dropped"] == len(TEXTS) - len(EXPECTED["prefix"])
