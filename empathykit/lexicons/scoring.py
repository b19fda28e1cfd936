"""Vectorised lexicon scoring of texts.

Tokens are maximal runs of letters, digits and ``_`` in the lower-cased text
(so ``#cancer`` gives ``cancer`` and ``cancer's`` gives ``cancer``, ``s``);
mask placeholders such as ``<URL>`` are not tokens. For each text:

- ``lexicon_matches``: number of tokens found in the lexicon;
- ``lexicon_coverage``: matches / tokens (null for a text without tokens);
- ``empathy_score`` / ``distress_score``: mean rating of the matched tokens
  rated on that dimension (null when none is, or the lexicon lacks it).

Everything runs in Arrow compute and numpy: no Python loop per text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from empathykit.errors import InputError, path_problem
from empathykit.io import atomic_path, check_output, stamp_schema
from empathykit.lexicons.lexicon import Lexicon
from empathykit.progress import Counter, Progress

#: A token; RE2 syntax (Arrow) and, being plain classes, readable by people.
TOKEN_PATTERN = r"[\pL\pN_]+"
NON_TOKEN_PATTERN = r"[^\pL\pN_]+"
#: Placeholders written by the filter's masking stage (``<URL>``, ``<USER>``, ...).
PLACEHOLDERS = ("URL", "USER", "EMAIL", "PHONE")
PLACEHOLDER_PATTERN = "<(?:" + "|".join(PLACEHOLDERS) + ")>"
SCORE_COLUMNS = ("lexicon_matches", "lexicon_coverage", "empathy_score", "distress_score")


def tokenize(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``list<string>`` of the lower-cased tokens of each text (null stays null)."""
    texts = _as_array(texts)
    cleaned = pc.replace_substring_regex(texts, PLACEHOLDER_PATTERN, " ")
    pieces = pc.split_pattern_regex(pc.utf8_lower(cleaned), NON_TOKEN_PATTERN)
    flat = pc.list_flatten(pieces)
    parents = pc.list_parent_indices(pieces).to_numpy()
    keep = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    counts = np.bincount(parents[keep], minlength=len(texts))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)), mask=pc.is_null(texts))


def score_texts(texts: pa.Array | pa.ChunkedArray, lexicon: Lexicon) -> pa.Table:
    """Score each text against ``lexicon``; returns a table of :data:`SCORE_COLUMNS`."""
    return score_tokens(tokenize(texts), lexicon)


def score_tokens(tokens: pa.ListArray, lexicon: Lexicon) -> pa.Table:
    """:func:`score_texts` for texts already split by :func:`tokenize`."""
    n = len(tokens)
    flat = pc.list_flatten(tokens)
    parents = pc.list_parent_indices(tokens).to_numpy()
    n_tokens = np.bincount(parents, minlength=n)
    index = pc.index_in(flat, value_set=pa.array(lexicon.words, pa.string()))
    found = index.is_valid().to_numpy(zero_copy_only=False)
    hit_parents = parents[found]
    hit_index = index.filter(index.is_valid()).to_numpy().astype(np.int64)
    matches = np.bincount(hit_parents, minlength=n)
    columns = {"lexicon_matches": pa.array(matches, pa.int32()), "lexicon_coverage": _ratio(matches, n_tokens)}
    for dim in ("empathy", "distress"):
        if dim not in lexicon.ratings:
            columns[f"{dim}_score"] = pa.nulls(n, pa.float64())
            continue
        values = lexicon.ratings[dim][hit_index]
        rated = ~np.isnan(values)
        total = np.bincount(hit_parents[rated], weights=values[rated], minlength=n)
        count = np.bincount(hit_parents[rated], minlength=n)
        columns[f"{dim}_score"] = _ratio(total, count)
    return pa.table(columns)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> pa.Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        value = numerator / denominator
    return pa.array(value, pa.float64(), mask=denominator == 0)


def _as_array(texts) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.string())
    return texts


def score_file(
    source,
    target,
    lexicon: Lexicon,
    *,
    text_column: str = "text",
    batch_size: int = 65_536,
    on_progress: Progress | None = None,
) -> int:
    """Add :data:`SCORE_COLUMNS` to every row of a Parquet or CSV file, streaming; returns the row count."""

    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    source = Path(source)
    if problem := path_problem(source, "a Parquet or CSV file with a text column"):
        raise InputError(problem)
    check_output(target, "file", output="scores")
    if source.suffix.lower() == ".parquet":
        batches = pq.ParquetFile(source).iter_batches(batch_size=batch_size)
    else:
        delimiter = "\t" if source.suffix.lower() in (".tsv", ".tab") else ","
        batches = pcsv.open_csv(source, parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True))
    rows, writer = 0, None
    count = Counter(on_progress, "scoring rows")
    with atomic_path(target, output="scores") as tmp:
        try:
            for batch in batches:
                if text_column not in batch.schema.names:
                    raise InputError(
                        f"{source} has no {text_column!r} column; its columns are: {', '.join(batch.schema.names)}",
                        hint="name it with --text-column",
                    )
                scores = score_texts(batch.column(text_column), lexicon)
                table = pa.Table.from_batches([batch])
                for name in SCORE_COLUMNS:
                    table = table.drop_columns([name]) if name in table.column_names else table
                    table = table.append_column(name, scores[name])
                if writer is None:
                    writer = pq.ParquetWriter(tmp, stamp_schema(table.schema, "scores"), compression="zstd")
                writer.write_table(table)
                rows += table.num_rows
                count(table.num_rows)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise InputError(f"{source} holds no rows; expected a Parquet or CSV file with a text column")
    return rows
