"""X search queries and filtered-stream rules built from lexicon words and topic terms.

Each query is ``(w1 OR w2 ...) topic lang:en -is:retweet``; the words are packed
greedily, in the order given, into as many queries as the length limit needs
(512 characters on most access levels, 1024 on Pro and Academic Research).
The same words always give the same queries, so checkpoints keyed by query
text find their run again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from empathykit.errors import InputError
from empathykit.lexicons import bundled_lexicon, load_lexicon

DEFAULT_MAX_LENGTH = 512
DEFAULT_TOPICS = ("cancer",)

_BARE_TERM = re.compile(r"[#@$]?\w+")
_OPERATOR_WORDS = {"OR", "AND", "NOT"}


def lexicon_words(lexicon: str | Path | None = None, top: int | None = None) -> list[str]:
    """Words of a lexicon file (any layout ``empathykit.lexicons.load_lexicon`` reads) or, by
    default, of the bundled 200-word list; ``top`` keeps the N highest-rated on empathy."""
    loaded = load_lexicon(lexicon) if lexicon is not None else bundled_lexicon()
    if top is not None:
        if top < 1:
            raise InputError(f"--top must be at least 1, got {top}")
        loaded = loaded.top(top)
    return list(loaded.words)


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
            raise InputError(
                f"term {term} does not fit in a query of {max_length} characters beside{tail}",
                hint="raise --max-query-length or drop the term",
            )
        if used + cost > budget:
            queries.append(f"({' OR '.join(group)}){tail}")
            group, used, cost = [], 0, len(term)
        group.append(term)
        used += cost
    queries.append(f"({' OR '.join(group)}){tail}")
    return queries
