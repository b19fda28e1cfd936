"""Lexicons: loading, duplicates, errors, scoring, selection, induction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import whole_release

from empathykit.errors import LexiconError
from empathykit.lexicons import (
    Lexicon,
    bundled_lexicon,
    lexicon_stats,
    load_lexicon,
    resolve_lexicon,
    score_texts,
    tokenize,
    write_lexicon,
)
from empathykit.lexicons.induce import induce_lexicon, pearson_r
from empathykit.lexicons.select import select_words, topic_document_frequency


def test_bundled_lexicon_matches_the_paper_and_resolves_depression():
    lexicon = bundled_lexicon()
    assert len(lexicon) == 199  # 200 rows, `depression` twice
    assert lexicon.rating("healing") == pytest.approx(6.596821)
    assert lexicon.rating("burning") == pytest.approx(5.083041)
    (dup,) = lexicon.duplicates
    assert dup.word == "depression" and dup.ratings["empathy"] == (5.704418, 5.648896)
    assert lexicon.rating("depression") == pytest.approx((5.704418 + 5.648896) / 2)
    assert bundled_lexicon("first").rating("depression") == pytest.approx(5.704418)
    assert bundled_lexicon("max").rating("depression") == pytest.approx(5.704418)
    assert bundled_lexicon("last").rating("depression") == pytest.approx(5.648896)
    with pytest.raises(LexiconError, match="'depression' occurs on lines 65, 73"):
        bundled_lexicon("error")


def test_bundled_file_is_the_shared_transcription():
    assert (
        Path(__file__).resolve().parents[1] / "empathykit/lexicons/lexicon_health_empathy_200.csv"
    ).read_bytes() == whole_release("lexicon_health_empathy_200.csv").read_bytes()


def test_published_headerless_form_and_dimension_from_name(tmp_path):
    (tmp_path / "empathy_lexicon.csv").write_text("Grief,5.5\nhope,4.25\n")
    (tmp_path / "distress_lexicon.csv").write_text("grief,6.0\npanic,6.5\n")
    empathy = load_lexicon(tmp_path / "empathy_lexicon.csv")
    assert empathy.dimensions == ["empathy"] and empathy.rating("GRIEF") == 5.5
    merged = resolve_lexicon(tmp_path / "empathy_lexicon.csv", distress=tmp_path / "distress_lexicon.csv")
    assert merged.words == ["grief", "hope", "panic"]
    assert merged.rating("grief", "distress") == 6.0 and merged.rating("panic", "empathy") is None
    assert load_lexicon(tmp_path / "distress_lexicon.csv").dimensions == ["distress"]


def test_tsv_and_named_columns(tmp_path):
    (tmp_path / "lex.tsv").write_text("id\tterm\tempathy_mean\tdistress_mean\n1\tloss\t5.1\t4.0\n2\tcalm\t3.0\t\n")
    lexicon = load_lexicon(tmp_path / "lex.tsv")
    assert lexicon.rating("loss", "distress") == 4.0 and lexicon.rating("calm", "distress") is None
    (tmp_path / "custom.csv").write_text("token,weird\nloss,2\n")
    with pytest.raises(LexiconError, match=r"custom\.csv, line 1: no recognisable word/rating columns"):
        load_lexicon(tmp_path / "custom.csv")
    assert load_lexicon(tmp_path / "custom.csv", rating_column="weird").rating("loss") == 2.0


@pytest.mark.parametrize(
    "content, message",
    [
        ("word,rating\ngrief,5\nhope,high\n", r"bad\.csv, line 3: rating 'high' for 'hope' is not a number"),
        ("alpha,beta\nx,y\n", r"bad\.csv, line 1: no recognisable word/rating columns"),
        ("word,rating\n,5\n", r"bad\.csv, line 2: empty word"),
        ("word,rating\ngrief\n", r"bad\.csv, line 2: expected at least 2 columns"),
        ("word,rating\ngrief,nan\n", r"bad\.csv, line 2: rating 'nan' for 'grief' is not a finite number"),
        ("", r"bad\.csv is empty"),
    ],
)
def test_bad_lexicon_files_name_file_and_line(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(LexiconError, match=message):
        load_lexicon(tmp_path / "bad.csv")


def test_written_lexicon_reads_back(tmp_path):
    lexicon = Lexicon(["a", "b"], {"empathy": np.array([1.5, 2.5]), "distress": np.array([np.nan, 3.0])})
    write_lexicon(lexicon, tmp_path / "out.csv", {"documents": [3, 4]})
    again = load_lexicon(tmp_path / "out.csv")
    assert again.words == ["a", "b"] and again.rating("a", "distress") is None and again.rating("b", "distress") == 3.0
    stats = lexicon_stats(again)
    assert stats["dimensions"]["empathy"]["mean"] == 2.0 and stats["dimensions"]["distress"]["rated"] == 1


def test_tokenize_and_score_by_hand():
    lexicon = Lexicon(
        ["a", "b", "don"], {"empathy": np.array([2.0, 4.0, 1.0]), "distress": np.array([np.nan, 6.0, np.nan])}
    )
    texts = pa.array(["A b, c <URL> #b", "nothing here", None, "<USER>"])
    assert tokenize(texts).to_pylist() == [["a", "b", "c", "b"], ["nothing", "here"], None, []]
    scores = score_texts(texts, lexicon).to_pylist()
    assert scores[0]["lexicon_matches"] == 3 and scores[0]["lexicon_coverage"] == 0.75
    assert scores[0]["empathy_score"] == pytest.approx(10 / 3) and scores[0]["distress_score"] == 6.0
    assert scores[1] == {"lexicon_matches": 0, "lexicon_coverage": 0.0, "empathy_score": None, "distress_score": None}
    assert scores[2]["lexicon_coverage"] is None and scores[3]["lexicon_coverage"] is None


def test_select_top_exclusions_and_topic():
    lexicon = Lexicon(["gaza", "grief", "zambia", "healing", "tea"], {"empathy": np.array([6.9, 6.0, 6.8, 6.5, 3.0])})
    chosen = select_words(lexicon, 2, exclude=["gaza"])
    assert chosen.lexicon.words == ["zambia", "healing"] and chosen.excluded == ["gaza"]
    frequency = topic_document_frequency([pa.array(["Healing after cancer", "grief and healing", "tea time"])])
    assert frequency["healing"] == 2 and frequency["cancer"] == 1
    on_topic = select_words(lexicon, 3, topic_frequency=frequency)
    assert on_topic.lexicon.words == ["healing", "grief", "tea"] and on_topic.off_topic == 2
    assert select_words(lexicon, 3, topic_words=["grief"], exclude=[]).lexicon.words == ["grief"]
    assert select_words(lexicon, 1, topic_frequency=frequency, min_topic_documents=2).lexicon.words == ["healing"]


def test_pearson_r_against_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert pearson_r(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])


def test_induce_recovers_planted_word_ratings():
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(30)]
    truth = rng.uniform(1, 7, size=30)
    docs = [rng.choice(30, size=12) for _ in range(600)]
    texts = [" ".join(vocab[i] for i in doc) for doc in docs]
    ratings = np.array([truth[doc].mean() for doc in docs]) + rng.normal(0, 0.2, size=600)
    result = induce_lexicon(texts, {"empathy": ratings}, seed=0)
    learned = np.array([result.lexicon.rating(w) for w in vocab])
    assert pearson_r(learned, truth) > 0.9
    assert result.report["dimensions"]["empathy"]["test_pearson_r"] > 0.8


@pytest.mark.parametrize("method", ["mean", "ridge"])
def test_induce_on_newsemp_held_out_correlation(method):
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(whole_release("newsemp", "messages.csv"))  # a held-out r needs the 1,860 messages
    result = induce_lexicon(
        table["essay"].to_pylist(),
        {"empathy": table["empathy"].to_numpy(), "distress": table["distress"].to_numpy()},
        groups=table["response_id"].to_pylist(),
        method=method,
        seed=0,
    )
    dims = result.report["dimensions"]
    # BoW models reach r ~ 0.3-0.4 on NewsEmp; a broken fit is near 0
    assert dims["empathy"]["test_pearson_r"] > 0.2 and dims["distress"]["test_pearson_r"] > 0.2
    assert result.report["test_documents"] + result.report["train_documents"] == 1860
    if method == "mean":  # ratings stay on the 1-7 scale of the documents
        values = result.lexicon.ratings["empathy"]
        assert 1 <= values.min() and values.max() <= 7 and not np.isnan(values).any()
