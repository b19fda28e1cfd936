"""Choose filter words from a lexicon: the top N by rating, minus an
exclusion list, restricted to a topic.

The TwittEmp recipe took the 200 highest-rated empathy words relevant to
health, dropping high-rated words unrelated to it (gaza, zambia, myanmar).
The topic restriction here is either an explicit word list or a topic corpus
(posts already known to be on topic): a word is kept only if it occurs in at
least ``min_topic_documents`` of its documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from empathykit.errors import InputError, path_problem
from empathykit.lexicons.lexicon import Lexicon
from empathykit.lexicons.scoring import tokenize


@dataclass
class Selection:
    lexicon: Lexicon
    excluded: list[str]  # excluded words that were in the lexicon
    off_topic: int  # top-rated candidates dropped by the topic restriction


def topic_document_frequency(texts: Iterable[pa.Array]) -> dict[str, int]:
    """Number of documents each token occurs in, over batches of texts."""
    totals: dict[str, int] = {}
    for batch in texts:
        tokens = tokenize(batch)
        pairs = pa.table({"doc": pc.list_parent_indices(tokens), "token": pc.list_flatten(tokens)})
        df = pairs.group_by(["doc", "token"]).aggregate([]).group_by("token").aggregate([("doc", "count")])
        for token, count in zip(df["token"].to_pylist(), df["doc_count"].to_pylist()):
            totals[token] = totals.get(token, 0) + count
    return totals


def select_words(
    lexicon: Lexicon,
    n: int = 200,
    *,
    dimension: str = "empathy",
    exclude: Iterable[str] = (),
    topic_words: Iterable[str] | None = None,
    topic_frequency: dict[str, int] | None = None,
    min_topic_documents: int = 1,
) -> Selection:
    """The ``n`` highest-rated words on ``dimension`` that pass the exclusion list and topic restriction."""
    if n < 1:
        raise InputError(f"number of words must be at least 1, got {n}")
    ranked = lexicon.top(None, dimension)
    excluded_set = {w.strip().lower() for w in exclude if w.strip()}
    allowed = None if topic_words is None else {w.strip().lower() for w in topic_words if w.strip()}
    chosen, off_topic = [], 0
    for word in ranked.words:
        if len(chosen) == n:
            break
        if word in excluded_set or ranked.rating(word, dimension) is None:
            continue
        on_topic = (allowed is None or word in allowed) and (
            topic_frequency is None or topic_frequency.get(word, 0) >= min_topic_documents
        )
        if on_topic:
            chosen.append(word)
        else:
            off_topic += 1
    if not chosen:
        raise InputError("no lexicon word passes the exclusion list and topic restriction")
    return Selection(ranked.subset(chosen), sorted(excluded_set & set(lexicon.words)), off_topic)


def read_word_list(path) -> list[str]:
    """Words from a file, one a line (a CSV's first column); ``#`` starts a comment."""

    path = Path(path)
    if problem := path_problem(path, "a word list (one word a line)"):
        raise InputError(problem)
    words = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        word = line.split("#", 1)[0].split(",", 1)[0].strip()
        if word:
            words.append(word)
    return words
