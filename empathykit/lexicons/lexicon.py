"""Word-rating lexicons: loading, merging, duplicates.

A :class:`Lexicon` maps lower-cased words to ratings on one or more
dimensions (``empathy``, ``distress``; the Sedoc et al. 2019 lexicons rate
words on a 1-7 scale). Files are CSV or TSV:

- headerless ``word,rating`` (the published form): the dimension comes from
  ``dimension=`` or, failing that, from the file name (``distress`` in it
  means distress, anything else empathy);
- with a header: the word column is ``word_column`` or the first of
  :data:`WORD_COLUMNS`; rating columns are ``rating_column`` or every column
  whose name contains ``empathy`` or ``distress``, else the first of
  :data:`RATING_COLUMNS` (dimension as above). Other columns are ignored.

Duplicate words (after lower-casing) are reported in ``Lexicon.duplicates``
and resolved by ``on_duplicate``: ``mean`` (default: the average of the
ratings, so neither printing wins; the bundled list has ``depression`` at
5.704418 and 5.648896, giving 5.676657), ``first``, ``last``, ``max`` or
``error``.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from empathykit.errors import LexiconError, path_problem
from empathykit.io import atomic_open

DIMENSIONS = ("empathy", "distress")
WORD_COLUMNS = ("word", "term", "token", "words", "lemma", "ngram")
RATING_COLUMNS = ("rating", "score", "value", "weight", "mean", "rating_mean")
DUPLICATE_RULES = ("mean", "first", "last", "max", "error")
BUNDLED = "lexicon_health_empathy_200.csv"


@dataclass(frozen=True)
class Duplicate:
    word: str
    lines: tuple[int, ...]
    ratings: dict[str, tuple[float, ...]]
    resolved: dict[str, float]


@dataclass
class Lexicon:
    """``words[i]`` has rating ``ratings[dim][i]`` (NaN where a dimension is not rated)."""

    words: list[str]
    ratings: dict[str, np.ndarray]
    name: str = "lexicon"
    duplicates: list[Duplicate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self._index

    def rating(self, word: str, dimension: str = "empathy") -> float | None:
        i = self._index.get(word.lower())
        if i is None or dimension not in self.ratings:
            return None
        value = float(self.ratings[dimension][i])
        return None if math.isnan(value) else value

    @property
    def dimensions(self) -> list[str]:
        return list(self.ratings)

    def to_rows(self) -> list[dict]:
        return [{"word": w, **{d: self.rating(w, d) for d in self.ratings}} for w in self.words]

    def top(self, n: int | None = None, dimension: str = "empathy") -> Lexicon:
        """The ``n`` highest-rated words on ``dimension`` (unrated words last)."""
        values = self._require(dimension)
        order = np.lexsort((np.array(self.words, dtype=object), -np.nan_to_num(values, nan=-np.inf)))
        return self.subset([self.words[i] for i in order[:n]])

    def subset(self, words: list[str]) -> Lexicon:
        idx = [self._index[w] for w in words]
        return Lexicon(list(words), {d: r[idx] for d, r in self.ratings.items()}, self.name, self.duplicates)

    def merge(self, other: Lexicon) -> Lexicon:
        """Union of words; ``other``'s ratings win on dimensions both rate."""
        words = self.words + [w for w in other.words if w not in self._index]
        ratings = {}
        for dim in dict.fromkeys(self.dimensions + other.dimensions):
            ratings[dim] = np.array([_pick(other, self, w, dim) for w in words], dtype=float)
        return Lexicon(words, ratings, f"{self.name}+{other.name}", self.duplicates + other.duplicates)

    def _require(self, dimension: str) -> np.ndarray:
        if dimension not in self.ratings:
            raise LexiconError(f"lexicon {self.name} has no {dimension} ratings (it rates: {', '.join(self.ratings)})")
        return self.ratings[dimension]


def _pick(first: Lexicon, second: Lexicon, word: str, dim: str) -> float:
    value = first.rating(word, dim)
    if value is None:
        value = second.rating(word, dim)
    return math.nan if value is None else value


def bundled_lexicon(on_duplicate: str = "mean") -> Lexicon:
    """The 200 health-relevant high-empathy words of Sedoc et al. (2019) used for TwittEmp."""
    with resources.as_file(resources.files("empathykit.lexicons") / BUNDLED) as path:
        lexicon = load_lexicon(path, on_duplicate=on_duplicate)
    lexicon.name = "health-empathy-200"
    return lexicon


def load_lexicon(
    path: str | Path,
    *,
    dimension: str | None = None,
    word_column: str | None = None,
    rating_column: str | None = None,
    on_duplicate: str = "mean",
) -> Lexicon:
    """Load a CSV/TSV lexicon (see the module docstring for the accepted layouts)."""
    path = Path(path)
    if on_duplicate not in DUPLICATE_RULES:
        raise LexiconError(f"unknown duplicate rule {on_duplicate!r}; expected one of {', '.join(DUPLICATE_RULES)}")
    if dimension is not None and dimension not in DIMENSIONS:
        raise LexiconError(f"unknown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}")
    if problem := path_problem(path, "a lexicon file (CSV or TSV of words and ratings)"):
        raise LexiconError(problem)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [
            (n, row)
            for n, row in enumerate(csv.reader(handle, delimiter=_delimiter(path)), start=1)
            if any(cell.strip() for cell in row)
        ]
    if not rows:
        raise LexiconError(f"lexicon file {path} is empty; expected word,rating rows")
    default_dim = dimension or ("distress" if "distress" in path.name.lower() else "empathy")
    first_line, first = rows[0]
    if len(first) >= 2 and _is_number(first[1]) and word_column is None and rating_column is None:
        word_at, rating_at, data = 0, {default_dim: 1}, rows
    else:
        word_at, rating_at = _columns(path, first, default_dim, word_column, rating_column)
        data = rows[1:]
    if not data:
        raise LexiconError(f"lexicon file {path} has a header but no rows")
    return _build(path, data, word_at, rating_at, on_duplicate)


def _delimiter(path: Path) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    with open(path, encoding="utf-8-sig") as handle:
        head = handle.readline()
    return "\t" if "\t" in head and "," not in head else ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(
    path: Path, header: list[str], default_dim: str, word_column: str | None, rating_column: str | None
) -> tuple[int, dict[str, int]]:
    names = [h.strip().lower() for h in header]
    expected = (
        f"expected a word column ({', '.join(WORD_COLUMNS)}) and a rating column "
        f"({', '.join(RATING_COLUMNS)}, or names containing empathy/distress); found: {', '.join(header)}"
    )

    def find(wanted: str) -> int:
        if wanted.lower() not in names:
            raise LexiconError(f"{path}, line 1: no column {wanted!r}; found: {', '.join(header)}")
        return names.index(wanted.lower())

    if word_column:
        word_at = find(word_column)
    else:
        word_at = next((names.index(c) for c in WORD_COLUMNS if c in names), None)
    if rating_column:
        rating_at = {default_dim: find(rating_column)}
    else:
        rating_at = {}
        for dim in DIMENSIONS:
            hits = [i for i, n in enumerate(names) if dim in n and i != word_at]
            if hits:
                rating_at[dim] = hits[0]
        if not rating_at:
            generic = next((names.index(c) for c in RATING_COLUMNS if c in names), None)
            rating_at = {} if generic is None else {default_dim: generic}
    if word_at is None or not rating_at:
        raise LexiconError(
            f"{path}, line 1: no recognisable word/rating columns; {expected}",
            hint="name them with --word-column/--rating-column",
        )
    return word_at, rating_at


def _build(
    path: Path, rows: list[tuple[int, list[str]]], word_at: int, rating_at: dict[str, int], on_duplicate: str
) -> Lexicon:
    seen: dict[str, list[tuple[int, dict[str, float]]]] = {}
    width = max([word_at, *rating_at.values()]) + 1
    for line, row in rows:
        if len(row) < width:
            raise LexiconError(f"{path}, line {line}: expected at least {width} columns, found {len(row)}")
        word = _normalise_word(row[word_at])
        if not word:
            raise LexiconError(f"{path}, line {line}: empty word")
        values = {}
        for dim, at in rating_at.items():
            cell = row[at].strip()
            if cell == "" and len(rating_at) > 1:
                values[dim] = math.nan  # a multi-dimension file may leave one dimension blank
                continue
            try:
                values[dim] = float(cell)
            except ValueError:
                raise LexiconError(f"{path}, line {line}: rating {cell!r} for {word!r} is not a number") from None
            if math.isnan(values[dim]) or math.isinf(values[dim]):
                raise LexiconError(f"{path}, line {line}: rating {cell!r} for {word!r} is not a finite number")
        seen.setdefault(word, []).append((line, values))
    words, duplicates = list(seen), []
    ratings = {dim: np.empty(len(words)) for dim in rating_at}
    for i, word in enumerate(words):
        entries = seen[word]
        for dim in rating_at:
            ratings[dim][i] = _resolve([v[dim] for _, v in entries], on_duplicate)
        if len(entries) > 1:
            if on_duplicate == "error":
                lines = ", ".join(str(line) for line, _ in entries)
                raise LexiconError(
                    f"{path}: {word!r} occurs on lines {lines}",
                    hint="remove the duplicates or choose --on-duplicate mean|first|last|max",
                )
            duplicates.append(
                Duplicate(
                    word,
                    tuple(line for line, _ in entries),
                    {d: tuple(v[d] for _, v in entries) for d in rating_at},
                    {d: float(ratings[d][i]) for d in rating_at},
                )
            )
    return Lexicon(words, ratings, path.stem, duplicates)


def _normalise_word(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.strip().lower())


def _resolve(values: list[float], rule: str) -> float:
    present = [v for v in values if not math.isnan(v)]
    if not present:
        return math.nan
    if rule == "first":
        return present[0]
    if rule == "last":
        return present[-1]
    if rule == "max":
        return max(present)
    return float(np.mean(present))


def resolve_lexicon(
    path: str | Path | None = None,
    *,
    distress: str | Path | None = None,
    word_column: str | None = None,
    rating_column: str | None = None,
    on_duplicate: str = "mean",
) -> Lexicon:
    """The lexicon a command asked for: ``path`` (default: the bundled list), plus a distress
    lexicon merged in by word when given."""
    if path is None:
        lexicon = bundled_lexicon(on_duplicate)
    else:
        lexicon = load_lexicon(path, word_column=word_column, rating_column=rating_column, on_duplicate=on_duplicate)
    if distress is not None:
        lexicon = lexicon.merge(
            load_lexicon(
                distress,
                dimension="distress",
                word_column=word_column,
                rating_column=rating_column,
                on_duplicate=on_duplicate,
            )
        )
    return lexicon


def write_lexicon(lexicon: Lexicon, target: str | Path, extra: dict[str, list] | None = None) -> Path:
    """Write ``word,<dimension>...`` CSV (atomically); ``load_lexicon`` reads it back."""

    columns = ["word", *lexicon.dimensions, *(extra or {})]
    with atomic_open(target, newline="", output="lexicon") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i, word in enumerate(lexicon.words):
            values = [lexicon.rating(word, d) for d in lexicon.dimensions]
            writer.writerow(
                [
                    word,
                    *("" if v is None else f"{v:.6f}" for v in values),
                    *(column[i] for column in (extra or {}).values()),
                ]
            )
    return Path(target)


def lexicon_stats(lexicon: Lexicon) -> dict:
    """Size, per-dimension rating summary and duplicates of a lexicon."""
    summary = {"name": lexicon.name, "words": len(lexicon), "dimensions": {}}
    for dim, values in lexicon.ratings.items():
        rated = values[~np.isnan(values)]
        summary["dimensions"][dim] = {
            "rated": int(len(rated)),
            **(
                {
                    k: float(f(rated))
                    for k, f in (("min", np.min), ("mean", np.mean), ("median", np.median), ("max", np.max))
                }
                if len(rated)
                else {}
            ),
        }
    summary["duplicates"] = [
        {"word": d.word, "lines": list(d.lines), "ratings": d.ratings, "resolved": d.resolved}
        for d in lexicon.duplicates
    ]
    return summary
