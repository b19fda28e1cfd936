"""X search queries and filtered-stream rules built from lexicon words and topic terms.

Each query is ``(w1 OR w2 ...) topic lang:en -is:retweet``; the words are packed
greedily, in the order given, into as many queries as the length limit needs
(512 characters on most access levels, 1024 on Pro and Academic Research).
The same words always give the same queries, so checkpoints keyed by query
text find their run again.
"""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

from empathykit.errors import InputError, LexiconError

DEFAULT_MAX_LENGTH = 512
DEFAULT_TOPICS = ("cancer",)
BUNDLED_LEXICON = "lexicon_health_empathy_200.csv"

_BARE_TERM = re.compile(r"[#@$]?\w+")
_OPERATOR_WORDS = {"OR", "AND", "NOT"}


def bundled_words() -> list[str]:
    """The 200 health-relevant high-empathy words shipped with empathykit (paper order)."""
    text = resources.files("empathykit.lexicons").joinpath(BUNDLED_LEXICON).read_text(encoding="utf-8")
    return _words_from_csv(io.StringIO(text), BUNDLED_LEXICON)


def read_words(path: str | Path) -> list[str]:
    """Words of the ``word`` column of a CSV or TSV file (e.g. the output of ``lexicon select``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"lexicon file {path} does not exist")
    with open(path, newline="", encoding="utf-8") as handle:
        return _words_from_csv(handle, str(path))


def _words_from_csv(handle: io.TextIOBase, name: str) -> list[str]:
    first = handle.readline()
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader([first], delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if "word" not in header:
        raise LexiconError(f"{name}: line 1 has no 'word' column (found {header})",
                           hint="give a CSV or TSV whose header names a 'word' column")
    column = header.index("word")
    words = []
    for line_no, row in enumerate(csv.reader(handle, delimiter=delimiter), start=2):
        if not row:
            continue
        if column >= len(row) or not row[column].strip():
            raise LexiconError(f"{name}: line {line_no} has no word")
        words.append(row[column].strip())
    return words


def quote_term(term: str) -> str:
    """A term as the query language needs it: bare single words, double-quoted
    phrases and anything with punctuation (quotes inside a term are dropped,
    the query language has no escape for them)."""
    term = " ".join(term.replace('"', " ").split())
    if not term:
        raise InputError("empty query term")
    if _BARE_TERM.fullmatch(term) and term.upper() not in _OPERATOR_WORDS:
        return term
    return f'"{term}"'


def unique_terms(terms: Iterable[str]) -> list[str]:
    """Quoted terms, first occurrence kept, compared case-insensitively (X matching ignores case)."""
    seen: set[str] = set()
    out = []
    for term in terms:
        quoted = quote_term(term)
        if quoted.lower() not in seen:
            seen.add(quoted.lower())
            out.append(quoted)
    return out


def build_queries(
    words: Sequence[str],
    topics: Sequence[str] = DEFAULT_TOPICS,
    *,
    lang: str | None = "en",
    exclude_retweets: bool = True,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> list[str]:
    """Split ``words`` over as few ``(w1 OR w2 ...) topic lang:en -is:retweet`` queries as fit ``max_length``.

    Several topics become ``(t1 OR t2)``; no topics leaves only the word group.
    """
    terms = unique_terms(words)
    if not terms:
        raise InputError("no lexicon words to build queries from", hint="give --word or a --lexicon with words")
    topic_terms = unique_terms(topics)
    suffix = []
    if topic_terms:
        suffix.append(topic_terms[0] if len(topic_terms) == 1 else f"({' OR '.join(topic_terms)})")
    if lang:
        suffix.append(f"lang:{lang}")
    if exclude_retweets:
        suffix.append("-is:retweet")
    tail = "".join(" " + part for part in suffix)
    budget = max_length - len(tail) - 2  # the group's parentheses
    queries: list[str] = []
    group: list[str] = []
    used = 0
    for term in terms:
        cost = len(term) + (4 if group else 0)  # " OR "
        if len(term) > budget:
            raise InputError(f"term {term} does not fit in a query of {max_length} characters beside{tail}",
                             hint="raise --max-query-length or drop the term")
        if used + cost > budget:
            queries.append(f"({' OR '.join(group)}){tail}")
            group, used, cost = [], 0, len(term)
        group.append(term)
        used += cost
    queries.append(f"({' OR '.join(group)}){tail}")
    return queries
