"""Empathy and distress lexicons: loading, scoring, selection, induction.

The bundled ``lexicon_health_empathy_200.csv`` (see ``README.md`` here) is the
default; :func:`load_lexicon` reads the Sedoc et al. (2019) files and any
CSV/TSV with word and rating columns.


Modules:

- ``choices``: The closed sets of the lexicon commands, light enough for the CLI to build its choices ...
- ``induce``: Learn word ratings from document ratings (the idea of Sedoc et al
- ``lexicon``: Word-rating lexicons
- ``select``: Choose filter words from a lexicon
"""

from empathykit.lexicons.lexicon import (
    DIMENSIONS,
    DUPLICATE_RULES,
    Duplicate,
    Lexicon,
    bundled_lexicon,
    lexicon_stats,
    load_lexicon,
    resolve_lexicon,
    write_lexicon,
)
from empathykit.lexicons.scoring import SCORE_COLUMNS, score_texts, tokenize

__all__ = [
    "DIMENSIONS",
    "DUPLICATE_RULES",
    "Duplicate",
    "Lexicon",
    "SCORE_COLUMNS",
    "bundled_lexicon",
    "lexicon_stats",
    "load_lexicon",
    "resolve_lexicon",
    "score_texts",
    "tokenize",
    "write_lexicon",
]
