"""The query and rule builder: lexicon words + topic terms → length-limited X queries."""

from __future__ import annotations

import re

import pytest

from empathykit.errors import InputError, LexiconError
from empathykit.xapi.query import build_queries, lexicon_words, quote_term, unique_terms

TAIL = " cancer lang:en -is:retweet"


def _group_terms(query: str) -> list[str]:
    group = re.fullmatch(r"\((.*)\)" + re.escape(TAIL), query)
    assert group, query
    return group.group(1).split(" OR ")


def test_default_words_are_the_bundled_lexicon_in_rating_order():
    words = lexicon_words()
    assert len(words) == 199  # 200 rows, `depression` printed twice in the paper
    assert words[:3] == ["healing", "grieve", "heartbreaks"]
    assert lexicon_words(top=3) == words[:3]


@pytest.mark.parametrize("max_length", [120, 512, 1024])
def test_default_queries_cover_every_word_once_within_the_limit(max_length):
    words = lexicon_words()
    queries = build_queries(words, max_length=max_length)
    assert all(len(q) <= max_length for q in queries)
    covered = [term for q in queries for term in _group_terms(q)]
    assert covered == unique_terms(words)  # every word, once, in lexicon order
    # greedy packing: the next query's first word would not have fitted in the previous one
    for before, after in zip(queries, queries[1:]):
        assert len(before) + len(" OR ") + len(_group_terms(after)[0]) > max_length
    assert build_queries(words, max_length=max_length) == queries


def test_split_at_the_exact_boundary():
    words = ["aaaa", "bbbb", "cccc", "dddd"]
    fits_three = len("(aaaa OR bbbb OR cccc)" + TAIL)
    assert build_queries(words, max_length=fits_three) == ["(aaaa OR bbbb OR cccc)" + TAIL, "(dddd)" + TAIL]
    assert build_queries(words, max_length=fits_three - 1) == ["(aaaa OR bbbb)" + TAIL, "(cccc OR dddd)" + TAIL]


def test_quoting_of_phrases_punctuation_and_operator_words():
    assert quote_term("hope") == "hope"
    assert quote_term("#cancersucks") == "#cancersucks"
    assert quote_term("side  effects") == '"side effects"'
    assert quote_term("can't") == '"can\'t"'
    assert quote_term("well-being") == '"well-being"'
    assert quote_term("OR") == '"OR"'
    assert quote_term('"chemo brain"') == '"chemo brain"'
    assert unique_terms(["Hope", "hope", "HOPE", "side effects"]) == ["Hope", '"side effects"']


def test_topics_language_and_retweet_options():
    assert build_queries(["hope", "side effects"], ["cancer", "chemo"]) == [
        '(hope OR "side effects") (cancer OR chemo) lang:en -is:retweet'
    ]
    assert build_queries(["hope"], [], lang=None, exclude_retweets=False) == ["(hope)"]
    assert build_queries(["hope"], ["leukemia"], lang="es") == ["(hope) leukemia lang:es -is:retweet"]


def test_term_longer_than_the_limit_is_refused():
    with pytest.raises(InputError, match="does not fit in a query of 40 characters"):
        build_queries(["a" * 20], max_length=40)
    with pytest.raises(InputError, match="no lexicon words"):
        build_queries([])


def test_words_from_a_lexicon_file(tmp_path):
    published = tmp_path / "empathy_lexicon.txt"  # the Sedoc et al. form: headerless word,rating
    published.write_text("grief,6.1\nhope,5.2\nzambia,6.9\n")
    assert lexicon_words(published) == ["grief", "hope", "zambia"]
    assert lexicon_words(published, top=2) == ["zambia", "grief"]
    bad = tmp_path / "bad.csv"
    bad.write_text("word,rating\ngrief,high\n")
    with pytest.raises(LexiconError, match="line 2"):
        lexicon_words(bad)
    with pytest.raises(InputError, match="--top must be at least 1"):
        lexicon_words(top=0)
