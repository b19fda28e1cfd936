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

import importlib
from typing import Any

#: the package's API and the module that holds each name; loaded on first use, so that importing
#: ``lexicons.choices`` (the CLI does, at start) does not import numpy and pyarrow
_HOMES = {
    **dict.fromkeys(
        (
            "DIMENSIONS",
            "DUPLICATE_RULES",
            "Duplicate",
            "Lexicon",
            "bundled_lexicon",
            "lexicon_stats",
            "load_lexicon",
            "resolve_lexicon",
            "write_lexicon",
        ),
        "lexicon",
    ),
    **dict.fromkeys(("SCORE_COLUMNS", "score_texts", "tokenize"), "scoring"),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
